/* lower_numeric.c - scalar numeric instructions to LLVM IR.
 *
 * Every instruction here gets exact wasm semantics without relying on
 * LLVM undefined behaviour or poison: divisions and trapping conversions
 * check their operands first (through env->emit_trap_if), shift counts
 * are masked, clz/ctz are defined at zero, float sign operations work on
 * the integer representation.
 *
 * NaNs: wasm requires arithmetic results to be arithmetic NaNs (quiet
 * bit set).  x86 arithmetic always quiets, so plain fadd/fsub/fmul/fdiv
 * and fpext/fptrunc are right as long as they reach the CPU.  What must
 * not happen is an optimiser fold that hands an operand back untouched:
 * LLVM folds x * 1.0, x / -1.0 (to fneg x), x + -0.0, x - 0.0, -0.0 - x
 * and fptrunc(fpext x) without looking at NaNs, returning a signalling
 * NaN unquieted.  Those operations are emitted as constrained intrinsics
 * with "fpexcept.maytrap", which LLVM never folds across a possible sNaN,
 * exactly when the fold is visible at lowering time: a binary operation
 * with a constant operand of magnitude 0 (add/sub) or 1 (mul/div), a
 * demote whose operand is a promote (through sign operations, selects,
 * shuffles).  Everything else stays plain, so loops vectorize and LLVM
 * optimises float code as it does C.  Residual difference, shared with
 * native clang and wasm2c + clang: a constant that only appears after
 * LLVM's own optimisation (a caller's argument after inlining, a local
 * or memory cell holding 1.0, a phi or select of constants, a promote
 * stored in a local and demoted later) can still be folded, and then an
 * sNaN input comes back signalling (same bits) instead of quieted.
 * min/max quiet any NaN they return explicitly.
 *
 * Dispatch is one table indexed by kiln_opcode: each row names a family
 * and the family's parameter (an LLVM opcode, a predicate, an intrinsic,
 * a width).  The helpers below are written over scalar *or* vector types
 * so that lower_simd.c reuses them lane-wise (see lower.h). */
#include <math.h>
#include <string.h>

#include "lower.h"

typedef enum numeric_family {
    FAM_NONE = 0,
    FAM_IBIN,      /* arg: LLVMOpcode                         */
    FAM_SHIFT,     /* arg: LLVMOpcode (Shl, AShr, LShr)        */
    FAM_ROTATE,    /* name: llvm.fshl / llvm.fshr             */
    FAM_DIVREM,    /* arg: LLVMOpcode (SDiv, UDiv, SRem, URem) */
    FAM_ICMP,      /* arg: LLVMIntPredicate                   */
    FAM_EQZ,
    FAM_BITCOUNT,  /* name: llvm.ctlz / cttz / ctpop          */
    FAM_FBIN,      /* name: constrained fadd / fsub / ...     */
    FAM_FMINMAX,   /* name: llvm.minimum / llvm.maximum       */
    FAM_FSIGN,     /* arg: FSIGN_ABS / _NEG / _COPYSIGN       */
    FAM_FUNARY,    /* name: llvm.ceil / floor / ... / sqrt    */
    FAM_FCMP,      /* arg: LLVMRealPredicate                  */
    FAM_TRUNC,     /* arg: 1 if signed                        */
    FAM_TRUNC_SAT, /* name: llvm.fptosi.sat / llvm.fptoui.sat */
    FAM_CAST,      /* arg: LLVMOpcode                         */
    FAM_FPCAST,    /* arg: 1 for promote (fpext), 0 for demote */
    FAM_SEXT_IN,   /* arg: bits to sign-extend from           */
    FAM_WIDE,      /* arg: LLVMAdd / LLVMSub on i128 pairs     */
    FAM_MUL_WIDE,  /* arg: 1 if signed                        */
} numeric_family;

typedef struct numeric_row {
    uint8_t family;
    int arg;
    const char *name;
} numeric_row;

#define ROW(op, fam, a) [KILN_OP_##op] = {FAM_##fam, (a), NULL}
#define ROWN(op, fam, n) [KILN_OP_##op] = {FAM_##fam, 0, (n)}

static const numeric_row numeric_rows[KILN_OP_COUNT] = {
    ROW(I32_EQZ, EQZ, 0),
    ROW(I64_EQZ, EQZ, 0),
    ROW(I32_EQ, ICMP, LLVMIntEQ),   ROW(I64_EQ, ICMP, LLVMIntEQ),
    ROW(I32_NE, ICMP, LLVMIntNE),   ROW(I64_NE, ICMP, LLVMIntNE),
    ROW(I32_LT_S, ICMP, LLVMIntSLT), ROW(I64_LT_S, ICMP, LLVMIntSLT),
    ROW(I32_LT_U, ICMP, LLVMIntULT), ROW(I64_LT_U, ICMP, LLVMIntULT),
    ROW(I32_GT_S, ICMP, LLVMIntSGT), ROW(I64_GT_S, ICMP, LLVMIntSGT),
    ROW(I32_GT_U, ICMP, LLVMIntUGT), ROW(I64_GT_U, ICMP, LLVMIntUGT),
    ROW(I32_LE_S, ICMP, LLVMIntSLE), ROW(I64_LE_S, ICMP, LLVMIntSLE),
    ROW(I32_LE_U, ICMP, LLVMIntULE), ROW(I64_LE_U, ICMP, LLVMIntULE),
    ROW(I32_GE_S, ICMP, LLVMIntSGE), ROW(I64_GE_S, ICMP, LLVMIntSGE),
    ROW(I32_GE_U, ICMP, LLVMIntUGE), ROW(I64_GE_U, ICMP, LLVMIntUGE),
    /* Wasm's `ne` is true when either side is NaN: unordered-or-not-equal. */
    ROW(F32_EQ, FCMP, LLVMRealOEQ), ROW(F64_EQ, FCMP, LLVMRealOEQ),
    ROW(F32_NE, FCMP, LLVMRealUNE), ROW(F64_NE, FCMP, LLVMRealUNE),
    ROW(F32_LT, FCMP, LLVMRealOLT), ROW(F64_LT, FCMP, LLVMRealOLT),
    ROW(F32_GT, FCMP, LLVMRealOGT), ROW(F64_GT, FCMP, LLVMRealOGT),
    ROW(F32_LE, FCMP, LLVMRealOLE), ROW(F64_LE, FCMP, LLVMRealOLE),
    ROW(F32_GE, FCMP, LLVMRealOGE), ROW(F64_GE, FCMP, LLVMRealOGE),
    ROWN(I32_CLZ, BITCOUNT, "llvm.ctlz"),    ROWN(I64_CLZ, BITCOUNT, "llvm.ctlz"),
    ROWN(I32_CTZ, BITCOUNT, "llvm.cttz"),    ROWN(I64_CTZ, BITCOUNT, "llvm.cttz"),
    ROWN(I32_POPCNT, BITCOUNT, "llvm.ctpop"), ROWN(I64_POPCNT, BITCOUNT, "llvm.ctpop"),
    ROW(I32_ADD, IBIN, LLVMAdd), ROW(I64_ADD, IBIN, LLVMAdd),
    ROW(I32_SUB, IBIN, LLVMSub), ROW(I64_SUB, IBIN, LLVMSub),
    ROW(I32_MUL, IBIN, LLVMMul), ROW(I64_MUL, IBIN, LLVMMul),
    ROW(I32_AND, IBIN, LLVMAnd), ROW(I64_AND, IBIN, LLVMAnd),
    ROW(I32_OR, IBIN, LLVMOr),   ROW(I64_OR, IBIN, LLVMOr),
    ROW(I32_XOR, IBIN, LLVMXor), ROW(I64_XOR, IBIN, LLVMXor),
    ROW(I32_DIV_S, DIVREM, LLVMSDiv), ROW(I64_DIV_S, DIVREM, LLVMSDiv),
    ROW(I32_DIV_U, DIVREM, LLVMUDiv), ROW(I64_DIV_U, DIVREM, LLVMUDiv),
    ROW(I32_REM_S, DIVREM, LLVMSRem), ROW(I64_REM_S, DIVREM, LLVMSRem),
    ROW(I32_REM_U, DIVREM, LLVMURem), ROW(I64_REM_U, DIVREM, LLVMURem),
    ROW(I32_SHL, SHIFT, LLVMShl),    ROW(I64_SHL, SHIFT, LLVMShl),
    ROW(I32_SHR_S, SHIFT, LLVMAShr), ROW(I64_SHR_S, SHIFT, LLVMAShr),
    ROW(I32_SHR_U, SHIFT, LLVMLShr), ROW(I64_SHR_U, SHIFT, LLVMLShr),
    ROWN(I32_ROTL, ROTATE, "llvm.fshl"), ROWN(I64_ROTL, ROTATE, "llvm.fshl"),
    ROWN(I32_ROTR, ROTATE, "llvm.fshr"), ROWN(I64_ROTR, ROTATE, "llvm.fshr"),
    ROW(F32_ABS, FSIGN, FSIGN_ABS), ROW(F64_ABS, FSIGN, FSIGN_ABS),
    ROW(F32_NEG, FSIGN, FSIGN_NEG), ROW(F64_NEG, FSIGN, FSIGN_NEG),
    ROW(F32_COPYSIGN, FSIGN, FSIGN_COPYSIGN), ROW(F64_COPYSIGN, FSIGN, FSIGN_COPYSIGN),
    ROWN(F32_CEIL, FUNARY, "llvm.ceil"),       ROWN(F64_CEIL, FUNARY, "llvm.ceil"),
    ROWN(F32_FLOOR, FUNARY, "llvm.floor"),     ROWN(F64_FLOOR, FUNARY, "llvm.floor"),
    ROWN(F32_TRUNC, FUNARY, "llvm.trunc"),     ROWN(F64_TRUNC, FUNARY, "llvm.trunc"),
    ROWN(F32_NEAREST, FUNARY, "llvm.roundeven"), ROWN(F64_NEAREST, FUNARY, "llvm.roundeven"),
    ROWN(F32_SQRT, FUNARY, "llvm.sqrt"),       ROWN(F64_SQRT, FUNARY, "llvm.sqrt"),
    ROWN(F32_ADD, FBIN, "llvm.experimental.constrained.fadd"),
    ROWN(F64_ADD, FBIN, "llvm.experimental.constrained.fadd"),
    ROWN(F32_SUB, FBIN, "llvm.experimental.constrained.fsub"),
    ROWN(F64_SUB, FBIN, "llvm.experimental.constrained.fsub"),
    ROWN(F32_MUL, FBIN, "llvm.experimental.constrained.fmul"),
    ROWN(F64_MUL, FBIN, "llvm.experimental.constrained.fmul"),
    ROWN(F32_DIV, FBIN, "llvm.experimental.constrained.fdiv"),
    ROWN(F64_DIV, FBIN, "llvm.experimental.constrained.fdiv"),
    ROWN(F32_MIN, FMINMAX, "llvm.minimum"), ROWN(F64_MIN, FMINMAX, "llvm.minimum"),
    ROWN(F32_MAX, FMINMAX, "llvm.maximum"), ROWN(F64_MAX, FMINMAX, "llvm.maximum"),
    ROW(I32_WRAP_I64, CAST, LLVMTrunc),
    ROW(I64_EXTEND_I32_S, CAST, LLVMSExt),
    ROW(I64_EXTEND_I32_U, CAST, LLVMZExt),
    ROW(I32_TRUNC_F32_S, TRUNC, 1), ROW(I32_TRUNC_F32_U, TRUNC, 0),
    ROW(I32_TRUNC_F64_S, TRUNC, 1), ROW(I32_TRUNC_F64_U, TRUNC, 0),
    ROW(I64_TRUNC_F32_S, TRUNC, 1), ROW(I64_TRUNC_F32_U, TRUNC, 0),
    ROW(I64_TRUNC_F64_S, TRUNC, 1), ROW(I64_TRUNC_F64_U, TRUNC, 0),
    ROWN(I32_TRUNC_SAT_F32_S, TRUNC_SAT, "llvm.fptosi.sat"),
    ROWN(I32_TRUNC_SAT_F32_U, TRUNC_SAT, "llvm.fptoui.sat"),
    ROWN(I32_TRUNC_SAT_F64_S, TRUNC_SAT, "llvm.fptosi.sat"),
    ROWN(I32_TRUNC_SAT_F64_U, TRUNC_SAT, "llvm.fptoui.sat"),
    ROWN(I64_TRUNC_SAT_F32_S, TRUNC_SAT, "llvm.fptosi.sat"),
    ROWN(I64_TRUNC_SAT_F32_U, TRUNC_SAT, "llvm.fptoui.sat"),
    ROWN(I64_TRUNC_SAT_F64_S, TRUNC_SAT, "llvm.fptosi.sat"),
    ROWN(I64_TRUNC_SAT_F64_U, TRUNC_SAT, "llvm.fptoui.sat"),
    ROW(F32_CONVERT_I32_S, CAST, LLVMSIToFP), ROW(F32_CONVERT_I32_U, CAST, LLVMUIToFP),
    ROW(F32_CONVERT_I64_S, CAST, LLVMSIToFP), ROW(F32_CONVERT_I64_U, CAST, LLVMUIToFP),
    ROW(F64_CONVERT_I32_S, CAST, LLVMSIToFP), ROW(F64_CONVERT_I32_U, CAST, LLVMUIToFP),
    ROW(F64_CONVERT_I64_S, CAST, LLVMSIToFP), ROW(F64_CONVERT_I64_U, CAST, LLVMUIToFP),
    ROW(F32_DEMOTE_F64, FPCAST, 0),
    ROW(F64_PROMOTE_F32, FPCAST, 1),
    ROW(I32_REINTERPRET_F32, CAST, LLVMBitCast), ROW(I64_REINTERPRET_F64, CAST, LLVMBitCast),
    ROW(F32_REINTERPRET_I32, CAST, LLVMBitCast), ROW(F64_REINTERPRET_I64, CAST, LLVMBitCast),
    ROW(I32_EXTEND8_S, SEXT_IN, 8),  ROW(I32_EXTEND16_S, SEXT_IN, 16),
    ROW(I64_EXTEND8_S, SEXT_IN, 8),  ROW(I64_EXTEND16_S, SEXT_IN, 16),
    ROW(I64_EXTEND32_S, SEXT_IN, 32),
    ROW(I64_ADD128, WIDE, LLVMAdd), ROW(I64_SUB128, WIDE, LLVMSub),
    ROW(I64_MUL_WIDE_S, MUL_WIDE, 1), ROW(I64_MUL_WIDE_U, MUL_WIDE, 0),
};

#undef ROW
#undef ROWN

/* ---- type and constant helpers (scalar or vector) ---------------------- */

LLVMTypeRef lower_valtype_of_sig(LLVMContextRef c, char letter) {
    switch (letter) {
    case 'i': return LLVMInt32TypeInContext(c);
    case 'I': return LLVMInt64TypeInContext(c);
    case 'f': return LLVMFloatTypeInContext(c);
    case 'F': return LLVMDoubleTypeInContext(c);
    case 'v': return LLVMVectorType(LLVMInt64TypeInContext(c), 2);
    default: return NULL;
    }
}

/* The integer type with the same shape as `ty` (float -> i32, <4 x float>
 * -> <4 x i32>): sign and NaN-bit tricks work on it. */
static LLVMTypeRef int_type_like(LLVMTypeRef ty) {
    LLVMContextRef c = LLVMGetTypeContext(ty);
    bool vec = LLVMGetTypeKind(ty) == LLVMVectorTypeKind;
    LLVMTypeRef scalar = vec ? LLVMGetElementType(ty) : ty;
    unsigned bits = LLVMGetTypeKind(scalar) == LLVMFloatTypeKind    ? 32
                    : LLVMGetTypeKind(scalar) == LLVMDoubleTypeKind ? 64
                                                                    : LLVMGetIntTypeWidth(scalar);
    LLVMTypeRef it = LLVMIntTypeInContext(c, bits);
    return vec ? LLVMVectorType(it, LLVMGetVectorSize(ty)) : it;
}

static unsigned scalar_bits(LLVMTypeRef ty) {
    LLVMTypeRef it = int_type_like(ty);
    if (LLVMGetTypeKind(it) == LLVMVectorTypeKind) it = LLVMGetElementType(it);
    return LLVMGetIntTypeWidth(it);
}

LLVMValueRef lower_const_int_like(LLVMTypeRef ty, uint64_t value) {
    if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind) return LLVMConstInt(ty, value, false);
    unsigned n = LLVMGetVectorSize(ty);
    LLVMValueRef lanes[16];
    for (unsigned i = 0; i < n; i++) lanes[i] = LLVMConstInt(LLVMGetElementType(ty), value, false);
    return LLVMConstVector(lanes, n);
}

static LLVMValueRef metadata_string(LLVMContextRef c, const char *s) {
    return LLVMMetadataAsValue(c, LLVMMDStringInContext2(c, s, strlen(s)));
}

/* ---- intrinsic calls ---------------------------------------------------- */

LLVMValueRef lower_call_intrinsic(const lower_value_env *env, const char *name,
                                  LLVMTypeRef *overloads, unsigned num_overloads,
                                  LLVMValueRef *args, unsigned num_args) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(env->module, id, overloads, num_overloads);
    LLVMTypeRef fnty = LLVMIntrinsicGetType(env->context, id, overloads, num_overloads);
    return LLVMBuildCall2(env->builder, fnty, fn, args, num_args, "");
}

/* The plain LLVM opcode of a constrained binary intrinsic's name. */
static LLVMOpcode fbin_opcode(const char *name) {
    if (strstr(name, "fadd")) return LLVMFAdd;
    if (strstr(name, "fsub")) return LLVMFSub;
    if (strstr(name, "fmul")) return LLVMFMul;
    return LLVMFDiv;
}

/* True if the float bits of `width` (32, 64) have magnitude 0 or 1. */
static bool bits_have_magnitude(uint64_t bits, unsigned width, double magnitude) {
    uint64_t abs = width == 32 ? bits & 0x7fffffffu : bits & 0x7fffffffffffffffull;
    if (magnitude == 0.0) return abs == 0;
    return abs == (width == 32 ? 0x3f800000u : 0x3ff0000000000000ull);
}

/* A v128 constant reaches float lanes as `bitcast (<2 x i64> C)`, which
 * the IR builder leaves unfolded: read the lanes from the integer
 * vector.  False if some lane has the magnitude, or the shape is not
 * one this reads (then the caller assumes a match). */
static bool bitcast_lanes_lack_magnitude(LLVMValueRef v, unsigned width, double magnitude) {
    if (!LLVMIsAConstantExpr(v) || LLVMGetConstOpcode(v) != LLVMBitCast) return false;
    LLVMValueRef src = LLVMGetOperand(v, 0);
    LLVMTypeRef st = LLVMTypeOf(src);
    if (LLVMGetTypeKind(st) != LLVMVectorTypeKind ||
        LLVMGetTypeKind(LLVMGetElementType(st)) != LLVMIntegerTypeKind ||
        LLVMGetIntTypeWidth(LLVMGetElementType(st)) != 64)
        return false;
    for (unsigned i = 0; i < LLVMGetVectorSize(st); i++) {
        LLVMValueRef lane = LLVMGetAggregateElement(src, i);
        if (!lane || !LLVMIsAConstantInt(lane)) return false;
        uint64_t bits = LLVMConstIntGetZExtValue(lane);
        for (unsigned shift = 0; shift < 64; shift += width)
            if (bits_have_magnitude(width == 64 ? bits : (uint32_t)(bits >> shift), width,
                                    magnitude))
                return false;
    }
    return true;
}

/* True if `v` is a constant with a lane of magnitude `magnitude` (0 or 1).
 * A constant whose lanes cannot be read counts as a match: the
 * constrained form is always correct, only slower. */
static bool const_has_magnitude(LLVMValueRef v, double magnitude) {
    if (!LLVMIsConstant(v)) return false;
    LLVMBool loses = 0;
    if (LLVMIsAConstantFP(v)) return fabs(LLVMConstRealGetDouble(v, &loses)) == magnitude;
    LLVMTypeRef ty = LLVMTypeOf(v);
    if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind) return true;
    if (bitcast_lanes_lack_magnitude(v, scalar_bits(ty), magnitude)) return false;
    if (LLVMIsAConstantExpr(v)) return true;
    for (unsigned i = 0; i < LLVMGetVectorSize(ty); i++) {
        LLVMValueRef lane = LLVMGetAggregateElement(v, i);
        if (!lane || !LLVMIsAConstantFP(lane) ||
            fabs(LLVMConstRealGetDouble(lane, &loses)) == magnitude)
            return true;
    }
    return false;
}

/* The operand patterns LLVM's InstSimplify/InstCombine/DAGCombiner fold
 * to one of the operands (or to its fneg, a sign flip) without looking at
 * NaNs: x + -0, x + 0 (x known not -0), x - +-0, +-0 - x (-> fneg x),
 * x * +-1, x / +-1.  Any other constant is safe: x * 2 -> x + x,
 * x / 4 -> x * 0.25 still compute. */
static bool fbin_may_fold_to_operand(LLVMOpcode opc, LLVMValueRef a, LLVMValueRef b) {
    switch (opc) {
    case LLVMFAdd:
    case LLVMFSub: return const_has_magnitude(a, 0.0) || const_has_magnitude(b, 0.0);
    case LLVMFMul: return const_has_magnitude(a, 1.0) || const_has_magnitude(b, 1.0);
    default: return const_has_magnitude(b, 1.0);
    }
}

/* fadd/fsub/fmul/fdiv (`name` is the constrained intrinsic).  Plain
 * instructions, which LLVM vectorizes and optimises freely, unless an
 * operand is a constant that makes the operation an identity: then the
 * constrained intrinsic with "fpexcept.maytrap", which LLVM never folds
 * across a possible sNaN (see the file comment). */
LLVMValueRef lower_fbinop(const lower_value_env *env, const char *name, LLVMValueRef a,
                          LLVMValueRef b) {
    LLVMOpcode opc = fbin_opcode(name);
    if (!fbin_may_fold_to_operand(opc, a, b)) return LLVMBuildBinOp(env->builder, opc, a, b, "");
    LLVMValueRef args[2] = {a, b};
    return lower_constrained(env, name, args, 2);
}

LLVMValueRef lower_constrained(const lower_value_env *env, const char *name, LLVMValueRef *args,
                               unsigned n) {
    LLVMValueRef all[5];
    memcpy(all, args, n * sizeof *args);
    all[n] = metadata_string(env->context, "round.tonearest");
    all[n + 1] = metadata_string(env->context, "fpexcept.maytrap");
    LLVMTypeRef ty = LLVMTypeOf(args[0]);
    return lower_call_intrinsic(env, name, &ty, 1, all, n + 2);
}

/* True if `x` is a promote (fpext) seen through the operations that
 * InstCombine looks through when it shrinks fptrunc(op(fpext y)) to
 * op(y): bitcasts, sign bit logic (kiln's abs/neg/copysign), fneg,
 * selects and shuffles (SIMD promote_low).  Depth-limited: wasm
 * expression trees that matter are small. */
static bool value_is_promoted(LLVMValueRef x, unsigned depth) {
    if (depth == 0 || !LLVMIsAInstruction(x)) return false;
    switch (LLVMGetInstructionOpcode(x)) {
    case LLVMFPExt: return true;
    case LLVMBitCast:
    case LLVMFNeg: return value_is_promoted(LLVMGetOperand(x, 0), depth - 1);
    case LLVMAnd:
    case LLVMOr:
    case LLVMXor:
    case LLVMShuffleVector:
        return value_is_promoted(LLVMGetOperand(x, 0), depth - 1) ||
               value_is_promoted(LLVMGetOperand(x, 1), depth - 1);
    case LLVMSelect:
        return value_is_promoted(LLVMGetOperand(x, 1), depth - 1) ||
               value_is_promoted(LLVMGetOperand(x, 2), depth - 1);
    default: return false;
    }
}

/* Promote is a plain fpext (cvtss2sd quiets an sNaN and nothing folds a
 * lone fpext).  Demote is a plain fptrunc unless it would undo a visible
 * promote: fptrunc(fpext x) -> x returns an sNaN unquieted, so that case
 * is the constrained fptrunc (rounding + exception metadata). */
LLVMValueRef lower_fpcast(const lower_value_env *env, bool extend, LLVMValueRef x,
                          LLVMTypeRef to) {
    if (extend) return LLVMBuildFPExt(env->builder, x, to, "");
    if (!value_is_promoted(x, 6)) return LLVMBuildFPTrunc(env->builder, x, to, "");
    LLVMTypeRef tys[2] = {to, LLVMTypeOf(x)};
    LLVMValueRef args[3] = {x, metadata_string(env->context, "round.tonearest"),
                            metadata_string(env->context, "fpexcept.maytrap")};
    return lower_call_intrinsic(env, "llvm.experimental.constrained.fptrunc", tys, 2, args, 3);
}

/* ---- integer families --------------------------------------------------- */

static LLVMValueRef int_shift(const lower_value_env *env, LLVMOpcode opc, LLVMValueRef x,
                              LLVMValueRef count) {
    LLVMTypeRef ty = LLVMTypeOf(x);
    LLVMValueRef mask = lower_const_int_like(ty, scalar_bits(ty) - 1);
    LLVMValueRef n = LLVMBuildAnd(env->builder, count, mask, "");
    return LLVMBuildBinOp(env->builder, opc, x, n, "");
}

/* Funnel shifts of x with itself are rotates, and take the count modulo
 * the width by definition.  For the fast instruction selector, which has
 * no funnel shift (it would send the rest of the block to SelectionDAG),
 * two shifts and an or: x << (n & m) | x >> (-n & m), m = width - 1, is
 * the left rotate for every n, 0 included. */
static LLVMValueRef int_rotate(const lower_value_env *env, const char *name, LLVMValueRef x,
                               LLVMValueRef count) {
    LLVMTypeRef ty = LLVMTypeOf(x);
    if (env->fast_isel) {
        LLVMBuilderRef b = env->builder;
        LLVMValueRef m = LLVMConstInt(ty, LLVMGetIntTypeWidth(ty) - 1, false);
        LLVMValueRef n = LLVMBuildAnd(b, count, m, "");
        LLVMValueRef back = LLVMBuildAnd(b, LLVMBuildNeg(b, count, ""), m, "");
        bool left = strcmp(name, "llvm.fshl") == 0;
        return LLVMBuildOr(b, LLVMBuildShl(b, x, left ? n : back, ""),
                           LLVMBuildLShr(b, x, left ? back : n, ""), "");
    }
    LLVMValueRef args[3] = {x, x, count};
    return lower_call_intrinsic(env, name, &ty, 1, args, 3);
}

static LLVMValueRef int_bitcount(const lower_value_env *env, const char *name, LLVMValueRef x) {
    LLVMTypeRef ty = LLVMTypeOf(x);
    /* ctlz/cttz take is_zero_poison: false makes clz(0) = ctz(0) = width. */
    LLVMValueRef args[2] = {x, LLVMConstInt(LLVMInt1TypeInContext(env->context), 0, false)};
    unsigned n = strcmp(name, "llvm.ctpop") == 0 ? 1 : 2;
    return lower_call_intrinsic(env, name, &ty, 1, args, n);
}

static LLVMValueRef int_divrem(const lower_value_env *env, LLVMOpcode opc, LLVMValueRef a,
                               LLVMValueRef b) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef zero = LLVMConstInt(ty, 0, false);
    LLVMValueRef minus_one = LLVMConstAllOnes(ty);
    env->emit_trap_if(env->user, LLVMBuildICmp(bld, LLVMIntEQ, b, zero, ""),
                      KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    if (opc == LLVMSDiv) {
        LLVMValueRef int_min = LLVMConstInt(ty, 1ull << (scalar_bits(ty) - 1), false);
        LLVMValueRef overflow = LLVMBuildAnd(bld, LLVMBuildICmp(bld, LLVMIntEQ, a, int_min, ""),
                                             LLVMBuildICmp(bld, LLVMIntEQ, b, minus_one, ""), "");
        env->emit_trap_if(env->user, overflow, KILN_TRAP_INTEGER_OVERFLOW);
    } else if (opc == LLVMSRem) {
        /* INT_MIN % -1 is UB for srem but 0 in wasm; x % 1 is 0 for every x. */
        LLVMValueRef is_m1 = LLVMBuildICmp(bld, LLVMIntEQ, b, minus_one, "");
        b = LLVMBuildSelect(bld, is_m1, LLVMConstInt(ty, 1, false), b, "");
    }
    return LLVMBuildBinOp(bld, opc, a, b, "");
}

static LLVMValueRef int_sext_in(const lower_value_env *env, unsigned from_bits, LLVMValueRef x) {
    LLVMTypeRef narrow = LLVMIntTypeInContext(env->context, from_bits);
    LLVMValueRef t = LLVMBuildTrunc(env->builder, x, narrow, "");
    return LLVMBuildSExt(env->builder, t, LLVMTypeOf(x), "");
}

/* ---- float families ----------------------------------------------------- */

/* abs/neg/copysign are bit operations (they never touch a NaN payload). */
LLVMValueRef lower_fsign(const lower_value_env *env, int kind, LLVMValueRef a, LLVMValueRef b) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef fty = LLVMTypeOf(a);
    LLVMTypeRef ity = int_type_like(fty);
    LLVMValueRef sign = lower_const_int_like(ity, 1ull << (scalar_bits(fty) - 1));
    LLVMValueRef bits = LLVMBuildBitCast(bld, a, ity, "");
    LLVMValueRef r;
    if (kind == FSIGN_NEG) {
        r = LLVMBuildXor(bld, bits, sign, "");
    } else {
        r = LLVMBuildAnd(bld, bits, LLVMBuildNot(bld, sign, ""), "");
        if (kind == FSIGN_COPYSIGN) {
            LLVMValueRef bbits = LLVMBuildBitCast(bld, b, ity, "");
            r = LLVMBuildOr(bld, r, LLVMBuildAnd(bld, bbits, sign, ""), "");
        }
    }
    return LLVMBuildBitCast(bld, r, fty, "");
}

/* Sets the quiet bit of `x` where it is a NaN (lane-wise for vectors). */
static LLVMValueRef nan_quiet(const lower_value_env *env, LLVMValueRef x) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef fty = LLVMTypeOf(x);
    LLVMTypeRef ity = int_type_like(fty);
    LLVMValueRef quiet = lower_const_int_like(ity, 1ull << (scalar_bits(fty) == 32 ? 22 : 51));
    LLVMValueRef bits = LLVMBuildOr(bld, LLVMBuildBitCast(bld, x, ity, ""), quiet, "");
    LLVMValueRef is_nan = LLVMBuildFCmp(bld, LLVMRealUNO, x, x, "");
    return LLVMBuildSelect(bld, is_nan, LLVMBuildBitCast(bld, bits, fty, ""), x, "");
}

/* llvm.minimum/maximum already order -0 < +0 and return NaN for any NaN
 * operand, but may hand a signalling NaN back unchanged. */
LLVMValueRef lower_fminmax(const lower_value_env *env, bool is_max, LLVMValueRef a,
                           LLVMValueRef b) {
    LLVMTypeRef ty = LLVMTypeOf(a);
    LLVMValueRef args[2] = {a, b};
    LLVMValueRef r = lower_call_intrinsic(env, is_max ? "llvm.maximum" : "llvm.minimum", &ty, 1,
                                          args, 2);
    return nan_quiet(env, r);
}

/* LLVM's RISC-V back end rounds (without the Zfa extension) by an integer
 * conversion guarded by |x| < 2^mantissa, which hands any NaN back as it
 * came, a signalling one too; there the result is quieted.  Elsewhere the
 * rounding instruction (or libm) quiets, as sqrt does everywhere. */
static bool rounding_keeps_snan(const lower_value_env *env) {
    return strncmp(LLVMGetTarget(env->module), "riscv", 5) == 0;
}

LLVMValueRef lower_funary(const lower_value_env *env, const char *name, LLVMValueRef x) {
    LLVMTypeRef ty = LLVMTypeOf(x);
    LLVMValueRef r = lower_call_intrinsic(env, name, &ty, 1, &x, 1);
    bool rounds = strcmp(name, "llvm.sqrt") != 0;
    return rounds && rounding_keeps_snan(env) ? nan_quiet(env, r) : r;
}

/* ---- conversions -------------------------------------------------------- */

/* The open (or half-open) interval of floats whose truncation fits the
 * target integer.  Every bound is exactly representable in the source
 * type.  Signed targets accept -2^(N-1) itself; when -2^(N-1)-1 is
 * representable too (f64 -> i32), anything above it truncates into range,
 * so the bound becomes that exclusive value. */
typedef struct trunc_bounds {
    double lo;
    bool lo_inclusive;
    double hi; /* always exclusive */
} trunc_bounds;

static trunc_bounds trunc_bounds_for(bool is_signed, unsigned int_bits, bool from_f64) {
    trunc_bounds b;
    if (!is_signed) {
        b.lo = -1.0;
        b.lo_inclusive = false;
        b.hi = int_bits == 32 ? 4294967296.0 : 18446744073709551616.0;
    } else if (int_bits == 32) {
        b.lo = from_f64 ? -2147483649.0 : -2147483648.0;
        b.lo_inclusive = !from_f64;
        b.hi = 2147483648.0;
    } else {
        b.lo = -9223372036854775808.0;
        b.lo_inclusive = true;
        b.hi = 9223372036854775808.0;
    }
    return b;
}

static LLVMValueRef float_trunc_trapping(const lower_value_env *env, bool is_signed,
                                         LLVMValueRef x, LLVMTypeRef to) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef fty = LLVMTypeOf(x);
    trunc_bounds b = trunc_bounds_for(is_signed, LLVMGetIntTypeWidth(to),
                                      LLVMGetTypeKind(fty) == LLVMDoubleTypeKind);
    env->emit_trap_if(env->user, LLVMBuildFCmp(bld, LLVMRealUNO, x, x, ""),
                      KILN_TRAP_INVALID_CONVERSION);
    LLVMValueRef above = LLVMBuildFCmp(bld, b.lo_inclusive ? LLVMRealOGE : LLVMRealOGT, x,
                                       LLVMConstReal(fty, b.lo), "");
    LLVMValueRef below = LLVMBuildFCmp(bld, LLVMRealOLT, x, LLVMConstReal(fty, b.hi), "");
    LLVMValueRef in_range = LLVMBuildAnd(bld, above, below, "");
    env->emit_trap_if(env->user, LLVMBuildNot(bld, in_range, ""), KILN_TRAP_INTEGER_OVERFLOW);
    return is_signed ? LLVMBuildFPToSI(bld, x, to, "") : LLVMBuildFPToUI(bld, x, to, "");
}

LLVMValueRef lower_trunc_sat(const lower_value_env *env, bool is_signed, LLVMValueRef x,
                             LLVMTypeRef to) {
    LLVMTypeRef tys[2] = {to, LLVMTypeOf(x)};
    return lower_call_intrinsic(env, is_signed ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2,
                                &x, 1);
}

/* ---- wide arithmetic ------------------------------------------------------ */

/* A 128-bit value is a (low, high) pair of i64 on the wasm stack; LLVM's
 * i128 gives exact carries and the widening multiply (x86-64: add/adc,
 * sub/sbb, one mul or imul), so nothing here needs a carry by hand. */
static LLVMValueRef i128_from_pair(const lower_value_env *env, LLVMValueRef lo, LLVMValueRef hi) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef i128 = LLVMInt128TypeInContext(env->context);
    LLVMValueRef high = LLVMBuildShl(bld, LLVMBuildZExt(bld, hi, i128, ""),
                                     LLVMConstInt(i128, 64, false), "");
    return LLVMBuildOr(bld, high, LLVMBuildZExt(bld, lo, i128, ""), "");
}

/* The two results as a first-class {i64, i64}: lowering pushes each. */
static LLVMValueRef i128_to_pair(const lower_value_env *env, LLVMValueRef v) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef i64 = LLVMInt64TypeInContext(env->context);
    LLVMTypeRef fields[2] = {i64, i64};
    LLVMValueRef hi = LLVMBuildLShr(bld, v, LLVMConstInt(LLVMTypeOf(v), 64, false), "");
    LLVMValueRef pair = LLVMGetUndef(LLVMStructTypeInContext(env->context, fields, 2, false));
    pair = LLVMBuildInsertValue(bld, pair, LLVMBuildTrunc(bld, v, i64, ""), 0, "");
    return LLVMBuildInsertValue(bld, pair, LLVMBuildTrunc(bld, hi, i64, ""), 1, "");
}

static LLVMValueRef lower_wide(const lower_value_env *env, const numeric_row *row,
                               LLVMValueRef *args) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef i128 = LLVMInt128TypeInContext(env->context);
    LLVMValueRef a, b;
    if (row->family == FAM_WIDE) {
        a = i128_from_pair(env, args[0], args[1]);
        b = i128_from_pair(env, args[2], args[3]);
        return i128_to_pair(env, LLVMBuildBinOp(bld, (LLVMOpcode)row->arg, a, b, ""));
    }
    LLVMOpcode ext = row->arg ? LLVMSExt : LLVMZExt;
    a = LLVMBuildCast(bld, ext, args[0], i128, "");
    b = LLVMBuildCast(bld, ext, args[1], i128, "");
    return i128_to_pair(env, LLVMBuildMul(bld, a, b, ""));
}

/* ---- dispatch ----------------------------------------------------------- */

bool lower_numeric_handles(kiln_opcode op) {
    return op < KILN_OP_COUNT && numeric_rows[op].family != FAM_NONE;
}

static LLVMValueRef lower_compare(const lower_value_env *env, const numeric_row *row,
                                  LLVMValueRef *args) {
    LLVMBuilderRef bld = env->builder;
    LLVMValueRef bit;
    if (row->family == FAM_EQZ)
        bit = LLVMBuildICmp(bld, LLVMIntEQ, args[0], LLVMConstNull(LLVMTypeOf(args[0])), "");
    else if (row->family == FAM_ICMP)
        bit = LLVMBuildICmp(bld, (LLVMIntPredicate)row->arg, args[0], args[1], "");
    else
        bit = LLVMBuildFCmp(bld, (LLVMRealPredicate)row->arg, args[0], args[1], "");
    return LLVMBuildZExt(bld, bit, LLVMInt32TypeInContext(env->context), "");
}

static LLVMValueRef lower_conversion(const lower_value_env *env, const numeric_row *row,
                                     LLVMValueRef x, LLVMTypeRef to) {
    switch (row->family) {
    case FAM_TRUNC: return float_trunc_trapping(env, row->arg != 0, x, to);
    case FAM_TRUNC_SAT: return lower_trunc_sat(env, strstr(row->name, "fptosi") != NULL, x, to);
    case FAM_FPCAST: return lower_fpcast(env, row->arg != 0, x, to);
    case FAM_SEXT_IN: return int_sext_in(env, (unsigned)row->arg, x);
    default: return LLVMBuildCast(env->builder, (LLVMOpcode)row->arg, x, to, "");
    }
}

LLVMValueRef lower_numeric(const lower_value_env *env, kiln_opcode op, LLVMValueRef *args) {
    if (!lower_numeric_handles(op)) return NULL;
    const numeric_row *row = &numeric_rows[op];
    const char *sig = kiln_opcode_table[op].signature;
    LLVMTypeRef result_type = lower_valtype_of_sig(env->context, strchr(sig, ':')[1]);
    switch (row->family) {
    case FAM_IBIN: return LLVMBuildBinOp(env->builder, (LLVMOpcode)row->arg, args[0], args[1], "");
    case FAM_SHIFT: return int_shift(env, (LLVMOpcode)row->arg, args[0], args[1]);
    case FAM_ROTATE: return int_rotate(env, row->name, args[0], args[1]);
    case FAM_DIVREM: return int_divrem(env, (LLVMOpcode)row->arg, args[0], args[1]);
    case FAM_EQZ:
    case FAM_ICMP:
    case FAM_FCMP: return lower_compare(env, row, args);
    case FAM_BITCOUNT: return int_bitcount(env, row->name, args[0]);
    case FAM_FBIN: return lower_fbinop(env, row->name, args[0], args[1]);
    case FAM_FMINMAX: return lower_fminmax(env, strstr(row->name, "max") != NULL, args[0], args[1]);
    case FAM_FSIGN:
        return lower_fsign(env, row->arg, args[0], row->arg == FSIGN_COPYSIGN ? args[1] : NULL);
    case FAM_FUNARY: return lower_funary(env, row->name, args[0]);
    case FAM_WIDE:
    case FAM_MUL_WIDE: return lower_wide(env, row, args);
    default: return lower_conversion(env, row, args[0], result_type);
    }
}
