;; stash.wat - the storing side of tests/unit/test_instance.c's group
;; tests: it puts its own $f into a table and a global that another
;; instance (keeper.wat) or the host defined, by an element segment, by
;; table.set and by global.set.  $f reads this instance's memory and
;; global: called after the instance was freed, it would read freed memory.
(module
  (type $v (func (result i32)))
  (import "b" "t" (table $t 4 funcref))
  (import "b" "g" (global $g (mut funcref)))
  (memory 1)
  (global $base (mut i32) (i32.const 1234))
  (elem (table $t) (i32.const 0) func $f)
  (elem declare func $f)
  (func $f (export "f") (type $v)
    (i32.store (i32.const 0) (i32.const 77))
    (i32.add (global.get $base) (i32.load (i32.const 0))))
  (func (export "stash")
    (table.set $t (i32.const 1) (ref.func $f))
    (global.set $g (ref.func $f))))
