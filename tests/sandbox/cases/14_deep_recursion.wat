;; Unbounded recursion must trap with "call stack exhausted", and the instance stays usable.
;; invoke: rec i32:0 => trap call stack exhausted
;; invoke: rec_big i32:0 => trap call stack exhausted
;; invoke: ok => i32:5
;; invoke: rec i32:0 => trap call stack exhausted
(module
  (func $rec (export "rec") (param i32) (result i32)
    (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func $rec_big (export "rec_big") (param i32) (result i32)
    (local v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128 v128)
    (local.set 1 (i32x4.splat (local.get 0)))
    (local.set 16 (i32x4.add (local.get 1) (local.get 1)))
    (i32.add (call $rec_big (i32.add (local.get 0) (i32.const 1)))
             (i32x4.extract_lane 0 (local.get 16))))
  (func (export "ok") (result i32) (i32.const 5)))
