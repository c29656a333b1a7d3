/* import_check.c - can a linker's entry be bound to an import, and which
 * imports of a module can a linker not satisfy?
 *
 * Instantiation binds with import_mismatch(), so the rules live in one
 * place.  kiln_linker_check() (and its variant for a decoded module) asks
 * the same question of every import at once, without instantiating: a
 * front end can then list every missing or mismatched import in one
 * message, before it spends minutes compiling (kiln run) or before a
 * built program starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* The spec's limits subtyping: the actual object is at least as large as
 * the import asks, and at most as large as its declared maximum. */
static bool limits_match(uint64_t size, bool has_max, uint64_t max, const kiln_limits *want) {
    if (size < want->min) return false;
    return !want->has_max || (has_max && max <= want->max);
}

/* The canonical type id of a function entry; 0 for anything else. */
static uint32_t entry_func_type(const link_entry *e) {
    if (e->is_host) return e->host.type_id;
    return e->value.kind == KILN_EXTERN_FUNC ? e->value.of.func->type_id : 0;
}

static const char *func_mismatch(uint32_t want_type_id, const link_entry *e) {
    if (!e->is_host && e->value.kind != KILN_EXTERN_FUNC) return "not a function";
    return entry_func_type(e) == want_type_id ? NULL : "function signature differs";
}

/* A table's element type must be the import's exactly (it is mutable). */
static const char *table_mismatch(const kiln_module *m, const uint32_t *type_ids,
                                  const kiln_import *imp, const link_entry *e) {
    if (e->is_host || e->value.kind != KILN_EXTERN_TABLE) return "not a table";
    const kiln_table *t = e->value.of.table;
    if (!rt_reftype_equal(t->ref, rt_reftype_of(m, type_ids, imp->desc.table.elem_type)))
        return "element type differs";
    if (t->is64 != imp->desc.table.is64) return "address type differs (i32, i64)";
    if (!limits_match(t->rt.size, t->has_max, t->declared_max, &imp->desc.table.limits))
        return "table limits do not match";
    return NULL;
}

static const char *memory_mismatch(const kiln_import *imp, const link_entry *e) {
    if (e->is_host || e->value.kind != KILN_EXTERN_MEMORY) return "not a memory";
    const kiln_memory *mem = e->value.of.memory;
    if (mem->is64 != imp->desc.memory.is64) return "address type differs (i32, i64)";
    if (!limits_match(mem->rt.size / KILN_PAGE_SIZE, mem->has_max, mem->rt.max_pages,
                      &imp->desc.memory.limits))
        return "memory limits do not match";
    if (mem->shared != imp->desc.memory.shared) return "memory sharing differs";
    return NULL;
}

/* An immutable global may be of a subtype of the import's reference
 * type; a mutable one must match exactly, since both sides write it. */
static bool global_type_fits(const kiln_module *m, const uint32_t *type_ids,
                             const kiln_globaltype *want, const kiln_global_inst *g) {
    if (g->type.is_mutable != want->is_mutable) return false;
    if (!valtype_is_ref(want->valtype)) return g->type.valtype == want->valtype;
    if (!valtype_is_ref(g->type.valtype)) return false;
    rt_reftype w = rt_reftype_of(m, type_ids, want->valtype);
    return want->is_mutable ? rt_reftype_equal(g->ref, w) : rt_reftype_sub(g->ref, w);
}

static const char *global_mismatch(const kiln_module *m, const uint32_t *type_ids,
                                   const kiln_import *imp, const link_entry *e) {
    if (e->is_host || e->value.kind != KILN_EXTERN_GLOBAL) return "not a global";
    if (!global_type_fits(m, type_ids, &imp->desc.global, e->value.of.global))
        return "global type differs";
    return NULL;
}

static const char *tag_mismatch(uint32_t want_type_id, const link_entry *e) {
    if (e->is_host || e->value.kind != KILN_EXTERN_TAG) return "not a tag";
    return e->value.of.tag->type_id == want_type_id ? NULL : "tag type differs";
}

const char *import_mismatch(const kiln_module *m, const uint32_t *type_ids, const kiln_import *imp,
                            uint32_t func_type_id, const link_entry *e) {
    switch (imp->kind) {
    case KILN_EXTERN_FUNC: return func_mismatch(func_type_id, e);
    case KILN_EXTERN_TAG: return tag_mismatch(func_type_id, e);
    case KILN_EXTERN_TABLE: return table_mismatch(m, type_ids, imp, e);
    case KILN_EXTERN_MEMORY: return memory_mismatch(imp, e);
    default: return global_mismatch(m, type_ids, imp, e);
    }
}

/* ---- reports --------------------------------------------------------------------- */

/* What the linker holds under the import's name, as kiln validate spells
 * types: "func (i32) -> (i32)", "global mut i64", "memory", "table". */
static void entry_text(const link_entry *e, char *out, size_t cap) {
    kiln_signature sig;
    uint8_t kind = e->is_host ? KILN_EXTERN_FUNC : (uint8_t)e->value.kind;
    size_t n = (size_t)snprintf(out, cap, "%s ", module_extern_kind_name(kind));
    if (n >= cap) return;
    if (kind == KILN_EXTERN_TAG && type_lookup(e->value.of.tag->type_id, &sig))
        module_signature_text(sig.num_params, sig.params, sig.num_results, sig.results, out + n,
                              cap - n);
    else if (kind == KILN_EXTERN_FUNC && type_lookup(entry_func_type(e), &sig))
        module_signature_text(sig.num_params, sig.params, sig.num_results, sig.results, out + n,
                              cap - n);
    else if (kind == KILN_EXTERN_GLOBAL)
        snprintf(out + n, cap - n, "%s%s", e->value.of.global->type.is_mutable ? "mut " : "",
                 valtype_name(e->value.of.global->type.valtype));
}

/* `"module"."name": KIND TYPE: PROBLEM`, e.g.
 *   "env"."log": func (i32) -> (): unknown import
 * and for a mismatch what the linker provides instead.  Malloc'ed; NULL when
 * out of memory. */
static char *problem_text(const kiln_module *m, const kiln_import *imp, const link_entry *e,
                          const char *why) {
    size_t module_cap = module_name_text_size(&imp->module);
    size_t name_cap = module_name_text_size(&imp->name);
    size_t parts_cap = module_cap + name_cap + 2 * MODULE_TYPE_TEXT_SIZE;
    char *parts = malloc(parts_cap), *text = malloc(parts_cap + 128);
    if (!parts || !text) {
        free(parts);
        free(text);
        return NULL;
    }
    char *module = parts, *name = module + module_cap, *want = name + name_cap;
    char *have = want + MODULE_TYPE_TEXT_SIZE;
    module_name_text(&imp->module, module, module_cap);
    module_name_text(&imp->name, name, name_cap);
    module_extern_type_text(m, imp->kind, imp->index, want, MODULE_TYPE_TEXT_SIZE);
    const char *kind = module_extern_kind_name(imp->kind);
    if (e) {
        entry_text(e, have, MODULE_TYPE_TEXT_SIZE);
        snprintf(text, parts_cap + 128, "%s.%s: %s %s: incompatible import type: %s (provided: %s)",
                 module, name, kind, want, why, have);
    } else {
        snprintf(text, parts_cap + 128, "%s.%s: %s %s: %s", module, name, kind, want, why);
    }
    free(parts);
    return text;
}

/* Why imp cannot be bound from l, or NULL; *entry gets the linker's entry.
 * type_ids: m's canonical type ids, NULL when they could not be made. */
static const char *import_problem(const kiln_linker *l, const kiln_module *m,
                                  const uint32_t *type_ids, const kiln_import *imp,
                                  const link_entry **entry) {
    *entry = linker_find(l, &imp->module, &imp->name);
    if (!*entry) return "unknown import";
    if (!type_ids) return "out of memory";
    uint32_t ti = imp->kind == KILN_EXTERN_FUNC  ? imp->desc.type_index
                  : imp->kind == KILN_EXTERN_TAG ? imp->desc.tag_type
                                                 : UINT32_MAX;
    uint32_t id = ti < m->num_types ? type_ids[ti] : 0;
    return import_mismatch(m, type_ids, imp, id, *entry);
}

size_t kiln_linker_check_module(const kiln_linker *l, const kiln_module *m,
                                kiln_import_report report, void *ctx) {
    size_t problems = 0;
    uint32_t *type_ids = calloc(m->num_types ? m->num_types : 1, sizeof *type_ids);
    if (type_ids && !types_intern_module(m, type_ids)) {
        free(type_ids);
        type_ids = NULL;
    }
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        const link_entry *e;
        const char *why = import_problem(l, m, type_ids, imp, &e);
        if (!why) continue;
        problems++;
        if (!report) continue;
        char *text = problem_text(m, imp, e, why);
        report(ctx, text ? text : "out of memory");
        free(text);
    }
    free(type_ids);
    return problems;
}

size_t kiln_linker_check(const kiln_linker *l, const kiln_module_desc *desc,
                         kiln_import_report report, void *ctx) {
    kiln_instantiate_error err;
    kiln_module *m = desc_module_read(desc, &err);
    if (!m) {
        if (report) report(ctx, err.message);
        return SIZE_MAX;
    }
    size_t problems = kiln_linker_check_module(l, m, report, ctx);
    module_free(m);
    return problems;
}
