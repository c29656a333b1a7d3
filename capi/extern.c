/* extern.c - globals, tables and memories: made by the host (kiln's
 * standalone objects) or exported by an instance (kept alive by a
 * reference on the instance object). */
#include <stdlib.h>
#include <string.h>

#include "capi.h"

static void *extern_alloc(size_t size, capi_kind kind, wasm_store_t *store) {
    capi_obj *o = calloc(1, size);
    if (o) obj_init(o, kind, store);
    return o;
}

static wasm_instance_t *instance_keep(wasm_instance_t *i) {
    return i ? obj_retain(&i->obj) : NULL;
}

void extern_drop(capi_obj *o) {
    wasm_instance_t *owner = NULL;
    switch (o->kind) {
    case CAPI_GLOBAL: {
        wasm_global_t *g = (wasm_global_t *)o;
        if (!(owner = g->instance)) kiln_global_free(g->g);
        break;
    }
    case CAPI_TABLE: {
        wasm_table_t *t = (wasm_table_t *)o;
        if (!(owner = t->instance)) kiln_table_free(t->t);
        break;
    }
    default: {
        wasm_memory_t *m = (wasm_memory_t *)o;
        if (!(owner = m->instance)) kiln_memory_free(m->m);
        break;
    }
    }
    if (owner) obj_release(&owner->obj);
}

/* ---- globals ------------------------------------------------------------------ */

static wasm_global_t *global_wrap(wasm_store_t *store, kiln_global_inst *g, kiln_globaltype type,
                                  wasm_instance_t *instance) {
    wasm_global_t *out = extern_alloc(sizeof *out, CAPI_GLOBAL, store);
    if (!out) return NULL;
    out->g = g;
    out->type = type;
    out->instance = instance_keep(instance);
    return out;
}

wasm_global_t *wasm_global_new(wasm_store_t *store, const wasm_globaltype_t *type,
                               const wasm_val_t *val) {
    kiln_globaltype kt = {valkind_to_kiln(type->content->kind), type->mutability == WASM_VAR};
    if (!kt.valtype || val->kind != type->content->kind) return NULL;
    kiln_global_inst *g = kiln_global_new(kt.valtype, kt.is_mutable, val_to_kiln(val, kt.valtype));
    wasm_global_t *out = g ? global_wrap(store, g, kt, NULL) : NULL;
    if (g && !out) kiln_global_free(g);
    return out;
}

wasm_globaltype_t *wasm_global_type(const wasm_global_t *g) {
    return wasm_globaltype_new(wasm_valtype_new(valkind_from_kiln(g->type.valtype)),
                               g->type.is_mutable ? WASM_VAR : WASM_CONST);
}

void wasm_global_get(const wasm_global_t *g, wasm_val_t *out) {
    *out = val_from_kiln(g->obj.store, g->type.valtype, kiln_global_get(g->g));
}

/* Wasm cannot set an immutable global, nor store a value of another
 * type: neither can the host (the call does nothing). */
void wasm_global_set(wasm_global_t *g, const wasm_val_t *val) {
    if (!g->type.is_mutable || valkind_to_kiln(val->kind) != g->type.valtype) return;
    kiln_global_set(g->g, val_to_kiln(val, g->type.valtype));
}

/* ---- tables -------------------------------------------------------------------------- */

static wasm_table_t *table_wrap(wasm_store_t *store, kiln_table *t, kiln_tabletype type,
                                wasm_instance_t *instance) {
    wasm_table_t *out = extern_alloc(sizeof *out, CAPI_TABLE, store);
    if (!out) return NULL;
    out->t = t;
    out->type = type;
    out->instance = instance_keep(instance);
    return out;
}

static kiln_limits limits_to_kiln(const wasm_limits_t *l) {
    return (kiln_limits){l->min, l->max, l->max != wasm_limits_max_default};
}

wasm_table_t *wasm_table_new(wasm_store_t *store, const wasm_tabletype_t *type, wasm_ref_t *init) {
    kiln_tabletype kt = {valkind_to_kiln(type->element->kind), limits_to_kiln(&type->limits), false};
    kiln_table *t = kiln_table_new(kt.elem_type, (uint32_t)kt.limits.min, (uint32_t)kt.limits.max,
                                   kt.limits.has_max);
    if (!t) return NULL;
    void *value = ref_to_kiln(init, kt.elem_type);
    for (uint32_t i = 0; value && i < kiln_table_size(t); i++) kiln_table_set(t, i, value);
    wasm_table_t *out = table_wrap(store, t, kt, NULL);
    if (!out) kiln_table_free(t);
    return out;
}

/* The current type: the minimum is the current size. */
wasm_tabletype_t *wasm_table_type(const wasm_table_t *t) {
    kiln_limits now = t->type.limits;
    now.min = kiln_table_size(t->t);
    wasm_limits_t l = limits_from_kiln(&now);
    return wasm_tabletype_new(wasm_valtype_new(valkind_from_kiln(t->type.elem_type)), &l);
}

wasm_ref_t *wasm_table_get(const wasm_table_t *t, wasm_table_size_t index) {
    void *ref;
    if (!kiln_table_get(t->t, index, &ref)) return NULL;
    return ref_from_kiln(t->obj.store, t->type.elem_type, ref);
}

/* A funcref table takes funcs (or NULL) only. */
static bool ref_fits(const wasm_table_t *t, const wasm_ref_t *ref) {
    return !ref || t->type.elem_type != KILN_FUNCREF || ref->obj.kind == CAPI_FUNC;
}

bool wasm_table_set(wasm_table_t *t, wasm_table_size_t index, wasm_ref_t *ref) {
    if (!ref_fits(t, ref) || index >= kiln_table_size(t->t)) return false;
    return kiln_table_set(t->t, index, ref_to_kiln(ref, t->type.elem_type));
}

wasm_table_size_t wasm_table_size(const wasm_table_t *t) { return kiln_table_size(t->t); }

bool wasm_table_grow(wasm_table_t *t, wasm_table_size_t delta, wasm_ref_t *init) {
    if (!ref_fits(t, init)) return false;
    return kiln_table_grow(t->t, delta, ref_to_kiln(init, t->type.elem_type)) >= 0;
}

/* ---- memories ------------------------------------------------------------------------- */

static wasm_memory_t *memory_wrap(wasm_store_t *store, kiln_memory *m, kiln_memtype type,
                                  wasm_instance_t *instance) {
    wasm_memory_t *out = extern_alloc(sizeof *out, CAPI_MEMORY, store);
    if (!out) return NULL;
    out->m = m;
    out->type = type;
    out->instance = instance_keep(instance);
    return out;
}

wasm_memory_t *wasm_memory_new(wasm_store_t *store, const wasm_memorytype_t *type) {
    kiln_memtype kt = {limits_to_kiln(&type->limits), false, false};
    kiln_memory *m = kiln_memory_new(kt.limits.min, kt.limits.max, kt.limits.has_max);
    if (!m) return NULL;
    wasm_memory_t *out = memory_wrap(store, m, kt, NULL);
    if (!out) kiln_memory_free(m);
    return out;
}

wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *m) {
    kiln_limits now = m->type.limits;
    now.min = kiln_memory_size(m->m) / KILN_PAGE_SIZE;
    wasm_limits_t l = limits_from_kiln(&now);
    return wasm_memorytype_new(&l);
}

byte_t *wasm_memory_data(wasm_memory_t *m) { return (byte_t *)kiln_memory_data(m->m); }
size_t wasm_memory_data_size(const wasm_memory_t *m) { return kiln_memory_size(m->m); }

wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *m) {
    return (wasm_memory_pages_t)(kiln_memory_size(m->m) / KILN_PAGE_SIZE);
}

bool wasm_memory_grow(wasm_memory_t *m, wasm_memory_pages_t delta) {
    return kiln_memory_grow(m->m, delta) >= 0;
}

/* ---- to and from kiln --------------------------------------------------------------------- */

kiln_extern extern_to_kiln(const wasm_extern_t *e) {
    kiln_extern k;
    memset(&k, 0, sizeof k);
    switch (e->obj.kind) {
    case CAPI_FUNC:
        k.kind = KILN_EXTERNKIND_FUNC;
        k.of.func = (kiln_func_ref *)((const wasm_func_t *)e)->ref;
        break;
    case CAPI_GLOBAL:
        k.kind = KILN_EXTERNKIND_GLOBAL;
        k.of.global = ((const wasm_global_t *)e)->g;
        break;
    case CAPI_TABLE:
        k.kind = KILN_EXTERNKIND_TABLE;
        k.of.table = ((const wasm_table_t *)e)->t;
        break;
    default:
        k.kind = KILN_EXTERNKIND_MEMORY;
        k.of.memory = ((const wasm_memory_t *)e)->m;
        break;
    }
    return k;
}

wasm_extern_t *extern_from_export(wasm_instance_t *inst, const kiln_module *m,
                                  const kiln_export *ex, kiln_extern value) {
    wasm_store_t *s = inst->obj.store;
    switch (ex->kind) {
    case KILN_EXTERN_FUNC: return (wasm_extern_t *)func_from_ref(s, value.of.func, inst);
    case KILN_EXTERN_GLOBAL: { /* the ABI's codes: (ref $t) is a funcref to hosts */
        kiln_globaltype g = m->globals[ex->index].type;
        g.valtype = module_valtype_abi(m, g.valtype);
        return (wasm_extern_t *)global_wrap(s, value.of.global, g, inst);
    }
    case KILN_EXTERN_TABLE: {
        kiln_tabletype t = m->tables[ex->index];
        t.elem_type = module_valtype_abi(m, t.elem_type);
        return (wasm_extern_t *)table_wrap(s, value.of.table, t, inst);
    }
    default:
        return (wasm_extern_t *)memory_wrap(s, value.of.memory, m->memories[ex->index], inst);
    }
}
