/* lower_memory.c - loads and stores (scalar and SIMD), memory.size/grow
 * and the bulk memory instructions.
 *
 * Explicit-check mode: the effective address is zext64(addr) +
 * zext64(offset), computed in i64 without nuw/nsw/inbounds; it is below
 * 2^33, so adding the access width cannot wrap and `ea + bytes > size`
 * is the whole check (computed as zext64(addr) > size - offset - bytes,
 * see mem_address).  mem0_base and mem0_size are reloaded from the
 * vmctx for every access (memory.grow or a host call may move memory);
 * their TBAA tag differs from linear memory's, so LLVM still hoists them
 * out of loops that only touch linear memory.  Accesses use align 1 and
 * never touch more bytes than were checked.
 *
 * Guard-page mode (!opts->explicit_bounds): the runtime reserves 8 GiB +
 * a page per memory, so base + zext(addr) + offset + width always lands
 * inside the reservation and an out-of-bounds access faults instead of
 * being compared.  Bulk operations still check in the runtime.  LLVM may
 * delete or narrow a load whose value is (partly) unused, which would
 * lose the trap, so memory_loads_pin() sinks every load (see below).
 *
 * 64-bit memories (memory64) always get explicit checks, in both modes:
 * an i64 address can be anywhere, so no reservation covers it.  The
 * check `addr + offset + bytes > size` is made without wrapping (see
 * mem64_out_of_bounds); their accesses carry their own TBAA tag, and
 * their loads, checked before they run, take no sink.
 * Atomic accesses are lowered in lower_atomic.c and always compared
 * explicitly too (memory_atomic_address). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"
#include "ptr_set.h"
#include "sink_trim.h"

typedef struct mem_view {
    LLVMValueRef base, size; /* ptr, i64 bytes */
} mem_view;

static mem_view mem_view_load(lower_func *lf, uint32_t memory) {
    lower_module *lm = lf->lm;
    mem_view v;
    if (memory == 0) {
        v.base = lower_vmctx_field(lf, KILN_VMCTX_OFFSET_MEM0_BASE, lm->t.ptr, false);
        v.size = lower_vmctx_field(lf, KILN_VMCTX_OFFSET_MEM0_SIZE, lm->t.i64, false);
        return v;
    }
    LLVMValueRef rt = lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_MEMORIES, memory, lm->t.ptr, 8);
    v.base = lower_load(lf, lm->t.ptr, rt, 8, LOWER_TBAA_VMCTX, false);
    LLVMValueRef size_p = lower_byte_gep(lf, rt, lower_const_i64(lm, offsetof(kiln_memory_rt, size)));
    v.size = lower_load(lf, lm->t.i64, size_p, 8, LOWER_TBAA_VMCTX, false);
    return v;
}

static bool mem_is64(const lower_func *lf, uint32_t memory) {
    return lf->lm->m->memories[memory].is64;
}

/* Guard mode, a 32-bit memory: the runtime reserves the whole range up
 * front and grows it in place (runtime/memory.c: a guarded memory, a
 * pool slot, a shared memory; an imported one is made guarded before the
 * instance exists), so the base never changes while the instance lives.
 * The load is invariant: LLVM may keep the base across calls instead of
 * reloading it after each one.  -O0 has no pass to do that, so memory 0's
 * base is read once, in the entry block: one load per body instead of
 * one per access (CRuby's bodies made 4,300 of them per partition of
 * 58,000 instructions), and in each block that uses it the fast
 * register allocator reloads it from its spill slot, as it reloaded the
 * vmctx to read it from there. */
static LLVMValueRef memory_base_load(lower_func *lf, uint32_t memory) {
    lower_module *lm = lf->lm;
    if (memory == 0 && lm->opts->opt_level == 0) {
        if (!lf->entry_mem0_base) {
            lower_pos at = lower_entry_begin(lf);
            lf->entry_mem0_base = lower_vmctx_field(lf, KILN_VMCTX_OFFSET_MEM0_BASE, lm->t.ptr, true);
            lower_entry_end(lf, at);
        }
        return lf->entry_mem0_base;
    }
    if (memory == 0) return lower_vmctx_field(lf, KILN_VMCTX_OFFSET_MEM0_BASE, lm->t.ptr, true);
    LLVMValueRef rt = lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_MEMORIES, memory, lm->t.ptr, 8);
    return lower_load(lf, lm->t.ptr, rt, 8, LOWER_TBAA_VMCTX, true);
}

/* ---- explicit mode: one check for a run of loads off one local ------------ */

/* Compiled wasm reads neighbouring fields or elements as
 *   local.get x; i64.load offset=8 ... local.get x; i32.const 8; i32.sub; i64.load
 * with nothing observable in between.  The loads of such a run that share
 * the local are checked together, before the first of them: trapping
 * there instead of at a later load of the run is indistinguishable, as
 * between them lie only instructions without effects and other loads,
 * whose only possible trap is the same one. */
enum { GROUP_MAX = 16 };

typedef struct load_group {
    uint32_t local, memory, n;
    int64_t delta[GROUP_MAX]; /* address = x + delta (i32, wrapping)  */
    uint64_t end[GROUP_MAX];  /* memarg offset + access bytes          */
} load_group;

/* Instructions a run may contain: no effect, no trap but out-of-bounds. */
static bool insn_transparent(kiln_opcode op) {
    switch (op) {
    case KILN_OP_I32_DIV_S: case KILN_OP_I32_DIV_U: case KILN_OP_I32_REM_S: case KILN_OP_I32_REM_U:
    case KILN_OP_I64_DIV_S: case KILN_OP_I64_DIV_U: case KILN_OP_I64_REM_S: case KILN_OP_I64_REM_U:
    case KILN_OP_I32_TRUNC_F32_S: case KILN_OP_I32_TRUNC_F32_U: case KILN_OP_I32_TRUNC_F64_S:
    case KILN_OP_I32_TRUNC_F64_U: case KILN_OP_I64_TRUNC_F32_S: case KILN_OP_I64_TRUNC_F32_U:
    case KILN_OP_I64_TRUNC_F64_S: case KILN_OP_I64_TRUNC_F64_U: return false;
    case KILN_OP_NOP: case KILN_OP_DROP: case KILN_OP_SELECT: case KILN_OP_LOCAL_GET:
    case KILN_OP_LOCAL_SET: case KILN_OP_LOCAL_TEE: case KILN_OP_GLOBAL_GET:
    case KILN_OP_I32_CONST: case KILN_OP_I64_CONST: case KILN_OP_F32_CONST:
    case KILN_OP_F64_CONST: return true;
    default: return lower_numeric_handles(op);
    }
}

static bool is_scalar_load(const kiln_insn *insn) {
    const kiln_opcode_info *info = &kiln_opcode_table[insn->op];
    return info->imm == KILN_IMM_MEMARG && info->prefix == 0 && info->signature[1] == ':';
}

/* The load at i takes its address from `local.get x`, optionally followed
 * by `i32.const c; i32.add` (or i32.sub) right before it. */
static bool load_address_of_local(const kiln_insn *in, uint32_t i, uint32_t *x, int64_t *delta) {
    if (i >= 1 && in[i - 1].op == KILN_OP_LOCAL_GET) {
        *x = in[i - 1].imm.index, *delta = 0;
        return true;
    }
    if (i < 3 || in[i - 3].op != KILN_OP_LOCAL_GET || in[i - 2].op != KILN_OP_I32_CONST ||
        (in[i - 1].op != KILN_OP_I32_ADD && in[i - 1].op != KILN_OP_I32_SUB))
        return false;
    int64_t c = in[i - 2].imm.i32;
    *x = in[i - 3].imm.index, *delta = in[i - 1].op == KILN_OP_I32_ADD ? c : -c;
    return true;
}

static void group_add(load_group *g, const kiln_insn *insn, int64_t delta) {
    g->delta[g->n] = delta;
    g->end[g->n++] = insn->imm.memarg.offset + kiln_opcode_table[insn->op].access_bytes;
}

static bool writes_local(const kiln_insn *insn, uint32_t x) {
    return (insn->op == KILN_OP_LOCAL_SET || insn->op == KILN_OP_LOCAL_TEE) && insn->imm.index == x;
}

/* The loads after load i in its run that read off the same local; they
 * are marked as checked in lf->mem_prechecked. */
static bool group_collect(lower_func *lf, uint32_t i, load_group *g) {
    const kiln_func *f = lf->f;
    int64_t delta;
    if (!is_scalar_load(&f->insns[i]) || !load_address_of_local(f->insns, i, &g->local, &delta))
        return false;
    g->memory = f->insns[i].imm.memarg.memory, g->n = 0;
    group_add(g, &f->insns[i], delta);
    for (uint32_t j = i + 1; j < f->num_insns && g->n < GROUP_MAX; j++) {
        const kiln_insn *in = &f->insns[j];
        uint32_t x;
        if (writes_local(in, g->local)) break;
        if (!is_scalar_load(in)) {
            if (!insn_transparent((kiln_opcode)in->op)) break;
            continue;
        }
        if (in->imm.memarg.memory != g->memory || !load_address_of_local(f->insns, j, &x, &delta) ||
            x != g->local)
            continue;
        group_add(g, in, delta);
        lf->mem_prechecked[j] = 1;
    }
    return g->n > 1;
}

static LLVMValueRef limit_exceeded(lower_func *lf, LLVMValueRef zaddr, LLVMValueRef size, uint64_t end) {
    lower_module *lm = lf->lm;
    LLVMValueRef limit = LLVMBuildSub(lm->b, size, lower_const_i64(lm, end), "limit");
    return LLVMBuildICmp(lm->b, LLVMIntSGT, zaddr, limit, "");
}

/* The exact condition: some load of the group is out of bounds. */
static LLVMValueRef group_any_out(lower_func *lf, const load_group *g, LLVMValueRef x, LLVMValueRef size) {
    lower_module *lm = lf->lm;
    LLVMValueRef any = LLVMConstInt(lm->t.i1, 0, 0);
    for (uint32_t k = 0; k < g->n; k++) {
        LLVMValueRef a = LLVMBuildAdd(lm->b, x, lower_const_i32(lm, (uint32_t)g->delta[k]), "");
        LLVMValueRef za = LLVMBuildZExt(lm->b, a, lm->t.i64, "");
        any = LLVMBuildOr(lm->b, any, limit_exceeded(lf, za, size, g->end[k]), "");
    }
    return any;
}

/* Fast path: x + lo >= 0 and x + hi <= size (lo, hi: the group's lowest
 * delta and highest delta + end) mean no address wraps and every load is
 * in bounds.  Otherwise the exact per-load test decides, which can differ
 * only when an i32 address wraps to the top of a 4 GiB memory. */
static void group_check(lower_func *lf, const load_group *g, LLVMValueRef size) {
    lower_module *lm = lf->lm;
    LLVMValueRef x = LLVMBuildLoad2(lm->b, lm->t.i32, lf->locals[g->local], "");
    LLVMValueRef zx = LLVMBuildZExt(lm->b, x, lm->t.i64, "");
    int64_t lo = 0, hi = 0;
    for (uint32_t k = 0; k < g->n; k++) {
        if (k == 0 || g->delta[k] < lo) lo = g->delta[k];
        if (k == 0 || g->delta[k] + (int64_t)g->end[k] > hi) hi = g->delta[k] + (int64_t)g->end[k];
    }
    LLVMValueRef bad = limit_exceeded(lf, zx, size, (uint64_t)hi);
    if (lo < 0)
        bad = LLVMBuildOr(lm->b, bad, LLVMBuildICmp(lm->b, LLVMIntSLT, zx, lower_const_i64(lm, (uint64_t)-lo), ""), "");
    LLVMBasicBlockRef slow = LLVMAppendBasicBlockInContext(lm->ctx, lf->fn, "group.exact");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(lm->ctx, lf->fn, "group.ok");
    LLVMValueRef br = LLVMBuildCondBr(lm->b, bad, slow, ok);
    lower_branch_unlikely(lm, br);
    LLVMPositionBuilderAtEnd(lm->b, slow);
    lower_trap_if(lf, group_any_out(lf, g, x, size), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    LLVMBuildBr(lm->b, ok);
    LLVMPositionBuilderAtEnd(lm->b, ok);
}

/* Explicit mode: checks the access `insn` (its own check, or the whole
 * group it starts), unless an earlier group check covered it. */
static void explicit_check(lower_func *lf, const kiln_insn *insn, LLVMValueRef zaddr, mem_view mv,
                           uint64_t end) {
    uint32_t i = (uint32_t)(insn - lf->f->insns);
    bool in_body = insn >= lf->f->insns && i < lf->f->num_insns;
    if (in_body && !lf->mem_prechecked) lf->mem_prechecked = arena_zalloc(lf->scratch, lf->f->num_insns);
    if (in_body && lf->mem_prechecked) {
        if (lf->mem_prechecked[i]) return;
        load_group g;
        if (group_collect(lf, i, &g)) {
            group_check(lf, &g, mv.size);
            return;
        }
    }
    lower_trap_if(lf, limit_exceeded(lf, zaddr, mv.size, end), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
}

/* 64-bit memories: out of bounds iff addr + offset + bytes > size, with
 * the sum taken over the integers.  end = offset + bytes is a constant;
 * if it wraps, nothing is in bounds.  Otherwise the access is in bounds
 * iff size >= end and addr <= size - end, where size - end cannot wrap
 * and both compares are unsigned (addr may be anything up to 2^64-1). */
static LLVMValueRef mem64_out_of_bounds(lower_func *lf, LLVMValueRef addr, LLVMValueRef size,
                                        uint64_t offset, unsigned bytes) {
    lower_module *lm = lf->lm;
    if (offset > UINT64_MAX - bytes) return LLVMConstInt(lm->t.i1, 1, 0);
    LLVMValueRef end = lower_const_i64(lm, offset + bytes);
    LLVMValueRef small = LLVMBuildICmp(lm->b, LLVMIntULT, size, end, "");
    LLVMValueRef limit = LLVMBuildSub(lm->b, size, end, "limit");
    return LLVMBuildOr(lm->b, small, LLVMBuildICmp(lm->b, LLVMIntUGT, addr, limit, ""), "");
}

static LLVMValueRef mem64_address(lower_func *lf, const kiln_insn *insn, LLVMValueRef addr,
                                  unsigned bytes) {
    lower_module *lm = lf->lm;
    uint64_t offset = insn->imm.memarg.offset;
    mem_view mv = mem_view_load(lf, insn->imm.memarg.memory);
    lower_trap_if(lf, mem64_out_of_bounds(lf, addr, mv.size, offset, bytes),
                  KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    /* In bounds: addr + offset < size, so the sum does not wrap. */
    LLVMValueRef ea = offset ? LLVMBuildAdd(lm->b, addr, lower_const_i64(lm, offset), "ea") : addr;
    return lower_byte_gep(lf, mv.base, ea);
}

/* The checked native address of an access of `bytes` bytes. */
static LLVMValueRef mem_address(lower_func *lf, const kiln_insn *insn, LLVMValueRef addr,
                                unsigned bytes) {
    lower_module *lm = lf->lm;
    LLVMBuilderRef b = lm->b;
    uint64_t offset = insn->imm.memarg.offset;
    if (mem_is64(lf, insn->imm.memarg.memory)) return mem64_address(lf, insn, addr, bytes);
    LLVMValueRef zaddr = LLVMBuildZExt(b, addr, lm->t.i64, "");
    LLVMValueRef ea = offset ? LLVMBuildAdd(b, zaddr, lower_const_i64(lm, offset), "ea") : zaddr;
    if (!lm->opts->explicit_bounds) {
        /* The reservation covers every u32 address + u32 offset + width. */
        LLVMValueRef base = memory_base_load(lf, insn->imm.memarg.memory);
        return lower_byte_gep(lf, base, ea);
    }
    /* In bounds iff zext(addr) + offset + bytes <= size, i.e. not
     * zext(addr) > size - (offset + bytes) compared signed: both sides
     * lie within (-2^33, 2^33), and size 0 gives a negative limit that
     * every address exceeds.  The limit depends only on the size, so it
     * leaves loops with it, and the access's own address is compared
     * without first adding anything to it. */
    mem_view mv = mem_view_load(lf, insn->imm.memarg.memory);
    explicit_check(lf, insn, zaddr, mv, offset + bytes);
    return lower_byte_gep(lf, mv.base, ea);
}

/* Atomics (lower_atomic.c) compare explicitly in both bounds modes: an
 * atomic access must trap "unaligned atomic" only when it is in bounds
 * (the spec checks the bounds first), so guard mode cannot leave the
 * bounds to a fault, and an atomic access is never grouped or sunk.  The
 * alignment is that of the effective address: memories start on a page. */
LLVMValueRef memory_atomic_address(lower_func *lf, const kiln_insn *insn, LLVMValueRef addr,
                                   unsigned bytes) {
    lower_module *lm = lf->lm;
    uint64_t offset = insn->imm.memarg.offset;
    mem_view mv = mem_view_load(lf, insn->imm.memarg.memory);
    bool is64 = mem_is64(lf, insn->imm.memarg.memory);
    LLVMValueRef zaddr = is64 ? addr : LLVMBuildZExt(lm->b, addr, lm->t.i64, "");
    LLVMValueRef out = is64 ? mem64_out_of_bounds(lf, addr, mv.size, offset, bytes)
                            : limit_exceeded(lf, zaddr, mv.size, offset + bytes);
    lower_trap_if(lf, out, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    /* In bounds: the sum does not wrap. */
    LLVMValueRef ea = offset ? LLVMBuildAdd(lm->b, zaddr, lower_const_i64(lm, offset), "ea") : zaddr;
    if (bytes > 1) {
        LLVMValueRef low = LLVMBuildAnd(lm->b, ea, lower_const_i64(lm, bytes - 1), "");
        LLVMValueRef unaligned = LLVMBuildICmp(lm->b, LLVMIntNE, low, lower_const_i64(lm, 0), "");
        lower_trap_if(lf, unaligned, KILN_TRAP_UNALIGNED_ATOMIC);
    }
    return lower_byte_gep(lf, mv.base, ea);
}

lower_tbaa memory_tbaa(const lower_func *lf, const kiln_insn *insn) {
    return mem_is64(lf, insn->imm.memarg.memory) ? LOWER_TBAA_MEMORY64 : LOWER_TBAA_MEMORY;
}

static LLVMValueRef mem_load(lower_func *lf, const kiln_insn *insn, LLVMTypeRef ty, LLVMValueRef p) {
    return lower_load(lf, ty, p, 1, memory_tbaa(lf, insn), false);
}

static void mem_store(lower_func *lf, const kiln_insn *insn, LLVMValueRef v, LLVMValueRef p) {
    lower_store(lf, v, p, 1, memory_tbaa(lf, insn));
}

LLVMTypeRef lower_int_of_bytes(const lower_module *lm, unsigned bytes) {
    switch (bytes) {
    case 1: return lm->t.i8;
    case 2: return lm->t.i16;
    case 4: return lm->t.i32;
    default: return lm->t.i64;
    }
}

static LLVMTypeRef sig_letter_type(const lower_module *lm, char c) {
    switch (c) {
    case 'i': return lm->t.i32;
    case 'I': return lm->t.i64;
    case 'f': return lm->t.f32;
    case 'F': return lm->t.f64;
    default: return lm->t.v128;
    }
}

static bool load_is_signed(kiln_opcode op) {
    switch (op) {
    case KILN_OP_I32_LOAD8_S:
    case KILN_OP_I32_LOAD16_S:
    case KILN_OP_I64_LOAD8_S:
    case KILN_OP_I64_LOAD16_S:
    case KILN_OP_I64_LOAD32_S: return true;
    default: return false;
    }
}

/* Scalar loads: the table gives the width and the result type; narrow
 * integer loads extend by the opcode's signedness. */
static void scalar_load_lower(lower_func *lf, const kiln_insn *insn) {
    const kiln_opcode_info *info = &kiln_opcode_table[insn->op];
    LLVMTypeRef rty = sig_letter_type(lf->lm, info->signature[2]);
    unsigned bytes = info->access_bytes;
    LLVMValueRef p = mem_address(lf, insn, lower_pop(lf), bytes);
    bool is_int = LLVMGetTypeKind(rty) == LLVMIntegerTypeKind;
    LLVMValueRef v = mem_load(lf, insn, is_int ? lower_int_of_bytes(lf->lm, bytes) : rty, p);
    if (is_int && LLVMGetIntTypeWidth(rty) > bytes * 8)
        v = load_is_signed((kiln_opcode)insn->op) ? LLVMBuildSExt(lf->lm->b, v, rty, "")
                                                 : LLVMBuildZExt(lf->lm->b, v, rty, "");
    lower_push(lf, v);
}

static void scalar_store_lower(lower_func *lf, const kiln_insn *insn) {
    const kiln_opcode_info *info = &kiln_opcode_table[insn->op];
    unsigned bytes = info->access_bytes;
    LLVMValueRef v = lower_pop(lf);
    LLVMValueRef p = mem_address(lf, insn, lower_pop(lf), bytes);
    LLVMTypeRef vty = LLVMTypeOf(v);
    if (LLVMGetTypeKind(vty) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(vty) > bytes * 8)
        v = LLVMBuildTrunc(lf->lm->b, v, lower_int_of_bytes(lf->lm, bytes), "");
    mem_store(lf, insn, v, p);
}

/* ---- SIMD memory instructions (v128 is <2 x i64> between instructions) ---- */

static LLVMTypeRef vec_of(const lower_module *lm, unsigned lane_bytes, unsigned lanes) {
    return LLVMVectorType(lower_int_of_bytes(lm, lane_bytes), lanes);
}

static LLVMValueRef as_v128(lower_func *lf, LLVMValueRef v) {
    return LLVMBuildBitCast(lf->lm->b, v, lf->lm->t.v128, "");
}

/* v128.load8x8_s etc.: 8 bytes, each lane widened to twice its size. */
static void load_extend_lower(lower_func *lf, const kiln_insn *insn, unsigned lane_bytes,
                              bool is_signed) {
    unsigned lanes = 8 / lane_bytes;
    LLVMValueRef p = mem_address(lf, insn, lower_pop(lf), 8);
    LLVMValueRef v = mem_load(lf, insn, vec_of(lf->lm, lane_bytes, lanes), p);
    LLVMTypeRef wide = vec_of(lf->lm, lane_bytes * 2, lanes);
    v = is_signed ? LLVMBuildSExt(lf->lm->b, v, wide, "") : LLVMBuildZExt(lf->lm->b, v, wide, "");
    lower_push(lf, as_v128(lf, v));
}

static void load_splat_lower(lower_func *lf, const kiln_insn *insn, unsigned bytes) {
    lower_module *lm = lf->lm;
    unsigned lanes = 16 / bytes;
    LLVMValueRef p = mem_address(lf, insn, lower_pop(lf), bytes);
    LLVMValueRef s = mem_load(lf, insn, lower_int_of_bytes(lm, bytes), p);
    LLVMTypeRef vty = vec_of(lm, bytes, lanes);
    LLVMValueRef v = LLVMBuildInsertElement(lm->b, LLVMGetPoison(vty), s, lower_const_i32(lm, 0), "");
    LLVMValueRef mask = LLVMConstNull(LLVMVectorType(lm->t.i32, lanes));
    v = LLVMBuildShuffleVector(lm->b, v, LLVMGetPoison(vty), mask, "");
    lower_push(lf, as_v128(lf, v));
}

static void load_zero_lower(lower_func *lf, const kiln_insn *insn, unsigned bytes) {
    lower_module *lm = lf->lm;
    LLVMValueRef p = mem_address(lf, insn, lower_pop(lf), bytes);
    LLVMValueRef s = mem_load(lf, insn, lower_int_of_bytes(lm, bytes), p);
    LLVMTypeRef vty = vec_of(lm, bytes, 16 / bytes);
    LLVMValueRef v = LLVMBuildInsertElement(lm->b, LLVMConstNull(vty), s, lower_const_i32(lm, 0), "");
    lower_push(lf, as_v128(lf, v));
}

static void lane_access_lower(lower_func *lf, const kiln_insn *insn, bool is_load) {
    lower_module *lm = lf->lm;
    unsigned bytes = kiln_opcode_table[insn->op].access_bytes;
    LLVMTypeRef vty = vec_of(lm, bytes, 16 / bytes);
    LLVMValueRef vec = LLVMBuildBitCast(lm->b, lower_pop(lf), vty, "");
    LLVMValueRef p = mem_address(lf, insn, lower_pop(lf), bytes);
    LLVMValueRef lane = lower_const_i32(lm, insn->imm.memarg.lane);
    if (is_load) {
        LLVMValueRef s = mem_load(lf, insn, lower_int_of_bytes(lm, bytes), p);
        lower_push(lf, as_v128(lf, LLVMBuildInsertElement(lm->b, vec, s, lane, "")));
    } else {
        mem_store(lf, insn, LLVMBuildExtractElement(lm->b, vec, lane, ""), p);
    }
}

static bool simd_memory_lower(lower_func *lf, const kiln_insn *insn) {
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_V128_LOAD8X8_S: load_extend_lower(lf, insn, 1, true); return true;
    case KILN_OP_V128_LOAD8X8_U: load_extend_lower(lf, insn, 1, false); return true;
    case KILN_OP_V128_LOAD16X4_S: load_extend_lower(lf, insn, 2, true); return true;
    case KILN_OP_V128_LOAD16X4_U: load_extend_lower(lf, insn, 2, false); return true;
    case KILN_OP_V128_LOAD32X2_S: load_extend_lower(lf, insn, 4, true); return true;
    case KILN_OP_V128_LOAD32X2_U: load_extend_lower(lf, insn, 4, false); return true;
    case KILN_OP_V128_LOAD8_SPLAT: load_splat_lower(lf, insn, 1); return true;
    case KILN_OP_V128_LOAD16_SPLAT: load_splat_lower(lf, insn, 2); return true;
    case KILN_OP_V128_LOAD32_SPLAT: load_splat_lower(lf, insn, 4); return true;
    case KILN_OP_V128_LOAD64_SPLAT: load_splat_lower(lf, insn, 8); return true;
    case KILN_OP_V128_LOAD32_ZERO: load_zero_lower(lf, insn, 4); return true;
    case KILN_OP_V128_LOAD64_ZERO: load_zero_lower(lf, insn, 8); return true;
    case KILN_OP_V128_LOAD8_LANE:
    case KILN_OP_V128_LOAD16_LANE:
    case KILN_OP_V128_LOAD32_LANE:
    case KILN_OP_V128_LOAD64_LANE: lane_access_lower(lf, insn, true); return true;
    case KILN_OP_V128_STORE8_LANE:
    case KILN_OP_V128_STORE16_LANE:
    case KILN_OP_V128_STORE32_LANE:
    case KILN_OP_V128_STORE64_LANE: lane_access_lower(lf, insn, false); return true;
    default: return false;
    }
}

/* ---- memory.size / memory.grow / bulk ------------------------------------ */

/* An operand of a runtime call, whose addresses, lengths and counts are
 * 64-bit for every memory and table (kiln_abi.h). */
LLVMValueRef lower_zext_i64(lower_func *lf, LLVMValueRef v) {
    if (LLVMTypeOf(v) == lf->lm->t.i64) return v;
    return LLVMBuildZExt(lf->lm->b, v, lf->lm->t.i64, "");
}

/* A 64-bit size or old size back to the i32 result of a 32-bit memory or
 * table (-1 stays -1). */
LLVMValueRef lower_result_of_width(lower_func *lf, LLVMValueRef v, bool is64) {
    return is64 ? v : LLVMBuildTrunc(lf->lm->b, v, lf->lm->t.i32, "");
}

static void memory_size_lower(lower_func *lf, uint32_t memory) {
    lower_module *lm = lf->lm;
    LLVMValueRef pages = LLVMBuildLShr(lm->b, mem_view_load(lf, memory).size, lower_const_i64(lm, 16), "");
    lower_push(lf, lower_result_of_width(lf, pages, mem_is64(lf, memory)));
}

static void memory_grow_lower(lower_func *lf, uint32_t memory) {
    LLVMValueRef args[2] = {lower_const_i32(lf->lm, memory), lower_zext_i64(lf, lower_pop(lf))};
    LLVMValueRef old = lower_rt_call(lf, LOWER_RT_MEMORY_GROW, args, 2);
    lower_push(lf, lower_result_of_width(lf, old, mem_is64(lf, memory)));
}

/* Pops the three operands (d, s, n) of a bulk instruction into
 * args[k..k+3), as 64-bit values but for memory.fill's byte value. */
static void bulk_operands(lower_func *lf, LLVMValueRef *args, bool fill) {
    args[2] = lower_zext_i64(lf, lower_pop(lf));
    args[1] = lower_pop(lf);
    if (!fill) args[1] = lower_zext_i64(lf, args[1]);
    args[0] = lower_zext_i64(lf, lower_pop(lf));
}

/* True when the ranges [start, start + n) of the bulk operation (src is
 * NULL for a fill) do not all fit in the memory: n > size, or a start
 * above size - n (no sum that could wrap, so the same test serves 64-bit
 * memories). */
static LLVMValueRef bulk_out_of_bounds(lower_func *lf, LLVMValueRef dst, LLVMValueRef src,
                                       LLVMValueRef n, LLVMValueRef size) {
    LLVMBuilderRef b = lf->lm->b;
    LLVMValueRef big = LLVMBuildICmp(b, LLVMIntUGT, n, size, "");
    LLVMValueRef room = LLVMBuildSub(b, size, n, "room");
    LLVMValueRef out = LLVMBuildICmp(b, LLVMIntUGT, dst, room, "");
    if (src) out = LLVMBuildOr(b, out, LLVMBuildICmp(b, LLVMIntUGT, src, room, ""), "");
    return LLVMBuildOr(b, big, out, "");
}

/* memory.copy within one memory that no other thread can grow: the
 * bounds test and a memmove in line, instead of a call of the runtime's
 * kiln_rt_memory_copy (about 25 instructions of call, lookup and test per
 * copy, and the memory base reloaded after it; wasi-libc's memcpy is a
 * memory.copy).  Both ranges are tested before any byte moves, as the
 * instruction requires.  A shared memory keeps the runtime call, which
 * reads the size another thread may have grown.  False: not in line. */
static bool memory_copy_inline(lower_func *lf, uint32_t dst_memory, uint32_t src_memory) {
    lower_module *lm = lf->lm;
    if (dst_memory != src_memory || lm->m->memories[dst_memory].shared) return false;
    LLVMValueRef ops[3]; /* dst, src, n */
    bulk_operands(lf, ops, false);
    mem_view mv = mem_view_load(lf, dst_memory);
    lower_trap_if(lf, bulk_out_of_bounds(lf, ops[0], ops[1], ops[2], mv.size),
                  KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    LLVMValueRef to = lower_byte_gep(lf, mv.base, ops[0]), from = lower_byte_gep(lf, mv.base, ops[1]);
    LLVMBuildMemMove(lm->b, to, 1, from, 1, ops[2]);
    return true;
}

/* memory.fill of an unshared memory, in line for the same reasons as
 * memory.copy: the bounds test, then a memset (wasi-libc's memset is a
 * memory.fill, and C code clears structures with it all the time: each
 * call of kiln_rt_memory_fill cost the call, the memory lookup and the
 * test, and the memory base was reloaded after it).  The range is tested
 * before any byte is written.  A shared memory keeps the runtime call.
 * False: not in line. */
static bool memory_fill_inline(lower_func *lf, uint32_t memory) {
    lower_module *lm = lf->lm;
    if (lm->m->memories[memory].shared) return false;
    LLVMValueRef ops[3]; /* dst, value, n */
    bulk_operands(lf, ops, true);
    mem_view mv = mem_view_load(lf, memory);
    lower_trap_if(lf, bulk_out_of_bounds(lf, ops[0], NULL, ops[2], mv.size),
                  KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    LLVMValueRef byte = LLVMBuildTrunc(lm->b, ops[1], lm->t.i8, "");
    LLVMBuildMemSet(lm->b, lower_byte_gep(lf, mv.base, ops[0]), byte, ops[2], 1);
    return true;
}

static void bulk_lower(lower_func *lf, const kiln_insn *insn) {
    LLVMValueRef args[5];
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_MEMORY_INIT: /* (memory, segment, dst, src, n) */
        args[0] = lower_const_i32(lf->lm, insn->imm.pair.b);
        args[1] = lower_const_i32(lf->lm, insn->imm.pair.a);
        bulk_operands(lf, args + 2, false);
        lower_rt_call(lf, LOWER_RT_MEMORY_INIT, args, 5);
        break;
    case KILN_OP_MEMORY_COPY: /* (dst memory, src memory, dst, src, n) */
        if (memory_copy_inline(lf, insn->imm.pair.a, insn->imm.pair.b)) break;
        args[0] = lower_const_i32(lf->lm, insn->imm.pair.a);
        args[1] = lower_const_i32(lf->lm, insn->imm.pair.b);
        bulk_operands(lf, args + 2, false);
        lower_rt_call(lf, LOWER_RT_MEMORY_COPY, args, 5);
        break;
    case KILN_OP_MEMORY_FILL: /* (memory, dst, value, n) */
        if (memory_fill_inline(lf, insn->imm.index)) break;
        args[0] = lower_const_i32(lf->lm, insn->imm.index);
        bulk_operands(lf, args + 1, true);
        lower_rt_call(lf, LOWER_RT_MEMORY_FILL, args, 4);
        break;
    default: /* data.drop */
        args[0] = lower_const_i32(lf->lm, insn->imm.index);
        lower_rt_call(lf, LOWER_RT_DATA_DROP, args, 1);
        break;
    }
}

bool memory_lower(lower_func *lf, const kiln_insn *insn) {
    kiln_opcode op = (kiln_opcode)insn->op;
    const kiln_opcode_info *info = &kiln_opcode_table[op];
    switch (op) {
    case KILN_OP_MEMORY_SIZE: memory_size_lower(lf, insn->imm.index); return true;
    case KILN_OP_MEMORY_GROW: memory_grow_lower(lf, insn->imm.index); return true;
    case KILN_OP_MEMORY_INIT:
    case KILN_OP_MEMORY_COPY:
    case KILN_OP_MEMORY_FILL:
    case KILN_OP_DATA_DROP: bulk_lower(lf, insn); return true;
    default: break;
    }
    if (info->imm != KILN_IMM_MEMARG && info->imm != KILN_IMM_MEMARG_LANE) return false;
    if (simd_memory_lower(lf, insn)) return true;
    /* Plain loads have one operand ("i:T"), plain stores two ("iT:"). */
    if (info->signature[1] == ':') scalar_load_lower(lf, insn);
    else scalar_store_lower(lf, insn);
    return true;
}

/* ---- guard mode: loads whose trap must survive optimisation --------------- */

/* In guard-page mode the load itself is the bounds check, but LLVM
 * treats a load as free of side effects: it deletes one whose value
 * turns out unused (after `x ^ x`, `x * 0`, a branch folded away,
 * inlining a constant) and narrows one whose upper bytes are unused, and
 * either would lose the trap.  So every linear-memory load keeps a use
 * LLVM may not delete: its whole value is added into a per-function
 * sink (one per register class), and the sink feeds an empty `asm
 * sideeffect` (the pin) where the function returns.  Add, not xor: GVN
 * merges two loads of one address into one value, and that value xor-ed
 * twice cancels (`x ^ x` is 0), which deleted the load and its trap
 * (tests/regress/guard-sink-cse.wast); `x + x` is `2x`, still a use, and
 * a sum of loads folds to no constant.  Unlike a pin on
 * each load (wasm2c's FORCE_READ, kiln's first design), the sink is plain
 * data flow: LICM, GVN and both vectorizers see through it (an add
 * reduction; outside loops a byte-swapped one, which SLP does not take
 * for a reduction: load_sink).  After optimisation compiler/sink_trim.c drops the
 * contributions of loads whose whole value a real use in their own block
 * still needs, so hot loops keep no xors.  Loads in blocks from which no
 * `ret` is reachable (a loop that never exits, a path ending in a trap)
 * have no pinned sink to feed and are pinned one by one.  The asm
 * touches only "inaccessible" memory, neither unwinds nor loops, and
 * emits no instruction. */

typedef struct pin_constraints {
    const char *integer, *floating; /* NULL: no register class known */
} pin_constraints;

static pin_constraints pin_constraints_for(const char *triple) {
    pin_constraints none = {NULL, NULL};
#if defined(__x86_64__)
    const char *host = "x86_64";
#elif defined(__aarch64__)
    const char *host = "aarch64";
#else
    const char *host = "";
#endif
    const char *t = triple ? triple : host;
    if (strncmp(t, "x86_64", 6) == 0) return (pin_constraints){"r", "x"};
    if (strncmp(t, "aarch64", 7) == 0 || strncmp(t, "arm64", 5) == 0)
        return (pin_constraints){"r", "w"};
    return none;
}

static void attr_add(LLVMValueRef call, LLVMContextRef ctx, const char *name, uint64_t value) {
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(ctx, kind, value));
}

/* memory(inaccessiblemem: readwrite): ModRef (3) in the two bits of
 * location 1 (inaccessible memory) of LLVM's MemoryEffects encoding. */
enum { MEMORY_INACCESSIBLE_READWRITE = 3u << 2 };

/* The sink a loaded value is folded into: one per register class, so
 * that folding needs no widening (a widened i32 sink would cost the
 * vectorizer a zext per element). */
enum { SINK_I32, SINK_I64, SINK_V128, SINK_COUNT };

typedef struct load_sinks {
    LLVMValueRef slot[SINK_COUNT]; /* entry-block allocas; NULL until used */
    LLVMTypeRef type[SINK_COUNT];
} load_sinks;

/* The loaded value as an integer (or <2 x i64>) covering all its bytes:
 * floats and vectors by bitcast, narrow integers by zext. */
static LLVMValueRef sink_operand(lower_module *lm, LLVMValueRef load, int *kind) {
    LLVMTypeRef ty = LLVMTypeOf(load);
    LLVMTypeKind k = LLVMGetTypeKind(ty);
    unsigned bits = k == LLVMIntegerTypeKind ? LLVMGetIntTypeWidth(ty)
                    : k == LLVMFloatTypeKind ? 32
                    : k == LLVMDoubleTypeKind ? 64
                    : 0;
    if (k == LLVMVectorTypeKind) {
        LLVMTypeRef elem = LLVMGetElementType(ty);
        LLVMTypeKind ek = LLVMGetTypeKind(elem);
        bits = LLVMGetVectorSize(ty) * (ek == LLVMIntegerTypeKind ? LLVMGetIntTypeWidth(elem)
                                        : ek == LLVMFloatTypeKind ? 32 : 64);
        if (bits == 128) {
            *kind = SINK_V128;
            return LLVMBuildBitCast(lm->b, load, LLVMVectorType(lm->t.i64, 2), "");
        }
    }
    LLVMValueRef v = k == LLVMIntegerTypeKind
                         ? load
                         : LLVMBuildBitCast(lm->b, load, LLVMIntTypeInContext(lm->ctx, bits), "");
    *kind = bits > 32 ? SINK_I64 : SINK_I32;
    if (bits < 32) v = LLVMBuildZExt(lm->b, v, lm->t.i32, "");
    return v;
}

/* llvm.bswap of an integer sink. */
static LLVMValueRef sink_bswap(lower_module *lm, LLVMValueRef acc) {
    static const char name[] = "llvm.bswap";
    LLVMTypeRef ty = LLVMTypeOf(acc);
    unsigned id = LLVMLookupIntrinsicID(name, sizeof name - 1);
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(lm->mod, id, &ty, 1);
    return LLVMBuildCall2(lm->b, LLVMIntrinsicGetType(lm->ctx, id, &ty, 1), fn, &acc, 1, "");
}

/* An integer sink starts from a constant with no zero byte at either
 * end, so no sum in it has a single non-zero byte: instcombine turns the
 * bswap of such a value into a shift, and the add after it into an or,
 * which sink_trim does not see through (it would keep both loads' sinks). */
static LLVMValueRef sink_start(LLVMTypeRef ty, int kind) {
    if (kind == SINK_I32) return LLVMConstInt(ty, 0x9e3779b9u, 0);
    if (kind == SINK_I64) return LLVMConstInt(ty, 0x9e3779b97f4a7c15u, 0);
    return LLVMConstNull(ty);
}

/* sink += v.  In a block on no cycle of the CFG the integer sink is
 * byte-swapped before each add (acc = bswap(acc) + v): the SLP
 * vectorizer took a plain chain of adds for a horizontal reduction and
 * spent most of its time turning the sinks of straight-line code into
 * vector loads, lane extracts and reduce.add calls that sink_trim could
 * not remove (docs/benchmarks.md, where -O2's time goes on CRuby).  A
 * bswap between two adds leaves no chain of adds to reduce, and maps the
 * sink one-to-one, so every bit of every load still reaches the pin.
 * Loops keep plain adds, which the loop vectorizer needs to see a
 * reduction.  sink_trim removes the bswaps after the pipeline. */
static void load_sink(lower_func *lf, load_sinks *s, LLVMValueRef load, bool on_cycle) {
    lower_module *lm = lf->lm;
    LLVMPositionBuilderBefore(lm->b, LLVMGetNextInstruction(load));
    int kind = SINK_I32;
    LLVMValueRef v = sink_operand(lm, load, &kind);
    if (!s->slot[kind]) {
        LLVMBuilderRef eb = LLVMCreateBuilderInContext(lm->ctx);
        LLVMPositionBuilder(eb, lf->entry_bb, LLVMGetFirstInstruction(lf->entry_bb));
        s->type[kind] = LLVMTypeOf(v);
        s->slot[kind] = LLVMBuildAlloca(eb, s->type[kind], "sink");
        LLVMBuildStore(eb, sink_start(s->type[kind], kind), s->slot[kind]);
        LLVMDisposeBuilder(eb);
    }
    LLVMValueRef acc = LLVMBuildLoad2(lm->b, s->type[kind], s->slot[kind], "");
    if (!on_cycle && kind != SINK_V128) acc = sink_bswap(lm, acc);
    LLVMBuildStore(lm->b, LLVMBuildAdd(lm->b, acc, v, ""), s->slot[kind]);
}

/* An empty `asm sideeffect` consuming v (which LLVM may not delete). */
static void pin_value(lower_module *lm, LLVMValueRef v, const char *constraint) {
    LLVMTypeRef ty = LLVMTypeOf(v);
    LLVMTypeRef fty = LLVMFunctionType(LLVMVoidTypeInContext(lm->ctx), &ty, 1, 0);
    LLVMValueRef pin = LLVMGetInlineAsm(fty, "", 0, (char *)constraint, strlen(constraint), 1, 0,
                                        LLVMInlineAsmDialectATT, 0);
    LLVMValueRef call = LLVMBuildCall2(lm->b, fty, pin, &v, 1, "");
    attr_add(call, lm->ctx, "memory", MEMORY_INACCESSIBLE_READWRITE);
    attr_add(call, lm->ctx, "nounwind", 0);
    attr_add(call, lm->ctx, "willreturn", 0);
    unsigned md = LLVMGetMDKindIDInContext(lm->ctx, SINK_PIN_METADATA, strlen(SINK_PIN_METADATA));
    LLVMSetMetadata(call, md, LLVMMetadataAsValue(lm->ctx, LLVMMDNodeInContext2(lm->ctx, NULL, 0)));
}

/* Before `ret` (and before the musttail call that must directly precede
 * it), every sink in use is pinned. */
static void sinks_pin_at(lower_func *lf, const load_sinks *s, LLVMValueRef ret,
                         const pin_constraints *pc) {
    lower_module *lm = lf->lm;
    LLVMValueRef at = ret, prev = LLVMGetPreviousInstruction(ret);
    if (prev && LLVMIsACallInst(prev) && LLVMGetTailCallKind(prev) == LLVMTailCallKindMustTail)
        at = prev;
    LLVMPositionBuilderBefore(lm->b, at);
    for (int k = 0; k < SINK_COUNT; k++)
        if (s->slot[k])
            pin_value(lm, LLVMBuildLoad2(lm->b, s->type[k], s->slot[k], ""),
                      k == SINK_V128 ? pc->floating : pc->integer);
}

/* The function's CFG as the sinks need it: every edge that counts, sorted
 * by target, with its source's place in the layout.  Lowering appends
 * blocks as it makes them and nothing moves one before memory_loads_pin
 * runs, so a block's layout position is its order of making.  A branch on
 * a constant counts only its taken edge, as the optimiser will fold it. */
typedef struct cfg_edge {
    LLVMBasicBlockRef to, from;
    uint32_t from_pos;
} cfg_edge;

typedef struct cfg {
    cfg_edge *edges;
    size_t n;
    LLVMBasicBlockRef *work; /* [blocks + 1]: a walk's work list (walk_back) */
    uint32_t *header_pos;    /* [lf->num_loops]: where each loop's header lies */
} cfg;

static int edge_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const cfg_edge *)a)->to, y = (uintptr_t)((const cfg_edge *)b)->to;
    return (x > y) - (x < y);
}

/* The edges of `bb`, the block at layout position `pos`, appended to `edges`. */
static size_t block_edges(LLVMBasicBlockRef bb, uint32_t pos, cfg_edge *edges) {
    LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
    if (!term) return 0;
    if (LLVMIsABranchInst(term) && LLVMIsConditional(term) &&
        LLVMIsAConstantInt(LLVMGetCondition(term))) {
        bool taken = LLVMConstIntGetZExtValue(LLVMGetCondition(term)) != 0;
        edges[0] = (cfg_edge){LLVMGetSuccessor(term, taken ? 0 : 1), bb, pos};
        return 1;
    }
    unsigned n = LLVMGetNumSuccessors(term);
    for (unsigned k = 0; k < n; k++) edges[k] = (cfg_edge){LLVMGetSuccessor(term, k), bb, pos};
    return n;
}

static void cfg_free(cfg *g) {
    free(g->edges);
    free(g->work);
    free(g->header_pos);
}

/* One pass over the blocks in layout order; false when out of memory. */
static bool cfg_build(const lower_func *lf, cfg *g) {
    size_t total = 0, n_blocks = LLVMCountBasicBlocks(lf->fn);
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(lf->fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
        LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
        if (term) total += LLVMGetNumSuccessors(term);
    }
    g->n = 0;
    g->edges = malloc((total ? total : 1) * sizeof *g->edges);
    g->work = malloc((n_blocks + 1) * sizeof *g->work);
    g->header_pos = malloc((lf->num_loops ? lf->num_loops : 1) * sizeof *g->header_pos);
    if (!g->edges || !g->work || !g->header_pos) return cfg_free(g), false;
    memset(g->header_pos, 0xff, lf->num_loops * sizeof *g->header_pos); /* not found: no walk */
    uint32_t pos = 0, loop = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(lf->fn); bb; bb = LLVMGetNextBasicBlock(bb), pos++) {
        if (loop < lf->num_loops && bb == lf->loop_headers[loop]) g->header_pos[loop++] = pos;
        g->n += block_edges(bb, pos, g->edges + g->n);
    }
    qsort(g->edges, g->n, sizeof *g->edges, edge_cmp);
    return true;
}

/* Index of the first edge into `to` (or of the first one after it). */
static size_t edges_into(const cfg *g, LLVMBasicBlockRef to) {
    size_t lo = 0, hi = g->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)g->edges[mid].to < (uintptr_t)to) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Adds to `set` every block from which a block of the work list
 * (g->work[0 .. top)) is reached along edges out of blocks laid out at
 * `first` or later, stopping at blocks already in `set`; false when out
 * of memory.  Each edge sorted by target is found in O(log E), so a walk
 * costs O(E log E): a fixed point over the block list took time quadratic
 * in the nesting depth (100,000 nested blocks compiled for over ten
 * minutes). */
static bool walk_back(const cfg *g, size_t top, uint32_t first, ptr_set *set) {
    while (top) {
        LLVMBasicBlockRef to = g->work[--top];
        for (size_t e = edges_into(g, to); e < g->n && g->edges[e].to == to; e++) {
            const cfg_edge *edge = &g->edges[e];
            if (edge->from_pos < first || ptr_set_has(set, edge->from)) continue;
            if (!ptr_set_add(set, edge->from)) return false;
            g->work[top++] = edge->from;
        }
    }
    return true;
}

/* The blocks from which a `ret` can be reached.  A load elsewhere (in a
 * loop that never exits, on a path that ends in a trap) would feed a sink
 * that is never pinned, so it is pinned on its own. */
static bool returning_blocks(const lower_func *lf, const cfg *g, ptr_set *returning) {
    size_t top = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(lf->fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
        LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
        if (!term || !LLVMIsAReturnInst(term)) continue;
        if (!ptr_set_add(returning, bb)) return false;
        g->work[top++] = bb;
    }
    return walk_back(g, top, 0, returning);
}

/* The blocks on a cycle of the CFG, whose sinks stay plain adds
 * (load_sink).  A wasm function's only cycles are its `loop`s: only a
 * branch to a loop's label goes back (br, br_if, br_table, br_on_*, a
 * try_table catch naming it), a throw goes to a handler of an enclosing
 * frame, and return_call leaves the function.  A loop's blocks are made
 * after its header (lower.c records the headers in lf->loop_headers), and
 * every edge into them from outside is the preheader's, laid out before
 * the header.  So a block lies on a cycle when it reaches a loop's header
 * along edges out of blocks laid out no earlier than that header: one
 * walk back from each header, outermost first, each stopping at blocks an
 * earlier one found (an outer walk found their in-loop sources too).
 * A block no path from the entry reaches counts if it reaches a header;
 * the optimiser deletes it with its sink. */
static bool cyclic_blocks(const lower_func *lf, const cfg *g, ptr_set *cyclic) {
    for (uint32_t k = 0; k < lf->num_loops; k++) {
        g->work[0] = lf->loop_headers[k];
        if (!walk_back(g, 1, g->header_pos[k], cyclic)) return false;
    }
    return true;
}

/* Atomic loads are left alone: LLVM never deletes or narrows an ordered
 * load, and their bounds are compared explicitly (memory_atomic_address). */
static bool is_memory_load(const lower_module *lm, LLVMValueRef i) {
    return LLVMIsALoadInst(i) && LLVMGetMetadata(i, lm->md_tbaa) == lm->tbaa[LOWER_TBAA_MEMORY] &&
           LLVMGetOrdering(i) == LLVMAtomicOrderingNotAtomic;
}

/* At -O0 the loads also lose the tag that found them (lower_tbaa_tag). */
static void memory_loads_volatile(lower_func *lf) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(lf->fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (is_memory_load(lf->lm, i)) {
                LLVMSetVolatile(i, 1);
                if (lf->lm->opts->opt_level == 0) LLVMSetMetadata(i, lf->lm->md_tbaa, NULL);
            }
}

/* Folds every linear-memory load of the function into a sink that is
 * pinned where the function returns (see above).  Makes the loads
 * volatile instead on a target whose register classes we do not know,
 * which is as safe and slower, and at -O0, where it costs nothing: no
 * optimiser runs, and instruction selection, which drops a load whose
 * value is unused, keeps a volatile one; the sinks' adds and phis made
 * a large part of the code -O0 compiles. */
bool memory_loads_pin(lower_func *lf) {
    lower_module *lm = lf->lm;
    pin_constraints pc = pin_constraints_for(lm->opts->target_triple);
    if (!pc.integer || lm->opts->opt_level == 0) {
        memory_loads_volatile(lf);
        return true;
    }
    load_sinks sinks;
    memset(&sinks, 0, sizeof sinks);
    ptr_set returning = {0}, cyclic = {0};
    cfg g;
    if (!cfg_build(lf, &g)) return false;
    bool ok = returning_blocks(lf, &g, &returning) && cyclic_blocks(lf, &g, &cyclic);
    cfg_free(&g);
    if (!ok) {
        ptr_set_free(&returning);
        ptr_set_free(&cyclic);
        return false;
    }
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(lf->fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
        bool sinkable = ptr_set_has(&returning, bb), on_cycle = ptr_set_has(&cyclic, bb);
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (!is_memory_load(lm, i)) continue;
            if (sinkable) {
                load_sink(lf, &sinks, i, on_cycle);
            } else {
                LLVMPositionBuilderBefore(lm->b, LLVMGetNextInstruction(i));
                int kind = SINK_I32;
                LLVMValueRef v = sink_operand(lm, i, &kind); /* sets kind */
                pin_value(lm, v, kind == SINK_V128 ? pc.floating : pc.integer);
            }
        }
    }
    ptr_set_free(&returning);
    ptr_set_free(&cyclic);
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(lf->fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
        LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
        if (term && LLVMIsAReturnInst(term)) sinks_pin_at(lf, &sinks, term, &pc);
    }
    return true;
}
