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
 * catch_all_ref, a legacy catch that may rethrow) belongs to the instance
 * that caught it and is freed with that instance: exnrefs can be stored
 * in globals and tables, and a reference count on every copy would cost
 * every local.set of an exnref. */
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "runtime.h"

/* "KILNWASM": what the unwinder tells foreign personalities. */
static const _Unwind_Exception_Class EXN_CLASS = 0x4b494c4e5741534dull;

struct kiln_exn {
    struct _Unwind_Exception unwind; /* first: the unwinder's pointer is ours */
    const kiln_tag_inst *tag;
    kiln_exn *next;                  /* in its instance's list once kept */
    bool kept;
    uint32_t count;
    kiln_val values[];
};

typedef struct uncaught {
    const kiln_tag_inst *tag;
    kiln_val *values;
    uint32_t count;
    bool set;
} uncaught;

static _Thread_local uncaught last;

void exn_list_free(kiln_exn *list) {
    while (list) {
        kiln_exn *next = list->next;
        free(list);
        list = next;
    }
}

/* What kiln_exception() reports, copied: the exception itself may be an
 * instance's (kept) or is freed now. */
static void uncaught_record(kiln_exn *e) {
    kiln_val *copy = e->count ? malloc(sizeof *copy * e->count) : NULL;
    free(last.values);
    last = (uncaught){e->tag, copy, copy ? e->count : 0, true};
    if (copy) memcpy(copy, e->values, sizeof *copy * e->count);
    if (!e->kept) free(e);
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
    e->next = NULL;
    e->kept = false;
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

void kiln_rt_exn_drop(kiln_vmctx *ctx, void *exn) {
    (void)ctx;
    kiln_exn *e = exn;
    if (!e->kept) free(e);
}

void kiln_rt_exn_capture(kiln_vmctx *ctx, void *exn) {
    kiln_exn *e = exn;
    if (e->kept) return;
    e->kept = true;
    e->next = ctx->instance->exns;
    ctx->instance->exns = e;
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
