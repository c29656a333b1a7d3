;; table.fill straddling the end traps and fills nothing.
;; invoke: fill i32:3 i32:2 => trap out of bounds table access
;; invoke: call i32:3 => trap uninitialized element
;; invoke: fill i32:3 i32:1 => 
;; invoke: call i32:3 => i32:5
;; invoke: fill i32:4 i32:0 => 
;; invoke: fill i32:5 i32:0 => trap out of bounds table access
;; invoke: fill i32:0 i32:-1 => trap out of bounds table access
;; invoke: call i32:0 => trap uninitialized element
(module
  (type $t (func (result i32)))
  (table $tab 4 funcref)
  (func $f (result i32) (i32.const 5))
  (elem declare func $f)
  (func (export "fill") (param i32 i32) (table.fill $tab (local.get 0) (ref.func $f) (local.get 1)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
