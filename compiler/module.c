/* module.c - helpers on a decoded module shared by every stage and by the
 * runtime (which links this file, not the decoder). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

kiln_module *module_new(uint32_t features, kiln_error *err) {
    arena *a = arena_create();
    kiln_module *m = a ? arena_zalloc(a, sizeof *m) : NULL;
    if (!m) {
        arena_destroy(a);
        error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    m->arena = a;
    m->features = features;
    return m;
}

void module_free(kiln_module *m) {
    if (m) arena_destroy(m->arena); /* the module itself lives in its arena */
}

const kiln_functype *module_func_type(const kiln_module *m, uint32_t func_index) {
    if (func_index >= m->num_funcs) return NULL;
    uint32_t t = m->funcs[func_index].type_index;
    return t < m->num_types ? &m->types[t] : NULL;
}

const char *valtype_name(uint8_t valtype) {
    switch (valtype) {
    case KILN_I32: return "i32";
    case KILN_I64: return "i64";
    case KILN_F32: return "f32";
    case KILN_F64: return "f64";
    case KILN_V128: return "v128";
    case KILN_FUNCREF: return "funcref";
    case KILN_EXTERNREF: return "externref";
    case KILN_EXNREF: return "exnref";
    default: return valtype >= KILN_REFTYPE_FIRST ? "ref" : "unknown";
    }
}

/* ---- reference types -------------------------------------------------------- */

kiln_reftype module_reftype(const kiln_module *m, uint8_t code) {
    if (code == KILN_FUNCREF) return (kiln_reftype){KILN_HEAP_FUNC, true, 0, 0};
    if (code == KILN_EXTERNREF) return (kiln_reftype){KILN_HEAP_EXTERN, true, 0, 0};
    if (code == KILN_EXNREF) return (kiln_reftype){KILN_HEAP_EXN, true, 0, 0};
    uint32_t i = (uint32_t)code - KILN_REFTYPE_FIRST;
    if (code >= KILN_REFTYPE_FIRST && i < m->num_reftypes) return m->reftypes[i];
    return (kiln_reftype){KILN_HEAP_NOFUNC, false, 0, 0}; /* not a reference: callers check */
}

static bool reftype_same(const kiln_reftype *a, const kiln_reftype *b) {
    return a->heap == b->heap && a->nullable == b->nullable &&
           (a->heap != KILN_HEAP_TYPE || a->type_index == b->type_index);
}

bool module_reftype_intern(kiln_module *m, kiln_reftype r, uint8_t *code) {
    if (r.nullable && r.heap == KILN_HEAP_FUNC) return *code = KILN_FUNCREF, true;
    if (r.nullable && r.heap == KILN_HEAP_EXTERN) return *code = KILN_EXTERNREF, true;
    if (r.nullable && r.heap == KILN_HEAP_EXN) return *code = KILN_EXNREF, true;
    for (uint32_t i = 0; i < m->num_reftypes; i++)
        if (reftype_same(&m->reftypes[i], &r)) return *code = (uint8_t)(KILN_REFTYPE_FIRST + i), true;
    if (m->num_reftypes == KILN_MAX_REFTYPES) return false;
    if (!m->reftypes) m->reftypes = arena_array(m->arena, KILN_MAX_REFTYPES, sizeof *m->reftypes);
    if (!m->reftypes) return false;
    m->reftypes[m->num_reftypes] = r;
    *code = (uint8_t)(KILN_REFTYPE_FIRST + m->num_reftypes++);
    return true;
}

/* Two type indices name the same type.  Without recursion groups a type
 * equals another when their definitions match; kiln compares the encoded
 * definitions, which finds every pair that does not involve two different
 * self-references (those stay distinct: a valid module may then be
 * refused, never an invalid one accepted). */
static bool type_index_same(const kiln_module *m, uint32_t a, uint32_t b) {
    if (a == b) return true;
    if (a >= m->num_types || b >= m->num_types) return false;
    const kiln_functype *x = &m->types[a], *y = &m->types[b];
    return x->num_params == y->num_params && x->num_results == y->num_results &&
           (x->num_params == 0 || memcmp(x->params, y->params, x->num_params) == 0) &&
           (x->num_results == 0 || memcmp(x->results, y->results, x->num_results) == 0);
}

/* The bottom of a heap type's hierarchy: nofunc below func and every
 * function type, noextern below extern, noexn below exn. */
static bool heap_sub(const kiln_module *m, const kiln_reftype *a, const kiln_reftype *b) {
    switch (a->heap) {
    case KILN_HEAP_NOFUNC:
        return b->heap == KILN_HEAP_NOFUNC || b->heap == KILN_HEAP_FUNC || b->heap == KILN_HEAP_TYPE;
    case KILN_HEAP_NOEXTERN: return b->heap == KILN_HEAP_NOEXTERN || b->heap == KILN_HEAP_EXTERN;
    case KILN_HEAP_NOEXN: return b->heap == KILN_HEAP_NOEXN || b->heap == KILN_HEAP_EXN;
    case KILN_HEAP_TYPE:
        return b->heap == KILN_HEAP_FUNC ||
               (b->heap == KILN_HEAP_TYPE && type_index_same(m, a->type_index, b->type_index));
    default: return a->heap == b->heap;
    }
}

bool module_valtype_sub(const kiln_module *m, uint8_t a, uint8_t b) {
    if (a == b) return true;
    if (!valtype_is_ref(a) || !valtype_is_ref(b)) return false;
    kiln_reftype x = module_reftype(m, a), y = module_reftype(m, b);
    return (!x.nullable || y.nullable) && heap_sub(m, &x, &y);
}

uint8_t module_valtype_abi(const kiln_module *m, uint8_t t) {
    if (t < KILN_REFTYPE_FIRST) return t;
    uint8_t heap = module_reftype(m, t).heap;
    if (heap == KILN_HEAP_EXN || heap == KILN_HEAP_NOEXN) return KILN_EXNREF;
    return heap == KILN_HEAP_EXTERN || heap == KILN_HEAP_NOEXTERN ? KILN_EXTERNREF : KILN_FUNCREF;
}

bool module_valtype_defaultable(const kiln_module *m, uint8_t t) {
    return !valtype_is_ref(t) || module_reftype(m, t).nullable;
}

static const char *heap_name(uint8_t heap) {
    switch (heap) {
    case KILN_HEAP_FUNC: return "func";
    case KILN_HEAP_EXTERN: return "extern";
    case KILN_HEAP_NOFUNC: return "nofunc";
    case KILN_HEAP_EXN: return "exn";
    case KILN_HEAP_NOEXN: return "noexn";
    default: return "noextern";
    }
}

void module_valtype_text(const kiln_module *m, uint8_t t, char *out, size_t cap) {
    if (t < KILN_REFTYPE_FIRST) {
        snprintf(out, cap, "%s", valtype_name(t));
        return;
    }
    kiln_reftype r = module_reftype(m, t);
    const char *null = r.nullable ? "null " : "";
    if (r.heap == KILN_HEAP_TYPE) snprintf(out, cap, "(ref %s%u)", null, r.type_index);
    else snprintf(out, cap, "(ref %s%s)", null, heap_name(r.heap));
}

static bool insn_is_exception_op(uint16_t op) {
    switch (op) {
    case KILN_OP_THROW:
    case KILN_OP_THROW_REF:
    case KILN_OP_TRY_TABLE:
    case KILN_OP_TRY:
    case KILN_OP_RETHROW: return true;
    default: return false;
    }
}

/* True if some defined function's body has an instruction `is` accepts. */
static bool module_has_insn(const kiln_module *m, bool (*is)(uint16_t op)) {
    for (uint32_t i = m->num_imported_funcs; i < m->num_funcs; i++)
        for (uint32_t k = 0; k < m->funcs[i].num_insns; k++)
            if (is(m->funcs[i].insns[k].op)) return true;
    return false;
}

bool module_uses_exceptions(const kiln_module *m) {
    return m->num_tags || module_has_insn(m, insn_is_exception_op);
}

bool module_valtype_is_exnref(const kiln_module *m, uint8_t t) {
    return module_valtype_abi(m, t) == KILN_EXNREF;
}

static bool valtypes_carry_exnref(const kiln_module *m, const uint8_t *t, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (module_valtype_is_exnref(m, t[i])) return true;
    return false;
}

/* Some function type (so some parameter, result or tag payload) has an
 * exception reference in it: exnrefs cross calls, returns and throws,
 * also into other instances and the host. */
static bool types_carry_exnref(const kiln_module *m) {
    for (uint32_t i = 0; i < m->num_types; i++) {
        const kiln_functype *t = &m->types[i];
        if (valtypes_carry_exnref(m, t->params, t->num_params) ||
            valtypes_carry_exnref(m, t->results, t->num_results))
            return true;
    }
    return false;
}

static bool global_holds_exnref(const kiln_module *m, uint32_t i) {
    return module_valtype_is_exnref(m, m->globals[i].type.valtype);
}

static bool table_holds_exnref(const kiln_module *m, uint32_t i) {
    return module_valtype_is_exnref(m, m->tables[i].elem_type);
}

/* An imported or exported global or table of exnrefs: other instances
 * and the host read and write it. */
static bool exnref_storage_shared(const kiln_module *m) {
    for (uint32_t i = 0; i < m->num_imported_tables; i++)
        if (table_holds_exnref(m, i)) return true;
    for (uint32_t i = 0; i < m->num_imported_globals; i++)
        if (global_holds_exnref(m, i)) return true;
    for (uint32_t i = 0; i < m->num_exports; i++) {
        const kiln_export *e = &m->exports[i];
        if ((e->kind == KILN_EXTERN_TABLE && table_holds_exnref(m, e->index)) ||
            (e->kind == KILN_EXTERN_GLOBAL && global_holds_exnref(m, e->index)))
            return true;
    }
    return false;
}

static bool exnref_storage(const kiln_module *m) {
    for (uint32_t i = 0; i < m->num_tables; i++)
        if (table_holds_exnref(m, i)) return true;
    for (uint32_t i = 0; i < m->num_globals; i++)
        if (global_holds_exnref(m, i)) return true;
    return false;
}

kiln_exnref_reach module_exnref_reach(const kiln_module *m) {
    if (types_carry_exnref(m) || exnref_storage_shared(m)) return KILN_EXNREF_BEYOND_INSTANCE;
    return exnref_storage(m) ? KILN_EXNREF_IN_INSTANCE : KILN_EXNREF_IN_FRAME;
}

bool module_insn_is_tail_call(uint16_t op) {
    return op == KILN_OP_RETURN_CALL || op == KILN_OP_RETURN_CALL_INDIRECT ||
           op == KILN_OP_RETURN_CALL_REF;
}

bool module_uses_tail_calls(const kiln_module *m) { return module_has_insn(m, module_insn_is_tail_call); }

/* ---- functions a reference can name ------------------------------------------
 *
 * C.refs of the spec (exports, and ref.func in constant expressions:
 * global initialisers, element segments of every mode, offsets), which
 * is all a ref.func inside a body may name (validate_code.c refuses any
 * other), and the entry set: C.refs plus table initialisers and the start
 * function, every function the runtime can hand out a reference to. */

static void func_bit_add(uint8_t *bits, uint32_t i, uint32_t size) {
    if (i < size) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void refs_add_expr(uint8_t *bits, const kiln_expr *e, uint32_t size) {
    for (uint32_t i = 0; i < e->count; i++)
        if (e->insns[i].op == KILN_OP_REF_FUNC) func_bit_add(bits, e->insns[i].imm.index, size);
}

static void refs_add_elem(uint8_t *bits, const kiln_elem *e, uint32_t size) {
    refs_add_expr(bits, &e->offset, size);
    for (uint32_t k = 0; k < e->count; k++) {
        if (e->func_indices) func_bit_add(bits, e->func_indices[k], size);
        else refs_add_expr(bits, &e->exprs[k], size);
    }
}

uint8_t *module_declared_funcs(const kiln_module *m) {
    uint32_t n = m->num_funcs;
    uint8_t *bits = calloc((size_t)n / 8 + 1, 1);
    if (!bits) return NULL;
    for (uint32_t i = 0; i < m->num_exports; i++)
        if (m->exports[i].kind == KILN_EXTERN_FUNC) func_bit_add(bits, m->exports[i].index, n);
    for (uint32_t i = m->num_imported_globals; i < m->num_globals; i++)
        refs_add_expr(bits, &m->globals[i].init, n);
    for (uint32_t i = 0; i < m->num_elems; i++) refs_add_elem(bits, &m->elems[i], n);
    for (uint32_t i = 0; i < m->num_datas; i++) refs_add_expr(bits, &m->datas[i].offset, n);
    return bits;
}

uint8_t *module_entry_funcs(const kiln_module *m) {
    uint8_t *bits = module_declared_funcs(m);
    if (!bits) return NULL;
    for (uint32_t t = 0; m->table_inits && t < m->num_tables; t++)
        refs_add_expr(bits, &m->table_inits[t], m->num_funcs);
    if (m->has_start) func_bit_add(bits, m->start, m->num_funcs);
    return bits;
}

bool module_func_bit(const uint8_t *bits, uint32_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

bool module_own_globals(kiln_module *m) {
    uint32_t *slot = m->global_slots ? m->global_slots
                                     : arena_array(m->arena, m->num_globals ? m->num_globals : 1,
                                                   sizeof *slot);
    if (!slot) return false;
    for (uint32_t i = 0; i < m->num_globals; i++)
        slot[i] = i < m->num_imported_globals ? MODULE_GLOBAL_SHARED : 0;
    for (uint32_t e = 0; e < m->num_exports; e++)
        if (m->exports[e].kind == KILN_EXTERN_GLOBAL && m->exports[e].index < m->num_globals)
            slot[m->exports[e].index] = MODULE_GLOBAL_SHARED;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->num_globals; i++)
        if (slot[i] != MODULE_GLOBAL_SHARED) slot[i] = n++;
    m->global_slots = slot;
    m->num_own_globals = n;
    return true;
}

const char *module_func_name(const kiln_module *m, uint32_t func_index) {
    uint32_t lo = 0, hi = m->num_func_names; /* func_names is sorted */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t at = m->func_names[mid].func_index;
        if (at == func_index) return m->func_names[mid].name.chars;
        if (at < func_index) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* ---- types and names as text ------------------------------------------------
 *
 * `kiln validate --describe` and the import reports of the runtime (and of
 * `kiln run`, `kiln build`) spell types the same way. */

/* Appends to the NUL-terminated text in out[0..cap), silently cut at cap. */
static void text_add(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void text_add(char *out, size_t cap, const char *fmt, ...) {
    size_t len = strnlen(out, cap);
    if (len + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + len, cap - len, fmt, ap);
    va_end(ap);
}

const char *module_extern_kind_name(uint8_t kind) {
    static const char *const names[] = {"func", "table", "memory", "global", "tag"};
    return kind < 5 ? names[kind] : "?";
}

void module_signature_text(uint32_t num_params, const uint8_t *params, uint32_t num_results,
                           const uint8_t *results, char *out, size_t cap) {
    if (cap) out[0] = 0;
    text_add(out, cap, "(");
    for (uint32_t i = 0; i < num_params; i++)
        text_add(out, cap, "%s%s", i ? " " : "", valtype_name(params[i]));
    text_add(out, cap, ") -> (");
    for (uint32_t i = 0; i < num_results; i++)
        text_add(out, cap, "%s%s", i ? " " : "", valtype_name(results[i]));
    text_add(out, cap, ")");
}

static void limits_text(const kiln_limits *l, char *out, size_t cap) {
    text_add(out, cap, "min %llu", (unsigned long long)l->min);
    if (l->has_max) text_add(out, cap, " max %llu", (unsigned long long)l->max);
}

void module_extern_type_text(const kiln_module *m, uint8_t kind, uint32_t index, char *out,
                             size_t cap) {
    if (cap) out[0] = 0;
    switch (kind) {
    case KILN_EXTERN_FUNC: {
        const kiln_functype *t = module_func_type(m, index);
        if (t) module_signature_text(t->num_params, t->params, t->num_results, t->results, out, cap);
        break;
    }
    case KILN_EXTERN_TABLE:
        if (index >= m->num_tables) break;
        text_add(out, cap, "%s %s", valtype_name(m->tables[index].elem_type),
                 m->tables[index].is64 ? "i64 " : "");
        limits_text(&m->tables[index].limits, out, cap);
        break;
    case KILN_EXTERN_MEMORY:
        if (index >= m->num_memories) break;
        text_add(out, cap, "%s pages ", m->memories[index].is64 ? "i64" : "i32");
        limits_text(&m->memories[index].limits, out, cap);
        if (m->memories[index].shared) text_add(out, cap, " shared");
        break;
    case KILN_EXTERN_GLOBAL:
        if (index >= m->num_globals) break;
        text_add(out, cap, "%s%s", m->globals[index].type.is_mutable ? "mut " : "",
                 valtype_name(m->globals[index].type.valtype));
        break;
    case KILN_EXTERN_TAG: {
        if (index >= m->num_tags || m->tags[index].type_index >= m->num_types) break;
        const kiln_functype *t = &m->types[m->tags[index].type_index];
        module_signature_text(t->num_params, t->params, t->num_results, t->results, out, cap);
        break;
    }
    }
}

/* Names are UTF-8 but may hold any code point: controls, quotes and
 * backslashes are escaped as \XX. */
void module_name_text(const kiln_name *n, char *out, size_t cap) {
    if (cap) out[0] = 0;
    text_add(out, cap, "\"");
    for (uint32_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->chars[i];
        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) text_add(out, cap, "\\%02x", c);
        else text_add(out, cap, "%c", c);
    }
    text_add(out, cap, "\"");
}

size_t module_name_text_size(const kiln_name *n) { return (size_t)n->len * 3 + 3; }
