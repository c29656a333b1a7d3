/* check_hoist.c - explicit bounds mode: one range test in the preheader
 * of a loop instead of a check before every access, so that LLVM's loop
 * vectorizer can take the loop.
 *
 * Why: in explicit mode every access is preceded by `br (limit <
 * zext(addr)), trap, ok`, and LLVM 19's loop vectorizer refuses a loop
 * with such early exits ("could not determine number of loop
 * iterations"), so gemm's and matmul's inner loops stayed scalar even
 * after the re-roller (docs/benchmarks.md).  LLVM's own answers need what
 * kiln's IR does not have: IRCE wants `icmp slt i, len` range checks on
 * the induction variable itself with no wrap, loop-predication wants
 * guard intrinsics or widenable conditions.  So kiln versions the loop
 * itself, as V8 and Wasmtime do not need to (they rely on guard pages)
 * and as LLVM's LoopVersioning does for aliasing: the preheader decides
 * once whether any check of the loop can fail; if none can, a copy of
 * the loop without checks runs, otherwise the original, checked loop
 * runs and traps at exactly the access it always trapped at, with the
 * memory written by the accesses before it.  Runs at -O1..-O3 in explicit
 * mode only, after the re-roller and before the loop stage (emit.c).
 *
 * What it matches, exactly, or leaves alone: an innermost loop that is a
 * chain of blocks from its header to its latch, each block but the latch
 * ending in an unconditional branch to the next or in a check `br c,
 * trap, next` (a trap block has no phis and ends in `unreachable`), the
 * latch branching back to the header or out to the one exit; a preheader
 * (the header's only predecessor outside the loop); whose exit compare
 * is `icmp eq/ne X, bound` with X affine with a non-zero stride (below:
 * an induction variable `p = phi [init], [p + S]`, S a constant, its
 * step, a truncation of either), bound defined outside the loop;
 * that contains no call but of intrinsics that touch no memory (so
 * nothing in it can grow or move a memory, or change anything a limit
 * was computed from), no atomic or volatile access and no other phis.
 * Every check's condition must be
 *  - a relational compare (signed or unsigned, not eq/ne) between a
 *    value defined outside the loop (the limit, `size - offset - width`)
 *    and `zext i32 a to i64`, where a is affine in the iteration number
 *    k: a_k = a_0 + k*D mod 2^32 with a constant D, |D| <= 2^30 (a is
 *    built from the induction variables, loop invariants and constants
 *    by add, sub, `or disjoint`, mul or shl by a constant, trunc);
 *  - or an invariant condition, or the `or` of such conditions (the
 *    `and` when the check traps on false).
 * A check of a 64-bit memory compares an i64 address, which is not a
 * zero-extended i32, so memory64 loops are refused (their range would
 * need 128-bit arithmetic).  Multi-memory needs nothing special: each
 * check is tested against its own limit.
 *
 * Why the range test is exact.  The loop runs n iterations, k = 0..n-1
 * (it has no other exit: its checks end in `unreachable`).  The k-th
 * value of X is X_0 + k*D mod 2^W, so the loop leaves after the first k
 * with k*|D| = d mod 2^W (d = bound - X_0, or X_0 - bound when D < 0,
 * taken mod 2^W in [0, 2^W)).  When |D| divides d, that k is d/|D|
 * (a smaller k gives k*|D| < d < 2^W); otherwise the test fails (the
 * loop would run until its counter wraps) and the original runs.  So
 * m = n - 1 = d/|D|.  With m < 2^32 (tested), every i32 value a_k satisfies
 * a_k = a_0 + k*D mod 2^32, since add, sub, mul, shl and trunc commute
 * with reduction mod 2^32.  In 64 bits, first = zext(a_0) < 2^32 and
 * last = first + m*D, with |m*D| <= 2^62: no i64 overflow.  If last lies
 * in [0, 2^32) (tested), the line from first to last never leaves that
 * range, so zext(a_k) = first + k*D exactly, a sequence monotone in k.
 * A relational compare against a fixed limit is a threshold: as a
 * function of a monotone sequence it holds on a prefix or a suffix of
 * 0..m, so it holds for no k iff it holds neither at 0 nor at m; an
 * `or` of such compares holds for no k iff none of them does.  The
 * limit itself is the value the original compared with in every
 * iteration (it is defined outside the loop), so the copy without checks
 * does exactly what the original does when the test passes.  The test
 * is computed without nuw/nsw flags, and reads only values the preheader
 * dominates.  A shared memory may grow while the loop runs but never
 * shrinks, and the original compared with the limit computed before the
 * loop as well.
 *
 * The rewrite: a block `hoist.range` on the preheader's edge computes
 * the test and branches to the copy (`hoist.fast`, every check a plain
 * branch, its latch without loop metadata) or to the original loop.
 * Values of the loop used after it get a phi in the exit block (which
 * must then have the latch as its only predecessor). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Core.h>

#include "check_hoist.h"
#include "loop_ir.h"

enum {
    CH_MAX_BLOCKS = 64,
    CH_MAX_PHIS = 32,
    CH_MAX_CHECKS = 64,
    CH_MAX_STREAMS = 64,
    CH_MAX_INSNS = 1024,
    CH_DEPTH = 8,
};
#define CH_MAX_STRIDE ((int64_t)1 << 30)

typedef struct ch_phi {
    LLVMValueRef phi, init, next;
    int64_t step; /* 0: not an induction variable */
} ch_phi;

typedef struct ch_check {
    LLVMValueRef br;
    bool on_true; /* traps when the condition holds */
} ch_check;

/* A checked address zext(a) of the copy, rewritten as an i64 induction
 * variable from first by d (see stream_phis). */
typedef struct ch_stream {
    LLVMValueRef zext, first;
    int64_t d;
} ch_stream;

typedef struct ch_loop {
    LLVMBasicBlockRef chain[CH_MAX_BLOCKS]; /* header first, latch last */
    int nb;
    LLVMBasicBlockRef head, latch, pre, exit;
    LLVMValueRef latch_br, bound;
    LLVMValueRef exit_x; /* the exit leaves after the iteration where exit_x == bound */
    int64_t exit_d;      /* exit_x's stride */
    ch_phi phi[CH_MAX_PHIS];
    int nphi;
    ch_check check[CH_MAX_CHECKS];
    int ncheck;
    LLVMValueRef ins[CH_MAX_INSNS]; /* every instruction of the chain, phis first */
    int n;
    LLVMValueRef copy[CH_MAX_INSNS];            /* the copy's ins[k] */
    LLVMBasicBlockRef copy_block[CH_MAX_BLOCKS]; /* the copy's chain[k] */
    ch_stream stream[CH_MAX_STREAMS];
    int nstream;
} ch_loop;

/* ---- lookups --------------------------------------------------------------- */

static int chain_index(const ch_loop *l, LLVMBasicBlockRef bb) {
    for (int k = 0; k < l->nb; k++)
        if (l->chain[k] == bb) return k;
    return -1;
}

static bool inside(const ch_loop *l, LLVMValueRef v) {
    return LLVMIsAInstruction(v) && chain_index(l, LLVMGetInstructionParent(v)) >= 0;
}

static int ins_index(const ch_loop *l, LLVMValueRef v) {
    for (int k = 0; k < l->n; k++)
        if (l->ins[k] == v) return k;
    return -1;
}

static const ch_phi *phi_of(const ch_loop *l, LLVMValueRef v) {
    for (int k = 0; k < l->nphi; k++)
        if (l->phi[k].phi == v) return &l->phi[k];
    return NULL;
}

/* Every branch to bb is in `from`. */
static bool entered_only_from(LLVMBasicBlockRef bb, LLVMBasicBlockRef from) {
    for (LLVMUseRef u = LLVMGetFirstUse(LLVMBasicBlockAsValue(bb)); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (!LLVMIsAInstruction(user) || LLVMGetInstructionParent(user) != from) return false;
    }
    return true;
}

/* ---- the loop's shape ------------------------------------------------------ */

static bool add_check(ch_loop *l, LLVMValueRef br, bool on_true) {
    if (l->ncheck == CH_MAX_CHECKS) return false;
    l->check[l->ncheck++] = (ch_check){br, on_true};
    return true;
}

/* The block after bb in the chain, or NULL; sets the latch when bb is it. */
static LLVMBasicBlockRef chain_step(ch_loop *l, LLVMBasicBlockRef bb, bool *fail) {
    LLVMValueRef term = LLVMGetBasicBlockTerminator(bb);
    *fail = true;
    if (!term || !LLVMIsABranchInst(term)) return NULL;
    LLVMBasicBlockRef s0 = LLVMGetSuccessor(term, 0), next = s0;
    if (LLVMIsConditional(term)) {
        LLVMBasicBlockRef s1 = LLVMGetSuccessor(term, 1);
        if ((s0 == l->head) != (s1 == l->head)) {
            l->latch = bb, l->latch_br = term, l->exit = s0 == l->head ? s1 : s0;
            *fail = false;
            return NULL;
        }
        if (is_trap_block(s0) == is_trap_block(s1) || !add_check(l, term, is_trap_block(s0))) return NULL;
        next = is_trap_block(s0) ? s1 : s0;
    }
    LLVMValueRef first = LLVMGetFirstInstruction(next);
    if (next == l->head || !first || LLVMIsAPHINode(first) || !entered_only_from(next, bb))
        return NULL;
    *fail = false;
    return next;
}

static bool frame_chain(ch_loop *l, LLVMBasicBlockRef head) {
    l->head = head;
    bool fail = false;
    for (LLVMBasicBlockRef bb = head; bb; bb = chain_step(l, bb, &fail)) {
        if (l->nb == CH_MAX_BLOCKS || chain_index(l, bb) >= 0) return false;
        l->chain[l->nb++] = bb;
    }
    if (fail || !l->latch || chain_index(l, l->exit) >= 0 || is_trap_block(l->exit)) return false;
    /* the header: entered from the latch and from one block outside */
    for (LLVMUseRef u = LLVMGetFirstUse(LLVMBasicBlockAsValue(head)); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        if (!LLVMIsATerminatorInst(user)) return false;
        LLVMBasicBlockRef from = LLVMGetInstructionParent(user);
        if (from == l->latch) continue;
        if ((l->pre && l->pre != from) || chain_index(l, from) >= 0) return false;
        l->pre = from;
    }
    return l->pre && l->pre != l->exit && LLVMIsABranchInst(LLVMGetBasicBlockTerminator(l->pre));
}

static LLVMValueRef incoming_from(LLVMValueRef phi, LLVMBasicBlockRef bb) {
    for (unsigned k = 0, n = LLVMCountIncoming(phi); k < n; k++)
        if (LLVMGetIncomingBlock(phi, k) == bb) return LLVMGetIncomingValue(phi, k);
    return NULL;
}

/* A header phi: its value from the preheader and from the latch, and its
 * step when the latch's value is `phi + constant` (at most 64 bits). */
static bool frame_phi(ch_loop *l, LLVMValueRef phi) {
    if (l->nphi == CH_MAX_PHIS || LLVMCountIncoming(phi) != 2) return false;
    ch_phi *p = &l->phi[l->nphi++];
    *p = (ch_phi){phi, incoming_from(phi, l->pre), incoming_from(phi, l->latch), 0};
    LLVMValueRef next = p->next;
    int64_t c;
    LLVMTypeRef ty = LLVMTypeOf(phi);
    bool narrow = LLVMGetTypeKind(ty) == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(ty) <= 64;
    if (narrow && next && LLVMIsAInstruction(next) && LLVMGetInstructionOpcode(next) == LLVMAdd &&
        LLVMGetOperand(next, 0) == phi && const_int(LLVMGetOperand(next, 1), &c) && c != INT64_MIN)
        p->step = c;
    return p->init && p->next;
}

/* A call the loop may contain: an intrinsic that reads and writes no
 * memory (memory(none)), so it can neither grow a memory nor change the
 * instance. */
static bool call_is_pure(LLVMValueRef call) {
    LLVMValueRef fn = LLVMGetCalledValue(call);
    if (!fn || !LLVMIsAFunction(fn) || !LLVMGetIntrinsicID(fn)) return false;
    unsigned kind = LLVMGetEnumAttributeKindForName("memory", 6);
    LLVMAttributeRef a = LLVMGetEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, kind);
    return a && LLVMGetEnumAttributeValue(a) == 0;
}

static bool allowed(LLVMValueRef i) {
    LLVMOpcode op = LLVMGetInstructionOpcode(i);
    switch (op) {
    case LLVMLoad: case LLVMStore:
        return !LLVMGetVolatile(i) && LLVMGetOrdering(i) == LLVMAtomicOrderingNotAtomic;
    case LLVMCall: return call_is_pure(i);
    case LLVMBr: case LLVMGetElementPtr: case LLVMICmp: case LLVMFCmp: case LLVMSelect:
    case LLVMFreeze: case LLVMFNeg: case LLVMExtractElement: case LLVMInsertElement:
    case LLVMShuffleVector: case LLVMExtractValue: case LLVMInsertValue:
        return true;
    default:
        return (op >= LLVMAdd && op <= LLVMXor) || (op >= LLVMTrunc && op <= LLVMBitCast);
    }
}

/* The header's phis, then every other instruction, each allowed. */
static bool frame_insns(ch_loop *l) {
    for (int k = 0; k < l->nb; k++)
        for (LLVMValueRef i = LLVMGetFirstInstruction(l->chain[k]); i; i = LLVMGetNextInstruction(i)) {
            if (l->n == CH_MAX_INSNS) return false;
            l->ins[l->n++] = i;
            if (LLVMIsAPHINode(i) ? k > 0 || !frame_phi(l, i) : !allowed(i)) return false;
        }
    return true;
}

/* ---- affine values ----------------------------------------------------------- */

static int64_t sign_extend(uint64_t v, unsigned bits) {
    if (bits >= 64) return (int64_t)v;
    uint64_t m = (uint64_t)1 << (bits - 1);
    v &= (m << 1) - 1;
    return (int64_t)((v ^ m) - m);
}

/* v_k = v_0 + k*D mod 2^W for the loop's k-th iteration (W: v's width);
 * *d is D, sign-extended from W bits. */
static bool affine(const ch_loop *l, LLVMValueRef v, int64_t *d, int depth) {
    LLVMTypeRef ty = LLVMTypeOf(v);
    if (LLVMGetTypeKind(ty) != LLVMIntegerTypeKind || LLVMGetIntTypeWidth(ty) > 64) return false;
    unsigned w = LLVMGetIntTypeWidth(ty);
    if (!inside(l, v)) return *d = 0, true;
    const ch_phi *p = phi_of(l, v);
    if (p) return *d = p->step, p->step != 0;
    if (depth == 0) return false;
    int64_t da = 0, db = 0, c = 0;
    LLVMValueRef a = LLVMGetOperand(v, 0), b = LLVMGetNumOperands(v) > 1 ? LLVMGetOperand(v, 1) : NULL;
    LLVMOpcode op = LLVMGetInstructionOpcode(v);
    if (op == LLVMOr && !LLVMGetIsDisjoint(v)) return false; /* a disjoint or is an add */
    switch (op) {
    case LLVMOr: case LLVMAdd: case LLVMSub:
        if (!affine(l, a, &da, depth - 1) || !affine(l, b, &db, depth - 1)) return false;
        da = (int64_t)(op == LLVMSub ? (uint64_t)da - (uint64_t)db
                                                              : (uint64_t)da + (uint64_t)db);
        break;
    case LLVMMul:
        if (const_int(a, &c)) a = b;
        else if (!const_int(b, &c)) return false;
        if (!affine(l, a, &da, depth - 1)) return false;
        da = (int64_t)((uint64_t)da * (uint64_t)c);
        break;
    case LLVMShl:
        if (!const_int(b, &c) || c < 0 || c >= (int64_t)w || !affine(l, a, &da, depth - 1)) return false;
        da = (int64_t)((uint64_t)da << c);
        break;
    case LLVMTrunc:
        if (!affine(l, a, &da, depth - 1)) return false;
        break;
    default: return false;
    }
    *d = sign_extend((uint64_t)da, w);
    return true;
}

/* An affine value's iteration-0 value, built in the range block without
 * nuw/nsw (the loop's own flags speak of its values, not of these). */
static LLVMValueRef at_start(const ch_loop *l, LLVMValueRef v, LLVMBuilderRef b) {
    if (!inside(l, v)) return v;
    const ch_phi *p = phi_of(l, v);
    if (p) return p->init;
    LLVMValueRef x = at_start(l, LLVMGetOperand(v, 0), b);
    if (LLVMGetInstructionOpcode(v) == LLVMTrunc) return LLVMBuildTrunc(b, x, LLVMTypeOf(v), "");
    LLVMValueRef y = at_start(l, LLVMGetOperand(v, 1), b);
    switch (LLVMGetInstructionOpcode(v)) {
    case LLVMSub: return LLVMBuildSub(b, x, y, "");
    case LLVMMul: return LLVMBuildMul(b, x, y, "");
    case LLVMShl: return LLVMBuildShl(b, x, y, "");
    default: return LLVMBuildAdd(b, x, y, ""); /* add, or disjoint */
    }
}

/* The latch leaves when `X == bound`, X affine with a non-zero stride
 * (an induction variable, its step, a truncation of either), bound
 * defined outside the loop. */
static bool frame_exit(ch_loop *l) {
    LLVMValueRef cmp = LLVMGetCondition(l->latch_br);
    if (!inside(l, cmp) || !LLVMIsAICmpInst(cmp)) return false;
    LLVMIntPredicate pred = LLVMGetICmpPredicate(cmp);
    bool exit_on_true = LLVMGetSuccessor(l->latch_br, 0) == l->exit;
    if (!((pred == LLVMIntEQ && exit_on_true) || (pred == LLVMIntNE && !exit_on_true))) return false;
    for (unsigned side = 0; side < 2; side++) {
        LLVMValueRef x = LLVMGetOperand(cmp, side), other = LLVMGetOperand(cmp, 1 - side);
        int64_t d;
        if (inside(l, other) || !affine(l, x, &d, CH_DEPTH) || d == 0 || d == INT64_MIN) continue;
        l->exit_x = x, l->exit_d = d, l->bound = other;
        return true;
    }
    return false;
}

/* ---- checks -------------------------------------------------------------------- */

/* `zext i32 a to i64` with a affine and its stride small enough. */
static bool zext_affine(const ch_loop *l, LLVMValueRef v, LLVMValueRef *a, int64_t *d) {
    if (!LLVMIsAZExtInst(v) || LLVMGetIntTypeWidth(LLVMTypeOf(v)) != 64) return false;
    *a = LLVMGetOperand(v, 0);
    return LLVMGetIntTypeWidth(LLVMTypeOf(*a)) == 32 && affine(l, *a, d, CH_DEPTH) &&
           *d >= -CH_MAX_STRIDE && *d <= CH_MAX_STRIDE;
}

static bool relational(LLVMIntPredicate p) {
    return p != LLVMIntEQ && p != LLVMIntNE;
}

/* Which operand of the compare c is the zero-extended affine address
 * (the other is invariant), or -1. */
static int compare_side(const ch_loop *l, LLVMValueRef c, LLVMValueRef *a, int64_t *d) {
    if (!LLVMIsAICmpInst(c) || !relational(LLVMGetICmpPredicate(c))) return -1;
    for (int s = 0; s < 2; s++)
        if (!inside(l, LLVMGetOperand(c, 1 - s)) && zext_affine(l, LLVMGetOperand(c, s), a, d))
            return s;
    return -1;
}

/* The condition of a check that fails when c == on_true can be tested
 * at the loop's two ends. */
static bool cond_ok(const ch_loop *l, LLVMValueRef c, bool on_true, int depth) {
    LLVMValueRef a;
    int64_t d;
    if (!inside(l, c)) return true;
    if (depth > 0 && LLVMGetInstructionOpcode(c) == (on_true ? LLVMOr : LLVMAnd))
        return cond_ok(l, LLVMGetOperand(c, 0), on_true, depth - 1) &&
               cond_ok(l, LLVMGetOperand(c, 1), on_true, depth - 1);
    return compare_side(l, c, &a, &d) >= 0;
}

static LLVMIntPredicate inverse(LLVMIntPredicate p) {
    switch (p) {
    case LLVMIntUGT: return LLVMIntULE;
    case LLVMIntUGE: return LLVMIntULT;
    case LLVMIntULT: return LLVMIntUGE;
    case LLVMIntULE: return LLVMIntUGT;
    case LLVMIntSGT: return LLVMIntSLE;
    case LLVMIntSGE: return LLVMIntSLT;
    case LLVMIntSLT: return LLVMIntSGE;
    case LLVMIntSLE: return LLVMIntSGT;
    default: return p;
    }
}

typedef struct ch_build {
    LLVMBuilderRef b;
    LLVMTypeRef i64;
    LLVMValueRef last_k; /* i64: the last iteration's k, n - 1 */
} ch_build;

/* i1: the compare c fails (c == on_true) at k = 0 or k = n - 1, or the
 * address wraps on the way. */
static void add_stream(ch_loop *l, LLVMValueRef zext, LLVMValueRef first, int64_t d) {
    for (int k = 0; k < l->nstream; k++)
        if (l->stream[k].zext == zext) return;
    if (l->nstream < CH_MAX_STREAMS) l->stream[l->nstream++] = (ch_stream){zext, first, d};
}

static LLVMValueRef compare_fails(ch_loop *l, const ch_build *cb, LLVMValueRef c, bool on_true) {
    LLVMValueRef a;
    int64_t d;
    int s = compare_side(l, c, &a, &d);
    LLVMIntPredicate pred = on_true ? LLVMGetICmpPredicate(c) : inverse(LLVMGetICmpPredicate(c));
    LLVMValueRef limit = LLVMGetOperand(c, 1 - s);
    LLVMValueRef first = LLVMBuildZExt(cb->b, at_start(l, a, cb->b), cb->i64, "hoist.first");
    LLVMValueRef span = LLVMBuildMul(cb->b, cb->last_k, LLVMConstInt(cb->i64, (uint64_t)d, 1), "");
    LLVMValueRef last = LLVMBuildAdd(cb->b, first, span, "hoist.last");
    add_stream(l, LLVMGetOperand(c, (unsigned)s), first, d);
    LLVMValueRef wraps = LLVMBuildICmp(cb->b, LLVMIntUGE, last, LLVMConstInt(cb->i64, (uint64_t)1 << 32, 0), "");
    LLVMValueRef at0 = s ? LLVMBuildICmp(cb->b, pred, limit, first, "") : LLVMBuildICmp(cb->b, pred, first, limit, "");
    LLVMValueRef atm = s ? LLVMBuildICmp(cb->b, pred, limit, last, "") : LLVMBuildICmp(cb->b, pred, last, limit, "");
    return LLVMBuildOr(cb->b, wraps, LLVMBuildOr(cb->b, at0, atm, ""), "");
}

static LLVMValueRef cond_fails(ch_loop *l, const ch_build *cb, LLVMValueRef c, bool on_true) {
    if (!inside(l, c)) return on_true ? c : LLVMBuildNot(cb->b, c, "");
    if (!LLVMIsAICmpInst(c))
        return LLVMBuildOr(cb->b, cond_fails(l, cb, LLVMGetOperand(c, 0), on_true),
                           cond_fails(l, cb, LLVMGetOperand(c, 1), on_true), "");
    return compare_fails(l, cb, c, on_true);
}

/* ---- the trip count ------------------------------------------------------------ */

/* The last iteration's k (i64) and, in *bad, whether the count is one the
 * test cannot use (the exit would wait for a wrap, or more than 2^32
 * iterations). */
static LLVMValueRef last_iteration(const ch_loop *l, LLVMBuilderRef b, LLVMTypeRef i64, LLVMValueRef *bad) {
    LLVMValueRef x0 = at_start(l, l->exit_x, b);
    LLVMValueRef dist = l->exit_d > 0 ? LLVMBuildSub(b, l->bound, x0, "hoist.dist")
                                      : LLVMBuildSub(b, x0, l->bound, "hoist.dist");
    if (LLVMGetIntTypeWidth(LLVMTypeOf(dist)) < 64) dist = LLVMBuildZExt(b, dist, i64, "");
    uint64_t mag = l->exit_d > 0 ? (uint64_t)l->exit_d : (uint64_t)-l->exit_d;
    LLVMValueRef s = LLVMConstInt(i64, mag, 0);
    LLVMValueRef k = LLVMBuildUDiv(b, dist, s, "hoist.lastk");
    *bad = LLVMBuildICmp(b, LLVMIntNE, LLVMBuildURem(b, dist, s, ""), LLVMConstInt(i64, 0, 0), "");
    LLVMValueRef big = LLVMBuildICmp(b, LLVMIntUGE, k, LLVMConstInt(i64, (uint64_t)1 << 32, 0), "");
    *bad = LLVMBuildOr(b, *bad, big, "");
    return k;
}

/* ---- rewriting ------------------------------------------------------------------- */

/* A use outside the loop that is not the exit's phi for the latch edge. */
static bool needs_exit_phi(const ch_loop *l, LLVMValueRef user) {
    return !inside(l, user) && !(LLVMIsAPHINode(user) && LLVMGetInstructionParent(user) == l->exit);
}

static bool used_after(const ch_loop *l, LLVMValueRef v) {
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
        if (needs_exit_phi(l, LLVMGetUser(u))) return true;
    return false;
}

/* Loop values used after the loop other than by the exit's phis need a
 * phi there, which only an exit entered from the latch alone can hold. */
static bool exit_uses_ok(const ch_loop *l) {
    for (int k = 0; k < l->n; k++)
        if (used_after(l, l->ins[k])) return entered_only_from(l->exit, l->latch);
    return true;
}

static void exit_phi_for(const ch_loop *l, LLVMValueRef v, LLVMBuilderRef b) {
    if (!used_after(l, v)) return;
    LLVMPositionBuilder(b, l->exit, LLVMGetFirstInstruction(l->exit));
    LLVMValueRef phi = LLVMBuildPhi(b, LLVMTypeOf(v), "");
    LLVMBasicBlockRef latch = l->latch;
    LLVMAddIncoming(phi, &v, &latch, 1);
    for (LLVMUseRef u = LLVMGetFirstUse(v), next; u; u = next) {
        next = LLVMGetNextUse(u);
        LLVMValueRef user = LLVMGetUser(u);
        if (user == phi || !needs_exit_phi(l, user)) continue;
        for (unsigned o = 0, no = (unsigned)LLVMGetNumOperands(user); o < no; o++)
            if (LLVMGetOperand(user, o) == v) LLVMSetOperand(user, o, phi);
    }
}

static LLVMValueRef copy_of(const ch_loop *l, LLVMValueRef v) {
    if (LLVMValueIsBasicBlock(v)) {
        int k = chain_index(l, LLVMValueAsBasicBlock(v));
        return k >= 0 ? LLVMBasicBlockAsValue(l->copy_block[k]) : v;
    }
    int k = inside(l, v) ? ins_index(l, v) : -1;
    return k >= 0 ? l->copy[k] : v;
}

/* A check of the copy becomes a branch to its next block (returned). */
static LLVMValueRef drop_check(LLVMValueRef br, bool on_true, LLVMBuilderRef b) {
    LLVMBasicBlockRef next = LLVMGetSuccessor(br, on_true ? 1 : 0);
    LLVMPositionBuilderBefore(b, br);
    LLVMValueRef plain = LLVMBuildBr(b, next);
    LLVMInstructionEraseFromParent(br);
    return plain;
}

/* The copy without checks, entered from `from`. */
static void build_fast(ch_loop *l, LLVMBasicBlockRef from, LLVMBuilderRef b) {
    LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(l->latch_br));
    LLVMValueRef fn = LLVMGetBasicBlockParent(l->head);
    LLVMBasicBlockRef after = l->latch;
    for (int k = 0; k < l->nb; k++) {
        l->copy_block[k] = LLVMAppendBasicBlockInContext(ctx, fn, "hoist.fast");
        LLVMMoveBasicBlockAfter(l->copy_block[k], after);
        after = l->copy_block[k];
    }
    for (int k = 0; k < l->n; k++) {
        LLVMValueRef i = l->ins[k];
        LLVMPositionBuilderAtEnd(b, l->copy_block[chain_index(l, LLVMGetInstructionParent(i))]);
        l->copy[k] = LLVMIsAPHINode(i) ? LLVMBuildPhi(b, LLVMTypeOf(i), "") : LLVMInstructionClone(i);
        if (!LLVMIsAPHINode(i)) LLVMInsertIntoBuilder(b, l->copy[k]);
    }
    for (int k = l->nphi; k < l->n; k++)
        for (unsigned o = 0, no = (unsigned)LLVMGetNumOperands(l->copy[k]); o < no; o++)
            LLVMSetOperand(l->copy[k], o, copy_of(l, LLVMGetOperand(l->copy[k], o)));
    LLVMBasicBlockRef latch = l->copy_block[l->nb - 1];
    for (int k = 0; k < l->nphi; k++) {
        LLVMValueRef vals[2] = {l->phi[k].init, copy_of(l, l->phi[k].next)};
        LLVMBasicBlockRef froms[2] = {from, latch};
        LLVMAddIncoming(l->copy[k], vals, froms, 2);
    }
    LLVMValueRef latch_br = l->copy[ins_index(l, l->latch_br)];
    LLVMSetMetadata(latch_br, LLVMGetMDKindIDInContext(ctx, "llvm.loop", 9), NULL);
    for (int k = 0; k < l->ncheck; k++) {
        int at = ins_index(l, l->check[k].br);
        l->copy[at] = drop_check(l->copy[at], l->check[k].on_true, b);
    }
}

/* An instruction of the copy that may go when nothing uses it: no memory
 * access, call or branch. */
static bool removable(LLVMValueRef i) {
    LLVMOpcode op = LLVMGetInstructionOpcode(i);
    return op != LLVMLoad && op != LLVMStore && op != LLVMCall && op != LLVMBr;
}

static bool used_only_by(LLVMValueRef v, LLVMValueRef user) {
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u))
        if (LLVMGetUser(u) != user) return false;
    return true;
}

/* A phi of the copy and its latch value that only use each other (an i32
 * address the copy now steps as an i64 stream): *next is that value. */
static bool dead_cycle(const ch_loop *l, LLVMValueRef phi, LLVMValueRef *next) {
    *next = LLVMIsAPHINode(phi) ? incoming_from(phi, l->copy_block[l->nb - 1]) : NULL;
    return *next && *next != phi && LLVMIsAInstruction(*next) && removable(*next) &&
           used_only_by(phi, *next) && used_only_by(*next, phi);
}

/* Erases what the copy no longer uses: the compares of its dropped checks
 * and the address arithmetic its i64 streams replaced.  Why: the loop
 * vectorizer runs before any dead-code pass, and its cost model counts
 * dead instructions too: lu's inner loop cost 20 or more with them, the
 * threshold under which it interleaves a small loop, so the copy ran at
 * one <2 x double> per iteration where the checked loop ran two. */
static void sweep_copy(ch_loop *l) {
    for (bool again = true; again;) {
        again = false;
        for (int k = l->n - 1; k >= 0; k--) {
            LLVMValueRef i = l->copy[k], next = NULL;
            if (!i || !removable(i) || (LLVMGetFirstUse(i) && !dead_cycle(l, i, &next))) continue;
            LLVMReplaceAllUsesWith(i, LLVMGetPoison(LLVMTypeOf(i))); /* next's use of a phi */
            LLVMInstructionEraseFromParent(i);
            l->copy[k] = NULL;
            for (int m = 0; next && m < l->n; m++)
                if (l->copy[m] == next) l->copy[m] = NULL;
            if (next) LLVMInstructionEraseFromParent(next);
            again = true;
        }
    }
}

/* The exit's phis take the copy's values on the copy's latch edge. */
static void exit_incoming(const ch_loop *l) {
    LLVMBasicBlockRef latch = l->copy_block[l->nb - 1];
    for (LLVMValueRef i = LLVMGetFirstInstruction(l->exit); i && LLVMIsAPHINode(i);
         i = LLVMGetNextInstruction(i))
        for (unsigned k = 0, n = LLVMCountIncoming(i); k < n; k++)
            if (LLVMGetIncomingBlock(i, k) == l->latch) {
                LLVMValueRef v = copy_of(l, LLVMGetIncomingValue(i, k));
                LLVMAddIncoming(i, &v, &latch, 1);
                break;
            }
}

/* What l recorded of a value that was just replaced.  A header phi may
 * be another phi's latch value (`prev = cur; cur += 1`) or the exit's
 * induction variable: once head_enters_from erased it, a stale pointer
 * would be a use of freed memory (SQLite's amalgamation crashed the
 * compiler in explicit mode at -O2 this way). */
static void loop_value_replaced(ch_loop *l, LLVMValueRef old, LLVMValueRef now) {
    for (int k = 0; k < l->nphi; k++) {
        if (l->phi[k].next == old) l->phi[k].next = now;
        if (l->phi[k].init == old) l->phi[k].init = now;
    }
    if (l->exit_x == old) l->exit_x = now;
    if (l->bound == old) l->bound = now;
}

/* The original header's phis, entered from `from` instead of the
 * preheader (LLVM-C cannot change an incoming block: the phis are made
 * again). */
static void head_enters_from(ch_loop *l, LLVMBasicBlockRef from, LLVMBuilderRef b) {
    for (int k = 0; k < l->nphi; k++) {
        ch_phi *p = &l->phi[k];
        LLVMPositionBuilderBefore(b, p->phi);
        LLVMValueRef phi = LLVMBuildPhi(b, LLVMTypeOf(p->phi), "");
        LLVMValueRef vals[2] = {p->init, p->next};
        LLVMBasicBlockRef froms[2] = {from, l->latch};
        LLVMAddIncoming(phi, vals, froms, 2);
        LLVMReplaceAllUsesWith(p->phi, phi);
        LLVMInstructionEraseFromParent(p->phi);
        loop_value_replaced(l, p->phi, phi);
        l->ins[k] = p->phi = phi;
    }
}

static void branch_likely(LLVMValueRef br) {
    LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(br));
    LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
    LLVMMetadataRef md[3] = {LLVMMDStringInContext2(ctx, "branch_weights", 14),
                             LLVMValueAsMetadata(LLVMConstInt(i32, 2000, 0)),
                             LLVMValueAsMetadata(LLVMConstInt(i32, 1, 0))};
    LLVMValueRef node = LLVMMetadataAsValue(ctx, LLVMMDNodeInContext2(ctx, md, 3));
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(ctx, "prof", 4), node);
}

/* hoist.range on the preheader's edge: the test, then the copy or the
 * original loop. */
static LLVMBasicBlockRef range_block(ch_loop *l, LLVMBuilderRef b, LLVMValueRef *ok) {
    LLVMContextRef ctx = LLVMGetTypeContext(LLVMTypeOf(l->latch_br));
    LLVMBasicBlockRef range = LLVMInsertBasicBlockInContext(ctx, l->head, "hoist.range");
    LLVMValueRef term = LLVMGetBasicBlockTerminator(l->pre);
    for (unsigned s = 0, ns = LLVMGetNumSuccessors(term); s < ns; s++)
        if (LLVMGetSuccessor(term, s) == l->head) LLVMSetSuccessor(term, s, range);
    head_enters_from(l, range, b);
    LLVMPositionBuilderAtEnd(b, range);
    ch_build cb = {b, LLVMInt64TypeInContext(ctx), NULL};
    LLVMValueRef bad;
    cb.last_k = last_iteration(l, b, cb.i64, &bad);
    for (int k = 0; k < l->ncheck; k++)
        bad = LLVMBuildOr(b, bad, cond_fails(l, &cb, LLVMGetCondition(l->check[k].br), l->check[k].on_true), "");
    *ok = LLVMBuildNot(b, bad, "hoist.inrange");
    return range;
}

/* In the copy, each checked address zext(a) becomes an i64 induction
 * variable q = phi [first], [q + d]: the range test proved that
 * zext(a_k) = first + k*d without wrapping, so q is the same value, and
 * LLVM's SCEV sees an affine address without the i32 wrap (the
 * vectorizer then needs no run-time no-wrap test for it). */
static void stream_phis(ch_loop *l, LLVMBasicBlockRef range, LLVMBuilderRef b) {
    LLVMBasicBlockRef head = l->copy_block[0], latch = l->copy_block[l->nb - 1];
    for (int k = 0; k < l->nstream; k++) {
        const ch_stream *st = &l->stream[k];
        LLVMValueRef copy = l->copy[ins_index(l, st->zext)];
        LLVMTypeRef i64 = LLVMTypeOf(copy);
        LLVMValueRef at = LLVMGetFirstInstruction(head);
        while (LLVMIsAPHINode(at)) at = LLVMGetNextInstruction(at);
        LLVMPositionBuilderBefore(b, at);
        LLVMValueRef q = LLVMBuildPhi(b, i64, "hoist.addr");
        LLVMPositionBuilderBefore(b, LLVMGetBasicBlockTerminator(latch));
        LLVMValueRef next = LLVMBuildAdd(b, q, LLVMConstInt(i64, (uint64_t)st->d, 1), "");
        LLVMSetNSW(next, true); /* first + k*d stays within [-2^62, 2^63) */
        LLVMValueRef vals[2] = {st->first, next};
        LLVMBasicBlockRef froms[2] = {range, latch};
        LLVMAddIncoming(q, vals, froms, 2);
        LLVMReplaceAllUsesWith(copy, q);
        LLVMInstructionEraseFromParent(copy);
        l->copy[ins_index(l, st->zext)] = q;
    }
}

static void version(ch_loop *l, LLVMBuilderRef b) {
    for (int k = 0; k < l->n; k++) exit_phi_for(l, l->ins[k], b);
    LLVMValueRef ok;
    LLVMBasicBlockRef range = range_block(l, b, &ok);
    build_fast(l, range, b);
    stream_phis(l, range, b);
    exit_incoming(l);
    sweep_copy(l);
    LLVMPositionBuilderAtEnd(b, range);
    branch_likely(LLVMBuildCondBr(b, ok, l->copy_block[0], l->head));
}

static bool loop_match(ch_loop *l, LLVMBasicBlockRef head) {
    memset(l, 0, sizeof *l);
    if (!frame_chain(l, head) || l->ncheck == 0 || !frame_insns(l) || !frame_exit(l)) return false;
    for (int k = 0; k < l->ncheck; k++)
        if (!cond_ok(l, LLVMGetCondition(l->check[k].br), l->check[k].on_true, CH_DEPTH)) return false;
    return exit_uses_ok(l);
}

size_t check_hoist_function(LLVMValueRef fn) {
    unsigned nblocks = LLVMCountBasicBlocks(fn);
    if (!nblocks) return 0;
    /* the blocks as they are now: the copies added on the way are not visited */
    LLVMBasicBlockRef *blocks = malloc(nblocks * sizeof *blocks);
    ch_loop *l = malloc(sizeof *l);
    size_t done = 0;
    if (blocks && l) {
        LLVMGetBasicBlocks(fn, blocks);
        LLVMBuilderRef b = LLVMCreateBuilderInContext(LLVMGetTypeContext(LLVMTypeOf(fn)));
        for (unsigned k = 0; k < nblocks; k++)
            if (loop_match(l, blocks[k])) version(l, b), done++;
        LLVMDisposeBuilder(b);
    }
    free(blocks);
    free(l);
    return done;
}

size_t check_hoist_module(LLVMModuleRef mod) {
    size_t done = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        done += check_hoist_function(fn);
    return done;
}
