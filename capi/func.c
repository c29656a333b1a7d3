/* func.c - functions: host functions and their adapters, calls, values,
 * traps and frames.
 *
 * A host function needs a kiln_func_ref that wasm can call (through an
 * import, a table or a global) and that kiln_call can call: its code has
 * the typed native signature of a compiled function.  kiln makes such
 * code only when it compiles a module that imports a function of that
 * type (the import thunk), so each signature gets an adapter module,
 *     (module (import "" "f" (func (type 0))) (export "f" (func 0)))
 * compiled once per engine (and cached on disk like any module); every
 * wasm_func_new instantiates it with the callback bound to its import,
 * and the export is the host function's funcref. */
#include <stdlib.h>
#include <string.h>

#include "capi.h"

enum { SMALL_VALS = 16 };

/* ---- values ------------------------------------------------------------------ */

void wasm_val_delete(wasm_val_t *v) {
    if (wasm_valkind_is_ref(v->kind) && v->of.ref) wasm_ref_delete(v->of.ref);
}

void wasm_val_copy(wasm_val_t *out, const wasm_val_t *v) {
    *out = *v;
    if (wasm_valkind_is_ref(v->kind) && v->of.ref) out->of.ref = wasm_ref_copy(v->of.ref);
}

void *ref_to_kiln(wasm_ref_t *ref, uint8_t type) {
    if (!ref) return NULL;
    if (type == KILN_FUNCREF) return ref->obj.kind == CAPI_FUNC ? (void *)((wasm_func_t *)ref)->ref : NULL;
    obj_pin(&ref->obj);
    return ref;
}

wasm_ref_t *ref_from_kiln(wasm_store_t *store, uint8_t type, void *ref) {
    if (!ref) return NULL;
    if (type == KILN_FUNCREF) return (wasm_ref_t *)func_from_ref(store, ref, NULL);
    return obj_retain(ref);
}

kiln_val val_to_kiln(const wasm_val_t *v, uint8_t type) {
    kiln_val out;
    memset(&out, 0, sizeof out);
    switch (v->kind) {
    case WASM_I32: out.i32 = v->of.i32; break;
    case WASM_I64: out.i64 = v->of.i64; break;
    case WASM_F32: out.f32 = v->of.f32; break;
    case WASM_F64: out.f64 = v->of.f64; break;
    case WASM_EXTERNREF:
    case WASM_FUNCREF: out.ref = ref_to_kiln(v->of.ref, type); break;
    default: break; /* v128: no value crosses */
    }
    return out;
}

wasm_val_t val_from_kiln(wasm_store_t *store, uint8_t type, kiln_val v) {
    wasm_val_t out = {.kind = valkind_from_kiln(type)};
    switch (type) {
    case KILN_I32: out.of.i32 = v.i32; break;
    case KILN_I64: out.of.i64 = v.i64; break;
    case KILN_F32: out.of.f32 = v.f32; break;
    case KILN_F64: out.of.f64 = v.f64; break;
    case KILN_FUNCREF:
    case KILN_EXTERNREF: out.of.ref = ref_from_kiln(store, type, v.ref); break;
    default: break; /* v128: no value crosses */
    }
    return out;
}

/* ---- adapters: one compiled module per host signature ---------------------------- */

struct capi_adapter {
    uint8_t *key; /* the adapter module's bytes */
    size_t key_size;
    capi_compiled *c;
    capi_adapter *next;
};

void adapters_free(capi_adapter *a) {
    while (a) {
        capi_adapter *next = a->next;
        compiled_release(a->c);
        free(a->key);
        free(a);
        a = next;
    }
}

typedef struct bytes_out {
    uint8_t *p;
    size_t n, cap;
} bytes_out;

static void put(bytes_out *o, uint8_t b) {
    if (o->n < o->cap) o->p[o->n] = b;
    o->n++;
}

static void put_leb(bytes_out *o, uint32_t v) {
    do {
        uint8_t b = v & 0x7F;
        v >>= 7;
        put(o, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

static void put_types(bytes_out *o, const wasm_valtype_vec_t *v) {
    put_leb(o, (uint32_t)v->size);
    for (size_t i = 0; i < v->size; i++) put(o, valkind_to_kiln(v->data[i]->kind));
}

/* The adapter module of `type`, written into o (o->n is its size even
 * when o->cap was too small). */
static void adapter_write(bytes_out *o, const wasm_functype_t *type) {
    static const uint8_t head[] = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
    static const uint8_t rest[] = {
        0x02, 0x06, 0x01, 0x00, 0x01, 'f', 0x00, 0x00, /* import "" "f" (func (type 0)) */
        0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,       /* export "f" (func 0) */
    };
    for (size_t i = 0; i < sizeof head; i++) put(o, head[i]);
    bytes_out sizing = {NULL, 0, 0};
    put(&sizing, 0x01);
    put(&sizing, 0x60);
    put_types(&sizing, &type->params);
    put_types(&sizing, &type->results);
    put(o, 0x01); /* the type section: one function type */
    put_leb(o, (uint32_t)sizing.n);
    put(o, 0x01);
    put(o, 0x60);
    put_types(o, &type->params);
    put_types(o, &type->results);
    for (size_t i = 0; i < sizeof rest; i++) put(o, rest[i]);
}

static capi_adapter *adapter_find(capi_adapter *a, const uint8_t *key, size_t size) {
    for (; a; a = a->next)
        if (a->key_size == size && memcmp(a->key, key, size) == 0) return a;
    return NULL;
}

static capi_adapter *adapter_build(wasm_engine_t *e, uint8_t *key, size_t size) {
    capi_adapter *a = calloc(1, sizeof *a);
    load_options o = engine_load_options(e);
    o.want_image = false;
    kiln_error err;
    error_clear(&err);
    if (!a || !(a->c = compiled_decode(key, size)) ||
        !library_compile_load(a->c->m, a->c->bytes, a->c->size, &o, &a->c->lib, &err)) {
        if (a) compiled_release(a->c);
        free(a);
        return NULL;
    }
    a->key = key;
    a->key_size = size;
    a->next = e->adapters;
    e->adapters = a;
    return a;
}

/* The engine's adapter for `type`, compiled on first use. */
static capi_compiled *engine_adapter(wasm_engine_t *e, const wasm_functype_t *type) {
    bytes_out o = {NULL, 0, 0};
    adapter_write(&o, type);
    o.p = malloc(o.n);
    if (!o.p) return NULL;
    o.cap = o.n;
    o.n = 0;
    adapter_write(&o, type);
    pthread_mutex_lock(&e->lock);
    capi_adapter *a = adapter_find(e->adapters, o.p, o.n);
    if (a) free(o.p);
    else if (!(a = adapter_build(e, o.p, o.n))) free(o.p);
    pthread_mutex_unlock(&e->lock);
    return a ? a->c : NULL;
}

/* ---- host functions ------------------------------------------------------------------ */

void host_free_all(capi_host *h) {
    while (h) {
        capi_host *next = h->next;
        if (h->finalizer) h->finalizer(h->env);
        wasm_functype_delete(h->type);
        free(h);
        h = next;
    }
}

/* Values in a small array or on the heap. */
static wasm_val_t *vals_alloc(wasm_val_t *small, size_t n) {
    return n <= SMALL_VALS ? small : calloc(n, sizeof(wasm_val_t));
}

static void vals_free(wasm_val_t *v, wasm_val_t *small, size_t n) {
    for (size_t i = 0; v && i < n; i++) wasm_val_delete(&v[i]);
    if (v != small) free(v);
}

static wasm_trap_t *host_run(const capi_host *h, const wasm_val_vec_t *args,
                             wasm_val_vec_t *results) {
    if (h->callback) return h->callback(args, results);
    return h->callback_env(h->env, args, results);
}

/* kiln's host callback of every wasm_func_new function: values across,
 * the callback, values back; a trap it returns traps the wasm caller
 * with its message. */
static uint32_t host_dispatch(void *env, kiln_instance *caller, const kiln_val *args,
                              kiln_val *results) {
    (void)caller;
    const capi_host *h = env;
    const wasm_valtype_vec_t *pt = &h->type->params, *rt = &h->type->results;
    wasm_val_t small_args[SMALL_VALS], small_results[SMALL_VALS];
    wasm_val_t *a = vals_alloc(small_args, pt->size), *r = vals_alloc(small_results, rt->size);
    if (!a || !r) {
        vals_free(a, small_args, 0), vals_free(r, small_results, 0);
        kiln_host_trap_message("out of memory calling a host function");
        return KILN_TRAP_HOST;
    }
    for (size_t i = 0; i < pt->size; i++)
        a[i] = val_from_kiln(h->store, valkind_to_kiln(pt->data[i]->kind), args[i]);
    for (size_t i = 0; i < rt->size; i++) r[i] = (wasm_val_t){.kind = rt->data[i]->kind};
    wasm_val_vec_t av = {pt->size, a}, rv = {rt->size, r};
    wasm_trap_t *trap = host_run(h, &av, &rv);
    if (trap) kiln_host_trap_message(trap->message);
    for (size_t i = 0; !trap && i < rt->size; i++)
        results[i] = val_to_kiln(&r[i], valkind_to_kiln(rt->data[i]->kind));
    wasm_trap_delete(trap);
    vals_free(a, small_args, pt->size);
    vals_free(r, small_results, rt->size);
    return trap ? KILN_TRAP_HOST : KILN_TRAP_NONE;
}

/* The adapter instantiated with `h` bound to its import. */
static kiln_instance *host_instantiate(capi_host *h, const capi_compiled *adapter) {
    kiln_signature sig = {(uint32_t)h->type->params.size, (uint32_t)h->type->results.size,
                          valtypes_to_kiln(&h->type->params), valtypes_to_kiln(&h->type->results)};
    kiln_linker *l = kiln_linker_new();
    kiln_instance *inst = NULL;
    kiln_instantiate_error err;
    if (l && sig.params && sig.results &&
        kiln_linker_define_func(l, "", "f", &sig, host_dispatch, h))
        inst = kiln_instantiate(adapter->lib.desc, l, &err);
    kiln_linker_free(l);
    free((void *)sig.params);
    free((void *)sig.results);
    return inst;
}

static wasm_func_t *func_new_host(wasm_store_t *store, const wasm_functype_t *type,
                                  capi_host proto) {
    if (!valtypes_plain(&type->params) || !valtypes_plain(&type->results)) return NULL;
    capi_host *h = malloc(sizeof *h);
    capi_compiled *adapter = engine_adapter(store->engine, type);
    kiln_instance *inst = NULL;
    kiln_extern e;
    if (!h || !adapter) goto fail;
    *h = proto;
    h->store = store;
    h->type = wasm_functype_copy(type);
    h->next = store->hosts;
    store->hosts = h; /* the adapter instance may outlive the func: freed with the store */
    inst = host_instantiate(h, adapter);
    if (!inst || !kiln_instance_export(inst, "f", &e)) goto fail;
    wasm_func_t *f = func_from_ref(store, e.of.func, NULL);
    kiln_instance_free(inst); /* func_from_ref took its own reference */
    return f;
fail:
    if (!adapter) free(h);
    kiln_instance_free(inst);
    return NULL;
}

wasm_func_t *wasm_func_new(wasm_store_t *store, const wasm_functype_t *type,
                           wasm_func_callback_t callback) {
    return func_new_host(store, type, (capi_host){.callback = callback});
}

wasm_func_t *wasm_func_new_with_env(wasm_store_t *store, const wasm_functype_t *type,
                                    wasm_func_callback_with_env_t callback, void *env,
                                    void (*finalizer)(void *)) {
    return func_new_host(store, type,
                         (capi_host){.callback_env = callback, .env = env, .finalizer = finalizer});
}

/* ---- function objects ------------------------------------------------------------------- */

wasm_func_t *func_from_ref(wasm_store_t *store, const kiln_func_ref *ref,
                           wasm_instance_t *instance) {
    if (!ref) return NULL;
    wasm_func_t *f = malloc(sizeof *f);
    if (!f) return NULL;
    obj_init(&f->obj, CAPI_FUNC, store);
    f->ref = ref;
    f->owner = kiln_func_instance(ref);
    f->instance = instance ? obj_retain(&instance->obj) : NULL;
    return f;
}

void func_drop(wasm_func_t *f) {
    kiln_instance_free(f->owner);
    if (f->instance) obj_release(&f->instance->obj);
}

static kiln_signature func_signature(const wasm_func_t *f) {
    kiln_signature sig = {0, 0, NULL, NULL};
    kiln_func_signature(f->ref, &sig);
    return sig;
}

wasm_functype_t *wasm_func_type(const wasm_func_t *f) {
    kiln_signature sig = func_signature(f);
    return functype_from_signature(&sig);
}

size_t wasm_func_param_arity(const wasm_func_t *f) { return func_signature(f).num_params; }
size_t wasm_func_result_arity(const wasm_func_t *f) { return func_signature(f).num_results; }

wasm_trap_t *trap_text(wasm_store_t *store, const char *text) {
    wasm_message_t m;
    wasm_name_new_from_string_nt(&m, text);
    wasm_trap_t *t = wasm_trap_new(store, &m);
    wasm_name_delete(&m);
    return t;
}

static wasm_trap_t *call_slots(const wasm_func_t *f, const kiln_signature *sig, kiln_val *slots,
                               wasm_val_vec_t *results) {
    if (kiln_call(NULL, f->ref, slots) != KILN_TRAP_NONE) {
        const kiln_module_desc *desc = f->instance ? f->instance->c->lib.desc : NULL;
        return trap_from_kiln(f->obj.store, kiln_trap_message(), desc, f->instance);
    }
    for (size_t i = 0; i < sig->num_results && i < results->size; i++)
        results->data[i] = val_from_kiln(f->obj.store, sig->results[i], slots[i]);
    return NULL;
}

wasm_trap_t *wasm_func_call(const wasm_func_t *f, const wasm_val_vec_t *args,
                            wasm_val_vec_t *results) {
    kiln_signature sig = func_signature(f);
    if (args->size < sig.num_params) return trap_text(f->obj.store, "too few arguments");
    if ((sig.num_params && memchr(sig.params, KILN_V128, sig.num_params)) ||
        (sig.num_results && memchr(sig.results, KILN_V128, sig.num_results)))
        return trap_text(f->obj.store, "v128 arguments and results cannot cross the wasm-c-api");
    size_t n = sig.num_params > sig.num_results ? sig.num_params : sig.num_results;
    kiln_val small[SMALL_VALS];
    kiln_val *slots = n <= SMALL_VALS ? small : calloc(n, sizeof *slots);
    if (!slots) return trap_text(f->obj.store, "out of memory");
    for (size_t i = 0; i < sig.num_params; i++) slots[i] = val_to_kiln(&args->data[i], sig.params[i]);
    wasm_trap_t *trap = call_slots(f, &sig, slots, results);
    if (slots != small) free(slots);
    return trap;
}

/* ---- traps and frames ---------------------------------------------------------------------- */

static wasm_trap_t *trap_alloc(wasm_store_t *store, const char *message, size_t len) {
    wasm_trap_t *t = malloc(sizeof *t);
    if (!t || !(t->message = malloc(len + 1))) {
        free(t);
        return NULL;
    }
    obj_init(&t->obj, CAPI_TRAP, store);
    memcpy(t->message, message, len);
    t->message[len] = 0;
    wasm_frame_vec_new_empty(&t->trace);
    return t;
}

wasm_trap_t *wasm_trap_new(wasm_store_t *store, const wasm_message_t *message) {
    size_t len = message->size;
    if (len && message->data[len - 1] == 0) len--; /* messages are NUL-terminated */
    return trap_alloc(store, message->data ? message->data : "", len);
}

void trap_drop(wasm_trap_t *t) {
    free(t->message);
    wasm_frame_vec_delete(&t->trace);
}

static wasm_frame_t *frame_new(wasm_instance_t *instance, uint32_t func_index) {
    wasm_frame_t *f = malloc(sizeof *f);
    if (f) *f = (wasm_frame_t){instance, func_index};
    return f;
}

wasm_trap_t *trap_from_kiln(wasm_store_t *store, const char *message,
                            const kiln_module_desc *module, wasm_instance_t *instance) {
    wasm_trap_t *t = trap_alloc(store, message, strlen(message));
    const kiln_backtrace *bt = kiln_trap_backtrace();
    if (!t || !bt || !bt->num_frames) return t;
    wasm_frame_vec_new_uninitialized(&t->trace, bt->num_frames);
    for (size_t i = 0; i < t->trace.size; i++) {
        const kiln_frame *k = &bt->frames[i];
        t->trace.data[i] = frame_new(k->module == module ? instance : NULL, k->func_index);
    }
    return t;
}

void wasm_trap_message(const wasm_trap_t *t, wasm_message_t *out) {
    wasm_name_new_from_string_nt(out, t->message);
}

wasm_frame_t *wasm_trap_origin(const wasm_trap_t *t) {
    return t->trace.size ? wasm_frame_copy(t->trace.data[0]) : NULL;
}

void wasm_trap_trace(const wasm_trap_t *t, wasm_frame_vec_t *out) {
    wasm_frame_vec_copy(out, &t->trace);
}

void wasm_frame_delete(wasm_frame_t *f) { free(f); }
wasm_frame_t *wasm_frame_copy(const wasm_frame_t *f) { return frame_new(f->instance, f->func_index); }
wasm_instance_t *wasm_frame_instance(const wasm_frame_t *f) { return f->instance; }
uint32_t wasm_frame_func_index(const wasm_frame_t *f) { return f->func_index; }
/* kiln's backtraces know functions, not instruction offsets. */
size_t wasm_frame_func_offset(const wasm_frame_t *f) { return 0; }
size_t wasm_frame_module_offset(const wasm_frame_t *f) { return 0; }
