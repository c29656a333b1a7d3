;; Trapping integer division and remainder.
;; invoke: div_s i32:1 i32:0 => trap integer divide by zero
;; invoke: div_s i32:0x80000000 i32:-1 => trap integer overflow
;; invoke: rem_s i32:0x80000000 i32:-1 => i32:0
;; invoke: div_u i32:-1 i32:0 => trap integer divide by zero
;; invoke: rem_u i32:5 i32:0 => trap integer divide by zero
;; invoke: div_s64 i64:0x8000000000000000 i64:-1 => trap integer overflow
;; invoke: rem_s64 i64:0x8000000000000000 i64:-1 => i64:0
;; invoke: div_s64 i64:1 i64:0 => trap integer divide by zero
(module
  (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
  (func (export "rem_u") (param i32 i32) (result i32) (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "div_s64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
  (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1))))
