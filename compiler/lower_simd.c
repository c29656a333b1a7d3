/* lower_simd.c - SIMD128 instructions that do not touch memory.
 *
 * A v128 travels between instructions as <2 x i64>; each instruction
 * bitcasts its operands to the lane shape it works on and its result
 * back.  Everything is written in target-independent IR (shufflevector,
 * saturating and min/max intrinsics, widening multiplies) so that it is
 * correct on baseline x86-64 (SSE2), where LLVM expands what the CPU
 * lacks, and LLVM picks SSE4.1/AVX2 forms when the target CPU has them.
 *
 * Float lanes follow the scalar rules of lower_numeric.c, through the
 * helpers it shares in lower.h: plain arithmetic, constrained only where
 * an identity fold (a lane of +-0 or +-1 in a constant operand, demote of
 * a promote) would return a signalling NaN, NaN-quieting min/max,
 * bitwise abs/neg.
 *
 * Dispatch is one table indexed by kiln_opcode: a family, the lane shape
 * the family works on (for widening families: the *input* shape) and a
 * family parameter (LLVM opcode, predicate, intrinsic name or flags). */
#include <string.h>

#include "lower.h"

typedef enum simd_shape { I8X16, I16X8, I32X4, I64X2, F32X4, F64X2 } simd_shape;

typedef enum simd_family {
    SF_NONE = 0,
    SF_SPLAT,
    SF_EXTRACT, /* arg: SX_SIGNED for the _s forms */
    SF_REPLACE,
    SF_SHUFFLE,
    SF_SWIZZLE,
    SF_IBIN,  /* arg: LLVMOpcode */
    SF_INTR2, /* name: binary lane-wise intrinsic */
    SF_ICMP,  /* arg: LLVMIntPredicate */
    SF_FCMP,  /* arg: LLVMRealPredicate */
    SF_NOT,
    SF_ANDNOT,
    SF_BITSELECT,
    SF_ANY_TRUE,
    SF_ALL_TRUE,
    SF_BITMASK,
    SF_ABS,
    SF_NEG,
    SF_POPCNT,
    SF_SHIFT,  /* arg: LLVMOpcode */
    SF_NARROW, /* arg: SX_SIGNED; shape: the wide input */
    SF_EXTEND, /* arg: SX_* flags; shape: the narrow input */
    SF_EXTMUL, /* arg: SX_* flags; shape: the narrow inputs */
    SF_EXTADD, /* arg: SX_SIGNED; shape: the narrow input */
    SF_Q15MULR,
    SF_DOT,
    SF_AVGR,
    SF_FBIN,           /* name: constrained fadd/fsub/fmul/fdiv (see lower_fbinop) */
    SF_FMINMAX,        /* arg: 1 for max */
    SF_PMINMAX,        /* arg: 1 for pmax */
    SF_FSIGN,          /* arg: FSIGN_ABS / FSIGN_NEG */
    SF_FUNARY,         /* name: llvm.sqrt / ceil / floor / ... */
    SF_TRUNC_SAT,      /* arg: SX_SIGNED; f32x4 -> i32x4 */
    SF_CONVERT,        /* arg: SX_SIGNED; i32x4 -> f32x4 */
    SF_TRUNC_SAT_ZERO, /* arg: SX_SIGNED; f64x2 -> i32x4, top zero */
    SF_CONVERT_LOW,    /* arg: SX_SIGNED; low i32x4 -> f64x2 */
    SF_DEMOTE_ZERO,
    SF_PROMOTE_LOW,
    /* relaxed SIMD: the result depends on the target (relaxed_* below) */
    SF_RELAXED_SWIZZLE,
    SF_RELAXED_TRUNC,      /* arg: SX_SIGNED; shape: F32X4, or F64X2 for _zero */
    SF_RELAXED_MADD,       /* arg: 1 for nmadd */
    SF_RELAXED_LANESELECT, /* shape: the lanes the mask selects */
    SF_RELAXED_MINMAX,     /* arg: 1 for max */
    SF_RELAXED_Q15MULR,
    SF_RELAXED_DOT,        /* arg: 1 for i32x4.relaxed_dot_i8x16_i7x16_add_s */
} simd_family;

enum { SX_SIGNED = 1, SX_HIGH = 2 };

typedef struct simd_row {
    uint8_t family;
    uint8_t shape;
    int arg;
    const char *name;
} simd_row;

#define R(op, fam, shape, a) [KILN_OP_##op] = {SF_##fam, shape, (a), NULL}
#define RN(op, fam, shape, n) [KILN_OP_##op] = {SF_##fam, shape, 0, (n)}
#define CF(name) "llvm.experimental.constrained." name

/* clang-format off */
static const simd_row simd_rows[KILN_OP_COUNT] = {
    R(I8X16_SHUFFLE, SHUFFLE, I8X16, 0),
    R(I8X16_SWIZZLE, SWIZZLE, I8X16, 0),
    R(I8X16_SPLAT, SPLAT, I8X16, 0), R(I16X8_SPLAT, SPLAT, I16X8, 0),
    R(I32X4_SPLAT, SPLAT, I32X4, 0), R(I64X2_SPLAT, SPLAT, I64X2, 0),
    R(F32X4_SPLAT, SPLAT, F32X4, 0), R(F64X2_SPLAT, SPLAT, F64X2, 0),
    R(I8X16_EXTRACT_LANE_S, EXTRACT, I8X16, SX_SIGNED), R(I8X16_EXTRACT_LANE_U, EXTRACT, I8X16, 0),
    R(I16X8_EXTRACT_LANE_S, EXTRACT, I16X8, SX_SIGNED), R(I16X8_EXTRACT_LANE_U, EXTRACT, I16X8, 0),
    R(I32X4_EXTRACT_LANE, EXTRACT, I32X4, 0), R(I64X2_EXTRACT_LANE, EXTRACT, I64X2, 0),
    R(F32X4_EXTRACT_LANE, EXTRACT, F32X4, 0), R(F64X2_EXTRACT_LANE, EXTRACT, F64X2, 0),
    R(I8X16_REPLACE_LANE, REPLACE, I8X16, 0), R(I16X8_REPLACE_LANE, REPLACE, I16X8, 0),
    R(I32X4_REPLACE_LANE, REPLACE, I32X4, 0), R(I64X2_REPLACE_LANE, REPLACE, I64X2, 0),
    R(F32X4_REPLACE_LANE, REPLACE, F32X4, 0), R(F64X2_REPLACE_LANE, REPLACE, F64X2, 0),
    /* comparisons */
    R(I8X16_EQ, ICMP, I8X16, LLVMIntEQ),    R(I8X16_NE, ICMP, I8X16, LLVMIntNE),
    R(I8X16_LT_S, ICMP, I8X16, LLVMIntSLT), R(I8X16_LT_U, ICMP, I8X16, LLVMIntULT),
    R(I8X16_GT_S, ICMP, I8X16, LLVMIntSGT), R(I8X16_GT_U, ICMP, I8X16, LLVMIntUGT),
    R(I8X16_LE_S, ICMP, I8X16, LLVMIntSLE), R(I8X16_LE_U, ICMP, I8X16, LLVMIntULE),
    R(I8X16_GE_S, ICMP, I8X16, LLVMIntSGE), R(I8X16_GE_U, ICMP, I8X16, LLVMIntUGE),
    R(I16X8_EQ, ICMP, I16X8, LLVMIntEQ),    R(I16X8_NE, ICMP, I16X8, LLVMIntNE),
    R(I16X8_LT_S, ICMP, I16X8, LLVMIntSLT), R(I16X8_LT_U, ICMP, I16X8, LLVMIntULT),
    R(I16X8_GT_S, ICMP, I16X8, LLVMIntSGT), R(I16X8_GT_U, ICMP, I16X8, LLVMIntUGT),
    R(I16X8_LE_S, ICMP, I16X8, LLVMIntSLE), R(I16X8_LE_U, ICMP, I16X8, LLVMIntULE),
    R(I16X8_GE_S, ICMP, I16X8, LLVMIntSGE), R(I16X8_GE_U, ICMP, I16X8, LLVMIntUGE),
    R(I32X4_EQ, ICMP, I32X4, LLVMIntEQ),    R(I32X4_NE, ICMP, I32X4, LLVMIntNE),
    R(I32X4_LT_S, ICMP, I32X4, LLVMIntSLT), R(I32X4_LT_U, ICMP, I32X4, LLVMIntULT),
    R(I32X4_GT_S, ICMP, I32X4, LLVMIntSGT), R(I32X4_GT_U, ICMP, I32X4, LLVMIntUGT),
    R(I32X4_LE_S, ICMP, I32X4, LLVMIntSLE), R(I32X4_LE_U, ICMP, I32X4, LLVMIntULE),
    R(I32X4_GE_S, ICMP, I32X4, LLVMIntSGE), R(I32X4_GE_U, ICMP, I32X4, LLVMIntUGE),
    R(I64X2_EQ, ICMP, I64X2, LLVMIntEQ),    R(I64X2_NE, ICMP, I64X2, LLVMIntNE),
    R(I64X2_LT_S, ICMP, I64X2, LLVMIntSLT), R(I64X2_GT_S, ICMP, I64X2, LLVMIntSGT),
    R(I64X2_LE_S, ICMP, I64X2, LLVMIntSLE), R(I64X2_GE_S, ICMP, I64X2, LLVMIntSGE),
    R(F32X4_EQ, FCMP, F32X4, LLVMRealOEQ), R(F32X4_NE, FCMP, F32X4, LLVMRealUNE),
    R(F32X4_LT, FCMP, F32X4, LLVMRealOLT), R(F32X4_GT, FCMP, F32X4, LLVMRealOGT),
    R(F32X4_LE, FCMP, F32X4, LLVMRealOLE), R(F32X4_GE, FCMP, F32X4, LLVMRealOGE),
    R(F64X2_EQ, FCMP, F64X2, LLVMRealOEQ), R(F64X2_NE, FCMP, F64X2, LLVMRealUNE),
    R(F64X2_LT, FCMP, F64X2, LLVMRealOLT), R(F64X2_GT, FCMP, F64X2, LLVMRealOGT),
    R(F64X2_LE, FCMP, F64X2, LLVMRealOLE), R(F64X2_GE, FCMP, F64X2, LLVMRealOGE),
    /* bitwise */
    R(V128_NOT, NOT, I64X2, 0),
    R(V128_AND, IBIN, I64X2, LLVMAnd), R(V128_OR, IBIN, I64X2, LLVMOr),
    R(V128_XOR, IBIN, I64X2, LLVMXor), R(V128_ANDNOT, ANDNOT, I64X2, 0),
    R(V128_BITSELECT, BITSELECT, I64X2, 0), R(V128_ANY_TRUE, ANY_TRUE, I8X16, 0),
    /* float conversions */
    R(F32X4_DEMOTE_F64X2_ZERO, DEMOTE_ZERO, F64X2, 0),
    R(F64X2_PROMOTE_LOW_F32X4, PROMOTE_LOW, F32X4, 0),
    R(I32X4_TRUNC_SAT_F32X4_S, TRUNC_SAT, F32X4, SX_SIGNED),
    R(I32X4_TRUNC_SAT_F32X4_U, TRUNC_SAT, F32X4, 0),
    R(F32X4_CONVERT_I32X4_S, CONVERT, I32X4, SX_SIGNED),
    R(F32X4_CONVERT_I32X4_U, CONVERT, I32X4, 0),
    R(I32X4_TRUNC_SAT_F64X2_S_ZERO, TRUNC_SAT_ZERO, F64X2, SX_SIGNED),
    R(I32X4_TRUNC_SAT_F64X2_U_ZERO, TRUNC_SAT_ZERO, F64X2, 0),
    R(F64X2_CONVERT_LOW_I32X4_S, CONVERT_LOW, I32X4, SX_SIGNED),
    R(F64X2_CONVERT_LOW_I32X4_U, CONVERT_LOW, I32X4, 0),
    /* integer lanes: unary, reductions, shifts */
    R(I8X16_ABS, ABS, I8X16, 0), R(I16X8_ABS, ABS, I16X8, 0),
    R(I32X4_ABS, ABS, I32X4, 0), R(I64X2_ABS, ABS, I64X2, 0),
    R(I8X16_NEG, NEG, I8X16, 0), R(I16X8_NEG, NEG, I16X8, 0),
    R(I32X4_NEG, NEG, I32X4, 0), R(I64X2_NEG, NEG, I64X2, 0),
    R(I8X16_POPCNT, POPCNT, I8X16, 0),
    R(I8X16_ALL_TRUE, ALL_TRUE, I8X16, 0), R(I16X8_ALL_TRUE, ALL_TRUE, I16X8, 0),
    R(I32X4_ALL_TRUE, ALL_TRUE, I32X4, 0), R(I64X2_ALL_TRUE, ALL_TRUE, I64X2, 0),
    R(I8X16_BITMASK, BITMASK, I8X16, 0), R(I16X8_BITMASK, BITMASK, I16X8, 0),
    R(I32X4_BITMASK, BITMASK, I32X4, 0), R(I64X2_BITMASK, BITMASK, I64X2, 0),
    R(I8X16_SHL, SHIFT, I8X16, LLVMShl), R(I8X16_SHR_S, SHIFT, I8X16, LLVMAShr),
    R(I8X16_SHR_U, SHIFT, I8X16, LLVMLShr),
    R(I16X8_SHL, SHIFT, I16X8, LLVMShl), R(I16X8_SHR_S, SHIFT, I16X8, LLVMAShr),
    R(I16X8_SHR_U, SHIFT, I16X8, LLVMLShr),
    R(I32X4_SHL, SHIFT, I32X4, LLVMShl), R(I32X4_SHR_S, SHIFT, I32X4, LLVMAShr),
    R(I32X4_SHR_U, SHIFT, I32X4, LLVMLShr),
    R(I64X2_SHL, SHIFT, I64X2, LLVMShl), R(I64X2_SHR_S, SHIFT, I64X2, LLVMAShr),
    R(I64X2_SHR_U, SHIFT, I64X2, LLVMLShr),
    /* integer lanes: binary */
    R(I8X16_ADD, IBIN, I8X16, LLVMAdd), R(I8X16_SUB, IBIN, I8X16, LLVMSub),
    R(I16X8_ADD, IBIN, I16X8, LLVMAdd), R(I16X8_SUB, IBIN, I16X8, LLVMSub),
    R(I16X8_MUL, IBIN, I16X8, LLVMMul),
    R(I32X4_ADD, IBIN, I32X4, LLVMAdd), R(I32X4_SUB, IBIN, I32X4, LLVMSub),
    R(I32X4_MUL, IBIN, I32X4, LLVMMul),
    R(I64X2_ADD, IBIN, I64X2, LLVMAdd), R(I64X2_SUB, IBIN, I64X2, LLVMSub),
    R(I64X2_MUL, IBIN, I64X2, LLVMMul),
    RN(I8X16_ADD_SAT_S, INTR2, I8X16, "llvm.sadd.sat"),
    RN(I8X16_ADD_SAT_U, INTR2, I8X16, "llvm.uadd.sat"),
    RN(I8X16_SUB_SAT_S, INTR2, I8X16, "llvm.ssub.sat"),
    RN(I8X16_SUB_SAT_U, INTR2, I8X16, "llvm.usub.sat"),
    RN(I16X8_ADD_SAT_S, INTR2, I16X8, "llvm.sadd.sat"),
    RN(I16X8_ADD_SAT_U, INTR2, I16X8, "llvm.uadd.sat"),
    RN(I16X8_SUB_SAT_S, INTR2, I16X8, "llvm.ssub.sat"),
    RN(I16X8_SUB_SAT_U, INTR2, I16X8, "llvm.usub.sat"),
    RN(I8X16_MIN_S, INTR2, I8X16, "llvm.smin"), RN(I8X16_MIN_U, INTR2, I8X16, "llvm.umin"),
    RN(I8X16_MAX_S, INTR2, I8X16, "llvm.smax"), RN(I8X16_MAX_U, INTR2, I8X16, "llvm.umax"),
    RN(I16X8_MIN_S, INTR2, I16X8, "llvm.smin"), RN(I16X8_MIN_U, INTR2, I16X8, "llvm.umin"),
    RN(I16X8_MAX_S, INTR2, I16X8, "llvm.smax"), RN(I16X8_MAX_U, INTR2, I16X8, "llvm.umax"),
    RN(I32X4_MIN_S, INTR2, I32X4, "llvm.smin"), RN(I32X4_MIN_U, INTR2, I32X4, "llvm.umin"),
    RN(I32X4_MAX_S, INTR2, I32X4, "llvm.smax"), RN(I32X4_MAX_U, INTR2, I32X4, "llvm.umax"),
    R(I8X16_AVGR_U, AVGR, I8X16, 0), R(I16X8_AVGR_U, AVGR, I16X8, 0),
    R(I16X8_Q15MULR_SAT_S, Q15MULR, I16X8, 0),
    R(I32X4_DOT_I16X8_S, DOT, I16X8, 0),
    /* widening and narrowing (shape = input lanes) */
    R(I8X16_NARROW_I16X8_S, NARROW, I16X8, SX_SIGNED), R(I8X16_NARROW_I16X8_U, NARROW, I16X8, 0),
    R(I16X8_NARROW_I32X4_S, NARROW, I32X4, SX_SIGNED), R(I16X8_NARROW_I32X4_U, NARROW, I32X4, 0),
    R(I16X8_EXTEND_LOW_I8X16_S, EXTEND, I8X16, SX_SIGNED),
    R(I16X8_EXTEND_HIGH_I8X16_S, EXTEND, I8X16, SX_SIGNED | SX_HIGH),
    R(I16X8_EXTEND_LOW_I8X16_U, EXTEND, I8X16, 0),
    R(I16X8_EXTEND_HIGH_I8X16_U, EXTEND, I8X16, SX_HIGH),
    R(I32X4_EXTEND_LOW_I16X8_S, EXTEND, I16X8, SX_SIGNED),
    R(I32X4_EXTEND_HIGH_I16X8_S, EXTEND, I16X8, SX_SIGNED | SX_HIGH),
    R(I32X4_EXTEND_LOW_I16X8_U, EXTEND, I16X8, 0),
    R(I32X4_EXTEND_HIGH_I16X8_U, EXTEND, I16X8, SX_HIGH),
    R(I64X2_EXTEND_LOW_I32X4_S, EXTEND, I32X4, SX_SIGNED),
    R(I64X2_EXTEND_HIGH_I32X4_S, EXTEND, I32X4, SX_SIGNED | SX_HIGH),
    R(I64X2_EXTEND_LOW_I32X4_U, EXTEND, I32X4, 0),
    R(I64X2_EXTEND_HIGH_I32X4_U, EXTEND, I32X4, SX_HIGH),
    R(I16X8_EXTMUL_LOW_I8X16_S, EXTMUL, I8X16, SX_SIGNED),
    R(I16X8_EXTMUL_HIGH_I8X16_S, EXTMUL, I8X16, SX_SIGNED | SX_HIGH),
    R(I16X8_EXTMUL_LOW_I8X16_U, EXTMUL, I8X16, 0),
    R(I16X8_EXTMUL_HIGH_I8X16_U, EXTMUL, I8X16, SX_HIGH),
    R(I32X4_EXTMUL_LOW_I16X8_S, EXTMUL, I16X8, SX_SIGNED),
    R(I32X4_EXTMUL_HIGH_I16X8_S, EXTMUL, I16X8, SX_SIGNED | SX_HIGH),
    R(I32X4_EXTMUL_LOW_I16X8_U, EXTMUL, I16X8, 0),
    R(I32X4_EXTMUL_HIGH_I16X8_U, EXTMUL, I16X8, SX_HIGH),
    R(I64X2_EXTMUL_LOW_I32X4_S, EXTMUL, I32X4, SX_SIGNED),
    R(I64X2_EXTMUL_HIGH_I32X4_S, EXTMUL, I32X4, SX_SIGNED | SX_HIGH),
    R(I64X2_EXTMUL_LOW_I32X4_U, EXTMUL, I32X4, 0),
    R(I64X2_EXTMUL_HIGH_I32X4_U, EXTMUL, I32X4, SX_HIGH),
    R(I16X8_EXTADD_PAIRWISE_I8X16_S, EXTADD, I8X16, SX_SIGNED),
    R(I16X8_EXTADD_PAIRWISE_I8X16_U, EXTADD, I8X16, 0),
    R(I32X4_EXTADD_PAIRWISE_I16X8_S, EXTADD, I16X8, SX_SIGNED),
    R(I32X4_EXTADD_PAIRWISE_I16X8_U, EXTADD, I16X8, 0),
    /* float lanes */
    R(F32X4_ABS, FSIGN, F32X4, FSIGN_ABS), R(F32X4_NEG, FSIGN, F32X4, FSIGN_NEG),
    R(F64X2_ABS, FSIGN, F64X2, FSIGN_ABS), R(F64X2_NEG, FSIGN, F64X2, FSIGN_NEG),
    RN(F32X4_SQRT, FUNARY, F32X4, "llvm.sqrt"),       RN(F64X2_SQRT, FUNARY, F64X2, "llvm.sqrt"),
    RN(F32X4_CEIL, FUNARY, F32X4, "llvm.ceil"),       RN(F64X2_CEIL, FUNARY, F64X2, "llvm.ceil"),
    RN(F32X4_FLOOR, FUNARY, F32X4, "llvm.floor"),     RN(F64X2_FLOOR, FUNARY, F64X2, "llvm.floor"),
    RN(F32X4_TRUNC, FUNARY, F32X4, "llvm.trunc"),     RN(F64X2_TRUNC, FUNARY, F64X2, "llvm.trunc"),
    RN(F32X4_NEAREST, FUNARY, F32X4, "llvm.roundeven"),
    RN(F64X2_NEAREST, FUNARY, F64X2, "llvm.roundeven"),
    RN(F32X4_ADD, FBIN, F32X4, CF("fadd")), RN(F64X2_ADD, FBIN, F64X2, CF("fadd")),
    RN(F32X4_SUB, FBIN, F32X4, CF("fsub")), RN(F64X2_SUB, FBIN, F64X2, CF("fsub")),
    RN(F32X4_MUL, FBIN, F32X4, CF("fmul")), RN(F64X2_MUL, FBIN, F64X2, CF("fmul")),
    RN(F32X4_DIV, FBIN, F32X4, CF("fdiv")), RN(F64X2_DIV, FBIN, F64X2, CF("fdiv")),
    R(F32X4_MIN, FMINMAX, F32X4, 0), R(F32X4_MAX, FMINMAX, F32X4, 1),
    R(F64X2_MIN, FMINMAX, F64X2, 0), R(F64X2_MAX, FMINMAX, F64X2, 1),
    R(F32X4_PMIN, PMINMAX, F32X4, 0), R(F32X4_PMAX, PMINMAX, F32X4, 1),
    R(F64X2_PMIN, PMINMAX, F64X2, 0), R(F64X2_PMAX, PMINMAX, F64X2, 1),
    /* relaxed SIMD */
    R(I8X16_RELAXED_SWIZZLE, RELAXED_SWIZZLE, I8X16, 0),
    R(I32X4_RELAXED_TRUNC_F32X4_S, RELAXED_TRUNC, F32X4, SX_SIGNED),
    R(I32X4_RELAXED_TRUNC_F32X4_U, RELAXED_TRUNC, F32X4, 0),
    R(I32X4_RELAXED_TRUNC_F64X2_S_ZERO, RELAXED_TRUNC, F64X2, SX_SIGNED),
    R(I32X4_RELAXED_TRUNC_F64X2_U_ZERO, RELAXED_TRUNC, F64X2, 0),
    R(F32X4_RELAXED_MADD, RELAXED_MADD, F32X4, 0), R(F32X4_RELAXED_NMADD, RELAXED_MADD, F32X4, 1),
    R(F64X2_RELAXED_MADD, RELAXED_MADD, F64X2, 0), R(F64X2_RELAXED_NMADD, RELAXED_MADD, F64X2, 1),
    R(I8X16_RELAXED_LANESELECT, RELAXED_LANESELECT, I8X16, 0),
    R(I16X8_RELAXED_LANESELECT, RELAXED_LANESELECT, I16X8, 0),
    R(I32X4_RELAXED_LANESELECT, RELAXED_LANESELECT, I32X4, 0),
    R(I64X2_RELAXED_LANESELECT, RELAXED_LANESELECT, I64X2, 0),
    R(F32X4_RELAXED_MIN, RELAXED_MINMAX, F32X4, 0), R(F32X4_RELAXED_MAX, RELAXED_MINMAX, F32X4, 1),
    R(F64X2_RELAXED_MIN, RELAXED_MINMAX, F64X2, 0), R(F64X2_RELAXED_MAX, RELAXED_MINMAX, F64X2, 1),
    R(I16X8_RELAXED_Q15MULR_S, RELAXED_Q15MULR, I16X8, 0),
    R(I16X8_RELAXED_DOT_I8X16_I7X16_S, RELAXED_DOT, I8X16, 0),
    R(I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S, RELAXED_DOT, I8X16, 1),
};

/* clang-format on */

#undef R
#undef RN

/* ---- shapes --------------------------------------------------------------- */

static unsigned shape_lanes(simd_shape s) {
    static const unsigned lanes[] = {16, 8, 4, 2, 4, 2};
    return lanes[s];
}

static LLVMTypeRef shape_elem(LLVMContextRef c, simd_shape s) {
    switch (s) {
    case F32X4: return LLVMFloatTypeInContext(c);
    case F64X2: return LLVMDoubleTypeInContext(c);
    default: return LLVMIntTypeInContext(c, 128 / shape_lanes(s));
    }
}

static LLVMTypeRef shape_type(LLVMContextRef c, simd_shape s) {
    return LLVMVectorType(shape_elem(c, s), shape_lanes(s));
}

/* The integer shape with lanes twice as wide (i8x16 -> i16x8). */
static simd_shape shape_wide(simd_shape s) { return (simd_shape)(s + 1); }

static LLVMValueRef as_shape(const lower_value_env *env, LLVMValueRef v, simd_shape s) {
    return LLVMBuildBitCast(env->builder, v, shape_type(env->context, s), "");
}

static LLVMValueRef as_v128(const lower_value_env *env, LLVMValueRef v) {
    return LLVMBuildBitCast(env->builder, v, lower_valtype_of_sig(env->context, 'v'), "");
}

static LLVMValueRef i32_const(const lower_value_env *env, uint64_t x) {
    return LLVMConstInt(LLVMInt32TypeInContext(env->context), x, false);
}

/* shufflevector with lane indices `idx[0..n)` taken from a ++ b. */
static LLVMValueRef shuffle(const lower_value_env *env, LLVMValueRef a, LLVMValueRef b,
                            const unsigned *idx, unsigned n) {
    LLVMValueRef mask[16];
    for (unsigned i = 0; i < n; i++)
        mask[i] = i32_const(env, idx[i]);
    return LLVMBuildShuffleVector(env->builder, a, b, LLVMConstVector(mask, n), "");
}

/* Lanes first, first+step, ... of v (n of them). */
static LLVMValueRef lanes_strided(const lower_value_env *env, LLVMValueRef v, unsigned first,
                                  unsigned step, unsigned n) {
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < n; i++)
        idx[i] = first + i * step;
    return shuffle(env, v, LLVMGetPoison(LLVMTypeOf(v)), idx, n);
}

static LLVMValueRef splat(const lower_value_env *env, LLVMValueRef x, unsigned lanes) {
    LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(x), lanes);
    LLVMValueRef v =
        LLVMBuildInsertElement(env->builder, LLVMGetPoison(vt), x, i32_const(env, 0), "");
    unsigned zeros[16] = {0};
    return shuffle(env, v, LLVMGetPoison(vt), zeros, lanes);
}

static LLVMValueRef ext(const lower_value_env *env, bool is_signed, LLVMValueRef v,
                        LLVMTypeRef to) {
    return is_signed ? LLVMBuildSExt(env->builder, v, to, "")
                     : LLVMBuildZExt(env->builder, v, to, "");
}

/* Widens half of the lanes of `v` (shape s) to twice their width. */
static LLVMValueRef extend_half(const lower_value_env *env, LLVMValueRef v, simd_shape s,
                                int flags) {
    unsigned n = shape_lanes(s) / 2;
    LLVMValueRef half = lanes_strided(env, as_shape(env, v, s), flags & SX_HIGH ? n : 0, 1, n);
    return ext(env, flags & SX_SIGNED, half, shape_type(env->context, shape_wide(s)));
}

/* ---- lanes ---------------------------------------------------------------- */

static LLVMValueRef simd_splat(const lower_value_env *env, simd_shape s, LLVMValueRef x) {
    if (s == I8X16 || s == I16X8)
        x = LLVMBuildTrunc(env->builder, x, shape_elem(env->context, s), "");
    return as_v128(env, splat(env, x, shape_lanes(s)));
}

static LLVMValueRef simd_extract(const lower_value_env *env, simd_shape s, int flags,
                                 LLVMValueRef v, uint8_t lane) {
    LLVMValueRef x =
        LLVMBuildExtractElement(env->builder, as_shape(env, v, s), i32_const(env, lane), "");
    if (s == I8X16 || s == I16X8)
        x = ext(env, flags & SX_SIGNED, x, LLVMInt32TypeInContext(env->context));
    return x;
}

static LLVMValueRef simd_replace(const lower_value_env *env, simd_shape s, LLVMValueRef v,
                                 LLVMValueRef x, uint8_t lane) {
    if (s == I8X16 || s == I16X8)
        x = LLVMBuildTrunc(env->builder, x, shape_elem(env->context, s), "");
    LLVMValueRef r =
        LLVMBuildInsertElement(env->builder, as_shape(env, v, s), x, i32_const(env, lane), "");
    return as_v128(env, r);
}

static LLVMValueRef simd_shuffle(const lower_value_env *env, LLVMValueRef a, LLVMValueRef b,
                                 const uint8_t *lanes) {
    unsigned idx[16] = {0};
    for (int i = 0; i < 16; i++)
        idx[i] = lanes[i] & 31; /* validated < 32 */
    return as_v128(env, shuffle(env, as_shape(env, a, I8X16), as_shape(env, b, I8X16), idx, 16));
}

/* Lane i of the result is a[s[i] & 15], or 0 where s[i] `pred` `bound`
 * is false.  No SSE2 instruction does this, so it is a variable permute
 * written lane by lane, then a vector select zeroing the other lanes: the
 * x86 back end turns that shape into pshufb when SSSE3 is available. */
static LLVMValueRef permute_or_zero(const lower_value_env *env, LLVMValueRef a, LLVMValueRef s,
                                    LLVMIntPredicate pred, uint64_t bound) {
    LLVMBuilderRef b = env->builder;
    LLVMTypeRef ty = shape_type(env->context, I8X16);
    LLVMValueRef av = as_shape(env, a, I8X16), sv = as_shape(env, s, I8X16);
    LLVMValueRef safe = LLVMBuildAnd(b, sv, lower_const_int_like(ty, 15), "");
    LLVMValueRef r = LLVMGetPoison(ty);
    for (unsigned i = 0; i < 16; i++) {
        LLVMValueRef idx = LLVMBuildExtractElement(b, safe, i32_const(env, i), "");
        LLVMValueRef x = LLVMBuildExtractElement(b, av, idx, "");
        r = LLVMBuildInsertElement(b, r, x, i32_const(env, i), "");
    }
    LLVMValueRef keep = LLVMBuildICmp(b, pred, sv, lower_const_int_like(ty, bound), "");
    return as_v128(env, LLVMBuildSelect(b, keep, r, LLVMConstNull(ty), ""));
}

/* Lane i of the result is a[s[i]], or 0 when s[i] >= 16. */
static LLVMValueRef simd_swizzle(const lower_value_env *env, LLVMValueRef a, LLVMValueRef s) {
    return permute_or_zero(env, a, s, LLVMIntULT, 16);
}

/* ---- integer lanes -------------------------------------------------------- */

static LLVMValueRef mask_to_lanes(const lower_value_env *env, LLVMValueRef bits, simd_shape s) {
    LLVMTypeRef it =
        LLVMVectorType(LLVMIntTypeInContext(env->context, 128 / shape_lanes(s)), shape_lanes(s));
    return as_v128(env, LLVMBuildSExt(env->builder, bits, it, ""));
}

static LLVMValueRef simd_compare(const lower_value_env *env, const simd_row *row, LLVMValueRef a,
                                 LLVMValueRef b) {
    simd_shape s = (simd_shape)row->shape;
    LLVMValueRef x = as_shape(env, a, s), y = as_shape(env, b, s);
    LLVMValueRef bits = row->family == SF_ICMP
                            ? LLVMBuildICmp(env->builder, (LLVMIntPredicate)row->arg, x, y, "")
                            : LLVMBuildFCmp(env->builder, (LLVMRealPredicate)row->arg, x, y, "");
    return mask_to_lanes(env, bits, s);
}

static LLVMValueRef simd_intrinsic(const lower_value_env *env, const char *name, simd_shape s,
                                   LLVMValueRef *args, unsigned n) {
    LLVMTypeRef ty = shape_type(env->context, s);
    LLVMValueRef cast[3];
    for (unsigned i = 0; i < n; i++)
        cast[i] = as_shape(env, args[i], s);
    return as_v128(env, lower_call_intrinsic(env, name, &ty, 1, cast, n));
}

static LLVMValueRef simd_unary_int(const lower_value_env *env, const simd_row *row,
                                   LLVMValueRef v) {
    simd_shape s = (simd_shape)row->shape;
    LLVMValueRef x = as_shape(env, v, s);
    if (row->family == SF_NEG) return as_v128(env, LLVMBuildNeg(env->builder, x, ""));
    LLVMTypeRef ty = LLVMTypeOf(x);
    if (row->family == SF_POPCNT)
        return as_v128(env, lower_call_intrinsic(env, "llvm.ctpop", &ty, 1, &x, 1));
    /* abs(INT_MIN) is INT_MIN in wasm: is_int_min_poison = false. */
    LLVMValueRef args[2] = {x, LLVMConstInt(LLVMInt1TypeInContext(env->context), 0, false)};
    return as_v128(env, lower_call_intrinsic(env, "llvm.abs", &ty, 1, args, 2));
}

static LLVMValueRef simd_shift(const lower_value_env *env, simd_shape s, LLVMOpcode opc,
                               LLVMValueRef v, LLVMValueRef count) {
    LLVMTypeRef elem = shape_elem(env->context, s);
    unsigned bits = 128 / shape_lanes(s);
    LLVMValueRef n = LLVMBuildAnd(env->builder, count, i32_const(env, bits - 1), "");
    if (bits < 32) n = LLVMBuildTrunc(env->builder, n, elem, "");
    if (bits > 32) n = LLVMBuildZExt(env->builder, n, elem, "");
    LLVMValueRef r =
        LLVMBuildBinOp(env->builder, opc, as_shape(env, v, s), splat(env, n, shape_lanes(s)), "");
    return as_v128(env, r);
}

/* Reductions to an i32: any_true, all_true, bitmask. */
static LLVMValueRef simd_reduce(const lower_value_env *env, const simd_row *row, LLVMValueRef v) {
    LLVMBuilderRef b = env->builder;
    simd_shape s = (simd_shape)row->shape;
    unsigned n = shape_lanes(s);
    LLVMValueRef x = as_shape(env, v, s);
    LLVMValueRef zero = LLVMConstNull(LLVMTypeOf(x));
    LLVMTypeRef i32 = LLVMInt32TypeInContext(env->context);
    LLVMTypeRef in = LLVMIntTypeInContext(env->context, n);
    LLVMValueRef bits;
    if (row->family == SF_BITMASK) {
        bits = LLVMBuildBitCast(b, LLVMBuildICmp(b, LLVMIntSLT, x, zero, ""), in, "");
        return LLVMBuildZExt(b, bits, i32, "");
    }
    bits = LLVMBuildBitCast(b, LLVMBuildICmp(b, LLVMIntNE, x, zero, ""), in, "");
    LLVMValueRef r = row->family == SF_ANY_TRUE
                         ? LLVMBuildICmp(b, LLVMIntNE, bits, LLVMConstNull(in), "")
                         : LLVMBuildICmp(b, LLVMIntEQ, bits, LLVMConstAllOnes(in), "");
    return LLVMBuildZExt(b, r, i32, "");
}

/* Both inputs (shape s, wide lanes) saturated to the half-width range and
 * concatenated: a's lanes first. */
static LLVMValueRef simd_narrow(const lower_value_env *env, simd_shape s, bool is_signed,
                                LLVMValueRef a, LLVMValueRef b) {
    unsigned n = shape_lanes(s), half_bits = 64 / n;
    unsigned idx[16] = {0};
    for (unsigned i = 0; i < 2 * n; i++)
        idx[i] = i;
    LLVMValueRef both = shuffle(env, as_shape(env, a, s), as_shape(env, b, s), idx, 2 * n);
    LLVMTypeRef ty = LLVMTypeOf(both);
    uint64_t lo = is_signed ? (uint64_t) - (1ll << (half_bits - 1)) : 0;
    uint64_t hi = is_signed ? (1ull << (half_bits - 1)) - 1 : (1ull << half_bits) - 1;
    LLVMValueRef args[2] = {both, lower_const_int_like(ty, lo)};
    LLVMValueRef r = lower_call_intrinsic(env, "llvm.smax", &ty, 1, args, 2);
    args[0] = r;
    args[1] = lower_const_int_like(ty, hi);
    r = lower_call_intrinsic(env, "llvm.smin", &ty, 1, args, 2);
    LLVMTypeRef narrow = LLVMVectorType(LLVMIntTypeInContext(env->context, half_bits), 2 * n);
    return as_v128(env, LLVMBuildTrunc(env->builder, r, narrow, ""));
}

static LLVMValueRef simd_extmul(const lower_value_env *env, simd_shape s, int flags, LLVMValueRef a,
                                LLVMValueRef b) {
    LLVMValueRef x = extend_half(env, a, s, flags), y = extend_half(env, b, s, flags);
    return as_v128(env, LLVMBuildMul(env->builder, x, y, ""));
}

/* Sum of each pair of adjacent lanes, widened. */
static LLVMValueRef simd_extadd(const lower_value_env *env, simd_shape s, bool is_signed,
                                LLVMValueRef v) {
    unsigned n = shape_lanes(s) / 2;
    LLVMValueRef x = as_shape(env, v, s);
    LLVMTypeRef wide = shape_type(env->context, shape_wide(s));
    LLVMValueRef even = ext(env, is_signed, lanes_strided(env, x, 0, 2, n), wide);
    LLVMValueRef odd = ext(env, is_signed, lanes_strided(env, x, 1, 2, n), wide);
    return as_v128(env, LLVMBuildAdd(env->builder, even, odd, ""));
}

/* i32x4.dot_i16x8_s: products of i16 pairs summed in i32.  The only
 * overflowing case (all four inputs INT16_MIN) wraps, as the spec says. */
static LLVMValueRef simd_dot(const lower_value_env *env, LLVMValueRef a, LLVMValueRef b) {
    LLVMTypeRef i32x8 = LLVMVectorType(LLVMInt32TypeInContext(env->context), 8);
    LLVMValueRef x = LLVMBuildSExt(env->builder, as_shape(env, a, I16X8), i32x8, "");
    LLVMValueRef y = LLVMBuildSExt(env->builder, as_shape(env, b, I16X8), i32x8, "");
    LLVMValueRef p = LLVMBuildMul(env->builder, x, y, "");
    LLVMValueRef even = lanes_strided(env, p, 0, 2, 4), odd = lanes_strided(env, p, 1, 2, 4);
    return as_v128(env, LLVMBuildAdd(env->builder, even, odd, ""));
}

/* (a * b + 0x4000) >> 15 in i32, saturated or wrapped to i16: only
 * INT16_MIN * INT16_MIN exceeds INT16_MAX. */
static LLVMValueRef simd_q15mulr(const lower_value_env *env, LLVMValueRef a, LLVMValueRef b,
                                 bool saturate) {
    LLVMBuilderRef bld = env->builder;
    LLVMTypeRef i32x8 = LLVMVectorType(LLVMInt32TypeInContext(env->context), 8);
    LLVMValueRef x = LLVMBuildSExt(bld, as_shape(env, a, I16X8), i32x8, "");
    LLVMValueRef y = LLVMBuildSExt(bld, as_shape(env, b, I16X8), i32x8, "");
    LLVMValueRef p =
        LLVMBuildAdd(bld, LLVMBuildMul(bld, x, y, ""), lower_const_int_like(i32x8, 0x4000), "");
    p = LLVMBuildAShr(bld, p, lower_const_int_like(i32x8, 15), "");
    if (saturate) {
        LLVMValueRef args[2] = {p, lower_const_int_like(i32x8, 0x7fff)};
        p = lower_call_intrinsic(env, "llvm.smin", &i32x8, 1, args, 2);
    }
    return as_v128(env, LLVMBuildTrunc(bld, p, shape_type(env->context, I16X8), ""));
}

/* Rounding average (a + b + 1) >> 1, computed in wider lanes so the sum
 * cannot overflow; LLVM recognises the pattern as pavgb/pavgw. */
static LLVMValueRef simd_avgr(const lower_value_env *env, simd_shape s, LLVMValueRef a,
                              LLVMValueRef b) {
    LLVMBuilderRef bld = env->builder;
    unsigned n = shape_lanes(s);
    LLVMTypeRef wide = LLVMVectorType(LLVMIntTypeInContext(env->context, 256 / n), n);
    LLVMValueRef x = LLVMBuildZExt(bld, as_shape(env, a, s), wide, "");
    LLVMValueRef y = LLVMBuildZExt(bld, as_shape(env, b, s), wide, "");
    LLVMValueRef sum =
        LLVMBuildAdd(bld, LLVMBuildAdd(bld, x, y, ""), lower_const_int_like(wide, 1), "");
    sum = LLVMBuildLShr(bld, sum, lower_const_int_like(wide, 1), "");
    return as_v128(env, LLVMBuildTrunc(bld, sum, shape_type(env->context, s), ""));
}

/* ---- float lanes ---------------------------------------------------------- */

/* pmin is exactly `b < a ? b : a` and pmax `a < b ? b : a`: NaNs and signed
 * zeros pass through unchanged, unlike min/max. */
static LLVMValueRef simd_pminmax(const lower_value_env *env, simd_shape s, bool is_max,
                                 LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef x = as_shape(env, a, s), y = as_shape(env, b, s);
    LLVMValueRef take_b = is_max ? LLVMBuildFCmp(env->builder, LLVMRealOLT, x, y, "")
                                 : LLVMBuildFCmp(env->builder, LLVMRealOLT, y, x, "");
    return as_v128(env, LLVMBuildSelect(env->builder, take_b, y, x, ""));
}

static LLVMValueRef simd_float_op(const lower_value_env *env, const simd_row *row,
                                  LLVMValueRef *args) {
    simd_shape s = (simd_shape)row->shape;
    LLVMValueRef x = as_shape(env, args[0], s);
    switch (row->family) {
    case SF_FBIN: return as_v128(env, lower_fbinop(env, row->name, x, as_shape(env, args[1], s)));
    case SF_FMINMAX:
        return as_v128(env, lower_fminmax(env, row->arg, x, as_shape(env, args[1], s)));
    case SF_PMINMAX: return simd_pminmax(env, s, row->arg, args[0], args[1]);
    case SF_FSIGN: return as_v128(env, lower_fsign(env, row->arg, x, NULL));
    default: return as_v128(env, lower_funary(env, row->name, x));
    }
}

/* ---- conversions ---------------------------------------------------------- */

/* The four lanes of `lo` (two lanes) followed by two zero lanes. */
static LLVMValueRef zero_extend_lanes(const lower_value_env *env, LLVMValueRef lo) {
    static const unsigned idx[4] = {0, 1, 2, 3};
    return shuffle(env, lo, LLVMConstNull(LLVMTypeOf(lo)), idx, 4);
}

static LLVMValueRef simd_convert(const lower_value_env *env, const simd_row *row, LLVMValueRef v) {
    LLVMBuilderRef b = env->builder;
    LLVMContextRef c = env->context;
    bool sx = row->arg & SX_SIGNED;
    LLVMValueRef x = as_shape(env, v, (simd_shape)row->shape);
    LLVMTypeRef i32x2 = LLVMVectorType(LLVMInt32TypeInContext(c), 2);
    LLVMTypeRef f64x2 = shape_type(c, F64X2);
    switch (row->family) {
    case SF_TRUNC_SAT: return as_v128(env, lower_trunc_sat(env, sx, x, shape_type(c, I32X4)));
    case SF_CONVERT:
        return as_v128(env, sx ? LLVMBuildSIToFP(b, x, shape_type(c, F32X4), "")
                               : LLVMBuildUIToFP(b, x, shape_type(c, F32X4), ""));
    case SF_TRUNC_SAT_ZERO:
        return as_v128(env, zero_extend_lanes(env, lower_trunc_sat(env, sx, x, i32x2)));
    case SF_CONVERT_LOW: {
        LLVMValueRef lo = lanes_strided(env, x, 0, 1, 2);
        return as_v128(env,
                       sx ? LLVMBuildSIToFP(b, lo, f64x2, "") : LLVMBuildUIToFP(b, lo, f64x2, ""));
    }
    case SF_DEMOTE_ZERO: {
        LLVMTypeRef f32x2 = LLVMVectorType(LLVMFloatTypeInContext(c), 2);
        return as_v128(env, zero_extend_lanes(env, lower_fpcast(env, false, x, f32x2)));
    }
    default: /* SF_PROMOTE_LOW */
        return as_v128(env, lower_fpcast(env, true, lanes_strided(env, x, 0, 1, 2), f64x2));
    }
}

/* ---- dispatch ------------------------------------------------------------- */

static LLVMValueRef simd_bitwise(const lower_value_env *env, const simd_row *row,
                                 LLVMValueRef *args) {
    LLVMBuilderRef b = env->builder;
    switch (row->family) {
    case SF_NOT: return LLVMBuildNot(b, args[0], "");
    case SF_ANDNOT: return LLVMBuildAnd(b, args[0], LLVMBuildNot(b, args[1], ""), "");
    default: { /* SF_BITSELECT: bits of a where c is 1, of b where it is 0 */
        LLVMValueRef from_a = LLVMBuildAnd(b, args[0], args[2], "");
        LLVMValueRef from_b = LLVMBuildAnd(b, args[1], LLVMBuildNot(b, args[2], ""), "");
        return LLVMBuildOr(b, from_a, from_b, "");
    }
    }
}

static LLVMValueRef simd_integer_op(const lower_value_env *env, const simd_row *row,
                                    LLVMValueRef *args) {
    simd_shape s = (simd_shape)row->shape;
    switch (row->family) {
    case SF_IBIN:
        return as_v128(env,
                       LLVMBuildBinOp(env->builder, (LLVMOpcode)row->arg, as_shape(env, args[0], s),
                                      as_shape(env, args[1], s), ""));
    case SF_INTR2: return simd_intrinsic(env, row->name, s, args, 2);
    case SF_SHIFT: return simd_shift(env, s, (LLVMOpcode)row->arg, args[0], args[1]);
    case SF_NARROW: return simd_narrow(env, s, row->arg & SX_SIGNED, args[0], args[1]);
    case SF_EXTEND: return as_v128(env, extend_half(env, args[0], s, row->arg));
    case SF_EXTMUL: return simd_extmul(env, s, row->arg, args[0], args[1]);
    case SF_EXTADD: return simd_extadd(env, s, row->arg & SX_SIGNED, args[0]);
    case SF_Q15MULR: return simd_q15mulr(env, args[0], args[1], true);
    case SF_DOT: return simd_dot(env, args[0], args[1]);
    case SF_AVGR: return simd_avgr(env, s, args[0], args[1]);
    default: return simd_unary_int(env, row, args[0]);
    }
}

/* ---- relaxed SIMD ----------------------------------------------------------
 *
 * Each relaxed instruction may give one of a few results the spec lists;
 * kiln picks the one the target computes fastest (docs/relaxed-simd.md
 * has the table).  The choice depends only on env->caps, which is fixed
 * for a target (target_caps.c), never on the -O level or on constant
 * operands: constant folding computes what the instruction would.  On
 * x86-64 the result is that of its SSE instruction whether or not the CPU
 * has it as one instruction (pshufb, pmulhrsw and pmaddubsw are written
 * out in IR for CPUs without SSSE3), so code compiled for any x86-64 CPU
 * gives the same results, but for relaxed_madd, fused exactly when the CPU
 * has FMA.  Elsewhere (aarch64, riscv64) the result is the exact one of
 * the non-relaxed instruction, which is what NEON computes natively. */

static LLVMValueRef x86_intrinsic(const lower_value_env *env, const char *name, simd_shape s,
                                  LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef args[2] = {as_shape(env, a, s), b ? as_shape(env, b, s) : NULL};
    return as_v128(env, lower_call_intrinsic(env, name, NULL, 0, args, b ? 2 : 1));
}

/* x86: pshufb (lane i is 0 when s[i] has its top bit set, else
 * a[s[i] & 15]).  Elsewhere: i8x16.swizzle (NEON tbl). */
static LLVMValueRef relaxed_swizzle(const lower_value_env *env, LLVMValueRef a, LLVMValueRef s) {
    if (!env->caps.x86) return simd_swizzle(env, a, s);
    if (env->caps.ssse3) return x86_intrinsic(env, "llvm.x86.ssse3.pshuf.b.128", I8X16, a, s);
    return permute_or_zero(env, a, s, LLVMIntSGE, 0);
}

/* x86, signed: cvttps2dq / cvttpd2dq (NaN and out-of-range lanes give
 * INT32_MIN).  Unsigned, and elsewhere: the saturating conversion. */
static LLVMValueRef relaxed_trunc(const lower_value_env *env, simd_shape s, bool is_signed,
                                  LLVMValueRef v) {
    LLVMContextRef c = env->context;
    if (env->caps.x86 && is_signed) {
        const char *name = s == F32X4 ? "llvm.x86.sse2.cvttps2dq" : "llvm.x86.sse2.cvttpd2dq";
        return x86_intrinsic(env, name, s, v, NULL);
    }
    LLVMValueRef x = as_shape(env, v, s);
    if (s == F32X4) return as_v128(env, lower_trunc_sat(env, is_signed, x, shape_type(c, I32X4)));
    LLVMTypeRef i32x2 = LLVMVectorType(LLVMInt32TypeInContext(c), 2);
    return as_v128(env, zero_extend_lanes(env, lower_trunc_sat(env, is_signed, x, i32x2)));
}

/* a * b + c (nmadd: -(a * b) + c): fused exactly when the target has
 * FMA.  A constant operand makes the fused form the constrained
 * intrinsic, which LLVM does not fold to an operand (fma(x, 1, -0) would
 * otherwise return a signalling NaN x unquieted); the unfused form
 * guards its fmul and fadd as the plain instructions do. */
static LLVMValueRef relaxed_madd(const lower_value_env *env, simd_shape s, bool negate,
                                 LLVMValueRef *args) {
    LLVMBuilderRef b = env->builder;
    LLVMValueRef x = as_shape(env, args[0], s), y = as_shape(env, args[1], s);
    LLVMValueRef z = as_shape(env, args[2], s);
    if (negate) x = LLVMBuildFNeg(b, x, "");
    LLVMTypeRef ty = shape_type(env->context, s);
    if (!env->caps.fma)
        return as_v128(env, lower_fbinop(env, CF("fadd"), lower_fbinop(env, CF("fmul"), x, y), z));
    LLVMValueRef ops[3] = {x, y, z};
    if (!LLVMIsConstant(x) && !LLVMIsConstant(y) && !LLVMIsConstant(z))
        return as_v128(env, lower_call_intrinsic(env, "llvm.fma", &ty, 1, ops, 3));
    return as_v128(env, lower_constrained(env, CF("fma"), ops, 3));
}

/* x86: blendv, which looks at the top bit of each mask byte (pblendvb,
 * for i8x16 and i16x8) or lane (blendvps, blendvpd).  Elsewhere:
 * v128.bitselect (NEON bsl). */
static LLVMValueRef relaxed_laneselect(const lower_value_env *env, simd_shape s,
                                       LLVMValueRef *args) {
    LLVMBuilderRef b = env->builder;
    if (!env->caps.x86) {
        LLVMValueRef from_a = LLVMBuildAnd(b, args[0], args[2], "");
        LLVMValueRef from_b = LLVMBuildAnd(b, args[1], LLVMBuildNot(b, args[2], ""), "");
        return LLVMBuildOr(b, from_a, from_b, "");
    }
    if (s == I16X8) s = I8X16;
    LLVMValueRef m = as_shape(env, args[2], s);
    LLVMValueRef top = LLVMBuildICmp(b, LLVMIntSLT, m, LLVMConstNull(LLVMTypeOf(m)), "");
    return as_v128(env, LLVMBuildSelect(b, top, as_shape(env, args[0], s),
                                        as_shape(env, args[1], s), ""));
}

/* x86: minps / maxps, i.e. a < b ? a : b and a > b ? a : b (the second
 * operand when either is NaN or both are zeros).  Elsewhere: min / max
 * (NEON fmin / fmax). */
static LLVMValueRef relaxed_minmax(const lower_value_env *env, simd_shape s, bool is_max,
                                   LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef x = as_shape(env, a, s), y = as_shape(env, b, s);
    if (!env->caps.x86) return as_v128(env, lower_fminmax(env, is_max, x, y));
    LLVMValueRef first = LLVMBuildFCmp(env->builder, is_max ? LLVMRealOGT : LLVMRealOLT, x, y, "");
    return as_v128(env, LLVMBuildSelect(env->builder, first, x, y, ""));
}

/* x86: pmulhrsw, (a * b + 0x4000) >> 15 without saturation (INT16_MIN *
 * INT16_MIN gives INT16_MIN).  Elsewhere: q15mulr_sat_s (NEON sqrdmulh). */
static LLVMValueRef relaxed_q15mulr(const lower_value_env *env, LLVMValueRef a, LLVMValueRef b) {
    if (env->caps.ssse3) return x86_intrinsic(env, "llvm.x86.ssse3.pmul.hr.sw.128", I16X8, a, b);
    return simd_q15mulr(env, a, b, !env->caps.x86);
}

/* Pairwise sums of a's (signed) lanes times b's lanes, in i16 lanes.
 * x86: pmaddubsw(b, a): b's lanes unsigned, the sums saturated.
 * Elsewhere: both signed, the sums wrapped (NEON smull + addp). */
static LLVMValueRef relaxed_dot_i16(const lower_value_env *env, LLVMValueRef a, LLVMValueRef b) {
    if (env->caps.ssse3) return x86_intrinsic(env, "llvm.x86.ssse3.pmadd.ub.sw.128", I8X16, b, a);
    LLVMBuilderRef bld = env->builder;
    bool x86 = env->caps.x86;
    LLVMTypeRef wide = LLVMVectorType(LLVMIntTypeInContext(env->context, x86 ? 32 : 16), 16);
    LLVMValueRef x = LLVMBuildSExt(bld, as_shape(env, a, I8X16), wide, "");
    LLVMValueRef y = ext(env, !x86, as_shape(env, b, I8X16), wide);
    LLVMValueRef p = LLVMBuildMul(bld, x, y, "");
    LLVMValueRef even = lanes_strided(env, p, 0, 2, 8), odd = lanes_strided(env, p, 1, 2, 8);
    LLVMValueRef sum = LLVMBuildAdd(bld, even, odd, "");
    if (!x86) return as_v128(env, sum);
    LLVMTypeRef ty = LLVMTypeOf(sum);
    LLVMValueRef args[2] = {sum, lower_const_int_like(ty, (uint64_t)-32768)};
    sum = lower_call_intrinsic(env, "llvm.smax", &ty, 1, args, 2);
    args[0] = sum;
    args[1] = lower_const_int_like(ty, 32767);
    sum = lower_call_intrinsic(env, "llvm.smin", &ty, 1, args, 2);
    return as_v128(env, LLVMBuildTrunc(bld, sum, shape_type(env->context, I16X8), ""));
}

/* The _add form: the i16 sums added pairwise (signed) into i32 lanes, plus c. */
static LLVMValueRef relaxed_dot(const lower_value_env *env, bool add, LLVMValueRef *args) {
    LLVMValueRef d = relaxed_dot_i16(env, args[0], args[1]);
    if (!add) return d;
    LLVMValueRef sums = simd_extadd(env, I16X8, true, d);
    return as_v128(env, LLVMBuildAdd(env->builder, as_shape(env, sums, I32X4),
                                     as_shape(env, args[2], I32X4), ""));
}

static LLVMValueRef simd_relaxed_op(const lower_value_env *env, const simd_row *row,
                                    LLVMValueRef *args) {
    simd_shape s = (simd_shape)row->shape;
    switch (row->family) {
    case SF_RELAXED_SWIZZLE: return relaxed_swizzle(env, args[0], args[1]);
    case SF_RELAXED_TRUNC: return relaxed_trunc(env, s, row->arg & SX_SIGNED, args[0]);
    case SF_RELAXED_MADD: return relaxed_madd(env, s, row->arg, args);
    case SF_RELAXED_LANESELECT: return relaxed_laneselect(env, s, args);
    case SF_RELAXED_MINMAX: return relaxed_minmax(env, s, row->arg, args[0], args[1]);
    case SF_RELAXED_Q15MULR: return relaxed_q15mulr(env, args[0], args[1]);
    default: return relaxed_dot(env, row->arg, args);
    }
}

static bool family_is_float(simd_family f) {
    return f == SF_FBIN || f == SF_FMINMAX || f == SF_PMINMAX || f == SF_FSIGN || f == SF_FUNARY;
}

static bool family_is_conversion(simd_family f) {
    return f == SF_TRUNC_SAT || f == SF_CONVERT || f == SF_TRUNC_SAT_ZERO || f == SF_CONVERT_LOW ||
           f == SF_DEMOTE_ZERO || f == SF_PROMOTE_LOW;
}

/* The shape of the float lanes `f` computes whose NaN bits the spec leaves
 * open (pmin/pmax, abs, neg and copysign-like ops return an operand's bits,
 * so they are exact), or -1. */
static int family_nan_shape(simd_family f, simd_shape s) {
    switch (f) {
    case SF_FBIN:
    case SF_FMINMAX:
    case SF_FUNARY: return (int)s;
    case SF_DEMOTE_ZERO: return F32X4;
    case SF_PROMOTE_LOW: return F64X2;
    default: return -1;
    }
}

/* kiln_compile_options.canonical_nans: a NaN lane of `v` becomes the
 * positive canonical NaN (the quiet bit alone). */
static LLVMValueRef nans_canonical(const lower_value_env *env, simd_shape s, LLVMValueRef v) {
    LLVMBuilderRef b = env->builder;
    LLVMValueRef x = as_shape(env, v, s);
    LLVMValueRef nan = LLVMConstReal(shape_elem(env->context, s), __builtin_nan(""));
    LLVMValueRef lanes[4] = {nan, nan, nan, nan};
    LLVMValueRef canon = LLVMConstVector(lanes, shape_lanes(s));
    LLVMValueRef is_nan = LLVMBuildFCmp(b, LLVMRealUNO, x, x, "");
    return as_v128(env, LLVMBuildSelect(b, is_nan, canon, x, ""));
}

/* Every row whose lowering needs no immediate. */
static LLVMValueRef simd_value_op(const lower_value_env *env, const simd_row *row,
                                  LLVMValueRef *args) {
    simd_family f = (simd_family)row->family;
    switch (f) {
    case SF_ICMP:
    case SF_FCMP: return simd_compare(env, row, args[0], args[1]);
    case SF_NOT:
    case SF_ANDNOT:
    case SF_BITSELECT: return simd_bitwise(env, row, args);
    case SF_ANY_TRUE:
    case SF_ALL_TRUE:
    case SF_BITMASK: return simd_reduce(env, row, args[0]);
    default:
        if (f >= SF_RELAXED_SWIZZLE) return simd_relaxed_op(env, row, args);
        if (family_is_float(f)) return simd_float_op(env, row, args);
        if (family_is_conversion(f)) return simd_convert(env, row, args[0]);
        return simd_integer_op(env, row, args);
    }
}

LLVMValueRef lower_simd(const lower_value_env *env, const kiln_insn *insn, LLVMValueRef *args) {
    if (insn->op >= KILN_OP_COUNT) return NULL;
    const simd_row *row = &simd_rows[insn->op];
    simd_shape s = (simd_shape)row->shape;
    switch ((simd_family)row->family) {
    case SF_NONE: return NULL;
    case SF_SPLAT: return simd_splat(env, s, args[0]);
    case SF_EXTRACT: return simd_extract(env, s, row->arg, args[0], insn->imm.lane);
    case SF_REPLACE: return simd_replace(env, s, args[0], args[1], insn->imm.lane);
    case SF_SHUFFLE: return simd_shuffle(env, args[0], args[1], insn->imm.v128);
    case SF_SWIZZLE: return simd_swizzle(env, args[0], args[1]);
    default: break;
    }
    int nan_shape = env->canonical_nans ? family_nan_shape((simd_family)row->family, s) : -1;
    LLVMValueRef v = simd_value_op(env, row, args);
    return nan_shape < 0 ? v : nans_canonical(env, (simd_shape)nan_shape, v);
}
