;; table.copy straddling either end, overlapping, and with huge lengths.
;; invoke: copy i32:3 i32:0 i32:2 => trap out of bounds table access
;; invoke: call i32:3 => trap uninitialized element
;; invoke: copy i32:0 i32:3 i32:2 => trap out of bounds table access
;; invoke: call i32:0 => i32:10
;; invoke: copy i32:1 i32:0 i32:2 => 
;; invoke: call i32:2 => i32:11
;; invoke: call i32:1 => i32:10
;; invoke: copy i32:0 i32:0 i32:-1 => trap out of bounds table access
;; invoke: copy i32:4 i32:4 i32:0 => 
;; invoke: copy i32:5 i32:0 i32:0 => trap out of bounds table access
(module
  (type $t (func (result i32)))
  (table $tab 4 funcref)
  (func $a (result i32) (i32.const 10))
  (func $b (result i32) (i32.const 11))
  (elem (i32.const 0) $a $b)
  (func (export "copy") (param i32 i32 i32) (table.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
