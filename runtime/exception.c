/* exception.c - wasm exceptions: throwing, matching, lifetime, and what
 * leaves a call uncaught.
 *
 * A throw raises the exception object as an _Unwind_Exception with
 * libgcc's unwinder, as a *forced* unwind (_Unwind_ForcedUnwind): there
 * is no search phase, and the personality of generated code
 * (__gcc_personality_v0) enters every landing pad on the way, whose
 * dispatch code takes the exception or resumes the unwind
 * (compiler/lower_exn.c).  The stop function below watches every frame:
 * once the unwind reaches the frame of the innermost host entry
 * (trap_protect), nothing in wasm took the exception, and the call ends
 * with KILN_TRAP_EXCEPTION by the same jump a trap takes.
 *
 * Lifetime: an exception lives until a catch clause that does not keep
 * it takes it (catch, catch_all, or a legacy catch that cannot rethrow
 * it) or it leaves the call uncaught.  One kept as an exnref (catch_ref,
 * catch_all_ref, a legacy catch that may rethrow) is held by every
 * instance that kept it (a hold in the instance's list, counted in
 * `owners`): a kept exception that is thrown again (throw_ref, rethrow)
 * and kept by a caller in another instance is held by both.  When an
 * instance is freed it lets go of its holds, and an exception no
 * instance holds is freed, unless the instance could have handed exnrefs
 * to code that holds none: its module has a function type with an
 * exception reference among its parameters or results (calls, returns
 * and tag payloads carry exnrefs between instances), or imports or
 * exports a global or table of one (module_exnref_reach, compiler/module.c:
 * BEYOND_INSTANCE).  Exceptions held by such an instance
 * are never freed (they may be in another instance's global, table or
 * frame; a reference count on every copy would cost every local.set of
 * an exnref).  Until 5 December every kept exception was freed with the
 * instance that caught it, and one stored in another instance's global
 * was a use after free there.
 *
 * The bound: what an instance's holds keep alive (the exception and the
 * hold, counted when the hold is made) may not pass its exn_limit, and
 * what instances of the second kind hold, never freed, may not pass the
 * process's escaped_limit (counted for good, since it is never given
 * back).  The catch that would pass either traps with
 * KILN_TRAP_EXCEPTION_LIMIT instead of keeping the exception: without
 * it, `loop (try_table (catch_all_ref 0) (throw $t)) drop br 0` grew the
 * host by ~100 bytes per iteration past every limit the embedder set.
 * An exception held by two instances counts in both: each bound is on
 * what that instance keeps alive. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "runtime.h"

/* "KILNWASM": what the unwinder tells foreign personalities. */
static const _Unwind_Exception_Class EXN_CLASS = 0x4b494c4e5741534dull;

struct kiln_exn {
    struct _Unwind_Exception unwind; /* first: the unwinder's pointer is ours */
    const kiln_tag_inst *tag;
    _Atomic uint32_t owners;         /* instances holding it (kept as an exnref) */
    uint32_t count;
    kiln_val values[];
};

/* One instance's hold on a kept exception (kiln_instance.exns). */
struct exn_hold {
    kiln_exn *exn;
    exn_hold *next;
};

typedef struct uncaught {
    const kiln_tag_inst *tag;
    kiln_val *values;
    uint32_t count;
    bool set;
} uncaught;

static _Thread_local uncaught last;

static bool exn_kept(kiln_exn *e) { return atomic_load(&e->owners) != 0; }

void exn_holds_release(kiln_instance *inst) {
    exn_hold *list = inst->exns;
    while (list) {
        exn_hold *next = list->next;
        if (!inst->exn_escapes && atomic_fetch_sub(&list->exn->owners, 1) == 1) free(list->exn);
        free(list);
        list = next;
    }
    inst->exns = NULL;
}

kiln_instance *exn_instance(const void *exnref) { return ((const kiln_exn *)exnref)->tag->owner; }

/* ---- the bound (see Lifetime above) --------------------------------------------- */

static _Atomic uint64_t escaped_bytes;
static _Atomic uint64_t escaped_limit = KILN_EXCEPTION_PROCESS_BYTES_DEFAULT;

void kiln_exception_process_limit_set(uint64_t bytes) { atomic_store(&escaped_limit, bytes); }

uint64_t kiln_instance_exception_bytes(const kiln_instance *inst) { return inst->exn_bytes; }

/* An instance's own bound: the embedder's, or its memory cap, or the
 * default. */
static uint64_t exn_limit_of(const kiln_instance_limits *lim) {
    if (lim && lim->max_exception_bytes) return lim->max_exception_bytes;
    if (!lim || lim->max_memory_pages == KILN_NO_LIMIT) return KILN_EXCEPTION_BYTES_DEFAULT;
    if (lim->max_memory_pages >= UINT64_MAX / KILN_PAGE_SIZE) return KILN_NO_LIMIT;
    uint64_t bytes = lim->max_memory_pages * KILN_PAGE_SIZE;
    return bytes < KILN_PAGE_SIZE ? KILN_PAGE_SIZE : bytes;
}

void exn_limit_init(kiln_instance *inst, const kiln_instance_limits *lim) {
    inst->exn_limit = exn_limit_of(lim);
    inst->exn_escapes = module_exnref_reach(inst->module) == KILN_EXNREF_BEYOND_INSTANCE;
}

/* What keeping `e` costs the host: the object and one hold. */
static uint64_t exn_cost(const kiln_exn *e) {
    return sizeof *e + sizeof(kiln_val) * e->count + sizeof(exn_hold);
}

/* Adds `n` bytes to the never-freed total unless that passes its bound. */
static bool escaped_charge(uint64_t n) {
    uint64_t old = atomic_load(&escaped_bytes);
    do {
        uint64_t limit = atomic_load(&escaped_limit);
        if (old > limit || n > limit - old) return false;
    } while (!atomic_compare_exchange_weak(&escaped_bytes, &old, old + n));
    return true;
}

static bool exn_fits(const kiln_instance *inst, uint64_t n) {
    return inst->exn_bytes <= inst->exn_limit && n <= inst->exn_limit - inst->exn_bytes;
}

/* Counts a new hold of `e` by `inst`; false (nothing counted) if that
 * would pass a bound. */
static bool exn_charge(kiln_instance *inst, const kiln_exn *e) {
    uint64_t n = exn_cost(e);
    if (!exn_fits(inst, n)) return false;
    if (inst->exn_escapes && !escaped_charge(n)) return false;
    inst->exn_bytes += n;
    return true;
}

/* A catch that cannot keep `e` traps; `e` is freed unless kept already
 * (taken by this catch, nothing else sees it). */
static _Noreturn void keep_fail(kiln_vmctx *ctx, kiln_exn *e, uint32_t kind) {
    if (kind == KILN_TRAP_HOST) kiln_host_trap_message("out of memory keeping an exception");
    if (!exn_kept(e)) free(e);
    kiln_rt_trap(ctx, kind);
}

/* ---- frames: exceptions kept by closed modules ------------------------------------ *
 *
 * compiler/lower_exn.c (Frames) says which exceptions come here and why
 * they may go when the frame that kept them has: one stack per thread,
 * kiln_rt_exn_top entries, each an owner of its exception charged to the
 * instance that kept it.  Generated code reads the top at entry, passes
 * it back at each catch (what lies above it is from frames already gone)
 * and releases to it on leaving; trap_protect releases to the top it
 * found at each host entry. */

typedef struct kept_entry {
    kiln_exn *exn;
    kiln_instance *inst;
    bool slot; /* a legacy catch's: replaced when the catch is entered again */
} kept_entry;

__attribute__((tls_model("initial-exec"))) _Thread_local uint64_t kiln_rt_exn_top;
static _Thread_local kept_entry *kept;
static _Thread_local uint64_t kept_cap;

static void entry_drop(const kept_entry *k, const kiln_exn *spare) {
    k->inst->exn_bytes -= exn_cost(k->exn);
    if (atomic_fetch_sub(&k->exn->owners, 1) == 1 && k->exn != spare) free(k->exn);
}

/* Releases the entries at and above `top`; `spare` (the exception being
 * caught, which the unwinder brought here) is not freed: its catch keeps
 * or frees it. */
static void kept_release(uint64_t top, const kiln_exn *spare) {
    while (kiln_rt_exn_top > top) entry_drop(&kept[--kiln_rt_exn_top], spare);
}

uint64_t exn_frames_mark(void) { return kiln_rt_exn_top; }

void exn_frames_release(uint64_t mark) {
    kept_release(mark, NULL);
    if (kiln_rt_exn_top == 0 && kept_cap > 64) { /* a thread that kept many gives them back */
        free(kept);
        kept = NULL;
        kept_cap = 0;
    }
}

void kiln_rt_exn_release(kiln_vmctx *ctx, uint64_t mark) {
    (void)ctx;
    kept_release(mark, NULL);
}

static bool kept_grow(void) {
    uint64_t cap = kept_cap ? kept_cap * 2 : 64;
    kept_entry *k = realloc(kept, sizeof *k * cap);
    if (!k) return false;
    kept = k;
    kept_cap = cap;
    return true;
}

static void kept_push(kiln_vmctx *ctx, kiln_exn *e, bool slot) {
    kiln_instance *inst = ctx->instance;
    if (kiln_rt_exn_top == kept_cap && !kept_grow()) keep_fail(ctx, e, KILN_TRAP_HOST);
    if (!exn_charge(inst, e)) keep_fail(ctx, e, KILN_TRAP_EXCEPTION_LIMIT);
    kept[kiln_rt_exn_top++] = (kept_entry){e, inst, slot};
    atomic_fetch_add(&e->owners, 1);
}

/* A legacy catch's entry takes its new exception: the previous one is
 * named by nothing any more (lower_exn.c, Frames). */
static void kept_replace(kiln_vmctx *ctx, kept_entry *k, kiln_exn *e) {
    if (k->exn == e) return;
    kiln_instance *inst = k->inst;
    uint64_t old = exn_cost(k->exn), cost = exn_cost(e);
    if (cost > old && !exn_fits(inst, cost - old)) keep_fail(ctx, e, KILN_TRAP_EXCEPTION_LIMIT);
    atomic_fetch_add(&e->owners, 1);
    kept_entry prev = *k;
    inst->exn_bytes += cost;
    k->exn = e;
    entry_drop(&prev, e);
}

uint64_t kiln_rt_exn_keep(kiln_vmctx *ctx, void *exn, uint64_t top, int64_t *slot) {
    kiln_exn *e = exn;
    kept_release(top, e);
    uint64_t at = kiln_rt_exn_top;
    if (slot && *slot >= 0 && (uint64_t)*slot < at && kept[*slot].slot &&
        kept[*slot].inst == ctx->instance) {
        kept_replace(ctx, &kept[*slot], e);
        return at;
    }
    /* Kept just below already (a throw_ref caught again): that entry lives
     * as long as this frame, unless a legacy catch may replace it. */
    if (!slot && at && kept[at - 1].exn == e && !kept[at - 1].slot) return at;
    kept_push(ctx, e, slot != NULL);
    if (slot) *slot = (int64_t)at;
    return at + 1;
}

/* What kiln_exception() reports, copied: the exception itself may be an
 * instance's (kept) or is freed now. */
static void uncaught_record(kiln_exn *e) {
    kiln_val *copy = e->count ? malloc(sizeof *copy * e->count) : NULL;
    free(last.values);
    last = (uncaught){e->tag, copy, copy ? e->count : 0, true};
    if (copy) memcpy(copy, e->values, sizeof *copy * e->count);
    if (!exn_kept(e)) free(e);
}

/* Called for every frame the unwind is about to leave (and at the end of
 * the stack): the first frame at or above the entry ends the unwind. */
static _Unwind_Reason_Code exn_stop(int version, _Unwind_Action actions,
                                    _Unwind_Exception_Class cls, struct _Unwind_Exception *ue,
                                    struct _Unwind_Context *ctx, void *arg) {
    (void)version, (void)cls, (void)arg;
    if ((actions & _UA_END_OF_STACK) || _Unwind_GetCFA(ctx) > trap_entry_frame()) {
        uncaught_record((kiln_exn *)ue);
        trap_exception();
    }
    return _URC_NO_REASON;
}

static void exn_cleanup(_Unwind_Reason_Code reason, struct _Unwind_Exception *ue) {
    (void)reason, (void)ue; /* never called: the stop function ends every unwind */
}

static _Noreturn void exn_raise(kiln_exn *e) {
    memset(&e->unwind, 0, sizeof e->unwind);
    e->unwind.exception_class = EXN_CLASS;
    e->unwind.exception_cleanup = exn_cleanup;
    _Unwind_ForcedUnwind(&e->unwind, exn_stop, NULL);
    /* Only an unwinder failure returns: no frame information at all. */
    uncaught_record(e);
    trap_exception();
}

void kiln_rt_throw(kiln_vmctx *ctx, uint32_t tag, const kiln_val *values) {
    const kiln_tag_inst *t = ctx->instance->tags[tag];
    kiln_exn *e = malloc(sizeof *e + sizeof(kiln_val) * t->num_params);
    if (!e) {
        kiln_host_trap_message("out of memory allocating an exception");
        kiln_rt_trap(ctx, KILN_TRAP_HOST);
    }
    e->tag = t;
    atomic_init(&e->owners, 0);
    e->count = t->num_params;
    if (t->num_params) memcpy(e->values, values, sizeof(kiln_val) * t->num_params);
    exn_raise(e);
}

void kiln_rt_throw_ref(kiln_vmctx *ctx, void *exn) {
    if (!exn) kiln_rt_trap(ctx, KILN_TRAP_NULL_REFERENCE);
    exn_raise(exn);
}

int32_t kiln_rt_exn_is(kiln_vmctx *ctx, void *exn, uint32_t tag) {
    return ((kiln_exn *)exn)->tag == ctx->instance->tags[tag];
}

kiln_val *kiln_rt_exn_values(kiln_vmctx *ctx, void *exn) {
    (void)ctx;
    return ((kiln_exn *)exn)->values;
}

void kiln_rt_exn_drop(kiln_vmctx *ctx, void *exn, uint64_t top) {
    (void)ctx;
    kiln_exn *e = exn;
    kept_release(top, e);
    if (!exn_kept(e)) free(e);
}

static bool exn_held_by(const kiln_instance *inst, const kiln_exn *e) {
    for (const exn_hold *h = inst->exns; h; h = h->next)
        if (h->exn == e) return true;
    return false;
}

/* A kept exception that comes back (throw_ref) is usually the newest
 * hold, first in the list. */
void kiln_rt_exn_capture(kiln_vmctx *ctx, void *exn, uint64_t top) {
    kiln_exn *e = exn;
    kiln_instance *inst = ctx->instance;
    kept_release(top, e);
    if (exn_kept(e) && exn_held_by(inst, e)) return;
    exn_hold *h = malloc(sizeof *h);
    if (!h || !exn_charge(inst, e)) {
        uint32_t kind = h ? KILN_TRAP_EXCEPTION_LIMIT : KILN_TRAP_HOST;
        free(h);
        keep_fail(ctx, e, kind);
    }
    *h = (exn_hold){e, inst->exns};
    inst->exns = h;
    atomic_fetch_add(&e->owners, 1);
}

bool kiln_exception(const kiln_tag_inst **tag, const kiln_val **values, uint32_t *count) {
    if (!last.set) return false;
    if (tag) *tag = last.tag;
    if (values) *values = last.values;
    if (count) *count = last.count;
    return true;
}

bool kiln_tag_signature(const kiln_tag_inst *tag, kiln_signature *out) {
    return tag && type_lookup(tag->type_id, out);
}
