;; memory.grow up to the maximum, beyond it, and accesses at the new end.
;; invoke: grow i32:1 => i32:1
;; invoke: grow i32:1 => i32:2
;; invoke: grow i32:1 => i32:-1
;; invoke: size => i32:3
;; invoke: store i32:196604 i32:7 => 
;; invoke: load i32:196604 => i32:7
;; invoke: load i32:196605 => trap out of bounds memory access
;; invoke: load i32:196608 => trap out of bounds memory access
;; invoke: grow i32:0 => i32:3
;; invoke: grow i32:-1 => i32:-1
(module
  (memory 1 3)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
