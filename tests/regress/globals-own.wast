;; A module's own globals (defined, not exported) live in the instance at a
;; fixed offset from the vmctx and are reached with one access
;; (include/kiln_abi.h, KILN_VMCTX_OFFSET_OWN_GLOBALS); imported and
;; exported ones stay shared cells.  Every value type as an own global,
;; own globals initialised from imported and earlier ones, two instances
;; of one module keeping their own values, and an exported mutable
;; global written by its module and by an importer.
(module $counter
  (global $n (mut i32) (i32.const 0))
  (global $w (mut i64) (i64.const -1))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.set $w (i64.add (global.get $w) (i64.const 2)))
    (global.get $n))
  (func (export "wide") (result i64) (global.get $w)))

(assert_return (invoke "bump") (i32.const 1))
(assert_return (invoke "bump") (i32.const 2))
(assert_return (invoke "wide") (i64.const 3))

;; A second instance of the same module starts from its own initial values.
(module $counter2
  (global $n (mut i32) (i32.const 0))
  (global $w (mut i64) (i64.const -1))
  (func (export "bump") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.set $w (i64.add (global.get $w) (i64.const 2)))
    (global.get $n))
  (func (export "wide") (result i64) (global.get $w)))

(assert_return (invoke $counter2 "bump") (i32.const 1))
(assert_return (invoke $counter "bump") (i32.const 3))
(assert_return (invoke $counter2 "wide") (i64.const 1))
(assert_return (invoke $counter "wide") (i64.const 5))

(module $shared
  (global (export "g") (mut i32) (i32.const 100))
  (global (export "base") i32 (i32.const 7))
  (func (export "get") (result i32) (global.get 0))
  (func (export "add") (param i32) (global.set 0 (i32.add (global.get 0) (local.get 0)))))
(register "shared" $shared)

(module $user
  (import "shared" "g" (global $g (mut i32)))
  (import "shared" "base" (global $base i32))
  ;; own globals of every type; $from_import and $later read others
  (global $i32 (mut i32) (global.get $base))
  (global $i64 (mut i64) (i64.const 0x1122334455667788))
  (global $f32 (mut f32) (f32.const 1.5))
  (global $f64 (mut f64) (f64.const -2.25))
  (global $v (mut v128) (v128.const i32x4 1 2 3 4))
  (global $fr (mut funcref) (ref.null func))
  (global $er (mut externref) (ref.null extern))
  (global $later i32 (global.get $base))
  (func $seven (result i32) (i32.const 7))
  (elem declare func $seven)
  (func (export "set_shared") (param i32) (global.set $g (local.get 0)))
  (func (export "get_shared") (result i32) (global.get $g))
  (func (export "i32") (param i32) (result i32)
    (global.set $i32 (i32.add (global.get $i32) (local.get 0))) (global.get $i32))
  (func (export "i64") (result i64)
    (global.set $i64 (i64.rotl (global.get $i64) (i64.const 8))) (global.get $i64))
  (func (export "f32") (result f32)
    (global.set $f32 (f32.mul (global.get $f32) (f32.const 2))) (global.get $f32))
  (func (export "f64") (result f64)
    (global.set $f64 (f64.add (global.get $f64) (f64.const 0.25))) (global.get $f64))
  (func (export "v") (result i32)
    (global.set $v (i32x4.add (global.get $v) (global.get $v)))
    (i32x4.extract_lane 3 (global.get $v)))
  (func (export "fr") (result i32)
    (if (result i32) (ref.is_null (global.get $fr))
      (then (global.set $fr (ref.func $seven)) (i32.const 0))
      (else (i32.const 1))))
  (func (export "er") (param externref) (result externref)
    (local externref)
    (local.set 1 (global.get $er)) (global.set $er (local.get 0)) (local.get 1))
  (func (export "later") (result i32) (global.get $later)))

(assert_return (invoke "i32" (i32.const 1)) (i32.const 8))
(assert_return (invoke "i32" (i32.const 2)) (i32.const 10))
(assert_return (invoke "i64") (i64.const 0x2233445566778811))
(assert_return (invoke "f32") (f32.const 3))
(assert_return (invoke "f64") (f64.const -2))
(assert_return (invoke "v") (i32.const 8))
(assert_return (invoke "v") (i32.const 16))
(assert_return (invoke "fr") (i32.const 0))
(assert_return (invoke "fr") (i32.const 1))
(assert_return (invoke "er" (ref.extern 1)) (ref.null extern))
(assert_return (invoke "er" (ref.extern 2)) (ref.extern 1))
(assert_return (invoke "later") (i32.const 7))
(assert_return (invoke "get_shared") (i32.const 100))
(assert_return (invoke "set_shared" (i32.const 42)))
(assert_return (invoke $shared "get") (i32.const 42))
(assert_return (invoke $shared "add" (i32.const 8)))
(assert_return (invoke "get_shared") (i32.const 50))
(assert_return (get $shared "g") (i32.const 50))
