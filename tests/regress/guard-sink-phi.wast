;; Guard mode: the sink add of a phi of loads.  When both arms of a
;; diamond load and fold the value into the sink, SimplifyCFG sinks the
;; two adds into the join as one add of `phi [load a, then], [load b,
;; else]`; sink_trim drops that add when each load is kept by a use in its
;; own arm (editdist's LCS loop).  Each arm's load must still trap on its
;; own path, the other arm's address being out of bounds must not trap,
;; and loads whose phi has no real use keep their sink.
(module
  (memory 1 1)
  ;; cur[j] = a[j] == b[j] ? prev[j-1] + 1 : max_u(prev[j], cur[j-1]),
  ;; j = 1..n, 4-byte cells; returns cur[n].
  (func (export "lcs-row") (param $a i32) (param $b i32) (param $prev i32)
        (param $cur i32) (param $n i32) (result i32)
    (local $j i32) (local $left i32) (local $up i32)
    (local.set $j (i32.const 1))
    (i32.store (local.get $cur) (i32.const 0))
    (block $done
      (loop $row
        (br_if $done (i32.gt_u (local.get $j) (local.get $n)))
        (if (i32.eq (i32.load8_u (i32.add (local.get $a) (local.get $j)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $j))))
          (then
            (local.set $left
              (i32.add (i32.load (i32.add (local.get $prev)
                                          (i32.shl (i32.sub (local.get $j) (i32.const 1))
                                                   (i32.const 2))))
                       (i32.const 1))))
          (else
            (local.set $up (i32.load (i32.add (local.get $prev)
                                              (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $left
              (select (local.get $up) (local.get $left)
                      (i32.gt_u (local.get $up) (local.get $left))))))
        (i32.store (i32.add (local.get $cur) (i32.shl (local.get $j) (i32.const 2)))
                   (local.get $left))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $row)))
    (local.get $left))
  ;; Straight-line diamond: each arm loads, the phi is stored.
  (func (export "diamond") (param $c i32) (param $p i32) (param $q i32) (result i32)
    (local $x i32)
    (if (local.get $c)
      (then (local.set $x (i32.add (i32.load (local.get $p)) (i32.const 1))))
      (else (local.set $x (i32.load (local.get $q)))))
    (i32.store (i32.const 0) (local.get $x))
    (i32.load (i32.const 0)))
  ;; The same in a loop, the phi only masked to nothing: both loads are
  ;; dead, their sinks are all that keeps their traps.
  (func (export "diamond-dead") (param $c i32) (param $p i32) (param $q i32) (param $n i32)
        (result i32)
    (local $x i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (if (local.get $c)
          (then (local.set $x (i32.load (local.get $p))))
          (else (local.set $x (i32.load (local.get $q)))))
        (local.set $s (i32.add (local.get $s) (i32.and (local.get $x) (i32.const 0))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))
  ;; Arms whose loads are only partly used (a truncation, a mask): the
  ;; phi's add keeps its sink.
  (func (export "diamond-narrow") (param $c i32) (param $p i32) (param $q i32) (param $n i32)
        (result i32)
    (local $x i64) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (if (local.get $c)
          (then (local.set $x (i64.load (local.get $p))))
          (else (local.set $x (i64.load (local.get $q)))))
        (local.set $s (i32.add (local.get $s)
                               (i32.and (i32.wrap_i64 (local.get $x)) (i32.const 0xff))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func (export "init")
    ;; a = "ACGTACGT" at 100, b = "AGGTCCGA" at 200, prev = 0..8 at 300.
    (i64.store (i32.const 100) (i64.const 0x5447434154474341))
    (i64.store (i32.const 200) (i64.const 0x4147434354474741))
    (i32.store (i32.const 304) (i32.const 1))
    (i32.store (i32.const 308) (i32.const 2))
    (i32.store (i32.const 312) (i32.const 3))
    (i32.store (i32.const 316) (i32.const 4))
    (i32.store (i32.const 320) (i32.const 5))
    (i32.store (i32.const 324) (i32.const 6))
    (i32.store (i32.const 328) (i32.const 7))
    (i32.store (i32.const 332) (i32.const 8)))
)
(invoke "init")
;; a[1..7] = CGTACGT, b[1..7] = GGTCCGA (a[j] == b[j] at j = 2, 3, 5, 6).
(assert_return (invoke "lcs-row" (i32.const 99) (i32.const 199) (i32.const 300)
                               (i32.const 400) (i32.const 7)) (i32.const 7))
(assert_return (invoke "lcs-row" (i32.const 100) (i32.const 200) (i32.const 300)
                               (i32.const 400) (i32.const 0)) (i32.const 0))
;; prev near the end: prev[j] (the else arm, j = 1) is out of bounds.
(assert_trap (invoke "lcs-row" (i32.const 100) (i32.const 200) (i32.const 65530)
                             (i32.const 400) (i32.const 1)) "out of bounds memory access")
;; Equal bytes (a = b): only the then arm runs, prev[j-1] out of bounds at j = 2.
(assert_trap (invoke "lcs-row" (i32.const 100) (i32.const 100) (i32.const 65528)
                             (i32.const 400) (i32.const 4)) "out of bounds memory access")
;; Equal bytes, prev[j-1] in bounds for j = 1 only: no trap, the else
;; arm's prev[j] (out of bounds) never runs.
(assert_return (invoke "lcs-row" (i32.const 100) (i32.const 100) (i32.const 65532)
                               (i32.const 400) (i32.const 1)) (i32.const 1))
;; cur out of bounds: the store traps.
(assert_trap (invoke "lcs-row" (i32.const 100) (i32.const 200) (i32.const 300)
                             (i32.const 65532) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke "diamond" (i32.const 1) (i32.const 304) (i32.const 65536)) (i32.const 2))
(assert_return (invoke "diamond" (i32.const 0) (i32.const -4) (i32.const 308)) (i32.const 2))
(assert_trap (invoke "diamond" (i32.const 1) (i32.const 65533) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "diamond" (i32.const 0) (i32.const 0) (i32.const -1)) "out of bounds memory access")
(assert_return (invoke "diamond-dead" (i32.const 1) (i32.const 304) (i32.const 65536) (i32.const 3)) (i32.const 0))
(assert_return (invoke "diamond-dead" (i32.const 1) (i32.const 65536) (i32.const 0) (i32.const 0)) (i32.const 0))
(assert_trap (invoke "diamond-dead" (i32.const 1) (i32.const 65533) (i32.const 0) (i32.const 3)) "out of bounds memory access")
(assert_trap (invoke "diamond-dead" (i32.const 0) (i32.const 0) (i32.const 65536) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke "diamond-narrow" (i32.const 0) (i32.const 65536) (i32.const 304) (i32.const 2)) (i32.const 2))
(assert_trap (invoke "diamond-narrow" (i32.const 1) (i32.const 65529) (i32.const 0) (i32.const 2)) "out of bounds memory access")
(assert_trap (invoke "diamond-narrow" (i32.const 0) (i32.const 0) (i32.const 65532) (i32.const 1)) "out of bounds memory access")
