;; Small leaves (compiler/lower.c, lower_small_leaf; docs/sandbox.md,
;; Stack safety): a function of at most 64 instructions that calls nothing
;; is called without a stack check.  A return_call counts as a call: one
;; whose callee returns its results through memory (more than three
;; integers on x86-64) is an ordinary call, so a tiny function that
;; return_calls itself that way recursed with no check and overflowed the
;; host stack (a crash instead of "call stack exhausted").  Run by make
;; test-regress in both bounds modes at -O0 and -O2.
(module
  (type $r4 (func (param i64) (result i64 i64 i64 i64)))
  (table funcref (elem $self $via_table))
  (func $self (param i64) (result i64 i64 i64 i64)
    (return_call $self (i64.add (local.get 0) (i64.const 1))))
  (func $via_table (param i64) (result i64 i64 i64 i64)
    (return_call_indirect (type $r4) (i64.add (local.get 0) (i64.const 1)) (i32.const 1)))
  (func $stop (param i64) (result i64 i64 i64 i64)
    (if (result i64 i64 i64 i64) (i64.eqz (local.get 0))
      (then (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4))
      (else (return_call $stop (i64.sub (local.get 0) (i64.const 1))))))
  (func (export "self") (param i64)
    (call $self (local.get 0)) drop drop drop drop)
  (func (export "via_table") (param i64)
    (call_indirect (type $r4) (local.get 0) (i32.const 1)) drop drop drop drop)
  (func (export "stop") (param i64) (result i64)
    (call $stop (local.get 0)) i64.add i64.add i64.add)
)
(assert_exhaustion (invoke "self" (i64.const 0)) "call stack exhausted")
(assert_exhaustion (invoke "via_table" (i64.const 0)) "call stack exhausted")
(assert_return (invoke "stop" (i64.const 1000)) (i64.const 10))
