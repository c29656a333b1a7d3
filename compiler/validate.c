/* validate.c - module-level validation: the rules of the spec's
 * "Modules" chapter (types of imports and definitions, limits, constant
 * expressions, segments, start function, exports), then the function
 * bodies through validate_code.c.
 *
 * Errors use the spec suite's wording.  Tables and memories are reported
 * at their types' bytes (m->table_offsets, m->memory_offsets); module-level
 * items that carry no byte offset in the IR (imports, exports, the start
 * function) at offset 0. */
#include <stdlib.h>
#include <string.h>

#include "validate.h"

static bool invalid_at(kiln_error *err, uint64_t offset, const char *message) {
    return error_set(err, KILN_ERR_INVALID, offset, "%s", message);
}

static bool unknown_at(kiln_error *err, uint64_t offset, const char *what, uint32_t index) {
    return error_set(err, KILN_ERR_INVALID, offset, "unknown %s %u", what, index);
}

/* ---------------------------------------------------------------------
 * Constant expressions. */

typedef struct const_ctx {
    kiln_module *m; /* ref.func interns (ref $t) */
    uint32_t visible_globals; /* globals a global.get may name */
    kiln_error *err;
} const_ctx;

static bool is_extended_arith(uint16_t op) {
    switch (op) {
    case KILN_OP_I32_ADD:
    case KILN_OP_I32_SUB:
    case KILN_OP_I32_MUL:
    case KILN_OP_I64_ADD:
    case KILN_OP_I64_SUB:
    case KILN_OP_I64_MUL: return true;
    default: return false;
    }
}

static uint8_t const_value_type(uint16_t op) {
    switch (op) {
    case KILN_OP_I32_CONST: return KILN_I32;
    case KILN_OP_I64_CONST: return KILN_I64;
    case KILN_OP_F32_CONST: return KILN_F32;
    case KILN_OP_F64_CONST: return KILN_F64;
    case KILN_OP_V128_CONST: return KILN_V128;
    default: return 0;
    }
}

static bool typed_refs(const kiln_module *m) {
    return (m->features & KILN_FEATURE_FUNCTION_REFERENCES) != 0;
}

/* ref.func f: (ref $t) with 3.0, funcref in 2.0; 0 after filling *err. */
static uint8_t const_ref_func_type(const const_ctx *c, const kiln_insn *in) {
    if (!typed_refs(c->m)) return KILN_FUNCREF;
    kiln_reftype r = {KILN_HEAP_TYPE, false, c->m->funcs[in->imm.index].type_index, in->offset};
    uint8_t code;
    if (module_reftype_intern(c->m, r, &code)) return code;
    if (c->m->num_reftypes < KILN_MAX_REFTYPES)
        error_set(c->err, KILN_ERR_NOMEM, in->offset, "out of memory");
    else
        error_set_limit(c->err, in->offset, KILN_MAX_REFTYPES + 1ull, "distinct reference types",
                        KILN_MAX_REFTYPES);
    return 0;
}

/* The type one constant instruction pushes, or 0 after filling *err.
 * Extended arithmetic is handled by the caller (it pops). */
static uint8_t const_insn_type(const const_ctx *c, const kiln_insn *in) {
    uint8_t t = const_value_type(in->op);
    if (t) return t;
    switch (in->op) {
    case KILN_OP_REF_NULL: return in->imm.reftype;
    case KILN_OP_REF_FUNC:
        if (in->imm.index < c->m->num_funcs) return const_ref_func_type(c, in);
        unknown_at(c->err, in->offset, "function", in->imm.index);
        return 0;
    case KILN_OP_GLOBAL_GET:
        if (in->imm.index >= c->visible_globals) {
            unknown_at(c->err, in->offset, "global", in->imm.index);
            return 0;
        }
        if (!c->m->globals[in->imm.index].type.is_mutable)
            return c->m->globals[in->imm.index].type.valtype;
        break;
    default: break;
    }
    invalid_at(c->err, in->offset, "constant expression required");
    return 0;
}

/* i32/i64 add, sub, mul (extended-const): both operands of the type. */
static bool const_arith(const const_ctx *c, const kiln_insn *in, uint8_t *stack, uint32_t *height) {
    uint8_t t = kiln_opcode_table[in->op].signature[0] == 'i' ? KILN_I32 : KILN_I64;
    if (*height < 2 || stack[*height - 1] != t || stack[*height - 2] != t)
        return invalid_at(c->err, in->offset, "type mismatch");
    (*height)--;
    return true;
}

static bool const_step(const const_ctx *c, const kiln_insn *in, uint8_t *stack, uint32_t *height) {
    if (is_extended_arith(in->op) &&
        (c->m->features & (KILN_FEATURE_EXTENDED_CONST | KILN_FEATURE_FUNCTION_REFERENCES)))
        return const_arith(c, in, stack, height);
    uint8_t t = const_insn_type(c, in);
    if (!t) return false;
    stack[(*height)++] = t;
    return true;
}

/* Checks that `e` is constant and leaves exactly one value of `expected`. */
static bool const_expr_validate(const const_ctx *c, const kiln_expr *e, uint8_t expected,
                                uint64_t fallback_offset) {
    uint8_t small[16];
    uint8_t *stack = e->count <= sizeof small ? small : malloc(e->count);
    if (!stack) return error_set(c->err, KILN_ERR_NOMEM, fallback_offset, "out of memory");
    uint32_t height = 0, i = 0;
    bool ok = true;
    for (; ok && i < e->count && e->insns[i].op != KILN_OP_END; i++)
        ok = const_step(c, &e->insns[i], stack, &height);
    if (ok && (height != 1 || !module_valtype_sub(c->m, stack[0], expected))) {
        uint64_t at = i < e->count ? e->insns[i].offset : fallback_offset;
        ok = invalid_at(c->err, at, "type mismatch");
    }
    if (stack != small) free(stack);
    return ok;
}

/* ---------------------------------------------------------------------
 * Types, limits, globals. */

static bool funcs_validate(const kiln_module *m, kiln_error *err) {
    for (uint32_t i = 0; i < m->num_funcs; i++) {
        const kiln_func *f = &m->funcs[i];
        if (f->type_index >= m->num_types) {
            err->func_index = i;
            return unknown_at(err, f->imported ? 0 : f->body_offset, "type", f->type_index);
        }
    }
    return true;
}

/* A tag's type must exist and return nothing (its params are the payload). */
static bool tags_validate(const kiln_module *m, kiln_error *err) {
    for (uint32_t i = 0; i < m->num_tags; i++) {
        uint32_t t = m->tags[i].type_index;
        if (t >= m->num_types) return unknown_at(err, 0, "type", t);
        if (m->types[t].num_results) return invalid_at(err, 0, "non-empty tag result type");
    }
    return true;
}

static bool limits_validate(const kiln_limits *l, uint64_t at, uint64_t bound,
                            const char *too_big, kiln_error *err) {
    if (l->min > bound || (l->has_max && l->max > bound)) return invalid_at(err, at, too_big);
    if (l->has_max && l->min > l->max)
        return invalid_at(err, at, "size minimum must not be greater than maximum");
    return true;
}

/* The spec allows any size of the address type; what the runtime can
 * allocate is decided at instantiation (runtime/table.c), so that a
 * module that is only compiled, or linked against a smaller import, may
 * still declare more. */
static bool table_validate(const kiln_tabletype *t, uint64_t at, kiln_error *err) {
    return t->is64 ? limits_validate(&t->limits, at, UINT64_MAX, "table size must be at most 2^64-1", err)
                   : limits_validate(&t->limits, at, UINT32_MAX, "table size must be at most 2^32-1", err);
}

/* A table of a non-nullable type needs an initialiser (it has no null to
 * start with); the table section precedes the globals, so an initialiser
 * reads imported globals only. */
static bool table_init_validate(kiln_module *m, uint32_t i, kiln_error *err) {
    const kiln_tabletype *t = &m->tables[i];
    const kiln_expr *init = m->table_inits ? &m->table_inits[i] : NULL;
    if (!init || !init->count)
        return i < m->num_imported_tables || module_valtype_defaultable(m, t->elem_type) ||
               invalid_at(err, m->table_offsets[i], "type mismatch");
    const_ctx c = {m, m->num_imported_globals, err};
    return const_expr_validate(&c, init, t->elem_type, m->table_offsets[i]);
}

static bool tables_validate(kiln_module *m, kiln_error *err) {
    for (uint32_t i = 0; i < m->num_tables; i++)
        if (!table_validate(&m->tables[i], m->table_offsets[i], err) ||
            !table_init_validate(m, i, err))
            return false;
    return true;
}

static bool memories_validate(const kiln_module *m, kiln_error *err) {
    if (m->num_memories > 1 && !(m->features & KILN_FEATURE_MULTI_MEMORY))
        return invalid_at(err, m->memory_offsets[1], "multiple memories");
    for (uint32_t i = 0; i < m->num_memories; i++) {
        const kiln_memtype *mem = &m->memories[i];
        uint64_t at = m->memory_offsets[i];
        bool ok = mem->is64
                      ? limits_validate(&mem->limits, at, (uint64_t)1 << 48,
                                        "memory size must be at most 2^48 pages", err)
                      : limits_validate(&mem->limits, at, KILN_MAX_PAGES32,
                                        "memory size must be at most 65536 pages (4GiB)", err);
        if (!ok) return false;
        if (mem->shared && !mem->limits.has_max)
            return invalid_at(err, at, "shared memory must have maximum");
    }
    return true;
}

/* 2.0 initialisers may read only imported globals (the spec's context
 * C' for globals; the 2.0 suite keeps this even with extended-const); 3.0
 * ones any global defined before them. */
static bool globals_validate(kiln_module *m, kiln_error *err) {
    const_ctx c = {m, m->num_imported_globals, err};
    for (uint32_t i = m->num_imported_globals; i < m->num_globals; i++) {
        const kiln_global *g = &m->globals[i];
        if (typed_refs(m)) c.visible_globals = i;
        if (!const_expr_validate(&c, &g->init, g->type.valtype, 0)) return false;
    }
    return true;
}

/* ---------------------------------------------------------------------
 * Element and data segments. */

static bool elem_items_validate(const const_ctx *c, const kiln_elem *e) {
    for (uint32_t k = 0; k < e->count; k++) {
        if (!e->func_indices) {
            if (!const_expr_validate(c, &e->exprs[k], e->elem_type, e->offset_in_module))
                return false;
        } else if (e->func_indices[k] >= c->m->num_funcs) {
            return unknown_at(c->err, e->offset_in_module, "function", e->func_indices[k]);
        }
    }
    return true;
}

static bool elem_validate(const const_ctx *c, const kiln_elem *e) {
    if (!elem_items_validate(c, e)) return false;
    if (e->mode != KILN_SEGMENT_ACTIVE) return true;
    if (e->table_index >= c->m->num_tables)
        return unknown_at(c->err, e->offset_in_module, "table", e->table_index);
    uint8_t addr = c->m->tables[e->table_index].is64 ? KILN_I64 : KILN_I32;
    if (!const_expr_validate(c, &e->offset, addr, e->offset_in_module)) return false;
    if (!module_valtype_sub(c->m, e->elem_type, c->m->tables[e->table_index].elem_type))
        return invalid_at(c->err, e->offset_in_module, "type mismatch");
    return true;
}

static bool data_validate(const const_ctx *c, const kiln_data *d) {
    if (d->mode != KILN_SEGMENT_ACTIVE) return true;
    if (d->memory_index >= c->m->num_memories)
        return unknown_at(c->err, d->offset_in_module, "memory", d->memory_index);
    uint8_t addr = c->m->memories[d->memory_index].is64 ? KILN_I64 : KILN_I32;
    return const_expr_validate(c, &d->offset, addr, d->offset_in_module);
}

static bool segments_validate(kiln_module *m, kiln_error *err) {
    const_ctx c = {m, typed_refs(m) ? m->num_globals : m->num_imported_globals, err};
    for (uint32_t i = 0; i < m->num_elems; i++)
        if (!elem_validate(&c, &m->elems[i])) return false;
    for (uint32_t i = 0; i < m->num_datas; i++)
        if (!data_validate(&c, &m->datas[i])) return false;
    return true;
}

/* ---------------------------------------------------------------------
 * Start function and exports. */

static bool start_validate(const kiln_module *m, kiln_error *err) {
    if (!m->has_start) return true;
    if (m->start >= m->num_funcs) return unknown_at(err, 0, "function", m->start);
    const kiln_functype *t = &m->types[m->funcs[m->start].type_index];
    if (t->num_params || t->num_results) return invalid_at(err, 0, "start function");
    return true;
}

static bool export_index_validate(const kiln_module *m, const kiln_export *e, kiln_error *err) {
    switch (e->kind) {
    case KILN_EXTERN_FUNC:
        return e->index < m->num_funcs || unknown_at(err, 0, "function", e->index);
    case KILN_EXTERN_TABLE:
        return e->index < m->num_tables || unknown_at(err, 0, "table", e->index);
    case KILN_EXTERN_MEMORY:
        return e->index < m->num_memories || unknown_at(err, 0, "memory", e->index);
    case KILN_EXTERN_TAG: return e->index < m->num_tags || unknown_at(err, 0, "tag", e->index);
    default: return e->index < m->num_globals || unknown_at(err, 0, "global", e->index);
    }
}

static uint32_t name_hash(const kiln_name *n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t k = 0; k < n->len; k++) h = (h ^ (uint8_t)n->chars[k]) * 16777619u;
    return h;
}

static bool name_equal(const kiln_name *a, const kiln_name *b) {
    return a->len == b->len && memcmp(a->chars, b->chars, a->len) == 0;
}

/* Export names must be distinct: an open-addressing set of export
 * indices (+1, so that 0 marks an empty slot). */
static bool export_names_validate(const kiln_module *m, kiln_error *err) {
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)m->num_exports) cap *= 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    bool ok = true;
    for (uint32_t i = 0; ok && i < m->num_exports; i++) {
        const kiln_name *name = &m->exports[i].name;
        uint32_t s = name_hash(name) & (cap - 1);
        for (; slots[s] && ok; s = (s + 1) & (cap - 1))
            if (name_equal(&m->exports[slots[s] - 1].name, name))
                ok = invalid_at(err, 0, "duplicate export name");
        slots[s] = i + 1;
    }
    free(slots);
    return ok;
}

static bool exports_validate(const kiln_module *m, kiln_error *err) {
    for (uint32_t i = 0; i < m->num_exports; i++)
        if (!export_index_validate(m, &m->exports[i], err)) return false;
    return export_names_validate(m, err);
}

/* ---------------------------------------------------------------------
 * Entry point. */

/* Every type index a reference type names exists; inside the type section
 * a definition may name itself and earlier types only (each type is its
 * own recursion group). */
static bool reftypes_validate(const kiln_module *m, kiln_error *err) {
    for (uint32_t i = 0; i < m->num_reftypes; i++) {
        const kiln_reftype *r = &m->reftypes[i];
        if (r->heap == KILN_HEAP_TYPE && r->type_index >= m->num_types)
            return unknown_at(err, r->offset, "type", r->type_index);
    }
    return true;
}

static bool functype_refs_validate(const kiln_module *m, uint32_t index, const uint8_t *types,
                                   uint32_t n, kiln_error *err) {
    for (uint32_t k = 0; k < n; k++) {
        if (types[k] < KILN_REFTYPE_FIRST) continue;
        kiln_reftype r = module_reftype(m, types[k]);
        if (r.heap == KILN_HEAP_TYPE && r.type_index > index)
            return unknown_at(err, r.offset, "type", r.type_index);
    }
    return true;
}

static bool types_validate(const kiln_module *m, kiln_error *err) {
    if (!reftypes_validate(m, err)) return false;
    for (uint32_t i = 0; i < m->num_types; i++) {
        const kiln_functype *t = &m->types[i];
        if (!functype_refs_validate(m, i, t->params, t->num_params, err) ||
            !functype_refs_validate(m, i, t->results, t->num_results, err))
            return false;
    }
    return true;
}

static bool module_rules_validate(kiln_module *m, kiln_error *err) {
    return types_validate(m, err) && funcs_validate(m, err) && tags_validate(m, err) &&
           tables_validate(m, err) &&
           memories_validate(m, err) &&
           globals_validate(m, err) && segments_validate(m, err) && start_validate(m, err) &&
           exports_validate(m, err);
}

bool module_validate(kiln_module *m, kiln_error *err) {
    error_clear(err);
    m->validated = false;
    if (!module_rules_validate(m, err)) return false;
    /* C.refs: only these may be named by ref.func inside a body. */
    uint8_t *declared = module_own_globals(m) ? module_declared_funcs(m) : NULL;
    if (!declared) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    bool ok = module_validate_code(m, declared, err);
    free(declared);
    m->validated = ok;
    return ok;
}
