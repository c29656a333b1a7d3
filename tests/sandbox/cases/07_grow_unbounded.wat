;; Growing a memory without a maximum: 65536 pages is the limit, more fails.
;; invoke: grow i32:65536 => i32:-1
;; invoke: grow i32:0x10000000 => i32:-1
;; invoke: grow i32:15 => i32:1
;; invoke: load i32:1048572 => i32:0
;; invoke: load i32:1048573 => trap out of bounds memory access
(module
  (memory 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
