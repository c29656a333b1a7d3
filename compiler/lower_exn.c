/* lower_exn.c - exception handling: throw, throw_ref, try_table and the
 * legacy try/catch/catch_all/rethrow/delegate.
 *
 * Mechanism (docs/architecture.md, "Exception handling"): native
 * zero-cost unwinding.  `throw` calls kiln_rt_throw, which raises an
 * _Unwind_Exception with libgcc's unwinder.  Inside a try or try_table
 * every call is an `invoke` whose unwind edge goes to the handler's
 * landing pad: a `cleanup` pad of libgcc's own C personality
 * (__gcc_personality_v0, which enters every cleanup pad during a forced
 * unwind).  The pad jumps to the handler's dispatch code, which compares
 * the exception's tag with each catch clause in order (kiln_rt_exn_is)
 * and branches to the clause's label with the payload, or passes the
 * exception on: to the next enclosing handler of the same function, or
 * out of it with `resume`.  Code outside any handler has no landing
 * pads at all, so functions without try blocks cost nothing.
 *
 * Kept exceptions in a closed module (no exnref in any function type,
 * global or table: see `Frames` below) are released when the frame that
 * kept them is gone; elsewhere they are held by the instance
 * (runtime/exception.c, Lifetime). */
#include <string.h>

#include "lower_internal.h"

/* ---- handlers ------------------------------------------------------------- */

static LLVMTypeRef pad_type(lower_module *lm) {
    LLVMTypeRef fields[2] = {lm->t.ptr, lm->t.i32};
    return LLVMStructTypeInContext(lm->ctx, fields, 2, 0);
}

static LLVMValueRef personality(lower_module *lm) {
    if (!lm->personality) {
        LLVMTypeRef ty = LLVMFunctionType(lm->t.i32, NULL, 0, 1);
        lm->personality = LLVMAddFunction(lm->mod, "__gcc_personality_v0", ty);
    }
    return lm->personality;
}

static lower_handler *handler_new(lower_func *lf, lower_ctrl *c, const kiln_insn *insn) {
    lower_handler *h = arena_zalloc(lf->scratch, sizeof *h);
    if (!h) return lower_fail(lf, "out of memory"), NULL;
    h->active = true;
    h->insn = insn;
    h->dispatch = lower_block_new(lf, "exn.dispatch");
    LLVMBuilderRef b = lf->lm->b;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(b);
    LLVMPositionBuilderAtEnd(b, h->dispatch);
    h->exn = LLVMBuildPhi(b, lf->lm->t.ptr, "exn");
    LLVMPositionBuilderAtEnd(b, saved);
    c->handler = h;
    return h;
}

/* Jumps from the current block to handler `h` with exception `exn`. */
static void handler_enter(lower_func *lf, lower_handler *h, LLVMValueRef exn) {
    LLVMBasicBlockRef from = LLVMGetInsertBlock(lf->lm->b);
    LLVMAddIncoming(h->exn, &exn, &from, 1);
    LLVMBuildBr(lf->lm->b, h->dispatch);
    h->used = true;
}

/* The landing pad of `h`: every invoke inside it shares this one. */
static LLVMBasicBlockRef handler_pad(lower_func *lf, lower_handler *h) {
    if (h->pad) return h->pad;
    lower_module *lm = lf->lm;
    LLVMSetPersonalityFn(lf->fn, personality(lm));
    h->pad = lower_block_new(lf, "exn.pad");
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(lm->b);
    LLVMPositionBuilderAtEnd(lm->b, h->pad);
    LLVMValueRef lp = LLVMBuildLandingPad(lm->b, pad_type(lm), personality(lm), 0, "");
    LLVMSetCleanup(lp, 1);
    handler_enter(lf, h, LLVMBuildExtractValue(lm->b, lp, 0, ""));
    LLVMPositionBuilderAtEnd(lm->b, saved);
    return h->pad;
}

/* A frame's own handler, or the one its push found below it: frames below
 * the top never change (only the top frame's handler is switched off, at
 * its catch, delegate or end), so that answer stays right, and a call
 * nested 100,000 blocks deep does not walk them all (quadratic lowering
 * before 5 December). */
lower_handler *exn_handler_below(const lower_func *lf, uint32_t top) {
    if (top >= lf->depth) return NULL;
    const lower_ctrl *c = &lf->ctrl[top];
    return c->handler && c->handler->active ? c->handler : c->outer_handler;
}

LLVMBasicBlockRef exn_unwind_dest(lower_func *lf) {
    lower_handler *h = lf->depth ? exn_handler_below(lf, lf->depth - 1) : NULL;
    return h ? handler_pad(lf, h) : NULL;
}

/* An exception no clause here takes: on to the handler in frames
 * [0, top], or out of the function (the unwinder goes on). */
static void exn_pass_on(lower_func *lf, uint32_t top, LLVMValueRef exn) {
    lower_handler *outer = exn_handler_below(lf, top);
    if (outer) {
        handler_enter(lf, outer, exn);
        return;
    }
    lower_module *lm = lf->lm;
    LLVMValueRef agg = LLVMGetPoison(pad_type(lm));
    agg = LLVMBuildInsertValue(lm->b, agg, exn, 0, "");
    agg = LLVMBuildInsertValue(lm->b, agg, lower_const_i32(lm, 0), 1, "");
    LLVMBuildResume(lm->b, agg);
}

static uint32_t frame_index(const lower_func *lf, const lower_ctrl *c) {
    return (uint32_t)(c - lf->ctrl);
}

/* ---- frames: what a kept exception outlives ---------------------------------- */

/* Why the exceptions a closed module keeps can be released with the
 * frame that kept them (docs/architecture.md, Lifetime of exception
 * objects):
 *
 * A module is closed when no function type (so no parameter, result or
 * tag payload) has an exception reference in it, and no global or table
 * (defined or imported) holds one (module_exnref_reach: IN_FRAME).  Then
 * an exnref value exists only in the locals and operands of the frame
 * that made it: catch_ref and catch_all_ref push it onto that frame's
 * operand stack, from where local.set, block results and branches move it
 * within the frame, and no instruction moves it anywhere else (a call
 * takes no exnref argument and returns none, global.set and table.set
 * take none, a tail call passes none).  A legacy catch's exception is
 * named only by rethrows in the catch's own body.  So when the frame is
 * gone (returned, tail-called, unwound or trapped past), nothing names
 * its kept exceptions but the unwinder, which may carry one of them
 * (throw_ref, rethrow) to a catch further up.
 *
 * The runtime keeps them on a stack per thread (kiln_rt_exn_top entries;
 * instances of one group never run on two threads at once).  Each
 * function with a handler reads the top at entry into its own `exn.top`;
 * a clause that keeps pushes above it and moves `exn.top` up.  Entries
 * above a frame's `exn.top` belong to frames it called, so:
 *  - a function that keeps restores the top it found (`exn.mark`) at every
 *    return and before every tail call (exn_frame_end): its callees have
 *    restored theirs or been unwound;
 *  - every clause that takes an exception first releases what lies above
 *    its frame's `exn.top` (kiln_rt_exn_drop/_capture/_keep): those frames
 *    were unwound by this very exception, which is spared (a released
 *    exception the unwinder carries is not freed: the clause keeps or
 *    frees it);
 *  - each host entry (trap_protect) restores the top it found, after a
 *    trap or an uncaught exception as after a return.
 * An exception on the stack is counted once per entry (owners), so one
 * kept by two frames, or by a frame and an instance, lives until both let
 * go.  A legacy catch that rethrows reuses one entry per catch and frame
 * (its `exn.slot`): entering the catch again means its body, the only
 * place that names the previous exception, was left, so a C++ loop of
 * try/catch keeps one exception, not one per iteration.  What a frame
 * keeps in a loop with catch_ref stays until the frame goes (the values
 * may still be in its locals), up to the instance's bound. */

/* The module is closed (above): its exnrefs stay in their frame
 * (module_exnref_reach, asked once per module). */
static bool module_exn_closed(lower_module *lm) {
    if (!lm->exn_scope) lm->exn_scope = (uint8_t)(1 + module_exnref_reach(lm->m));
    return lm->exn_scope == 1 + KILN_EXNREF_IN_FRAME;
}

static bool catch_rethrows(lower_func *lf, uint32_t at);

/* Whether the function has a handler, and whether a clause of it keeps
 * its exception (catch_ref, catch_all_ref, a legacy catch that rethrows). */
static void func_catches(lower_func *lf, bool *handles, bool *keeps) {
    const kiln_module *m = lf->lm->m;
    *handles = *keeps = false;
    for (uint32_t i = 0; i < lf->f->num_insns; i++) {
        const kiln_insn *in = &lf->f->insns[i];
        if (in->op == KILN_OP_TRY) *handles = true;
        if (in->op == KILN_OP_TRY_TABLE) {
            *handles = true;
            const kiln_catch *k = &m->catches[in->imm.try_table.first_catch];
            for (uint32_t c = 0; c < in->imm.try_table.num_catches; c++)
                *keeps |= k[c].kind == KILN_CATCH_REF || k[c].kind == KILN_CATCH_ALL_REF;
        }
        if ((in->op == KILN_OP_CATCH || in->op == KILN_OP_CATCH_ALL) && catch_rethrows(lf, i))
            *keeps = true;
    }
}

/* kiln_rt_exn_top, the thread's top of kept exceptions. */
static LLVMValueRef kept_top_load(lower_module *lm) {
    LLVMValueRef g = lower_runtime_tls(lm, "kiln_rt_exn_top");
    LLVMValueRef top = LLVMBuildLoad2(lm->b, lm->t.i64, g, "exn.mark");
    LLVMSetAlignment(top, 8);
    return top;
}

/* An i64 alloca in the entry block holding `init` (made by `make` there). */
static LLVMValueRef entry_i64(lower_func *lf, LLVMValueRef (*make)(lower_module *), uint64_t init,
                              const char *name, LLVMValueRef *made) {
    LLVMBuilderRef b = lf->lm->b;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(b);
    LLVMPositionBuilderBefore(b, LLVMGetBasicBlockTerminator(lf->entry_bb));
    LLVMValueRef v = make ? make(lf->lm) : lower_const_i64(lf->lm, init);
    LLVMValueRef a = LLVMBuildAlloca(b, lf->lm->t.i64, name);
    LLVMBuildStore(b, v, a);
    LLVMPositionBuilderAtEnd(b, saved);
    if (made) *made = v;
    return a;
}

void exn_frame_begin(lower_func *lf) {
    bool handles, keeps;
    if (!lf->lm->may_unwind) return;
    func_catches(lf, &handles, &keeps);
    if (!handles || lf->failed) return;
    LLVMValueRef mark;
    lf->exn_top = entry_i64(lf, kept_top_load, 0, "exn.top", &mark);
    if (keeps && module_exn_closed(lf->lm)) lf->exn_mark = mark;
}

void exn_frame_end(lower_func *lf) {
    if (!lf->exn_mark) return;
    lower_module *lm = lf->lm;
    LLVMValueRef moved = LLVMBuildICmp(lm->b, LLVMIntNE, kept_top_load(lm), lf->exn_mark, "");
    LLVMBasicBlockRef release = lower_block_new(lf, "exn.release");
    LLVMBasicBlockRef done = lower_block_new(lf, "exn.released");
    LLVMBuildCondBr(lm->b, moved, release, done);
    LLVMPositionBuilderAtEnd(lm->b, release);
    lower_rt_call(lf, LOWER_RT_EXN_RELEASE, &lf->exn_mark, 1);
    LLVMBuildBr(lm->b, done);
    LLVMPositionBuilderAtEnd(lm->b, done);
}

/* A clause takes `exn`: what frames above this one kept goes, then `exn`
 * is kept (on the thread's stack in a closed module, at `slot` for a
 * legacy catch; by the instance otherwise) or freed. */
static void exn_take(lower_func *lf, LLVMValueRef exn, bool keep, LLVMValueRef slot) {
    lower_module *lm = lf->lm;
    LLVMValueRef top = LLVMBuildLoad2(lm->b, lm->t.i64, lf->exn_top, "");
    LLVMValueRef args[3] = {exn, top, slot ? slot : LLVMConstNull(lm->t.ptr)};
    if (!keep) {
        lower_rt_call(lf, LOWER_RT_EXN_DROP, args, 2);
    } else if (!lf->exn_mark) {
        lower_rt_call(lf, LOWER_RT_EXN_CAPTURE, args, 2);
    } else {
        LLVMBuildStore(lm->b, lower_rt_call(lf, LOWER_RT_EXN_KEEP, args, 3), lf->exn_top);
    }
}

/* ---- payloads ---------------------------------------------------------------- */

static const kiln_functype *tag_type(const lower_module *lm, uint32_t tag) {
    return &lm->m->types[lm->m->tags[tag].type_index];
}

/* Loads the payload of `exn` (of tag `tag`) into vals[0..n). */
static uint32_t payload_load(lower_func *lf, LLVMValueRef exn, uint32_t tag, LLVMValueRef *vals) {
    lower_module *lm = lf->lm;
    const kiln_functype *t = tag_type(lm, tag);
    if (!t->num_params) return 0;
    LLVMValueRef slots = lower_rt_call(lf, LOWER_RT_EXN_VALUES, &exn, 1);
    for (uint32_t i = 0; i < t->num_params; i++) {
        LLVMValueRef p = lower_byte_gep(lf, slots, lower_const_i64(lm, (uint64_t)i * sizeof(kiln_val)));
        vals[i] = lower_load(lf, lower_valtype(lm, t->params[i]), p, 16, LOWER_TBAA_SLOT, false);
    }
    return t->num_params;
}

/* A slot array in the entry block (never a growing stack in loops). */
static LLVMValueRef slots_alloca(lower_func *lf, uint32_t n) {
    LLVMBuilderRef b = lf->lm->b;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(b);
    LLVMPositionBuilderBefore(b, LLVMGetBasicBlockTerminator(lf->entry_bb));
    LLVMValueRef a = LLVMBuildAlloca(b, LLVMArrayType(lf->lm->t.i8, n * (unsigned)sizeof(kiln_val)), "exn.slots");
    LLVMSetAlignment(a, 16);
    LLVMPositionBuilderAtEnd(b, saved);
    return a;
}

/* ---- throw, throw_ref, rethrow -------------------------------------------------- */

/* A noreturn runtime call that may unwind: an invoke inside a handler. */
static void raise_call(lower_func *lf, lower_rt id, LLVMValueRef *args, unsigned n) {
    LLVMTypeRef ty;
    LLVMValueRef fn = lower_rt_decl(lf->lm, id, &ty);
    LLVMValueRef all[4] = {lf->vmctx};
    for (unsigned i = 0; i < n; i++) all[i + 1] = args[i];
    lower_call_build(lf, ty, fn, all, n + 1);
    LLVMBuildUnreachable(lf->lm->b);
    lf->dead = true;
}

static void throw_lower(lower_func *lf, uint32_t tag) {
    lower_module *lm = lf->lm;
    const kiln_functype *t = tag_type(lm, tag);
    LLVMValueRef slots = t->num_params ? slots_alloca(lf, t->num_params) : LLVMConstNull(lm->t.ptr);
    for (uint32_t i = t->num_params; i-- > 0;) {
        LLVMValueRef p = lower_byte_gep(lf, slots, lower_const_i64(lm, (uint64_t)i * sizeof(kiln_val)));
        lower_store(lf, lower_pop(lf), p, 16, LOWER_TBAA_SLOT);
    }
    LLVMValueRef args[2] = {lower_const_i32(lm, tag), slots};
    raise_call(lf, LOWER_RT_THROW, args, 2);
}

static void throw_ref_lower(lower_func *lf) {
    LLVMValueRef exn = lower_pop(lf);
    raise_call(lf, LOWER_RT_THROW_REF, &exn, 1);
}

static void rethrow_lower(lower_func *lf, uint32_t label) {
    LLVMValueRef exn = lf->ctrl[lf->depth - 1 - label].caught;
    raise_call(lf, LOWER_RT_THROW_REF, &exn, 1);
}

/* ---- try_table ---------------------------------------------------------------- */

static void try_table_lower(lower_func *lf, const kiln_insn *insn) {
    lower_ctrl *c = lower_ctrl_push(lf, insn, LOWER_CTRL_TRY_TABLE);
    if (c) handler_new(lf, c, insn);
}

/* The exception goes to the label with its payload and/or itself; one
 * that is not kept as an exnref is freed here. */
static void catch_clause_build(lower_func *lf, const lower_ctrl *c, const kiln_catch *k,
                               LLVMValueRef exn) {
    LLVMValueRef vals[KILN_MAX_FUNC_PARAMS + 1];
    uint32_t n = 0;
    if (k->kind == KILN_CATCH || k->kind == KILN_CATCH_REF) n = payload_load(lf, exn, k->tag, vals);
    bool ref = k->kind == KILN_CATCH_REF || k->kind == KILN_CATCH_ALL_REF;
    exn_take(lf, exn, ref, NULL);
    if (ref) vals[n++] = exn;
    lower_ctrl *target = &lf->ctrl[frame_index(lf, c) - 1 - k->label];
    LLVMBuildBr(lf->lm->b, lower_branch_values(lf, target, vals, n));
}

/* A test of `exn` against tag `tag`: continues in the matching block
 * (returned) or, at the builder's position, in the next test. */
static LLVMBasicBlockRef tag_test(lower_func *lf, LLVMValueRef exn, uint32_t tag) {
    lower_module *lm = lf->lm;
    LLVMValueRef args[2] = {exn, lower_const_i32(lm, tag)};
    LLVMValueRef is = lower_rt_call(lf, LOWER_RT_EXN_IS, args, 2);
    LLVMBasicBlockRef match = lower_block_new(lf, "exn.match");
    LLVMBasicBlockRef next = lower_block_new(lf, "exn.next");
    LLVMBuildCondBr(lm->b, LLVMBuildICmp(lm->b, LLVMIntNE, is, lower_const_i32(lm, 0), ""), match,
                    next);
    LLVMPositionBuilderAtEnd(lm->b, next);
    return match;
}

static void try_table_dispatch(lower_func *lf, lower_ctrl *c) {
    lower_handler *h = c->handler;
    const kiln_insn *insn = h->insn;
    LLVMBuilderRef b = lf->lm->b;
    const kiln_catch *k = &lf->lm->m->catches[insn->imm.try_table.first_catch];
    LLVMPositionBuilderAtEnd(b, h->dispatch);
    for (uint32_t i = 0; i < insn->imm.try_table.num_catches; i++) {
        if (k[i].kind >= KILN_CATCH_ALL) {
            catch_clause_build(lf, c, &k[i], h->exn);
            return;
        }
        LLVMBasicBlockRef match = tag_test(lf, h->exn, k[i].tag);
        LLVMBasicBlockRef next = LLVMGetInsertBlock(b);
        LLVMPositionBuilderAtEnd(b, match);
        catch_clause_build(lf, c, &k[i], h->exn);
        LLVMPositionBuilderAtEnd(b, next);
    }
    exn_pass_on(lf, frame_index(lf, c) - 1, h->exn);
}

/* A handler nothing reached: its dispatch block goes. */
static void handler_drop(lower_handler *h) {
    LLVMInstructionEraseFromParent(h->exn);
    LLVMDeleteBasicBlock(h->dispatch);
}

/* ---- legacy try ----------------------------------------------------------------- */

static void try_lower(lower_func *lf, const kiln_insn *insn) {
    lower_ctrl *c = lower_ctrl_push(lf, insn, LOWER_CTRL_TRY);
    if (!c || !handler_new(lf, c, insn)) return;
    c->next_index = insn->imm.block.else_index;
    c->handler->test = c->handler->dispatch;
}

static bool opens_frame(uint16_t op) {
    return op == KILN_OP_BLOCK || op == KILN_OP_LOOP || op == KILN_OP_IF || op == KILN_OP_TRY ||
           op == KILN_OP_TRY_TABLE;
}

/* Marks (lf->catch_keeps) every legacy catch whose body rethrows the
 * exception it caught: only then must the exception outlive the catch's
 * entry.  One pass over the body, each open frame remembering the catch
 * it is in; scanning each catch's body instead was quadratic in the
 * nesting of catches inside catches. */
static bool catch_keeps_mark(lower_func *lf) {
    uint32_t n = lf->f->num_insns, none = UINT32_MAX, depth = 0;
    lf->catch_keeps = arena_zalloc(lf->scratch, n ? n : 1);
    uint32_t *in_catch = arena_array(lf->scratch, lf->ctrl_cap, sizeof *in_catch);
    if (!lf->catch_keeps || !in_catch) return lower_fail(lf, "out of memory"), false;
    for (uint32_t i = 0; i < n; i++) {
        const kiln_insn *in = &lf->f->insns[i];
        if (opens_frame(in->op) && depth < lf->ctrl_cap) in_catch[depth++] = none;
        else if ((in->op == KILN_OP_CATCH || in->op == KILN_OP_CATCH_ALL) && depth)
            in_catch[depth - 1] = i;
        else if ((in->op == KILN_OP_END || in->op == KILN_OP_DELEGATE) && depth) depth--;
        else if (in->op == KILN_OP_RETHROW && in->imm.index < depth &&
                 in_catch[depth - 1 - in->imm.index] != none)
            lf->catch_keeps[in_catch[depth - 1 - in->imm.index]] = true;
    }
    return true;
}

static bool catch_rethrows(lower_func *lf, uint32_t at) {
    if (!lf->catch_keeps && !catch_keeps_mark(lf)) return false;
    return lf->catch_keeps[at];
}

/* `catch x` / `catch_all`: the previous part ends; its handler stops
 * covering calls, and the new part is entered from the dispatch chain
 * (or is dead when no call or throw could reach the handler). */
static void catch_lower(lower_func *lf, const kiln_insn *insn, uint32_t index) {
    lower_ctrl *c = &lf->ctrl[lf->depth - 1];
    lower_handler *h = c->handler;
    if (!lf->dead) lower_fallthrough(lf, c);
    h->active = false;
    lf->sp = c->height;
    c->next_index = insn->imm.pair.b;
    if (!h->used || !h->test) {
        lf->dead = true; /* nothing can be caught here */
        return;
    }
    LLVMBuilderRef b = lf->lm->b;
    LLVMPositionBuilderAtEnd(b, h->test);
    LLVMBasicBlockRef body;
    if (insn->op == KILN_OP_CATCH) {
        body = tag_test(lf, h->exn, insn->imm.pair.a);
        h->test = LLVMGetInsertBlock(b);
    } else {
        body = lower_block_new(lf, "catch");
        LLVMBuildBr(b, body);
        h->test = NULL;
    }
    LLVMPositionBuilderAtEnd(b, body);
    LLVMValueRef vals[KILN_MAX_FUNC_PARAMS];
    uint32_t n = insn->op == KILN_OP_CATCH ? payload_load(lf, h->exn, insn->imm.pair.a, vals) : 0;
    bool keep = catch_rethrows(lf, index);
    LLVMValueRef slot = NULL; /* no entry yet: -1 */
    if (keep && lf->exn_mark) slot = entry_i64(lf, NULL, UINT64_MAX, "exn.slot", NULL);
    exn_take(lf, h->exn, keep, slot);
    c->caught = h->exn;
    for (uint32_t i = 0; i < n; i++) lower_push(lf, vals[i]);
    lf->dead = false;
}

/* The end of the catch chain: an exception no clause took goes on. */
static void try_dispatch_finish(lower_func *lf, lower_ctrl *c) {
    lower_handler *h = c->handler;
    h->active = false;
    if (!h->used) {
        handler_drop(h);
        return;
    }
    if (!h->test) return;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(lf->lm->b);
    LLVMPositionBuilderAtEnd(lf->lm->b, h->test);
    exn_pass_on(lf, frame_index(lf, c) - 1, h->exn);
    h->test = NULL;
    if (saved) LLVMPositionBuilderAtEnd(lf->lm->b, saved);
}

/* `delegate l`: the try ends, and what its handler catches goes to the
 * handler of label l (counted outside the try) or further out. */
static void delegate_lower(lower_func *lf, uint32_t label) {
    lower_ctrl *c = &lf->ctrl[lf->depth - 1];
    lower_handler *h = c->handler;
    h->active = false;
    if (h->used) {
        LLVMBasicBlockRef saved = LLVMGetInsertBlock(lf->lm->b);
        LLVMPositionBuilderAtEnd(lf->lm->b, h->dispatch);
        exn_pass_on(lf, frame_index(lf, c) - 1 - label, h->exn);
        LLVMPositionBuilderAtEnd(lf->lm->b, saved);
    } else {
        handler_drop(h);
    }
    c->handler = NULL;
    lower_end(lf);
}

void exn_end(lower_func *lf, lower_ctrl *c) {
    lower_handler *h = c->handler;
    if (c->kind == LOWER_CTRL_TRY) {
        try_dispatch_finish(lf, c);
        return;
    }
    h->active = false;
    if (!h->used) {
        handler_drop(h);
        return;
    }
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(lf->lm->b);
    try_table_dispatch(lf, c);
    if (saved) LLVMPositionBuilderAtEnd(lf->lm->b, saved);
}

bool exn_lower(lower_func *lf, const kiln_insn *insn) {
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_THROW: throw_lower(lf, insn->imm.index); return true;
    case KILN_OP_THROW_REF: throw_ref_lower(lf); return true;
    case KILN_OP_RETHROW: rethrow_lower(lf, insn->imm.index); return true;
    case KILN_OP_TRY_TABLE: try_table_lower(lf, insn); return true;
    case KILN_OP_TRY: try_lower(lf, insn); return true;
    case KILN_OP_CATCH:
    case KILN_OP_CATCH_ALL: catch_lower(lf, insn, (uint32_t)(insn - lf->f->insns)); return true;
    case KILN_OP_DELEGATE: delegate_lower(lf, insn->imm.index); return true;
    default: return false;
    }
}
