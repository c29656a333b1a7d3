;; Host faults inside a reservation stay host faults (test_signals_faults.c).
;; Compiled with guard pages: one committed page inside an 8 GiB reservation.
(module
  ;; reads linear memory at the given address in host code
  (import "host" "peek" (func $peek (param i32) (result i32)))
  ;; recurses in host code until the thread's stack overflows
  (import "host" "recurse" (func $recurse))
  (memory (export "memory") 1)
  (func (export "host_reads") (param i32) (result i32) (call $peek (local.get 0)))
  (func (export "wasm_reads") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "host_overflows") (call $recurse)))
