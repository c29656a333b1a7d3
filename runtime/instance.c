/* instance.c - instantiation from a module descriptor, exports, lifetime.
 *
 * kiln_instantiate follows the spec's instantiation steps in order:
 *   1. read the descriptor's module image (types, imports, segments, ...);
 *   2. resolve every import in the linker, checking kind and type;
 *   3. allocate functions, memories, tables and globals (evaluating
 *      global initialisers in order) and the element segments' values;
 *   4. apply active element segments, then active data segments, one by
 *      one as table.init / memory.init (a failing one traps after the
 *      earlier ones were written), dropping active and declarative ones;
 *   5. run the start function.
 * Steps 4-5 run under trap_protect(); a trap there is KILN_INST_TRAP. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module_image.h"
#include "runtime.h"

/* ---- the registry of live instances ------------------------------------------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static kiln_instance *registry;

static void registry_add(kiln_instance *inst) {
    pthread_mutex_lock(&registry_lock);
    inst->next = registry;
    if (registry) registry->prev = inst;
    registry = inst;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(kiln_instance *inst) {
    pthread_mutex_lock(&registry_lock);
    if (inst->prev) inst->prev->next = inst->next;
    else if (registry == inst) registry = inst->next;
    if (inst->next) inst->next->prev = inst->prev;
    inst->next = inst->prev = NULL;
    pthread_mutex_unlock(&registry_lock);
}

void instance_each(void (*fn)(kiln_vmctx *ctx, uintptr_t value), uintptr_t value) {
    pthread_mutex_lock(&registry_lock);
    for (kiln_instance *i = registry; i; i = i->next) fn(&i->vmctx, value);
    pthread_mutex_unlock(&registry_lock);
}

/* ---- errors ---------------------------------------------------------------------- */

bool instance_fail(kiln_instantiate_error *err, int kind, const char *fmt, ...) {
    err->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

static bool nomem(kiln_instantiate_error *err) {
    return instance_fail(err, KILN_INST_NOMEM, "out of memory");
}

/* ---- allocation and teardown -------------------------------------------------------- */

static void instance_arrays_free(kiln_instance *inst) {
    free(inst->memories);
    free(inst->tables);
    free(inst->globals);
    free(inst->refs);
    free(inst->closures);
    free(inst->joins);
    free(inst->own_tags);
    free(inst->tags);
    free(inst->elems);
    free(inst->data_sizes);
    free(inst->vmctx.memories);
    free(inst->vmctx.tables);
    free(inst->vmctx.globals);
    free(inst->vmctx.funcs);
    free((void *)inst->vmctx.type_ids);
}

/* Its group calls this (group.c), with every other member: whatever
 * could still reach the instance's references goes at the same time. */
void instance_destroy(kiln_instance *inst) {
    const kiln_module *m = inst->module;
    registry_remove(inst);
    if (inst->code_registered) signals_module_remove(inst->desc);
    if (m->num_memories && inst->memories[0]) memory_view_remove(inst->memories[0], &inst->vmctx);
    for (uint32_t i = 0; i < m->num_memories; i++) memory_release(inst->memories[i]);
    for (uint32_t i = 0; i < m->num_tables; i++) table_release(inst->tables[i]);
    for (uint32_t i = 0; i < m->num_globals; i++) global_release(inst->globals[i]);
    for (uint32_t i = 0; inst->elems && i < m->num_elems; i++) free(inst->elems[i].refs);
    exn_holds_release(inst);
    instance_arrays_free(inst);
    if (inst->pool) pool_instance_done(inst->pool, inst->pooled);
    else module_free(inst->module);
    free(inst);
}

void instance_retain(kiln_instance *inst) { group_retain(inst->group); }

/* Drops the host's handle: the instance lives on while its group has
 * another (group.c). */
void kiln_instance_free(kiln_instance *inst) {
    if (inst) group_release(inst->group);
}

/* calloc that treats a zero count as one, so NULL always means failure. */
static void *array_new(size_t count, size_t size) { return calloc(count ? count : 1, size); }

/* The instance and, KILN_VMCTX_OFFSET_OWN_GLOBALS after its vmctx, the
 * cells of the module's own globals (kiln_abi.h). */
_Static_assert(offsetof(kiln_instance, vmctx) == 0, "the vmctx starts the instance");
_Static_assert(sizeof(kiln_instance) <= KILN_VMCTX_OFFSET_OWN_GLOBALS,
               "the instance ends before its own globals' cells");
_Static_assert(KILN_VMCTX_OFFSET_OWN_GLOBALS % 16 == 0, "own global cells are 16-byte aligned");

static kiln_instance *instance_alloc(const kiln_module_desc *desc, kiln_module *m,
                                     kiln_pool *pool, struct pool_module *pooled) {
    kiln_instance *inst =
        calloc(1, KILN_VMCTX_OFFSET_OWN_GLOBALS + (size_t)m->num_own_globals * sizeof(kiln_val));
    if (!inst) return NULL;
    inst->group = group_new(inst);
    if (!inst->group) {
        free(inst);
        return NULL;
    }
    inst->desc = desc;
    inst->module = m;
    inst->pool = pool;
    inst->pooled = pooled;
    inst->vmctx.instance = inst;
    inst->memories = array_new(m->num_memories, sizeof(kiln_memory *));
    inst->tables = array_new(m->num_tables, sizeof(kiln_table *));
    inst->globals = array_new(m->num_globals, sizeof(kiln_global_inst *));
    inst->refs = array_new(m->num_funcs, sizeof(kiln_func_ref));
    inst->closures = array_new(m->num_imported_funcs, sizeof(host_closure));
    inst->joins = array_new((size_t)m->num_imported_funcs + m->num_imported_tags +
                                m->num_imported_tables + m->num_imported_globals,
                            sizeof(kiln_group *));
    inst->own_tags = array_new(m->num_tags - m->num_imported_tags, sizeof(kiln_tag_inst));
    inst->tags = array_new(m->num_tags, sizeof(kiln_tag_inst *));
    inst->elems = array_new(m->num_elems, sizeof(elem_values));
    inst->data_sizes = array_new(m->num_datas, sizeof(uint32_t));
    inst->vmctx.memories = array_new(m->num_memories, sizeof(kiln_memory_rt *));
    inst->vmctx.tables = array_new(m->num_tables, sizeof(kiln_table_rt *));
    inst->vmctx.globals = array_new(m->num_globals, sizeof(kiln_val *));
    inst->vmctx.funcs = array_new(m->num_funcs, sizeof(kiln_func_ref *));
    inst->vmctx.type_ids = array_new(m->num_types, sizeof(uint32_t));
    if (!inst->memories || !inst->tables || !inst->globals || !inst->refs || !inst->closures ||
        !inst->joins || !inst->own_tags || !inst->tags || !inst->elems || !inst->data_sizes || !inst->vmctx.memories ||
        !inst->vmctx.tables || !inst->vmctx.globals || !inst->vmctx.funcs ||
        !inst->vmctx.type_ids) { /* the caller still owns `m` */
        instance_arrays_free(inst);
        free(inst->group);
        free(inst);
        return NULL;
    }
    return inst;
}

static bool types_bind(kiln_instance *inst, kiln_instantiate_error *err) {
    const kiln_module *m = inst->module;
    uint32_t *ids = (uint32_t *)inst->vmctx.type_ids;
    if (inst->pooled) { /* interned once, when the pool first saw the module */
        if (m->num_types) memcpy(ids, pool_module_type_ids(inst->pooled), sizeof *ids * m->num_types);
        return true;
    }
    return types_intern_module(m, ids) || nomem(err);
}

/* ---- imports ---------------------------------------------------------------------------- */

/* A link error naming the import, its names escaped (module_name_text):
 * they are the module's bytes, and a host may print the message. */
static bool import_fail(kiln_instantiate_error *err, const char *what, const kiln_import *imp,
                        const char *why) {
    char module[160], name[160];
    module_name_text(&imp->module, module, sizeof module);
    module_name_text(&imp->name, name, sizeof name);
    return instance_fail(err, KILN_INST_LINK, "%s %s.%s%s%s", what, module, name, why ? ": " : "",
                         why ? why : "");
}

static bool incompatible(kiln_instantiate_error *err, const kiln_import *imp, const char *why) {
    return import_fail(err, "incompatible import type", imp, why);
}

/* What the instance imports from another group: joined with its own once
 * the instance is built (instance_instantiate), so that a refused one
 * never becomes a member.  The linker's handles keep those groups alive
 * until then. */
static void join_add(kiln_instance *inst, kiln_group *g) {
    if (g) inst->joins[inst->num_joins++] = g;
}

static bool results_name_instances(uint32_t type_id) {
    kiln_signature sig;
    if (!type_lookup(type_id, &sig)) return false;
    for (uint32_t i = 0; i < sig.num_results; i++)
        if (code_names_instance(sig.results[i])) return true;
    return false;
}

/* The binders below run once import_mismatch() has accepted the entry. */
static void import_func(kiln_instance *inst, const kiln_import *imp, const link_entry *e) {
    uint32_t fi = imp->index;
    uint32_t id = inst->vmctx.type_ids[imp->desc.type_index];
    if (e->is_host) {
        /* A stand-in for an unknown import names the import it stands for. */
        void *env = e->host.callback == import_trap_call ? (void *)imp : e->host.env;
        inst->closures[fi] = (host_closure){e->host.callback, env, inst,
                                            e->host.num_params, id, results_name_instances(id)};
        inst->refs[fi] = (kiln_func_ref){inst->desc->import_thunks[fi], &inst->closures[fi], id, 0,
                                         host_trampoline};
        inst->vmctx.funcs[fi] = &inst->refs[fi];
        return;
    }
    kiln_func_ref *f = e->value.of.func;
    inst->vmctx.funcs[fi] = f;
    join_add(inst, funcref_owner(f)->group);
}

/* An imported table or global of references joins its group as an
 * imported function does: it may hold the definer's function references
 * (its element segments, its initialiser, what its code stored), and the
 * importer may store its own into it.  Until 6 December the importer held
 * only the object, and a call through it after the definer was freed read
 * freed memory (tests/unit/test_instance.c). */
static void import_table(kiln_instance *inst, const kiln_import *imp, const link_entry *e) {
    table_retain(e->value.of.table);
    inst->tables[imp->index] = e->value.of.table;
    join_add(inst, e->value.of.table->group);
}

static bool import_memory(kiln_instance *inst, const kiln_import *imp, const link_entry *e,
                          kiln_instantiate_error *err) {
    kiln_memory *mem = e->value.of.memory;
    if ((inst->desc->flags & KILN_DESC_GUARD_PAGES) && !memory_make_guarded(mem)) return nomem(err);
    memory_retain(mem);
    inst->memories[imp->index] = mem;
    return true;
}

static void import_global(kiln_instance *inst, const kiln_import *imp, const link_entry *e) {
    global_retain(e->value.of.global);
    inst->globals[imp->index] = e->value.of.global;
    join_add(inst, e->value.of.global->group);
}

/* An imported tag is its exporter's object: the same identity for throw
 * and catch in both modules. */
static void import_tag(kiln_instance *inst, const kiln_import *imp, const link_entry *e) {
    kiln_tag_inst *t = e->value.of.tag;
    inst->tags[imp->index] = t;
    join_add(inst, t->owner->group);
}

static bool import_bind(kiln_instance *inst, const kiln_import *imp, const link_entry *e,
                        kiln_instantiate_error *err) {
    switch (imp->kind) {
    case KILN_EXTERN_TAG: import_tag(inst, imp, e); return true;
    case KILN_EXTERN_FUNC: import_func(inst, imp, e); return true;
    case KILN_EXTERN_TABLE: import_table(inst, imp, e); return true;
    case KILN_EXTERN_MEMORY: return import_memory(inst, imp, e, err);
    default: import_global(inst, imp, e); return true;
    }
}

/* Stops at the first import that cannot be bound; kiln_linker_check
 * names all of them. */
static bool imports_bind(kiln_instance *inst, const kiln_linker *l, kiln_instantiate_error *err) {
    const kiln_module *m = inst->module;
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        const link_entry *e = linker_find(l, &imp->module, &imp->name);
        if (!e)
            return import_fail(err, "unknown import", imp, NULL);
        uint32_t id = imp->kind == KILN_EXTERN_FUNC ? inst->vmctx.type_ids[imp->desc.type_index]
                      : imp->kind == KILN_EXTERN_TAG ? inst->vmctx.type_ids[imp->desc.tag_type]
                                                     : 0;
        const char *why = import_mismatch(m, inst->vmctx.type_ids, imp, id, e);
        if (why) return incompatible(err, imp, why);
        if (!import_bind(inst, imp, e, err)) return false;
    }
    return true;
}

/* ---- the module's own definitions ------------------------------------------------------ */

static void tags_define(kiln_instance *inst) {
    const kiln_module *m = inst->module;
    for (uint32_t i = m->num_imported_tags; i < m->num_tags; i++) {
        kiln_tag_inst *t = &inst->own_tags[i - m->num_imported_tags];
        uint32_t type = m->tags[i].type_index;
        *t = (kiln_tag_inst){inst->vmctx.type_ids[type], m->types[type].num_params, inst};
        inst->tags[i] = t;
    }
}

static void funcs_define(kiln_instance *inst) {
    const kiln_module *m = inst->module;
    for (uint32_t fi = m->num_imported_funcs; fi < m->num_funcs; fi++) {
        uint32_t i = fi - m->num_imported_funcs;
        uint32_t id = inst->vmctx.type_ids[m->funcs[fi].type_index];
        inst->refs[fi] = (kiln_func_ref){inst->desc->func_code[i], &inst->vmctx, id, 0,
                                         inst->desc->func_trampolines[i]};
        inst->vmctx.funcs[fi] = &inst->refs[fi];
    }
}

/* Registers the module's generated code before anything can run it: only
 * there does a guard-page fault become a trap, or an interrupt jump
 * (signals.c).  Guard-page code that touches a memory cannot do without
 * it; explicit-mode code can (its interrupts wait for call.c's checks).
 * Done before imports are bound, so a refused module has moved no
 * imported memory into a reservation. */
static bool code_register(kiln_instance *inst, kiln_instantiate_error *err) {
    const kiln_module_desc *d = inst->desc;
    if (!d->num_defined_funcs) return true; /* no wasm code of its own runs */
    inst->code_registered = signals_module_add(d);
    if (inst->code_registered || !(d->flags & KILN_DESC_GUARD_PAGES) || !inst->module->num_memories)
        return true;
    return instance_fail(err, KILN_INST_BAD_MODULE,
                     "guard-page module: its generated code could not be located, so its "
                     "out-of-bounds accesses could not trap; compile it with "
                     "--bounds-checks=explicit");
}

/* A table with an initialiser is written element by element at
 * instantiation (tables_initialise), so unlike a null table it costs
 * memory for its whole size at once.  The module's bytes do not bound
 * that: a few bytes declare 10,000,000 elements, and a module may have
 * 100,000 tables.  So all of them together get one table's bound. */
static bool initialised_tables_check(const kiln_module *m, kiln_instantiate_error *err) {
    uint64_t total = 0;
    for (uint32_t i = m->num_imported_tables; m->table_inits && i < m->num_tables; i++) {
        if (!m->table_inits[i].count) continue;
        total += m->tables[i].limits.min; /* each is at most KILN_MAX_TABLE_ELEMS: no overflow */
        if (total > KILN_MAX_TABLE_ELEMS)
            return instance_fail(err, KILN_INST_LIMIT, "table %u: tables with initialisers "
                                 "total %llu elements up to here; kiln initialises at most %u "
                                 "elements at instantiation", i, (unsigned long long)total,
                                 KILN_MAX_TABLE_ELEMS);
    }
    return true;
}

/* A module may declare sizes the runtime cannot give (up to 2^48 pages,
 * 2^64-1 elements); instantiation refuses them by name. */
static bool sizes_check(const kiln_module *m, kiln_instantiate_error *err) {
    for (uint32_t i = m->num_imported_memories; i < m->num_memories; i++) {
        const kiln_memtype *t = &m->memories[i];
        uint64_t bound = memory_runtime_max_pages(t->is64);
        if (t->limits.min > bound)
            return instance_fail(err, KILN_INST_LIMIT, "memory %u: minimum of %llu pages exceeds "
                                 "the %llu pages kiln allocates for a %s memory", i,
                                 (unsigned long long)t->limits.min, (unsigned long long)bound,
                                 t->is64 ? "64-bit" : "32-bit");
    }
    for (uint32_t i = m->num_imported_tables; i < m->num_tables; i++)
        if (m->tables[i].limits.min > KILN_MAX_TABLE_ELEMS)
            return instance_fail(err, KILN_INST_LIMIT, "table %u: minimum of %llu elements exceeds "
                                 "the %u elements kiln allocates for a table", i,
                                 (unsigned long long)m->tables[i].limits.min, KILN_MAX_TABLE_ELEMS);
    return initialised_tables_check(m, err);
}

/* A memory that could not be made.  In guard-page mode the usual cause
 * is not memory but address space: each 32-bit memory reserves 8 GiB
 * (docs/sandbox.md), which an address-space limit (ulimit -v) forbids. */
static bool memory_nomem(kiln_instantiate_error *err, uint32_t index, const kiln_memtype *t,
                         bool guarded) {
    if (!guarded)
        return instance_fail(err, KILN_INST_NOMEM, "out of memory: memory %u could not reserve "
                             "its %llu pages (%llu MiB) of address space", index,
                             (unsigned long long)t->limits.min,
                             (unsigned long long)(t->limits.min >> 4));
    return instance_fail(err, KILN_INST_NOMEM,
                         "out of memory: memory %u could not reserve the %llu GiB of address space "
                         "that guard-page bounds checks need (is `ulimit -v` set?); a module "
                         "compiled with --bounds-checks=explicit reserves only what it uses",
                         index, (unsigned long long)(GUARD_RESERVATION >> 30));
}

static bool memories_define(kiln_instance *inst, kiln_instantiate_error *err) {
    const kiln_module *m = inst->module;
    bool guarded = inst->desc->flags & KILN_DESC_GUARD_PAGES;
    if (!sizes_check(m, err)) return false;
    for (uint32_t i = m->num_imported_memories; i < m->num_memories; i++) {
        if (inst->pool) {
            inst->memories[i] = pool_memory_acquire(inst->pool, inst->pooled, i, err);
            if (!inst->memories[i]) return false;
            continue;
        }
        inst->memories[i] = memory_create(&m->memories[i], guarded);
        if (!inst->memories[i])
            return memory_nomem(err, i, &m->memories[i], guarded && !m->memories[i].is64);
    }
    for (uint32_t i = 0; i < m->num_memories; i++) inst->vmctx.memories[i] = &inst->memories[i]->rt;
    if (m->num_memories && !memory_view_add(inst->memories[0], &inst->vmctx)) return nomem(err);
    return true;
}

static bool tables_define(kiln_instance *inst, kiln_instantiate_error *err) {
    const kiln_module *m = inst->module;
    for (uint32_t i = m->num_imported_tables; i < m->num_tables; i++) {
        if (inst->pool) {
            inst->tables[i] = pool_table_acquire(inst->pool, inst->pooled, i, err);
            if (!inst->tables[i]) return false;
            continue;
        }
        inst->tables[i] = table_create(&m->tables[i]);
        if (!inst->tables[i]) return nomem(err);
    }
    for (uint32_t i = m->num_imported_tables; i < m->num_tables; i++) {
        uint8_t elem_type = m->tables[i].elem_type;
        inst->tables[i]->rt.elem_type = module_valtype_abi(m, elem_type);
        inst->tables[i]->ref = rt_reftype_of(m, inst->vmctx.type_ids, elem_type);
        /* a pooled table's slot may still name an earlier instance's group */
        inst->tables[i]->group = code_names_instance(inst->tables[i]->rt.elem_type) ? inst->group : NULL;
    }
    for (uint32_t i = 0; i < m->num_tables; i++) inst->vmctx.tables[i] = &inst->tables[i]->rt;
    return true;
}

/* Tables with an initialiser (3.0) start with its value in every element
 * instead of null; it may read imported globals, so this runs after them. */
static void tables_initialise(kiln_instance *inst) {
    const kiln_module *m = inst->module;
    for (uint32_t i = m->num_imported_tables; m->table_inits && i < m->num_tables; i++) {
        if (!m->table_inits[i].count) continue;
        void *v = constexpr_eval(inst, &m->table_inits[i]).ref;
        kiln_table_rt *t = &inst->tables[i]->rt;
        for (uint32_t k = 0; k < t->size; k++) t->elems[k] = v;
    }
}

/* Initialisers may read imported and earlier globals, so the cells are
 * created and published one at a time. */
static bool globals_define(kiln_instance *inst, kiln_instantiate_error *err) {
    const kiln_module *m = inst->module;
    for (uint32_t i = 0; i < m->num_imported_globals; i++)
        inst->vmctx.globals[i] = &inst->globals[i]->cell;
    for (uint32_t i = m->num_imported_globals; i < m->num_globals; i++) {
        kiln_val v = constexpr_eval(inst, &m->globals[i].init);
        uint32_t slot = m->global_slots[i];
        if (slot != MODULE_GLOBAL_SHARED) { /* no kiln_global_inst: nobody outside reaches it */
            kiln_val *cell = (kiln_val *)((char *)&inst->vmctx + KILN_VMCTX_OFFSET_OWN_GLOBALS) + slot;
            *cell = v;
            inst->vmctx.globals[i] = cell;
            continue;
        }
        kiln_globaltype type = m->globals[i].type;
        type.valtype = module_valtype_abi(m, type.valtype);
        inst->globals[i] = global_create(type, v);
        if (!inst->globals[i]) return nomem(err);
        if (code_names_instance(type.valtype)) inst->globals[i]->group = inst->group;
        if (valtype_is_ref(m->globals[i].type.valtype))
            inst->globals[i]->ref = rt_reftype_of(m, inst->vmctx.type_ids, m->globals[i].type.valtype);
        inst->vmctx.globals[i] = &inst->globals[i]->cell;
    }
    return true;
}

static bool elems_evaluate(kiln_instance *inst, kiln_instantiate_error *err) {
    const kiln_module *m = inst->module;
    for (uint32_t s = 0; s < m->num_elems; s++) {
        const kiln_elem *seg = &m->elems[s];
        void **refs = array_new(seg->count, sizeof(void *));
        if (!refs) return nomem(err);
        for (uint32_t i = 0; i < seg->count; i++)
            refs[i] = seg->func_indices ? inst->vmctx.funcs[seg->func_indices[i]]
                                        : constexpr_eval(inst, &seg->exprs[i]).ref;
        inst->elems[s] = (elem_values){refs, seg->count};
    }
    for (uint32_t d = 0; d < m->num_datas; d++) inst->data_sizes[d] = m->datas[d].size;
    return true;
}

/* ---- steps 4 and 5: segments and start, under trap_protect ---------------------------- */

/* A segment offset, of the address type of its memory or table. */
static uint64_t offset_eval(const kiln_instance *inst, const kiln_expr *e, bool is64) {
    kiln_val v = constexpr_eval(inst, e);
    return is64 ? (uint64_t)v.i64 : (uint32_t)v.i32;
}

static void segments_apply(kiln_instance *inst) {
    const kiln_module *m = inst->module;
    kiln_vmctx *ctx = &inst->vmctx;
    bool data_mapped = inst->pooled && pool_module_data_mapped(inst->pooled);
    for (uint32_t s = 0; s < m->num_elems; s++) {
        const kiln_elem *seg = &m->elems[s];
        if (seg->mode == KILN_SEGMENT_ACTIVE) {
            uint64_t dst = offset_eval(inst, &seg->offset, m->tables[seg->table_index].is64);
            kiln_rt_table_init(ctx, seg->table_index, s, dst, 0, seg->count);
        }
        if (seg->mode != KILN_SEGMENT_PASSIVE) kiln_rt_elem_drop(ctx, s);
    }
    for (uint32_t d = 0; d < m->num_datas; d++) {
        const kiln_data *seg = &m->datas[d];
        if (seg->mode != KILN_SEGMENT_ACTIVE) continue;
        if (data_mapped) { /* the memory image holds it already */
            kiln_rt_data_drop(ctx, d);
            continue;
        }
        bool is64 = m->memories[seg->memory_index].is64;
        uint64_t dst = offset_eval(inst, &seg->offset, is64);
        kiln_rt_memory_init(ctx, seg->memory_index, d, dst, 0, seg->size);
        kiln_rt_data_drop(ctx, d);
    }
}

static void instance_initialize(void *p) {
    kiln_instance *inst = p;
    segments_apply(inst);
    if (inst->module->has_start) {
        const kiln_func_ref *f = inst->vmctx.funcs[inst->module->start];
        kiln_val none[1];
        f->trampoline(f->code, f->ctx, none);
    }
}

/* Steps 4-5 are a call into the instance like any other for interrupts
 * (a start function may loop forever; code_register made its generated
 * code a place where the interrupt signal can trap). */
static uint32_t instance_start(kiln_instance *inst) {
    kiln_thread *t = kiln_thread_current();
    uint32_t trap = KILN_TRAP_INTERRUPTED;
    if (interrupt_enter(t, inst)) trap = trap_protect(instance_initialize, inst);
    else trap_message_set(kiln_trap_kind_text(KILN_TRAP_INTERRUPTED));
    interrupt_leave(t, inst);
    return trap;
}

/* Built: from here on the instance may store its references into what
 * it imports, and be reached through them. */
static void imports_join(kiln_instance *inst) {
    for (uint32_t i = 0; i < inst->num_joins; i++) group_join(inst->group, inst->joins[i]);
}

/* ---- the public entry points ----------------------------------------------------------- */

/* Only the functions a reference can name have an entry stub
 * (module_entry_funcs; the others' func_code is NULL), and the runtime
 * makes references to exactly those: a descriptor that lacks one is
 * refused here, before any NULL could reach a table or a call. */
static bool entries_present(const kiln_module_desc *desc, const kiln_module *m,
                            kiln_instantiate_error *err) {
    uint8_t *entries = module_entry_funcs(m);
    if (!entries) return nomem(err);
    uint32_t missing = UINT32_MAX;
    for (uint32_t fi = m->num_imported_funcs; fi < m->num_funcs && missing == UINT32_MAX; fi++)
        if (module_func_bit(entries, fi) && !desc->func_code[fi - m->num_imported_funcs])
            missing = fi;
    free(entries);
    if (missing == UINT32_MAX) return true;
    return instance_fail(err, KILN_INST_BAD_MODULE,
                         "module descriptor has no entry point for function %u, which the module "
                         "can reference", missing);
}

kiln_module *desc_module_read(const kiln_module_desc *desc, kiln_instantiate_error *err) {
    if (!desc || desc->abi_version != KILN_ABI_VERSION) {
        instance_fail(err, KILN_INST_BAD_MODULE, "module descriptor has ABI version %u, expected %u",
                  desc ? desc->abi_version : 0, KILN_ABI_VERSION);
        return NULL;
    }
    kiln_error ierr;
    kiln_module *m = module_image_read(desc->image, desc->image_size, &ierr);
    if (!m) {
        instance_fail(err, KILN_INST_BAD_MODULE, "%s (at 0x%llx)", ierr.message,
                      (unsigned long long)ierr.offset);
        return NULL;
    }
    if (m->num_imported_funcs != desc->num_imported_funcs ||
        m->num_funcs - m->num_imported_funcs != desc->num_defined_funcs) {
        module_free(m);
        instance_fail(err, KILN_INST_BAD_MODULE, "module descriptor does not match its image");
        return NULL;
    }
    if (!entries_present(desc, m, err)) {
        module_free(m);
        return NULL;
    }
    return m;
}

static void name_copy_cut(char *out, size_t cap, const kiln_name *n) {
    size_t len = n->len < cap - 1 ? n->len : cap - 1;
    memcpy(out, n->chars, len);
    out[len] = 0;
}

bool kiln_module_memory_import(const kiln_module_desc *desc, kiln_memory_import *out) {
    kiln_instantiate_error err = {0};
    kiln_module *m = desc_module_read(desc, &err);
    bool found = false;
    for (uint32_t i = 0; m && i < m->num_imports && !found; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_MEMORY) continue;
        const kiln_memtype *t = &imp->desc.memory;
        *out = (kiln_memory_import){.min_pages = t->limits.min, .max_pages = t->limits.max,
                                    .has_max = t->limits.has_max, .shared = t->shared,
                                    .is64 = t->is64};
        name_copy_cut(out->module, sizeof out->module, &imp->module);
        name_copy_cut(out->name, sizeof out->name, &imp->name);
        found = true;
    }
    module_free(m);
    return found;
}

/* Checked before the objects exist, so an oversized minimum is never mapped. */
static bool minimums_check(const kiln_module *m, const kiln_instance_limits *lim,
                           kiln_instantiate_error *err) {
    for (uint32_t i = 0; i < m->num_memories; i++)
        if (m->memories[i].limits.min > lim->max_memory_pages)
            return instance_fail(err, KILN_INST_LIMIT, "memory %u: minimum of %llu pages exceeds the limit of %llu", i,
                             (unsigned long long)m->memories[i].limits.min, (unsigned long long)lim->max_memory_pages);
    for (uint32_t i = 0; i < m->num_tables; i++)
        if (m->tables[i].limits.min > lim->max_table_elements)
            return instance_fail(err, KILN_INST_LIMIT, "table %u: minimum of %llu elements exceeds the limit of %llu", i,
                             (unsigned long long)m->tables[i].limits.min, (unsigned long long)lim->max_table_elements);
    return true;
}

/* Imported objects may already be larger than their import's minimum. */
static bool caps_apply(kiln_instance *inst, const kiln_instance_limits *lim,
                       kiln_instantiate_error *err) {
    const kiln_module *m = inst->module;
    for (uint32_t i = 0; i < m->num_memories; i++)
        if (!memory_cap(inst->memories[i], lim->max_memory_pages))
            return instance_fail(err, KILN_INST_LIMIT, "memory %u is larger than the limit of %llu pages", i,
                             (unsigned long long)lim->max_memory_pages);
    for (uint32_t i = 0; i < m->num_tables; i++)
        if (!table_cap(inst->tables[i], lim->max_table_elements))
            return instance_fail(err, KILN_INST_LIMIT, "table %u is larger than the limit of %llu elements", i,
                             (unsigned long long)lim->max_table_elements);
    return true;
}

/* One of the objects a budget covers: its size in the budget's unit, and
 * where it keeps the budget. */
typedef kiln_budget **(*budget_holder)(kiln_instance *inst, uint32_t index, uint64_t *size);

static kiln_budget **memory_budget_holder(kiln_instance *inst, uint32_t index, uint64_t *size) {
    *size = inst->memories[index]->rt.size / KILN_PAGE_SIZE;
    return &inst->memories[index]->budget;
}

static kiln_budget **table_budget_holder(kiln_instance *inst, uint32_t index, uint64_t *size) {
    *size = inst->tables[index]->rt.size;
    return &inst->tables[index]->budget;
}

typedef struct budget_kind {
    const char *one, *many, *unit; /* "memory", "memories", "pages" */
    budget_holder holder;
} budget_kind;

/* Objects first..count-1 of a kind share a budget of `limit` (budget.c):
 * each takes its initial size from it and holds a reference. */
static bool budget_share(kiln_instance *inst, const budget_kind *k, uint32_t first, uint32_t count,
                         uint64_t limit, kiln_instantiate_error *err) {
    if (limit == 0 || limit == KILN_NO_LIMIT || first == count) return true;
    kiln_budget *b = budget_new(limit);
    if (!b) return nomem(err);
    for (uint32_t i = first; i < count; i++) {
        uint64_t size;
        kiln_budget **held = k->holder(inst, i, &size);
        if (!budget_take(b, size)) {
            budget_release(b);
            return instance_fail(err, KILN_INST_LIMIT, "%s %u: the instance's %s need more than "
                                 "its limit of %llu %s in all", k->one, i, k->many,
                                 (unsigned long long)limit, k->unit);
        }
        budget_retain(b);
        *held = b;
    }
    budget_release(b);
    return true;
}

static bool budgets_apply(kiln_instance *inst, const kiln_instance_limits *lim,
                          kiln_instantiate_error *err) {
    static const budget_kind memories = {"memory", "memories", "pages", memory_budget_holder};
    static const budget_kind tables = {"table", "tables", "elements", table_budget_holder};
    const kiln_module *m = inst->module;
    return budget_share(inst, &memories, m->num_imported_memories, m->num_memories,
                        lim->max_total_memory_pages, err) &&
           budget_share(inst, &tables, m->num_imported_tables, m->num_tables,
                        lim->max_total_table_elements, err);
}

static bool instance_build(kiln_instance *inst, const kiln_linker *l,
                           const kiln_instance_limits *lim, kiln_instantiate_error *err) {
    if (lim && !minimums_check(inst->module, lim, err)) return false;
    if (!code_register(inst, err) || !types_bind(inst, err) || !imports_bind(inst, l, err))
        return false;
    funcs_define(inst);
    tags_define(inst);
    exn_limit_init(inst, lim);
    return memories_define(inst, err) && tables_define(inst, err) &&
           (!lim || (caps_apply(inst, lim, err) && budgets_apply(inst, lim, err))) &&
           globals_define(inst, err) &&
           (tables_initialise(inst), true) && elems_evaluate(inst, err);
}

kiln_instance *kiln_instantiate(const kiln_module_desc *desc, kiln_linker *l,
                                kiln_instantiate_error *err) {
    return kiln_instantiate_limited(desc, l, NULL, err);
}

kiln_instance *kiln_instantiate_limited(const kiln_module_desc *desc, kiln_linker *l,
                                        const kiln_instance_limits *limits,
                                        kiln_instantiate_error *err) {
    kiln_pool *pool;
    if (pool_from_environment(&pool)) return kiln_pool_instantiate(pool, desc, l, limits, err);
    kiln_instantiate_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    kiln_module *m = desc_module_read(desc, err);
    if (!m) return NULL;
    return instance_instantiate(desc, m, NULL, NULL, l, limits, err);
}

kiln_instance *instance_instantiate(const kiln_module_desc *desc, kiln_module *m, kiln_pool *pool,
                                    struct pool_module *pooled, kiln_linker *l,
                                    const kiln_instance_limits *limits,
                                    kiln_instantiate_error *err) {
    kiln_instance *inst = instance_alloc(desc, m, pool, pooled);
    if (!inst) {
        if (pool) pool_instance_done(pool, pooled);
        else module_free(m);
        nomem(err);
        return NULL;
    }
    if (!instance_build(inst, l, limits, err)) {
        kiln_instance_free(inst); /* a group of its own still */
        return NULL;
    }
    imports_join(inst);
    registry_add(inst);
    uint32_t trap = instance_start(inst);
    if (trap != KILN_TRAP_NONE) {
        /* The spec keeps what steps 4-5 wrote, so the instance's functions
         * may sit in an imported table or global: it lives on, unreachable
         * by the host, until its group goes. */
        instance_fail(err, KILN_INST_TRAP, "%s", kiln_trap_message());
        err->trap = trap;
        kiln_instance_free(inst);
        return NULL;
    }
    return inst;
}

bool kiln_instance_export(kiln_instance *inst, const char *name, kiln_extern *out) {
    return kiln_instance_export_len(inst, name, strlen(name), out);
}

void instance_export_at(kiln_instance *inst, uint32_t i, kiln_extern *out) {
    const kiln_export *e = &inst->module->exports[i];
    out->kind = e->kind;
    switch (e->kind) {
    case KILN_EXTERN_FUNC: out->of.func = inst->vmctx.funcs[e->index]; break;
    case KILN_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
    case KILN_EXTERN_MEMORY: out->of.memory = inst->memories[e->index]; break;
    case KILN_EXTERN_TAG: out->of.tag = inst->tags[e->index]; break;
    default: out->of.global = inst->globals[e->index]; break;
    }
}

bool kiln_instance_export_len(kiln_instance *inst, const char *name, size_t len,
                              kiln_extern *out) {
    const kiln_module *m = inst->module;
    for (uint32_t i = 0; i < m->num_exports; i++) {
        const kiln_export *e = &m->exports[i];
        if (e->name.len != len || memcmp(e->name.chars, name, len) != 0) continue;
        instance_export_at(inst, i, out);
        return true;
    }
    return false;
}

kiln_memory *kiln_instance_memory(kiln_instance *inst, uint32_t index) {
    return inst && index < inst->module->num_memories ? inst->memories[index] : NULL;
}
