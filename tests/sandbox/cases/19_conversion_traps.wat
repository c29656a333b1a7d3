;; Trapping float-to-int conversions at and beyond the edges, and the saturating forms.
;; invoke: f32_s f32:2147483520 => i32:2147483520
;; invoke: f32_s f32:2147483648 => trap integer overflow
;; invoke: f32_s f32:nan => trap invalid conversion to integer
;; invoke: f64_u f64:-0.9 => i32:0
;; invoke: f64_u f64:-1 => trap integer overflow
;; invoke: f64_u f64:4294967295.9 => i32:-1
;; invoke: f64_u f64:4294967296 => trap integer overflow
;; invoke: f64_s64 f64:9223372036854775808 => trap integer overflow
;; invoke: f64_s64 f64:-inf => trap integer overflow
;; invoke: sat_s f64:1e300 => i32:2147483647
;; invoke: sat_s f64:nan => i32:0
;; invoke: sat_u64 f32:-inf => i64:0
(module
  (func (export "f32_s") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "f64_u") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
  (func (export "f64_s64") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))
  (func (export "sat_s") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func (export "sat_u64") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0))))
