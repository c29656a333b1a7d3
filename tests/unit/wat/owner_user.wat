;; owner_user.wat - the importing side of tests/unit/test_instance.c:
;; calls owner.wat's function through its table and through its global.
(module
  (type $v (func (result i32)))
  (import "a" "t" (table $t 2 funcref))
  (import "a" "g" (global $g funcref))
  (func (export "through_table") (result i32)
    (call_indirect (type $v) (i32.const 0)))
  (func (export "through_global") (result i32)
    (table.set $t (i32.const 1) (global.get $g))
    (call_indirect (type $v) (i32.const 1))))
