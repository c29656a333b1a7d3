;; table.init straddling the table or the segment; elem.drop then init.
;; invoke: init i32:3 i32:0 i32:2 => trap out of bounds table access
;; invoke: call i32:3 => trap uninitialized element
;; invoke: init i32:0 i32:1 i32:2 => trap out of bounds table access
;; invoke: call i32:0 => trap uninitialized element
;; invoke: init i32:2 i32:0 i32:2 => 
;; invoke: call i32:3 => i32:21
;; invoke: drop => 
;; invoke: init i32:0 i32:0 i32:1 => trap out of bounds table access
;; invoke: init i32:0 i32:0 i32:0 => 
;; invoke: init i32:5 i32:0 i32:0 => trap out of bounds table access
(module
  (type $t (func (result i32)))
  (table $tab 4 funcref)
  (func $a (result i32) (i32.const 20))
  (func $b (result i32) (i32.const 21))
  (elem $e func $a $b)
  (func (export "init") (param i32 i32 i32) (table.init $tab $e (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (elem.drop $e))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
