;; kiln-spec's test of the 3.0 suite's JSON form (selftest.py): wast2json
;; converts this module, and selftest.py writes the commands around it in
;; the extended forms (module_definition / module_instance, `either`,
;; reference patterns, assert_exception, *_custom) with known outcomes.
(module
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
  (func (export "null") (result externref) (ref.null extern))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "func") (result funcref) (ref.func $add))
  (global $g (export "g") (mut i32) (i32.const 42))
  (func (export "inc") (global.set $g (i32.add (global.get $g) (i32.const 1)))))
