/* reroll.c - the loop re-roller: turns a loop whose body is two copies
 * of one iteration back into the one-iteration loop, so that LLVM's loop
 * vectorizer can take it.
 *
 * Why: clang compiling C for wasm32 without SIMD runtime-unrolls inner
 * loops by 2 (element j, then j+1 at `i32.add p, 8`, pointers stepping
 * by 16, the odd element peeled off).  In kiln's IR the second address is
 * zext(p + 8), which is not zext(p) + 8 (the add wraps), so LLVM sees two
 * strided access streams at an unknown distance and keeps the loop scalar
 * (docs/benchmarks.md, *Why the loop nests stay scalar*).  The one-element
 * loop has a single affine stream per array, which the vectorizer accepts
 * behind its own run-time no-wrap and alias checks.  LLVM 19 no longer
 * has a re-roll pass; this one runs between the simplification and the
 * loop stages of the -O2 pipeline (pipeline.c, emit.c).
 *
 * What it matches, exactly, or leaves alone: a loop that is one block, or
 * in explicit bounds mode a chain of blocks linked by bounds checks (each
 * block but the last ends in `br check, trap, next`, the trap block ending
 * in `unreachable`), with one preheader and one exit, whose phis are
 *  - induction variables `p = phi [init], [p + S]` with S even, and
 *  - recurrences (the guard-mode load sink, sums): `r = phi [init], [x]`,
 * whose exit is `icmp eq/ne (p + S), bound` on one induction variable,
 * and whose other instructions split into copy 1 (computed from the
 * induction variables p) and copy 2 (computed from the roots `p + S/2`)
 * that are isomorphic in program order: same opcodes, types, flags and
 * metadata, copy 2's operand being copy 1's operand's twin, or the root
 * of copy 1's induction variable, or - for a recurrence - the value copy
 * 1 leaves for copy 2 (whose twin must be the recurrence's next value).
 * Every memory access and bounds check of copy 1 comes before every one
 * of copy 2, and neither copy calls anything but pure intrinsics.
 *
 * Why that keeps every trap.  The re-rolled loop runs copy 1 for element
 * j, then copy 1 for element j+1, whose operands are by construction
 * those copy 2 had: the same loads, stores and traps, in the same order,
 * with the same values (the guard-mode sink receives every load, the
 * fault of an out-of-bounds access happens at the same access, and an
 * explicit check traps before the same access).  The re-rolled loop's
 * copy-2 checks become plain branches to the next block of the chain.
 *
 * The exit.  The unrolled loop leaves when p + S*k == bound; the
 * re-rolled one when p + (S/2)*m == bound, which is m = 2k exactly when
 * (bound - init) is a multiple of S.  When it is not (a count-down loop
 * over an odd n), the unrolled loop would run on until the counter wraps
 * and the re-rolled one would stop early.  So unless known bits prove
 * (bound - init) mod S == 0, the original loop is kept as a fallback and
 * the preheader picks the re-rolled one only when
 * ((bound - init) & (S - 1)) == 0. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "reroll.h"

enum { RR_MAX_INSNS = 512, RR_MAX_PHIS = 32, RR_MAX_BLOCKS = 64, RR_DEPTH = 6 };

/* What each non-phi instruction of the loop block is. */
enum rr_role {
    ROLE_NONE,
    ROLE_INVARIANT, /* depends on no phi: stays, shared by both copies */
    ROLE_COPY1,
    ROLE_COPY2,
    ROLE_STEP, /* p + S of an induction variable */
    ROLE_ROOT, /* p + S/2: copy 2's stand-in for p */
    ROLE_EXIT, /* the exit compare and the latch's branch */
};

typedef struct rr_phi {
    LLVMValueRef phi, init, next; /* next: the value from the loop */
    int64_t step;                 /* 0: a recurrence */
    LLVMValueRef root;            /* induction variable: p + S/2, or NULL */
    LLVMValueRef mid;             /* recurrence: copy 1's value copy 2 starts from */
} rr_phi;

typedef struct rr_loop {
    LLVMBasicBlockRef chain[RR_MAX_BLOCKS]; /* the header first, the latch last */
    int nb;
    LLVMBasicBlockRef head, latch, pre, exit;
    LLVMBasicBlockRef fallback; /* the versioned original's header */
    LLVMValueRef br, cmp, bound;
    int exit_iv; /* index into phi[] */
    rr_phi phi[RR_MAX_PHIS];
    int nphi;
    LLVMValueRef ins[RR_MAX_INSNS];
    enum rr_role role[RR_MAX_INSNS];
    int twin[RR_MAX_INSNS]; /* copy 1 -> copy 2 index, copy 2 -> copy 1 */
    int n;
} rr_loop;

/* ---- lookups --------------------------------------------------------------- */

static int block_index(const rr_loop *l, LLVMBasicBlockRef bb) {
    for (int k = 0; k < l->nb; k++)
        if (l->chain[k] == bb) return k;
    return -1;
}

static bool in_loop(const rr_loop *l, LLVMValueRef v) {
    return v && LLVMIsAInstruction(v) && block_index(l, LLVMGetInstructionParent(v)) >= 0;
}

static int insn_index(const rr_loop *l, LLVMValueRef v) {
    if (!in_loop(l, v)) return -1;
    for (int k = 0; k < l->n; k++)
        if (l->ins[k] == v) return k;
    return -1;
}

static int phi_index(const rr_loop *l, LLVMValueRef v) {
    for (int k = 0; k < l->nphi; k++)
        if (l->phi[k].phi == v) return k;
    return -1;
}

static bool const_int(LLVMValueRef v, int64_t *out) {
    if (!v || !LLVMIsAConstantInt(v)) return false;
    *out = LLVMConstIntGetSExtValue(v);
    return true;
}

/* `add p, c` (or `or disjoint p, c`, which instcombine makes of an add
 * whose bits cannot carry) with a constant c. */
static bool is_offset_of(LLVMValueRef i, LLVMValueRef p, int64_t *c) {
    if (!LLVMIsAInstruction(i) || LLVMGetOperand(i, 0) != p) return false;
    LLVMOpcode op = LLVMGetInstructionOpcode(i);
    if (op != LLVMAdd && !(op == LLVMOr && LLVMGetIsDisjoint(i))) return false;
    return const_int(LLVMGetOperand(i, 1), c);
}

/* The blocks whose terminators branch to bb (each counted once), up to cap. */
static int predecessors(LLVMBasicBlockRef bb, LLVMBasicBlockRef *out, int cap) {
    int n = 0;
    for (LLVMUseRef u = LLVMGetFirstUse(LLVMBasicBlockAsValue(bb)); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (!LLVMIsAInstruction(user) || !LLVMIsATerminatorInst(user)) return -1;
        LLVMBasicBlockRef from = LLVMGetInstructionParent(user);
        bool seen = false;
        for (int k = 0; k < n; k++) seen |= out[k] == from;
        if (seen) continue;
        if (n == cap) return -1;
        out[n++] = from;
    }
    return n;
}

/* ---- the loop's frame: blocks, phis, exit -------------------------------------- */

/* A block that only traps: no phis, ends in `unreachable`. */
static bool is_trap_block(LLVMBasicBlockRef bb) {
    LLVMValueRef first = LLVMGetFirstInstruction(bb), term = LLVMGetBasicBlockTerminator(bb);
    return first && !LLVMIsAPHINode(first) && term && LLVMIsAUnreachableInst(term);
}

/* The next block of a check chain: `br c, trap, next` (either way round),
 * next entered from here only. */
static LLVMBasicBlockRef chain_next(LLVMValueRef term, LLVMBasicBlockRef head) {
    if (!LLVMIsABranchInst(term) || !LLVMIsConditional(term)) return NULL;
    LLVMBasicBlockRef s0 = LLVMGetSuccessor(term, 0), s1 = LLVMGetSuccessor(term, 1);
    LLVMBasicBlockRef next = is_trap_block(s0) ? s1 : is_trap_block(s1) ? s0 : NULL;
    LLVMBasicBlockRef preds[2];
    if (!next || next == head || is_trap_block(next) || predecessors(next, preds, 2) != 1) return NULL;
    LLVMValueRef first = LLVMGetFirstInstruction(next);
    return first && !LLVMIsAPHINode(first) ? next : NULL;
}

/* The header, then the blocks its checks lead through, to the latch
 * whose branch goes back to the header or out to the exit. */
static bool frame_block(rr_loop *l, LLVMBasicBlockRef head) {
    l->head = head;
    for (LLVMBasicBlockRef bb = head; bb;) {
        if (l->nb == RR_MAX_BLOCKS) return false;
        l->chain[l->nb++] = bb;
        LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
        if (!term || !LLVMIsABranchInst(term) || !LLVMIsConditional(term)) return false;
        LLVMBasicBlockRef s0 = LLVMGetSuccessor(term, 0), s1 = LLVMGetSuccessor(term, 1);
        if ((s0 == head) != (s1 == head)) {
            l->latch = bb, l->br = term, l->exit = s0 == head ? s1 : s0;
            break;
        }
        bb = chain_next(term, head);
        if (bb && block_index(l, bb) >= 0) return false;
    }
    if (!l->latch || block_index(l, l->exit) >= 0 || is_trap_block(l->exit)) return false;
    LLVMBasicBlockRef preds[3];
    if (predecessors(head, preds, 2) != 2) return false;
    l->pre = preds[0] == l->latch ? preds[1] : preds[0];
    return block_index(l, l->pre) < 0;
}

static bool frame_phi(rr_loop *l, LLVMValueRef phi) {
    if (l->nphi == RR_MAX_PHIS || LLVMCountIncoming(phi) != 2) return false;
    rr_phi *p = &l->phi[l->nphi++];
    memset(p, 0, sizeof *p);
    p->phi = phi;
    for (unsigned k = 0; k < 2; k++) {
        LLVMBasicBlockRef from = LLVMGetIncomingBlock(phi, k);
        if (from == l->latch) p->next = LLVMGetIncomingValue(phi, k);
        else if (from == l->pre) p->init = LLVMGetIncomingValue(phi, k);
    }
    if (!p->next || !p->init) return false;
    int64_t c;
    if (LLVMGetTypeKind(LLVMTypeOf(phi)) == LLVMIntegerTypeKind && in_loop(l, p->next) &&
        LLVMGetInstructionOpcode(p->next) == LLVMAdd && is_offset_of(p->next, phi, &c) &&
        c != 0 && c % 2 == 0 && c != INT64_MIN)
        p->step = c;
    return true;
}

/* Phis, then the other instructions; false if the loop is too big. */
static bool frame_insns(rr_loop *l) {
    LLVMValueRef i = LLVMGetFirstInstruction(l->head);
    for (; i && LLVMIsAPHINode(i); i = LLVMGetNextInstruction(i))
        if (!frame_phi(l, i)) return false;
    for (int k = 0; k < l->nb; k++) {
        if (k > 0) i = LLVMGetFirstInstruction(l->chain[k]);
        for (; i; i = LLVMGetNextInstruction(i)) {
            if (l->n == RR_MAX_INSNS) return false;
            l->twin[l->n] = -1;
            l->role[l->n] = ROLE_NONE;
            l->ins[l->n++] = i;
        }
    }
    return l->nphi > 0;
}

static void set_role(rr_loop *l, LLVMValueRef v, enum rr_role r) {
    int k = insn_index(l, v);
    if (k >= 0) l->role[k] = r;
}

/* The roots p + S/2 and the steps p + S of the induction variables. */
static bool frame_roots(rr_loop *l) {
    for (int k = 0; k < l->nphi; k++) {
        rr_phi *p = &l->phi[k];
        if (!p->step) continue;
        set_role(l, p->next, ROLE_STEP);
        for (int j = 0; j < l->n; j++) {
            int64_t c;
            if (l->ins[j] == p->next || !is_offset_of(l->ins[j], p->phi, &c) || c != p->step / 2)
                continue;
            if (p->root) return false; /* two roots: not what GVN leaves */
            p->root = l->ins[j];
            l->role[j] = ROLE_ROOT;
        }
    }
    return true;
}

/* The exit: `br (icmp eq/ne (p + S), bound)` with bound defined outside. */
static bool frame_exit(rr_loop *l) {
    LLVMValueRef cmp = LLVMGetCondition(l->br);
    if (!in_loop(l, cmp) || !LLVMIsAICmpInst(cmp)) return false;
    LLVMIntPredicate pred = LLVMGetICmpPredicate(cmp);
    if (pred != LLVMIntEQ && pred != LLVMIntNE) return false;
    LLVMValueRef a = LLVMGetOperand(cmp, 0), b = LLVMGetOperand(cmp, 1);
    for (int k = 0; k < l->nphi; k++) {
        if (!l->phi[k].step) continue;
        LLVMValueRef next = l->phi[k].next, other = a == next ? b : b == next ? a : NULL;
        if (!other || in_loop(l, other)) continue;
        l->cmp = cmp, l->bound = other, l->exit_iv = k;
        set_role(l, cmp, ROLE_EXIT);
        set_role(l, l->br, ROLE_EXIT);
        return true;
    }
    return false;
}

/* ---- which copy each instruction belongs to ------------------------------------ */

/* Instructions both copies may contain: no calls but pure intrinsics, no
 * atomics, no volatile accesses, nothing with more than a value result. */
static bool pure_intrinsic(LLVMValueRef call) {
    static const char *const ok[] = {
        "llvm.fmuladd.", "llvm.fma.",     "llvm.fabs.",    "llvm.sqrt.",     "llvm.minnum.",
        "llvm.maxnum.",  "llvm.minimum.", "llvm.maximum.", "llvm.copysign.", "llvm.smin.",
        "llvm.smax.",    "llvm.umin.",    "llvm.umax.",    "llvm.abs.",      "llvm.ctpop.",
        "llvm.ctlz.",    "llvm.cttz.",    "llvm.fshl.",    "llvm.fshr.",     "llvm.floor.",
        "llvm.ceil.",    "llvm.trunc.",   "llvm.rint.",    "llvm.nearbyint.", "llvm.roundeven.",
        "llvm.bswap.",
    };
    LLVMValueRef fn = LLVMGetCalledValue(call);
    if (!fn || !LLVMIsAFunction(fn) || !LLVMGetIntrinsicID(fn)) return false;
    size_t len = 0;
    const char *name = LLVMGetValueName2(fn, &len);
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
        if (len > strlen(ok[k]) && strncmp(name, ok[k], strlen(ok[k])) == 0) return true;
    return false;
}

static bool copyable(LLVMValueRef i) {
    LLVMOpcode op = LLVMGetInstructionOpcode(i);
    switch (op) {
    case LLVMLoad: case LLVMStore:
        return !LLVMGetVolatile(i) && LLVMGetOrdering(i) == LLVMAtomicOrderingNotAtomic;
    case LLVMCall: return pure_intrinsic(i);
    case LLVMGetElementPtr: case LLVMICmp: case LLVMFCmp: case LLVMSelect: case LLVMFreeze:
    case LLVMFNeg: return true;
    case LLVMBr: return LLVMIsConditional(i); /* a check of the chain (frame_block) */
    default:
        return (op >= LLVMAdd && op <= LLVMXor) || (op >= LLVMTrunc && op <= LLVMBitCast);
    }
}

/* What must keep its order: memory accesses and the checks' branches. */
static bool is_event(LLVMValueRef i) {
    return LLVMIsALoadInst(i) || LLVMIsAStoreInst(i) || LLVMIsABranchInst(i);
}

/* Copy 1 uses the induction variables, copy 2 their roots, invariant
 * instructions neither (and no recurrence either). */
static bool assign_copies(rr_loop *l) {
    for (int k = 0; k < l->n; k++) {
        if (l->role[k] != ROLE_NONE) continue;
        LLVMValueRef i = l->ins[k];
        if (!copyable(i)) return false;
        enum rr_role r = ROLE_INVARIANT;
        bool recurrence = false;
        for (unsigned o = 0, no = (unsigned)LLVMGetNumOperands(i); o < no; o++) {
            LLVMValueRef v = LLVMGetOperand(i, o);
            int p = phi_index(l, v), j = insn_index(l, v);
            enum rr_role vr = p >= 0 ? (l->phi[p].step ? ROLE_COPY1 : ROLE_NONE)
                              : j >= 0 ? l->role[j] : ROLE_INVARIANT;
            if (p >= 0 && !l->phi[p].step) recurrence = true;
            else if (vr == ROLE_ROOT) r = ROLE_COPY2;
            else if (vr == ROLE_COPY2) r = ROLE_COPY2;
            else if (vr == ROLE_COPY1 && r == ROLE_INVARIANT) r = ROLE_COPY1;
            else if (vr == ROLE_STEP || vr == ROLE_EXIT || vr == ROLE_NONE) return false;
        }
        /* an invariant may not read memory a copy writes, nor a recurrence */
        if (r == ROLE_INVARIANT && (recurrence || is_event(i))) return false;
        l->role[k] = r;
    }
    return true;
}

/* ---- the two copies are one iteration twice ---------------------------------- */

/* The branch that c (an icmp) feeds goes to a trap block when c holds. */
static bool traps_when_true(LLVMValueRef c) {
    LLVMUseRef u = LLVMGetFirstUse(c);
    if (!u || LLVMGetNextUse(u)) return false;
    LLVMValueRef br = LLVMGetUser(u);
    return LLVMIsABranchInst(br) && LLVMIsConditional(br) && LLVMGetCondition(br) == c &&
           is_trap_block(LLVMGetSuccessor(br, 0));
}

/* Equal predicates, or the one pair instcombine makes of explicit-mode
 * checks: copy 1's first check of `limit < zext(addr)` signed (the loop
 * has proved nothing about limit yet), copy 2's unsigned (after copy 1's
 * checks passed, limit >= 0).  Re-rolled, the signed compare runs for
 * element j+1 after it passed for element j, so limit >= 0 there, and
 * signed and unsigned agree on a zero-extended right-hand side. */
static bool same_predicate(const rr_loop *l, LLVMValueRef a, LLVMValueRef b) {
    LLVMIntPredicate pa = LLVMGetICmpPredicate(a), pb = LLVMGetICmpPredicate(b);
    if (pa == pb) return true;
    LLVMValueRef lim = LLVMGetOperand(a, 0), xa = LLVMGetOperand(a, 1), xb = LLVMGetOperand(b, 1);
    return pa == LLVMIntSLT && pb == LLVMIntULT && lim == LLVMGetOperand(b, 0) &&
           !in_loop(l, lim) && LLVMIsAZExtInst(xa) && LLVMIsAZExtInst(xb) &&
           traps_when_true(a) && traps_when_true(b);
}

static bool same_flags(const rr_loop *l, LLVMValueRef a, LLVMValueRef b) {
    switch (LLVMGetInstructionOpcode(a)) {
    case LLVMAdd: case LLVMSub: case LLVMMul: case LLVMShl:
        if (LLVMGetNUW(a) != LLVMGetNUW(b) || LLVMGetNSW(a) != LLVMGetNSW(b)) return false;
        break;
    case LLVMUDiv: case LLVMSDiv: case LLVMLShr: case LLVMAShr:
        if (LLVMGetExact(a) != LLVMGetExact(b)) return false;
        break;
    case LLVMOr: if (LLVMGetIsDisjoint(a) != LLVMGetIsDisjoint(b)) return false; break;
    case LLVMZExt: if (LLVMGetNNeg(a) != LLVMGetNNeg(b)) return false; break;
    case LLVMICmp: if (!same_predicate(l, a, b)) return false; break;
    case LLVMFCmp: if (LLVMGetFCmpPredicate(a) != LLVMGetFCmpPredicate(b)) return false; break;
    case LLVMGetElementPtr:
        if (LLVMIsInBounds(a) != LLVMIsInBounds(b) ||
            LLVMGetGEPSourceElementType(a) != LLVMGetGEPSourceElementType(b))
            return false;
        break;
    case LLVMLoad: case LLVMStore:
        if (LLVMGetAlignment(a) != LLVMGetAlignment(b)) return false;
        break;
    case LLVMCall:
        if (LLVMGetCalledValue(a) != LLVMGetCalledValue(b)) return false;
        break;
    default: break;
    }
    if (LLVMCanValueUseFastMathFlags(a) &&
        LLVMGetFastMathFlags(a) != LLVMGetFastMathFlags(b))
        return false;
    return true;
}

static bool same_shape(const rr_loop *l, LLVMValueRef a, LLVMValueRef b, unsigned md_tbaa) {
    return LLVMGetInstructionOpcode(a) == LLVMGetInstructionOpcode(b) &&
           LLVMTypeOf(a) == LLVMTypeOf(b) && LLVMGetNumOperands(a) == LLVMGetNumOperands(b) &&
           LLVMGetMetadata(a, md_tbaa) == LLVMGetMetadata(b, md_tbaa) && same_flags(l, a, b);
}

/* Copy 2's operand `vb` stands where copy 1 has `va`. */
static bool operands_match(rr_loop *l, LLVMValueRef va, LLVMValueRef vb) {
    if (LLVMValueIsBasicBlock(va)) /* a check's successors: the chain's next, or the trap */
        return LLVMValueIsBasicBlock(vb) &&
               (va == vb || (block_index(l, LLVMValueAsBasicBlock(va)) >= 0 &&
                             block_index(l, LLVMValueAsBasicBlock(vb)) >= 0));
    int p = phi_index(l, va), j = insn_index(l, va);
    if (p >= 0 && l->phi[p].step) return vb == l->phi[p].root;
    if (p >= 0) { /* recurrence: copy 2 starts from a value copy 1 made */
        int m = insn_index(l, vb);
        if (m < 0 || l->role[m] != ROLE_COPY1) return false;
        if (l->phi[p].mid && l->phi[p].mid != vb) return false;
        l->phi[p].mid = vb;
        return true;
    }
    if (j >= 0 && l->role[j] == ROLE_COPY1) return l->twin[j] >= 0 && l->ins[l->twin[j]] == vb;
    return va == vb;
}

/* Pairs copy 1's and copy 2's instructions in program order. */
static bool pair_copies(rr_loop *l, unsigned md_tbaa) {
    int a = 0, b = 0, last_mem1 = -1, first_mem2 = l->n;
    for (;;) {
        while (a < l->n && l->role[a] != ROLE_COPY1) a++;
        while (b < l->n && l->role[b] != ROLE_COPY2) b++;
        if (a == l->n || b == l->n) break;
        LLVMValueRef ia = l->ins[a], ib = l->ins[b];
        if (!same_shape(l, ia, ib, md_tbaa)) return false;
        for (unsigned o = 0, no = (unsigned)LLVMGetNumOperands(ia); o < no; o++)
            if (!operands_match(l, LLVMGetOperand(ia, o), LLVMGetOperand(ib, o))) return false;
        l->twin[a] = b, l->twin[b] = a;
        if (is_event(ia)) last_mem1 = a;
        if (is_event(ib) && b < first_mem2) first_mem2 = b;
        a++, b++;
    }
    if (a != l->n || b != l->n || (last_mem1 < 0 && first_mem2 == l->n)) return false;
    return last_mem1 < first_mem2;
}

static bool used_only_in_loop(const rr_loop *l, LLVMValueRef v) {
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
        if (!in_loop(l, LLVMGetUser(u))) return false;
    return true;
}

/* Every recurrence hands copy 2's last value to the next iteration; no
 * value that only the unrolled loop has (copy 1's, the roots, the phis)
 * is used after it. */
static bool check_uses(const rr_loop *l) {
    for (int k = 0; k < l->nphi; k++) {
        const rr_phi *p = &l->phi[k];
        if (!used_only_in_loop(l, p->phi)) return false;
        if (p->root && !used_only_in_loop(l, p->root)) return false;
        if (p->step) continue;
        int m = p->mid ? insn_index(l, p->mid) : -1;
        if (m < 0 || l->twin[m] < 0 || l->ins[l->twin[m]] != p->next) return false;
    }
    for (int k = 0; k < l->n; k++) {
        if (l->role[k] == ROLE_COPY1 && !used_only_in_loop(l, l->ins[k])) return false;
        if (l->role[k] == ROLE_STEP) /* only its phi and the exit compare */
            for (LLVMUseRef u = LLVMGetFirstUse(l->ins[k]); u; u = LLVMGetNextUse(u)) {
                LLVMValueRef user = LLVMGetUser(u);
                if (in_loop(l, user) && !LLVMIsAPHINode(user) && user != l->cmp)
                    return false;
            }
    }
    LLVMUseRef u = LLVMGetFirstUse(l->cmp);
    return u && LLVMGetUser(u) == l->br && !LLVMGetNextUse(u);
}

static bool loop_match(rr_loop *l, LLVMBasicBlockRef bb, unsigned md_tbaa) {
    l->nphi = l->n = l->nb = 0;
    l->latch = l->fallback = NULL;
    return frame_block(l, bb) && frame_insns(l) && frame_roots(l) && frame_exit(l) &&
           assign_copies(l) && pair_copies(l, md_tbaa) && check_uses(l);
}

/* ---- does the exit need a run-time test? ---------------------------------------- */

/* How many low bits of v are known to be zero (a few instruction kinds). */
static unsigned known_zero_low_bits(LLVMValueRef v, int depth) {
    int64_t c;
    if (const_int(v, &c)) {
        unsigned n = 0;
        for (uint64_t u = (uint64_t)c; n < 64 && !(u & 1); u >>= 1) n++;
        return n;
    }
    if (!LLVMIsAInstruction(v) || depth == 0) return 0;
    LLVMValueRef a = LLVMGetOperand(v, 0), b = LLVMGetNumOperands(v) > 1 ? LLVMGetOperand(v, 1) : NULL;
    unsigned za, zb;
    switch (LLVMGetInstructionOpcode(v)) {
    case LLVMAnd:
        za = known_zero_low_bits(a, depth - 1), zb = known_zero_low_bits(b, depth - 1);
        return za > zb ? za : zb;
    case LLVMAdd: case LLVMSub: case LLVMOr: case LLVMXor:
        za = known_zero_low_bits(a, depth - 1), zb = known_zero_low_bits(b, depth - 1);
        return za < zb ? za : zb;
    case LLVMMul: return known_zero_low_bits(a, depth - 1) + known_zero_low_bits(b, depth - 1);
    case LLVMShl: return const_int(b, &c) && c >= 0 && c < 64 ? known_zero_low_bits(a, depth - 1) + (unsigned)c : 0;
    default: return 0;
    }
}

static unsigned log2_exact(uint64_t v) {
    unsigned n = 0;
    while (v > 1 && !(v & 1)) v >>= 1, n++;
    return v == 1 ? n : 0;
}

/* 0: bound - init is known to be a multiple of the step; 1: it needs the
 * preheader test; -1: the step is no power of two (no cheap test). */
static int exit_test_needed(const rr_loop *l) {
    const rr_phi *p = &l->phi[l->exit_iv];
    uint64_t mag = p->step < 0 ? (uint64_t)-p->step : (uint64_t)p->step;
    unsigned bits = log2_exact(mag);
    if (!bits) return -1;
    unsigned zb = known_zero_low_bits(l->bound, RR_DEPTH), zi = known_zero_low_bits(p->init, RR_DEPTH);
    return (zb < zi ? zb : zi) >= bits ? 0 : 1;
}

/* ---- rewriting --------------------------------------------------------------------- */

static void replace_use_in(LLVMValueRef user, LLVMValueRef from, LLVMValueRef to) {
    for (unsigned o = 0, no = (unsigned)LLVMGetNumOperands(user); o < no; o++)
        if (LLVMGetOperand(user, o) == from) LLVMSetOperand(user, o, to);
}

/* A use outside the loop other than by a phi of the exit block. */
static bool used_after_exit(const rr_loop *l, LLVMValueRef user) {
    return !in_loop(l, user) && !(LLVMGetInstructionParent(user) == l->exit && LLVMIsAPHINode(user));
}

/* Uses of v outside the loop (the versioned original uses its clones)
 * set to `to`; with `skip`, a user left alone. */
static void replace_uses_outside(const rr_loop *l, LLVMValueRef v, LLVMValueRef to,
                                 LLVMValueRef skip, bool only_after_exit) {
    LLVMUseRef u = LLVMGetFirstUse(v);
    while (u) {
        LLVMValueRef user = LLVMGetUser(u);
        u = LLVMGetNextUse(u);
        if (user == skip || in_loop(l, user) || (only_after_exit && !used_after_exit(l, user)))
            continue;
        replace_use_in(user, v, to);
    }
}

/* Outside uses of loop values other than in the exit's phis get an exit
 * phi, so that a second incoming edge can be added.  False if the exit
 * has other predecessors (then such uses cannot exist). */
static bool exit_phis_for(rr_loop *l, LLVMValueRef v, LLVMBuilderRef b) {
    bool outside = false;
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
        outside |= used_after_exit(l, LLVMGetUser(u));
    if (!outside) return true;
    LLVMBasicBlockRef preds[2];
    if (predecessors(l->exit, preds, 2) != 1) return false;
    LLVMPositionBuilder(b, l->exit, LLVMGetFirstInstruction(l->exit));
    LLVMValueRef phi = LLVMBuildPhi(b, LLVMTypeOf(v), "");
    LLVMAddIncoming(phi, &v, &l->latch, 1);
    replace_uses_outside(l, v, phi, phi, true);
    return true;
}

typedef struct rr_clone {
    LLVMValueRef *value;        /* ins[k] -> [k], phi[k] -> [n + k] */
    LLVMBasicBlockRef *block;   /* chain[k] -> [k] */
} rr_clone;

static LLVMValueRef clone_of(const rr_loop *l, const rr_clone *c, LLVMValueRef v) {
    if (LLVMValueIsBasicBlock(v)) {
        int k = block_index(l, LLVMValueAsBasicBlock(v));
        return k >= 0 ? LLVMBasicBlockAsValue(c->block[k]) : v;
    }
    int p = phi_index(l, v), j = insn_index(l, v);
    return p >= 0 ? c->value[l->n + p] : j >= 0 ? c->value[j] : v;
}

/* Copies of the chain's blocks and instructions, operands not yet mapped. */
static void clone_blocks(rr_loop *l, const rr_clone *c, LLVMBuilderRef b) {
    LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(l->br));
    LLVMValueRef fn = LLVMGetBasicBlockParent(l->head);
    LLVMBasicBlockRef after = l->latch;
    for (int k = 0; k < l->nb; k++) {
        c->block[k] = LLVMAppendBasicBlockInContext(ctx, fn, "reroll.fallback");
        LLVMMoveBasicBlockAfter(c->block[k], after);
        after = c->block[k];
    }
    LLVMPositionBuilderAtEnd(b, c->block[0]);
    for (int k = 0; k < l->nphi; k++) c->value[l->n + k] = LLVMBuildPhi(b, LLVMTypeOf(l->phi[k].phi), "");
    for (int k = 0; k < l->n; k++) {
        LLVMPositionBuilderAtEnd(b, c->block[block_index(l, LLVMGetInstructionParent(l->ins[k]))]);
        c->value[k] = LLVMInstructionClone(l->ins[k]);
        LLVMInsertIntoBuilder(b, c->value[k]);
    }
}

/* The original loop, cloned as it is: the fallback for an exit that the
 * re-rolled loop could not keep. */
static bool clone_fallback(rr_loop *l, LLVMBuilderRef b) {
    rr_clone c = {calloc((size_t)(l->n + l->nphi), sizeof *c.value),
                  calloc((size_t)l->nb, sizeof *c.block)};
    if (!c.value || !c.block) {
        free(c.value), free(c.block);
        return false;
    }
    clone_blocks(l, &c, b);
    for (int k = 0; k < l->n; k++)
        for (unsigned o = 0, no = (unsigned)LLVMGetNumOperands(c.value[k]); o < no; o++)
            LLVMSetOperand(c.value[k], o, clone_of(l, &c, LLVMGetOperand(c.value[k], o)));
    LLVMBasicBlockRef latch = c.block[l->nb - 1];
    for (int k = 0; k < l->nphi; k++) {
        LLVMValueRef vals[2] = {l->phi[k].init, clone_of(l, &c, l->phi[k].next)};
        LLVMBasicBlockRef from[2] = {l->pre, latch};
        LLVMAddIncoming(c.value[l->n + k], vals, from, 2);
    }
    for (LLVMValueRef i = LLVMGetFirstInstruction(l->exit); i && LLVMIsAPHINode(i);
         i = LLVMGetNextInstruction(i))
        for (unsigned k = 0, n = LLVMCountIncoming(i); k < n; k++)
            if (LLVMGetIncomingBlock(i, k) == l->latch) {
                LLVMValueRef v = clone_of(l, &c, LLVMGetIncomingValue(i, k));
                LLVMAddIncoming(i, &v, &latch, 1);
                break;
            }
    l->fallback = c.block[0];
    free(c.value), free(c.block);
    return true;
}

/* The preheader branches to the re-rolled loop when
 * ((bound - init) & (|S| - 1)) == 0, else to the fallback. */
static bool version_loop(rr_loop *l, LLVMBuilderRef b) {
    LLVMValueRef term = LLVMGetBasicBlockTerminator(l->pre);
    if (!term || !LLVMIsABranchInst(term) || LLVMIsConditional(term)) return false;
    for (int k = 0; k < l->nphi; k++)
        if (!exit_phis_for(l, l->phi[k].phi, b)) return false;
    for (int k = 0; k < l->n; k++)
        if (!exit_phis_for(l, l->ins[k], b)) return false;
    if (!clone_fallback(l, b)) return false;
    const rr_phi *p = &l->phi[l->exit_iv];
    LLVMTypeRef ty = LLVMTypeOf(p->phi);
    uint64_t mag = p->step < 0 ? (uint64_t)-p->step : (uint64_t)p->step;
    LLVMPositionBuilderBefore(b, term);
    LLVMValueRef d = LLVMBuildSub(b, l->bound, p->init, "reroll.span");
    LLVMValueRef odd = LLVMBuildAnd(b, d, LLVMConstInt(ty, mag - 1, 0), "");
    LLVMValueRef even = LLVMBuildICmp(b, LLVMIntEQ, odd, LLVMConstNull(ty), "reroll.even");
    LLVMBuildCondBr(b, even, l->head, l->fallback);
    LLVMInstructionEraseFromParent(term);
    return true;
}

/* Copy 2's checks become branches to the next block of the chain. */
static void drop_copy2_checks(rr_loop *l, LLVMBuilderRef b) {
    for (int k = 0; k < l->n; k++) {
        LLVMValueRef br = l->ins[k];
        if (l->role[k] != ROLE_COPY2 || !LLVMIsABranchInst(br)) continue;
        LLVMBasicBlockRef s0 = LLVMGetSuccessor(br, 0);
        LLVMPositionBuilderBefore(b, br);
        LLVMBuildBr(b, block_index(l, s0) >= 0 ? s0 : LLVMGetSuccessor(br, 1));
        LLVMInstructionEraseFromParent(br);
        l->ins[k] = NULL;
    }
}

/* Drops copy 2: its outside uses and the recurrences take copy 1's
 * twins, the induction variables step by S/2. */
static void reroll_in_place(rr_loop *l, LLVMBuilderRef b) {
    for (int k = 0; k < l->n; k++)
        if (l->role[k] == ROLE_COPY2)
            replace_uses_outside(l, l->ins[k], l->ins[l->twin[k]], NULL, false);
    for (int k = 0; k < l->nphi; k++) {
        rr_phi *p = &l->phi[k];
        if (!p->step) {
            for (unsigned in = 0; in < 2; in++)
                if (LLVMGetIncomingBlock(p->phi, in) == l->latch) LLVMSetOperand(p->phi, in, p->mid);
            continue;
        }
        LLVMPositionBuilderBefore(b, p->next);
        LLVMValueRef half = LLVMBuildAdd(b, p->phi, LLVMConstInt(LLVMTypeOf(p->phi), (uint64_t)(p->step / 2), 1), "");
        LLVMSetNSW(half, LLVMGetNSW(p->next));
        LLVMSetNUW(half, p->step > 0 && LLVMGetNUW(p->next));
        LLVMReplaceAllUsesWith(p->next, half);
        LLVMInstructionEraseFromParent(p->next);
        p->next = half;
    }
    drop_copy2_checks(l, b);
    for (int k = l->n - 1; k >= 0; k--)
        if (l->role[k] == ROLE_COPY2 && l->ins[k]) LLVMInstructionEraseFromParent(l->ins[k]);
    for (int k = 0; k < l->nphi; k++)
        if (l->phi[k].root) LLVMInstructionEraseFromParent(l->phi[k].root);
}

static bool reroll_block(rr_loop *l, LLVMBasicBlockRef bb, LLVMBuilderRef b, unsigned md_tbaa) {
    if (!loop_match(l, bb, md_tbaa)) return false;
    int test = exit_test_needed(l);
    if (test < 0 || (test == 1 && !version_loop(l, b))) return false;
    reroll_in_place(l, b);
    return true;
}

size_t reroll_function(LLVMValueRef fn) {
    unsigned nblocks = LLVMCountBasicBlocks(fn);
    if (!nblocks) return 0;
    /* the blocks as they are now: a fallback added on the way stays unrolled */
    LLVMBasicBlockRef *blocks = malloc(nblocks * sizeof *blocks);
    rr_loop *l = malloc(sizeof *l);
    size_t done = 0;
    if (blocks && l) {
        LLVMGetBasicBlocks(fn, blocks);
        LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(fn));
        unsigned md_tbaa = LLVMGetMDKindIDInContext(ctx, "tbaa", 4);
        LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
        for (unsigned k = 0; k < nblocks; k++) done += reroll_block(l, blocks[k], b, md_tbaa);
        LLVMDisposeBuilder(b);
    }
    free(blocks);
    free(l);
    return done;
}

size_t reroll_module(LLVMModuleRef mod) {
    size_t done = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        done += reroll_function(fn);
    return done;
}
