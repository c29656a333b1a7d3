;; Two modules share a memory; one grows it, the other sees the new size and bounds.
;; === module a
(module
  (memory (export "mem") 1 2)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
;; === module b
;; invoke: @a load i32:65536 => trap out of bounds memory access
;; invoke: grow => i32:1
;; invoke: store i32:131068 i32:9 => 
;; invoke: @a load i32:131068 => i32:9
;; invoke: @a load i32:131069 => trap out of bounds memory access
;; invoke: store i32:131069 i32:9 => trap out of bounds memory access
(module
  (import "a" "mem" (memory 1 2))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))
