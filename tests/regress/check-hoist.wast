;; Explicit bounds mode hoists the checks of a simple loop into one range
;; test before it (compiler/check_hoist.c, -O2): when no access of any
;; iteration can be out of bounds, a copy without checks runs, otherwise
;; the original loop, which traps at the access it always trapped at.
;; Each assertion holds whatever runs, and fails if a loop trapped at
;; another access, or left memory in another state when it trapped: the
;; last, first or middle access of the body out of bounds, i32 addresses
;; that wrap (count-downs through 0, offsets past 2^32), count-down
;; loops, zero-trip counts that run until the counter wraps,
;; memory.grow inside and before the loop (two memories and 64-bit
;; memories: memory64-check-hoist.wast).  Run by make test-regress in
;; both bounds modes at -O0 and -O2.
(module
  (memory 1)
  (func (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "st") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  ;; z[k] = x[k] + y[k] for k < n, the pointers stepping by 4; n = 0 does nothing.
  (func (export "add3") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (i32.store (local.get $z) (i32.add (i32.load (local.get $x)) (i32.load (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
  ;; The same without the guard: n = 0 runs until the counter wraps.
  (func (export "add3_noguard") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (loop $l
      (i32.store (local.get $z) (i32.add (i32.load (local.get $x)) (i32.load (local.get $y))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $z (i32.add (local.get $z) (i32.const 4)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; Counting down: the pointers step by -4.
  (func (export "add3_down") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (i32.store (local.get $z) (i32.add (i32.load (local.get $x)) (i32.load (local.get $y))))
        (local.set $x (i32.sub (local.get $x) (i32.const 4)))
        (local.set $y (i32.sub (local.get $y) (i32.const 4)))
        (local.set $z (i32.sub (local.get $z) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
  ;; Loads at offset 32: the effective address is zext(x) + 32, never wrapped.
  (func (export "add3_off") (param $x i32) (param $y i32) (param $z i32) (param $n i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (i32.store (local.get $z) (i32.add (i32.load offset=32 (local.get $x))
                                           (i32.load offset=32 (local.get $y))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
  ;; a[i] *= 2 for i = 0 .. n-1, the address base + 4i from a counter that
  ;; counts up to n (n = 0: until the counter wraps).
  (func (export "double") (param $base i32) (param $n i32) (local $i i32) (local $p i32)
    (loop $l
      (local.set $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
      (i32.store (local.get $p) (i32.shl (i32.load (local.get $p)) (i32.const 1)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
)
(invoke "st" (i32.const 0) (i32.const 1))
(invoke "st" (i32.const 4) (i32.const 2))
(invoke "st" (i32.const 8) (i32.const 3))
(invoke "st" (i32.const 100) (i32.const 10))
(invoke "st" (i32.const 104) (i32.const 20))
(invoke "st" (i32.const 108) (i32.const 30))
;; in bounds
(assert_return (invoke "add3" (i32.const 0) (i32.const 100) (i32.const 200) (i32.const 3)))
(assert_return (invoke "ld" (i32.const 200)) (i32.const 11))
(assert_return (invoke "ld" (i32.const 204)) (i32.const 22))
(assert_return (invoke "ld" (i32.const 208)) (i32.const 33))
;; zero trips: nothing is accessed, even out of bounds
(assert_return (invoke "add3" (i32.const 70000) (i32.const -4) (i32.const 65536) (i32.const 0)))
;; the last iteration's store is out of bounds: two stores done, no third
(assert_trap (invoke "add3" (i32.const 0) (i32.const 100) (i32.const 65528) (i32.const 3))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 65528)) (i32.const 11))
(assert_return (invoke "ld" (i32.const 65532)) (i32.const 22))
;; the first access is out of bounds: nothing stored
(assert_trap (invoke "add3" (i32.const 65536) (i32.const 100) (i32.const 300) (i32.const 2))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 300)) (i32.const 0))
;; the middle access (y) of the third iteration is out of bounds
(invoke "st" (i32.const 65528) (i32.const 5))
(invoke "st" (i32.const 65532) (i32.const 6))
(assert_trap (invoke "add3" (i32.const 0) (i32.const 65528) (i32.const 400) (i32.const 3))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 400)) (i32.const 6))
(assert_return (invoke "ld" (i32.const 404)) (i32.const 8))
(assert_return (invoke "ld" (i32.const 408)) (i32.const 0))
;; zero trips without the guard: runs until z leaves memory (k = 134)
(assert_trap (invoke "add3_noguard" (i32.const 0) (i32.const 100) (i32.const 65000) (i32.const 0))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 65000)) (i32.const 11))
(assert_return (invoke "ld" (i32.const 65532)) (i32.const 0))
;; counting down, in bounds
(assert_return (invoke "add3_down" (i32.const 8) (i32.const 108) (i32.const 608) (i32.const 3)))
(assert_return (invoke "ld" (i32.const 600)) (i32.const 11))
(assert_return (invoke "ld" (i32.const 604)) (i32.const 22))
(assert_return (invoke "ld" (i32.const 608)) (i32.const 33))
;; counting down through 0: x wraps to 0xFFFFFFFC in the fourth iteration
(assert_trap (invoke "add3_down" (i32.const 8) (i32.const 108) (i32.const 508) (i32.const 4))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 508)) (i32.const 33))
(assert_return (invoke "ld" (i32.const 500)) (i32.const 11))
(assert_return (invoke "ld" (i32.const 496)) (i32.const 0))
;; offsets: in bounds, then the last iteration's loads end past memory
(assert_return (invoke "add3_off" (i32.const 68) (i32.const 68) (i32.const 700) (i32.const 3)))
(assert_return (invoke "ld" (i32.const 700)) (i32.const 20))
(assert_return (invoke "ld" (i32.const 708)) (i32.const 60))
(invoke "st" (i32.const 65528) (i32.const 5))
(invoke "st" (i32.const 65532) (i32.const 6))
(assert_trap (invoke "add3_off" (i32.const 65496) (i32.const 68) (i32.const 800) (i32.const 3))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 800)) (i32.const 15))
(assert_return (invoke "ld" (i32.const 804)) (i32.const 26))
(assert_return (invoke "ld" (i32.const 808)) (i32.const 0))
;; offsets near 2^32: x + 32 wraps an i32 but the effective address does not
(assert_trap (invoke "add3_off" (i32.const -16) (i32.const 68) (i32.const 900) (i32.const 1))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 900)) (i32.const 0))
;; the address comes from a counter
(assert_return (invoke "double" (i32.const 200) (i32.const 3)))
(assert_return (invoke "ld" (i32.const 200)) (i32.const 22))
(assert_return (invoke "ld" (i32.const 208)) (i32.const 66))
(assert_trap (invoke "double" (i32.const 65528) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 65528)) (i32.const 10))
(assert_return (invoke "ld" (i32.const 65532)) (i32.const 12))
(assert_trap (invoke "double" (i32.const 65520) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 65520)) (i32.const 0))
(assert_return (invoke "ld" (i32.const 65528)) (i32.const 20))
(assert_return (invoke "ld" (i32.const 65532)) (i32.const 24))

;; memory.grow inside the loop (the loop keeps its checks) and before it
;; (the range test sees the grown memory).
(module
  (memory 1)
  (func (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  ;; one page more per iteration, then a store into it
  (func (export "grow_fill") (param $p i32) (param $n i32)
    (loop $l
      (drop (memory.grow (i32.const 1)))
      (i32.store (local.get $p) (local.get $n))
      (local.set $p (i32.add (local.get $p) (i32.const 65536)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  ;; g pages more, then p[k] = k for k < n
  (func (export "grow_then_fill") (param $g i32) (param $p i32) (param $n i32) (local $k i32)
    (drop (memory.grow (local.get $g)))
    (loop $l
      (i32.store (local.get $p) (local.get $k))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.ne (local.tee $k (i32.add (local.get $k) (i32.const 1))) (local.get $n)))))
)
(assert_return (invoke "grow_fill" (i32.const 65536) (i32.const 2)))
(assert_return (invoke "size") (i32.const 3))
(assert_return (invoke "ld" (i32.const 65536)) (i32.const 2))
(assert_return (invoke "ld" (i32.const 131072)) (i32.const 1))
(assert_return (invoke "grow_then_fill" (i32.const 1) (i32.const 196600) (i32.const 3)))
(assert_return (invoke "ld" (i32.const 196608)) (i32.const 2))
(assert_trap (invoke "grow_then_fill" (i32.const 0) (i32.const 262136) (i32.const 3))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 262140)) (i32.const 1))
(assert_return (invoke "size") (i32.const 4))

;; A header phi whose latch value is another header phi: `prev = p; p += 4`
;; keeps the previous address in a phi fed by p's phi.  Making the
;; header's phis again (LLVM-C cannot change an incoming block) once left
;; the loop's record pointing at the erased phi, and the compiler read
;; freed memory (it crashed on SQLite's amalgamation in explicit mode).
(module
  (memory 1)
  (data (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
  (data (i32.const 65528) "\05\00\00\00\06\00\00\00")
  ;; sum of p[0..n) plus the last element's address
  (func (export "prev_sum") (param $p i32) (param $n i32) (result i32) (local $prev i32) (local $s i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (local.set $s (i32.add (local.get $s) (i32.xor (local.get $prev) (i32.load (local.get $p)))))
        (local.set $prev (local.get $p))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (i32.add (local.get $s) (local.get $prev)))
  ;; the same with the two phis the other way round, and the previous
  ;; element's value carried too
  (func (export "prev_val") (param $p i32) (param $n i32) (result i32) (local $prev i32) (local $v i32) (local $s i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (local.set $s (i32.add (local.get $s) (i32.mul (local.get $prev) (i32.load (local.get $p)))))
        (local.set $prev (i32.load (local.get $p)))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (i32.add (local.get $s) (local.get $prev))))
(assert_return (invoke "prev_sum" (i32.const 0) (i32.const 4)) (i32.const 34))
(assert_return (invoke "prev_sum" (i32.const 4) (i32.const 0)) (i32.const 0))
(assert_return (invoke "prev_sum" (i32.const 65528) (i32.const 2)) (i32.const 131071))
(assert_trap (invoke "prev_sum" (i32.const 65528) (i32.const 3)) "out of bounds memory access")
(assert_trap (invoke "prev_sum" (i32.const 65532) (i32.const 2)) "out of bounds memory access")
(assert_return (invoke "prev_val" (i32.const 0) (i32.const 4)) (i32.const 24))
(assert_trap (invoke "prev_val" (i32.const 65528) (i32.const 3)) "out of bounds memory access")
;; The copy without checks is swept of what it no longer uses (the
;; checks' compares, the i32 addresses its i64 streams replace); values of
;; the loop used after it must survive: the pointers and the last sum are
;; returned, from the copy when every access is in bounds, from the
;; checked loop up to its trap otherwise.
(module
  (memory 1)
  (func (export "ld") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "st") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  ;; z[k] = x[k] + y[k]; returns the final x + y + z pointers plus the last sum
  (func (export "add3_ret") (param $x i32) (param $y i32) (param $z i32) (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (local.set $s (i32.add (i32.load (local.get $x)) (i32.load (local.get $y))))
        (i32.store (local.get $z) (local.get $s))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (i32.add (i32.add (i32.add (local.get $x) (local.get $y)) (local.get $z)) (local.get $s)))
  ;; the same with only the sum used after the loop
  (func (export "add3_sum") (param $x i32) (param $y i32) (param $z i32) (param $n i32) (result i32)
    (local $s i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $l
        (local.set $s (i32.add (i32.load (local.get $x)) (i32.load (local.get $y))))
        (i32.store (local.get $z) (local.get $s))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (local.set $y (i32.add (local.get $y) (i32.const 4)))
        (local.set $z (i32.add (local.get $z) (i32.const 4)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (local.get $s))
)
(invoke "st" (i32.const 0) (i32.const 1))
(invoke "st" (i32.const 4) (i32.const 2))
(invoke "st" (i32.const 8) (i32.const 3))
(invoke "st" (i32.const 100) (i32.const 10))
(invoke "st" (i32.const 104) (i32.const 20))
(invoke "st" (i32.const 108) (i32.const 30))
;; in bounds: pointers 12 + 112 + 212 = 336, last sum 33
(assert_return (invoke "add3_ret" (i32.const 0) (i32.const 100) (i32.const 200) (i32.const 3)) (i32.const 369))
(assert_return (invoke "ld" (i32.const 208)) (i32.const 33))
(assert_return (invoke "add3_sum" (i32.const 0) (i32.const 100) (i32.const 300) (i32.const 3)) (i32.const 33))
(assert_return (invoke "ld" (i32.const 304)) (i32.const 22))
;; zero trips: nothing accessed, the pointers as given
(assert_return (invoke "add3_ret" (i32.const 70000) (i32.const 1) (i32.const 2) (i32.const 0)) (i32.const 70003))
;; the third store out of bounds: two stores made, then the trap
(assert_trap (invoke "add3_ret" (i32.const 0) (i32.const 100) (i32.const 65528) (i32.const 3))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 65528)) (i32.const 11))
(assert_return (invoke "ld" (i32.const 65532)) (i32.const 22))
;; the second load of x out of bounds: one store made
(assert_trap (invoke "add3_sum" (i32.const 65532) (i32.const 100) (i32.const 400) (i32.const 2))
             "out of bounds memory access")
(assert_return (invoke "ld" (i32.const 400)) (i32.const 32))
(assert_return (invoke "ld" (i32.const 404)) (i32.const 0))
