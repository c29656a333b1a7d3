;; A loop that writes ever higher addresses until it traps; the canaries above stay intact.
;; invoke: scribble i32:0 => trap out of bounds memory access
;; invoke: scribble_down i32:65532 => trap out of bounds memory access
;; invoke: last => i32:-1
(module
  (memory 1 1)
  (func (export "scribble") (param $p i32)
    (loop $l (i64.store (local.get $p) (i64.const -1))
             (local.set $p (i32.add (local.get $p) (i32.const 8))) (br $l)))
  (func (export "scribble_down") (param $p i32)
    (loop $l (v128.store (local.get $p) (v128.const i32x4 -1 -1 -1 -1))
             (local.set $p (i32.sub (local.get $p) (i32.const 16))) (br $l)))
  (func (export "last") (result i32) (i32.load (i32.const 65532))))
