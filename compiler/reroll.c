/* reroll.c - the loop re-roller: turns a loop whose body is k copies of
 * one iteration (k = 2, 4 or 8) back into the one-iteration loop, so that
 * LLVM's loop vectorizer can take it.
 *
 * Why: clang compiling C for wasm32 without SIMD runtime-unrolls inner
 * loops by 2 (element j, then j+1 at `i32.add p, 8`, pointers stepping
 * by 16, the odd element peeled off), or by 4 when the body is small
 * (atax, mm2: copies at p + 8, p + 16, p + 24, pointers stepping by 32).
 * In kiln's IR the second address is zext(p + 8), which is not
 * zext(p) + 8 (the add wraps), so LLVM sees two strided access streams
 * at an unknown distance and keeps the loop scalar
 * (docs/benchmarks.md, *Why the loop nests stay scalar*).  The one-element
 * loop has a single affine stream per array, which the vectorizer accepts
 * behind its own run-time no-wrap and alias checks.  LLVM 19 no longer
 * has a re-roll pass; this one runs between the simplification and the
 * loop stages of the -O1..-O3 pipelines (pipeline.c, emit.c).
 *
 * What it matches, exactly, or leaves alone: a loop that is one block, or
 * in explicit bounds mode a chain of blocks linked by bounds checks (each
 * block but the last ends in `br check, trap, next`, the trap block ending
 * in `unreachable`), with one preheader and one exit, whose phis are
 *  - induction variables `p = phi [init], [p + S]` with S a multiple of
 *    k, and
 *  - recurrences (the guard-mode load sink, sums): `r = phi [init], [x]`,
 * whose exit is `icmp eq/ne (p + S), bound` on one induction variable,
 * and whose other instructions split into copies 1..k (copy 1 computed
 * from the induction variables p, copy c from the roots `p + (c-1)S/k`)
 * such that every copy c is isomorphic to copy 1 in program order: same
 * opcodes, types, flags and metadata, copy c's operand being copy 1's
 * operand's twin in copy c, or the root c of copy 1's induction
 * variable, or - for a recurrence - the value copy c-1 leaves for it
 * (copy 1's `mid`, its twins in copies 2.. in turn; the twin of mid in
 * copy k must be the recurrence's next value).  Every memory access and
 * bounds check of copy c comes before every one of copy c+1, and no copy
 * calls anything but pure intrinsics.  k is tried from 8 down to 2: any
 * k whose copies pass these tests is a correct one.
 *
 * Why that keeps every trap.  The re-rolled loop runs copy 1 for element
 * j, then copy 1 for element j+1, ..., whose operands are by
 * construction those copies 2..k had: the same loads, stores and traps,
 * in the same order, with the same values (the guard-mode sink receives
 * every load, the fault of an out-of-bounds access happens at the same
 * access, and an explicit check traps before the same access).  The
 * re-rolled loop's checks of copies 2..k become plain branches to the
 * next block of the chain.
 *
 * The exit.  The unrolled loop leaves when p + S*n == bound; the
 * re-rolled one when p + (S/k)*m == bound, which is m = kn exactly when
 * (bound - init) is a multiple of S (S a power of two, so the smallest
 * m is k times the smallest n).  When it is not (a count-down loop over
 * an odd n), the unrolled loop would run on until the counter wraps and
 * the re-rolled one would stop early.  So unless known bits prove
 * (bound - init) mod S == 0, the original loop is kept as a fallback and
 * the preheader picks the re-rolled one only when
 * ((bound - init) & (|S| - 1)) == 0. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "reroll.h"
#include "loop_ir.h"

enum {
    RR_MAX_INSNS = 512, RR_MAX_PHIS = 32, RR_MAX_BLOCKS = 64, RR_DEPTH = 6, RR_MAX_COPIES = 8,
    RR_MAX_BASES = 64,
};

/* What each non-phi instruction of the loop block is. */
enum rr_role {
    ROLE_NONE,
    ROLE_INVARIANT, /* depends on no phi: stays, shared by all copies */
    ROLE_COPY,      /* of copy copy[k] + 1 */
    ROLE_STEP,      /* p + S of an induction variable */
    ROLE_ROOT,      /* b + cS/k: copy c+1's stand-in for a base b */
    ROLE_BASE,      /* copy 1's `add p, x` (x invariant) that has roots */
    ROLE_EXIT, /* the exit compare and the latch's branch */
};

typedef struct rr_phi {
    LLVMValueRef phi, init, next; /* next: the value from the loop */
    int64_t step;                 /* 0: a recurrence */
    LLVMValueRef mid;             /* recurrence: copy 1's value copy 2 starts from */
} rr_phi;

/* A value that grows by S per iteration, which copy c+1 uses at
 * root[c] = v + cS/k: an induction variable p, or copy 1's `p + x` with
 * x invariant when the copies address from it (clang's `local.tee` of
 * `j + y`, then `i32.add 8`: the roots are (j + y) + 8, not j + 8). */
typedef struct rr_base {
    LLVMValueRef v;
    int64_t step;
    LLVMValueRef root[RR_MAX_COPIES]; /* [0] unused; NULL where copy c+1 has none */
} rr_base;

typedef struct rr_loop {
    LLVMBasicBlockRef chain[RR_MAX_BLOCKS]; /* the header first, the latch last */
    int nb;
    LLVMBasicBlockRef head, latch, pre, exit;
    LLVMBasicBlockRef fallback; /* the versioned original's header */
    LLVMValueRef br, cmp, bound;
    int exit_iv; /* index into phi[] */
    int k;       /* copies */
    rr_phi phi[RR_MAX_PHIS];
    int nphi;
    rr_base base[RR_MAX_BASES];
    int nbase;
    LLVMValueRef ins[RR_MAX_INSNS];
    enum rr_role role[RR_MAX_INSNS];
    int copy[RR_MAX_INSNS]; /* ROLE_COPY: 0 for copy 1, .., k-1 */
    /* copy 1's index -> its twin's in copy c+1 ([0]: itself); copy c's -> copy 1's */
    int twin[RR_MAX_COPIES][RR_MAX_INSNS], orig[RR_MAX_INSNS];
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

static int base_index(const rr_loop *l, LLVMValueRef v) {
    for (int k = 0; k < l->nbase; k++)
        if (l->base[k].v == v) return k;
    return -1;
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
            l->ins[l->n++] = i;
        }
    }
    return l->nphi > 0;
}

static void set_role(rr_loop *l, LLVMValueRef v, enum rr_role r) {
    int k = insn_index(l, v);
    if (k >= 0) l->role[k] = r;
}

/* Forgets what an attempt with another number of copies found. */
static void reset_copies(rr_loop *l, int copies) {
    l->k = copies;
    for (int j = 0; j < l->n; j++) l->role[j] = ROLE_NONE, l->copy[j] = -1, l->orig[j] = -1;
    for (int q = 0; q < l->nphi; q++) l->phi[q].mid = NULL;
    l->nbase = 0;
}

/* b's roots b + cS/k (c = 1..k-1): how many, or -1 for two of one c
 * (not what GVN leaves). */
static int find_roots(rr_loop *l, rr_base *b) {
    int64_t unit = b->step / l->k;
    int found = 0;
    memset(b->root, 0, sizeof b->root);
    for (int j = 0; j < l->n; j++) {
        int64_t c, m;
        if (!is_offset_of(l->ins[j], b->v, &c) || c % unit) continue;
        if ((m = c / unit) <= 0 || m >= l->k) continue; /* another offset: an ordinary instruction */
        if (b->root[m]) return -1;
        b->root[m] = l->ins[j];
        l->role[j] = ROLE_ROOT, l->copy[j] = (int)m;
        found++;
    }
    return found;
}

/* The induction variable x + p or p + x (x defined before the loop) that
 * an `add` computes, or -1. */
static int derived_from(const rr_loop *l, LLVMValueRef i) {
    if (LLVMGetInstructionOpcode(i) != LLVMAdd) return -1;
    for (int o = 0; o < 2; o++) {
        LLVMValueRef p = LLVMGetOperand(i, (unsigned)o), x = LLVMGetOperand(i, (unsigned)!o);
        int q = phi_index(l, p);
        if (q >= 0 && l->phi[q].step && !in_loop(l, x) && !LLVMIsAConstant(x)) return q;
    }
    return -1;
}

/* The bases, their roots and the steps p + S of the induction variables.
 * False if a step is no multiple of k, or no root is found (then the
 * loop has no copy 2 for this k). */
static bool frame_roots(rr_loop *l) {
    int any = 0;
    for (int q = 0; q < l->nphi; q++) {
        rr_phi *p = &l->phi[q];
        if (!p->step) continue;
        if (p->step % l->k || l->nbase == RR_MAX_BASES) return false;
        set_role(l, p->next, ROLE_STEP);
        rr_base *b = &l->base[l->nbase++];
        b->v = p->phi, b->step = p->step;
        int r = find_roots(l, b);
        if (r < 0) return false;
        any += r;
    }
    for (int j = 0; j < l->n; j++) {
        int q = l->role[j] == ROLE_NONE ? derived_from(l, l->ins[j]) : -1;
        if (q < 0) continue;
        if (l->nbase == RR_MAX_BASES) return false;
        rr_base *b = &l->base[l->nbase];
        b->v = l->ins[j], b->step = l->phi[q].step;
        int r = find_roots(l, b);
        if (r < 0) return false;
        if (r == 0) continue; /* the copies compute their own: an ordinary instruction */
        l->nbase++, any += r;
        l->role[j] = ROLE_BASE, l->copy[j] = 0;
    }
    return any > 0;
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

/* Copy 1 uses the induction variables, copy c their roots c-1 (or copy
 * c's values), invariant instructions none of them (and no recurrence
 * either).  An instruction mixing copies is put in the highest, where
 * pairing refuses it. */
static bool assign_copies(rr_loop *l) {
    for (int k = 0; k < l->n; k++) {
        if (l->role[k] != ROLE_NONE) continue;
        LLVMValueRef i = l->ins[k];
        if (!copyable(i)) return false;
        int c = -1; /* none yet: invariant */
        bool recurrence = false;
        for (unsigned o = 0, no = (unsigned)LLVMGetNumOperands(i); o < no; o++) {
            LLVMValueRef v = LLVMGetOperand(i, o);
            int p = phi_index(l, v), j = insn_index(l, v);
            if (p >= 0 && !l->phi[p].step) recurrence = true;
            else if (p >= 0) c = c > 0 ? c : 0;
            else if (j < 0 || l->role[j] == ROLE_INVARIANT) continue;
            else if (l->role[j] == ROLE_ROOT || l->role[j] == ROLE_COPY || l->role[j] == ROLE_BASE)
                c = c > l->copy[j] ? c : l->copy[j];
            else return false; /* a step, the exit, or not yet assigned */
        }
        /* an invariant may not read memory a copy writes, nor a recurrence */
        if (c < 0 && (recurrence || is_event(i))) return false;
        l->role[k] = c < 0 ? ROLE_INVARIANT : ROLE_COPY;
        l->copy[k] = c;
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

static bool in_copy(const rr_loop *l, int j, int c) {
    return l->role[j] == ROLE_COPY && l->copy[j] == c;
}

/* Copy 1's twin of index j in copy c+1, or NULL. */
static LLVMValueRef twin_of(const rr_loop *l, int c, int j) {
    return j >= 0 && l->twin[c][j] >= 0 ? l->ins[l->twin[c][j]] : NULL;
}

/* Copy c+1's operand `vb` stands where copy 1 has `va`. */
static bool operands_match(rr_loop *l, int c, LLVMValueRef va, LLVMValueRef vb) {
    if (LLVMValueIsBasicBlock(va)) /* a check's successors: the chain's next, or the trap */
        return LLVMValueIsBasicBlock(vb) &&
               (va == vb || (block_index(l, LLVMValueAsBasicBlock(va)) >= 0 &&
                             block_index(l, LLVMValueAsBasicBlock(vb)) >= 0));
    int p = phi_index(l, va), j = insn_index(l, va), bi = base_index(l, va);
    if (bi >= 0) return vb == l->base[bi].root[c];
    if (p >= 0 && c == 1) { /* recurrence: copy 2 starts from a value copy 1 made */
        int m = insn_index(l, vb);
        if (m < 0 || !in_copy(l, m, 0)) return false;
        if (l->phi[p].mid && l->phi[p].mid != vb) return false;
        l->phi[p].mid = vb;
        return true;
    }
    if (p >= 0) /* copy c+1 starts from copy c's twin of that value */
        return l->phi[p].mid && twin_of(l, c - 1, insn_index(l, l->phi[p].mid)) == vb;
    if (j >= 0 && in_copy(l, j, 0)) return twin_of(l, c, j) == vb;
    return va == vb;
}

/* Operations whose first two operands may be swapped: binary ones, and
 * the integer min/max intrinsics (floyd's `min(dik + d[k][j], d[i][j])`
 * comes as smin(a, b) in one copy and smin(b, a) in the next). */
static bool commutative(LLVMValueRef i) {
    static const char *const minmax[] = {"llvm.smin.", "llvm.smax.", "llvm.umin.", "llvm.umax."};
    switch (LLVMGetInstructionOpcode(i)) {
    case LLVMAdd: case LLVMMul: case LLVMAnd: case LLVMOr: case LLVMXor: case LLVMFAdd:
    case LLVMFMul: return true;
    case LLVMCall: {
        LLVMValueRef fn = LLVMGetCalledValue(i);
        size_t len = 0;
        const char *name = fn && LLVMIsAFunction(fn) ? LLVMGetValueName2(fn, &len) : "";
        for (size_t k = 0; k < sizeof minmax / sizeof minmax[0]; k++)
            if (strncmp(name, minmax[k], strlen(minmax[k])) == 0) return LLVMGetNumArgOperands(i) == 2;
        return false;
    }
    default: return false;
    }
}

/* ib's operands stand for ia's in order, or swapped for a commutative
 * operation (instcombine orders an add's operands by their kind: copy
 * 1's `x + sink` can be copy 2's `mid + x`). */
static bool pair_operands(rr_loop *l, int c, LLVMValueRef ia, LLVMValueRef ib) {
    LLVMValueRef mids[RR_MAX_PHIS];
    for (int k = 0; k < l->nphi; k++) mids[k] = l->phi[k].mid;
    unsigned no = (unsigned)LLVMGetNumOperands(ia);
    bool ok = true;
    for (unsigned o = 0; o < no && ok; o++)
        ok = operands_match(l, c, LLVMGetOperand(ia, o), LLVMGetOperand(ib, o));
    if (ok || no < 2 || !commutative(ia)) return ok;
    for (int k = 0; k < l->nphi; k++) l->phi[k].mid = mids[k];
    ok = operands_match(l, c, LLVMGetOperand(ia, 0), LLVMGetOperand(ib, 1)) &&
         operands_match(l, c, LLVMGetOperand(ia, 1), LLVMGetOperand(ib, 0));
    for (unsigned o = 2; o < no && ok; o++) /* a call's callee */
        ok = operands_match(l, c, LLVMGetOperand(ia, o), LLVMGetOperand(ib, o));
    return ok;
}

/* Pairs copy 1's and copy c+1's instructions in program order. */
static bool pair_copy(rr_loop *l, int c, unsigned md_tbaa) {
    int a = 0, b = 0;
    for (int j = 0; j < l->n; j++) l->twin[c][j] = -1;
    for (;;) {
        while (a < l->n && !in_copy(l, a, 0)) a++;
        while (b < l->n && !in_copy(l, b, c)) b++;
        if (a == l->n || b == l->n) break;
        LLVMValueRef ia = l->ins[a], ib = l->ins[b];
        if (!same_shape(l, ia, ib, md_tbaa) || !pair_operands(l, c, ia, ib)) return false;
        l->twin[c][a] = b, l->orig[b] = a;
        a++, b++;
    }
    return a == l->n && b == l->n;
}

/* Every copy is copy 1's twin, and every memory access and check of copy
 * c comes before every one of copy c+1 (the copies of the events met in
 * program order never decrease). */
static bool pair_copies(rr_loop *l, unsigned md_tbaa) {
    for (int j = 0; j < l->n; j++) l->twin[0][j] = in_copy(l, j, 0) ? j : -1;
    for (int c = 1; c < l->k; c++)
        if (!pair_copy(l, c, md_tbaa)) return false;
    int last = -1;
    for (int j = 0; j < l->n; j++) {
        if (l->role[j] != ROLE_COPY || !is_event(l->ins[j])) continue;
        if (l->copy[j] < last) return false;
        last = l->copy[j];
    }
    return last >= 0;
}

static bool used_only_in_loop(const rr_loop *l, LLVMValueRef v) {
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
        if (!in_loop(l, LLVMGetUser(u))) return false;
    return true;
}

/* Every recurrence hands copy k's last value to the next iteration; no
 * value that only the unrolled loop has (copies 1..k-1's, the roots, the
 * phis) is used after it. */
static bool check_uses(const rr_loop *l) {
    for (int k = 0; k < l->nphi; k++) {
        const rr_phi *p = &l->phi[k];
        if (!used_only_in_loop(l, p->phi)) return false;
        if (p->step) continue;
        if (!p->mid || twin_of(l, l->k - 1, insn_index(l, p->mid)) != p->next) return false;
    }
    for (int k = 0; k < l->n; k++) {
        bool gone_after = l->role[k] == ROLE_ROOT || l->role[k] == ROLE_BASE ||
                          (l->role[k] == ROLE_COPY && l->copy[k] < l->k - 1);
        if (gone_after && !used_only_in_loop(l, l->ins[k])) return false;
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

/* The loop at bb split into k copies, k tried from RR_MAX_COPIES down:
 * every k whose copies pass is a correct reading of the loop, and the
 * largest leaves the least loop control behind. */
static bool loop_match(rr_loop *l, LLVMBasicBlockRef bb, unsigned md_tbaa) {
    l->nphi = l->n = l->nb = 0;
    l->latch = l->fallback = NULL;
    if (!frame_block(l, bb) || !frame_insns(l)) return false;
    for (int copies = RR_MAX_COPIES; copies >= 2; copies /= 2) {
        reset_copies(l, copies);
        if (frame_roots(l) && frame_exit(l) && assign_copies(l) && pair_copies(l, md_tbaa) &&
            check_uses(l))
            return true;
    }
    return false;
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
    case LLVMPHI: { /* the fewest of any incoming value (a bound chosen on two paths) */
        unsigned n = LLVMCountIncoming(v), z = 64;
        for (unsigned k = 0; k < n && z > 0; k++) {
            unsigned zk = n > 4 ? 0 : known_zero_low_bits(LLVMGetIncomingValue(v, k), depth - 1);
            z = zk < z ? zk : z;
        }
        return z;
    }
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

/* A preheader of the loop's own when the block before it also branches
 * elsewhere (simplifycfg folds them), so that its branch can become the
 * test.  The header's phis are rebuilt to name the new block: the C API
 * cannot change a phi's incoming block. */
static bool own_preheader(rr_loop *l, LLVMBuilderRef b) {
    LLVMValueRef term = LLVMGetBasicBlockTerminator(l->pre);
    if (!term) return false;
    if (LLVMIsABranchInst(term) && !LLVMIsConditional(term)) return true;
    LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(l->br));
    LLVMBasicBlockRef pre = LLVMInsertBasicBlockInContext(ctx, l->head, "reroll.pre");
    LLVMPositionBuilderAtEnd(b, pre);
    LLVMBuildBr(b, l->head);
    for (unsigned s = 0, n = LLVMGetNumSuccessors(term); s < n; s++)
        if (LLVMGetSuccessor(term, s) == l->head) LLVMSetSuccessor(term, s, pre);
    for (int k = 0; k < l->nphi; k++) {
        /* Again each time: the phi erased last may have been the first. */
        LLVMPositionBuilderBefore(b, LLVMGetFirstInstruction(l->head));
        rr_phi *p = &l->phi[k];
        LLVMValueRef phi = LLVMBuildPhi(b, LLVMTypeOf(p->phi), "");
        LLVMValueRef vals[2] = {p->init, p->next};
        LLVMBasicBlockRef from[2] = {pre, l->latch};
        LLVMAddIncoming(phi, vals, from, 2);
        LLVMReplaceAllUsesWith(p->phi, phi);
        int q = base_index(l, p->phi);
        if (q >= 0) l->base[q].v = phi;
        LLVMInstructionEraseFromParent(p->phi);
        p->phi = phi;
    }
    l->pre = pre;
    return true;
}

/* The preheader branches to the re-rolled loop when
 * ((bound - init) & (|S| - 1)) == 0, else to the fallback. */
static bool version_loop(rr_loop *l, LLVMBuilderRef b) {
    if (!own_preheader(l, b)) return false;
    LLVMValueRef term = LLVMGetBasicBlockTerminator(l->pre);
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

/* The checks of copies 2..k become branches to the next block of the chain. */
static void drop_later_checks(rr_loop *l, LLVMBuilderRef b) {
    for (int k = 0; k < l->n; k++) {
        LLVMValueRef br = l->ins[k];
        if (l->role[k] != ROLE_COPY || l->copy[k] == 0 || !LLVMIsABranchInst(br)) continue;
        LLVMBasicBlockRef s0 = LLVMGetSuccessor(br, 0);
        LLVMPositionBuilderBefore(b, br);
        LLVMBuildBr(b, block_index(l, s0) >= 0 ? s0 : LLVMGetSuccessor(br, 1));
        LLVMInstructionEraseFromParent(br);
        l->ins[k] = NULL;
    }
}

/* Drops copies 2..k: copy k's outside uses and the recurrences take copy
 * 1's twins, the induction variables step by S/k. */
static void reroll_in_place(rr_loop *l, LLVMBuilderRef b) {
    for (int k = 0; k < l->n; k++)
        if (in_copy(l, k, l->k - 1))
            replace_uses_outside(l, l->ins[k], l->ins[l->orig[k]], NULL, false);
    for (int k = 0; k < l->nphi; k++) {
        rr_phi *p = &l->phi[k];
        if (!p->step) {
            for (unsigned in = 0; in < 2; in++)
                if (LLVMGetIncomingBlock(p->phi, in) == l->latch) LLVMSetOperand(p->phi, in, p->mid);
            continue;
        }
        LLVMPositionBuilderBefore(b, p->next);
        /* p + jS/k lies between p and p + S: S's nsw holds for it too */
        LLVMValueRef unit = LLVMBuildAdd(b, p->phi, LLVMConstInt(LLVMTypeOf(p->phi), (uint64_t)(p->step / l->k), 1), "");
        LLVMSetNSW(unit, LLVMGetNSW(p->next));
        LLVMSetNUW(unit, p->step > 0 && LLVMGetNUW(p->next));
        LLVMReplaceAllUsesWith(p->next, unit);
        LLVMInstructionEraseFromParent(p->next);
        p->next = unit;
    }
    drop_later_checks(l, b);
    /* users before what they use: a copy only uses earlier copies' values */
    for (int k = l->n - 1; k >= 0; k--)
        if (l->role[k] == ROLE_COPY && l->copy[k] > 0 && l->ins[k])
            LLVMInstructionEraseFromParent(l->ins[k]);
    for (int q = 0; q < l->nbase; q++)
        for (int c = 1; c < l->k; c++)
            if (l->base[q].root[c]) LLVMInstructionEraseFromParent(l->base[q].root[c]);
    /* a base p + x now stands for every copy's: what held of p + x may
     * not of p + x + cS/k (copy 1's flags promised nothing for it) */
    for (int q = 0; q < l->nbase; q++)
        if (!LLVMIsAPHINode(l->base[q].v)) LLVMSetNSW(l->base[q].v, 0), LLVMSetNUW(l->base[q].v, 0);
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
