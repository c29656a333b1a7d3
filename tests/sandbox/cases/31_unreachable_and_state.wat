;; A trap mid-function leaves earlier stores visible and the instance usable.
;; invoke: partial => trap unreachable
;; invoke: read => i32:1
;; invoke: partial_oob => trap out of bounds memory access
;; invoke: read => i32:2
(module
  (memory 1 1)
  (func (export "partial") (i32.store (i32.const 0) (i32.const 1)) (unreachable))
  (func (export "partial_oob")
    (i32.store (i32.const 0) (i32.const 2))
    (i32.store (i32.const 65535) (i32.const 3)))
  (func (export "read") (result i32) (i32.load (i32.const 0))))
