;; The loop re-roller (compiler/reroll.c) turns loops that clang unrolled
;; by 2 or 4 for wasm32 (element j, then j+1 at `i32.add p, 8`, pointers
;; stepping by 16; or copies at p + 8, + 16, + 24, stepping by 32) back
;; into one-element loops at -O1..-O3.  The functions
;; below are in the shape clang emits; each assertion holds whether or
;; not a loop is re-rolled, and fails if the re-rolled loop accessed
;; memory in another order, trapped at another access, or left after
;; another number of elements.  Run by make test-regress in both bounds
;; modes at -O0 and -O2.
(module
  (memory 1)
  ;; c[j] = j, b[j] = 2j (doubles) for j < n, from addresses c and b.
  (func $fill (export "fill") (param $c i32) (param $b i32) (param $n i32) (local $j i32)
    (block (loop
      (br_if 1 (i32.ge_u (local.get $j) (local.get $n)))
      (f64.store (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 3)))
                 (f64.convert_i32_u (local.get $j)))
      (f64.store (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 3)))
                 (f64.convert_i32_u (i32.shl (local.get $j) (i32.const 1))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br 0))))
  (func (export "get") (param $p i32) (result f64) (f64.load (local.get $p)))
  (func (export "set") (param $p i32) (param $v f64) (f64.store (local.get $p) (local.get $v)))
  ;; c[j] += a * b[j] for j < n, as clang -O2 emits it for wasm32: an
  ;; unrolled-by-2 loop counting j up to n & ~1, the odd element after it.
  (func $axpy (export "axpy") (param i32 f64 i32 i32)
    (local i32 i32 i32 i32 i32)
    block
      local.get 0
      i32.const 0
      i32.le_s
      br_if 0
      local.get 0
      i32.const 1
      i32.and
      local.set 6
      local.get 0
      i32.const 1
      i32.ne
      if
        local.get 0
        i32.const 2147483646
        i32.and
        local.set 7
        local.get 2
        local.set 0
        local.get 3
        local.set 4
        loop
          local.get 0
          local.get 1
          local.get 4
          f64.load
          f64.mul
          local.get 0
          f64.load
          f64.add
          f64.store
          local.get 0
          i32.const 8
          i32.add
          local.tee 8
          local.get 1
          local.get 4
          i32.const 8
          i32.add
          f64.load
          f64.mul
          local.get 8
          f64.load
          f64.add
          f64.store
          local.get 0
          i32.const 16
          i32.add
          local.set 0
          local.get 4
          i32.const 16
          i32.add
          local.set 4
          local.get 7
          local.get 5
          i32.const 2
          i32.add
          local.tee 5
          i32.ne
          br_if 0
        end
      end
      local.get 6
      i32.eqz
      br_if 0
      local.get 2
      local.get 5
      i32.const 3
      i32.shl
      local.tee 0
      i32.add
      local.tee 4
      local.get 1
      local.get 0
      local.get 3
      i32.add
      f64.load
      f64.mul
      local.get 4
      f64.load
      f64.add
      f64.store
    end)
  ;; q[j] -= l * p[j] over `count` elements, counting down by 2 to exactly
  ;; 0 (lu's inner loop after clang peeled the odd element).  With an odd
  ;; count the loop runs on until an access leaves the memory.
  (func $down (export "down") (param $count i32) (param $l f64) (param $q i32) (param $p i32)
    (local i32)
    loop
      local.get $q
      local.get $q
      f64.load
      local.get $p
      f64.load
      local.get $l
      f64.mul
      f64.sub
      f64.store
      local.get $q
      i32.const 8
      i32.add
      local.tee 4
      local.get 4
      f64.load
      local.get $p
      i32.const 8
      i32.add
      f64.load
      local.get $l
      f64.mul
      f64.sub
      f64.store
      local.get $q
      i32.const 16
      i32.add
      local.set $q
      local.get $p
      i32.const 16
      i32.add
      local.set $p
      local.get $count
      i32.const 2
      i32.sub
      local.tee $count
      br_if 0
    end)
  ;; s = ((s + a[j]) + a[j+1]) over pairs: an in-order sum (a recurrence
  ;; the re-rolled loop must keep in the same order), n even.
  (func $sum (export "sum") (param $n i32) (param $a i32) (result f64)
    (local $s f64) (local $j i32)
    loop
      local.get $s
      local.get $a
      f64.load
      f64.add
      local.get $a
      i32.const 8
      i32.add
      f64.load
      f64.add
      local.set $s
      local.get $a
      i32.const 16
      i32.add
      local.set $a
      local.get $n
      local.get $j
      i32.const 2
      i32.add
      local.tee $j
      i32.ne
      br_if 0
    end
    local.get $s)
  ;; y[j] = a[j] * s for j < n, exactly as clang -O2 emits it for wasm32:
  ;; unrolled by 4 (copies at y + 8, + 16, + 24 of the `local.tee` of
  ;; j + y, j stepping by 32), the n & 3 elements after it.
  (func $scale4 (export "scale4") (param i32 f64 i32 i32)
    (local i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 0
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 0
      i32.const 3
      i32.and
      local.set 6
      local.get 0
      i32.const 4
      i32.ge_u
      if  ;; label = @2
        local.get 0
        i32.const 2147483644
        i32.and
        local.set 8
        i32.const 0
        local.set 0
        loop  ;; label = @3
          local.get 0
          local.get 2
          i32.add
          local.tee 4
          local.get 0
          local.get 3
          i32.add
          local.tee 7
          f64.load
          local.get 1
          f64.mul
          f64.store
          local.get 4
          i32.const 8
          i32.add
          local.get 7
          i32.const 8
          i32.add
          f64.load
          local.get 1
          f64.mul
          f64.store
          local.get 4
          i32.const 16
          i32.add
          local.get 7
          i32.const 16
          i32.add
          f64.load
          local.get 1
          f64.mul
          f64.store
          local.get 4
          i32.const 24
          i32.add
          local.get 7
          i32.const 24
          i32.add
          f64.load
          local.get 1
          f64.mul
          f64.store
          local.get 0
          i32.const 32
          i32.add
          local.set 0
          local.get 8
          local.get 5
          i32.const 4
          i32.add
          local.tee 5
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 6
      i32.eqz
      br_if 0 (;@1;)
      local.get 3
      local.get 5
      i32.const 3
      i32.shl
      local.tee 4
      i32.add
      local.set 0
      local.get 2
      local.get 4
      i32.add
      local.set 4
      loop  ;; label = @2
        local.get 4
        local.get 0
        f64.load
        local.get 1
        f64.mul
        f64.store
        local.get 0
        i32.const 8
        i32.add
        local.set 0
        local.get 4
        i32.const 8
        i32.add
        local.set 4
        local.get 6
        i32.const 1
        i32.sub
        local.tee 6
        br_if 0 (;@2;)
      end
    end)
  ;; q[j] -= l * p[j] over `count` elements, unrolled by 4 and counting
  ;; down by 4 to exactly 0: a count that is no multiple of 4 never
  ;; reaches 0 and runs until an access leaves the memory.
  (func $down4 (export "down4") (param $count i32) (param $l f64) (param $q i32) (param $p i32)
    loop
      local.get $q
      i32.const 0
      i32.add
      local.get $q
      i32.const 0
      i32.add
      f64.load
      local.get $p
      i32.const 0
      i32.add
      f64.load
      local.get $l
      f64.mul
      f64.sub
      f64.store
      local.get $q
      i32.const 8
      i32.add
      local.get $q
      i32.const 8
      i32.add
      f64.load
      local.get $p
      i32.const 8
      i32.add
      f64.load
      local.get $l
      f64.mul
      f64.sub
      f64.store
      local.get $q
      i32.const 16
      i32.add
      local.get $q
      i32.const 16
      i32.add
      f64.load
      local.get $p
      i32.const 16
      i32.add
      f64.load
      local.get $l
      f64.mul
      f64.sub
      f64.store
      local.get $q
      i32.const 24
      i32.add
      local.get $q
      i32.const 24
      i32.add
      f64.load
      local.get $p
      i32.const 24
      i32.add
      f64.load
      local.get $l
      f64.mul
      f64.sub
      f64.store
      local.get $q
      i32.const 32
      i32.add
      local.set $q
      local.get $p
      i32.const 32
      i32.add
      local.set $p
      local.get $count
      i32.const 4
      i32.sub
      local.tee $count
      br_if 0
    end)
  ;; s = (((s + a[j]) + a[j+1]) + a[j+2]) + a[j+3]: an in-order sum
  ;; unrolled by 4, n a multiple of 4 (else it reads on to the end).
  (func $sum4 (export "sum4") (param $n i32) (param $a i32) (result f64)
    (local $s f64) (local $j i32)
    loop
      local.get $s
      local.get $a
      i32.const 0
      i32.add
      f64.load
      f64.add
      local.get $a
      i32.const 8
      i32.add
      f64.load
      f64.add
      local.get $a
      i32.const 16
      i32.add
      f64.load
      f64.add
      local.get $a
      i32.const 24
      i32.add
      f64.load
      f64.add
      local.set $s
      local.get $a
      i32.const 32
      i32.add
      local.set $a
      local.get $n
      local.get $j
      i32.const 4
      i32.add
      local.tee $j
      i32.ne
      br_if 0
    end
    local.get $s)
  ;; d[j] = min(dik + k[j], d[j]) (floyd's inner loop), as clang -O2 emits
  ;; it for wasm32: unrolled by 2, copy 1 selecting on lt_s and copy 2 on
  ;; gt_s with the operands swapped (smin(a, b) and smin(b, a) in LLVM).
  (func $relax (export "relax") (param i32 i32 i32 i32)
    (local i32 i32 i32 i32 i32 i32)
    block  ;; label = @1
      local.get 0
      i32.const 0
      i32.le_s
      br_if 0 (;@1;)
      local.get 0
      i32.const 1
      i32.and
      local.set 8
      local.get 0
      i32.const 1
      i32.ne
      if  ;; label = @2
        local.get 0
        i32.const 2147483646
        i32.and
        local.set 9
        local.get 2
        local.set 0
        local.get 3
        local.set 4
        loop  ;; label = @3
          local.get 0
          local.get 4
          i32.load
          local.get 1
          i32.add
          local.tee 5
          local.get 0
          i32.load
          local.tee 7
          local.get 5
          local.get 7
          i32.lt_s
          select
          i32.store
          local.get 0
          i32.const 4
          i32.add
          local.tee 5
          local.get 4
          i32.const 4
          i32.add
          i32.load
          local.get 1
          i32.add
          local.tee 7
          local.get 5
          i32.load
          local.tee 5
          local.get 5
          local.get 7
          i32.gt_s
          select
          i32.store
          local.get 0
          i32.const 8
          i32.add
          local.set 0
          local.get 4
          i32.const 8
          i32.add
          local.set 4
          local.get 9
          local.get 6
          i32.const 2
          i32.add
          local.tee 6
          i32.ne
          br_if 0 (;@3;)
        end
      end
      local.get 8
      i32.eqz
      br_if 0 (;@1;)
      local.get 2
      local.get 6
      i32.const 2
      i32.shl
      local.tee 0
      i32.add
      local.tee 4
      local.get 0
      local.get 3
      i32.add
      i32.load
      local.get 1
      i32.add
      local.tee 0
      local.get 4
      i32.load
      local.tee 4
      local.get 0
      local.get 4
      i32.lt_s
      select
      i32.store
    end)
  (func (export "geti") (param $p i32) (result i32) (i32.load (local.get $p)))
  (func (export "seti") (param $p i32) (param $v i32) (i32.store (local.get $p) (local.get $v)))
  ;; Copy 2's store comes before copy 1's: not a re-rollable loop (the
  ;; accesses of the one-element loop would come in another order).
  (func $swapped (export "swapped") (param $n i32) (param $c i32) (local $j i32)
    loop
      local.get $c
      i32.const 8
      i32.add
      f64.const 1
      f64.store
      local.get $c
      f64.const 2
      f64.store
      local.get $c
      i32.const 16
      i32.add
      local.set $c
      local.get $n
      local.get $j
      i32.const 2
      i32.add
      local.tee $j
      i32.ne
      br_if 0
    end)
)
;; axpy over 7 and 8 elements: c[j] = j + 3 * 2j = 7j, c[n] untouched.
(invoke "fill" (i32.const 0) (i32.const 1024) (i32.const 16))
(invoke "axpy" (i32.const 7) (f64.const 3) (i32.const 0) (i32.const 1024))
(assert_return (invoke "get" (i32.const 0)) (f64.const 0))
(assert_return (invoke "get" (i32.const 40)) (f64.const 35))
(assert_return (invoke "get" (i32.const 48)) (f64.const 42))
(assert_return (invoke "get" (i32.const 56)) (f64.const 7))
(invoke "fill" (i32.const 0) (i32.const 1024) (i32.const 16))
(invoke "axpy" (i32.const 8) (f64.const 3) (i32.const 0) (i32.const 1024))
(assert_return (invoke "get" (i32.const 56)) (f64.const 49))
(assert_return (invoke "get" (i32.const 64)) (f64.const 8))
;; c runs past the memory: elements 0..4 fit, element 5 (copy 2 of the
;; third iteration) traps at its load, after element 4 was stored.  These
;; runs are shorter than the vectorized loop's minimum trip count, so the
;; scalar loop runs: in guard mode a vector access that reaches past the
;; end faults before the stores of its in-bounds elements (docs/sandbox.md,
;; *Guard-mode ordering*), whether or not the loop was re-rolled.
(invoke "fill" (i32.const 65496) (i32.const 1024) (i32.const 5))
(assert_trap (invoke "axpy" (i32.const 8) (f64.const 3) (i32.const 65496) (i32.const 1024))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 65496)) (f64.const 0))
(assert_return (invoke "get" (i32.const 65520)) (f64.const 21))
(assert_return (invoke "get" (i32.const 65528)) (f64.const 28))
;; ... and element 4 (copy 1) traps, element 3 stored.
(invoke "fill" (i32.const 65504) (i32.const 1024) (i32.const 4))
(assert_trap (invoke "axpy" (i32.const 8) (f64.const 3) (i32.const 65504) (i32.const 1024))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 65528)) (f64.const 21))
;; A long run, vectorized at -O2 once re-rolled: it still traps.
(invoke "fill" (i32.const 0) (i32.const 1024) (i32.const 64))
(assert_trap (invoke "axpy" (i32.const 64) (f64.const 3) (i32.const 65240) (i32.const 1024))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 65232)) (f64.const 0))
;; Counting down: an even count stops at 0; an odd one never reaches 0
;; and runs until q leaves the memory.
(invoke "fill" (i32.const 2048) (i32.const 4096) (i32.const 16))
(invoke "down" (i32.const 6) (f64.const 0.5) (i32.const 2048) (i32.const 4096))
(assert_return (invoke "get" (i32.const 2048)) (f64.const 0))
(assert_return (invoke "get" (i32.const 2088)) (f64.const 0))
(assert_return (invoke "get" (i32.const 2096)) (f64.const 6))
(assert_trap (invoke "down" (i32.const 5) (f64.const 0.5) (i32.const 2048) (i32.const 4096))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 2096)) (f64.const 0))
;; In-order sum: 2^53 + 1 + 1 + 1 rounds every 1 away; any other order
;; would keep some.  An odd n never meets j and reads on to the end.
(invoke "set" (i32.const 8192) (f64.const 9007199254740992))
(invoke "set" (i32.const 8200) (f64.const 1))
(invoke "set" (i32.const 8208) (f64.const 1))
(invoke "set" (i32.const 8216) (f64.const 1))
(assert_return (invoke "sum" (i32.const 4) (i32.const 8192)) (f64.const 9007199254740992))
(assert_trap (invoke "sum" (i32.const 3) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "swapped" (i32.const 2) (i32.const 0)))
(assert_return (invoke "get" (i32.const 0)) (f64.const 2))
(assert_return (invoke "get" (i32.const 8)) (f64.const 1))
;; Unrolled by 4.  scale4 over 11 elements: 8 in the loop, 3 after it.
(invoke "fill" (i32.const 0) (i32.const 1024) (i32.const 16))
(invoke "scale4" (i32.const 11) (f64.const 3) (i32.const 0) (i32.const 1024))
(assert_return (invoke "get" (i32.const 56)) (f64.const 42))
(assert_return (invoke "get" (i32.const 80)) (f64.const 60))
(assert_return (invoke "get" (i32.const 88)) (f64.const 11))
;; a runs past the memory in copy 2, 3 or 4 of the second iteration (or
;; copy 1): y[j] = 3 * 2j is stored for every element before the one
;; whose load traps, none from it on (y[5..7] keep -1).
(invoke "fill" (i32.const 0) (i32.const 65496) (i32.const 5))
(invoke "set" (i32.const 40) (f64.const -1))
(invoke "set" (i32.const 48) (f64.const -1))
(invoke "set" (i32.const 56) (f64.const -1))
(assert_trap (invoke "scale4" (i32.const 8) (f64.const 3) (i32.const 0) (i32.const 65496))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 0)) (f64.const 0))
(assert_return (invoke "get" (i32.const 32)) (f64.const 24))
(assert_return (invoke "get" (i32.const 40)) (f64.const -1))
(assert_return (invoke "get" (i32.const 48)) (f64.const -1))
(assert_return (invoke "get" (i32.const 56)) (f64.const -1))
(invoke "fill" (i32.const 0) (i32.const 65488) (i32.const 6))
(invoke "set" (i32.const 48) (f64.const -1))
(invoke "set" (i32.const 56) (f64.const -1))
(assert_trap (invoke "scale4" (i32.const 8) (f64.const 3) (i32.const 0) (i32.const 65488))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 40)) (f64.const 30))
(assert_return (invoke "get" (i32.const 48)) (f64.const -1))
(assert_return (invoke "get" (i32.const 56)) (f64.const -1))
(invoke "fill" (i32.const 0) (i32.const 65480) (i32.const 7))
(invoke "set" (i32.const 56) (f64.const -1))
(assert_trap (invoke "scale4" (i32.const 8) (f64.const 3) (i32.const 0) (i32.const 65480))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 48)) (f64.const 36))
(assert_return (invoke "get" (i32.const 56)) (f64.const -1))
(invoke "fill" (i32.const 0) (i32.const 65504) (i32.const 4))
(invoke "set" (i32.const 32) (f64.const -1))
(assert_trap (invoke "scale4" (i32.const 8) (f64.const 3) (i32.const 0) (i32.const 65504))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 24)) (f64.const 18))
(assert_return (invoke "get" (i32.const 32)) (f64.const -1))
;; ... and y runs past the memory: its store traps, after the element
;; before it was stored (copy 3 of the second iteration).
(invoke "fill" (i32.const 65488) (i32.const 1024) (i32.const 6))
(assert_trap (invoke "scale4" (i32.const 8) (f64.const 3) (i32.const 65488) (i32.const 1024))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 65488)) (f64.const 0))
(assert_return (invoke "get" (i32.const 65528)) (f64.const 30))
;; A long run, vectorized at -O2 once re-rolled: it still traps.
(invoke "fill" (i32.const 0) (i32.const 1024) (i32.const 64))
(assert_trap (invoke "scale4" (i32.const 64) (f64.const 3) (i32.const 0) (i32.const 65136))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 0)) (f64.const 0))
;; Counting down by 4: a multiple of 4 stops at 0 (q[8] keeps 8); 6 never
;; reaches 0 and runs on until p leaves the memory.
(invoke "fill" (i32.const 2048) (i32.const 4096) (i32.const 16))
(invoke "down4" (i32.const 8) (f64.const 0.5) (i32.const 2048) (i32.const 4096))
(assert_return (invoke "get" (i32.const 2104)) (f64.const 0))
(assert_return (invoke "get" (i32.const 2112)) (f64.const 8))
(assert_trap (invoke "down4" (i32.const 6) (f64.const 0.5) (i32.const 2048) (i32.const 4096))
             "out of bounds memory access")
(assert_return (invoke "get" (i32.const 2112)) (f64.const 0))
;; In-order sum of 8: 2^53 then seven 1s, each rounded away.
(invoke "set" (i32.const 8192) (f64.const 9007199254740992))
(invoke "set" (i32.const 8224) (f64.const 1))
(invoke "set" (i32.const 8232) (f64.const 1))
(invoke "set" (i32.const 8240) (f64.const 1))
(invoke "set" (i32.const 8248) (f64.const 1))
(assert_return (invoke "sum4" (i32.const 8) (i32.const 8192)) (f64.const 9007199254740992))
(assert_trap (invoke "sum4" (i32.const 6) (i32.const 0)) "out of bounds memory access")
;; relax: k runs past the memory at element 3 (copy 2 of the second
;; iteration) or 2 (copy 1): the elements before it are relaxed, the
;; trapping one is not.
(invoke "seti" (i32.const 0) (i32.const 100))
(invoke "seti" (i32.const 4) (i32.const 100))
(invoke "seti" (i32.const 8) (i32.const 100))
(invoke "seti" (i32.const 12) (i32.const 100))
(invoke "seti" (i32.const 65524) (i32.const 1))
(invoke "seti" (i32.const 65528) (i32.const 200))
(invoke "seti" (i32.const 65532) (i32.const 3))
(assert_trap (invoke "relax" (i32.const 4) (i32.const 10) (i32.const 0) (i32.const 65524))
             "out of bounds memory access")
(assert_return (invoke "geti" (i32.const 0)) (i32.const 11))
(assert_return (invoke "geti" (i32.const 4)) (i32.const 100))
(assert_return (invoke "geti" (i32.const 8)) (i32.const 13))
(assert_return (invoke "geti" (i32.const 12)) (i32.const 100))
(invoke "seti" (i32.const 4) (i32.const 100))
(invoke "seti" (i32.const 8) (i32.const 100))
(assert_trap (invoke "relax" (i32.const 4) (i32.const 10) (i32.const 0) (i32.const 65528))
             "out of bounds memory access")
(assert_return (invoke "geti" (i32.const 4)) (i32.const 13))
(assert_return (invoke "geti" (i32.const 8)) (i32.const 100))
;; ... and over 5 elements in bounds: 4 in the loop, 1 after it.
(invoke "seti" (i32.const 1024) (i32.const 5))
(invoke "seti" (i32.const 1028) (i32.const 500))
(invoke "seti" (i32.const 1032) (i32.const 5))
(invoke "seti" (i32.const 1036) (i32.const 500))
(invoke "seti" (i32.const 1040) (i32.const 5))
(invoke "seti" (i32.const 0) (i32.const 100))
(invoke "seti" (i32.const 16) (i32.const 100))
(invoke "relax" (i32.const 5) (i32.const 10) (i32.const 0) (i32.const 1024))
(assert_return (invoke "geti" (i32.const 0)) (i32.const 15))
(assert_return (invoke "geti" (i32.const 4)) (i32.const 13))
(assert_return (invoke "geti" (i32.const 12)) (i32.const 100))
(assert_return (invoke "geti" (i32.const 16)) (i32.const 15))
