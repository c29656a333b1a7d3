;; Out-of-bounds loads whose trap guard-page mode loses at -O1 and above
;; (docs/sandbox.md, "Memory modes", residual corners).  Each load's value
;; is used, so memory_dead_loads_mark() keeps it plain; LLVM then folds the
;; use away (x ^ x, x * 0, x - x, a branch it proves dead) and deletes the
;; load, so nothing reaches the guard page.  No memory is touched, so the
;; sandbox holds; only the trap is lost.  Found by the differential runner
;; (tests/fuzz/differential, seed 1000 modules 20 and 97) and reduced by
;; hand.  Explicit mode and -O0 trap in every case; guard mode at -O2 is
;; run against guard-residue.known, which should only shrink.
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
