;; Traps at known depths for test_backtrace.c (runtime/backtrace.c).  The
;; build converts it twice: with its name section (wat2wasm --debug-names)
;; and without.  Function indices (the import comes first):
;;   0 host_call (import)  1 divide  2 compute  3 main  4 oob  5 mid
;;   6 load  7 recurse  8 via_host  9 after_host  10 start_trap
(module
  (import "env" "call_back" (func $host_call (param i32) (result i32)))
  (import "env" "start_traps" (global $start_traps i32))
  (memory 1)

  ;; main -> compute -> divide: i32.div_s traps when the argument is 0.
  (func $divide (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func $compute (param i32) (result i32)
    (i32.add (call $divide (i32.const 100) (local.get 0)) (i32.const 1)))
  (func $main (export "main") (param i32) (result i32)
    (i32.mul (call $compute (local.get 0)) (i32.const 2)))

  ;; load -> mid -> oob: out of bounds past 65532 (a fault in guard mode).
  (func $oob (param i32) (result i32)
    (i32.load (local.get 0)))
  (func $mid (param i32) (result i32)
    (i32.add (call $oob (local.get 0)) (i32.const 1)))
  (func $load (export "load") (param i32) (result i32)
    (i32.add (call $mid (local.get 0)) (i32.const 3)))

  ;; Unbounded recursion: call stack exhausted.
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))

  ;; via_host -> host_call (the host calls after_host, or traps itself).
  (func $via_host (export "via_host") (param i32) (result i32)
    (i32.add (call $host_call (local.get 0)) (i32.const 1)))
  (func $after_host (export "after_host") (param i32) (result i32)
    (call $main (local.get 0)))

  ;; The start function traps when the host's global says so.
  (func $start_trap
    (if (global.get $start_traps) (then unreachable)))
  (start $start_trap)
)
