;; A memory of zero pages: every access traps, even at address 0.
;; invoke: load i32:0 => trap out of bounds memory access
;; invoke: store i32:0 => trap out of bounds memory access
;; invoke: fill => 
;; invoke: grow => i32:0
;; invoke: load i32:65532 => i32:0
;; invoke: load i32:65533 => trap out of bounds memory access
(module
  (memory 0)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32) (i32.store (local.get 0) (i32.const 1)))
  (func (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1))))
