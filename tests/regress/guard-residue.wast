;; Out-of-bounds loads whose trap guard-page mode used to lose at -O1 and
;; above: each load's value is used, but LLVM folds the use away (x ^ x,
;; x * 0, x - x, a branch it proves dead) and would delete the load, so
;; nothing reached the guard page.  Found by the differential runner
;; (tests/fuzz/differential, seed 1000 modules 20 and 97) and reduced by
;; hand.  Fixed by pinning every load in guard mode (lower_memory.c,
;; memory_loads_pin); run by make test-regress in both modes.
(module
  (memory 1)
  (func (export "xor_self") (result i32) (local i32)
    (local.set 0 (i32.load8_u (i32.const 0x10000000)))
    (i32.xor (local.get 0) (local.get 0)))
  (func (export "mul_zero") (result i32)
    (i32.mul (i32.load (i32.const 0x10000000)) (i32.const 0)))
  (func (export "sub_self") (result i64) (local i64)
    (local.set 0 (i64.load (i32.const -8)))
    (i64.sub (local.get 0) (local.get 0)))
  (func (export "dead_branch") (result i32) (local i32)
    (local.set 0 (i32.load (i32.const 0x10000000)))
    (if (result i32) (i32.eqz (i32.const 1))
      (then (local.get 0))
      (else (i32.const 7))))
  ;; In bounds: the same shapes must still compute.
  (func (export "in_bounds") (result i32) (local i32)
    (local.set 0 (i32.load8_u (i32.const 100)))
    (i32.add (i32.xor (local.get 0) (local.get 0)) (i32.const 5))))

(assert_trap (invoke "xor_self") "out of bounds memory access")
(assert_trap (invoke "mul_zero") "out of bounds memory access")
(assert_trap (invoke "sub_self") "out of bounds memory access")
(assert_trap (invoke "dead_branch") "out of bounds memory access")
(assert_return (invoke "in_bounds") (i32.const 5))
