/* lower_atomic.c - the threads proposal's instructions (prefix 0xFE):
 * atomic loads, stores and read-modify-writes, atomic.fence, and
 * memory.atomic.wait32/64 / notify.
 *
 * Every atomic access is sequentially consistent (the proposal's only
 * ordering): `load atomic seq_cst`, `store atomic seq_cst`, `atomicrmw`
 * and `cmpxchg`.  Its address comes from memory_atomic_address, which
 * checks bounds and then alignment ("unaligned atomic") in both bounds
 * modes.  Narrow forms work on the narrow integer type: the operand is
 * wrapped to it (cmpxchg's expected value too, as the spec has it since
 * WebAssembly/threads#195), and the old value is zero-extended.  Atomics
 * on a memory that is not shared behave the same; only wait needs a
 * shared memory and traps otherwise.  Waiting itself is the runtime's
 * (runtime/atomic_wait.c). */
#include "lower_internal.h"

static const LLVMAtomicOrdering SEQ_CST = LLVMAtomicOrderingSequentiallyConsistent;

/* The i32 or i64 result type of a row ("...:i" or "...:I"). */
static LLVMTypeRef result_type(const lower_module *lm, const kiln_opcode_info *info) {
    const char *colon = info->signature;
    while (*colon != ':') colon++;
    return colon[1] == 'I' ? lm->t.i64 : lm->t.i32;
}

static LLVMValueRef wrap(lower_module *lm, LLVMValueRef v, unsigned bytes) {
    LLVMTypeRef ty = lower_int_of_bytes(lm, bytes);
    return LLVMTypeOf(v) == ty ? v : LLVMBuildTrunc(lm->b, v, ty, "");
}

static LLVMValueRef extend(lower_module *lm, LLVMValueRef v, LLVMTypeRef ty) {
    return LLVMTypeOf(v) == ty ? v : LLVMBuildZExt(lm->b, v, ty, "");
}

static void atomic_access_finish(lower_func *lf, const kiln_insn *insn, LLVMValueRef access,
                                 unsigned bytes) {
    LLVMSetAlignment(access, bytes);
    lower_tbaa_tag(lf->lm, access, memory_tbaa(lf, insn));
}

static void atomic_load_lower(lower_func *lf, const kiln_insn *insn, const kiln_opcode_info *info) {
    lower_module *lm = lf->lm;
    unsigned bytes = info->access_bytes;
    LLVMValueRef p = memory_atomic_address(lf, insn, lower_pop(lf), bytes);
    LLVMValueRef v = LLVMBuildLoad2(lm->b, lower_int_of_bytes(lm, bytes), p, "");
    LLVMSetOrdering(v, SEQ_CST);
    atomic_access_finish(lf, insn, v, bytes);
    lower_push(lf, extend(lm, v, result_type(lm, info)));
}

/* Pops (address, value): the value wrapped to the access, *p its address. */
static LLVMValueRef operands_pop(lower_func *lf, const kiln_insn *insn, unsigned bytes,
                                 LLVMValueRef *p) {
    LLVMValueRef v = lower_pop(lf);
    *p = memory_atomic_address(lf, insn, lower_pop(lf), bytes);
    return wrap(lf->lm, v, bytes);
}

static void atomic_store_lower(lower_func *lf, const kiln_insn *insn, const kiln_opcode_info *info) {
    lower_module *lm = lf->lm;
    unsigned bytes = info->access_bytes;
    LLVMValueRef p;
    LLVMValueRef v = operands_pop(lf, insn, bytes, &p);
    LLVMValueRef st = LLVMBuildStore(lm->b, v, p);
    LLVMSetOrdering(st, SEQ_CST);
    atomic_access_finish(lf, insn, st, bytes);
}

/* The rmw rows come in runs of seven per operation (add, sub, and, or,
 * xor, xchg) starting at i32.atomic.rmw.add; cmpxchg follows. */
static LLVMAtomicRMWBinOp rmw_binop(kiln_opcode op) {
    static const LLVMAtomicRMWBinOp ops[] = {LLVMAtomicRMWBinOpAdd, LLVMAtomicRMWBinOpSub,
                                             LLVMAtomicRMWBinOpAnd, LLVMAtomicRMWBinOpOr,
                                             LLVMAtomicRMWBinOpXor, LLVMAtomicRMWBinOpXchg};
    return ops[(op - KILN_OP_I32_ATOMIC_RMW_ADD) / 7];
}

static void atomic_rmw_lower(lower_func *lf, const kiln_insn *insn, const kiln_opcode_info *info) {
    lower_module *lm = lf->lm;
    unsigned bytes = info->access_bytes;
    LLVMValueRef p;
    LLVMValueRef v = operands_pop(lf, insn, bytes, &p);
    LLVMValueRef old = LLVMBuildAtomicRMW(lm->b, rmw_binop((kiln_opcode)insn->op), p, v, SEQ_CST, 0);
    atomic_access_finish(lf, insn, old, bytes);
    lower_push(lf, extend(lm, old, result_type(lm, info)));
}

static void atomic_cmpxchg_lower(lower_func *lf, const kiln_insn *insn, const kiln_opcode_info *info) {
    lower_module *lm = lf->lm;
    unsigned bytes = info->access_bytes;
    LLVMValueRef replacement = lower_pop(lf);
    LLVMValueRef expected = lower_pop(lf);
    LLVMValueRef p = memory_atomic_address(lf, insn, lower_pop(lf), bytes);
    LLVMValueRef pair = LLVMBuildAtomicCmpXchg(lm->b, p, wrap(lm, expected, bytes),
                                               wrap(lm, replacement, bytes), SEQ_CST, SEQ_CST, 0);
    atomic_access_finish(lf, insn, pair, bytes);
    LLVMValueRef old = LLVMBuildExtractValue(lm->b, pair, 0, "");
    lower_push(lf, extend(lm, old, result_type(lm, info)));
}

static bool memory_is_shared(const lower_func *lf, const kiln_insn *insn) {
    return lf->lm->m->memories[insn->imm.memarg.memory].shared;
}

/* wait32/wait64 (addr, expected, timeout): on a memory that is not
 * shared nothing could ever notify, so the spec traps instead of
 * blocking (after the bounds and alignment checks). */
static void atomic_wait_lower(lower_func *lf, const kiln_insn *insn, const kiln_opcode_info *info) {
    LLVMValueRef timeout = lower_pop(lf);
    LLVMValueRef expected = lower_pop(lf);
    LLVMValueRef p = memory_atomic_address(lf, insn, lower_pop(lf), info->access_bytes);
    if (!memory_is_shared(lf, insn)) {
        lower_trap(lf, KILN_TRAP_WAIT_UNSHARED);
        return;
    }
    LLVMValueRef args[3] = {p, expected, timeout};
    lower_rt id = info->access_bytes == 8 ? LOWER_RT_ATOMIC_WAIT64 : LOWER_RT_ATOMIC_WAIT32;
    lower_push(lf, lower_rt_call(lf, id, args, 3));
}

/* notify (addr, count): on an unshared memory there can be no waiter. */
static void atomic_notify_lower(lower_func *lf, const kiln_insn *insn) {
    LLVMValueRef count = lower_pop(lf);
    LLVMValueRef p = memory_atomic_address(lf, insn, lower_pop(lf), 4);
    if (!memory_is_shared(lf, insn)) {
        lower_push(lf, lower_const_i32(lf->lm, 0));
        return;
    }
    LLVMValueRef args[2] = {p, count};
    lower_push(lf, lower_rt_call(lf, LOWER_RT_ATOMIC_NOTIFY, args, 2));
}

bool atomic_lower(lower_func *lf, const kiln_insn *insn) {
    kiln_opcode op = (kiln_opcode)insn->op;
    const kiln_opcode_info *info = &kiln_opcode_table[op];
    if (info->prefix != 0xFE) return false;
    if (op == KILN_OP_ATOMIC_FENCE) LLVMBuildFence(lf->lm->b, SEQ_CST, 0, "");
    else if (op == KILN_OP_MEMORY_ATOMIC_NOTIFY) atomic_notify_lower(lf, insn);
    else if (op == KILN_OP_MEMORY_ATOMIC_WAIT32 || op == KILN_OP_MEMORY_ATOMIC_WAIT64)
        atomic_wait_lower(lf, insn, info);
    else if (op <= KILN_OP_I64_ATOMIC_LOAD32_U) atomic_load_lower(lf, insn, info);
    else if (op <= KILN_OP_I64_ATOMIC_STORE32) atomic_store_lower(lf, insn, info);
    else if (op < KILN_OP_I32_ATOMIC_RMW_CMPXCHG) atomic_rmw_lower(lf, insn, info);
    else atomic_cmpxchg_lower(lf, insn, info);
    return true;
}
