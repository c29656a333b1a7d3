;; The first element segment fits the imported table, the second does not:
;; instantiation traps after the first was written; the data is never applied.
(module
  (import "basic" "tab" (table 2 funcref))
  (import "basic" "mem" (memory 1))
  (func $seven (result i32) (i32.const 7))
  (elem (i32.const 0) $seven)
  (elem (i32.const 1) $seven $seven)
  (data (i32.const 0) "zz")
)
