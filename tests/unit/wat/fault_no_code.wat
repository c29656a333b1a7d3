;; Guard pages, a memory, no function of its own (test_signals_faults.c):
;; there is no generated code to locate, and instantiation must not need it.
(module
  (import "host" "peek" (func $peek (param i32) (result i32)))
  (memory (export "memory") 1)
  (export "peek" (func $peek)))
