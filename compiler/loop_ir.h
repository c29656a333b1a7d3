/* loop_ir.h - small IR predicates the loop passes share (reroll.c,
 * check_hoist.c): both read integer constants and recognise the trap
 * blocks that explicit-mode bounds checks branch to. */
#ifndef KILN_LOOP_IR_H
#define KILN_LOOP_IR_H

#include <stdbool.h>
#include <stdint.h>

#include <llvm-c/Core.h>

/* v is a constant integer; *out its value, sign-extended. */
static inline bool const_int(LLVMValueRef v, int64_t *out) {
    if (!v || !LLVMIsAConstantInt(v)) return false;
    *out = LLVMConstIntGetSExtValue(v);
    return true;
}

/* A block that only traps: no phis, ends in `unreachable`. */
static inline bool is_trap_block(LLVMBasicBlockRef bb) {
    LLVMValueRef first = LLVMGetFirstInstruction(bb), term = LLVMGetBasicBlockTerminator(bb);
    return first && !LLVMIsAPHINode(first) && term && LLVMIsAUnreachableInst(term);
}

#endif
