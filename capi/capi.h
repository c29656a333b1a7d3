/* capi.h - private interface between the files of libkiln_wasm, the
 * standard wasm-c-api (include/wasm.h) over kiln.
 *
 * Every runtime object (func, global, table, memory, instance, module,
 * foreign, trap) starts with a capi_obj: a reference count, the store it
 * belongs to and the host info.  A wasm_xxx_t pointer *is* the object, so
 * wasm_xxx_copy() takes a reference and returns the same pointer, and
 * wasm_xxx_delete() drops one; the last one runs the host-info finalizer
 * and frees the object.  wasm_ref_t and wasm_extern_t are views of the
 * same pointers.
 *
 * Values cross into kiln as kiln_val slots: an externref is the capi_obj
 * pointer itself (pinned to its store while wasm may hold it, see
 * obj_pin), a funcref is the kiln_func_ref of a wasm_func_t.  Host
 * functions get a kiln_func_ref of their own from a tiny module compiled
 * once per signature, which imports a function of that signature and
 * exports it again (func.c, engine_adapter). */
#ifndef KILN_CAPI_H
#define KILN_CAPI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"
#include "load.h"
#include "module.h"
#include "wasm.h"

typedef enum capi_kind {
    CAPI_FUNC,
    CAPI_GLOBAL,
    CAPI_TABLE,
    CAPI_MEMORY,
    CAPI_INSTANCE,
    CAPI_MODULE,
    CAPI_FOREIGN,
    CAPI_TRAP,
} capi_kind;

typedef struct capi_obj {
    uint8_t kind;  /* capi_kind */
    bool pinned;   /* the store holds a reference (obj_pin) */
    atomic_int refs;
    wasm_store_t *store;
    void *host_info;
    void (*finalizer)(void *);
} capi_obj;

struct wasm_ref_t { capi_obj obj; };
struct wasm_extern_t { capi_obj obj; };
struct wasm_foreign_t { capi_obj obj; };

/* ---- store.c: engine, store, objects ----------------------------------- */
typedef struct capi_adapter capi_adapter; /* a compiled module for one host signature */
void adapters_free(capi_adapter *a);      /* func.c */

struct wasm_config_t { int unused; };

struct wasm_engine_t {
    pthread_mutex_t lock; /* adapters are compiled on demand, from any thread */
    capi_adapter *adapters;
    kiln_compile_options compile;
    bool no_cache;
};

typedef struct capi_host capi_host;

struct wasm_store_t {
    wasm_engine_t *engine;
    capi_host *hosts;  /* host function closures: freed with the store */
    capi_obj **pins;   /* objects wasm may hold as externrefs */
    size_t num_pins, cap_pins;
};

void obj_init(capi_obj *o, capi_kind kind, wasm_store_t *store);
void *obj_retain(const capi_obj *o);
void obj_release(capi_obj *o);
/* Keeps `o` alive until its store goes: wasm may hold it as an externref. */
void obj_pin(capi_obj *o);
/* What _same compares: a func's kiln_func_ref, or the object itself. */
const void *obj_identity(const capi_obj *o);
/* The load options for a compile with the engine's settings. */
load_options engine_load_options(const wasm_engine_t *e);

/* ---- module.c ---------------------------------------------------------------- */
/* A compiled module, shared by module objects of any store and thread. */
typedef struct capi_compiled {
    atomic_int refs;
    uint8_t *bytes; /* the wasm binary (names in `m` point into it) */
    size_t size;
    kiln_module *m; /* decoded and validated: imports, exports, types */
    loaded_library lib;
} capi_compiled;

struct wasm_module_t {
    capi_obj obj;
    capi_compiled *c;
};
struct wasm_shared_module_t { capi_compiled *c; };

/* Decodes and validates `bytes` (copied); NULL if invalid. */
capi_compiled *compiled_decode(const uint8_t *bytes, size_t size);
void compiled_release(capi_compiled *c);

/* ---- types.c ------------------------------------------------------------------ */
struct wasm_valtype_t { wasm_valkind_t kind; };
struct wasm_externtype_t { wasm_externkind_t kind; };
struct wasm_functype_t {
    wasm_externtype_t ext;
    wasm_valtype_vec_t params, results;
};
struct wasm_globaltype_t {
    wasm_externtype_t ext;
    wasm_valtype_t *content;
    wasm_mutability_t mutability;
};
struct wasm_tabletype_t {
    wasm_externtype_t ext;
    wasm_valtype_t *element;
    wasm_limits_t limits;
};
struct wasm_memorytype_t {
    wasm_externtype_t ext;
    wasm_limits_t limits;
};
struct wasm_importtype_t {
    wasm_name_t module, name;
    wasm_externtype_t *type;
};
struct wasm_exporttype_t {
    wasm_name_t name;
    wasm_externtype_t *type;
};

/* v128 has no wasm_valkind_t in wasm.h; kiln reports it as 4, the number
 * Wasmtime's extension gives WASM_V128.  No v128 value crosses the API. */
#define CAPI_V128 4
uint8_t valkind_to_kiln(wasm_valkind_t k);
/* False if a type has a v128 (or unknown) value. */
bool valtypes_plain(const wasm_valtype_vec_t *v);
wasm_valkind_t valkind_from_kiln(uint8_t t);
wasm_valtype_vec_t valtypes_from_kiln(uint32_t n, const uint8_t *types);
/* kiln codes of a vector of valtypes (malloc'ed; NULL only when out of memory) */
uint8_t *valtypes_to_kiln(const wasm_valtype_vec_t *v);
wasm_functype_t *functype_from_signature(const kiln_signature *sig);
wasm_limits_t limits_from_kiln(const kiln_limits *l);
/* The type of entity `index` of kind `kind` (kiln_extern_kind) of `m`. */
wasm_externtype_t *externtype_of_entity(const kiln_module *m, uint8_t kind, uint32_t index);
wasm_externkind_t externkind_from_kiln(uint8_t kind);

/* ---- func.c: functions, calls, values, traps ------------------------------- */
struct capi_host {
    wasm_store_t *store;
    wasm_func_callback_t callback;
    wasm_func_callback_with_env_t callback_env;
    void *env;
    void (*finalizer)(void *);
    wasm_functype_t *type;
    capi_host *next;
};
void host_free_all(capi_host *h);
void func_drop(wasm_func_t *f);

struct wasm_func_t {
    capi_obj obj;
    const kiln_func_ref *ref;
    kiln_instance *owner;       /* a reference on the instance `ref` belongs to */
    wasm_instance_t *instance;  /* the instance that exported it, if any (retained) */
};
/* A new func object for a funcref wasm gave out (NULL for NULL). */
wasm_func_t *func_from_ref(wasm_store_t *store, const kiln_func_ref *ref,
                           wasm_instance_t *instance);

/* wasm_val_t <-> kiln_val.  To kiln: externrefs are pinned, funcrefs must
 * be funcs.  From kiln: references are new (owned) references. */
kiln_val val_to_kiln(const wasm_val_t *v, uint8_t type);
wasm_val_t val_from_kiln(wasm_store_t *store, uint8_t type, kiln_val v);
/* A reference wasm gave out, as an owned wasm_ref_t (elem_type: funcref or externref). */
wasm_ref_t *ref_from_kiln(wasm_store_t *store, uint8_t elem_type, void *ref);
/* A reference for wasm as `type` (funcref: a func's kiln_func_ref, NULL for
 * anything else; externref: the object, pinned). */
void *ref_to_kiln(wasm_ref_t *ref, uint8_t type);

struct wasm_frame_t {
    wasm_instance_t *instance;
    uint32_t func_index;
};
struct wasm_trap_t {
    capi_obj obj;
    char *message;
    wasm_frame_vec_t trace;
};
/* A trap from kiln's last trap on this thread: its message and backtrace.
 * Frames of `module` get `instance`. */
wasm_trap_t *trap_from_kiln(wasm_store_t *store, const char *message,
                            const kiln_module_desc *module, wasm_instance_t *instance);
/* A trap with a message and no frames. */
wasm_trap_t *trap_text(wasm_store_t *store, const char *text);
void trap_drop(wasm_trap_t *t);

/* ---- extern.c: globals, tables, memories ----------------------------------- */
struct wasm_global_t {
    capi_obj obj;
    kiln_global_inst *g;
    kiln_globaltype type;
    wasm_instance_t *instance; /* the exporting instance (retained), or NULL: ours */
};
struct wasm_table_t {
    capi_obj obj;
    kiln_table *t;
    kiln_tabletype type;
    wasm_instance_t *instance;
};
struct wasm_memory_t {
    capi_obj obj;
    kiln_memory *m;
    kiln_memtype type;
    wasm_instance_t *instance;
};
void extern_drop(capi_obj *o);
/* kiln's view of an extern (what an import is bound to). */
kiln_extern extern_to_kiln(const wasm_extern_t *e);
/* A new object for an export of `inst` (kind and type from `m`). */
wasm_extern_t *extern_from_export(wasm_instance_t *inst, const kiln_module *m,
                                  const kiln_export *ex, kiln_extern value);

/* ---- instance.c ---------------------------------------------------------------- */
struct wasm_instance_t {
    capi_obj obj;
    kiln_instance *inst;
    capi_compiled *c;
};
void instance_drop(wasm_instance_t *i);

/* ---- vec.c ---------------------------------------------------------------------- */
/* Grows-by-doubling array of pointers, for lists the library keeps. */
bool ptr_push(void ***items, size_t *count, size_t *cap, void *item);

#endif
