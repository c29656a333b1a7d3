;; The stack check before each call (compiler/lower.c, docs/sandbox.md).
;; At -O0 a body reads the stack pointer and the stack limit once, in its
;; entry block, and every check in it compares against those two values;
;; the recursion below must still end in "call stack exhausted" whichever
;; call of the body recurses: one after other calls, in a later block, in
;; a loop, through a table, and between two functions.  Run by make
;; test-regress in both bounds modes at -O0 and -O2.
(module
  (type $t (func (param i32) (result i32)))
  (table funcref (elem $rec_indirect $ping))
  (func $inc (param i32) (result i32)
    (local.set 0 (i32.add (local.get 0) (i32.const 1)))
    (local.get 0))
  (func $rec_late (export "rec_late") (param i32) (result i32)
    (drop (call $inc (local.get 0)))
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else
        (drop (call $inc (i32.const 2)))
        (i32.add (i32.const 1)
                 (call $rec_late (i32.sub (local.get 0) (i32.const 1)))))))
  (func $rec_loop (export "rec_loop") (param i32) (result i32) (local i32)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 0))))
    (loop $l
      (local.set 1 (call $inc (local.get 1)))
      (br_if $l (i32.lt_u (local.get 1) (i32.const 3))))
    (i32.add (local.get 1)
             (call $rec_loop (i32.sub (local.get 0) (i32.const 1)))))
  (func $rec_indirect (export "rec_indirect") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else
        (i32.add (call $inc (i32.const 0))
                 (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1))
                                (i32.const 0))))))
  (func $ping (export "ping") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $inc (i32.const 0))
                     (call $pong (i32.sub (local.get 0) (i32.const 1)))))))
  (func $pong (param i32) (result i32)
    (drop (call $inc (local.get 0)))
    (call_indirect (type $t) (local.get 0) (i32.const 1)))
)

(assert_return (invoke "rec_late" (i32.const 1000)) (i32.const 1000))
(assert_return (invoke "rec_loop" (i32.const 100)) (i32.const 300))
(assert_return (invoke "rec_indirect" (i32.const 1000)) (i32.const 1000))
(assert_return (invoke "ping" (i32.const 1000)) (i32.const 1000))
(assert_exhaustion (invoke "rec_late" (i32.const -1)) "call stack exhausted")
(assert_exhaustion (invoke "rec_loop" (i32.const -1)) "call stack exhausted")
(assert_exhaustion (invoke "rec_indirect" (i32.const -1)) "call stack exhausted")
(assert_exhaustion (invoke "ping" (i32.const -1)) "call stack exhausted")
;; Still usable after the traps.
(assert_return (invoke "rec_late" (i32.const 3)) (i32.const 3))
