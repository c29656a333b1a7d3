;; tests/unit/test_header.sh: every value type through a typed import of
;; the generated header and back out of its typed export wrappers.
(module
  (import "host" "mix" (func $mix (param i32 i64 f32 f64 v128 externref funcref)
                                  (result f64 i32 v128 externref funcref i64 f32)))
  (func $inc (export "inc") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "roundtrip") (param i32 i64 f32 f64 v128 externref funcref)
                             (result f64 i32 v128 externref funcref i64 f32)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
               (local.get 5) (local.get 6)))
  (func (export "inc_ref") (result funcref) (ref.func $inc))
  (func (export "nothing"))
  (elem declare func $inc))
