/* sink_trim.c - guard mode, after optimisation: drop the load sinks that
 * the optimised code no longer needs.
 *
 * In guard-page mode every linear-memory load is folded (add) into a
 * per-function sink that an empty `asm sideeffect` consumes where the
 * function returns (lower_memory.c, memory_loads_pin): a load whose value
 * the optimiser folded away stays alive, and keeps its trap.  The sink
 * leaves loads visible to LICM, GVN and the vectorizers, but the adds it
 * adds cost ALU work and a loop-carried chain in every loop.
 *
 * Once the pipeline has run, most loads have a real use that needs every
 * bit they read (a floating-point operation, a store of the value, an
 * address, a comparison of two variables, ...).  Code generation keeps
 * such a load whole, so its contribution to the sink is dropped here and
 * the dead remains are removed by ADCE.  A load without such a use (its
 * value unused, or only some of its bits used: a mask, a truncation, a
 * sign test, all of which instruction selection may turn into a narrower
 * load or none) keeps its sink, and so its trap.
 *
 * Which instructions belong to the sink is found from the pins, not from
 * names or metadata on the adds, which the vectorizer does not keep: the
 * sink is the largest set of add/phi/select/shuffle/cast/reduction/bswap
 * instructions whose every use is a pin or another member.  The bswaps
 * that straight-line code's sinks carry through the pipeline (so that
 * SLP finds no add chain to reduce) are removed first. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "ptr_set.h"
#include "sink_trim.h"

/* ---- which instructions are the sink ------------------------------------------ */

static bool is_pin(LLVMValueRef i, unsigned md_sink) {
    return LLVMIsACallInst(i) && LLVMGetMetadata(i, md_sink) != NULL;
}

static bool name_starts(LLVMValueRef fn, const char *prefix) {
    size_t len = 0;
    const char *name = fn ? LLVMGetValueName2(fn, &len) : NULL;
    size_t n = strlen(prefix);
    return name && len >= n && memcmp(name, prefix, n) == 0;
}

/* Straight-line code's sinks byte-swap the accumulator before each add
 * (lower_memory.c, load_sink), so that SLP finds no add chain to reduce. */
static bool is_bswap(LLVMValueRef i) {
    return LLVMGetInstructionOpcode(i) == LLVMCall && name_starts(LLVMGetCalledValue(i), "llvm.bswap.");
}

/* Instructions the sink is made of: the adds, the phis and selects that
 * carry the sink through control flow, and what the vectorizer turns
 * them into (vector adds, shuffles, lane moves, casts, reductions).  What
 * instcombine makes of an add (`x + x` into a shift, an add of disjoint
 * bits into an or) is not sink-shaped: it counts as a real use of its
 * load, so that load keeps its contribution. */
static bool sink_shaped(LLVMValueRef i) {
    switch (LLVMGetInstructionOpcode(i)) {
    case LLVMAdd: case LLVMPHI: case LLVMSelect: case LLVMBitCast: case LLVMZExt:
    case LLVMShuffleVector: case LLVMExtractElement: case LLVMInsertElement: return true;
    case LLVMCall:
        return name_starts(LLVMGetCalledValue(i), "llvm.vector.reduce.add") || is_bswap(i);
    default: return false;
    }
}

static bool used_only_by_sink(LLVMValueRef i, const ptr_set *sink, unsigned md_sink) {
    for (LLVMUseRef u = LLVMGetFirstUse(i); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (!is_pin(user, md_sink) && !ptr_set_has(sink, user)) return false;
    }
    return LLVMGetFirstUse(i) != NULL;
}

typedef struct worklist {
    LLVMValueRef *items;
    size_t n, cap;
} worklist;

static bool work_push(worklist *w, LLVMValueRef v) {
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        LLVMValueRef *items = realloc(w->items, cap * sizeof *items);
        if (!items) return false;
        w->items = items, w->cap = cap;
    }
    w->items[w->n++] = v;
    return true;
}

static bool has_pin(LLVMValueRef fn, unsigned md_sink) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (is_pin(i, md_sink)) return true;
    return false;
}

/* The greatest set of sink-shaped instructions all of whose uses are pins
 * or members: start from every candidate and drop the ones with another
 * use until nothing changes (the operands of a dropped one are looked at
 * again).  A function without pins (explicit mode, no loads) has none. */
static bool sink_find(LLVMValueRef fn, unsigned md_sink, ptr_set *sink) {
    if (!has_pin(fn, md_sink)) return true;
    worklist w = {0};
    bool ok = true;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb && ok; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && ok; i = LLVMGetNextInstruction(i))
            if (sink_shaped(i)) ok = ptr_set_add(sink, i) && work_push(&w, i);
    while (ok && w.n) {
        LLVMValueRef i = w.items[--w.n];
        if (!ptr_set_has(sink, i) || used_only_by_sink(i, sink, md_sink)) continue;
        ptr_set_remove(sink, i);
        for (int k = 0; k < LLVMGetNumOperands(i) && ok; k++) {
            LLVMValueRef op = LLVMGetOperand(i, k);
            if (ptr_set_has(sink, op)) ok = work_push(&w, op);
        }
    }
    free(w.items);
    return ok;
}

/* ---- does a real use keep the whole load where it is? ----------------------- */

/* Dropping a load's sink is safe only if the code that stays needs every
 * bit of the value *whenever the load's block runs*: code generation
 * narrows a load whose upper bits go unused (a mask, a truncation, a
 * sign test) and sinks a load into the one successor that uses it (a
 * load used only after a branch would run on that path only).  So a use
 * counts when it sits in the load's own block and is an anchor that
 * cannot move (a store of the value, an address of a store or of another
 * load there, a call argument, a return, a branch condition, a phi fed
 * from this block) or is itself a whole-value computation kept by such
 * an anchor in the block.  When in doubt: no, and the sink stays. */
enum { ANCHOR_DEPTH = 8 };

/* The walk from a value through its uses is bounded in depth, not in
 * breadth: a value with many uses, each reaching the same phis of a big
 * switch, was walked again from every load that reaches it (SQLite's
 * sqlite3VdbeExec: 70 of 100 CPU-s of its compile), and a load with n
 * sink adds (GVN merges every load of one address into one value) was
 * judged once per add, each a walk over its n uses (40,000 blocks each
 * loading one address: 31 s).  So every question
 * asked -- is v anchored in block, as a whole value or through some of
 * its bits -- is remembered per function with the depths at which it was
 * answered: a walk with more depth left sees everything a shallower one
 * sees, so a yes holds at any greater depth and a no at any smaller one,
 * and the answers are exactly the unremembered walk's.  Trimming an add
 * only gives the operand that replaces it the add's users, sink members
 * and pins, which every walk skips or answers no for. */
typedef struct anchor_question {
    LLVMValueRef v;
    LLVMBasicBlockRef block;
    uint64_t mask; /* bits of a byte (byte_anchored); 0 for the whole value */
    bool pure;
    int8_t yes_from; /* the least depth known to answer yes; INT8_MAX: none */
    int8_t no_up_to; /* the greatest depth known to answer no; -1: none */
} anchor_question;

typedef struct trim_state {
    const ptr_set *sink;
    unsigned md_sink;
    anchor_question *memo; /* open addressing, power-of-two capacity */
    size_t memo_cap, memo_count;
    bool memo_full; /* out of memory: questions are no longer remembered */
} trim_state;

static size_t question_hash(LLVMValueRef v, LLVMBasicBlockRef block, uint64_t mask, bool pure) {
    uint64_t h = (uint64_t)(uintptr_t)v * 0x9E3779B97F4A7C15ull;
    h ^= (uint64_t)(uintptr_t)block + (h >> 29);
    h = (h ^ mask ^ (uint64_t)pure) * 0xBF58476D1CE4E5B9ull;
    return (size_t)(h ^ (h >> 31));
}

static anchor_question *memo_slot(anchor_question *slots, size_t cap, LLVMValueRef v,
                                  LLVMBasicBlockRef block, uint64_t mask, bool pure) {
    size_t i = question_hash(v, block, mask, pure) & (cap - 1);
    while (slots[i].v && !(slots[i].v == v && slots[i].block == block && slots[i].mask == mask &&
                           slots[i].pure == pure))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static bool memo_grow(trim_state *t) {
    size_t cap = t->memo_cap ? t->memo_cap * 2 : 1024;
    anchor_question *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < t->memo_cap; i++) {
        const anchor_question *q = &t->memo[i];
        if (q->v) *memo_slot(slots, cap, q->v, q->block, q->mask, q->pure) = *q;
    }
    free(t->memo);
    t->memo = slots, t->memo_cap = cap;
    return true;
}

/* The record of the question, made if new; NULL once memory ran out (the
 * walk then goes on unremembered). */
static anchor_question *memo_find(trim_state *t, LLVMValueRef v, LLVMBasicBlockRef block,
                                  uint64_t mask, bool pure) {
    if (t->memo_full) return NULL;
    if ((t->memo_count + 1) * 2 > t->memo_cap && !memo_grow(t)) {
        t->memo_full = true;
        return NULL;
    }
    anchor_question *q = memo_slot(t->memo, t->memo_cap, v, block, mask, pure);
    if (!q->v) {
        *q = (anchor_question){v, block, mask, pure, INT8_MAX, -1};
        t->memo_count++;
    }
    return q;
}

/* -1: not known at this depth; else the answer. */
static int memo_answer(const anchor_question *q, int depth) {
    if (!q) return -1;
    if (depth >= q->yes_from) return 1;
    if (depth <= q->no_up_to) return 0;
    return -1;
}

static bool memo_record(trim_state *t, LLVMValueRef v, LLVMBasicBlockRef block, uint64_t mask,
                        bool pure, int depth, bool yes) {
    /* Found again: the walk below may have grown the table. */
    anchor_question *q = memo_find(t, v, block, mask, pure);
    if (q && yes && depth < q->yes_from) q->yes_from = (int8_t)depth;
    if (q && !yes && depth > q->no_up_to) q->no_up_to = (int8_t)depth;
    return yes;
}

static bool value_anchored(LLVMValueRef v, LLVMBasicBlockRef block, trim_state *t, int depth);

static bool is_sign_test(LLVMValueRef cmp) {
    LLVMIntPredicate p = LLVMGetICmpPredicate(cmp);
    return p == LLVMIntSLT || p == LLVMIntSLE || p == LLVMIntSGT || p == LLVMIntSGE;
}

static bool has_constant_operand(LLVMValueRef i) {
    for (int k = 0; k < LLVMGetNumOperands(i); k++)
        if (LLVMIsConstant(LLVMGetOperand(i, k))) return true;
    return false;
}

static bool is_float_or_vector(LLVMTypeRef t) {
    LLVMTypeKind k = LLVMGetTypeKind(t);
    if (k == LLVMVectorTypeKind) return true;
    return k == LLVMFloatTypeKind || k == LLVMDoubleTypeKind;
}

/* Integer min/max of two variables (no constant to clamp bits away):
 * every bit of either operand can decide the result. */
static bool is_min_max(LLVMValueRef call) {
    LLVMValueRef callee = LLVMGetCalledValue(call);
    if (!name_starts(callee, "llvm.smin.") && !name_starts(callee, "llvm.smax.") &&
        !name_starts(callee, "llvm.umin.") && !name_starts(callee, "llvm.umax."))
        return false;
    for (unsigned k = 0; k < LLVMGetNumArgOperands(call); k++) /* not the callee */
        if (LLVMIsConstant(LLVMGetOperand(call, k))) return false;
    return true;
}

/* A phi keeps a value fed from `block` live out of it: no sinking. */
static bool phi_fed_from(LLVMValueRef phi, LLVMValueRef v, LLVMBasicBlockRef block) {
    for (unsigned k = 0; k < LLVMCountIncoming(phi); k++)
        if (LLVMGetIncomingValue(phi, k) == v && LLVMGetIncomingBlock(phi, k) == block) return true;
    return false;
}

/* The address computed by a GEP with v as an index is used, in the
 * block, by a store or a load (every load of the block either is
 * anchored or keeps its sink, so it runs with the block). */
static bool address_used_in(LLVMValueRef gep, LLVMBasicBlockRef block) {
    for (LLVMUseRef u = LLVMGetFirstUse(gep); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (LLVMGetInstructionParent(user) != block) continue;
        if (LLVMIsAStoreInst(user) && LLVMGetOperand(user, 1) == gep) return true;
        if (LLVMIsALoadInst(user)) return true;
    }
    return false;
}

/* ---- scalars packed into vectors ------------------------------------------------- */

/* The SLP vectorizer packs scalar loads into vectors (`insertelement`,
 * then `shufflevector`s) and computes on those: nbody's coordinate
 * differences, popcount's xors.  A scalar is needed whole when the lane
 * it went into reaches, in its block, a whole-vector use that anchors
 * (value_anchored: a store of the vector, a per-lane operation kept that
 * way, ...), every lane of which is needed.  Followed: an insertelement
 * into another lane (one into the same lane overwrites it) and a
 * shufflevector that copies the lane (a constant mask); anything else
 * that takes lanes apart (an extract, a variable index) keeps the sink.
 * `steps` bounds the walk through inserts and shuffles. */
enum { LANE_STEPS = 32 };

static bool lane_anchored(LLVMValueRef vec, unsigned lane, LLVMBasicBlockRef block,
                          trim_state *t, int depth, int steps);

static bool const_at(LLVMValueRef i, int k, uint64_t *c);
static bool use_anchors(LLVMValueRef user, LLVMValueRef v, LLVMBasicBlockRef block,
                        trim_state *t, int depth);

/* The lane of `user`'s result that holds lane `lane` of its operand
 * `vec`, if `user` is a shuffle that copies it; -1 if none. */
static int shuffle_lane_out(LLVMValueRef user, LLVMValueRef vec, unsigned lane) {
    unsigned in = LLVMGetVectorSize(LLVMTypeOf(vec));
    for (unsigned i = 0; i < LLVMGetNumMaskElements(user); i++) {
        int m = LLVMGetMaskValue(user, i);
        if (m == LLVMGetUndefMaskElem()) continue;
        if ((LLVMGetOperand(user, 0) == vec && (unsigned)m == lane) ||
            (LLVMGetOperand(user, 1) == vec && (unsigned)m == lane + in))
            return (int)i;
    }
    return -1;
}

static bool lane_use_anchors(LLVMValueRef user, LLVMValueRef vec, unsigned lane,
                             LLVMBasicBlockRef block, trim_state *t,
                             int depth, int steps) {
    if (LLVMGetInstructionParent(user) != block) return false;
    uint64_t idx = 0;
    switch (LLVMGetInstructionOpcode(user)) {
    case LLVMInsertElement:
        return LLVMGetOperand(user, 0) == vec && const_at(user, 2, &idx) && idx != lane &&
               steps > 0 && lane_anchored(user, lane, block, t, depth, steps - 1);
    case LLVMShuffleVector: {
        int out = shuffle_lane_out(user, vec, lane);
        return out >= 0 && steps > 0 &&
               lane_anchored(user, (unsigned)out, block, t, depth, steps - 1);
    }
    case LLVMExtractElement: /* the lane itself, as a scalar */
        return LLVMGetOperand(user, 0) == vec && const_at(user, 1, &idx) && idx == lane &&
               depth > 0 && value_anchored(user, block, t, depth - 1);
    case LLVMFAdd: case LLVMFSub: case LLVMFMul: case LLVMFDiv: case LLVMFNeg: case LLVMFCmp:
        /* Lane by lane, each result lane needing its operands' lanes whole. */
        return use_anchors(user, vec, block, t, depth) ||
               (steps > 0 && lane_anchored(user, lane, block, t, depth, steps - 1));
    default: return use_anchors(user, vec, block, t, depth);
    }
}

static bool lane_anchored(LLVMValueRef vec, unsigned lane, LLVMBasicBlockRef block,
                          trim_state *t, int depth, int steps) {
    for (LLVMUseRef u = LLVMGetFirstUse(vec); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (ptr_set_has(t->sink, user)) continue;
        if (lane_use_anchors(user, vec, lane, block, t, depth, steps)) return true;
    }
    return false;
}

/* A scalar inserted into a constant lane. */
static bool inserted_lane_anchored(LLVMValueRef insert, LLVMValueRef v, LLVMBasicBlockRef block,
                                   trim_state *t, int depth) {
    uint64_t idx = 0;
    return LLVMGetOperand(insert, 1) == v && LLVMGetOperand(insert, 0) != v &&
           const_at(insert, 2, &idx) &&
           lane_anchored(insert, (unsigned)idx, block, t, depth, LANE_STEPS);
}

static bool byte_anchored(LLVMValueRef v, uint64_t mask, bool pure, LLVMBasicBlockRef block,
                          trim_state *t, int depth);
static uint64_t width_mask(LLVMValueRef v);

/* A population count needs every bit of its operand for each of its
 * result's low bits, 0..log2(width) (bit 0 is the parity; LLVM's demanded
 * bits, instcombine and the code generator narrow no ctpop operand, and
 * known bits decide none of those result bits while an operand bit is
 * unknown); the bits above are known zero.  So its operand, or each lane
 * of it, is needed whole when some of those result bits are, by the rules
 * of one-byte loads (byte_anchored, not `pure`): popcount's histogram
 * index, `hist[popcount(a ^ b)]++`. */
static bool ctpop_anchored(LLVMValueRef call, LLVMBasicBlockRef block, trim_state *t, int depth) {
    if (!name_starts(LLVMGetCalledValue(call), "llvm.ctpop.")) return false;
    unsigned width = 0, log2 = 0;
    for (uint64_t m = width_mask(call); m; m >>= 1) width++;
    while ((2u << log2) <= width) log2++;
    return byte_anchored(call, (2ull << log2) - 1, false, block, t, depth);
}

/* Reductions every lane of which reaches every bit of the result (as an
 * add's or an xor's operands do). */
static bool is_whole_reduction(LLVMValueRef call) {
    LLVMValueRef callee = LLVMGetCalledValue(call);
    return name_starts(callee, "llvm.vector.reduce.add.") ||
           name_starts(callee, "llvm.vector.reduce.xor.");
}

static bool use_anchors(LLVMValueRef user, LLVMValueRef v, LLVMBasicBlockRef block,
                        trim_state *t, int depth) {
    if (LLVMIsAPHINode(user))
        return phi_fed_from(user, v, block) && depth > 0 &&
               value_anchored(user, LLVMGetInstructionParent(user), t, depth - 1);
    if (LLVMGetInstructionParent(user) != block) return false;
    bool deeper = depth > 0;
    switch (LLVMGetInstructionOpcode(user)) {
    case LLVMStore: return LLVMGetOperand(user, 0) == v; /* the value stored, whole */
    case LLVMGetElementPtr: return LLVMGetOperand(user, 0) != v && address_used_in(user, block);
    case LLVMRet: case LLVMBr: case LLVMSwitch: return true;
    case LLVMICmp:
        if (has_constant_operand(user) && is_sign_test(user)) return false;
        /* fall through */
    case LLVMFAdd: case LLVMFSub: case LLVMFMul: case LLVMFDiv: case LLVMFRem: case LLVMFCmp:
    case LLVMFNeg: case LLVMFPExt: case LLVMFPTrunc: case LLVMFPToSI: case LLVMFPToUI:
    case LLVMSIToFP: case LLVMUIToFP: case LLVMAdd: case LLVMSub: case LLVMXor: case LLVMZExt:
    case LLVMSExt: case LLVMBitCast:
        return deeper && value_anchored(user, block, t, depth - 1);
    case LLVMAnd: case LLVMOr:
        /* Whole only when no constant masks bits away. */
        return !has_constant_operand(user) && deeper &&
               value_anchored(user, block, t, depth - 1);
    case LLVMSelect:
        /* A select on one condition, of scalars or of whole vectors, may
         * become a branch with its operands sunk into the arms (x86-64
         * expands a vector select on an i1 into a branch diamond, and the
         * machine sinker then moved a v128 load into the arm that used
         * it: differential runner, seed 12, module 1837); only a
         * per-lane select, on a vector of i1, stays a blend. */
        return LLVMGetOperand(user, 0) != v &&
               LLVMGetTypeKind(LLVMTypeOf(LLVMGetOperand(user, 0))) == LLVMVectorTypeKind &&
               deeper && value_anchored(user, block, t, depth - 1);
    case LLVMInsertElement: return inserted_lane_anchored(user, v, block, t, depth);
    case LLVMCall: {
        if (is_pin(user, t->md_sink)) return false;
        LLVMValueRef callee = LLVMGetCalledValue(user);
        if (!name_starts(callee, "llvm.")) return true; /* an argument, passed whole */
        bool whole = is_float_or_vector(LLVMTypeOf(user)) || is_min_max(user) ||
                     is_whole_reduction(user);
        if (whole && deeper && value_anchored(user, block, t, depth - 1)) return true;
        return deeper && ctpop_anchored(user, block, t, depth - 1);
    }
    default: return false;
    }
}

static bool value_anchored(LLVMValueRef v, LLVMBasicBlockRef block, trim_state *t, int depth) {
    int known = memo_answer(memo_find(t, v, block, 0, false), depth);
    if (known >= 0) return known;
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (ptr_set_has(t->sink, user)) continue;
        if (use_anchors(user, v, block, t, depth)) return memo_record(t, v, block, 0, false, depth, true);
    }
    return memo_record(t, v, block, 0, false, depth, false);
}

/* ---- byte loads: some bits are enough ------------------------------------------- */

/* A one-byte load cannot be narrowed, so for it the only ways to lose the
 * trap are deletion (no bit of it needed) and sinking into another block.
 * A use in its block that needs *some* of its bits is then as good an
 * anchor as one that needs all: through casts, masks and shifts by
 * constants that keep one of its bits, and xor/add/sub (a bit of the
 * result stays unknown while the byte's is), to a store of the value, a
 * call argument, a return, an address, a branch, or a compare the code
 * generator cannot decide from known bits: of the byte itself (no bit of
 * it known) any equality, or an order against a constant that is not an
 * end of the byte's range (a sign test included); of a derived value
 * only `== 0` / `!= 0` (`x & 0x80`), and only when it came through casts,
 * masks and shifts alone (`pure`: each of its bits a bit of the byte or
 * a known zero; an add, xor or or with a constant, or a phi, can make a
 * bit known one, and `(x | 0x100) != 0` is decided).  An `and` or `or`
 * with a variable could hide the byte's bits behind known ones: not
 * followed.  `mask` holds the bits of `v` that are bits of the byte. */
static bool byte_anchored(LLVMValueRef v, uint64_t mask, bool pure, LLVMBasicBlockRef block,
                          trim_state *t, int depth);

/* Of an integer or of each lane of an integer vector. */
static uint64_t width_mask(LLVMValueRef v) {
    LLVMTypeRef t = LLVMTypeOf(v);
    if (LLVMGetTypeKind(t) == LLVMVectorTypeKind) t = LLVMGetElementType(t);
    unsigned w = LLVMGetIntTypeWidth(t);
    return w >= 64 ? ~0ull : (1ull << w) - 1;
}

/* `i`'s operand k as a constant of at most 64 bits. */
static bool const_at(LLVMValueRef i, int k, uint64_t *c) {
    LLVMValueRef op = LLVMGetOperand(i, k);
    if (!LLVMIsAConstantInt(op) || LLVMGetIntTypeWidth(LLVMTypeOf(op)) > 64) return false;
    *c = LLVMConstIntGetZExtValue(op);
    return true;
}

/* The bits of the byte in `user`'s result, given those of its operand
 * `mask`; 0 when none survive or `user` is none of the above. */
static uint64_t byte_bits_through(LLVMValueRef user, uint64_t mask) {
    uint64_t c = 0;
    bool c1 = LLVMGetNumOperands(user) >= 2 && const_at(user, 1, &c);
    bool c0 = LLVMGetNumOperands(user) >= 2 && !c1 && const_at(user, 0, &c);
    switch (LLVMGetInstructionOpcode(user)) {
    case LLVMZExt: case LLVMSExt: return mask;
    case LLVMTrunc: return mask & width_mask(user);
    case LLVMAnd: return c0 || c1 ? mask & c : 0;
    case LLVMOr: return c0 || c1 ? mask & ~c : 0;
    case LLVMXor: case LLVMAdd: case LLVMSub: return mask;
    case LLVMShl: return c1 && c < 64 ? (mask << c) & width_mask(user) : 0;
    case LLVMLShr: case LLVMAShr: return c1 && c < 64 ? mask >> c : 0;
    default: return 0;
    }
}

/* An order compare of an i8 against a constant at an end of its range
 * (`x <u 0`, `x >s 127`, ...) is decided without the byte. */
static bool byte_order_trivial(LLVMIntPredicate p, uint8_t c) {
    switch (p) {
    case LLVMIntULT: case LLVMIntUGE: return c == 0;
    case LLVMIntUGT: case LLVMIntULE: return c == 0xff;
    case LLVMIntSLT: case LLVMIntSGE: return c == 0x80;
    case LLVMIntSGT: case LLVMIntSLE: return c == 0x7f;
    default: return false;
    }
}

/* Does the compare `cmp` of v need v's byte?  `is_byte`: v is the loaded
 * i8 itself. */
static bool byte_compare_depends(LLVMValueRef cmp, bool is_byte, bool pure) {
    LLVMIntPredicate p = LLVMGetICmpPredicate(cmp);
    bool equality = p == LLVMIntEQ || p == LLVMIntNE;
    uint64_t c = 0;
    bool constant = const_at(cmp, 1, &c);
    if (!is_byte) return pure && equality && constant && c == 0;
    if (equality) return LLVMGetOperand(cmp, 0) != LLVMGetOperand(cmp, 1); /* x == x is decided */
    return constant && !byte_order_trivial(p, (uint8_t)c);
}

/* Casts, masks and shifts: every bit of the result a bit of the operand
 * or a known zero (sext copies the byte's top bit). */
static bool keeps_pure(LLVMOpcode op) {
    return op == LLVMZExt || op == LLVMSExt || op == LLVMTrunc || op == LLVMAnd || op == LLVMShl ||
           op == LLVMLShr || op == LLVMAShr;
}

static bool byte_use_anchors(LLVMValueRef user, LLVMValueRef v, uint64_t mask, bool pure,
                             LLVMBasicBlockRef block, trim_state *t,
                             int depth) {
    if (LLVMIsAPHINode(user))
        return phi_fed_from(user, v, block) && depth > 0 &&
               byte_anchored(user, mask, false, LLVMGetInstructionParent(user), t,
                             depth - 1);
    if (LLVMGetInstructionParent(user) != block) return false;
    switch (LLVMGetInstructionOpcode(user)) {
    case LLVMStore: return LLVMGetOperand(user, 0) == v;
    case LLVMGetElementPtr: return LLVMGetOperand(user, 0) != v && address_used_in(user, block);
    case LLVMRet: case LLVMBr: return true;
    case LLVMCall:
        if (is_whole_reduction(user))
            return depth > 0 && byte_anchored(user, mask, false, block, t, depth - 1);
        return !is_pin(user, t->md_sink) && !name_starts(LLVMGetCalledValue(user), "llvm.");
    case LLVMICmp:
        return byte_compare_depends(user, LLVMIsALoadInst(v) != NULL, pure) && depth > 0 &&
               value_anchored(user, block, t, depth - 1);
    default: break;
    }
    uint64_t bits = byte_bits_through(user, mask);
    bool still_pure = pure && keeps_pure(LLVMGetInstructionOpcode(user));
    return bits && depth > 0 &&
           byte_anchored(user, bits, still_pure, block, t, depth - 1);
}

static bool byte_anchored(LLVMValueRef v, uint64_t mask, bool pure, LLVMBasicBlockRef block,
                          trim_state *t, int depth) {
    int known = memo_answer(memo_find(t, v, block, mask, pure), depth);
    if (known >= 0) return known;
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (ptr_set_has(t->sink, user)) continue;
        if (byte_use_anchors(user, v, mask, pure, block, t, depth))
            return memo_record(t, v, block, mask, pure, depth, true);
    }
    return memo_record(t, v, block, mask, pure, depth, false);
}

static bool is_byte_load(LLVMValueRef load) {
    LLVMTypeRef t = LLVMTypeOf(load);
    return LLVMGetTypeKind(t) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(t) == 8;
}

/* ---- dropping contributions ------------------------------------------------------- */


static bool payload_is_used_loads(LLVMValueRef v, trim_state *t, int depth);

/* A phi whose every incoming value is a load (or a constant) carries
 * loads, never the accumulator: GVN's PRE merges loads into one, and
 * SimplifyCFG sinks the two arms' sink adds of a diamond into one add of
 * a phi of their loads (editdist's LCS loop: `add acc, phi [load a,
 * then], [load b, else]`).  Such a phi is in the sink set when the add is
 * its only use, outside it when it has others; either way dropping the
 * add is safe when each load is kept by a use in its own block, which
 * runs whenever the load's block does, whatever edge the phi then takes. */
static bool phi_of_used_loads(LLVMValueRef phi, trim_state *t, int depth) {
    for (unsigned k = 0; k < LLVMCountIncoming(phi); k++) {
        LLVMValueRef in = LLVMGetIncomingValue(phi, k);
        if (!LLVMIsAConstant(in) && !LLVMIsALoadInst(in)) return false;
        if (!payload_is_used_loads(in, t, depth - 1)) return false;
    }
    return true;
}

/* A vector load (the vectorizers' merge of scalar loads) whose every lane
 * a use in its block needs whole: extracted and computed on, or copied by
 * a shuffle into a vector computed on.  Code generation may then load
 * the lanes one by one, or in narrower vectors, but loads them all, and
 * each lane is what one of the scalar loads read: every trap stays.
 * Raytracer's sphere loop: a <4 x double> of centre and radius, taken
 * apart by an extract and two shuffles, kept a 4-lane reduction of its
 * sink in the loop. */
static bool lanes_kept(LLVMValueRef v, LLVMBasicBlockRef block, trim_state *t) {
    LLVMTypeRef ty = LLVMTypeOf(v);
    if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind) return false;
    for (unsigned lane = 0; lane < LLVMGetVectorSize(ty); lane++)
        if (!lane_anchored(v, lane, block, t, ANCHOR_DEPTH, LANE_STEPS)) return false;
    return true;
}

/* A load is kept by a use in its own block (value_anchored, or for a byte
 * some of its bits, byte_anchored, or for a vector each of its lanes). */
static bool load_kept(LLVMValueRef v, trim_state *t) {
    LLVMBasicBlockRef block = LLVMGetInstructionParent(v);
    return value_anchored(v, block, t, ANCHOR_DEPTH) ||
           (is_byte_load(v) && byte_anchored(v, 0xff, true, block, t, ANCHOR_DEPTH)) ||
           lanes_kept(v, block, t);
}

/* The loads an operand of a sink add carries, through the sink's casts,
 * shuffles and lane moves.  False when it carries anything else (the
 * accumulator itself, through a phi, select, add or reduction; or a value
 * that is not a load). */
static bool payload_is_used_loads(LLVMValueRef v, trim_state *t, int depth) {
    if (LLVMIsAConstant(v)) return true;
    if (LLVMIsALoadInst(v)) return load_kept(v, t);
    if (depth == 0) return false;
    if (LLVMIsAPHINode(v)) return phi_of_used_loads(v, t, depth);
    if (!ptr_set_has(t->sink, v)) return false;
    switch (LLVMGetInstructionOpcode(v)) {
    case LLVMBitCast: case LLVMZExt: case LLVMShuffleVector: case LLVMExtractElement:
    case LLVMInsertElement: break;
    case LLVMCall: /* the SLP vectorizer's sum of a packed group of loads */
        return !is_bswap(v) && payload_is_used_loads(LLVMGetOperand(v, 0), t, depth - 1);
    default: return false;
    }
    int n = LLVMGetInstructionOpcode(v) == LLVMExtractElement ? 1 : 2;
    if (n > LLVMGetNumOperands(v)) n = LLVMGetNumOperands(v);
    for (int k = 0; k < n; k++) {
        /* A chain of inserts (SLP packing a sink of eight loads into an
         * <8 x double>) is walked along its vector operand at the same
         * depth: one path, as long as the chain, which a phi ends. */
        bool chain = k == 0 && LLVMGetInstructionOpcode(v) == LLVMInsertElement;
        if (!payload_is_used_loads(LLVMGetOperand(v, k), t, chain ? depth : depth - 1))
            return false;
    }
    return true;
}

/* x = acc + payload  ->  acc, when the payload's loads are kept anyway;
 * x stays in the set (now unused). */
static void trim_add(LLVMValueRef x, trim_state *t, size_t *dropped) {
    for (int k = 0; k < 2; k++) {
        if (!payload_is_used_loads(LLVMGetOperand(x, k), t, 8)) continue;
        LLVMReplaceAllUsesWith(x, LLVMGetOperand(x, 1 - k));
        (*dropped)++;
        return;
    }
}

/* The sink's adds are visited in program order, not in the set's (hash
 * of addresses) order: one add's replacement changes what the next one
 * sees, and the same input must give the same object (the compile cache
 * and reproducible builds rely on it). */
/* The sink's bswaps have done their work once the pipeline has run: a
 * sink of plain adds is what the sink always was to code generation.
 * Each is replaced by its operand (and removed by ADCE), so the code
 * pays no instruction for them and trim_add sees adds of adds. */
static void unswap(LLVMValueRef fn, const ptr_set *sink, size_t *dropped) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (is_bswap(i) && ptr_set_has(sink, i)) {
                LLVMReplaceAllUsesWith(i, LLVMGetOperand(i, 0));
                (*dropped)++;
            }
}

static bool trim_function(LLVMValueRef fn, unsigned md_sink, size_t *dropped) {
    ptr_set sink = {0};
    bool ok = sink_find(fn, md_sink, &sink);
    if (ok && sink.count) unswap(fn, &sink, dropped);
    trim_state t = {.sink = &sink, .md_sink = md_sink};
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); ok && sink.count && bb;
         bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (LLVMGetInstructionOpcode(i) == LLVMAdd && ptr_set_has(&sink, i))
                trim_add(i, &t, dropped);
    free(t.memo);
    ptr_set_free(&sink);
    return ok;
}

size_t sink_trim_module(LLVMModuleRef mod) {
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    unsigned md_sink = LLVMGetMDKindIDInContext(ctx, SINK_PIN_METADATA, strlen(SINK_PIN_METADATA));
    size_t dropped = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        if (LLVMGetFirstBasicBlock(fn) && !trim_function(fn, md_sink, &dropped)) break;
    return dropped;
}
