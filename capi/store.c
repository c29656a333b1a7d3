/* store.c - configuration, engine and store; the reference counting, host
 * info and conversions every runtime object shares; foreign objects. */
#include <stdlib.h>
#include <string.h>

#include "capi.h"

/* ---- config and engine ------------------------------------------------------ */

wasm_config_t *wasm_config_new(void) { return calloc(1, sizeof(wasm_config_t)); }
void wasm_config_delete(wasm_config_t *c) { free(c); }

/* Guard pages where the runtime turns faults into traps, as `kiln run`. */
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define CAPI_EXPLICIT_BOUNDS false
#else
#define CAPI_EXPLICIT_BOUNDS true
#endif

wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *config) {
    wasm_config_delete(config);
    wasm_engine_t *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    pthread_mutex_init(&e->lock, NULL);
    e->compile.opt_level = 2;
    e->compile.prefix = "kiln_wasm";
    e->compile.explicit_bounds = CAPI_EXPLICIT_BOUNDS;
    e->compile.jobs = 1;
    const char *no_cache = getenv("KILN_WASM_NO_CACHE");
    e->no_cache = no_cache && *no_cache && strcmp(no_cache, "0") != 0;
    return e;
}

wasm_engine_t *wasm_engine_new(void) { return wasm_engine_new_with_config(wasm_config_new()); }

void wasm_engine_delete(wasm_engine_t *e) {
    if (!e) return;
    adapters_free(e->adapters);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

load_options engine_load_options(const wasm_engine_t *e) {
    return (load_options){.compile = &e->compile, .no_cache = e->no_cache, .want_image = true};
}

/* ---- store ----------------------------------------------------------------------- */

wasm_store_t *wasm_store_new(wasm_engine_t *engine) {
    wasm_store_t *s = calloc(1, sizeof *s);
    if (s) s->engine = engine;
    return s;
}

void wasm_store_delete(wasm_store_t *s) {
    if (!s) return;
    for (size_t i = 0; i < s->num_pins; i++) {
        s->pins[i]->pinned = false;
        obj_release(s->pins[i]);
    }
    free(s->pins);
    host_free_all(s->hosts);
    free(s);
}

/* ---- objects ---------------------------------------------------------------------- */

void obj_init(capi_obj *o, capi_kind kind, wasm_store_t *store) {
    o->kind = (uint8_t)kind;
    o->pinned = false;
    atomic_init(&o->refs, 1);
    o->store = store;
    o->host_info = NULL;
    o->finalizer = NULL;
}

void *obj_retain(const capi_obj *o) {
    atomic_fetch_add(&((capi_obj *)o)->refs, 1);
    return (void *)o;
}

static void obj_drop(capi_obj *o) {
    switch (o->kind) {
    case CAPI_FUNC: func_drop((wasm_func_t *)o); break;
    case CAPI_GLOBAL:
    case CAPI_TABLE:
    case CAPI_MEMORY: extern_drop(o); break;
    case CAPI_INSTANCE: instance_drop((wasm_instance_t *)o); break;
    case CAPI_MODULE: compiled_release(((wasm_module_t *)o)->c); break;
    case CAPI_TRAP: trap_drop((wasm_trap_t *)o); break;
    default: break;
    }
    free(o);
}

void obj_release(capi_obj *o) {
    if (!o || atomic_fetch_sub(&o->refs, 1) != 1) return;
    if (o->finalizer) o->finalizer(o->host_info);
    obj_drop(o);
}

void obj_pin(capi_obj *o) {
    wasm_store_t *s = o ? o->store : NULL;
    if (!s || o->pinned) return;
    if (ptr_push((void ***)&s->pins, &s->num_pins, &s->cap_pins, o)) {
        o->pinned = true;
        obj_retain(o);
    }
}

const void *obj_identity(const capi_obj *o) {
    if (o && o->kind == CAPI_FUNC) return ((const wasm_func_t *)o)->ref;
    return o;
}

/* delete, copy, same and host info of every reference type. */
#define REF_BASE_DEFINE(name)                                                                  \
    void wasm_##name##_delete(wasm_##name##_t *p) { obj_release((capi_obj *)p); }              \
    wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *p) {                            \
        return p ? obj_retain((const capi_obj *)p) : NULL;                                     \
    }                                                                                          \
    bool wasm_##name##_same(const wasm_##name##_t *a, const wasm_##name##_t *b) {              \
        return obj_identity((const capi_obj *)a) == obj_identity((const capi_obj *)b);         \
    }                                                                                          \
    void *wasm_##name##_get_host_info(const wasm_##name##_t *p) {                              \
        return ((const capi_obj *)p)->host_info;                                               \
    }                                                                                          \
    void wasm_##name##_set_host_info(wasm_##name##_t *p, void *info) {                         \
        wasm_##name##_set_host_info_with_finalizer(p, info, NULL);                             \
    }                                                                                          \
    void wasm_##name##_set_host_info_with_finalizer(wasm_##name##_t *p, void *info,            \
                                                    void (*finalizer)(void *)) {               \
        ((capi_obj *)p)->host_info = info;                                                     \
        ((capi_obj *)p)->finalizer = finalizer;                                                \
    }

/* The same plus the conversions to and from wasm_ref_t; IS_KIND(kind)
 * says whether an object of that capi_kind is a `name`. */
#define REF_DEFINE(name, IS_KIND)                                                              \
    REF_BASE_DEFINE(name)                                                                      \
    wasm_ref_t *wasm_##name##_as_ref(wasm_##name##_t *p) { return (wasm_ref_t *)p; }           \
    const wasm_ref_t *wasm_##name##_as_ref_const(const wasm_##name##_t *p) {                   \
        return (const wasm_ref_t *)p;                                                          \
    }                                                                                          \
    wasm_##name##_t *wasm_ref_as_##name(wasm_ref_t *r) {                                       \
        return r && IS_KIND(r->obj.kind) ? (wasm_##name##_t *)r : NULL;                        \
    }                                                                                          \
    const wasm_##name##_t *wasm_ref_as_##name##_const(const wasm_ref_t *r) {                   \
        return r && IS_KIND(r->obj.kind) ? (const wasm_##name##_t *)r : NULL;                  \
    }

#define IS_FUNC(k) ((k) == CAPI_FUNC)
#define IS_GLOBAL(k) ((k) == CAPI_GLOBAL)
#define IS_TABLE(k) ((k) == CAPI_TABLE)
#define IS_MEMORY(k) ((k) == CAPI_MEMORY)
#define IS_EXTERN(k) ((k) <= CAPI_MEMORY)
#define IS_INSTANCE(k) ((k) == CAPI_INSTANCE)
#define IS_MODULE(k) ((k) == CAPI_MODULE)
#define IS_FOREIGN(k) ((k) == CAPI_FOREIGN)
#define IS_TRAP(k) ((k) == CAPI_TRAP)

REF_BASE_DEFINE(ref)
REF_DEFINE(func, IS_FUNC)
REF_DEFINE(global, IS_GLOBAL)
REF_DEFINE(table, IS_TABLE)
REF_DEFINE(memory, IS_MEMORY)
REF_DEFINE(extern, IS_EXTERN)
REF_DEFINE(instance, IS_INSTANCE)
REF_DEFINE(module, IS_MODULE)
REF_DEFINE(foreign, IS_FOREIGN)
REF_DEFINE(trap, IS_TRAP)

/* ---- externs: funcs, globals, tables and memories viewed as one ------------------ */

#define EXTERN_CASTS(name, KIND)                                                               \
    wasm_extern_t *wasm_##name##_as_extern(wasm_##name##_t *p) { return (wasm_extern_t *)p; }  \
    const wasm_extern_t *wasm_##name##_as_extern_const(const wasm_##name##_t *p) {             \
        return (const wasm_extern_t *)p;                                                       \
    }                                                                                          \
    wasm_##name##_t *wasm_extern_as_##name(wasm_extern_t *e) {                                 \
        return e && e->obj.kind == KIND ? (wasm_##name##_t *)e : NULL;                         \
    }                                                                                          \
    const wasm_##name##_t *wasm_extern_as_##name##_const(const wasm_extern_t *e) {             \
        return e && e->obj.kind == KIND ? (const wasm_##name##_t *)e : NULL;                   \
    }

EXTERN_CASTS(func, CAPI_FUNC)
EXTERN_CASTS(global, CAPI_GLOBAL)
EXTERN_CASTS(table, CAPI_TABLE)
EXTERN_CASTS(memory, CAPI_MEMORY)

wasm_externkind_t wasm_extern_kind(const wasm_extern_t *e) {
    switch (e->obj.kind) {
    case CAPI_FUNC: return WASM_EXTERN_FUNC;
    case CAPI_GLOBAL: return WASM_EXTERN_GLOBAL;
    case CAPI_TABLE: return WASM_EXTERN_TABLE;
    default: return WASM_EXTERN_MEMORY;
    }
}

wasm_externtype_t *wasm_extern_type(const wasm_extern_t *e) {
    switch (e->obj.kind) {
    case CAPI_FUNC: return &wasm_func_type((const wasm_func_t *)e)->ext;
    case CAPI_GLOBAL: return &wasm_global_type((const wasm_global_t *)e)->ext;
    case CAPI_TABLE: return &wasm_table_type((const wasm_table_t *)e)->ext;
    default: return &wasm_memory_type((const wasm_memory_t *)e)->ext;
    }
}

/* ---- foreign objects: host values wasm holds as externrefs ----------------------- */

wasm_foreign_t *wasm_foreign_new(wasm_store_t *store) {
    wasm_foreign_t *f = malloc(sizeof *f);
    if (f) obj_init(&f->obj, CAPI_FOREIGN, store);
    return f;
}
