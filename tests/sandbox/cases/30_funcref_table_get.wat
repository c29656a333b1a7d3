;; table.get/set of funcrefs at and past the end, and calling what was read back.
;; invoke: get i32:0 => ref.func
;; invoke: get i32:1 => ref.null
;; invoke: get i32:2 => trap out of bounds table access
;; invoke: get i32:-1 => trap out of bounds table access
;; invoke: copy_call i32:0 i32:1 => i32:33
;; invoke: copy_call i32:1 i32:1 => i32:33
(module
  (type $t (func (result i32)))
  (table $tab 2 funcref)
  (func $f (result i32) (i32.const 33))
  (elem (i32.const 0) $f)
  (func (export "get") (param i32) (result funcref) (table.get $tab (local.get 0)))
  (func (export "copy_call") (param i32 i32) (result i32)
    (table.set $tab (local.get 1) (table.get $tab (local.get 0)))
    (call_indirect (type $t) (local.get 1))))
