/* call.c - calls across the host/wasm boundary, both directions.
 *
 * Host -> wasm: kiln_call() runs the funcref's trampoline (which unpacks
 * the slots and calls the typed code) under trap_protect().
 * Wasm -> host: an import thunk packs its arguments into slots and calls
 * kiln_rt_call_host() with the host closure the runtime put in the
 * funcref's ctx.  A trap kind returned by the callback traps the caller.
 * Both directions take part in interrupts (signals.c): entries are
 * tracked per thread, and a pending interrupt traps at the entry or when
 * the host function returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

enum { SMALL_ARGS = 16 };

/* A host function may return a reference of another group (one it got
 * from another instance): its caller may keep it, so the groups join
 * (group.c).  Only for functions with such results, known at import. */
static void results_join(const host_closure *c, const kiln_val *results) {
    kiln_signature sig;
    if (type_lookup(c->type_id, &sig))
        group_join_values(c->caller->group, sig.results, results, sig.num_results);
}

void kiln_rt_call_host(void *closure, kiln_val *slots) {
    const host_closure *c = closure;
    /* Results overwrite the argument slots, so hand the callback a copy. */
    kiln_val small[SMALL_ARGS];
    kiln_val *args = small;
    if (c->num_params > SMALL_ARGS) {
        args = malloc(sizeof *args * c->num_params);
        if (!args) {
            kiln_host_trap_message("out of memory calling a host function");
            kiln_rt_trap(NULL, KILN_TRAP_HOST);
        }
    }
    memcpy(args, slots, sizeof *args * c->num_params);
    trap_host_message_reset();
    uint32_t kind = c->callback(c->env, c->caller, args, slots);
    if (args != small) free(args);
    if (kind != KILN_TRAP_NONE) kiln_rt_trap(NULL, kind);
    if (c->results_name_instances) results_join(c, slots);
    /* The interrupt signal may have arrived while the host function ran;
     * this is where it comes back to wasm. */
    if (interrupt_requested()) kiln_rt_trap(NULL, KILN_TRAP_INTERRUPTED);
}

void host_trampoline(void *code, void *ctx, kiln_val *slots) {
    (void)code;
    kiln_rt_call_host(ctx, slots);
}

kiln_instance *funcref_owner(const kiln_func_ref *f) {
    if (f->trampoline == host_trampoline) return ((const host_closure *)f->ctx)->caller;
    return ((const kiln_vmctx *)f->ctx)->instance;
}

kiln_instance *kiln_func_instance(const kiln_func_ref *f) {
    if (!f) return NULL;
    kiln_instance *inst = funcref_owner(f);
    instance_retain(inst);
    return inst;
}

typedef struct call_args {
    const kiln_func_ref *f;
    kiln_val *slots;
} call_args;

static void call_run(void *p) {
    call_args *a = p;
    a->f->trampoline(a->f->code, a->f->ctx, a->slots);
}

/* The callee may keep a reference the host passes it, of whatever group:
 * the groups join before it runs (group.c). */
static void args_join(kiln_instance *callee, uint32_t type_id, const kiln_val *args) {
    kiln_signature sig;
    if (type_lookup(type_id, &sig)) group_join_values(callee->group, sig.params, args, sig.num_params);
}

/* The call is tracked as a call into the instance that owns `f` (the
 * one kiln_instance_interrupt must name), whatever `inst` says. */
uint32_t kiln_call(kiln_instance *inst, const kiln_func_ref *f, kiln_val *slots) {
    (void)inst;
    if (!f) {
        trap_message_set("null function reference");
        return KILN_TRAP_NULL_REFERENCE;
    }
    uint32_t bad = 0;
    bool names_instances;
    if (!type_args_fit(f->type_id, slots, &bad, &names_instances)) {
        static _Thread_local char text[96];
        snprintf(text, sizeof text, "argument %u is not a reference of the parameter's type", bad);
        trap_message_set(text);
        return KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH;
    }
    kiln_instance *owner = funcref_owner(f);
    if (names_instances) args_join(owner, f->type_id, slots);
    call_args a = {f, slots};
    kiln_thread *t = kiln_thread_current();
    uint32_t kind = KILN_TRAP_INTERRUPTED;
    if (interrupt_enter(t, owner)) kind = trap_protect(call_run, &a);
    else trap_message_set(kiln_trap_kind_text(KILN_TRAP_INTERRUPTED));
    interrupt_leave(t, owner);
    return kind;
}
