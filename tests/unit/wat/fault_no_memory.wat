;; Guard pages, code, no memory (test_signals_faults.c): nothing can fault
;; in a reservation, so instantiation must not need its code located.
(module
  (func (export "seven") (result i32) (i32.const 7)))
