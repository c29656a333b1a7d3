;; Relaxed SIMD (docs/relaxed-simd.md): each result is one of kiln's two
;; choices, the x86-64 one (SSE semantics) or the portable one (the exact
;; non-relaxed instruction, aarch64 and riscv64), never a third result the
;; spec would also allow.  The *_alike exports check that a choice does
;; not depend on whether -O2 constant-folds it: the same operation on
;; constants and on parameters holding those constants is compared lane
;; by lane (all ones: equal).  Run by make test-regress (kiln-spec
;; --enable-relaxed-simd) in both bounds modes at -O0 and -O2.  The dot
;; products use the names wabt 1.0.32 knows (i16x8.dot_i8x16_i7x16_s: the
;; spec's i16x8.relaxed_dot_i8x16_i7x16_s, same encoding).
(module
  (func (export "swizzle") (param v128 v128) (result v128)
    (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
  (func (export "trunc_f32_s") (param v128) (result v128)
    (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
  (func (export "trunc_f32_u") (param v128) (result v128)
    (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
  (func (export "trunc_f64_s") (param v128) (result v128)
    (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
  (func (export "trunc_f64_u") (param v128) (result v128)
    (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
  (func (export "madd_f32") (param v128 v128 v128) (result v128)
    (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "nmadd_f64") (param v128 v128 v128) (result v128)
    (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
  (func (export "laneselect_i16") (param v128 v128 v128) (result v128)
    (i16x8.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "laneselect_i32") (param v128 v128 v128) (result v128)
    (i32x4.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "laneselect_i64") (param v128 v128 v128) (result v128)
    (i64x2.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
  (func (export "min_f32") (param v128 v128) (result v128)
    (f32x4.relaxed_min (local.get 0) (local.get 1)))
  (func (export "max_f64") (param v128 v128) (result v128)
    (f64x2.relaxed_max (local.get 0) (local.get 1)))
  (func (export "q15mulr") (param v128 v128) (result v128)
    (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
  (func (export "dot") (param v128 v128) (result v128)
    (i16x8.dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
  (func (export "dot_add") (param v128 v128 v128) (result v128)
    (i32x4.dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))

  (func (export "madd_alike") (param v128 v128 v128) (result v128)
    (i32x4.eq
      (f32x4.relaxed_madd (v128.const i32x4 0x3f800001 0x3f800001 0x3f800001 0x3f800001)
                          (v128.const i32x4 0x3f800001 0x3f800001 0x3f800001 0x3f800001)
                          (v128.const i32x4 0xbf800002 0xbf800002 0xbf800002 0xbf800002))
      (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))
  (func (export "nmadd_alike") (param v128 v128 v128) (result v128)
    (i64x2.eq
      (f64x2.relaxed_nmadd (v128.const i64x2 0x3ff0000000000001 0x3ff0000000000001)
                           (v128.const i64x2 0x3ff0000000000001 0x3ff0000000000001)
                           (v128.const i64x2 0x3ff0000000000002 0x3ff0000000000002))
      (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2))))
  (func (export "swizzle_alike") (param v128 v128) (result v128)
    (i8x16.eq
      (i8x16.relaxed_swizzle (v128.const i8x16 0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18 0x19 0x1a 0x1b 0x1c 0x1d 0x1e 0x1f)
                             (v128.const i8x16 0 15 16 17 0x7f 0x80 0xff 31 1 2 3 4 5 6 7 8))
      (i8x16.relaxed_swizzle (local.get 0) (local.get 1))))
  (func (export "trunc_alike") (param v128) (result v128)
    (i32x4.eq
      (i32x4.relaxed_trunc_f32x4_s (v128.const f32x4 nan 3e9 -3e9 -1.5))
      (i32x4.relaxed_trunc_f32x4_s (local.get 0))))
  (func (export "minmax_alike") (param v128 v128) (result v128)
    (i32x4.eq
      (f32x4.relaxed_min (v128.const f32x4 -0.0 0.0 1.0 -inf) (v128.const f32x4 0.0 -0.0 2.0 inf))
      (f32x4.relaxed_min (local.get 0) (local.get 1))))
  (func (export "q15_dot_alike") (param v128 v128) (result v128)
    (v128.and
      (i16x8.eq
        (i16x8.relaxed_q15mulr_s (v128.const i16x8 -32768 -32768 16384 -1 0 0 0 0)
                                 (v128.const i16x8 -32768 32767 16384 -1 0 0 0 0))
        (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
      (i16x8.eq
        (i16x8.dot_i8x16_i7x16_s (v128.const i16x8 -32768 -32768 16384 -1 0 0 0 0)
                                         (v128.const i16x8 -32768 32767 16384 -1 0 0 0 0))
        (i16x8.dot_i8x16_i7x16_s (local.get 0) (local.get 1)))))
)

;; Indices: below 16 exact; 16..127 (x86: a[i & 15], portable: 0); 128..255: 0.
(assert_return (invoke "swizzle"
    (v128.const i8x16 0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18 0x19 0x1a 0x1b 0x1c 0x1d 0x1e 0x1f)
    (v128.const i8x16 0 15 16 17 0x7f 0x80 0xff 31 1 2 3 4 5 6 7 8))
  (either (v128.const i8x16 0x10 0x1f 0x10 0x11 0x1f 0 0 0x1f 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18)
          (v128.const i8x16 0x10 0x1f 0 0 0 0 0 0 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18)))

;; NaN and out of range: x86 cvttps2dq gives INT32_MIN, the portable form saturates.
(assert_return (invoke "trunc_f32_s" (v128.const f32x4 nan 3e9 -3e9 -1.5))
  (either (v128.const i32x4 0x80000000 0x80000000 0x80000000 -1)
          (v128.const i32x4 0 0x7fffffff 0x80000000 -1)))
(assert_return (invoke "trunc_f32_u" (v128.const f32x4 nan 5e9 -1 1.5))
  (v128.const i32x4 0 0xffffffff 0 1))
(assert_return (invoke "trunc_f64_s" (v128.const f64x2 nan 1e10))
  (either (v128.const i32x4 0x80000000 0x80000000 0 0)
          (v128.const i32x4 0 0x7fffffff 0 0)))
(assert_return (invoke "trunc_f64_u" (v128.const f64x2 -1e10 1e10))
  (v128.const i32x4 0 0xffffffff 0 0))

;; (1 + 2^-23)^2 - (1 + 2^-22) is 2^-46 fused, 0 rounded twice.
(assert_return (invoke "madd_f32"
    (v128.const i32x4 0x3f800001 0x3f800001 0x3f800000 0x3f800000)
    (v128.const i32x4 0x3f800001 0x3f800001 0x40000000 0x40000000)
    (v128.const i32x4 0xbf800002 0xbf800002 0x3f800000 0x3f800000))
  (either (v128.const f32x4 0x1p-46 0x1p-46 3.0 3.0)
          (v128.const f32x4 0.0 0.0 3.0 3.0)))
;; -(1 + 2^-52)^2 + (1 + 2^-51) is -2^-104 fused, 0 rounded twice.
(assert_return (invoke "nmadd_f64"
    (v128.const i64x2 0x3ff0000000000001 0x3ff0000000000001)
    (v128.const i64x2 0x3ff0000000000001 0x3ff0000000000001)
    (v128.const i64x2 0x3ff0000000000002 0x3ff0000000000002))
  (either (v128.const f64x2 -0x1p-104 -0x1p-104)
          (v128.const f64x2 0.0 0.0)))

;; Masks of all ones or zeros select lanes; 0x0080 is x86's byte-wise
;; blend (byte 0 from a, byte 1 from b) or a bitselect.
(assert_return (invoke "laneselect_i16"
    (v128.const i16x8 0x1234 0x1234 0x1234 0 0 0 0 0)
    (v128.const i16x8 0x5678 0x5678 0x5678 0 0 0 0 0)
    (v128.const i16x8 0xffff 0 0x0080 0 0 0 0 0))
  (either (v128.const i16x8 0x1234 0x5678 0x5634 0 0 0 0 0)
          (v128.const i16x8 0x1234 0x5678 0x5678 0 0 0 0 0)))
(assert_return (invoke "laneselect_i32"
    (v128.const i32x4 0x11111111 0x11111111 0x11111111 0x11111111)
    (v128.const i32x4 0x22222222 0x22222222 0x22222222 0x22222222)
    (v128.const i32x4 0xffffffff 0 0x80000000 0x7fffffff))
  (either (v128.const i32x4 0x11111111 0x22222222 0x11111111 0x22222222)
          (v128.const i32x4 0x11111111 0x22222222 0x22222222 0x11111111)))
(assert_return (invoke "laneselect_i64"
    (v128.const i64x2 0x1111111111111111 0x1111111111111111)
    (v128.const i64x2 0x2222222222222222 0x2222222222222222)
    (v128.const i64x2 0x8000000000000000 -1))
  (either (v128.const i64x2 0x1111111111111111 0x1111111111111111)
          (v128.const i64x2 0x2222222222222222 0x1111111111111111)))

;; x86 minps/maxps give the second operand for a NaN or two zeros.
(assert_return (invoke "min_f32" (v128.const f32x4 nan 1.0 -0.0 0.0) (v128.const f32x4 1.0 nan 0.0 -0.0))
  (either (v128.const f32x4 1.0 nan:canonical 0.0 -0.0)
          (v128.const f32x4 nan:canonical nan:canonical -0.0 -0.0)))
(assert_return (invoke "min_f32" (v128.const f32x4 1.0 -2.0 inf -inf) (v128.const f32x4 2.0 -3.0 0.5 0.5))
  (v128.const f32x4 1.0 -3.0 0.5 -inf))
(assert_return (invoke "max_f64" (v128.const f64x2 0.0 nan) (v128.const f64x2 -0.0 2.0))
  (either (v128.const f64x2 -0.0 2.0)
          (v128.const f64x2 0.0 nan:canonical)))

;; INT16_MIN * INT16_MIN: x86 pmulhrsw wraps, the portable form saturates.
(assert_return (invoke "q15mulr" (v128.const i16x8 -32768 -32768 16384 -1 0 0 0 0)
                                 (v128.const i16x8 -32768 32767 16384 -1 0 0 0 0))
  (either (v128.const i16x8 -32768 -32767 8192 0 0 0 0 0)
          (v128.const i16x8 32767 -32767 8192 0 0 0 0 0)))

;; b = -127 (top bit set): x86 pmaddubsw reads it as 129 and saturates.
(assert_return (invoke "dot" (v128.const i8x16 -128 -128 3 4 0 0 0 0 0 0 0 0 0 0 0 0)
                             (v128.const i8x16 -127 -127 5 6 0 0 0 0 0 0 0 0 0 0 0 0))
  (either (v128.const i16x8 -32768 39 0 0 0 0 0 0)
          (v128.const i16x8 32512 39 0 0 0 0 0 0)))
(assert_return (invoke "dot_add" (v128.const i8x16 -128 -128 -128 -128 1 2 3 4 0 0 0 0 0 0 0 0)
                                 (v128.const i8x16 -127 -127 -127 -127 5 6 7 8 0 0 0 0 0 0 0 0)
                                 (v128.const i32x4 1 2 3 4))
  (either (v128.const i32x4 -65535 72 3 4)
          (v128.const i32x4 65025 72 3 4)))

(assert_return (invoke "madd_alike"
    (v128.const i32x4 0x3f800001 0x3f800001 0x3f800001 0x3f800001)
    (v128.const i32x4 0x3f800001 0x3f800001 0x3f800001 0x3f800001)
    (v128.const i32x4 0xbf800002 0xbf800002 0xbf800002 0xbf800002))
  (v128.const i32x4 -1 -1 -1 -1))
(assert_return (invoke "nmadd_alike"
    (v128.const i64x2 0x3ff0000000000001 0x3ff0000000000001)
    (v128.const i64x2 0x3ff0000000000001 0x3ff0000000000001)
    (v128.const i64x2 0x3ff0000000000002 0x3ff0000000000002))
  (v128.const i64x2 -1 -1))
(assert_return (invoke "swizzle_alike"
    (v128.const i8x16 0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 0x18 0x19 0x1a 0x1b 0x1c 0x1d 0x1e 0x1f)
    (v128.const i8x16 0 15 16 17 0x7f 0x80 0xff 31 1 2 3 4 5 6 7 8))
  (v128.const i8x16 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1 -1))
(assert_return (invoke "trunc_alike" (v128.const f32x4 nan 3e9 -3e9 -1.5))
  (v128.const i32x4 -1 -1 -1 -1))
(assert_return (invoke "minmax_alike" (v128.const f32x4 -0.0 0.0 1.0 -inf) (v128.const f32x4 0.0 -0.0 2.0 inf))
  (v128.const i32x4 -1 -1 -1 -1))
(assert_return (invoke "q15_dot_alike" (v128.const i16x8 -32768 -32768 16384 -1 0 0 0 0)
                                       (v128.const i16x8 -32768 32767 16384 -1 0 0 0 0))
  (v128.const i16x8 -1 -1 -1 -1 -1 -1 -1 -1))
