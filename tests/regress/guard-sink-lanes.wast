;; Guard mode: scalar loads packed into vector lanes, and population
;; counts.  sink_trim drops a load's sink when the lane it was inserted
;; into reaches a whole-vector use that anchors (nbody: SLP packs the
;; coordinates into <2 x double>), and when some of the low bits of a
;; population count of it are used as an address (popcount's histogram).
;; Every load here must still trap when out of bounds, also those whose
;; lane is overwritten, extracted alone, or whose count is shifted away.
(module
  (memory 1 1)
  ;; nbody's shape in scalar code: two adjacent coordinates minus a
  ;; position, times a factor, stored to two adjacent cells (SLP packs
  ;; the loads into one vector).
  (func (export "pair") (param $p i32) (param $q i32) (param $x f64) (param $y f64)
        (result f64)
    (local $dx f64) (local $dy f64)
    (local.set $dx (f64.sub (local.get $x) (f64.load (local.get $p))))
    (local.set $dy (f64.sub (local.get $y) (f64.load offset=8 (local.get $p))))
    (f64.store (local.get $q) (f64.mul (local.get $dx) (f64.const 3)))
    (f64.store offset=8 (local.get $q) (f64.mul (local.get $dy) (f64.const 3)))
    (f64.add (f64.load (local.get $q)) (f64.load offset=8 (local.get $q))))
  ;; The same in a loop over n cells.
  (func (export "pairs") (param $p i32) (param $q i32) (param $n i32) (result f64)
    (local $s f64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (f64.store (local.get $q)
          (f64.mul (f64.sub (f64.const 1) (f64.load (local.get $p))) (f64.const 2)))
        (f64.store offset=8 (local.get $q)
          (f64.mul (f64.sub (f64.const 1) (f64.load offset=8 (local.get $p))) (f64.const 2)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (f64.load (i32.sub (local.get $q) (i32.const 8))))
  ;; Coordinates 24 bytes apart (nbody's struct stride): SLP packs the
  ;; scalar loads into lanes with insertelement.
  (func (export "strided") (param $p i32) (param $q i32) (param $n i32) (result f64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (f64.store (local.get $q)
          (f64.mul (f64.sub (f64.load offset=8 (local.get $q)) (f64.load (local.get $p)))
                   (f64.load offset=16 (local.get $p))))
        (f64.store offset=8 (local.get $q)
          (f64.mul (f64.sub (f64.load offset=16 (local.get $q)) (f64.load offset=24 (local.get $p)))
                   (f64.load offset=16 (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 56)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (f64.add (f64.load (local.get $q)) (f64.load offset=8 (local.get $q))))
  ;; popcount.c's inner loop: four words of b (scalar loads, 8 bytes
  ;; apart but xor-ed with words of a kept in registers), the sum of their
  ;; counts as the histogram index.
  (func (export "hist4") (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $a0 i64) (local $a1 i64) (local $a2 i64) (local $a3 i64) (local $d i32)
    (local.set $a0 (i64.load (local.get $a)))
    (local.set $a1 (i64.load offset=8 (local.get $a)))
    (local.set $a2 (i64.load offset=16 (local.get $a)))
    (local.set $a3 (i64.load offset=24 (local.get $a)))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $d (i32.add
          (i32.add (i32.wrap_i64 (i64.popcnt (i64.xor (local.get $a0) (i64.load (local.get $b)))))
                   (i32.wrap_i64 (i64.popcnt (i64.xor (local.get $a1) (i64.load offset=8 (local.get $b))))))
          (i32.add (i32.wrap_i64 (i64.popcnt (i64.xor (local.get $a2) (i64.load offset=16 (local.get $b)))))
                   (i32.wrap_i64 (i64.popcnt (i64.xor (local.get $a3) (i64.load offset=24 (local.get $b))))))))
        (i32.store offset=2048 (i32.shl (local.get $d) (i32.const 2))
          (i32.add (i32.load offset=2048 (i32.shl (local.get $d) (i32.const 2))) (i32.const 1)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (i32.load offset=2048 (i32.shl (local.get $d) (i32.const 2))))
  ;; A load replaced into a lane, the vector stored whole.
  (func (export "lane-stored") (param $p i32) (param $q i32) (result i64)
    (v128.store (i32.const 0)
      (i64x2.replace_lane 1 (i64x2.splat (i64.load (local.get $q))) (i64.load (local.get $p))))
    (i64.load offset=8 (i32.const 0)))
  ;; Its lane overwritten by a second replace: the first load is dead.
  (func (export "lane-overwritten") (param $p i32) (param $q i32) (result i64)
    (v128.store (i32.const 0)
      (i64x2.replace_lane 1
        (i64x2.replace_lane 1 (i64x2.splat (i64.const 7)) (i64.load (local.get $p)))
        (local.get $q) (i64.extend_i32_u)))
    (i64.load offset=8 (i32.const 0)))
  ;; Only the other lane extracted: the load is dead.
  (func (export "lane-other") (param $p i32) (result i64)
    (i64x2.extract_lane 0
      (i64x2.add (i64x2.replace_lane 1 (i64x2.splat (i64.const 5)) (i64.load (local.get $p)))
                 (i64x2.splat (i64.const 1)))))
  ;; hist[popcount(load p ^ load q)]++, in a loop as popcount.c has it.
  (func (export "hist") (param $p i32) (param $q i32) (param $n i32) (result i32)
    (local $d i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $d (i32.wrap_i64 (i64.add
          (i64.popcnt (i64.xor (i64.load (local.get $p)) (i64.load (local.get $q))))
          (i64.popcnt (i64.xor (i64.load offset=8 (local.get $p))
                               (i64.load offset=8 (local.get $q)))))))
        (i32.store offset=1024 (i32.shl (local.get $d) (i32.const 2))
          (i32.add (i32.load offset=1024 (i32.shl (local.get $d) (i32.const 2))) (i32.const 1)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (i32.load offset=1024 (i32.shl (local.get $d) (i32.const 2))))
  ;; The count's low bits shifted away (a count of 64 bits is below 128):
  ;; the address is known, the load dead.
  (func (export "count-shifted") (param $p i32) (result i32)
    (i32.load offset=1024 (i32.shl (i32.wrap_i64 (i64.shr_u (i64.popcnt (i64.load (local.get $p)))
                                                             (i64.const 7)))
                                   (i32.const 2))))
  ;; Only the count's sign tested: decided, the load dead.
  (func (export "count-sign") (param $p i32) (result i32)
    (i64.lt_s (i64.popcnt (i64.load (local.get $p))) (i64.const 0)))
;; The raytracer's sphere loop: n records of four adjacent doubles
  ;; (centre x, y, z, radius), which SLP loads as one <4 x double> and
  ;; takes apart by an extract and shuffles; every lane is computed on,
  ;; so the vector load's sink is dropped (sink_trim.c, lanes_kept).
  (func (export "spheres") (param $s i32) (param $n i32) (param $ox f64) (param $oy f64)
        (result f64)
    (local $best f64) (local $t f64) (local $dx f64) (local $dy f64)
    (local.set $best (f64.const 1e30))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $dx (f64.sub (local.get $ox) (f64.load (local.get $s))))
        (local.set $dy (f64.sub (local.get $oy) (f64.load offset=8 (local.get $s))))
        (local.set $t (f64.sub (f64.add (f64.mul (local.get $dx) (local.get $dx))
                                        (f64.mul (local.get $dy) (local.get $dy)))
                               (f64.mul (f64.load offset=24 (local.get $s))
                                        (f64.load offset=16 (local.get $s)))))
        ;; A store in the arm keeps the comparison a branch, as in the
        ;; raytracer (a select would not anchor the loads).
        (if (f64.lt (local.get $t) (local.get $best))
          (then (local.set $best (local.get $t)) (i32.store (i32.const 2048) (local.get $n))))
        (local.set $s (i32.add (local.get $s) (i32.const 32)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $best))
  ;; The same record's radius loaded but not used: that load keeps its
  ;; sink, and its trap.
  (func (export "spheres-unused-radius") (param $s i32) (param $n i32) (param $ox f64)
        (result f64)
    (local $best f64) (local $t f64)
    (local.set $best (f64.const 1e30))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (f64.add (f64.mul (local.get $ox) (f64.load (local.get $s)))
                               (f64.mul (f64.load offset=8 (local.get $s))
                                        (f64.load offset=16 (local.get $s)))))
        (drop (f64.load offset=24 (local.get $s)))
        (if (f64.lt (local.get $t) (local.get $best)) (then (local.set $best (local.get $t))))
        (local.set $s (i32.add (local.get $s) (i32.const 32)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $best))
  ;; A struct passed by value: the callee reads two adjacent doubles of
  ;; its argument, which SLP loads as one <2 x double> in straight-line
  ;; code; load_split.c splits it again.  Each half must still trap.
  (func (export "by-value") (param $v i32) (param $x f64) (param $y f64) (result f64)
    (f64.add (f64.mul (local.get $x) (f64.load (local.get $v)))
             (f64.mul (local.get $y) (f64.load offset=8 (local.get $v)))))
  (func (export "init")
    (f64.store (i32.const 64) (f64.const 0.5))
    (f64.store (i32.const 72) (f64.const 0.25))
    (i64.store (i32.const 96) (i64.const 0xff))
    (i64.store (i32.const 104) (i64.const 0x0f)))
  (func (export "init-spheres")
    (f64.store (i32.const 1024) (f64.const 1))
    (f64.store (i32.const 1032) (f64.const 2))
    (f64.store (i32.const 1040) (f64.const 0.5))
    (f64.store (i32.const 1048) (f64.const 4)))
)
(invoke "init")
(assert_return (invoke "pair" (i32.const 64) (i32.const 128) (f64.const 1) (f64.const 1))
               (f64.const 3.75))
(assert_return (invoke "pair" (i32.const 65520) (i32.const 128) (f64.const 1) (f64.const 1))
               (f64.const 6))
(assert_trap (invoke "pair" (i32.const 65524) (i32.const 128) (f64.const 1) (f64.const 1))
             "out of bounds memory access")
(assert_trap (invoke "pair" (i32.const 65528) (i32.const 128) (f64.const 1) (f64.const 1))
             "out of bounds memory access")
(assert_trap (invoke "pair" (i32.const 64) (i32.const 65532) (f64.const 1) (f64.const 1))
             "out of bounds memory access")
(assert_return (invoke "pairs" (i32.const 64) (i32.const 256) (i32.const 1)) (f64.const 1.5))
(assert_return (invoke "pairs" (i32.const 65520) (i32.const 256) (i32.const 1)) (f64.const 2))
(assert_trap (invoke "pairs" (i32.const 65504) (i32.const 256) (i32.const 3))
             "out of bounds memory access")
(assert_trap (invoke "pairs" (i32.const 65524) (i32.const 256) (i32.const 1))
             "out of bounds memory access")
;; strided: q = 128, p = 64: q0 = (q1 - 0.5) * p2, q1 = (q2 - p3) * p2.
(assert_return (invoke "strided" (i32.const 64) (i32.const 400) (i32.const 1)) (f64.const 0))
(assert_return (invoke "strided" (i32.const 65504) (i32.const 400) (i32.const 1)) (f64.const 0))
(assert_trap (invoke "strided" (i32.const 65505) (i32.const 400) (i32.const 1))
             "out of bounds memory access")
(assert_trap (invoke "strided" (i32.const 65400) (i32.const 400) (i32.const 3))
             "out of bounds memory access")
;; a = {0xff, 0x0f, 0, 0} at 96; b zero at 512: 8 + 4 bits, hist[12] counts every
;; pair (3, then 3 more before the trap at 65536, then 1).
(assert_return (invoke "hist4" (i32.const 96) (i32.const 512) (i32.const 3)) (i32.const 3))
(assert_trap (invoke "hist4" (i32.const 96) (i32.const 65510) (i32.const 1))
             "out of bounds memory access")
(assert_trap (invoke "hist4" (i32.const 96) (i32.const 65440) (i32.const 4))
             "out of bounds memory access")
(assert_return (invoke "hist4" (i32.const 96) (i32.const 65504) (i32.const 1)) (i32.const 7))
(assert_return (invoke "lane-stored" (i32.const 96) (i32.const 104)) (i64.const 0xff))
(assert_trap (invoke "lane-stored" (i32.const 65529) (i32.const 104)) "out of bounds memory access")
(assert_trap (invoke "lane-stored" (i32.const 96) (i32.const -1)) "out of bounds memory access")
(assert_return (invoke "lane-overwritten" (i32.const 96) (i32.const 9)) (i64.const 9))
(assert_trap (invoke "lane-overwritten" (i32.const 65529) (i32.const 9)) "out of bounds memory access")
(assert_return (invoke "lane-other" (i32.const 96)) (i64.const 6))
(assert_trap (invoke "lane-other" (i32.const 65532)) "out of bounds memory access")
;; popcount(0xff ^ 0) + popcount(0x0f ^ 0) = 12, twice.
(assert_return (invoke "hist" (i32.const 96) (i32.const 200) (i32.const 2)) (i32.const 2))
(assert_trap (invoke "hist" (i32.const 65529) (i32.const 200) (i32.const 1))
             "out of bounds memory access")
(assert_trap (invoke "hist" (i32.const 96) (i32.const 65504) (i32.const 3))
             "out of bounds memory access")
(assert_return (invoke "hist" (i32.const 65520) (i32.const 200) (i32.const 0)) (i32.const 0))
(assert_return (invoke "count-shifted" (i32.const 96)) (i32.const 0))
(assert_trap (invoke "count-shifted" (i32.const 65530)) "out of bounds memory access")
(assert_trap (invoke "count-sign" (i32.const 65535)) "out of bounds memory access")
;; spheres at 1024: {1, 2, 0.5, 4} then {0, 0, 0, 0}; from (1, 2): 0 - 2, then 5 - 0.
(invoke "init-spheres")
(assert_return (invoke "spheres" (i32.const 1024) (i32.const 2) (f64.const 1) (f64.const 2))
               (f64.const -2))
(assert_return (invoke "spheres" (i32.const 65504) (i32.const 1) (f64.const 0) (f64.const 0))
               (f64.const 0))
(assert_trap (invoke "spheres" (i32.const 65505) (i32.const 1) (f64.const 0) (f64.const 0))
             "out of bounds memory access")
(assert_trap (invoke "spheres" (i32.const 65450) (i32.const 3) (f64.const 0) (f64.const 0))
             "out of bounds memory access")
(assert_trap (invoke "spheres" (i32.const 65528) (i32.const 1) (f64.const 0) (f64.const 0))
             "out of bounds memory access")
(assert_return (invoke "spheres-unused-radius" (i32.const 1024) (i32.const 1) (f64.const 2))
               (f64.const 3))
(assert_trap (invoke "spheres-unused-radius" (i32.const 65505) (i32.const 1) (f64.const 2))
             "out of bounds memory access")
(assert_trap (invoke "spheres-unused-radius" (i32.const 65512) (i32.const 1) (f64.const 2))
             "out of bounds memory access")
(assert_return (invoke "by-value" (i32.const 1024) (f64.const 2) (f64.const 3)) (f64.const 8))
(assert_return (invoke "by-value" (i32.const 65520) (f64.const 2) (f64.const 3)) (f64.const 0))
(assert_trap (invoke "by-value" (i32.const 65521) (f64.const 2) (f64.const 3))
             "out of bounds memory access")
(assert_trap (invoke "by-value" (i32.const 65529) (f64.const 2) (f64.const 3))
             "out of bounds memory access")
