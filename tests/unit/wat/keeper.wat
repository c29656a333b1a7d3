;; keeper.wat - the keeping side of tests/unit/test_instance.c's group
;; tests: a table and a global that other instances and the host store
;; function references into, and calls through them.  "keep" stores a
;; reference the host passes; "take" stores one a host function returns.
(module
  (type $v (func (result i32)))
  (import "host" "give" (func $give (result funcref)))
  (table $t (export "t") 4 funcref)
  (global $g (export "g") (mut funcref) (ref.null func))
  (func (export "call_at") (param i32) (result i32)
    (call_indirect (type $v) (local.get 0)))
  (func (export "call_global") (result i32)
    (table.set $t (i32.const 3) (global.get $g))
    (call_indirect (type $v) (i32.const 3)))
  (func (export "keep") (param funcref)
    (table.set $t (i32.const 2) (local.get 0)))
  (func (export "take")
    (table.set $t (i32.const 2) (call $give))))
