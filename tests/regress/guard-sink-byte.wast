;; Guard mode's sink trim for one-byte loads (compiler/sink_trim.c,
;; byte_anchored): a byte load cannot be narrowed, so a use in its block
;; that needs some of its bits (a mask, a sign test, a shift by a
;; constant, a compare with zero) keeps it as well as a use of all of
;; them, and its sink is dropped.  Each export reads its last byte at p;
;; p = 65535 is in bounds, 65536 (or, for two bytes, 65535) is not.
;; Some uses below are decided without the byte (a mask that keeps none of
;; its bits, a compare at an end of its range): the byte must keep its
;; sink and still trap.  Run by make test-regress in both bounds modes at
;; -O0 and -O2.
(module
  (memory 1)
  (func (export "sign") (param $p i32) (result i32)
    (i32.lt_s (i32.load8_s (local.get $p)) (i32.const 0)))
  (func (export "top_bit") (param $p i32) (result i32)
    (i32.ne (i32.and (i32.load8_u (local.get $p)) (i32.const 0x80)) (i32.const 0)))
  (func (export "low7_shifted") (param $p i32) (result i64)
    (i64.shl (i64.and (i64.load8_u (local.get $p)) (i64.const 0x7f)) (i64.const 57)))
  (func (export "branch_on_bit") (param $p i32) (result i32)
    (if (result i32) (i32.and (i32.load8_u (local.get $p)) (i32.const 1))
      (then (i32.const 7)) (else (i32.const 9))))
  (func (export "varint2") (param $p i32) (result i32) (local $b i32)
    (local.set $b (i32.load8_u (local.get $p)))
    (if (result i32) (i32.lt_u (local.get $b) (i32.const 0x80))
      (then (local.get $b))
      (else (i32.or (i32.shl (i32.and (local.get $b) (i32.const 0x7f)) (i32.const 7))
                    (i32.load8_u offset=1 (local.get $p))))))
  (func (export "store_bits") (param $p i32)
    (i32.store8 (i32.const 0) (i32.shr_u (i32.load8_u (local.get $p)) (i32.const 4))))
  ;; Decided without the byte: its value is dead after optimisation.
  (func (export "mask_none") (param $p i32) (result i32)
    (i32.and (i32.load8_u (local.get $p)) (i32.const 0x100)))
  (func (export "shift_out") (param $p i32) (result i32)
    (i32.shr_u (i32.load8_u (local.get $p)) (i32.const 8)))
  (func (export "eq_impossible") (param $p i32) (result i32)
    (i32.eq (i32.and (i32.load8_u (local.get $p)) (i32.const 0x80)) (i32.const 0x100)))
  (func (export "below_zero") (param $p i32) (result i32)
    (i32.lt_u (i32.load8_u (local.get $p)) (i32.const 0)))
  (func (export "above_max") (param $p i32) (result i32)
    (i32.gt_s (i32.load8_s (local.get $p)) (i32.const 127)))
  ;; Used only in another block: code generation could sink the load there.
  (func (export "bit_after_branch") (param $p i32) (param $c i32) (result i32) (local $b i32)
    (local.set $b (i32.load8_u (local.get $p)))
    (if (result i32) (local.get $c)
      (then (i32.and (local.get $b) (i32.const 0x80))) (else (i32.const 0)))))

(assert_return (invoke "sign" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "sign" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "top_bit" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "top_bit" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "low7_shifted" (i32.const 65535)) (i64.const 0))
(assert_trap (invoke "low7_shifted" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "branch_on_bit" (i32.const 65535)) (i32.const 9))
(assert_trap (invoke "branch_on_bit" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "varint2" (i32.const 65534)) (i32.const 0))
(assert_trap (invoke "varint2" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "store_bits" (i32.const 65535)))
(assert_trap (invoke "store_bits" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "mask_none" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "mask_none" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "shift_out" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "shift_out" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "eq_impossible" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "eq_impossible" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "below_zero" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "below_zero" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "above_max" (i32.const 65535)) (i32.const 0))
(assert_trap (invoke "above_max" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "bit_after_branch" (i32.const 65535) (i32.const 1)) (i32.const 0))
(assert_trap (invoke "bit_after_branch" (i32.const 65536) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "bit_after_branch" (i32.const 65536) (i32.const 1)) "out of bounds memory access")
