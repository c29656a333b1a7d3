;; Guard-page mode keeps the trap of every out-of-bounds load although
;; loads are no longer pinned one by one: each feeds a per-function sink
;; pinned where the function returns, and after optimisation only loads
;; whose whole value a real use in their own block still needs lose their
;; sink (compiler/lower_memory.c, compiler/sink_trim.c).  Each export
;; below makes one of those rules matter; run by make test-regress in
;; both bounds modes at -O0 and -O2 (and at -O3 by hand).  At -O0 the
;; loads are volatile instead (no optimiser runs; instruction selection
;; would drop an unused load), and the same assertions hold.
(module
  (memory 1)
  ;; Loops that never return: the sink is never pinned, so the loads are
  ;; pinned where they are.  A memory scanner that reads until it faults.
  (func (export "scan_drop") (local i32)
    (loop (drop (i32.load (local.get 0)))
          (local.set 0 (i32.add (local.get 0) (i32.const 4096))) (br 0)))
  (func (export "scan_xor") (local i32 i32)
    (loop (local.set 1 (i32.xor (local.get 1) (i32.load (local.get 0))))
          (local.set 0 (i32.add (local.get 0) (i32.const 4096)))
          (br_if 0 (i32.const 1))))
  ;; The same with a vector and a float: each pin takes its register class
  ;; (a vector in an integer register does not compile).
  (func (export "scan_v128") (local i32)
    (loop (drop (v128.load (local.get 0)))
          (local.set 0 (i32.add (local.get 0) (i32.const 4096))) (br 0)))
  (func (export "scan_f64") (local i32)
    (loop (drop (f64.load (local.get 0)))
          (local.set 0 (i32.add (local.get 0) (i32.const 4096))) (br 0)))
  ;; A path that ends in a trap of its own.
  (func (export "then_unreachable") (param i32)
    (if (local.get 0) (then (drop (i64.load (i32.const -8))) (unreachable))))
  ;; Only some bits used: instruction selection could narrow the load.
  (func (export "low_byte") (result i32)
    (i32.and (i32.load (i32.const 65533)) (i32.const 0xff)))
  (func (export "wrap") (result i32)
    (i32.wrap_i64 (i64.load (i32.const 65530))))
  (func (export "sign_test") (result i32)
    (i32.lt_s (i32.load (i32.const 65534)) (i32.const 0)))
  (func (export "extract_lane") (result i32)
    (i32x4.extract_lane 0 (v128.load (i32.const 65530))))
  ;; Used only after a branch: code generation could sink the load into
  ;; the one successor that uses it.
  (func (export "used_after_branch") (param i32) (result f32) (local f32)
    (local.set 1 (f32.load (i32.const 65535)))
    (if (result f32) (local.get 0) (then (f32.add (local.get 1) (f32.const 1))) (else (f32.const 0))))
  ;; A loop the vectorizer takes: sums a[i] up to n, last element out of
  ;; bounds when n reaches past the memory.
  (func (export "sum") (param i32) (result f64) (local i32 f64)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 2 (f64.add (local.get 2) (f64.load (i32.shl (local.get 1) (i32.const 3)))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (local.get 2))
  ;; ... and one whose loads are dead once the sum is folded away.
  (func (export "sum_dead") (param i32) (result i32) (local i32 f64)
    (block (loop
      (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
      (local.set 2 (f64.add (local.get 2) (f64.load (i32.shl (local.get 1) (i32.const 3)))))
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br 0)))
    (i32.const 3)))

(assert_trap (invoke "scan_drop") "out of bounds memory access")
(assert_trap (invoke "scan_xor") "out of bounds memory access")
(assert_trap (invoke "scan_v128") "out of bounds memory access")
(assert_trap (invoke "scan_f64") "out of bounds memory access")
(assert_trap (invoke "then_unreachable" (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "then_unreachable" (i32.const 0)))
(assert_trap (invoke "low_byte") "out of bounds memory access")
(assert_trap (invoke "wrap") "out of bounds memory access")
(assert_trap (invoke "sign_test") "out of bounds memory access")
(assert_trap (invoke "extract_lane") "out of bounds memory access")
(assert_trap (invoke "used_after_branch" (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "used_after_branch" (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "sum" (i32.const 8192)) (f64.const 0))
(assert_trap (invoke "sum" (i32.const 8193)) "out of bounds memory access")
(assert_return (invoke "sum_dead" (i32.const 8192)) (i32.const 3))
(assert_trap (invoke "sum_dead" (i32.const 8193)) "out of bounds memory access")
