;; stash_trap.wat - stash.wat's element segment, then a start function
;; that traps: instantiation fails, but the spec keeps what the segment
;; wrote, so $f stays in the imported table and its instance must live
;; on (tests/unit/test_instance.c).
(module
  (type $v (func (result i32)))
  (import "b" "t" (table $t 4 funcref))
  (memory 1)
  (global $base (mut i32) (i32.const 1234))
  (elem (table $t) (i32.const 0) func $f)
  (func $f (type $v)
    (i32.store (i32.const 0) (i32.const 77))
    (i32.add (global.get $base) (i32.load (i32.const 0))))
  (func $start unreachable)
  (start $start))
