;; Small leaves (compiler/lower.c, lower_small_leaf; docs/sandbox.md,
;; Stack safety): a function of at most 64 instructions that calls nothing
;; is called without a stack check.  A return_call counts as a call: one
;; whose callee takes its parameters through memory (more than 16) is an
;; ordinary call, so a tiny function that return_calls itself that way
;; must still reach a stack check (before, the same held for results
;; through memory, and a tiny function that return_called itself that way
;; overflowed the host stack: a crash instead of "call stack exhausted").
;; Results through memory are now a guaranteed tail call: 10,000,000 deep
;; in constant stack.  Run by make test-regress in both bounds modes at
;; -O0 and -O2.
(module
  (type $r4 (func (param i64) (result i64 i64 i64 i64)))
  (type $p17 (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)))
  (table funcref (elem $count $via_table $self17 $via_table17))
  (func $count (param i64) (result i64 i64 i64 i64)
    (if (result i64 i64 i64 i64) (i64.eqz (local.get 0))
      (then (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4))
      (else (return_call $count (i64.sub (local.get 0) (i64.const 1))))))
  (func $via_table (param i64) (result i64 i64 i64 i64)
    (if (result i64 i64 i64 i64) (i64.eqz (local.get 0))
      (then (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8))
      (else (return_call_indirect (type $r4) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $self17 (type $p17)
    (return_call $self17 (i64.add (local.get 0) (i64.const 1)) (local.get 1) (local.get 2)
      (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7) (local.get 8)
      (local.get 9) (local.get 10) (local.get 11) (local.get 12) (local.get 13) (local.get 14)
      (local.get 15) (local.get 16)))
  (func $via_table17 (type $p17)
    (return_call_indirect (type $p17) (i64.add (local.get 0) (i64.const 1)) (local.get 1)
      (local.get 2) (local.get 3) (local.get 4) (local.get 5) (local.get 6) (local.get 7)
      (local.get 8) (local.get 9) (local.get 10) (local.get 11) (local.get 12) (local.get 13)
      (local.get 14) (local.get 15) (local.get 16) (i32.const 3)))
  (func (export "count") (param i64) (result i64)
    (call $count (local.get 0)) i64.add i64.add i64.add)
  (func (export "via_table") (param i64) (result i64)
    (call_indirect (type $r4) (local.get 0) (i32.const 1)) i64.add i64.add i64.add)
  (func (export "self17") (param i64)
    (call $self17 (local.get 0) (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
      (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9) (i64.const 10)
      (i64.const 11) (i64.const 12) (i64.const 13) (i64.const 14) (i64.const 15) (i64.const 16)))
  (func (export "via_table17") (param i64)
    (call_indirect (type $p17) (local.get 0) (i64.const 1) (i64.const 2) (i64.const 3)
      (i64.const 4) (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9)
      (i64.const 10) (i64.const 11) (i64.const 12) (i64.const 13) (i64.const 14)
      (i64.const 15) (i64.const 16) (i32.const 3)))
)
(assert_return (invoke "count" (i64.const 10000000)) (i64.const 10))
(assert_return (invoke "via_table" (i64.const 10000000)) (i64.const 26))
(assert_exhaustion (invoke "self17" (i64.const 0)) "call stack exhausted")
(assert_exhaustion (invoke "via_table17" (i64.const 0)) "call stack exhausted")

;; A small leaf's entry stub makes no check either (the stub holds the
;; body, or calls it, in the margin below its caller's checked frame):
;; leaves reached through a table, an export and another
;; module's import, with stack arguments, results through memory and
;; traps; and recursion that passes through leaf stubs on every level
;; still ends in "call stack exhausted".
(module $leaves
  (type $ii (func (param i32) (result i32)))
  (type $many (func (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64) (result f64)))
  (type $r4 (func (param i64) (result i64 i64 i64 i64)))
  (memory 1)
  (table $t funcref (elem $inc $many $r4 $load $rec))
  (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $many (export "many") (type $many)
    (f64.add
      (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
      (f64.add
        (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))
        (f64.add (f64.convert_i32_s (local.get 8)) (local.get 11)))))
  (func $r4 (export "r4") (type $r4)
    (local.get 0) (i64.add (local.get 0) (i64.const 1))
    (i64.add (local.get 0) (i64.const 2)) (i64.add (local.get 0) (i64.const 3)))
  (func $load (export "load") (type $ii) (i32.load (local.get 0)))
  (func $rec (export "rec") (type $ii)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else
        (i32.add
          (call_indirect $t (type $ii) (local.get 0) (i32.const 0))
          (call_indirect $t (type $ii)
            (call_indirect $t (type $ii) (i32.sub (local.get 0) (i32.const 2)) (i32.const 0))
            (i32.const 4))))))
  (func (export "via_table") (param i32) (result i32)
    (call_indirect $t (type $ii) (local.get 0) (i32.const 0)))
  (func (export "many_via_table") (result f64)
    (call_indirect $t (type $many)
      (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 5) (i64.const 6)
      (f32.const 7) (f64.const 8) (i32.const 9) (i64.const 10) (f32.const 11) (f64.const 12)
      (i32.const 1)))
  (func (export "r4_via_table") (param i64) (result i64)
    (call_indirect $t (type $r4) (local.get 0) (i32.const 2))
    i64.add i64.add i64.add)
  (func (export "load_via_table") (param i32) (result i32)
    (call_indirect $t (type $ii) (local.get 0) (i32.const 3)))
)
(register "leaves" $leaves)
(assert_return (invoke "via_table" (i32.const 41)) (i32.const 42))
(assert_return (invoke "inc" (i32.const -1)) (i32.const 0))
(assert_return (invoke "many_via_table") (f64.const 31))
(assert_return (invoke "many" (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 5)
  (i64.const 6) (f32.const 7) (f64.const 8) (i32.const 9) (i64.const 10) (f32.const 11) (f64.const 12))
  (f64.const 31))
(assert_return (invoke "r4_via_table" (i64.const 10)) (i64.const 46))
(assert_return (invoke "load_via_table" (i32.const 0)) (i32.const 0))
(assert_trap (invoke "load_via_table" (i32.const 65535)) "out of bounds memory access")
(assert_trap (invoke "load" (i32.const -4)) "out of bounds memory access")
(assert_return (invoke "rec" (i32.const 10)) (i32.const 65))
(assert_exhaustion (invoke "rec" (i32.const 100000000)) "call stack exhausted")

(module
  (type $ii (func (param i32) (result i32)))
  (import "leaves" "inc" (func $inc (type $ii)))
  (table funcref (elem $inc $down))
  (func $down (export "down") (param i32) (result i32)
    (call_indirect (type $ii)
      (call $inc (local.get 0)) (i32.const 1)))
  (func (export "inc_imported") (param i32) (result i32) (call $inc (local.get 0)))
)
(assert_return (invoke "inc_imported" (i32.const 1)) (i32.const 2))
(assert_exhaustion (invoke "down" (i32.const 0)) "call stack exhausted")
