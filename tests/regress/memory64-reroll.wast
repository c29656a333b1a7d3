;; (Named memory64-* so that kiln-spec enables multi-memory for it; its memories are 32-bit.)
;; Red-team shapes for the loop re-roller (compiler/reroll.c), beside
;; reroll.wast: loops unrolled by 2 whose copies differ in what the
;; re-roller must notice, or that it re-rolls behind its exit test.
;;  - "two-mems": copies isomorphic but for the memory (copy 1 on memory 0,
;;    copy 2 on memory 1): refused (the memories' bases differ), and the
;;    last pair's copy 2 traps after copy 1 wrote;
;;  - "one-mem": the same on one memory, re-rolled and vectorized at -O2;
;;  - "chain": copy 1 stores a[j+1], which copy 2 loads;
;;  - "second-iv": the exit compare is on a second induction variable (a
;;    counter stepping by 2, re-rolled at -O2 behind the preheader's
;;    (n - i) & 1 test): an odd span never meets the bound and must run
;;    on to the trap, as unrolled;
;;  - "down": a count-down by 16 whose span is no multiple of 16 wraps
;;    past 0 and traps at 0xfffffff8.
;; Every assertion holds for the wasm semantics (wabt's spectest-interp
;; passes them all), re-rolled or not.
(module
  (memory $m0 1)
  (memory $m1 1)
  ;; copy 1 on memory 0 at p, copy 2 on memory 1 at p + 8: isomorphic
  ;; but for the memory.  n pairs from address p.
  (func (export "two-mems") (param $p i32) (param $n i32) (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 4))))
    (loop
      (f64.store $m0 (local.get $p) (f64.add (f64.load $m0 (local.get $p)) (f64.const 1)))
      (f64.store $m1 (i32.add (local.get $p) (i32.const 8))
        (f64.add (f64.load $m1 (i32.add (local.get $p) (i32.const 8))) (f64.const 1)))
      (br_if 0 (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end)))))
  ;; the same loop on one memory (the re-roller's own shape)
  (func (export "one-mem") (param $p i32) (param $n i32) (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 4))))
    (loop
      (f64.store $m0 (local.get $p) (f64.add (f64.load $m0 (local.get $p)) (f64.const 1)))
      (f64.store $m0 (i32.add (local.get $p) (i32.const 8))
        (f64.add (f64.load $m0 (i32.add (local.get $p) (i32.const 8))) (f64.const 1)))
      (br_if 0 (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end)))))
  ;; a[j+1] = a[j] + 1: copy 1 stores what copy 2 loads
  (func (export "chain") (param $p i32) (param $n i32) (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 4))))
    (loop
      (f64.store $m0 (i32.add (local.get $p) (i32.const 8)) (f64.add (f64.load $m0 (local.get $p)) (f64.const 1)))
      (f64.store $m0 (i32.add (local.get $p) (i32.const 16))
        (f64.add (f64.load $m0 (i32.add (local.get $p) (i32.const 8))) (f64.const 1)))
      (br_if 0 (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 16))) (local.get $end)))))
  ;; two induction variables, the exit on the second (a counter i += 2
  ;; from $i to $n): with $n - $i odd it never meets $n and runs on until
  ;; an access leaves the memory
  (func (export "second-iv") (param $p i32) (param $i i32) (param $n i32)
    (loop
      (f64.store $m0 (local.get $p) (f64.add (f64.load $m0 (local.get $p)) (f64.const 1)))
      (f64.store $m0 (i32.add (local.get $p) (i32.const 8))
        (f64.add (f64.load $m0 (i32.add (local.get $p) (i32.const 8))) (f64.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if 0 (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 2))) (local.get $n)))))
  ;; counting down: p -= 16 to the bound
  (func (export "down") (param $p i32) (param $end i32)
    (loop
      (f64.store $m0 (local.get $p) (f64.add (f64.load $m0 (local.get $p)) (f64.const 1)))
      (f64.store $m0 (i32.add (local.get $p) (i32.const 8))
        (f64.add (f64.load $m0 (i32.add (local.get $p) (i32.const 8))) (f64.const 1)))
      (br_if 0 (i32.ne (local.tee $p (i32.sub (local.get $p) (i32.const 16))) (local.get $end)))))
  (func (export "get0") (param i32) (result f64) (f64.load $m0 (local.get 0)))
  (func (export "get1") (param i32) (result f64) (f64.load $m1 (local.get 0)))
  (func (export "clear") (memory.fill $m0 (i32.const 0) (i32.const 0) (i32.const 65536))
    (memory.fill $m1 (i32.const 0) (i32.const 0) (i32.const 65536))))

(invoke "two-mems" (i32.const 0) (i32.const 4))
(assert_return (invoke "get0" (i32.const 0)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 8)) (f64.const 0))
(assert_return (invoke "get0" (i32.const 48)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 56)) (f64.const 0))
(assert_return (invoke "get0" (i32.const 64)) (f64.const 0))
(assert_return (invoke "get1" (i32.const 0)) (f64.const 0))
(assert_return (invoke "get1" (i32.const 8)) (f64.const 1))
(assert_return (invoke "get1" (i32.const 56)) (f64.const 1))
(assert_return (invoke "get1" (i32.const 72)) (f64.const 0))
;; the last pair straddles memory 1's end: memory 0's element is written, then copy 2 traps
(invoke "clear")
(assert_trap (invoke "two-mems" (i32.const 65528) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "get0" (i32.const 65528)) (f64.const 1))
(invoke "clear")
(invoke "one-mem" (i32.const 0) (i32.const 4))
(assert_return (invoke "get0" (i32.const 0)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 56)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 64)) (f64.const 0))
(assert_return (invoke "get1" (i32.const 8)) (f64.const 0))
(invoke "clear")
(invoke "chain" (i32.const 0) (i32.const 5))
(assert_return (invoke "get0" (i32.const 0)) (f64.const 0))
(assert_return (invoke "get0" (i32.const 8)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 80)) (f64.const 10))
(assert_return (invoke "get0" (i32.const 88)) (f64.const 0))
(invoke "clear")
(invoke "second-iv" (i32.const 0) (i32.const 1) (i32.const 7))
(assert_return (invoke "get0" (i32.const 40)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 48)) (f64.const 0))
(invoke "clear")
;; 7 - 0 is odd: the counter never equals 7; the loop walks off the memory
(assert_trap (invoke "second-iv" (i32.const 0) (i32.const 0) (i32.const 7)) "out of bounds memory access")
(assert_return (invoke "get0" (i32.const 65528)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 65520)) (f64.const 1))
(invoke "clear")
(invoke "down" (i32.const 64) (i32.const 0))
(assert_return (invoke "get0" (i32.const 0)) (f64.const 0))
(assert_return (invoke "get0" (i32.const 16)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 72)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 80)) (f64.const 0))
(invoke "clear")
;; 72 - 0 is no multiple of 16: the count-down passes 0 and wraps, the
;; access at 0xfffffff8 traps after 8, 24, .. and 72 were written
(assert_trap (invoke "down" (i32.const 72) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "get0" (i32.const 8)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 80)) (f64.const 1))
(assert_return (invoke "get0" (i32.const 0)) (f64.const 0))
