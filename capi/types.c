/* types.c - type representations: value, function, global, table, memory,
 * extern, import and export types, and their translation from kiln's. */
#include <stdlib.h>
#include <string.h>

#include "capi.h"

/* ---- value types ----------------------------------------------------------- */

wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind) {
    wasm_valtype_t *t = malloc(sizeof *t);
    if (t) t->kind = kind;
    return t;
}

void wasm_valtype_delete(wasm_valtype_t *t) { free(t); }
wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *t) { return wasm_valtype_new(t->kind); }
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *t) { return t->kind; }

uint8_t valkind_to_kiln(wasm_valkind_t k) {
    switch (k) {
    case WASM_I32: return KILN_I32;
    case WASM_I64: return KILN_I64;
    case WASM_F32: return KILN_F32;
    case WASM_F64: return KILN_F64;
    case WASM_EXTERNREF: return KILN_EXTERNREF;
    case WASM_FUNCREF: return KILN_FUNCREF;
    case CAPI_V128: return KILN_V128;
    default: return 0;
    }
}

wasm_valkind_t valkind_from_kiln(uint8_t t) {
    switch (t) {
    case KILN_I32: return WASM_I32;
    case KILN_I64: return WASM_I64;
    case KILN_F32: return WASM_F32;
    case KILN_F64: return WASM_F64;
    case KILN_EXTERNREF: return WASM_EXTERNREF;
    case KILN_FUNCREF: return WASM_FUNCREF;
    default: return CAPI_V128;
    }
}

bool valtypes_plain(const wasm_valtype_vec_t *v) {
    for (size_t i = 0; i < v->size; i++) {
        uint8_t k = valkind_to_kiln(v->data[i]->kind);
        if (!k || k == KILN_V128) return false;
    }
    return true;
}

wasm_valtype_vec_t valtypes_from_kiln(uint32_t n, const uint8_t *types) {
    wasm_valtype_vec_t v;
    wasm_valtype_vec_new_uninitialized(&v, n);
    for (size_t i = 0; i < v.size; i++) v.data[i] = wasm_valtype_new(valkind_from_kiln(types[i]));
    return v;
}

uint8_t *valtypes_to_kiln(const wasm_valtype_vec_t *v) {
    uint8_t *out = malloc(v->size + 1);
    for (size_t i = 0; out && i < v->size; i++) out[i] = valkind_to_kiln(v->data[i]->kind);
    return out;
}

/* ---- function types ---------------------------------------------------------- */

wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results) {
    wasm_functype_t *t = malloc(sizeof *t);
    if (!t) return NULL;
    t->ext.kind = WASM_EXTERN_FUNC;
    t->params = *params;
    t->results = *results;
    return t;
}

void wasm_functype_delete(wasm_functype_t *t) {
    if (!t) return;
    wasm_valtype_vec_delete(&t->params);
    wasm_valtype_vec_delete(&t->results);
    free(t);
}

wasm_functype_t *wasm_functype_copy(const wasm_functype_t *t) {
    wasm_valtype_vec_t params, results;
    wasm_valtype_vec_copy(&params, &t->params);
    wasm_valtype_vec_copy(&results, &t->results);
    return wasm_functype_new(&params, &results);
}

const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *t) { return &t->params; }
const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *t) { return &t->results; }

wasm_functype_t *functype_from_signature(const kiln_signature *sig) {
    wasm_valtype_vec_t params = valtypes_from_kiln(sig->num_params, sig->params);
    wasm_valtype_vec_t results = valtypes_from_kiln(sig->num_results, sig->results);
    return wasm_functype_new(&params, &results);
}

/* ---- global, table and memory types ------------------------------------------- */

wasm_globaltype_t *wasm_globaltype_new(wasm_valtype_t *content, wasm_mutability_t mutability) {
    wasm_globaltype_t *t = malloc(sizeof *t);
    if (!t) return NULL;
    *t = (wasm_globaltype_t){{WASM_EXTERN_GLOBAL}, content, mutability};
    return t;
}

void wasm_globaltype_delete(wasm_globaltype_t *t) {
    if (!t) return;
    wasm_valtype_delete(t->content);
    free(t);
}

wasm_globaltype_t *wasm_globaltype_copy(const wasm_globaltype_t *t) {
    return wasm_globaltype_new(wasm_valtype_copy(t->content), t->mutability);
}

const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *t) { return t->content; }
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *t) { return t->mutability; }

wasm_tabletype_t *wasm_tabletype_new(wasm_valtype_t *element, const wasm_limits_t *limits) {
    wasm_tabletype_t *t = malloc(sizeof *t);
    if (!t) return NULL;
    *t = (wasm_tabletype_t){{WASM_EXTERN_TABLE}, element, *limits};
    return t;
}

void wasm_tabletype_delete(wasm_tabletype_t *t) {
    if (!t) return;
    wasm_valtype_delete(t->element);
    free(t);
}

wasm_tabletype_t *wasm_tabletype_copy(const wasm_tabletype_t *t) {
    return wasm_tabletype_new(wasm_valtype_copy(t->element), &t->limits);
}

const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *t) { return t->element; }
const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *t) { return &t->limits; }

wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *limits) {
    wasm_memorytype_t *t = malloc(sizeof *t);
    if (!t) return NULL;
    *t = (wasm_memorytype_t){{WASM_EXTERN_MEMORY}, *limits};
    return t;
}

void wasm_memorytype_delete(wasm_memorytype_t *t) { free(t); }
wasm_memorytype_t *wasm_memorytype_copy(const wasm_memorytype_t *t) {
    return wasm_memorytype_new(&t->limits);
}
const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *t) { return &t->limits; }

wasm_limits_t limits_from_kiln(const kiln_limits *l) {
    wasm_limits_t out = {(uint32_t)l->min, wasm_limits_max_default};
    if (l->has_max && l->max < wasm_limits_max_default) out.max = (uint32_t)l->max;
    return out;
}

/* ---- extern types ----------------------------------------------------------------- */

wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *t) { return t->kind; }

void wasm_externtype_delete(wasm_externtype_t *t) {
    if (!t) return;
    switch (t->kind) {
    case WASM_EXTERN_FUNC: wasm_functype_delete((wasm_functype_t *)t); break;
    case WASM_EXTERN_GLOBAL: wasm_globaltype_delete((wasm_globaltype_t *)t); break;
    case WASM_EXTERN_TABLE: wasm_tabletype_delete((wasm_tabletype_t *)t); break;
    default: wasm_memorytype_delete((wasm_memorytype_t *)t); break;
    }
}

wasm_externtype_t *wasm_externtype_copy(const wasm_externtype_t *t) {
    switch (t->kind) {
    case WASM_EXTERN_FUNC: return &wasm_functype_copy((const wasm_functype_t *)t)->ext;
    case WASM_EXTERN_GLOBAL: return &wasm_globaltype_copy((const wasm_globaltype_t *)t)->ext;
    case WASM_EXTERN_TABLE: return &wasm_tabletype_copy((const wasm_tabletype_t *)t)->ext;
    default: return &wasm_memorytype_copy((const wasm_memorytype_t *)t)->ext;
    }
}

/* The as_* conversions: every type starts with its wasm_externtype_t. */
#define EXTERNTYPE_CASTS(name, KIND)                                                          \
    wasm_externtype_t *wasm_##name##_as_externtype(wasm_##name##_t *t) {                       \
        return t ? &t->ext : NULL;                                                            \
    }                                                                                         \
    const wasm_externtype_t *wasm_##name##_as_externtype_const(const wasm_##name##_t *t) {     \
        return t ? &t->ext : NULL;                                                            \
    }                                                                                         \
    wasm_##name##_t *wasm_externtype_as_##name(wasm_externtype_t *t) {                         \
        return t && t->kind == KIND ? (wasm_##name##_t *)t : NULL;                            \
    }                                                                                         \
    const wasm_##name##_t *wasm_externtype_as_##name##_const(const wasm_externtype_t *t) {     \
        return t && t->kind == KIND ? (const wasm_##name##_t *)t : NULL;                      \
    }

EXTERNTYPE_CASTS(functype, WASM_EXTERN_FUNC)
EXTERNTYPE_CASTS(globaltype, WASM_EXTERN_GLOBAL)
EXTERNTYPE_CASTS(tabletype, WASM_EXTERN_TABLE)
EXTERNTYPE_CASTS(memorytype, WASM_EXTERN_MEMORY)

wasm_externkind_t externkind_from_kiln(uint8_t kind) {
    switch (kind) {
    case KILN_EXTERN_FUNC: return WASM_EXTERN_FUNC;
    case KILN_EXTERN_TABLE: return WASM_EXTERN_TABLE;
    case KILN_EXTERN_MEMORY: return WASM_EXTERN_MEMORY;
    default: return WASM_EXTERN_GLOBAL;
    }
}

/* With the ABI's codes: hosts see (ref $t) as a funcref. */
static wasm_externtype_t *functype_of(const kiln_module *m, const kiln_functype *f) {
    uint8_t params[KILN_MAX_FUNC_PARAMS + 1], results[KILN_MAX_FUNC_RESULTS + 1];
    for (uint32_t i = 0; i < f->num_params; i++) params[i] = module_valtype_abi(m, f->params[i]);
    for (uint32_t i = 0; i < f->num_results; i++) results[i] = module_valtype_abi(m, f->results[i]);
    kiln_signature sig = {f->num_params, f->num_results, params, results};
    return &functype_from_signature(&sig)->ext;
}

wasm_externtype_t *externtype_of_entity(const kiln_module *m, uint8_t kind, uint32_t index) {
    switch (kind) {
    case KILN_EXTERN_FUNC: return functype_of(m, module_func_type(m, index));
    case KILN_EXTERN_TABLE: {
        const kiln_tabletype *t = &m->tables[index];
        wasm_limits_t l = limits_from_kiln(&t->limits);
        uint8_t elem = module_valtype_abi(m, t->elem_type); /* (ref $t) is a funcref here */
        return &wasm_tabletype_new(wasm_valtype_new(valkind_from_kiln(elem)), &l)->ext;
    }
    case KILN_EXTERN_MEMORY: {
        wasm_limits_t l = limits_from_kiln(&m->memories[index].limits);
        return &wasm_memorytype_new(&l)->ext;
    }
    default: {
        const kiln_globaltype *g = &m->globals[index].type;
        uint8_t valtype = module_valtype_abi(m, g->valtype);
        return &wasm_globaltype_new(wasm_valtype_new(valkind_from_kiln(valtype)),
                                    g->is_mutable ? WASM_VAR : WASM_CONST)->ext;
    }
    }
}

/* ---- import and export types --------------------------------------------------------- */

wasm_importtype_t *wasm_importtype_new(wasm_name_t *module, wasm_name_t *name,
                                       wasm_externtype_t *type) {
    wasm_importtype_t *t = malloc(sizeof *t);
    if (!t) return NULL;
    *t = (wasm_importtype_t){*module, *name, type};
    return t;
}

void wasm_importtype_delete(wasm_importtype_t *t) {
    if (!t) return;
    wasm_name_delete(&t->module);
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

wasm_importtype_t *wasm_importtype_copy(const wasm_importtype_t *t) {
    wasm_name_t module, name;
    wasm_name_copy(&module, &t->module);
    wasm_name_copy(&name, &t->name);
    return wasm_importtype_new(&module, &name, wasm_externtype_copy(t->type));
}

const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *t) { return &t->module; }
const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *t) { return t->type; }

wasm_exporttype_t *wasm_exporttype_new(wasm_name_t *name, wasm_externtype_t *type) {
    wasm_exporttype_t *t = malloc(sizeof *t);
    if (!t) return NULL;
    *t = (wasm_exporttype_t){*name, type};
    return t;
}

void wasm_exporttype_delete(wasm_exporttype_t *t) {
    if (!t) return;
    wasm_name_delete(&t->name);
    wasm_externtype_delete(t->type);
    free(t);
}

wasm_exporttype_t *wasm_exporttype_copy(const wasm_exporttype_t *t) {
    wasm_name_t name;
    wasm_name_copy(&name, &t->name);
    return wasm_exporttype_new(&name, wasm_externtype_copy(t->type));
}

const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *t) { return t->type; }
