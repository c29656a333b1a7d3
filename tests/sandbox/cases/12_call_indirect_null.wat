;; call_indirect through null, out-of-range and wrong-signature entries.
;; invoke: call i32:0 => i32:42
;; invoke: call i32:1 => trap uninitialized element
;; invoke: call i32:2 => trap indirect call type mismatch
;; invoke: call i32:3 => trap undefined element
;; invoke: call i32:-1 => trap undefined element
;; invoke: call i32:0x7fffffff => trap undefined element
(module
  (type $ret_i32 (func (result i32)))
  (table 3 funcref)
  (func $good (result i32) (i32.const 42))
  (func $other (param i64) (result i32) (i32.const 1))
  (elem (i32.const 0) $good)
  (elem (i32.const 2) $other)
  (func (export "call") (param i32) (result i32) (call_indirect (type $ret_i32) (local.get 0))))
