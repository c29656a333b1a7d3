;; Guard mode's sink outside loops: the accumulator is byte-swapped before
;; each add (acc = bswap(acc) + v), so that the SLP vectorizer finds no
;; chain of adds to take for a horizontal reduction; loops keep plain adds
;; for the loop vectorizer; sink_trim removes the bswaps after the
;; pipeline (compiler/lower_memory.c, load_sink; docs/sandbox.md).  Each
;; export below has loads the new shape must keep: runs of consecutive
;; loads SLP would have packed, of which only the last is out of bounds;
;; narrow loads whose value is dead; loads of one address GVN merges and
;; the program cancels; loads before, in and after a loop; a loop
;; dispatching through br_table.  Run by make test-regress in both bounds
;; modes at -O0 and -O2.
(module
  (memory 1)
  ;; Four consecutive i32 loads, values dead: the last one from p + 12.
  (func (export "run4_dead") (param $p i32)
    (drop (i32.load (local.get $p)))
    (drop (i32.load offset=4 (local.get $p)))
    (drop (i32.load offset=8 (local.get $p)))
    (drop (i32.load offset=12 (local.get $p))))
  ;; Eight consecutive i64 loads summed, only the low byte of the sum used.
  (func (export "run8_low_byte") (param $p i32) (result i64)
    (i64.and
      (i64.add
        (i64.add (i64.add (i64.load (local.get $p)) (i64.load offset=8 (local.get $p)))
                 (i64.add (i64.load offset=16 (local.get $p)) (i64.load offset=24 (local.get $p))))
        (i64.add (i64.add (i64.load offset=32 (local.get $p)) (i64.load offset=40 (local.get $p)))
                 (i64.add (i64.load offset=48 (local.get $p)) (i64.load offset=56 (local.get $p)))))
      (i64.const 0xff)))
  ;; Byte loads: dead, or only a bit of them used.
  (func (export "byte_dead") (param $p i32)
    (drop (i32.load8_u (local.get $p))))
  (func (export "bytes_dead") (param $p i32)
    (drop (i32.load8_u (local.get $p)))
    (drop (i32.load8_s offset=1 (local.get $p)))
    (drop (i64.load8_u offset=2 (local.get $p)))
    (drop (i32.load8_u offset=3 (local.get $p)))
    (drop (i32.load16_u offset=4 (local.get $p))))
  (func (export "byte_bit") (param $p i32) (result i32)
    (i32.and (i32.load8_u offset=3 (local.get $p)) (i32.const 0x80)))
  ;; A big-endian 32-bit integer from four byte loads, only its sign used.
  (func (export "be32_sign") (param $p i32) (result i32)
    (i32.lt_s
      (i32.or
        (i32.or (i32.shl (i32.load8_u (local.get $p)) (i32.const 24))
                (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 16)))
        (i32.or (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 8))
                (i32.load8_u offset=3 (local.get $p))))
      (i32.const 0)))
  ;; One address loaded twice around other loads (GVN merges them), the
  ;; two values cancelled by the program.
  (func (export "same_twice") (param $p i32) (result i32)
    (i32.sub
      (i32.add (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))
      (i32.add (i32.load offset=4 (local.get $p)) (i32.load (local.get $p)))))
  (func (export "same_xor") (param $p i32) (result i64)
    (i64.xor (i64.xor (i64.load (local.get $p)) (i64.load8_u offset=9 (local.get $p)))
             (i64.xor (i64.load (local.get $p)) (i64.load8_u offset=9 (local.get $p)))))
  ;; A dead load before a loop, a summing loop, a dead load after it.
  (func (export "around_loop") (param $before i32) (param $n i32) (param $after i32) (result i32)
    (local $i i32) (local $s i32)
    (drop (i32.load (local.get $before)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (drop (i32.load8_u (local.get $after)))
    (local.get $s))
  ;; An interpreter's loop: br_table dispatch on the byte at pc (set by
  ;; set_ops), each arm a dead load, op 3 ends it.
  (func (export "dispatch") (param $p i32) (result i32) (local $pc i32)
    (block $exit (loop $next
      (block $op2 (block $op1 (block $op0
        (br_table $op0 $op1 $op2 $exit (i32.load8_u (local.get $pc))))
        (drop (i32.load (local.get $p)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
        (drop (i64.load (local.get $p)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
        (br $next))
      (drop (i32.load8_u offset=65535 (local.get $p)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (br $next)))
    (local.get $pc))
  (func (export "set_ops") (param i32 i32 i32 i32)
    (i32.store8 (i32.const 0) (local.get 0)) (i32.store8 (i32.const 1) (local.get 1))
    (i32.store8 (i32.const 2) (local.get 2)) (i32.store8 (i32.const 3) (local.get 3))))

(assert_return (invoke "run4_dead" (i32.const 65520)))
(assert_trap (invoke "run4_dead" (i32.const 65521)) "out of bounds memory access")
(assert_trap (invoke "run4_dead" (i32.const 65524)) "out of bounds memory access")
(assert_return (invoke "run8_low_byte" (i32.const 65472)) (i64.const 0))
(assert_trap (invoke "run8_low_byte" (i32.const 65473)) "out of bounds memory access")
(assert_trap (invoke "run8_low_byte" (i32.const 65480)) "out of bounds memory access")
(assert_return (invoke "byte_dead" (i32.const 65535)))
(assert_trap (invoke "byte_dead" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "bytes_dead" (i32.const 65530)))
(assert_trap (invoke "bytes_dead" (i32.const 65531)) "out of bounds memory access")
(assert_trap (invoke "bytes_dead" (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke "byte_bit" (i32.const 65532)) (i32.const 0))
(assert_trap (invoke "byte_bit" (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke "be32_sign" (i32.const 65532)) (i32.const 0))
(assert_trap (invoke "be32_sign" (i32.const 65533)) "out of bounds memory access")
(assert_trap (invoke "be32_sign" (i32.const 65535)) "out of bounds memory access")
(assert_return (invoke "same_twice" (i32.const 65528)) (i32.const 0))
(assert_trap (invoke "same_twice" (i32.const 65529)) "out of bounds memory access")
(assert_trap (invoke "same_twice" (i32.const 65533)) "out of bounds memory access")
(assert_return (invoke "same_xor" (i32.const 65526)) (i64.const 0))
(assert_trap (invoke "same_xor" (i32.const 65527)) "out of bounds memory access")
(assert_trap (invoke "same_xor" (i32.const 65529)) "out of bounds memory access")
(assert_return (invoke "around_loop" (i32.const 65532) (i32.const 16384) (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "around_loop" (i32.const 65533) (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "around_loop" (i32.const 0) (i32.const 16385) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "around_loop" (i32.const 0) (i32.const 4) (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "set_ops" (i32.const 0) (i32.const 1) (i32.const 2) (i32.const 3)))
(assert_return (invoke "dispatch" (i32.const 0)) (i32.const 3))
(assert_trap (invoke "dispatch" (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "dispatch" (i32.const 65529)) "out of bounds memory access")
(assert_trap (invoke "dispatch" (i32.const 65533)) "out of bounds memory access")
