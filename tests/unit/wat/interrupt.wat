;; Interrupts (test_signals.c): endless loops with no calls, a loop that
;; only computes, a start function that may loop forever, and wasm -> host
;; -> wasm nesting.
(module
  (import "host" "call_back" (func $call_back))           ;; calls "spin" on the caller
  (import "host" "released" (func $released (result i32))) ;; non-zero once the host says so
  (import "host" "loop_in_start" (global $loop_in_start i32))
  (func $spin (export "spin") (loop $l (br $l)))
  ;; An LCG until it reaches 0: no call, no memory, a trip count LLVM
  ;; cannot compute (the period is 2^64).
  (func (export "compute") (param $x i64) (result i64)
    (loop $l
      (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005))
                             (i64.const 1442695040888963407)))
      (br_if $l (i64.ne (local.get $x) (i64.const 0))))
    (local.get $x))
  (func (export "nested") (call $call_back) (call $spin))
  (func (export "wait") (result i32)
    (loop $l (br_if $l (i32.eqz (call $released))))
    (i32.const 7))
  (func (export "answer") (result i32) (i32.const 42))
  ;; 42 after $n host calls: long enough for interrupts to land mid-call.
  (func (export "calls") (param $n i32) (result i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $released))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (i32.const 42))
  (func $start (if (global.get $loop_in_start) (then (call $spin))))
  (start $start))
