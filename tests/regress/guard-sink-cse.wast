;; Loads of one address merged by GVN, whose value the program then
;; cancels, must still trap when the address is out of bounds.  Guard
;; mode's sink once combined loads with xor: the merged value contributed
;; twice cancelled (x ^ x = 0) and the load, with its trap, was deleted
;; (found by the differential runner, seed 12, module 1767).
(module
  (memory 16 17)
  (func (export "select-lt") (result i32)
    i32.const -84
    i64.load16_u offset=3 align=1
    i32.const -1
    i64.extend_i32_u
    i32.const -28048
    select
    i32.const -84
    i64.load16_u offset=3 align=1
    i64.lt_u
    i32.eqz)
  (func (export "lt-self") (result i32)
    (i64.lt_u (i64.load16_u offset=3 (i32.const -84))
              (i64.load16_u offset=3 (i32.const -84))))
  (func (export "xor-self") (result i32)
    (i32.xor (i32.load (i32.const 1048574)) (i32.load (i32.const 1048574))))
  (func (export "sub-self") (param $a i32) (result i64)
    (i64.sub (i64.load (local.get $a)) (i64.load (local.get $a))))
  (func (export "f64-eq-self") (param $a i32) (result i32)
    (f64.ne (f64.load (local.get $a)) (f64.load (local.get $a))))
  (func (export "v128-xor-self") (param $a i32) (result i32)
    (v128.any_true (v128.xor (v128.load (local.get $a)) (v128.load (local.get $a)))))
  (func (export "three-times") (param $a i32) (result i32)
    (i32.sub (i32.add (i32.load8_u (local.get $a)) (i32.load8_u (local.get $a)))
             (i32.shl (i32.load8_u (local.get $a)) (i32.const 1))))
  (func (export "in-bounds") (param $a i32) (result i32)
    (i32.xor (i32.load (local.get $a)) (i32.load (local.get $a))))
)
(assert_trap (invoke "select-lt") "out of bounds memory access")
(assert_trap (invoke "lt-self") "out of bounds memory access")
(assert_trap (invoke "xor-self") "out of bounds memory access")
(assert_trap (invoke "sub-self" (i32.const 1048569)) "out of bounds memory access")
(assert_return (invoke "sub-self" (i32.const 1048568)) (i64.const 0))
(assert_trap (invoke "f64-eq-self" (i32.const 1048572)) "out of bounds memory access")
(assert_trap (invoke "f64-eq-self" (i32.const -1)) "out of bounds memory access")
(assert_return (invoke "f64-eq-self" (i32.const 1048568)) (i32.const 0))
(assert_trap (invoke "v128-xor-self" (i32.const 1048561)) "out of bounds memory access")
(assert_return (invoke "v128-xor-self" (i32.const 1048560)) (i32.const 0))
(assert_trap (invoke "three-times" (i32.const 1048576)) "out of bounds memory access")
(assert_trap (invoke "three-times" (i32.const 0x8000_0000)) "out of bounds memory access")
(assert_return (invoke "three-times" (i32.const 1048575)) (i32.const 0))
(assert_trap (invoke "in-bounds" (i32.const 1048573)) "out of bounds memory access")
(assert_return (invoke "in-bounds" (i32.const 1048572)) (i32.const 0))
;; A v128 load that is an arm of a select on one condition, the select
;; passed to a call: x86-64 turns the select into a branch diamond, and
;; the load, no longer kept by its sink, was moved into the arm taken only
;; when the condition holds (differential runner, seed 12, module 1837).
(module
  (memory 1)
  (func (export "use") (param v128) (v128.store (i32.const 16) (local.get 0))))
(register "sink-user")
(module
  (import "sink-user" "use" (func $use (param v128)))
  (memory 16 17)
  (global $n (mut i32) (i32.const 3))
  (func (export "select-arm") (param $c i32) (param $a i32)
    (global.set $n (i32.const 3))
    (loop $again
      (global.set $n (i32.sub (global.get $n) (i32.const 1)))
      (call $use (select (v128.load offset=4 align=4 (local.get $a))
                         (v128.const i32x4 1 2 3 4)
                         (local.get $c)))
      (br_if $again (global.get $n))))
  (func (export "select-arm-loaded-condition") (param $a i32)
    (loop $again
      (global.set $n (i32.sub (global.get $n) (i32.const 1)))
      (if (i32.eqz (global.get $n)) (then (return)))
      (call $use (select (v128.load offset=4 align=4 (local.get $a))
                         (v128.const i32x4 1 2 3 4)
                         (i32.load offset=3 (i32.const 3))))
      (br_if $again (i32.const -39))))
  (func (export "select-arm-i64") (param $c i32) (param $a i32) (result i64)
    (select (i64.load (local.get $a)) (i64.const 7) (local.get $c)))
)
(assert_trap (invoke "select-arm" (i32.const 0) (i32.const -16777216)) "out of bounds memory access")
(assert_trap (invoke "select-arm" (i32.const 1) (i32.const -16777216)) "out of bounds memory access")
(assert_return (invoke "select-arm" (i32.const 0) (i32.const 1048556)))
(assert_trap (invoke "select-arm-loaded-condition" (i32.const -16777216)) "out of bounds memory access")
(assert_trap (invoke "select-arm-i64" (i32.const 0) (i32.const 1048569)) "out of bounds memory access")
(assert_return (invoke "select-arm-i64" (i32.const 0) (i32.const 1048568)) (i64.const 7))
