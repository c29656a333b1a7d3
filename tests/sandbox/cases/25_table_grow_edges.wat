;; table.grow to the maximum and beyond; calls through the grown slots.
;; invoke: size => i32:1
;; invoke: grow i32:2 => i32:1
;; invoke: grow i32:1 => i32:-1
;; invoke: grow i32:-1 => i32:-1
;; invoke: size => i32:3
;; invoke: call i32:2 => trap uninitialized element
;; invoke: set i32:2 => 
;; invoke: call i32:2 => i32:77
;; invoke: call i32:3 => trap undefined element
;; invoke: set i32:3 => trap out of bounds table access
(module
  (type $t (func (result i32)))
  (table $tab 1 3 funcref)
  (func $f (result i32) (i32.const 77))
  (elem declare func $f)
  (func (export "size") (result i32) (table.size $tab))
  (func (export "grow") (param i32) (result i32) (table.grow $tab (ref.null func) (local.get 0)))
  (func (export "set") (param i32) (table.set $tab (local.get 0) (ref.func $f)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
