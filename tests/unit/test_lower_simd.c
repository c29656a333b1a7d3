/* Unit tests for compiler/lower_simd.c: each instruction is lowered,
 * optimised at O2, JIT-compiled (baseline x86-64 unless KILN_TEST_CPU
 * says otherwise) and run on edge cases of its family. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "lower_jit.h"

/* ---- v128 constructors ---------------------------------------------------- */

static kiln_val v_bytes(const void *p) {
    kiln_val v;
    memcpy(v.v128, p, 16);
    return v;
}
#define V8(...) v_bytes((const int8_t[16]){__VA_ARGS__})
#define VU8(...) v_bytes((const uint8_t[16]){__VA_ARGS__})
#define V16(...) v_bytes((const int16_t[8]){__VA_ARGS__})
#define V32(...) v_bytes((const int32_t[4]){__VA_ARGS__})
#define V64(...) v_bytes((const int64_t[2]){__VA_ARGS__})
#define VF32(...) v_bytes((const float[4]){__VA_ARGS__})
#define VF64(...) v_bytes((const double[2]){__VA_ARGS__})
#define SPLAT8(x) V8(x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x)
#define SPLAT16(x) V16(x, x, x, x, x, x, x, x)

static kiln_val S32(int32_t x) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.i32 = x;
    return v;
}
static kiln_val S64(int64_t x) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.i64 = x;
    return v;
}
static kiln_val SF32(float x) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.f32 = x;
    return v;
}
static float f32_of_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}
static double f64_of_bits(uint64_t b) {
    double d;
    memcpy(&d, &b, 8);
    return d;
}

#define F32_SNAN 0x7fa00000u
#define F64_SNAN 0x7ff4000000000000ull

static const kiln_val NONE;

/* Runs `insn` on up to three operands. */
static kiln_val run_insn(const kiln_insn *insn, kiln_val a, kiln_val b, kiln_val c) {
    kiln_val args[3] = {a, b, c}, out;
    memset(&out, 0xAB, sizeof out);
    jit_entry f = insn->imm.lane || insn->op == KILN_OP_I8X16_SHUFFLE
                      ? jit_compile(insn, lower_simd, 0, NULL)
                      : jit_get((kiln_opcode)insn->op, lower_simd);
    cr_assert_not_null(f, "%s not lowered", kiln_opcode_table[insn->op].text);
    cr_assert_eq(f(args, &out), 0);
    return out;
}

static kiln_val run3(kiln_opcode op, kiln_val a, kiln_val b, kiln_val c) {
    kiln_insn insn = {.op = (uint16_t)op};
    return run_insn(&insn, a, b, c);
}
static kiln_val run2(kiln_opcode op, kiln_val a, kiln_val b) { return run3(op, a, b, NONE); }
static kiln_val run1(kiln_opcode op, kiln_val a) { return run3(op, a, NONE, NONE); }
static kiln_val run_lane(kiln_opcode op, uint8_t lane, kiln_val a, kiln_val b) {
    kiln_insn insn = {.op = (uint16_t)op};
    insn.imm.lane = lane;
    return run_insn(&insn, a, b, NONE);
}

static void expect_v(kiln_opcode op, kiln_val got, kiln_val want) {
    char g[40], w[40];
    for (int i = 0; i < 16; i++) {
        sprintf(g + 2 * i, "%02x", got.v128[i]);
        sprintf(w + 2 * i, "%02x", want.v128[i]);
    }
    cr_expect(memcmp(got.v128, want.v128, 16) == 0, "%s: got %s want %s (bytes, lane 0 first)",
              kiln_opcode_table[op].text, g, w);
}
#define EXPECT1(op, a, want) expect_v(op, run1(op, a), want)
#define EXPECT2(op, a, b, want) expect_v(op, run2(op, a, b), want)

/* ---- lanes ---------------------------------------------------------------- */

Test(lower_simd, splat_truncates_and_fills_every_lane) {
    EXPECT1(KILN_OP_I8X16_SPLAT, S32(0x1ff), SPLAT8(-1));
    EXPECT1(KILN_OP_I16X8_SPLAT, S32(0x12345), SPLAT16(0x2345));
    EXPECT1(KILN_OP_I32X4_SPLAT, S32(-7), V32(-7, -7, -7, -7));
    EXPECT1(KILN_OP_I64X2_SPLAT, S64(INT64_MIN), V64(INT64_MIN, INT64_MIN));
    EXPECT1(KILN_OP_F32X4_SPLAT, SF32(-0.0f), V32(INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN));
    kiln_val snan = S64((int64_t)F64_SNAN);
    EXPECT1(KILN_OP_F64X2_SPLAT, snan, V64((int64_t)F64_SNAN, (int64_t)F64_SNAN));
}

Test(lower_simd, extract_lane_sign_or_zero_extends) {
    kiln_val v = V8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, -128);
    cr_expect_eq(run_lane(KILN_OP_I8X16_EXTRACT_LANE_S, 15, v, NONE).i32, -128);
    cr_expect_eq(run_lane(KILN_OP_I8X16_EXTRACT_LANE_U, 15, v, NONE).i32, 128);
    cr_expect_eq(run_lane(KILN_OP_I8X16_EXTRACT_LANE_U, 3, v, NONE).i32, 3);
    kiln_val w = V16(0, 0, 0, 0, 0, 0, -1, 0);
    cr_expect_eq(run_lane(KILN_OP_I16X8_EXTRACT_LANE_S, 6, w, NONE).i32, -1);
    cr_expect_eq(run_lane(KILN_OP_I16X8_EXTRACT_LANE_U, 6, w, NONE).i32, 0xffff);
    cr_expect_eq(run_lane(KILN_OP_I32X4_EXTRACT_LANE, 2, V32(1, 2, 3, 4), NONE).i32, 3);
    cr_expect_eq(run_lane(KILN_OP_I64X2_EXTRACT_LANE, 1, V64(1, -5), NONE).i64, -5);
    kiln_val f = V32(0, 0, 0, (int32_t)F32_SNAN);
    cr_expect_eq((uint32_t)run_lane(KILN_OP_F32X4_EXTRACT_LANE, 3, f, NONE).i32, F32_SNAN);
    cr_expect_eq(run_lane(KILN_OP_F64X2_EXTRACT_LANE, 0, VF64(2.5, 1.0), NONE).f64, 2.5);
}

Test(lower_simd, replace_lane_changes_only_that_lane) {
    expect_v(KILN_OP_I8X16_REPLACE_LANE,
             run_lane(KILN_OP_I8X16_REPLACE_LANE, 15, SPLAT8(0), S32(0x17f)),
             V8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f));
    expect_v(KILN_OP_I16X8_REPLACE_LANE,
             run_lane(KILN_OP_I16X8_REPLACE_LANE, 0, SPLAT16(1), S32(-2)),
             V16(-2, 1, 1, 1, 1, 1, 1, 1));
    expect_v(KILN_OP_I32X4_REPLACE_LANE,
             run_lane(KILN_OP_I32X4_REPLACE_LANE, 1, V32(1, 2, 3, 4), S32(9)), V32(1, 9, 3, 4));
    expect_v(KILN_OP_I64X2_REPLACE_LANE,
             run_lane(KILN_OP_I64X2_REPLACE_LANE, 1, V64(1, 2), S64(-1)), V64(1, -1));
    expect_v(KILN_OP_F32X4_REPLACE_LANE,
             run_lane(KILN_OP_F32X4_REPLACE_LANE, 2, VF32(1, 2, 3, 4), S32((int32_t)F32_SNAN)),
             V32(0x3f800000, 0x40000000, (int32_t)F32_SNAN, 0x40800000));
    expect_v(KILN_OP_F64X2_REPLACE_LANE,
             run_lane(KILN_OP_F64X2_REPLACE_LANE, 0, VF64(1, 2), S64(0)), VF64(0, 2));
}

Test(lower_simd, shuffle_picks_lanes_from_both_operands) {
    kiln_insn insn = {.op = KILN_OP_I8X16_SHUFFLE};
    const uint8_t lanes[16] = {31, 0, 16, 15, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 30, 14};
    memcpy(insn.imm.v128, lanes, 16);
    kiln_val a = VU8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    kiln_val b =
        VU8(100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115);
    expect_v(KILN_OP_I8X16_SHUFFLE, run_insn(&insn, a, b, NONE),
             VU8(115, 0, 100, 15, 1, 101, 2, 102, 3, 103, 4, 104, 5, 105, 114, 14));
}

Test(lower_simd, swizzle_out_of_range_index_gives_zero) {
    kiln_val a = VU8(10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25);
    kiln_val s = VU8(15, 0, 16, 255, 0x80, 0x8f, 17, 1, 2, 31, 32, 3, 14, 0x70, 5, 5);
    EXPECT2(KILN_OP_I8X16_SWIZZLE, a, s,
            VU8(25, 10, 0, 0, 0, 0, 0, 11, 12, 0, 0, 13, 24, 0, 15, 15));
}

/* ---- comparisons and bitwise --------------------------------------------- */

Test(lower_simd, integer_comparisons_give_all_ones_lanes) {
    kiln_val a = V8(-1, 0, 1, 127, -128, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    kiln_val b = V8(0, 0, 0, -128, 127, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    EXPECT2(KILN_OP_I8X16_LT_S, a, b, V8(-1, 0, 0, 0, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, -1));
    EXPECT2(KILN_OP_I8X16_LT_U, a, b, V8(0, 0, 0, -1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, -1));
    EXPECT2(KILN_OP_I8X16_GE_U, a, b,
            V8(-1, -1, -1, 0, -1, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1, 0));
    EXPECT2(KILN_OP_I16X8_GT_S, V16(-1, 1, 0, 0, 0, 0, 0, 0), V16(1, -1, 0, 0, 0, 0, 0, 0),
            V16(0, -1, 0, 0, 0, 0, 0, 0));
    EXPECT2(KILN_OP_I32X4_LE_U, V32(-1, 1, 2, 3), V32(1, 1, 1, -1), V32(0, -1, 0, -1));
    EXPECT2(KILN_OP_I64X2_LT_S, V64(INT64_MIN, 1), V64(INT64_MAX, 1), V64(-1, 0));
    EXPECT2(KILN_OP_I64X2_NE, V64(3, 4), V64(3, 5), V64(0, -1));
}

Test(lower_simd, float_comparisons_handle_nan_and_zero) {
    float nan = f32_of_bits(0x7fc00000u);
    EXPECT2(KILN_OP_F32X4_EQ, VF32(nan, 0.0f, 1, 2), VF32(nan, -0.0f, 1, 3), V32(0, -1, -1, 0));
    EXPECT2(KILN_OP_F32X4_NE, VF32(nan, 0.0f, 1, 2), VF32(nan, -0.0f, 1, 3), V32(-1, 0, 0, -1));
    EXPECT2(KILN_OP_F32X4_LT, VF32(nan, 1, 1, -INFINITY), VF32(1, nan, 2, 0), V32(0, 0, -1, -1));
    EXPECT2(KILN_OP_F64X2_GE, VF64(f64_of_bits(F64_SNAN), 1), VF64(0, 1), V64(0, -1));
    EXPECT2(KILN_OP_F64X2_NE, VF64(f64_of_bits(F64_SNAN), 1), VF64(0, 1), V64(-1, 0));
}

Test(lower_simd, bitwise_operations) {
    kiln_val a = V64(0x00ff00ff00ff00ffll, -1), b = V64(0x0f0f0f0f0f0f0f0fll, 0);
    EXPECT1(KILN_OP_V128_NOT, a, V64((int64_t)0xff00ff00ff00ff00ull, 0));
    EXPECT2(KILN_OP_V128_AND, a, b, V64(0x000f000f000f000fll, 0));
    EXPECT2(KILN_OP_V128_ANDNOT, a, b, V64(0x00f000f000f000f0ll, -1));
    EXPECT2(KILN_OP_V128_OR, a, b, V64(0x0fff0fff0fff0fffll, -1));
    EXPECT2(KILN_OP_V128_XOR, a, b, V64(0x0ff00ff00ff00ff0ll, -1));
    kiln_val mask = V64(0x00000000ffffffffll, (int64_t)0xf0f0f0f0f0f0f0f0ull);
    expect_v(KILN_OP_V128_BITSELECT,
             run3(KILN_OP_V128_BITSELECT, V64(0x1111111111111111ll, -1),
                  V64(0x2222222222222222ll, 0), mask),
             V64(0x2222222211111111ll, (int64_t)0xf0f0f0f0f0f0f0f0ull));
}

Test(lower_simd, any_true_all_true_and_bitmask) {
    kiln_val one_bit = V64(0, 0x0100000000000000ll);
    cr_expect_eq(run1(KILN_OP_V128_ANY_TRUE, V64(0, 0)).i32, 0);
    cr_expect_eq(run1(KILN_OP_V128_ANY_TRUE, one_bit).i32, 1);
    cr_expect_eq(run1(KILN_OP_I8X16_ALL_TRUE, SPLAT8(1)).i32, 1);
    cr_expect_eq(
        run1(KILN_OP_I8X16_ALL_TRUE, V8(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0)).i32, 0);
    /* A lane is true if any of its bits is: 0x0100 is a true i16 lane but a zero byte. */
    cr_expect_eq(run1(KILN_OP_I16X8_ALL_TRUE, SPLAT16(0x100)).i32, 1);
    cr_expect_eq(run1(KILN_OP_I32X4_ALL_TRUE, V32(1, 1, 0, 1)).i32, 0);
    cr_expect_eq(run1(KILN_OP_I64X2_ALL_TRUE, V64(1LL << 40, -1)).i32, 1);
    cr_expect_eq(run1(KILN_OP_I64X2_ALL_TRUE, V64(0, -1)).i32, 0);
    cr_expect_eq(
        run1(KILN_OP_I8X16_BITMASK, V8(-1, 0, -128, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1)).i32,
        0x8005);
    cr_expect_eq(run1(KILN_OP_I16X8_BITMASK, V16(0, -1, 0, 0, 0, 0, 0, INT16_MIN)).i32, 0x82);
    cr_expect_eq(run1(KILN_OP_I32X4_BITMASK, V32(-1, 1, -1, 0)).i32, 5);
    cr_expect_eq(run1(KILN_OP_I64X2_BITMASK, V64(1, INT64_MIN)).i32, 2);
}

/* ---- integer lanes -------------------------------------------------------- */

Test(lower_simd, shift_counts_are_taken_modulo_lane_width) {
    EXPECT2(KILN_OP_I8X16_SHL, SPLAT8(1), S32(8), SPLAT8(1));
    EXPECT2(KILN_OP_I8X16_SHL, SPLAT8(1), S32(9), SPLAT8(2));
    EXPECT2(KILN_OP_I8X16_SHR_S, SPLAT8(-128), S32(-1), SPLAT8(-1));
    EXPECT2(KILN_OP_I8X16_SHR_U, SPLAT8(-128), S32(15), SPLAT8(1));
    EXPECT2(KILN_OP_I16X8_SHR_S, SPLAT16(INT16_MIN), S32(17), SPLAT16(-16384));
    EXPECT2(KILN_OP_I16X8_SHR_U, SPLAT16(INT16_MIN), S32(16), SPLAT16(INT16_MIN));
    EXPECT2(KILN_OP_I32X4_SHL, V32(1, 2, 3, -1), S32(33), V32(2, 4, 6, -2));
    EXPECT2(KILN_OP_I32X4_SHR_U, V32(-1, 0, 0, 0), S32(-1), V32(1, 0, 0, 0));
    EXPECT2(KILN_OP_I64X2_SHL, V64(1, 3), S32(64), V64(1, 3));
    EXPECT2(KILN_OP_I64X2_SHR_S, V64(INT64_MIN, 8), S32(65), V64(INT64_MIN / 2, 4));
    EXPECT2(KILN_OP_I64X2_SHR_U, V64(INT64_MIN, -1), S32(63), V64(1, 1));
}

Test(lower_simd, abs_of_int_min_is_int_min) {
    EXPECT1(KILN_OP_I8X16_ABS, V8(-128, -1, 1, 127, 0, -127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            V8(-128, 1, 1, 127, 0, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT1(KILN_OP_I16X8_ABS, V16(INT16_MIN, -5, 0, 0, 0, 0, 0, 0),
            V16(INT16_MIN, 5, 0, 0, 0, 0, 0, 0));
    EXPECT1(KILN_OP_I32X4_ABS, V32(INT32_MIN, -1, 2, 0), V32(INT32_MIN, 1, 2, 0));
    EXPECT1(KILN_OP_I64X2_ABS, V64(INT64_MIN, -3), V64(INT64_MIN, 3));
    EXPECT1(KILN_OP_I32X4_NEG, V32(INT32_MIN, -1, 2, 0), V32(INT32_MIN, 1, -2, 0));
    EXPECT1(KILN_OP_I8X16_NEG, SPLAT8(-128), SPLAT8(-128));
}

Test(lower_simd, popcnt_counts_bits_per_byte) {
    EXPECT1(KILN_OP_I8X16_POPCNT,
            VU8(0, 1, 3, 7, 15, 31, 63, 127, 255, 0x80, 0x55, 0xaa, 0x11, 2, 4, 6),
            VU8(0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 4, 4, 2, 1, 1, 2));
}

Test(lower_simd, saturating_add_and_sub) {
    kiln_val a = V8(127, -128, 100, -100, 0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    kiln_val b = V8(1, -1, 100, -100, 0, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    EXPECT2(KILN_OP_I8X16_ADD_SAT_S, a, b,
            V8(127, -128, 127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT2(KILN_OP_I8X16_SUB_SAT_S, a, b,
            V8(126, -127, 0, 0, 0, 2, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    EXPECT2(KILN_OP_I8X16_ADD_SAT_U, VU8(255, 200, 1), VU8(1, 100, 1), VU8(255, 255, 2));
    EXPECT2(KILN_OP_I8X16_SUB_SAT_U, VU8(0, 100, 5), VU8(1, 200, 3), VU8(0, 0, 2));
    EXPECT2(KILN_OP_I16X8_ADD_SAT_S, V16(INT16_MAX, INT16_MIN, 3), V16(1, -1, 4),
            V16(INT16_MAX, INT16_MIN, 7));
    EXPECT2(KILN_OP_I16X8_SUB_SAT_S, V16(INT16_MIN, INT16_MAX), V16(1, -1),
            V16(INT16_MIN, INT16_MAX));
    EXPECT2(KILN_OP_I16X8_ADD_SAT_U, V16(-1, 1), V16(1, 1), V16(-1, 2));
    EXPECT2(KILN_OP_I16X8_SUB_SAT_U, V16(0, -1), V16(1, 1), V16(0, -2));
}

Test(lower_simd, wrapping_arithmetic_and_min_max) {
    EXPECT2(KILN_OP_I8X16_ADD, SPLAT8(127), SPLAT8(1), SPLAT8(-128));
    EXPECT2(KILN_OP_I16X8_MUL, SPLAT16(0x100), SPLAT16(0x100), SPLAT16(0));
    EXPECT2(KILN_OP_I32X4_MUL, V32(INT32_MAX, 3, -4, 0x10000), V32(2, -5, -4, 0x10000),
            V32(-2, -15, 16, 0));
    EXPECT2(KILN_OP_I64X2_MUL, V64(INT64_MAX, 0x100000001ll), V64(2, 0x100000001ll),
            V64(-2, 0x200000001ll));
    EXPECT2(KILN_OP_I64X2_SUB, V64(INT64_MIN, 0), V64(1, 1), V64(INT64_MAX, -1));
    EXPECT2(KILN_OP_I8X16_MIN_S, V8(-1, 5), V8(1, 3), V8(-1, 3));
    EXPECT2(KILN_OP_I8X16_MIN_U, V8(-1, 5), V8(1, 3), V8(1, 3));
    EXPECT2(KILN_OP_I16X8_MAX_S, V16(-1, 5), V16(1, 3), V16(1, 5));
    EXPECT2(KILN_OP_I16X8_MAX_U, V16(-1, 5), V16(1, 3), V16(-1, 5));
    EXPECT2(KILN_OP_I32X4_MIN_U, V32(-1, 0, 7, INT32_MIN), V32(1, 0, 8, 0), V32(1, 0, 7, 0));
    EXPECT2(KILN_OP_I32X4_MAX_S, V32(-1, 0, 7, INT32_MIN), V32(1, 0, 8, 0), V32(1, 0, 8, 0));
}

Test(lower_simd, avgr_u_rounds_up_without_overflow) {
    EXPECT2(KILN_OP_I8X16_AVGR_U, VU8(255, 0, 254, 1, 100), VU8(255, 1, 255, 1, 0),
            VU8(255, 1, 255, 1, 50));
    EXPECT2(KILN_OP_I16X8_AVGR_U, V16(-1, 0, 3), V16(-1, 1, 4), V16(-1, 1, 4));
    EXPECT2(KILN_OP_I16X8_AVGR_U, V16(-2, INT16_MIN), V16(-1, INT16_MAX), V16(-1, INT16_MIN));
}

Test(lower_simd, narrow_saturates_signed_inputs) {
    kiln_val a = V16(300, -300, 127, -128, 128, -129, 255, 256);
    kiln_val b = V16(0, 1, -1, 32767, -32768, 2, 3, 4);
    EXPECT2(KILN_OP_I8X16_NARROW_I16X8_S, a, b,
            V8(127, -128, 127, -128, 127, -128, 127, 127, 0, 1, -1, 127, -128, 2, 3, 4));
    EXPECT2(KILN_OP_I8X16_NARROW_I16X8_U, a, b,
            VU8(255, 0, 127, 0, 128, 0, 255, 255, 0, 1, 0, 255, 0, 2, 3, 4));
    EXPECT2(KILN_OP_I16X8_NARROW_I32X4_S, V32(70000, -70000, 5, -5),
            V32(INT32_MIN, INT32_MAX, 32767, -32768),
            V16(32767, -32768, 5, -5, -32768, 32767, 32767, -32768));
    EXPECT2(KILN_OP_I16X8_NARROW_I32X4_U, V32(70000, -70000, 5, 65535), V32(65536, -1, 32768, 0),
            V16(-1, 0, 5, -1, -1, 0, INT16_MIN, 0));
}

Test(lower_simd, extend_low_and_high_halves) {
    kiln_val v = V8(-1, 2, -3, 4, -5, 6, -7, 8, -128, 127, 0, 1, 2, 3, 4, -1);
    EXPECT1(KILN_OP_I16X8_EXTEND_LOW_I8X16_S, v, V16(-1, 2, -3, 4, -5, 6, -7, 8));
    EXPECT1(KILN_OP_I16X8_EXTEND_HIGH_I8X16_S, v, V16(-128, 127, 0, 1, 2, 3, 4, -1));
    EXPECT1(KILN_OP_I16X8_EXTEND_HIGH_I8X16_U, v, V16(128, 127, 0, 1, 2, 3, 4, 255));
    EXPECT1(KILN_OP_I16X8_EXTEND_LOW_I8X16_U, v, V16(255, 2, 253, 4, 251, 6, 249, 8));
    kiln_val w = V16(-1, 1, INT16_MIN, 3, 4, 5, -6, 7);
    EXPECT1(KILN_OP_I32X4_EXTEND_LOW_I16X8_S, w, V32(-1, 1, INT16_MIN, 3));
    EXPECT1(KILN_OP_I32X4_EXTEND_HIGH_I16X8_U, w, V32(4, 5, 65530, 7));
    EXPECT1(KILN_OP_I64X2_EXTEND_HIGH_I32X4_S, V32(1, 2, -3, INT32_MIN), V64(-3, INT32_MIN));
    EXPECT1(KILN_OP_I64X2_EXTEND_LOW_I32X4_U, V32(-1, 2, -3, 4), V64(0xffffffffll, 2));
}

Test(lower_simd, extmul_widens_before_multiplying) {
    kiln_val a = SPLAT8(-128),
             b = V8(-128, 127, -1, 2, 0, 0, 0, 0, -128, -128, -128, -128, 1, 1, 1, 1);
    EXPECT2(KILN_OP_I16X8_EXTMUL_LOW_I8X16_S, a, b, V16(16384, -16256, 128, -256, 0, 0, 0, 0));
    EXPECT2(KILN_OP_I16X8_EXTMUL_HIGH_I8X16_U, a, b,
            V16(16384, 16384, 16384, 16384, 128, 128, 128, 128));
    EXPECT2(KILN_OP_I16X8_EXTMUL_LOW_I8X16_U, SPLAT8(-1), SPLAT8(-1), SPLAT16((int16_t)65025));
    EXPECT2(KILN_OP_I32X4_EXTMUL_HIGH_I16X8_S, V16(0, 0, 0, 0, INT16_MIN, -1, 2, 3),
            V16(0, 0, 0, 0, INT16_MIN, 1, 2, -3), V32(1 << 30, -1, 4, -9));
    EXPECT2(KILN_OP_I32X4_EXTMUL_LOW_I16X8_U, SPLAT16(-1), SPLAT16(-1),
            V32(-131071, -131071, -131071, -131071));
    EXPECT2(KILN_OP_I64X2_EXTMUL_LOW_I32X4_S, V32(INT32_MIN, -1, 0, 0), V32(INT32_MIN, 5, 0, 0),
            V64(1ll << 62, -5));
    EXPECT2(KILN_OP_I64X2_EXTMUL_HIGH_I32X4_U, V32(0, 0, -1, 2), V32(0, 0, -1, 3),
            V64((int64_t)0xfffffffe00000001ull, 6));
}

Test(lower_simd, extadd_pairwise_sums_adjacent_lanes) {
    kiln_val v = V8(-128, -128, 127, 127, -1, 1, 0, 5, 1, 2, 3, 4, -1, -1, 10, -20);
    EXPECT1(KILN_OP_I16X8_EXTADD_PAIRWISE_I8X16_S, v, V16(-256, 254, 0, 5, 3, 7, -2, -10));
    EXPECT1(KILN_OP_I16X8_EXTADD_PAIRWISE_I8X16_U, v, V16(256, 254, 256, 5, 3, 7, 510, 246));
    kiln_val w = V16(INT16_MIN, INT16_MIN, INT16_MAX, INT16_MAX, -1, -1, 1, 2);
    EXPECT1(KILN_OP_I32X4_EXTADD_PAIRWISE_I16X8_S, w, V32(-65536, 65534, -2, 3));
    EXPECT1(KILN_OP_I32X4_EXTADD_PAIRWISE_I16X8_U, w, V32(65536, 65534, 131070, 3));
}

Test(lower_simd, q15mulr_rounds_and_saturates) {
    kiln_val a = V16(INT16_MIN, 0x4000, 1, -1, INT16_MAX, INT16_MIN, 0x2000, -0x2000);
    kiln_val b = V16(INT16_MIN, 0x4000, 0x4000, 0x4000, INT16_MAX, INT16_MAX, 3, 3);
    /* (a*b + 0x4000) >> 15, saturated: INT16_MIN*INT16_MIN is the one overflow. */
    EXPECT2(KILN_OP_I16X8_Q15MULR_SAT_S, a, b, V16(INT16_MAX, 0x2000, 1, 0, 32766, -32767, 1, -1));
}

Test(lower_simd, dot_adds_products_of_pairs) {
    EXPECT2(KILN_OP_I32X4_DOT_I16X8_S, V16(1, 3, -1, 2, INT16_MIN, INT16_MIN, INT16_MAX, INT16_MAX),
            V16(2, 4, 5, 5, INT16_MIN, INT16_MIN, INT16_MAX, INT16_MIN),
            V32(14, 5, INT32_MIN, -32767));
}

/* ---- float lanes ---------------------------------------------------------- */

static bool lane_arith_nan32(kiln_val v, int lane) {
    uint32_t b;
    memcpy(&b, v.v128 + 4 * lane, 4);
    return (b & 0x7fc00000u) == 0x7fc00000u;
}

static bool lane_arith_nan64(kiln_val v, int lane) {
    uint64_t b;
    memcpy(&b, v.v128 + 8 * lane, 8);
    return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

Test(lower_simd, float_arithmetic_lanes) {
    EXPECT2(KILN_OP_F32X4_ADD, VF32(1, 0.5f, -0.0f, 3e38f), VF32(2, 0.25f, -0.0f, 3e38f),
            VF32(3, 0.75f, -0.0f, INFINITY));
    EXPECT2(KILN_OP_F32X4_DIV, VF32(1, -1, 0, 6), VF32(0, 0, 1, 3),
            VF32(INFINITY, -INFINITY, 0, 2));
    EXPECT2(KILN_OP_F64X2_MUL, VF64(0.1, -3), VF64(3, 0.5), VF64(0.30000000000000004, -1.5));
    EXPECT2(KILN_OP_F64X2_SUB, VF64(0.0, 1), VF64(0.0, 1), VF64(0.0, 0.0));
    kiln_val r = run2(KILN_OP_F32X4_MUL, VF32(f32_of_bits(F32_SNAN), 1, 0, INFINITY),
                      VF32(1, 2, INFINITY, 0));
    cr_expect(lane_arith_nan32(r, 0) && lane_arith_nan32(r, 2) && lane_arith_nan32(r, 3));
    r = run2(KILN_OP_F64X2_ADD, VF64(f64_of_bits(F64_SNAN), 1), VF64(0, 2));
    cr_expect(lane_arith_nan64(r, 0) && r.v128[15] == 0x40);
}

Test(lower_simd, min_max_follow_nan_and_signed_zero_rules) {
    float snan = f32_of_bits(F32_SNAN);
    EXPECT2(KILN_OP_F32X4_MIN, VF32(-0.0f, 0.0f, 1, -INFINITY), VF32(0.0f, -0.0f, 2, 0),
            VF32(-0.0f, -0.0f, 1, -INFINITY));
    EXPECT2(KILN_OP_F32X4_MAX, VF32(-0.0f, 0.0f, 1, -INFINITY), VF32(0.0f, -0.0f, 2, 0),
            VF32(0.0f, 0.0f, 2, 0));
    kiln_val r = run2(KILN_OP_F32X4_MIN, VF32(snan, 1, NAN, 0), VF32(1, snan, 0, 0));
    cr_expect(lane_arith_nan32(r, 0) && lane_arith_nan32(r, 1) && lane_arith_nan32(r, 2));
    r = run2(KILN_OP_F64X2_MAX, VF64(f64_of_bits(F64_SNAN), -0.0), VF64(INFINITY, 0.0));
    cr_expect(lane_arith_nan64(r, 0));
    cr_expect_eq(memcmp(r.v128 + 8, VF64(0.0, 0.0).v128 + 8, 8), 0, "max(-0, +0) must be +0");
    EXPECT2(KILN_OP_F64X2_MIN, VF64(0.0, 3), VF64(-0.0, -3), VF64(-0.0, -3));
}

Test(lower_simd, pmin_pmax_are_comparisons_not_min_max) {
    float snan = f32_of_bits(F32_SNAN);
    /* pmin(a, b) = b < a ? b : a; NaN and zeros pass through unchanged. */
    EXPECT2(KILN_OP_F32X4_PMIN, VF32(snan, 1, -0.0f, 0.0f), VF32(1, snan, 0.0f, -0.0f),
            VF32(snan, 1, -0.0f, 0.0f));
    EXPECT2(KILN_OP_F32X4_PMAX, VF32(snan, 1, -0.0f, 2), VF32(1, snan, 0.0f, 3),
            VF32(snan, 1, -0.0f, 3));
    EXPECT2(KILN_OP_F64X2_PMIN, VF64(2, f64_of_bits(F64_SNAN)), VF64(1, 0),
            VF64(1, f64_of_bits(F64_SNAN)));
    EXPECT2(KILN_OP_F64X2_PMAX, VF64(2, 0.0), VF64(1, -0.0), VF64(2, 0.0));
}

Test(lower_simd, abs_neg_keep_nan_payloads) {
    kiln_val v = V32((int32_t)0xffa00001u, (int32_t)0x80000000u, 0x3f800000, (int32_t)0xbf800000u);
    EXPECT1(KILN_OP_F32X4_ABS, v, V32(0x7fa00001, 0, 0x3f800000, 0x3f800000));
    EXPECT1(KILN_OP_F32X4_NEG, v, V32(0x7fa00001, 0, (int32_t)0xbf800000u, 0x3f800000));
    EXPECT1(KILN_OP_F64X2_NEG, V64((int64_t)F64_SNAN, 0),
            V64((int64_t)0xfff4000000000000ull, INT64_MIN));
    EXPECT1(KILN_OP_F64X2_ABS, V64((int64_t)0xfff4000000000000ull, INT64_MIN),
            V64((int64_t)F64_SNAN, 0));
}

Test(lower_simd, rounding_and_sqrt_lanes) {
    EXPECT1(KILN_OP_F32X4_NEAREST, VF32(0.5f, 1.5f, 2.5f, -0.5f), VF32(0, 2, 2, -0.0f));
    EXPECT1(KILN_OP_F32X4_CEIL, VF32(-0.5f, 0.1f, -1.5f, 8388607.5f),
            VF32(-0.0f, 1, -1, 8388608.0f));
    EXPECT1(KILN_OP_F32X4_FLOOR, VF32(-0.5f, 0.9f, -0.0f, 1), VF32(-1, 0, -0.0f, 1));
    EXPECT1(KILN_OP_F32X4_TRUNC, VF32(-0.5f, 1.9f, -2.9f, INFINITY), VF32(-0.0f, 1, -2, INFINITY));
    EXPECT1(KILN_OP_F64X2_NEAREST, VF64(-2.5, 4503599627370497.0), VF64(-2, 4503599627370497.0));
    EXPECT1(KILN_OP_F64X2_CEIL, VF64(-0.1, 1.0000000000000002), VF64(-0.0, 2));
    EXPECT1(KILN_OP_F64X2_FLOOR, VF64(-0.1, 2.5), VF64(-1, 2));
    EXPECT1(KILN_OP_F64X2_TRUNC, VF64(-0.9, 1e300), VF64(-0.0, 1e300));
    EXPECT1(KILN_OP_F32X4_SQRT, VF32(4, 2, -0.0f, INFINITY),
            VF32(2, 1.41421353816986083984375f, -0.0f, INFINITY));
    kiln_val r = run1(KILN_OP_F64X2_SQRT, VF64(-1, 2));
    cr_expect(lane_arith_nan64(r, 0));
    cr_expect_eq(memcmp(r.v128 + 8, VF64(0, 1.4142135623730951).v128 + 8, 8), 0);
}

/* ---- conversions ---------------------------------------------------------- */

Test(lower_simd, trunc_sat_f32x4_clamps_and_zeroes_nan) {
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F32X4_S, VF32(NAN, INFINITY, -INFINITY, -2.9f),
            V32(0, INT32_MAX, INT32_MIN, -2));
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F32X4_S,
            VF32(2147483520.0f, 2147483648.0f, -2147483904.0f, 0.9f),
            V32(2147483520, INT32_MAX, INT32_MIN, 0));
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F32X4_U, VF32(NAN, -1, 4294967296.0f, 4294967040.0f),
            V32(0, 0, -1, (int32_t)4294967040u));
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F32X4_U, VF32(2147483648.0f, -0.9f, 1.5f, INFINITY),
            V32(INT32_MIN, 0, 1, -1));
}

Test(lower_simd, trunc_sat_f64x2_zero_fills_upper_lanes) {
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F64X2_S_ZERO, VF64(NAN, -2147483649.0),
            V32(0, INT32_MIN, 0, 0));
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F64X2_S_ZERO, VF64(2147483647.9, -1.9),
            V32(INT32_MAX, -1, 0, 0));
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F64X2_U_ZERO, VF64(4294967295.9, -1), V32(-1, 0, 0, 0));
    EXPECT1(KILN_OP_I32X4_TRUNC_SAT_F64X2_U_ZERO, VF64(1e300, 2147483648.0),
            V32(-1, INT32_MIN, 0, 0));
}

Test(lower_simd, integer_to_float_conversions) {
    EXPECT1(KILN_OP_F32X4_CONVERT_I32X4_S, V32(-1, INT32_MIN, 16777217, INT32_MAX),
            VF32(-1, -2147483648.0f, 16777216.0f, 2147483648.0f));
    EXPECT1(KILN_OP_F32X4_CONVERT_I32X4_U, V32(-1, INT32_MIN, 16777219, 0x80000080),
            VF32(4294967296.0f, 2147483648.0f, 16777220.0f, 2147483648.0f));
    EXPECT1(KILN_OP_F32X4_CONVERT_I32X4_U, V32(0x80000081, 0x7fffffff, 1, 0),
            VF32(2147483904.0f, 2147483648.0f, 1, 0));
    EXPECT1(KILN_OP_F64X2_CONVERT_LOW_I32X4_S, V32(-1, INT32_MIN, 5, 6), VF64(-1, -2147483648.0));
    EXPECT1(KILN_OP_F64X2_CONVERT_LOW_I32X4_U, V32(-1, INT32_MIN, 5, 6),
            VF64(4294967295.0, 2147483648.0));
}

Test(lower_simd, demote_and_promote_lanes) {
    EXPECT1(KILN_OP_F32X4_DEMOTE_F64X2_ZERO, VF64(1e300, 0x1.000001p0), VF32(INFINITY, 1, 0, 0));
    kiln_val r = run1(KILN_OP_F32X4_DEMOTE_F64X2_ZERO, VF64(f64_of_bits(F64_SNAN), -0.0));
    cr_expect(lane_arith_nan32(r, 0));
    cr_expect_eq(memcmp(r.v128 + 4, VF32(0, -0.0f, 0, 0).v128 + 4, 12), 0);
    EXPECT1(KILN_OP_F64X2_PROMOTE_LOW_F32X4, VF32(0x1p-149f, -1.5f, 7, 8), VF64(0x1p-149, -1.5));
    r = run1(KILN_OP_F64X2_PROMOTE_LOW_F32X4, VF32(f32_of_bits(F32_SNAN), 1, 2, 3));
    cr_expect(lane_arith_nan64(r, 0));
}

Test(lower_simd, handles_every_non_memory_simd_opcode) {
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        const kiln_opcode_info *info = &kiln_opcode_table[op];
        if (info->prefix != 0xFD || info->access_bytes != 0 || op == KILN_OP_V128_CONST) continue;
        /* Lowering must produce IR for it (verified inside jit_compile). */
        kiln_insn insn = {.op = (uint16_t)op};
        cr_expect_not_null(jit_compile(&insn, lower_simd, 0, NULL), "%s", info->text);
    }
}

/* ---- independent oracle: wabt's interpreter ------------------------------ */

/* Lane edge values per lane width; v128 operands are built lane by lane
 * from one of these pools (floats as bits), chosen at random. */
static const uint64_t pool8[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x55};
static const uint64_t pool16[] = {0, 1, 0x7fff, 0x8000, 0xffff, 0x4000, 0xff, 0x100, 0xc000};
static const uint64_t pool32[] = {0,          1,          0x7fffffff, 0x80000000, 0xffffffff,
                                  0x3f800000, 0xbf000000, 0x7f800000, 0xff800000, 0x7fc00000,
                                  0x7fa00000, 0x80000000, 0x4f000000, 0x4f800000, 0xcf000000,
                                  0x40200000, 0x00000001, 0x7f7fffff, 0xdeadbeef, 0x0000ffff};
static const uint64_t pool64[] = {0,
                                  1,
                                  0x7fffffffffffffffull,
                                  0x8000000000000000ull,
                                  0xffffffffffffffffull,
                                  0x3ff0000000000000ull,
                                  0xbfe0000000000000ull,
                                  0x7ff0000000000000ull,
                                  0xfff0000000000000ull,
                                  0x7ff8000000000000ull,
                                  0x7ff4000000000000ull,
                                  0x41e0000000000000ull,
                                  0xc1e0000000200000ull,
                                  0x41efffffffe00000ull,
                                  0x4004000000000000ull,
                                  0x47efffffe0000000ull,
                                  0x0000000000000001ull,
                                  0x00000000ffffffffull};

static uint32_t rnd(uint32_t *seed) {
    *seed = *seed * 1664525u + 1013904223u;
    return *seed >> 8;
}

static kiln_val random_v128(uint32_t *seed) {
    static const uint64_t *pools[] = {pool8, pool16, pool32, pool64};
    static const unsigned sizes[] = {sizeof pool8 / 8, sizeof pool16 / 8, sizeof pool32 / 8,
                                     sizeof pool64 / 8};
    unsigned w = rnd(seed) % 4, bytes = 1u << w;
    kiln_val v;
    for (unsigned i = 0; i < 16; i += bytes) {
        uint64_t x = pools[w][rnd(seed) % sizes[w]];
        memcpy(v.v128 + i, &x, bytes);
    }
    return v;
}

static kiln_val random_scalar(char type, uint32_t *seed) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    uint64_t small[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 0xffffffff, 0x80};
    if (type == 'i' && rnd(seed) % 2)
        v.i64 = (int64_t)small[rnd(seed) % 16];
    else if (type == 'i' || type == 'f')
        v.i64 = (int64_t)pool32[rnd(seed) % (sizeof pool32 / 8)];
    else
        v.i64 = (int64_t)pool64[rnd(seed) % (sizeof pool64 / 8)];
    return v;
}

typedef struct simd_case {
    kiln_insn insn;
    kiln_val args[3];
} simd_case;

enum { SIMD_CASES_PER_OP = 8, MAX_SIMD_CASES = 2400 };

static void wat_value(FILE *f, char type, const kiln_val *v) {
    uint32_t w[4];
    memcpy(w, v->v128, 16);
    switch (type) {
    case 'v': fprintf(f, "(v128.const i32x4 %#x %#x %#x %#x)", w[0], w[1], w[2], w[3]); break;
    case 'i': fprintf(f, "(i32.const %d)", v->i32); break;
    case 'I': fprintf(f, "(i64.const %lld)", (long long)v->i64); break;
    case 'f': fprintf(f, "(f32.reinterpret_i32 (i32.const %d))", v->i32); break;
    default: fprintf(f, "(f64.reinterpret_i64 (i64.const %lld))", (long long)v->i64); break;
    }
}

static void wat_simd_case(FILE *f, unsigned n, const simd_case *c) {
    const kiln_opcode_info *info = &kiln_opcode_table[c->insn.op];
    char res = strchr(info->signature, ':')[1];
    const char *rt = res == 'v' ? "v128" : res == 'i' || res == 'f' ? "i32" : "i64";
    fprintf(f, " (func (export \"c%u\") (result %s) ", n, rt);
    if (res == 'f') fprintf(f, "(i32.reinterpret_f32 ");
    if (res == 'F') fprintf(f, "(i64.reinterpret_f64 ");
    fprintf(f, "(%s", info->text);
    if (info->imm == KILN_IMM_LANE) fprintf(f, " %u", c->insn.imm.lane);
    if (info->imm == KILN_IMM_SHUFFLE)
        for (int i = 0; i < 16; i++)
            fprintf(f, " %u", c->insn.imm.v128[i]);
    for (unsigned i = 0; info->signature[i] != ':'; i++) {
        fputc(' ', f);
        wat_value(f, info->signature[i], &c->args[i]);
    }
    fprintf(f, ")%s)\n", res == 'f' || res == 'F' ? ")" : "");
}

/* The lane width of a float-valued result, or 0 for integer results
 * (float comparisons give integer masks). */
static unsigned float_result_lane_bytes(const kiln_opcode_info *info) {
    static const char *const masks[] = {"eq", "ne", "lt", "gt", "le", "ge"};
    char res = strchr(info->signature, ':')[1];
    if (res == 'f') return 4;
    if (res == 'F') return 8;
    if (res != 'v') return 0;
    for (int i = 0; i < 6; i++)
        if (strcmp(strchr(info->text, '.') + 1, masks[i]) == 0) return 0;
    if (strncmp(info->text, "f32x4.", 6) == 0) return 4;
    if (strncmp(info->text, "f64x2.", 6) == 0) return 8;
    return 0;
}

static bool lane_is_nan(const uint8_t *p, unsigned bytes) {
    if (bytes == 4) {
        uint32_t b;
        memcpy(&b, p, 4);
        return (b & 0x7fffffffu) > 0x7f800000u;
    }
    uint64_t b;
    memcpy(&b, p, 8);
    return (b & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}

/* Parses "v128 i32x4:0x.. 0x.. 0x.. 0x.." or "i32:N" / "i64:N". */
static kiln_val oracle_value(const char *text) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    if (strncmp(text, "v128", 4) == 0) {
        uint32_t w[4];
        const char *p = strchr(text, ':') + 1;
        for (int i = 0; i < 4; i++)
            w[i] = (uint32_t)strtoul(p, (char **)&p, 16);
        memcpy(v.v128, w, 16);
    } else {
        uint64_t x = strtoull(strchr(text, ':') + 1, NULL, 10);
        memcpy(v.v128, &x, 8);
    }
    return v;
}

static void simd_oracle_compare(const simd_case *c, const char *line) {
    const kiln_opcode_info *info = &kiln_opcode_table[c->insn.op];
    char res = strchr(info->signature, ':')[1];
    const char *arrow = strstr(line, "=> ");
    cr_assert_not_null(arrow, "unexpected interpreter line %s", line);
    kiln_val want = oracle_value(arrow + 3), got;
    memset(&got, 0, sizeof got);
    jit_entry f = info->imm == KILN_IMM_NONE ? jit_get((kiln_opcode)c->insn.op, lower_simd)
                                             : jit_compile(&c->insn, lower_simd, 0, NULL);
    cr_assert_eq(f(c->args, &got), 0);
    unsigned size = res == 'v' ? 16 : res == 'i' || res == 'f' ? 4 : 8;
    memset(got.v128 + size, 0, 16 - size);
    unsigned lane = float_result_lane_bytes(info);
    for (unsigned i = 0; lane && i < size; i += lane)
        if (lane_is_nan(got.v128 + i, lane) && lane_is_nan(want.v128 + i, lane)) {
            memset(got.v128 + i, 0, lane); /* any NaN is as good as another here */
            memset(want.v128 + i, 0, lane);
        }
    char g[40], w[40];
    for (unsigned i = 0; i < size; i++) {
        sprintf(g + 2 * i, "%02x", got.v128[i]);
        sprintf(w + 2 * i, "%02x", want.v128[i]);
    }
    cr_expect(memcmp(got.v128, want.v128, 16) == 0, "%s: got %s, oracle %s (%s)", info->text, g, w,
              line);
}

static unsigned simd_cases_build(simd_case *cases) {
    unsigned n = 0;
    uint32_t seed = 4242;
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        const kiln_opcode_info *info = &kiln_opcode_table[op];
        if (info->prefix != 0xFD || info->access_bytes || op == KILN_OP_V128_CONST) continue;
        /* Relaxed SIMD has more than one right result: the spec suite's
         * `either` results and tests/regress/relaxed-simd.wast check it. */
        if (info->code >= 0x100) continue;
        for (int k = 0; k < SIMD_CASES_PER_OP && n < MAX_SIMD_CASES; k++, n++) {
            simd_case *c = &cases[n];
            memset(c, 0, sizeof *c);
            c->insn.op = (uint16_t)op;
            if (info->imm == KILN_IMM_LANE) c->insn.imm.lane = (uint8_t)(rnd(&seed) % info->lanes);
            if (info->imm == KILN_IMM_SHUFFLE)
                for (int i = 0; i < 16; i++)
                    c->insn.imm.v128[i] = (uint8_t)(rnd(&seed) % 32);
            for (unsigned i = 0; info->signature[i] != ':'; i++)
                c->args[i] = info->signature[i] == 'v' ? random_v128(&seed)
                                                       : random_scalar(info->signature[i], &seed);
        }
    }
    return n;
}

static void wat_simd_case_any(FILE *f, unsigned i, const void *cases) {
    wat_simd_case(f, i, &((const simd_case *)cases)[i]);
}

static void simd_oracle_compare_any(const void *cases, unsigned i, const char *line) {
    simd_oracle_compare(&((const simd_case *)cases)[i], line);
}

Test(lower_simd, matches_wabt_interpreter_on_random_lanes, .timeout = 600) {
    static simd_case cases[MAX_SIMD_CASES];
    unsigned n = simd_cases_build(cases);
    wabt_oracle_run("simd", cases, n, wat_simd_case_any, simd_oracle_compare_any);
}

/* Memory instructions belong to lower_memory.c and v128.const to lower.c:
 * lower_simd() must decline them (NULL) without emitting anything. */
Test(lower_simd, declines_memory_and_constant_instructions) {
    LLVMContextRef c = LLVMContextCreate();
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("decline", c);
    LLVMValueRef fn =
        LLVMAddFunction(m, "f", LLVMFunctionType(LLVMVoidTypeInContext(c), NULL, 0, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(c, fn, "e");
    LLVMPositionBuilderAtEnd(b, bb);
    lower_value_env env = {c, m, b, NULL, NULL, {0}, false, false};
    LLVMValueRef args[3] = {LLVMConstInt(LLVMInt32TypeInContext(c), 0, false),
                            LLVMConstNull(lower_valtype_of_sig(c, 'v')), NULL};
    static const kiln_opcode declined[] = {KILN_OP_V128_LOAD,       KILN_OP_V128_STORE,
                                           KILN_OP_V128_LOAD8_LANE, KILN_OP_V128_LOAD32_ZERO,
                                           KILN_OP_V128_CONST,      KILN_OP_I32_ADD};
    for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
        kiln_insn insn = {.op = (uint16_t)declined[i]};
        cr_expect_null(lower_simd(&env, &insn, args), "%s", kiln_opcode_table[declined[i]].text);
    }
    cr_expect_null(LLVMGetFirstInstruction(bb), "declining must not emit instructions");
    LLVMDisposeBuilder(b);
    LLVMDisposeModule(m);
    LLVMContextDispose(c);
}

/* ---- kiln_compile_options.canonical_nans (the differential runner's) ----- */

static LLVMValueRef simd_canonical_nans(const lower_value_env *env, const kiln_insn *insn,
                                        LLVMValueRef *args) {
    lower_value_env e = *env;
    e.canonical_nans = true;
    return lower_simd(&e, insn, args);
}

static kiln_val run2_canonical(kiln_opcode op, kiln_val a, kiln_val b) {
    kiln_insn insn = {.op = (uint16_t)op};
    kiln_val args[3] = {a, b, NONE}, out;
    jit_entry f = jit_compile(&insn, simd_canonical_nans, 0, NULL);
    cr_assert_not_null(f, "%s not lowered", kiln_opcode_table[op].text);
    cr_assert_eq(f(args, &out), 0);
    return out;
}

/* A NaN computed from a NaN with a payload (seed 12's modules 379, 566, 664,
 * 1067, 1419 of the differential run) comes out as binaryen's canonical
 * NaN; ordinary lanes, and the ops that return an operand's bits, stay. */
Test(lower_simd, canonical_nans_option_canonicalises_computed_nans) {
    kiln_val a = V32(0x43c00000, (int32_t)0xffac1610u, 0x3f800000, (int32_t)F32_SNAN);
    kiln_val b = V32((int32_t)0x7fff1001u, 0x43c00000, 0x40000000, 0x3f800000);
    expect_v(KILN_OP_F32X4_MUL, run2_canonical(KILN_OP_F32X4_MUL, a, b),
             V32(0x7fc00000, 0x7fc00000, 0x40000000, 0x7fc00000));
    expect_v(KILN_OP_F32X4_MAX, run2_canonical(KILN_OP_F32X4_MAX, a, b),
             V32(0x7fc00000, 0x7fc00000, 0x40000000, 0x7fc00000));
    expect_v(KILN_OP_F64X2_ADD,
             run2_canonical(KILN_OP_F64X2_ADD, V64((int64_t)0xffff1e500000ffffull, 0x3ff0000000000000),
                            V64(0, 0x3ff0000000000000)),
             V64(0x7ff8000000000000, 0x4000000000000000));
    /* pmin is b < a ? b : a: a NaN operand's own bits, which the spec fixes. */
    expect_v(KILN_OP_F32X4_PMIN, run2_canonical(KILN_OP_F32X4_PMIN, a, b),
             V32(0x43c00000, (int32_t)0xffac1610u, 0x3f800000, (int32_t)F32_SNAN));
}
