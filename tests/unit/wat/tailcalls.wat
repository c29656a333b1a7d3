;; A module with return_call (test_lower.c): its bodies keep LLVM's tailcc
;; so that the tail calls are guaranteed, and its entry stubs jump to them.
(module
  (type $t (func (param i32 i32) (result i32)))
  (table funcref (elem $count))
  (func $count (type $t)
    (if (result i32) (i32.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call $count (i32.sub (local.get 0) (i32.const 1))
                                (i32.add (local.get 1) (i32.const 1))))))
  (func (export "count") (param i32) (result i32)
    (call_indirect (type $t) (local.get 0) (i32.const 0) (i32.const 0)))
)
