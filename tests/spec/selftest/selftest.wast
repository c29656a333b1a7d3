;; kiln-spec's own test: a script whose outcome is known.  Two assertions
;; are wrong on purpose (marked FAIL); selftest.py checks the runner
;; reports exactly those, counts the rest, and applies known failures.
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
  (global (export "g") i32 (i32.const 42)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4)) ;; FAIL
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "splat" (i32.const -1)) (v128.const i32x4 -1 -1 -1 -1))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 6) (i32.const 3)) "integer divide by zero") ;; FAIL
(assert_return (get "g") (i32.const 42))
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
(assert_malformed (module binary "\00asm" "\01\00\00") "unexpected end")
(assert_malformed (module quote "(func") "unexpected token")
