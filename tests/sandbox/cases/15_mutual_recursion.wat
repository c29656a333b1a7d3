;; Mutual recursion through call and call_indirect, with big frames.
;; invoke: even i64:10 => i32:1
;; invoke: even i64:0xffffffffff => trap call stack exhausted
;; invoke: ind i32:0 => trap call stack exhausted
;; invoke: even i64:7 => i32:0
(module
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $ind)
  (memory 1)
  (func $even (export "even") (param i64) (result i32)
    (local f64 f64 f64 f64 f64 f64 f64 f64 i64 i64 i64 i64)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (local f64 f64 f64 f64 f64 f64 f64 f64)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func $ind (export "ind") (param i32) (result i32)
    (i32.store (local.get 0) (local.get 0))
    (call_indirect (type $t) (i32.and (i32.add (local.get 0) (i32.const 4)) (i32.const 0xfff)) (i32.const 0))))
