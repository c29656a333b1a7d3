/* lower.h - shared pieces of the lowering stage (wasm -> LLVM IR).
 *
 * lower.c owns the per-function walk (control flow, locals, calls,
 * memory, tables); families of pure value instructions are lowered by
 * their own files through the small interface below, so that numeric and
 * SIMD lowering never need to know how control flow is built. */
#ifndef KILN_LOWER_H
#define KILN_LOWER_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stdint.h>

#include "module.h"

/* What a value-instruction lowering may ask of its caller: a conditional
 * trap.  emit_trap_if() makes the current block branch (marked unlikely)
 * to a block that calls kiln_rt_trap(kind) when `cond` (i1) is true, and
 * leaves the builder positioned in the continuing block. */
/* What the target CPU has, for the relaxed SIMD instructions, whose
 * result kiln picks per target (lower_simd.c, docs/relaxed-simd.md).
 * All false: the portable forms, right on every target. */
typedef struct lower_target_caps {
    bool x86;   /* x86-64: results as its SSE instructions give them */
    bool ssse3; /* pshufb, pmulhrsw, pmaddubsw */
    bool fma;   /* a fused multiply-add instruction */
} lower_target_caps;

/* target_caps.c: what `tm`'s CPU has (asked once per target, cached). */
lower_target_caps target_caps_of(LLVMTargetMachineRef tm);

typedef struct lower_value_env {
    LLVMContextRef context;
    LLVMModuleRef module;
    LLVMBuilderRef builder;
    void *user;
    void (*emit_trap_if)(void *user, LLVMValueRef cond, uint32_t trap_kind);
    lower_target_caps caps;
    bool canonical_nans; /* kiln_compile_options.canonical_nans */
    bool fast_isel;      /* -O0: no intrinsic LLVM's fast instruction selector lacks */
} lower_value_env;

/* lower_numeric.c: every scalar numeric instruction (the opcodes whose
 * table signature is fixed and that do not touch memory: constants are
 * NOT included, they are handled by lower.c).  Covers MVP integer and
 * float arithmetic, comparisons, conversions (trapping and saturating),
 * reinterpretations, sign-extension and wide arithmetic.  `args` holds
 * the operands in stack order (args[0] is the deepest).  Returns the
 * result value (a {i64, i64} for the two results of wide arithmetic), or
 * NULL if `op` is not a scalar numeric instruction. */
LLVMValueRef lower_numeric(const lower_value_env *env, kiln_opcode op, LLVMValueRef *args);

/* lower_simd.c: every SIMD instruction that does not touch memory and has
 * no lane/shuffle immediate... and those that do, through `insn`.
 * v128 values are carried as <2 x i64> between instructions. */
LLVMValueRef lower_simd(const lower_value_env *env, const kiln_insn *insn, LLVMValueRef *args);

/* True if lower_numeric() handles `op`. */
bool lower_numeric_handles(kiln_opcode op);

/* Helpers of lower_numeric.c that lower_simd.c reuses lane-wise: each
 * works on a scalar or a vector type. */
enum { FSIGN_ABS, FSIGN_NEG, FSIGN_COPYSIGN };
/* i I f F v (signature letters) -> LLVM type; v128 is <2 x i64>. */
LLVMTypeRef lower_valtype_of_sig(LLVMContextRef c, char letter);
LLVMValueRef lower_const_int_like(LLVMTypeRef ty, uint64_t value);
LLVMValueRef lower_call_intrinsic(const lower_value_env *env, const char *name,
                                  LLVMTypeRef *overloads, unsigned num_overloads,
                                  LLVMValueRef *args, unsigned num_args);
/* `name` is llvm.experimental.constrained.{fadd,fsub,fmul,fdiv}. */
LLVMValueRef lower_fbinop(const lower_value_env *env, const char *name, LLVMValueRef a,
                          LLVMValueRef b);
/* The constrained intrinsic `name` (llvm.experimental.constrained.*,
 * overloaded on args[0]'s type) on n <= 3 operands, rounding to nearest,
 * "fpexcept.maytrap": LLVM does not fold it to an operand. */
LLVMValueRef lower_constrained(const lower_value_env *env, const char *name, LLVMValueRef *args,
                               unsigned n);
/* kind is FSIGN_*; b is only read by FSIGN_COPYSIGN. */
LLVMValueRef lower_fsign(const lower_value_env *env, int kind, LLVMValueRef a, LLVMValueRef b);
/* `name` is llvm.sqrt, llvm.ceil, llvm.floor, llvm.trunc or llvm.roundeven;
 * NaN results are arithmetic NaNs on every target. */
LLVMValueRef lower_funary(const lower_value_env *env, const char *name, LLVMValueRef x);
LLVMValueRef lower_fminmax(const lower_value_env *env, bool is_max, LLVMValueRef a,
                           LLVMValueRef b);
LLVMValueRef lower_trunc_sat(const lower_value_env *env, bool is_signed, LLVMValueRef x,
                             LLVMTypeRef to);
LLVMValueRef lower_fpcast(const lower_value_env *env, bool extend, LLVMValueRef x,
                          LLVMTypeRef to);

#endif
