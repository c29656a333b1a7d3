;; Loops over two memories and over a 64-bit memory in explicit bounds
;; mode (compiler/check_hoist.c, check-hoist.wast): each access of a loop
;; over two memories is tested against its own memory's size; a loop over
;; a 64-bit memory keeps its checks (its addresses are i64, which the
;; range test does not handle).  Named memory64-* for kiln-spec's feature
;; flags (multi-memory, memory64).  Run by make test-regress in both
;; bounds modes at -O0 and -O2.
;; Two memories: each access is tested against its own memory's size.
(module
  (memory $m0 2)
  (memory $m1 1)
  (func (export "ld0") (param i32) (result i32) (i32.load $m0 (local.get 0)))
  (func (export "st1") (param i32 i32) (i32.store $m1 (local.get 0) (local.get 1)))
  ;; m0[z + 4k] = m1[x + 4k] for k < n
  (func (export "copy") (param $x i32) (param $z i32) (param $n i32)
    (loop $l
      (i32.store $m0 (local.get $z) (i32.load $m1 (local.get $x)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $z (i32.add (local.get $z) (i32.const 4)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
)
(invoke "st1" (i32.const 65528) (i32.const 7))
(invoke "st1" (i32.const 65532) (i32.const 8))
;; in bounds of m0 (two pages) though not of m1
(assert_return (invoke "copy" (i32.const 65528) (i32.const 70000) (i32.const 2)))
(assert_return (invoke "ld0" (i32.const 70004)) (i32.const 8))
;; m1's third load is out of bounds
(assert_trap (invoke "copy" (i32.const 65528) (i32.const 80000) (i32.const 3))
             "out of bounds memory access")
(assert_return (invoke "ld0" (i32.const 80004)) (i32.const 8))
(assert_return (invoke "ld0" (i32.const 80008)) (i32.const 0))
;; m0's second store is out of bounds
(assert_trap (invoke "copy" (i32.const 65528) (i32.const 131068) (i32.const 2))
             "out of bounds memory access")
(assert_return (invoke "ld0" (i32.const 131068)) (i32.const 7))

;; A 64-bit memory: the loop keeps its checks and traps at the same store.
(module
  (memory i64 1)
  (func (export "ld") (param i64) (result i32) (i32.load (local.get 0)))
  ;; p[k] = k + 1 for k < n, p stepping by 4
  (func (export "fill") (param $p i64) (param $n i64) (local $k i32)
    (loop $l
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (i32.store (local.get $p) (local.get $k))
      (local.set $p (i64.add (local.get $p) (i64.const 4)))
      (br_if $l (i64.ne (local.tee $n (i64.sub (local.get $n) (i64.const 1))) (i64.const 0)))))
)
(assert_return (invoke "fill" (i64.const 65524) (i64.const 3)))
(assert_return (invoke "ld" (i64.const 65532)) (i32.const 3))
(assert_trap (invoke "fill" (i64.const 65528) (i64.const 3)) "out of bounds memory access")
(assert_return (invoke "ld" (i64.const 65532)) (i32.const 2))
(assert_trap (invoke "fill" (i64.const 0xFFFFFFFFFFFFFFFC) (i64.const 2)) "out of bounds memory access")
