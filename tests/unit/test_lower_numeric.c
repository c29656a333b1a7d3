/* Unit tests for compiler/lower_numeric.c: every family is lowered,
 * optimised at O2, JIT-compiled and run on hand-checked values and on the
 * trap edges of the spec.  A last test compares a sample against wabt's
 * interpreter running the same operations. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>

#include "lower_jit.h"

/* ---- operand constructors and runners ------------------------------------ */

static kiln_val I32(int32_t x) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.i32 = x;
    return v;
}
static kiln_val I64(int64_t x) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.i64 = x;
    return v;
}
static kiln_val F32(float x) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.f32 = x;
    return v;
}
static kiln_val F64(double x) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    v.f64 = x;
    return v;
}
static kiln_val F32B(uint32_t bits) { return I32((int32_t)bits); }
static kiln_val F64B(uint64_t bits) { return I64((int64_t)bits); }
static const kiln_val NONE;

#define F32_SNAN 0x7fa00000u /* nan:0x200000, signalling */
#define F32_QNAN 0x7fc00000u
#define F64_SNAN 0x7ff4000000000000ull /* nan:0x4000000000000, signalling */
#define F64_QNAN 0x7ff8000000000000ull

static LLVMValueRef numeric(const lower_value_env *env, const kiln_insn *insn, LLVMValueRef *args) {
    return lower_numeric(env, (kiln_opcode)insn->op, args);
}

/* Runs `op` on (a, b); returns the trap kind (0 = none). */
static uint32_t run(kiln_opcode op, kiln_val a, kiln_val b, kiln_val *out) {
    kiln_val args[2] = {a, b};
    memset(out, 0xAB, sizeof *out);
    jit_entry f = jit_get(op, numeric);
    cr_assert_not_null(f, "%s not lowered", kiln_opcode_table[op].text);
    return (uint32_t)f(args, out);
}

/* Operands that numeric_consts() hands to the lowering as IR constants,
 * built from their bits the way lower.c lowers f32.const/f64.const, so
 * the lowering sees them (unlike jit_compile's constant operands, which
 * are loads that only the optimiser turns into constants). */
static kiln_val lowering_consts[2];
static unsigned lowering_const_mask;
static bool lowering_fast_isel; /* lower as -O0 does */

static LLVMValueRef const_from_bits(LLVMTypeRef ty, kiln_val v) {
    bool wide = LLVMGetTypeKind(ty) == LLVMDoubleTypeKind ||
                (LLVMGetTypeKind(ty) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(ty) == 64);
    LLVMTypeRef it = LLVMIntTypeInContext(LLVMGetTypeContext(ty), wide ? 64 : 32);
    uint64_t bits = wide ? (uint64_t)v.i64 : (uint32_t)v.i32;
    return LLVMConstBitCast(LLVMConstInt(it, bits, false), ty);
}

static LLVMValueRef numeric_consts(const lower_value_env *env, const kiln_insn *insn,
                                   LLVMValueRef *args) {
    for (unsigned i = 0; i < 2; i++)
        if (lowering_const_mask & (1u << i))
            args[i] = const_from_bits(LLVMTypeOf(args[i]), lowering_consts[i]);
    lower_value_env e = *env;
    e.fast_isel = lowering_fast_isel;
    return lower_numeric(&e, (kiln_opcode)insn->op, args);
}

/* Compiles `op` with the operands in const_mask as lowering-time constants. */
static jit_entry jit_with_consts(kiln_opcode op, unsigned const_mask, kiln_val a, kiln_val b) {
    kiln_insn insn = {.op = (uint16_t)op};
    lowering_consts[0] = a;
    lowering_consts[1] = b;
    lowering_const_mask = const_mask;
    return jit_compile(&insn, numeric_consts, 0, NULL);
}

/* Runs `op` on (a, b), the operands in const_mask being constants. */
static uint32_t run_const(kiln_opcode op, unsigned const_mask, kiln_val a, kiln_val b,
                          kiln_val *out) {
    kiln_val args[2] = {a, b};
    memset(out, 0xAB, sizeof *out);
    return (uint32_t)jit_with_consts(op, const_mask, a, b)(args, out);
}

static void expect32(kiln_opcode op, kiln_val a, kiln_val b, uint32_t want) {
    kiln_val out;
    uint32_t trap = run(op, a, b, &out);
    cr_expect_eq(trap, 0, "%s(%#x, %#x) trapped %u", kiln_opcode_table[op].text, (unsigned)a.i32,
                 (unsigned)b.i32, trap);
    cr_expect_eq((uint32_t)out.i32, want, "%s(%#x, %#x) = %#x, want %#x",
                 kiln_opcode_table[op].text, (unsigned)a.i32, (unsigned)b.i32, (unsigned)out.i32,
                 want);
}

static void expect64(kiln_opcode op, kiln_val a, kiln_val b, uint64_t want) {
    kiln_val out;
    uint32_t trap = run(op, a, b, &out);
    cr_expect_eq(trap, 0, "%s(%#llx, %#llx) trapped %u", kiln_opcode_table[op].text,
                 (unsigned long long)a.i64, (unsigned long long)b.i64, trap);
    cr_expect_eq((uint64_t)out.i64, want, "%s(%#llx, %#llx) = %#llx, want %#llx",
                 kiln_opcode_table[op].text, (unsigned long long)a.i64, (unsigned long long)b.i64,
                 (unsigned long long)out.i64, (unsigned long long)want);
}

static void expect_trap(kiln_opcode op, kiln_val a, kiln_val b, uint32_t kind) {
    kiln_val out;
    uint32_t trap = run(op, a, b, &out);
    cr_expect_eq(trap, kind, "%s(%#llx, %#llx): trap %u, want %u", kiln_opcode_table[op].text,
                 (unsigned long long)a.i64, (unsigned long long)b.i64, trap, kind);
}

static bool is_arith_nan32(uint32_t bits) { return (bits & 0x7fc00000u) == 0x7fc00000u; }
static bool is_arith_nan64(uint64_t bits) {
    return (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

/* The result must be a NaN with the quiet bit set (the spec's nan:arithmetic). */
static void expect_arith_nan(kiln_opcode op, kiln_val a, kiln_val b) {
    kiln_val out;
    cr_expect_eq(run(op, a, b, &out), 0);
    bool f32 = strchr(kiln_opcode_table[op].signature, ':')[1] == 'f';
    bool ok = f32 ? is_arith_nan32((uint32_t)out.i32) : is_arith_nan64((uint64_t)out.i64);
    cr_expect(ok, "%s: %#llx is not an arithmetic NaN", kiln_opcode_table[op].text,
              (unsigned long long)(f32 ? (uint32_t)out.i32 : (uint64_t)out.i64));
}

/* ---- integers ---------------------------------------------------------- */

Test(lower_numeric, integer_arithmetic_wraps) {
    expect32(KILN_OP_I32_ADD, I32(INT32_MAX), I32(1), 0x80000000u);
    expect32(KILN_OP_I32_SUB, I32(0), I32(1), 0xffffffffu);
    expect32(KILN_OP_I32_MUL, I32(0x10000), I32(0x10000), 0);
    expect32(KILN_OP_I32_MUL, I32(-3), I32(7), (uint32_t)-21);
    expect64(KILN_OP_I64_ADD, I64(INT64_MAX), I64(1), 0x8000000000000000ull);
    expect64(KILN_OP_I64_MUL, I64(0x100000000ll), I64(0x100000000ll), 0);
    expect32(KILN_OP_I32_AND, I32(0xf0f0), I32(0xff00), 0xf000);
    expect32(KILN_OP_I32_OR, I32(0xf0f0), I32(0xff00), 0xfff0);
    expect32(KILN_OP_I32_XOR, I32(0xf0f0), I32(0xff00), 0x0ff0);
    expect64(KILN_OP_I64_XOR, I64(-1), I64(0x0123456789abcdefll), ~0x0123456789abcdefull);
}

Test(lower_numeric, div_s_truncates_toward_zero) {
    expect32(KILN_OP_I32_DIV_S, I32(7), I32(-2), (uint32_t)-3);
    expect32(KILN_OP_I32_DIV_S, I32(-7), I32(2), (uint32_t)-3);
    expect32(KILN_OP_I32_DIV_S, I32(INT32_MIN), I32(2), 0xc0000000u);
    expect64(KILN_OP_I64_DIV_S, I64(-7), I64(2), (uint64_t)-3);
    expect64(KILN_OP_I64_DIV_S, I64(INT64_MIN), I64(1), 0x8000000000000000ull);
}

Test(lower_numeric, div_s_int_min_by_minus_one_traps_overflow) {
    expect_trap(KILN_OP_I32_DIV_S, I32(INT32_MIN), I32(-1), KILN_TRAP_INTEGER_OVERFLOW);
    expect_trap(KILN_OP_I64_DIV_S, I64(INT64_MIN), I64(-1), KILN_TRAP_INTEGER_OVERFLOW);
    expect32(KILN_OP_I32_DIV_S, I32(INT32_MIN + 1), I32(-1), INT32_MAX);
}

Test(lower_numeric, division_by_zero_traps) {
    static const kiln_opcode ops32[] = {KILN_OP_I32_DIV_S, KILN_OP_I32_DIV_U, KILN_OP_I32_REM_S,
                                        KILN_OP_I32_REM_U};
    static const kiln_opcode ops64[] = {KILN_OP_I64_DIV_S, KILN_OP_I64_DIV_U, KILN_OP_I64_REM_S,
                                        KILN_OP_I64_REM_U};
    for (int i = 0; i < 4; i++) {
        expect_trap(ops32[i], I32(1), I32(0), KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
        expect_trap(ops32[i], I32(INT32_MIN), I32(0), KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
        expect_trap(ops64[i], I64(0), I64(0), KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    }
}

Test(lower_numeric, unsigned_division_treats_operands_as_unsigned) {
    expect32(KILN_OP_I32_DIV_U, I32(-1), I32(2), 0x7fffffffu);
    expect32(KILN_OP_I32_DIV_U, I32(INT32_MIN), I32(-1), 0);
    expect32(KILN_OP_I32_REM_U, I32(-1), I32(10), 5); /* 4294967295 % 10 */
    expect64(KILN_OP_I64_DIV_U, I64(-1), I64(3), 0x5555555555555555ull);
    expect64(KILN_OP_I64_REM_U, I64(INT64_MIN), I64(-1), 0x8000000000000000ull);
}

Test(lower_numeric, rem_s_int_min_by_minus_one_is_zero) {
    expect32(KILN_OP_I32_REM_S, I32(INT32_MIN), I32(-1), 0);
    expect64(KILN_OP_I64_REM_S, I64(INT64_MIN), I64(-1), 0);
    expect32(KILN_OP_I32_REM_S, I32(-7), I32(2), (uint32_t)-1);
    expect32(KILN_OP_I32_REM_S, I32(7), I32(-2), 1);
    expect32(KILN_OP_I32_REM_S, I32(5), I32(-1), 0);
    expect64(KILN_OP_I64_REM_S, I64(-7), I64(-1), 0);
}

Test(lower_numeric, shift_counts_are_taken_modulo_width) {
    expect32(KILN_OP_I32_SHL, I32(1), I32(32), 1);
    expect32(KILN_OP_I32_SHL, I32(1), I32(33), 2);
    expect32(KILN_OP_I32_SHL, I32(1), I32(-1), 0x80000000u);
    expect32(KILN_OP_I32_SHR_S, I32(INT32_MIN), I32(31), 0xffffffffu);
    expect32(KILN_OP_I32_SHR_S, I32(INT32_MIN), I32(32), 0x80000000u);
    expect32(KILN_OP_I32_SHR_U, I32(INT32_MIN), I32(33), 0x40000000u);
    expect32(KILN_OP_I32_SHR_U, I32(-1), I32(-1), 1);
    expect64(KILN_OP_I64_SHL, I64(1), I64(64), 1);
    expect64(KILN_OP_I64_SHL, I64(1), I64(65), 2);
    expect64(KILN_OP_I64_SHR_S, I64(INT64_MIN), I64(-1), 0xffffffffffffffffull);
    expect64(KILN_OP_I64_SHR_U, I64(INT64_MIN), I64(63), 1);
}

Test(lower_numeric, rotates_wrap_bits_around) {
    expect32(KILN_OP_I32_ROTL, I32((int32_t)0x80000001u), I32(1), 3);
    expect32(KILN_OP_I32_ROTL, I32((int32_t)0x80000001u), I32(33), 3);
    expect32(KILN_OP_I32_ROTL, I32(0x12345678), I32(0), 0x12345678);
    expect32(KILN_OP_I32_ROTR, I32(1), I32(1), 0x80000000u);
    expect32(KILN_OP_I32_ROTR, I32(0x12345678), I32(-4), 0x23456781); /* -4 mod 32 = 28 */
    expect64(KILN_OP_I64_ROTL, I64(INT64_MIN), I64(65), 1);
    expect64(KILN_OP_I64_ROTR, I64(1), I64(-1), 2);
}

/* -O0 lowers rotates as two shifts and an or (no funnel shift, which
 * fast instruction selection lacks): the same results for every count,
 * from a register or a constant. */
Test(lower_numeric, rotates_lowered_for_fast_isel_wrap_bits_around) {
    static const struct {
        kiln_opcode op;
        int64_t x, n;
        uint64_t want;
    } cases[] = {
        {KILN_OP_I32_ROTL, (int32_t)0x80000001u, 1, 3},
        {KILN_OP_I32_ROTL, (int32_t)0x80000001u, 33, 3},
        {KILN_OP_I32_ROTL, 0x12345678, 0, 0x12345678},
        {KILN_OP_I32_ROTL, 0x12345678, 32, 0x12345678},
        {KILN_OP_I32_ROTL, 0x12345678, 4, 0x23456781},
        {KILN_OP_I32_ROTR, 1, 1, 0x80000000u},
        {KILN_OP_I32_ROTR, 0x12345678, -4, 0x23456781},
        {KILN_OP_I32_ROTR, 0x12345678, 0, 0x12345678},
        {KILN_OP_I64_ROTL, INT64_MIN, 65, 1},
        {KILN_OP_I64_ROTL, 0x0123456789abcdefll, 0, 0x0123456789abcdefull},
        {KILN_OP_I64_ROTL, 0x0123456789abcdefll, 8, 0x23456789abcdef01ull},
        {KILN_OP_I64_ROTR, 1, -1, 2},
        {KILN_OP_I64_ROTR, 0x0123456789abcdefll, 64, 0x0123456789abcdefull},
    };
    lowering_fast_isel = true;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool wide = cases[i].op == KILN_OP_I64_ROTL || cases[i].op == KILN_OP_I64_ROTR;
        kiln_val x = wide ? I64(cases[i].x) : I32((int32_t)cases[i].x);
        kiln_val n = wide ? I64(cases[i].n) : I32((int32_t)cases[i].n);
        for (unsigned mask = 0; mask <= 2; mask += 2) {
            kiln_val out;
            cr_assert_eq(run_const(cases[i].op, mask, x, n, &out), 0);
            uint64_t got = wide ? (uint64_t)out.i64 : (uint32_t)out.i32;
            cr_expect_eq(got, cases[i].want, "case %zu, constant count %u: %#llx", i, mask,
                         (unsigned long long)got);
        }
    }
    lowering_fast_isel = false;
}

Test(lower_numeric, bit_counts_are_defined_at_zero) {
    expect32(KILN_OP_I32_CLZ, I32(0), NONE, 32);
    expect32(KILN_OP_I32_CTZ, I32(0), NONE, 32);
    expect64(KILN_OP_I64_CLZ, I64(0), NONE, 64);
    expect64(KILN_OP_I64_CTZ, I64(0), NONE, 64);
    expect32(KILN_OP_I32_CLZ, I32(1), NONE, 31);
    expect32(KILN_OP_I32_CTZ, I32(INT32_MIN), NONE, 31);
    expect64(KILN_OP_I64_CLZ, I64(-1), NONE, 0);
    expect32(KILN_OP_I32_POPCNT, I32(-1), NONE, 32);
    expect32(KILN_OP_I32_POPCNT, I32(0x01010101), NONE, 4);
    expect64(KILN_OP_I64_POPCNT, I64(0x8000800080008000ll), NONE, 4);
}

Test(lower_numeric, integer_comparisons_respect_signedness) {
    expect32(KILN_OP_I32_LT_S, I32(-1), I32(0), 1);
    expect32(KILN_OP_I32_LT_U, I32(-1), I32(0), 0);
    expect32(KILN_OP_I32_GT_U, I32(-1), I32(0), 1);
    expect32(KILN_OP_I32_LE_S, I32(5), I32(5), 1);
    expect32(KILN_OP_I32_GE_U, I32(4), I32(5), 0);
    expect32(KILN_OP_I32_EQ, I32(7), I32(7), 1);
    expect32(KILN_OP_I32_NE, I32(7), I32(7), 0);
    expect32(KILN_OP_I32_EQZ, I32(0), NONE, 1);
    expect32(KILN_OP_I32_EQZ, I32(INT32_MIN), NONE, 0);
    expect32(KILN_OP_I64_EQZ, I64(0x100000000ll), NONE, 0);
    expect32(KILN_OP_I64_LT_S, I64(INT64_MIN), I64(0), 1);
    expect32(KILN_OP_I64_LT_U, I64(INT64_MIN), I64(0), 0);
    expect32(KILN_OP_I64_GE_S, I64(-1), I64(-2), 1);
}

Test(lower_numeric, sign_extension_operators) {
    expect32(KILN_OP_I32_EXTEND8_S, I32(0x80), NONE, 0xffffff80u);
    expect32(KILN_OP_I32_EXTEND8_S, I32(0x1237f), NONE, 0x7f);
    expect32(KILN_OP_I32_EXTEND16_S, I32(0x8000), NONE, 0xffff8000u);
    expect64(KILN_OP_I64_EXTEND8_S, I64(0xff), NONE, ~0ull);
    expect64(KILN_OP_I64_EXTEND16_S, I64(0x12347fff), NONE, 0x7fff);
    expect64(KILN_OP_I64_EXTEND32_S, I64(0x80000000ll), NONE, 0xffffffff80000000ull);
    expect64(KILN_OP_I64_EXTEND32_S, I64(0x123456787fffffffll), NONE, 0x7fffffff);
}

Test(lower_numeric, integer_width_conversions) {
    expect32(KILN_OP_I32_WRAP_I64, I64(0x123456789ll), NONE, 0x23456789);
    expect64(KILN_OP_I64_EXTEND_I32_S, I32(-2), NONE, (uint64_t)-2);
    expect64(KILN_OP_I64_EXTEND_I32_U, I32(-2), NONE, 0xfffffffeull);
}

/* ---- floats ------------------------------------------------------------ */

Test(lower_numeric, float_arithmetic_rounds_to_nearest) {
    expect32(KILN_OP_F32_ADD, F32(1.0f), F32(0x1p-24f), 0x3f800000u); /* tie to even */
    expect32(KILN_OP_F32_ADD, F32(1.0f), F32(0x1.8p-23f), 0x3f800002u);
    expect32(KILN_OP_F32_SUB, F32(0.0f), F32(0.0f), 0);
    expect32(KILN_OP_F32_SUB, F32(-0.0f), F32(0.0f), 0x80000000u);
    expect32(KILN_OP_F32_MUL, F32(3.0f), F32(-0.5f), 0xbfc00000u);
    expect32(KILN_OP_F32_DIV, F32(1.0f), F32(-0.0f), 0xff800000u);
    expect64(KILN_OP_F64_ADD, F64(0.1), F64(0.2), 0x3fd3333333333334ull);
    expect64(KILN_OP_F64_DIV, F64(1.0), F64(3.0), 0x3fd5555555555555ull);
    expect_arith_nan(KILN_OP_F32_SUB, F32(INFINITY), F32(INFINITY));
    expect_arith_nan(KILN_OP_F64_DIV, F64(0.0), F64(0.0));
}

Test(lower_numeric, float_arithmetic_quiets_signalling_nans) {
    expect_arith_nan(KILN_OP_F32_ADD, F32B(F32_SNAN), F32(1.0f));
    expect_arith_nan(KILN_OP_F32_MUL, F32(1.0f), F32B(F32_SNAN));
    expect_arith_nan(KILN_OP_F64_SUB, F64B(F64_SNAN), F64(0.0));
    expect_arith_nan(KILN_OP_F64_DIV, F64B(F64_SNAN), F64(1.0));
    expect_arith_nan(KILN_OP_F32_SQRT, F32B(F32_SNAN), NONE);
    expect_arith_nan(KILN_OP_F64_PROMOTE_F32, F32B(F32_SNAN), NONE);
    expect_arith_nan(KILN_OP_F32_DEMOTE_F64, F64B(F64_SNAN), NONE);
}

/* x * 1.0, x / -1.0, x - 0.0 are identities for LLVM's optimiser but must
 * still quiet a signalling NaN in wasm (float_exprs.wast "no_fold_*"):
 * with the constant in the instruction, the lowering keeps the operation. */
Test(lower_numeric, identity_operations_are_not_folded_away) {
    kiln_val out;
    cr_expect_eq(run_const(KILN_OP_F32_MUL, 2, F32B(F32_SNAN), F32(1.0f), &out), 0);
    cr_expect(is_arith_nan32((uint32_t)out.i32), "x*1.0 gave %#x", (unsigned)out.i32);
    cr_expect_eq(run_const(KILN_OP_F64_DIV, 2, F64B(F64_SNAN), F64(-1.0), &out), 0);
    cr_expect(is_arith_nan64((uint64_t)out.i64), "x/-1.0 gave %#llx", (unsigned long long)out.i64);
    cr_expect_eq(run_const(KILN_OP_F32_SUB, 2, F32B(F32_SNAN), F32(0.0f), &out), 0);
    cr_expect(is_arith_nan32((uint32_t)out.i32), "x-0.0 gave %#x", (unsigned)out.i32);
    cr_expect_eq(run_const(KILN_OP_F64_ADD, 2, F64B(F64_SNAN), F64(-0.0), &out), 0);
    cr_expect(is_arith_nan64((uint64_t)out.i64), "x+-0.0 gave %#llx", (unsigned long long)out.i64);
    /* Both operands constant: folded at build time, still quiet. */
    cr_expect_eq(run_const(KILN_OP_F32_ADD, 3, F32B(F32_SNAN), F32(1.0f), &out), 0);
    cr_expect(is_arith_nan32((uint32_t)out.i32), "const sNaN+1 gave %#x", (unsigned)out.i32);
    cr_expect_eq(run_const(KILN_OP_F32_MIN, 3, F32B(F32_SNAN), F32(1.0f), &out), 0);
    cr_expect(is_arith_nan32((uint32_t)out.i32), "const min(sNaN,1) gave %#x", (unsigned)out.i32);
}

Test(lower_numeric, min_max_order_signed_zeros) {
    expect32(KILN_OP_F32_MIN, F32(-0.0f), F32(0.0f), 0x80000000u);
    expect32(KILN_OP_F32_MIN, F32(0.0f), F32(-0.0f), 0x80000000u);
    expect32(KILN_OP_F32_MAX, F32(-0.0f), F32(0.0f), 0);
    expect32(KILN_OP_F32_MAX, F32(0.0f), F32(-0.0f), 0);
    expect64(KILN_OP_F64_MIN, F64(0.0), F64(-0.0), 0x8000000000000000ull);
    expect64(KILN_OP_F64_MAX, F64(-0.0), F64(0.0), 0);
    expect32(KILN_OP_F32_MIN, F32(-INFINITY), F32(1.0f), 0xff800000u);
    expect64(KILN_OP_F64_MAX, F64(2.0), F64(-3.0), 0x4000000000000000ull);
}

Test(lower_numeric, min_max_propagate_nan) {
    expect_arith_nan(KILN_OP_F32_MIN, F32B(F32_QNAN), F32(1.0f));
    expect_arith_nan(KILN_OP_F32_MIN, F32(-INFINITY), F32B(F32_QNAN));
    expect_arith_nan(KILN_OP_F32_MAX, F32B(F32_SNAN), F32(0.0f));
    expect_arith_nan(KILN_OP_F32_MAX, F32(0.0f), F32B(0xffa00000u));
    expect_arith_nan(KILN_OP_F64_MIN, F64B(F64_SNAN), F64(-0.0));
    expect_arith_nan(KILN_OP_F64_MAX, F64(INFINITY), F64B(F64_SNAN));
}

Test(lower_numeric, nearest_rounds_half_to_even) {
    expect32(KILN_OP_F32_NEAREST, F32(0.5f), NONE, 0);
    expect32(KILN_OP_F32_NEAREST, F32(1.5f), NONE, 0x40000000u);
    expect32(KILN_OP_F32_NEAREST, F32(2.5f), NONE, 0x40000000u);
    expect32(KILN_OP_F32_NEAREST, F32(-0.5f), NONE, 0x80000000u);
    expect32(KILN_OP_F32_NEAREST, F32(8388609.0f), NONE, 0x4b000001u); /* already integral */
    expect64(KILN_OP_F64_NEAREST, F64(2.5), NONE, 0x4000000000000000ull);
    expect64(KILN_OP_F64_NEAREST, F64(-3.5), NONE, 0xc010000000000000ull);
    expect64(KILN_OP_F64_NEAREST, F64(4503599627370497.0), NONE, 0x4330000000000001ull);
}

Test(lower_numeric, ceil_floor_trunc_keep_sign_of_zero) {
    expect32(KILN_OP_F32_CEIL, F32(-0.5f), NONE, 0x80000000u);
    expect32(KILN_OP_F32_CEIL, F32(0.25f), NONE, 0x3f800000u);
    expect32(KILN_OP_F32_FLOOR, F32(-0.25f), NONE, 0xbf800000u);
    expect32(KILN_OP_F32_FLOOR, F32(0.75f), NONE, 0);
    expect32(KILN_OP_F32_TRUNC, F32(-0.75f), NONE, 0x80000000u);
    expect64(KILN_OP_F64_TRUNC, F64(-1.75), NONE, 0xbff0000000000000ull);
    expect64(KILN_OP_F64_CEIL, F64(1.0000000000000002), NONE, 0x4000000000000000ull);
    expect64(KILN_OP_F64_FLOOR, F64(-0.0), NONE, 0x8000000000000000ull);
    expect_arith_nan(KILN_OP_F64_FLOOR, F64B(F64_QNAN), NONE);
}

Test(lower_numeric, sqrt_is_correctly_rounded) {
    expect32(KILN_OP_F32_SQRT, F32(4.0f), NONE, 0x40000000u);
    expect32(KILN_OP_F32_SQRT, F32(-0.0f), NONE, 0x80000000u);
    expect64(KILN_OP_F64_SQRT, F64(2.0), NONE, 0x3ff6a09e667f3bcdull);
    expect_arith_nan(KILN_OP_F32_SQRT, F32(-1.0f), NONE);
    expect_arith_nan(KILN_OP_F64_SQRT, F64(-INFINITY), NONE);
}

Test(lower_numeric, abs_neg_copysign_are_bit_operations) {
    expect32(KILN_OP_F32_ABS, F32B(0xffa00001u), NONE, 0x7fa00001u); /* sNaN payload kept */
    expect32(KILN_OP_F32_NEG, F32B(0x7fa00001u), NONE, 0xffa00001u);
    expect32(KILN_OP_F32_NEG, F32(0.0f), NONE, 0x80000000u);
    expect32(KILN_OP_F32_ABS, F32(-0.0f), NONE, 0);
    expect64(KILN_OP_F64_NEG, F64B(F64_SNAN), NONE, 0xfff4000000000000ull);
    expect64(KILN_OP_F64_ABS, F64(-2.0), NONE, 0x4000000000000000ull);
    expect32(KILN_OP_F32_COPYSIGN, F32(1.0f), F32B(0xffc00000u), 0xbf800000u);
    expect32(KILN_OP_F32_COPYSIGN, F32B(F32_SNAN), F32(-1.0f), 0xffa00000u);
    expect32(KILN_OP_F32_COPYSIGN, F32(-3.0f), F32(0.0f), 0x40400000u);
    expect64(KILN_OP_F64_COPYSIGN, F64B(0x7ff0000000000001ull), F64(-0.0), 0xfff0000000000001ull);
}

Test(lower_numeric, float_comparisons_handle_nan) {
    kiln_val nan32 = F32B(F32_QNAN), nan64 = F64B(F64_QNAN);
    expect32(KILN_OP_F32_EQ, nan32, nan32, 0);
    expect32(KILN_OP_F32_NE, nan32, nan32, 1);
    expect32(KILN_OP_F32_NE, F32(1.0f), nan32, 1);
    expect32(KILN_OP_F32_LT, nan32, F32(1.0f), 0);
    expect32(KILN_OP_F32_GE, nan32, F32(1.0f), 0);
    expect32(KILN_OP_F32_EQ, F32(0.0f), F32(-0.0f), 1);
    expect32(KILN_OP_F32_NE, F32(0.0f), F32(-0.0f), 0);
    expect32(KILN_OP_F32_LE, F32(-0.0f), F32(0.0f), 1);
    expect32(KILN_OP_F64_GT, nan64, F64(-INFINITY), 0);
    expect32(KILN_OP_F64_LE, F64(1.0), F64(2.0), 1);
    expect32(KILN_OP_F64_NE, nan64, F64(0.0), 1);
    expect32(KILN_OP_F64_EQ, F64(1.0), F64(1.0), 1);
}

/* ---- conversions ------------------------------------------------------- */

Test(lower_numeric, trunc_traps_on_nan_as_invalid_conversion) {
    static const kiln_opcode from32[] = {KILN_OP_I32_TRUNC_F32_S, KILN_OP_I32_TRUNC_F32_U,
                                         KILN_OP_I64_TRUNC_F32_S, KILN_OP_I64_TRUNC_F32_U};
    static const kiln_opcode from64[] = {KILN_OP_I32_TRUNC_F64_S, KILN_OP_I32_TRUNC_F64_U,
                                         KILN_OP_I64_TRUNC_F64_S, KILN_OP_I64_TRUNC_F64_U};
    for (int i = 0; i < 4; i++) {
        expect_trap(from32[i], F32B(F32_QNAN), NONE, KILN_TRAP_INVALID_CONVERSION);
        expect_trap(from32[i], F32B(0xffa00000u), NONE, KILN_TRAP_INVALID_CONVERSION);
        expect_trap(from64[i], F64B(F64_QNAN), NONE, KILN_TRAP_INVALID_CONVERSION);
        expect_trap(from32[i], F32(INFINITY), NONE, KILN_TRAP_INTEGER_OVERFLOW);
        expect_trap(from32[i], F32(-INFINITY), NONE, KILN_TRAP_INTEGER_OVERFLOW);
        expect_trap(from64[i], F64(INFINITY), NONE, KILN_TRAP_INTEGER_OVERFLOW);
        expect_trap(from64[i], F64(-INFINITY), NONE, KILN_TRAP_INTEGER_OVERFLOW);
    }
}

Test(lower_numeric, trunc_to_i32_range_edges) {
    const uint32_t OV = KILN_TRAP_INTEGER_OVERFLOW;
    expect32(KILN_OP_I32_TRUNC_F32_S, F32(-2147483648.0f), NONE, 0x80000000u);
    expect32(KILN_OP_I32_TRUNC_F32_S, F32(2147483520.0f), NONE, 2147483520u);
    expect_trap(KILN_OP_I32_TRUNC_F32_S, F32(2147483648.0f), NONE, OV);
    expect_trap(KILN_OP_I32_TRUNC_F32_S, F32(-2147483904.0f), NONE, OV);
    expect32(KILN_OP_I32_TRUNC_F32_S, F32(-1.9f), NONE, (uint32_t)-1);
    expect32(KILN_OP_I32_TRUNC_F32_U, F32(-0.99f), NONE, 0);
    expect32(KILN_OP_I32_TRUNC_F32_U, F32(4294967040.0f), NONE, 4294967040u);
    expect_trap(KILN_OP_I32_TRUNC_F32_U, F32(4294967296.0f), NONE, OV);
    expect_trap(KILN_OP_I32_TRUNC_F32_U, F32(-1.0f), NONE, OV);
    expect32(KILN_OP_I32_TRUNC_F64_S, F64(-2147483648.9), NONE, 0x80000000u);
    expect32(KILN_OP_I32_TRUNC_F64_S, F64(2147483647.9), NONE, 0x7fffffffu);
    expect_trap(KILN_OP_I32_TRUNC_F64_S, F64(-2147483649.0), NONE, OV);
    expect_trap(KILN_OP_I32_TRUNC_F64_S, F64(2147483648.0), NONE, OV);
    expect32(KILN_OP_I32_TRUNC_F64_U, F64(-0.9999999999999999), NONE, 0);
    expect32(KILN_OP_I32_TRUNC_F64_U, F64(4294967295.9), NONE, 0xffffffffu);
    expect_trap(KILN_OP_I32_TRUNC_F64_U, F64(4294967296.0), NONE, OV);
    expect_trap(KILN_OP_I32_TRUNC_F64_U, F64(-1.0), NONE, OV);
}

Test(lower_numeric, trunc_to_i64_range_edges) {
    const uint32_t OV = KILN_TRAP_INTEGER_OVERFLOW;
    expect64(KILN_OP_I64_TRUNC_F32_S, F32(-9223372036854775808.0f), NONE, 0x8000000000000000ull);
    expect64(KILN_OP_I64_TRUNC_F32_S, F32(9223371487098961920.0f), NONE, 9223371487098961920ull);
    expect_trap(KILN_OP_I64_TRUNC_F32_S, F32(9223372036854775808.0f), NONE, OV);
    expect_trap(KILN_OP_I64_TRUNC_F32_S, F32(-9223373136366403584.0f), NONE, OV);
    expect64(KILN_OP_I64_TRUNC_F32_U, F32(-0.5f), NONE, 0);
    expect64(KILN_OP_I64_TRUNC_F32_U, F32(18446742974197923840.0f), NONE, 18446742974197923840ull);
    expect_trap(KILN_OP_I64_TRUNC_F32_U, F32(18446744073709551616.0f), NONE, OV);
    expect_trap(KILN_OP_I64_TRUNC_F32_U, F32(-1.0f), NONE, OV);
    expect64(KILN_OP_I64_TRUNC_F64_S, F64(-9223372036854775808.0), NONE, 0x8000000000000000ull);
    expect64(KILN_OP_I64_TRUNC_F64_S, F64(9223372036854774784.0), NONE, 9223372036854774784ull);
    expect_trap(KILN_OP_I64_TRUNC_F64_S, F64(9223372036854775808.0), NONE, OV);
    expect_trap(KILN_OP_I64_TRUNC_F64_S, F64(-9223372036854777856.0), NONE, OV);
    expect64(KILN_OP_I64_TRUNC_F64_U, F64(18446744073709549568.0), NONE, 18446744073709549568ull);
    expect64(KILN_OP_I64_TRUNC_F64_U, F64(-0.9999999999999999), NONE, 0);
    expect_trap(KILN_OP_I64_TRUNC_F64_U, F64(18446744073709551616.0), NONE, OV);
    expect_trap(KILN_OP_I64_TRUNC_F64_U, F64(-1.0), NONE, OV);
}

Test(lower_numeric, trunc_sat_clamps_and_maps_nan_to_zero) {
    expect32(KILN_OP_I32_TRUNC_SAT_F32_S, F32B(F32_QNAN), NONE, 0);
    expect32(KILN_OP_I32_TRUNC_SAT_F32_S, F32(INFINITY), NONE, 0x7fffffffu);
    expect32(KILN_OP_I32_TRUNC_SAT_F32_S, F32(-INFINITY), NONE, 0x80000000u);
    expect32(KILN_OP_I32_TRUNC_SAT_F32_S, F32(-2.9f), NONE, (uint32_t)-2);
    expect32(KILN_OP_I32_TRUNC_SAT_F32_U, F32(-5.0f), NONE, 0);
    expect32(KILN_OP_I32_TRUNC_SAT_F32_U, F32(4294967296.0f), NONE, 0xffffffffu);
    expect32(KILN_OP_I32_TRUNC_SAT_F64_S, F64(-2147483649.0), NONE, 0x80000000u);
    expect32(KILN_OP_I32_TRUNC_SAT_F64_S, F64(2147483647.5), NONE, 0x7fffffffu);
    expect32(KILN_OP_I32_TRUNC_SAT_F64_U, F64B(0xfff8000000000000ull), NONE, 0);
    expect32(KILN_OP_I32_TRUNC_SAT_F64_U, F64(4294967295.5), NONE, 0xffffffffu);
    expect64(KILN_OP_I64_TRUNC_SAT_F32_S, F32(1e30f), NONE, 0x7fffffffffffffffull);
    expect64(KILN_OP_I64_TRUNC_SAT_F32_U, F32(-INFINITY), NONE, 0);
    expect64(KILN_OP_I64_TRUNC_SAT_F64_S, F64B(F64_SNAN), NONE, 0);
    expect64(KILN_OP_I64_TRUNC_SAT_F64_S, F64(-1e300), NONE, 0x8000000000000000ull);
    expect64(KILN_OP_I64_TRUNC_SAT_F64_U, F64(1e300), NONE, ~0ull);
    expect64(KILN_OP_I64_TRUNC_SAT_F64_U, F64(18446744073709549568.0), NONE,
             18446744073709549568ull);
}

Test(lower_numeric, integer_to_float_conversions_round_correctly) {
    expect32(KILN_OP_F32_CONVERT_I32_S, I32(16777217), NONE, 0x4b800000u);
    expect32(KILN_OP_F32_CONVERT_I32_U, I32(-1), NONE, 0x4f800000u);
    expect32(KILN_OP_F32_CONVERT_I64_S, I64(0x7fffff4000000001ll), NONE, 0x5effffffu);
    expect32(KILN_OP_F32_CONVERT_I64_S, I64((int64_t)0x8000004000000001ull), NONE, 0xdeffffffu);
    /* Unsigned i64 -> f32 must not double-round through f64. */
    expect32(KILN_OP_F32_CONVERT_I64_U, I64((int64_t)0x8000008000000001ull), NONE, 0x5f000001u);
    expect32(KILN_OP_F32_CONVERT_I64_U, I64((int64_t)0xfffffe8000000001ull), NONE, 0x5f7fffffu);
    expect32(KILN_OP_F32_CONVERT_I64_U, I64(-1), NONE, 0x5f800000u);
    expect64(KILN_OP_F64_CONVERT_I32_U, I32(-1), NONE, 0x41efffffffe00000ull);
    expect64(KILN_OP_F64_CONVERT_I64_S, I64(9007199254740993ll), NONE, 0x4340000000000000ull);
    expect64(KILN_OP_F64_CONVERT_I64_U, I64(INT64_MIN), NONE, 0x43e0000000000000ull);
    expect64(KILN_OP_F64_CONVERT_I64_U, I64(-1), NONE, 0x43f0000000000000ull);
}

Test(lower_numeric, demote_promote_and_reinterpret) {
    expect32(KILN_OP_F32_DEMOTE_F64, F64(1e300), NONE, 0x7f800000u);
    expect32(KILN_OP_F32_DEMOTE_F64, F64(0x1.000001p0), NONE, 0x3f800000u); /* tie to even */
    expect32(KILN_OP_F32_DEMOTE_F64, F64(-0.0), NONE, 0x80000000u);
    expect64(KILN_OP_F64_PROMOTE_F32, F32(0x1p-149f), NONE, 0x36a0000000000000ull);
    expect32(KILN_OP_I32_REINTERPRET_F32, F32B(F32_SNAN), NONE, F32_SNAN);
    expect64(KILN_OP_I64_REINTERPRET_F64, F64(-0.0), NONE, 0x8000000000000000ull);
    expect32(KILN_OP_F32_REINTERPRET_I32, I32((int32_t)0xffa00001u), NONE, 0xffa00001u);
    expect64(KILN_OP_F64_REINTERPRET_I64, I64((int64_t)F64_SNAN), NONE, F64_SNAN);
}

Test(lower_numeric, promote_then_demote_is_not_folded_away) {
    /* Lower both steps into one function: the O2 pipeline would happily
     * cancel a plain fpext/fptrunc pair and return the sNaN unchanged. */
    LLVMContextRef c = LLVMContextCreate();
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("pd", c);
    LLVMTypeRef f32 = LLVMFloatTypeInContext(c);
    LLVMValueRef fn = LLVMAddFunction(m, "pd", LLVMFunctionType(f32, &f32, 1, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, fn, "e"));
    lower_value_env env = {c, m, b, NULL, NULL, {0}, false, false};
    LLVMValueRef x = LLVMGetParam(fn, 0);
    LLVMValueRef wide = lower_numeric(&env, KILN_OP_F64_PROMOTE_F32, &x);
    LLVMBuildRet(b, lower_numeric(&env, KILN_OP_F32_DEMOTE_F64, &wide));
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    cr_assert_null(LLVMRunPasses(m, "default<O2>", NULL, opts));
    LLVMDisposePassBuilderOptions(opts);
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(fn);
    cr_expect(LLVMGetFirstInstruction(entry) != LLVMGetLastInstruction(entry),
              "promote+demote folded to a bare return");
    LLVMDisposeBuilder(b);
    LLVMDisposeModule(m);
    LLVMContextDispose(c);
}

/* demote(op(promote x)) for the sign operations InstCombine looks through
 * when it shrinks an fptrunc: with x an sNaN the promote must still quiet
 * it, so the result is an arithmetic NaN, not x (or -x) unchanged. */
static kiln_opcode middle_op; /* KILN_OP_NOP: promote then demote */

static LLVMValueRef promote_middle_demote(const lower_value_env *env, const kiln_insn *insn,
                                          LLVMValueRef *args) {
    (void)insn;
    LLVMValueRef v[2] = {lower_numeric(env, KILN_OP_F64_PROMOTE_F32, args), NULL};
    if (middle_op == KILN_OP_F64_COPYSIGN) v[1] = LLVMConstReal(LLVMTypeOf(v[0]), -1.0);
    if (middle_op != KILN_OP_NOP) v[0] = lower_numeric(env, middle_op, v);
    return lower_numeric(env, KILN_OP_F32_DEMOTE_F64, v);
}

Test(lower_numeric, demote_of_promote_quiets_through_sign_operations) {
    const kiln_opcode middles[] = {KILN_OP_NOP, KILN_OP_F64_NEG, KILN_OP_F64_ABS,
                                   KILN_OP_F64_COPYSIGN};
    const uint32_t inputs[] = {F32_SNAN, 0xffa00001u};
    kiln_insn insn = {.op = KILN_OP_F32_NEG}; /* only its f32 -> f32 signature is used */
    for (unsigned i = 0; i < sizeof middles / sizeof middles[0]; i++) {
        middle_op = middles[i];
        jit_entry f = jit_compile(&insn, promote_middle_demote, 0, NULL);
        for (unsigned k = 0; k < 2; k++) {
            kiln_val args[2] = {F32B(inputs[k]), NONE}, out;
            cr_assert_eq(f(args, &out), 0);
            cr_expect(is_arith_nan32((uint32_t)out.i32), "demote(%s(promote %#x)) = %#x",
                      middle_op == KILN_OP_NOP ? "" : kiln_opcode_table[middle_op].text,
                      (unsigned)inputs[k], (unsigned)out.i32);
        }
    }
}

/* f32x4.mul by a v128.const, built as lower.c builds it (bitcast of a
 * <2 x i64> constant), optimised at O2: a lane of 1.0 keeps the multiply
 * (x * 1.0 must still quiet an sNaN lane); a splat of 0.5 is a plain
 * fmul that LLVM may optimise. */
static char *vector_mul_by_const_ir(uint64_t lane_bits) {
    LLVMContextRef c = LLVMContextCreate();
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("vm", c);
    LLVMTypeRef v4f = LLVMVectorType(LLVMFloatTypeInContext(c), 4);
    LLVMValueRef fn = LLVMAddFunction(m, "vm", LLVMFunctionType(v4f, &v4f, 1, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, fn, "e"));
    lower_value_env env = {c, m, b, NULL, NULL, {0}, false, false};
    LLVMValueRef halves[2];
    for (int i = 0; i < 2; i++) halves[i] = LLVMConstInt(LLVMInt64TypeInContext(c), lane_bits, false);
    LLVMValueRef k = LLVMBuildBitCast(b, LLVMConstVector(halves, 2), v4f, "");
    LLVMBuildRet(b, lower_fbinop(&env, "llvm.experimental.constrained.fmul", LLVMGetParam(fn, 0), k));
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    cr_assert_null(LLVMRunPasses(m, "default<O2>", NULL, opts));
    LLVMDisposePassBuilderOptions(opts);
    char *ir = LLVMPrintValueToString(fn);
    LLVMDisposeBuilder(b);
    LLVMDisposeModule(m);
    LLVMContextDispose(c);
    return ir;
}

Test(lower_numeric, vector_constant_lanes_choose_plain_or_constrained) {
    char *one = vector_mul_by_const_ir(0x3f8000003f000000ull); /* lanes 0.5, 1.0, 0.5, 1.0 */
    cr_expect(strstr(one, "constrained.fmul") != NULL, "x * <.., 1.0, ..> not kept:\n%s", one);
    char *half = vector_mul_by_const_ir(0x3f0000003f000000ull); /* splat 0.5 */
    cr_expect(strstr(half, "fmul <4 x float>") != NULL && strstr(half, "constrained") == NULL,
              "x * splat(0.5) is not a plain fmul:\n%s", half);
    LLVMDisposeMessage(one);
    LLVMDisposeMessage(half);
}

/* Wide arithmetic: 128-bit (low, high) pairs.  The wrapper stores the
 * {i64, i64} result in one 16-byte slot: low at byte 0, high at byte 8. */
static void expect_wide(kiln_opcode op, const int64_t *in, uint64_t want_lo, uint64_t want_hi) {
    kiln_val args[4];
    for (int i = 0; i < 4; i++) args[i] = I64(in[i]);
    kiln_val out;
    uint32_t trap = (uint32_t)jit_get(op, numeric)(args, &out);
    uint64_t lo, hi;
    memcpy(&lo, out.v128, 8);
    memcpy(&hi, out.v128 + 8, 8);
    cr_expect_eq(trap, 0);
    cr_expect(lo == want_lo && hi == want_hi,
              "%s(%#llx, %#llx, ...) = (%#llx, %#llx), want (%#llx, %#llx)", kiln_opcode_table[op].text, (unsigned long long)in[0], (unsigned long long)in[1],
              (unsigned long long)lo, (unsigned long long)hi, (unsigned long long)want_lo,
              (unsigned long long)want_hi);
}

Test(lower_numeric, wide_arithmetic_carries_and_widens) {
    /* carry out of the low half, and the wrap of the whole 128 bits */
    expect_wide(KILN_OP_I64_ADD128, (int64_t[]){-1, 0, 1, 0}, 0, 1);
    expect_wide(KILN_OP_I64_ADD128, (int64_t[]){-1, -1, 1, 0}, 0, 0);
    expect_wide(KILN_OP_I64_ADD128, (int64_t[]){5, 7, 6, 8}, 11, 15);
    /* borrow from the high half */
    expect_wide(KILN_OP_I64_SUB128, (int64_t[]){0, 1, 1, 0}, UINT64_MAX, 0);
    expect_wide(KILN_OP_I64_SUB128, (int64_t[]){0, 0, 1, 0}, UINT64_MAX, UINT64_MAX);
    /* -1 * -1 = 1 signed; (2^64-1)^2 = 2^128 - 2^65 + 1 unsigned */
    expect_wide(KILN_OP_I64_MUL_WIDE_S, (int64_t[]){-1, -1, 0, 0}, 1, 0);
    expect_wide(KILN_OP_I64_MUL_WIDE_U, (int64_t[]){-1, -1, 0, 0}, 1, UINT64_MAX - 1);
    /* INT64_MIN * INT64_MIN = 2^126 */
    expect_wide(KILN_OP_I64_MUL_WIDE_S, (int64_t[]){INT64_MIN, INT64_MIN, 0, 0}, 0, 1ull << 62);
    expect_wide(KILN_OP_I64_MUL_WIDE_S, (int64_t[]){-2, 3, 0, 0}, (uint64_t)-6, UINT64_MAX);
    expect_wide(KILN_OP_I64_MUL_WIDE_U, (int64_t[]){-2, 3, 0, 0}, (uint64_t)-6, 2);
}

Test(lower_numeric, handles_exactly_the_numeric_rows) {
    cr_expect(lower_numeric_handles(KILN_OP_I32_ADD));
    cr_expect(lower_numeric_handles(KILN_OP_I64_TRUNC_SAT_F64_U));
    cr_expect(lower_numeric_handles(KILN_OP_I64_EXTEND32_S));
    cr_expect_not(lower_numeric_handles(KILN_OP_I32_CONST));
    cr_expect_not(lower_numeric_handles(KILN_OP_I32_LOAD));
    cr_expect_not(lower_numeric_handles(KILN_OP_SELECT));
    cr_expect_not(lower_numeric_handles(KILN_OP_I32X4_ADD));
    /* Every fixed-signature non-memory, non-constant, non-SIMD opcode is covered. */
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        const kiln_opcode_info *info = &kiln_opcode_table[op];
        bool numeric = info->prefix != 0xFD && info->imm == KILN_IMM_NONE &&
                       strcmp(info->signature, "*") != 0 && info->access_bytes == 0 &&
                       strchr(info->signature, ':')[1] != '\0';
        cr_expect_eq(lower_numeric_handles((kiln_opcode)op), numeric, "%s", info->text);
    }
}

/* ---- independent oracle: wabt's interpreter ------------------------------ */

/* Edge-heavy operand pools, as raw bits, per value type. */
static const uint64_t pool_i32[] = {
    0,    1,      2,          7,          31,         32,         33,         0x80,
    0xff, 0x8000, 0x12345678, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xdeadbeef};
static const uint64_t pool_i64[] = {0,
                                    1,
                                    2,
                                    63,
                                    64,
                                    65,
                                    0xff,
                                    0x80000000,
                                    0xffffffff,
                                    0x123456789abcdef0ull,
                                    0x7fffffffffffffffull,
                                    0x8000000000000000ull,
                                    0xfffffffffffffffeull,
                                    0xffffffffffffffffull,
                                    0x0000000100000000ull,
                                    0xfffffe8000000001ull};
static const uint64_t pool_f32[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0x3fc00000, 0x40200000, 0xbf000000,
    0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00000, 0x7f7fffff, 0x00000001, 0x4f000000, 0xcf000000,
    0x4f800000, 0x4f7fffff, 0x5f000000, 0x5f800000, 0xcf000001, 0x406ccccd, 0x501502f9, 0xff7fffff};
static const uint64_t pool_f64[] = {0,
                                    0x8000000000000000ull,
                                    0x3ff0000000000000ull,
                                    0xbff0000000000000ull,
                                    0x3fe0000000000000ull,
                                    0x4004000000000000ull,
                                    0xbfe0000000000000ull,
                                    0x7ff0000000000000ull,
                                    0xfff0000000000000ull,
                                    0x7ff8000000000000ull,
                                    0x7ff4000000000000ull,
                                    0x7fefffffffffffffull,
                                    0x0000000000000001ull,
                                    0x41e0000000000000ull,
                                    0xc1e0000000000000ull,
                                    0xc1e0000000200000ull,
                                    0x41efffffffe00000ull,
                                    0x41f0000000000000ull,
                                    0x43e0000000000000ull,
                                    0x43f0000000000000ull,
                                    0xc3e0000000000000ull,
                                    0x400ccccccccccccdull,
                                    0x47efffffe0000000ull,
                                    0x3ff0000010000000ull};

static uint64_t pick(char type, uint32_t *seed) {
    *seed = *seed * 1664525u + 1013904223u;
    uint32_t r = *seed >> 8;
    switch (type) {
    case 'i': return pool_i32[r % (sizeof pool_i32 / 8)];
    case 'I': return pool_i64[r % (sizeof pool_i64 / 8)];
    case 'f': return pool_f32[r % (sizeof pool_f32 / 8)];
    default: return pool_f64[r % (sizeof pool_f64 / 8)];
    }
}

static void wat_operand(FILE *f, char type, uint64_t bits) {
    switch (type) {
    case 'i': fprintf(f, "(i32.const %d)", (int32_t)bits); break;
    case 'I': fprintf(f, "(i64.const %lld)", (long long)bits); break;
    case 'f': fprintf(f, "(f32.reinterpret_i32 (i32.const %d))", (int32_t)bits); break;
    default: fprintf(f, "(f64.reinterpret_i64 (i64.const %lld))", (long long)bits); break;
    }
}

typedef struct oracle_case {
    kiln_opcode op;
    uint64_t a, b;
} oracle_case;

enum { CASES_PER_OP = 12, MAX_ORACLE_CASES = 2048 };

/* One exported function per case; float results come back as their bits. */
static void wat_case(FILE *f, unsigned n, const oracle_case *c) {
    const char *sig = kiln_opcode_table[c->op].signature;
    char res = strchr(sig, ':')[1];
    const char *rt = res == 'i' || res == 'f' ? "i32" : "i64";
    fprintf(f, " (func (export \"c%u\") (result %s) ", n, rt);
    if (res == 'f') fprintf(f, "(i32.reinterpret_f32 ");
    if (res == 'F') fprintf(f, "(i64.reinterpret_f64 ");
    fprintf(f, "(%s ", kiln_opcode_table[c->op].text);
    wat_operand(f, sig[0], c->a);
    if (sig[1] != ':') wat_operand(f, sig[1], c->b);
    fprintf(f, ")%s)\n", res == 'f' || res == 'F' ? ")" : "");
}

static uint32_t trap_of_message(const char *msg) {
    if (strstr(msg, "divide by zero")) return KILN_TRAP_INTEGER_DIVIDE_BY_ZERO;
    if (strstr(msg, "integer overflow")) return KILN_TRAP_INTEGER_OVERFLOW;
    if (strstr(msg, "invalid conversion")) return KILN_TRAP_INVALID_CONVERSION;
    return 999;
}

static bool result_is_nan(char res, uint64_t bits) {
    if (res == 'f') return ((uint32_t)bits & 0x7fffffffu) > 0x7f800000u;
    if (res == 'F') return (bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
    return false;
}

static void oracle_compare(const oracle_case *c, const char *line) {
    const char *sig = kiln_opcode_table[c->op].signature;
    char res = strchr(sig, ':')[1];
    kiln_val args[2], out;
    memset(args, 0, sizeof args);
    args[0].i64 = (int64_t)c->a;
    args[1].i64 = (int64_t)c->b;
    memset(&out, 0, sizeof out);
    uint32_t trap = (uint32_t)jit_get(c->op, numeric)(args, &out);
    const char *arrow = strstr(line, "=> ");
    cr_assert_not_null(arrow, "unexpected interpreter line %s", line);
    if (strncmp(arrow + 3, "error: ", 7) == 0) {
        cr_expect_eq(trap, trap_of_message(arrow + 10), "%s(%#llx, %#llx): %s",
                     kiln_opcode_table[c->op].text, (unsigned long long)c->a,
                     (unsigned long long)c->b, line);
        return;
    }
    uint64_t want = strtoull(strchr(arrow, ':') + 1, NULL, 10);
    uint64_t got = res == 'i' || res == 'f' ? (uint32_t)out.i32 : (uint64_t)out.i64;
    cr_expect_eq(trap, 0, "%s trapped %u, oracle: %s", kiln_opcode_table[c->op].text, trap, line);
    /* Any NaN is as good as another here; NaN bits are tested above. */
    if (result_is_nan(res, want) && result_is_nan(res, got)) return;
    cr_expect_eq(got, want, "%s(%#llx, %#llx) = %#llx, oracle: %s", kiln_opcode_table[c->op].text,
                 (unsigned long long)c->a, (unsigned long long)c->b, (unsigned long long)got, line);
}

static unsigned oracle_cases_build(oracle_case *cases) {
    unsigned n = 0;
    uint32_t seed = 12345;
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        if (!lower_numeric_handles((kiln_opcode)op)) continue;
        const char *sig = kiln_opcode_table[op].signature;
        /* One result only: wide arithmetic, which wabt 1.0.32 does not
         * know, has its own test above. */
        if (strlen(strchr(sig, ':') + 1) != 1) continue;
        for (int k = 0; k < CASES_PER_OP && n < MAX_ORACLE_CASES; k++, n++) {
            cases[n].op = (kiln_opcode)op;
            cases[n].a = pick(sig[0], &seed);
            cases[n].b = sig[1] != ':' ? pick(sig[1], &seed) : 0;
        }
    }
    return n;
}

static void wat_case_any(FILE *f, unsigned i, const void *cases) {
    wat_case(f, i, &((const oracle_case *)cases)[i]);
}

static void oracle_compare_any(const void *cases, unsigned i, const char *line) {
    oracle_compare(&((const oracle_case *)cases)[i], line);
}

Test(lower_numeric, matches_wabt_interpreter_on_edge_values, .timeout = 300) {
    static oracle_case cases[MAX_ORACLE_CASES];
    unsigned n = oracle_cases_build(cases);
    wabt_oracle_run("numeric", cases, n, wat_case_any, oracle_compare_any);
}

/* The identities LLVM folds (x+-0, x-+-0, +-0-x, x*+-1, +-1*x, x/+-1), with
 * the constant in the instruction as wasm has it, against wabt on the
 * inputs where folding would show: sNaNs of both signs (must come back
 * quiet), signed zeros (x - 0.0 and 0.0 - x differ from x and -x there),
 * a quiet NaN and an ordinary number. */
typedef struct identity_case {
    kiln_opcode op;
    unsigned const_side; /* 0: the constant is the left operand */
    uint64_t k, x;
} identity_case;

static const kiln_opcode identity_ops[] = {KILN_OP_F32_ADD, KILN_OP_F32_SUB, KILN_OP_F32_MUL,
                                           KILN_OP_F32_DIV, KILN_OP_F64_ADD, KILN_OP_F64_SUB,
                                           KILN_OP_F64_MUL, KILN_OP_F64_DIV};
static const uint64_t identity_k32[] = {0x00000000, 0x80000000, 0x3f800000, 0xbf800000};
static const uint64_t identity_k64[] = {0, 0x8000000000000000ull, 0x3ff0000000000000ull,
                                        0xbff0000000000000ull};
static const uint64_t identity_x32[] = {F32_SNAN, 0xffa00001u, F32_QNAN, 0x80000000, 0, 0x40200000};
static const uint64_t identity_x64[] = {F64_SNAN, 0xfff4000000000001ull, F64_QNAN,
                                        0x8000000000000000ull, 0, 0x4004000000000000ull};
enum { IDENTITY_X = 6, MAX_IDENTITY_CASES = 8 * 4 * 2 * IDENTITY_X };

static unsigned identity_cases_build(identity_case *cases) {
    unsigned n = 0;
    for (unsigned o = 0; o < 8; o++) {
        bool f32 = o < 4;
        for (unsigned side = 0; side < 2; side++) {
            for (unsigned k = 0; k < 4; k++) {
                for (unsigned x = 0; x < IDENTITY_X; x++) {
                    identity_case *c = &cases[n++];
                    c->op = identity_ops[o];
                    c->const_side = side;
                    c->k = f32 ? identity_k32[k] : identity_k64[k];
                    c->x = f32 ? identity_x32[x] : identity_x64[x];
                }
            }
        }
    }
    return n;
}

static void identity_wat_case(FILE *f, unsigned i, const void *cases) {
    const identity_case *c = &((const identity_case *)cases)[i];
    oracle_case oc = {c->op, c->const_side ? c->x : c->k, c->const_side ? c->k : c->x};
    wat_case(f, i, &oc);
}

static bool nan_is_quiet(char res, uint64_t bits) {
    return res == 'f' ? is_arith_nan32((uint32_t)bits) : is_arith_nan64(bits);
}

static void identity_compare(const void *cases, unsigned i, const char *line) {
    const identity_case *c = &((const identity_case *)cases)[i];
    char res = strchr(kiln_opcode_table[c->op].signature, ':')[1];
    kiln_val a, b, out;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.i64 = (int64_t)(c->const_side ? c->x : c->k);
    b.i64 = (int64_t)(c->const_side ? c->k : c->x);
    /* One compiled wrapper per (op, side, constant): the first x compiles it. */
    static jit_entry fn;
    if (i % IDENTITY_X == 0) fn = jit_with_consts(c->op, c->const_side ? 2u : 1u, a, b);
    kiln_val args[2] = {a, b};
    memset(&out, 0, sizeof out);
    cr_assert_eq(fn(args, &out), 0);
    uint64_t got = res == 'f' ? (uint32_t)out.i32 : (uint64_t)out.i64;
    const char *arrow = strstr(line, ":");
    cr_assert_not_null(arrow, "unexpected interpreter line %s", line);
    uint64_t want = strtoull(strrchr(line, ':') + 1, NULL, 10);
    const char *side = c->const_side ? "x op k" : "k op x";
    if (result_is_nan(res, want)) {
        cr_expect(result_is_nan(res, got) && nan_is_quiet(res, got) == nan_is_quiet(res, want),
                  "%s %s, k=%#llx x=%#llx: %#llx, oracle: %s", kiln_opcode_table[c->op].text, side,
                  (unsigned long long)c->k, (unsigned long long)c->x, (unsigned long long)got, line);
        return;
    }
    cr_expect_eq(got, want, "%s %s, k=%#llx x=%#llx: %#llx, oracle: %s",
                 kiln_opcode_table[c->op].text, side, (unsigned long long)c->k,
                 (unsigned long long)c->x, (unsigned long long)got, line);
}

Test(lower_numeric, identity_constants_match_wabt_on_nans_and_zeros, .timeout = 300) {
    static identity_case cases[MAX_IDENTITY_CASES];
    unsigned n = identity_cases_build(cases);
    wabt_oracle_run("identity", cases, n, identity_wat_case, identity_compare);
}
