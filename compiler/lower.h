/* lower.h - shared pieces of the lowering stage (wasm -> LLVM IR).
 *
 * lower.c owns the per-function walk (control flow, locals, calls,
 * memory, tables); families of pure value instructions are lowered by
 * their own files through the small interface below, so that numeric and
 * SIMD lowering never need to know how control flow is built. */
#ifndef KILN_LOWER_H
#define KILN_LOWER_H

#include <llvm-c/Core.h>
#include <stdint.h>

#include "module.h"

/* What a value-instruction lowering may ask of its caller: a conditional
 * trap.  emit_trap_if() makes the current block branch (marked unlikely)
 * to a block that calls kiln_rt_trap(kind) when `cond` (i1) is true, and
 * leaves the builder positioned in the continuing block. */
typedef struct lower_value_env {
    LLVMContextRef context;
    LLVMModuleRef module;
    LLVMBuilderRef builder;
    void *user;
    void (*emit_trap_if)(void *user, LLVMValueRef cond, uint32_t trap_kind);
} lower_value_env;

/* lower_numeric.c: every scalar numeric instruction (the opcodes whose
 * table signature is fixed and that do not touch memory: constants are
 * NOT included, they are handled by lower.c).  Covers MVP integer and
 * float arithmetic, comparisons, conversions (trapping and saturating),
 * reinterpretations and sign-extension.  `args` holds the operands in
 * stack order (args[0] is the deepest).  Returns the result value, or
 * NULL if `op` is not a scalar numeric instruction. */
LLVMValueRef lower_numeric(const lower_value_env *env, kiln_opcode op, LLVMValueRef *args);

/* lower_simd.c: every SIMD instruction that does not touch memory and has
 * no lane/shuffle immediate... and those that do, through `insn`.
 * v128 values are carried as <2 x i64> between instructions. */
LLVMValueRef lower_simd(const lower_value_env *env, const kiln_insn *insn, LLVMValueRef *args);

/* True if lower_numeric() handles `op`. */
bool lower_numeric_handles(kiln_opcode op);

#endif
