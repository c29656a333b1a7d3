/* decode.c - bytes -> kiln_module: the header and every section.
 *
 * Structure only: what is malformed (bad encodings, sections out of
 * order, lengths that do not fit) is rejected here with the spec suite's
 * wording; what is invalid (unknown indices, type errors, limits out of
 * range) is left to validate.c.  Instruction sequences are read by
 * decode_code.c. */
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

enum section_id {
    SEC_CUSTOM = 0,
    SEC_TYPE = 1,
    SEC_IMPORT = 2,
    SEC_FUNC = 3,
    SEC_TABLE = 4,
    SEC_MEMORY = 5,
    SEC_GLOBAL = 6,
    SEC_EXPORT = 7,
    SEC_START = 8,
    SEC_ELEM = 9,
    SEC_CODE = 10,
    SEC_DATA = 11,
    SEC_DATACOUNT = 12,
    SEC_TAG = 13, /* exception handling */
    SEC_ID_COUNT
};

/* Where each section must appear: data count sits between elem and code,
 * tags between memory and global. */
static const uint8_t section_rank[SEC_ID_COUNT] = {
    [SEC_TYPE] = 1,  [SEC_IMPORT] = 2, [SEC_FUNC] = 3,      [SEC_TABLE] = 4, [SEC_MEMORY] = 5,
    [SEC_TAG] = 6,   [SEC_GLOBAL] = 7, [SEC_EXPORT] = 8,    [SEC_START] = 9, [SEC_ELEM] = 10,
    [SEC_DATACOUNT] = 11, [SEC_CODE] = 12, [SEC_DATA] = 13,
};

/* ---- errors and primitive reads ------------------------------------------ */

bool decode_fail(decoder *d, const uint8_t *at, const char *msg) {
    error_set(d->err, KILN_ERR_MALFORMED, (uint64_t)(at - d->base), "%s", msg);
    d->err->func_index = d->func_index;
    return false;
}

/* Inside a section the suite says "unexpected end of section or function";
 * between sections (header, section ids and sizes) plain "unexpected end". */
bool decode_fail_end(decoder *d) {
    return decode_fail(d, d->p, d->in_section ? "unexpected end of section or function"
                                              : "unexpected end");
}

bool decode_fail_nomem(decoder *d) {
    error_set(d->err, KILN_ERR_NOMEM, (uint64_t)(d->p - d->base), "out of memory");
    d->err->func_index = d->func_index;
    return false;
}

bool decode_fail_limit(decoder *d, const uint8_t *at, uint64_t count, const char *what,
                       uint64_t limit) {
    error_set_limit(d->err, (uint64_t)(at - d->base), count, what, limit);
    d->err->func_index = d->func_index;
    return false;
}

bool decode_fail_leb(decoder *d, leb_status s) {
    switch (s) {
    case LEB_OK: return true;
    case LEB_END: return decode_fail_end(d);
    case LEB_TOO_LONG: return decode_fail(d, d->p, "integer representation too long");
    case LEB_TOO_LARGE: return decode_fail(d, d->p, "integer too large");
    }
    return decode_fail(d, d->p, "integer too large");
}

bool decode_u64(decoder *d, uint64_t *out) {
    leb_status s = leb_read_u64(&d->p, d->end, out);
    return s == LEB_OK || decode_fail_leb(d, s);
}

bool decode_s32_slow(decoder *d, int32_t *out) {
    leb_status s = leb_read_s32(&d->p, d->end, out);
    return s == LEB_OK || decode_fail_leb(d, s);
}

bool decode_s33(decoder *d, int64_t *out) {
    leb_status s = leb_read_s33(&d->p, d->end, out);
    return s == LEB_OK || decode_fail_leb(d, s);
}

bool decode_s64_slow(decoder *d, int64_t *out) {
    leb_status s = leb_read_s64(&d->p, d->end, out);
    return s == LEB_OK || decode_fail_leb(d, s);
}

bool decode_count(decoder *d, uint32_t *out) {
    const uint8_t *at = d->p;
    if (!decode_u32(d, out)) return false;
    /* Every element takes at least one byte.  A tighter bound would report
     * a short vector before the element that is actually cut off. */
    if (*out > decode_left(d)) return decode_fail(d, at, "unexpected end of section or function");
    return true;
}

/* A count checked after decode_count, so that one the section cannot hold
 * stays malformed; `imported` items of the same index space come first. */
bool decode_count_limited(decoder *d, uint32_t *out, uint32_t imported, uint32_t limit,
                          const char *what) {
    const uint8_t *at = d->p;
    if (!decode_count(d, out)) return false;
    uint64_t total = (uint64_t)imported + *out;
    return total <= limit || decode_fail_limit(d, at, total, what, limit);
}

bool valtype_is_known(uint8_t b) {
    switch (b) {
    case KILN_I32:
    case KILN_I64:
    case KILN_F32:
    case KILN_F64:
    case KILN_V128:
    case KILN_FUNCREF:
    case KILN_EXTERNREF: return true;
    default: return false;
    }
}

/* Type bytes are one-byte signed LEB128s (s7) in the spec's grammar: a set
 * continuation bit makes the encoding too long, whatever follows. */
static bool type_byte_decode(decoder *d, uint8_t *out) {
    const uint8_t *at = d->p;
    if (!decode_byte(d, out)) return false;
    if (*out & 0x80) return decode_fail(d, at + 1, "integer representation too long");
    return true;
}

/* ---- reference types (typed function references) ------------------------ */

static bool typed_refs_on(const decoder *d) {
    return (d->m->features & KILN_FEATURE_FUNCTION_REFERENCES) != 0;
}

static bool exceptions_on(const decoder *d) {
    return (d->m->features & KILN_FEATURE_EXCEPTIONS) != 0;
}

/* The abstract heap types kiln has: func, extern and their bottoms, and
 * exn and noexn with exception handling. */
static bool heap_abstract_known(const decoder *d, uint8_t b) {
    if (b == KILN_HEAP_EXN || b == KILN_HEAP_NOEXN) return exceptions_on(d);
    return b == KILN_HEAP_FUNC || b == KILN_HEAP_EXTERN || b == KILN_HEAP_NOFUNC ||
           b == KILN_HEAP_NOEXTERN;
}

/* A heap type: an abstract type's one byte, or a type index (s33 >= 0),
 * which the validator checks against the type section. */
static bool heaptype_decode(decoder *d, kiln_reftype *r) {
    const uint8_t *at = d->p;
    if (d->p >= d->end) return decode_fail_end(d);
    uint8_t b = *d->p;
    if (heap_abstract_known(d, b)) {
        d->p++;
        r->heap = b;
        return true;
    }
    int64_t v;
    if (!decode_s33(d, &v)) return false;
    if (v < 0) { /* a GC heap type, exn with the feature off, else malformed */
        const char *proposal = b == 0x63 || b == 0x64 ? NULL : proposal_valtype(b);
        return decode_fail(d, at, proposal ? proposal : "malformed heap type");
    }
    r->heap = KILN_HEAP_TYPE;
    r->type_index = (uint32_t)v;
    return true;
}

static bool reftype_intern(decoder *d, const uint8_t *at, kiln_reftype r, uint8_t *out) {
    r.offset = decode_offset(d, at);
    if (module_reftype_intern(d->m, r, out)) return true;
    if (d->m->num_reftypes < KILN_MAX_REFTYPES) return decode_fail_nomem(d);
    return decode_fail_limit(d, at, KILN_MAX_REFTYPES + 1ull, "distinct reference types",
                             KILN_MAX_REFTYPES);
}

/* The rest of a reference type whose first byte was `first`: 0x63 (ref
 * null ht) and 0x64 (ref ht) take a heap type; 0x73 nullfuncref, 0x72
 * nullexternref and 0x74 nullexnref are shorthands. */
static bool reftype_rest_decode(decoder *d, const uint8_t *at, uint8_t first, uint8_t *out) {
    kiln_reftype r = {.nullable = first != 0x64};
    if (first != 0x63 && first != 0x64) r.heap = first;
    else if (!heaptype_decode(d, &r)) return false;
    return reftype_intern(d, at, r, out);
}

bool decode_typed_ref_byte(const decoder *d, uint8_t b) {
    if (!typed_refs_on(d)) return false;
    if (b == KILN_HEAP_NOEXN) return exceptions_on(d);
    return b == 0x63 || b == 0x64 || b == KILN_HEAP_NOFUNC || b == KILN_HEAP_NOEXTERN;
}

/* ref.null's immediate: a heap type, giving (ref null ht). */
bool decode_heaptype_null(decoder *d, uint8_t *out) {
    const uint8_t *at = d->p;
    if (!typed_refs_on(d)) return decode_reftype(d, out);
    kiln_reftype r = {.nullable = true};
    return heaptype_decode(d, &r) && reftype_intern(d, at, r, out);
}

/* exnref exists only with the exceptions feature. */
bool decode_exnref_allowed(const decoder *d, uint8_t b) {
    return b == KILN_EXNREF && exceptions_on(d);
}

bool decode_valtype(decoder *d, uint8_t *out) {
    const uint8_t *at = d->p;
    if (!type_byte_decode(d, out)) return false;
    if (valtype_is_known(*out) || decode_exnref_allowed(d, *out)) return true;
    if (decode_typed_ref_byte(d, *out)) return reftype_rest_decode(d, at, *out, out);
    const char *proposal = proposal_valtype(*out);
    return decode_fail(d, at, proposal ? proposal : "malformed value type");
}

bool decode_reftype(decoder *d, uint8_t *out) {
    const uint8_t *at = d->p;
    if (!type_byte_decode(d, out)) return false;
    if (*out == KILN_FUNCREF || *out == KILN_EXTERNREF || decode_exnref_allowed(d, *out))
        return true;
    if (decode_typed_ref_byte(d, *out)) return reftype_rest_decode(d, at, *out, out);
    const char *proposal = proposal_valtype(*out);
    return decode_fail(d, at, proposal ? proposal : "malformed reference type");
}

/* ---- names --------------------------------------------------------------- */

static size_t utf8_sequence_length(const uint8_t *s, size_t left) {
    uint8_t b = s[0];
    if (b < 0x80) return 1;
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (b >= 0xC2 && b <= 0xDF) n = 2;
    else if (b >= 0xE0 && b <= 0xEF) n = 3;
    else if (b >= 0xF0 && b <= 0xF4) n = 4;
    else return 0;
    if (b == 0xE0) lo = 0xA0;      /* overlong */
    else if (b == 0xED) hi = 0x9F; /* surrogates */
    else if (b == 0xF0) lo = 0x90; /* overlong */
    else if (b == 0xF4) hi = 0x8F; /* above U+10FFFF */
    if (left < n || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* Returns NULL when s[0..len) is valid UTF-8, else the first bad byte. */
static const uint8_t *utf8_find_error(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_sequence_length(s + i, len - i);
        if (!n) return s + i;
        i += n;
    }
    return NULL;
}

static bool name_decode(decoder *d, kiln_name *out) {
    const uint8_t *at = d->p;
    uint32_t len;
    if (!decode_u32(d, &len)) return false;
    if (len > decode_left(d)) return decode_fail(d, at, "length out of bounds");
    const uint8_t *bad = utf8_find_error(d->p, len);
    if (bad) return decode_fail(d, bad, "malformed UTF-8 encoding");
    if (len > KILN_MAX_NAME_BYTES)
        return decode_fail_limit(d, at, len, "bytes in a name", KILN_MAX_NAME_BYTES);
    char *s = arena_alloc(d->m->arena, (size_t)len + 1);
    if (!s) return decode_fail_nomem(d);
    memcpy(s, d->p, len);
    s[len] = '\0';
    out->chars = s;
    out->len = len;
    d->p += len;
    return true;
}

static bool name_equals(const kiln_name *n, const char *s) {
    return n->len == strlen(s) && memcmp(n->chars, s, n->len) == 0;
}

/* ---- types, limits, imports ---------------------------------------------- */

static bool valtypes_decode(decoder *d, uint32_t *count, uint8_t **out, uint32_t limit,
                            const char *what) {
    if (!decode_count_limited(d, count, 0, limit, what)) return false;
    *out = arena_alloc(d->m->arena, *count);
    if (!*out) return decode_fail_nomem(d);
    for (uint32_t i = 0; i < *count; i++)
        if (!decode_valtype(d, &(*out)[i])) return false;
    return true;
}

static bool functype_decode(decoder *d, kiln_functype *t) {
    const uint8_t *at = d->p;
    uint8_t form = 0;
    if (!type_byte_decode(d, &form)) return false;
    if (form != 0x60) {
        const char *proposal = proposal_type_form(form);
        return decode_fail(d, at, proposal ? proposal : "malformed function type");
    }
    return valtypes_decode(d, &t->num_params, &t->params, KILN_MAX_FUNC_PARAMS,
                           "parameters in a function type") &&
           valtypes_decode(d, &t->num_results, &t->results, KILN_MAX_FUNC_RESULTS,
                           "results in a function type");
}

static bool types_decode(decoder *d) {
    kiln_module *m = d->m;
    if (!decode_count_limited(d, &m->num_types, 0, KILN_MAX_TYPES, "types")) return false;
    m->types = arena_array(m->arena, m->num_types, sizeof *m->types);
    if (!m->types) return decode_fail_nomem(d);
    for (uint32_t i = 0; i < m->num_types; i++)
        if (!functype_decode(d, &m->types[i])) return false;
    return true;
}

/* Flags 0/1 (no max / max); 4/5 are the same with an i64 address type
 * (memory64 for memories, table64 for tables; one feature bit, as in the
 * proposal); bit 1 marks a shared memory (threads).  The spec reads the
 * flags as an unsigned LEB128 of as many bits as the enabled features use
 * (1, 2 with threads, 3 with memory64), hence its messages for bad flags. */
static unsigned limits_flag_bits(const decoder *d, bool is_memory) {
    if (d->m->features & KILN_FEATURE_MEMORY64) return 3;
    return is_memory && (d->m->features & KILN_FEATURE_THREADS) ? 2 : 1;
}

/* A one-byte flags value of a proposal kiln lacks (custom page sizes), or
 * of a feature turned off, is named before the spec's generic LEB errors. */
static const char *limits_flags_unsupported(const decoder *d, bool is_memory) {
    if (d->p >= d->end || *d->p >= 0x80) return NULL;
    uint8_t flags = *d->p;
    const char *proposal = is_memory ? proposal_limits_flags(flags) : NULL;
    if (proposal) return proposal;
    if (is_memory && (flags & 2) && !(d->m->features & KILN_FEATURE_THREADS))
        return "shared memory requires the threads feature";
    if (!(d->m->features & KILN_FEATURE_MEMORY64) && (flags == 4 || flags == 5))
        return is_memory ? "64-bit memories need feature 'memory64', which is turned off"
                         : "64-bit tables (table64) need feature 'memory64', which is turned off";
    return NULL;
}

static bool limits_decode(decoder *d, kiln_limits *l, bool *is64, bool *shared) {
    const uint8_t *at = d->p;
    const char *unsupported = limits_flags_unsupported(d, shared != NULL);
    if (unsupported) return decode_fail(d, at, unsupported);
    uint64_t flags;
    leb_status s = leb_read_unsigned(&d->p, d->end, limits_flag_bits(d, shared != NULL), &flags);
    if (s != LEB_OK) return decode_fail_leb(d, s);
    if ((flags & 2) && !shared) return decode_fail(d, at, "malformed limits flags");
    l->has_max = flags & 1;
    *is64 = (flags & 4) != 0;
    if (shared) *shared = (flags & 2) != 0;
    if (flags & 4) return decode_u64(d, &l->min) && (!l->has_max || decode_u64(d, &l->max));
    uint32_t min, max = 0;
    if (!decode_u32(d, &min)) return false;
    if (l->has_max && !decode_u32(d, &max)) return false;
    l->min = min;
    l->max = max;
    return true;
}

static bool tabletype_decode(decoder *d, kiln_tabletype *t) {
    return decode_reftype(d, &t->elem_type) && limits_decode(d, &t->limits, &t->is64, NULL);
}

static bool memtype_decode(decoder *d, kiln_memtype *t) {
    return limits_decode(d, &t->limits, &t->is64, &t->shared);
}

static bool globaltype_decode(decoder *d, kiln_globaltype *t) {
    if (!decode_valtype(d, &t->valtype)) return false;
    const uint8_t *at = d->p;
    uint8_t mut = 0;
    if (!decode_byte(d, &mut)) return false;
    if (mut > 1) return decode_fail(d, at, "malformed mutability");
    t->is_mutable = mut == 1;
    return true;
}

/* A tag type: an attribute byte (0, "exception") and a type index. */
static bool tagtype_decode(decoder *d, uint32_t *type_index) {
    const uint8_t *at = d->p;
    uint8_t attribute = 0;
    if (!decode_byte(d, &attribute)) return false;
    if (attribute != 0) return decode_fail(d, at, "malformed tag attribute");
    return decode_u32(d, type_index);
}

static bool import_desc_decode(decoder *d, kiln_import *imp) {
    kiln_module *m = d->m;
    switch (imp->kind) {
    case KILN_EXTERN_TAG:
        imp->index = m->num_imported_tags++;
        return tagtype_decode(d, &imp->desc.tag_type);
    case KILN_EXTERN_FUNC:
        imp->index = m->num_imported_funcs++;
        return decode_u32(d, &imp->desc.type_index);
    case KILN_EXTERN_TABLE:
        imp->index = m->num_imported_tables++;
        return tabletype_decode(d, &imp->desc.table);
    case KILN_EXTERN_MEMORY:
        imp->index = m->num_imported_memories++;
        return memtype_decode(d, &imp->desc.memory);
    default:
        imp->index = m->num_imported_globals++;
        return globaltype_decode(d, &imp->desc.global);
    }
}

/* Kind 4 (tag) needs the exceptions feature. */
static bool extern_kind_check(decoder *d, uint8_t kind, const uint8_t *at, const char *malformed) {
    if (kind == KILN_EXTERN_TAG) {
        if (d->m->features & KILN_FEATURE_EXCEPTIONS) return true;
        return decode_fail(d, at, KILN_EXCEPTIONS_OFF);
    }
    return kind <= KILN_EXTERN_GLOBAL || decode_fail(d, at, malformed);
}

static bool import_decode(decoder *d, kiln_import *imp) {
    if (!name_decode(d, &imp->module) || !name_decode(d, &imp->name)) return false;
    const uint8_t *at = d->p;
    if (!decode_byte(d, &imp->kind)) return false;
    if (!extern_kind_check(d, imp->kind, at, "malformed import kind")) return false;
    imp->desc_offset = decode_offset(d, d->p);
    return import_desc_decode(d, imp);
}

static bool imports_decode(decoder *d) {
    kiln_module *m = d->m;
    if (!decode_count_limited(d, &m->num_imports, 0, KILN_MAX_IMPORTS, "imports")) return false;
    m->imports = arena_array(m->arena, m->num_imports, sizeof *m->imports);
    if (!m->imports) return decode_fail_nomem(d);
    for (uint32_t i = 0; i < m->num_imports; i++)
        if (!import_decode(d, &m->imports[i])) return false;
    return true;
}

/* ---- unified index spaces ------------------------------------------------ */

/* Each index space is allocated once its defining section is read (or at
 * the end, when that section is absent), imports first.  Both counts are
 * bounded by section bytes, so the sum cannot overflow. */
static void *space_alloc(decoder *d, uint32_t *num, uint32_t imported, uint32_t defined,
                         size_t elem_size) {
    *num = imported + defined;
    void *array = arena_array(d->m->arena, *num, elem_size);
    if (!array) decode_fail_nomem(d);
    return array;
}

static bool funcs_alloc(decoder *d, uint32_t defined) {
    kiln_module *m = d->m;
    m->funcs = space_alloc(d, &m->num_funcs, m->num_imported_funcs, defined, sizeof *m->funcs);
    if (!m->funcs) return false;
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_FUNC) continue;
        kiln_func *f = &m->funcs[imp->index];
        f->imported = true;
        f->import_index = i;
        f->type_index = imp->desc.type_index;
    }
    return true;
}

/* Where each table or memory type of the index space is in the module,
 * imports first, so the validator can place errors about their limits. */
static uint32_t *type_offsets_alloc(decoder *d, uint32_t num, uint8_t kind) {
    kiln_module *m = d->m;
    uint32_t *offsets = arena_array(m->arena, num, sizeof *offsets);
    if (!offsets) {
        decode_fail_nomem(d);
        return NULL;
    }
    for (uint32_t i = 0; i < m->num_imports; i++)
        if (m->imports[i].kind == kind) offsets[m->imports[i].index] = m->imports[i].desc_offset;
    return offsets;
}

static bool tables_alloc(decoder *d, uint32_t defined) {
    kiln_module *m = d->m;
    m->tables = space_alloc(d, &m->num_tables, m->num_imported_tables, defined, sizeof *m->tables);
    if (!m->tables) return false;
    for (uint32_t i = 0; i < m->num_imports; i++)
        if (m->imports[i].kind == KILN_EXTERN_TABLE)
            m->tables[m->imports[i].index] = m->imports[i].desc.table;
    m->table_offsets = type_offsets_alloc(d, m->num_tables, KILN_EXTERN_TABLE);
    m->table_inits = arena_array(m->arena, (size_t)m->num_tables + 1, sizeof *m->table_inits);
    if (!m->table_inits && m->table_offsets) return decode_fail_nomem(d);
    return m->table_offsets != NULL;
}

static bool memories_alloc(decoder *d, uint32_t defined) {
    kiln_module *m = d->m;
    m->memories = space_alloc(d, &m->num_memories, m->num_imported_memories, defined,
                              sizeof *m->memories);
    if (!m->memories) return false;
    for (uint32_t i = 0; i < m->num_imports; i++)
        if (m->imports[i].kind == KILN_EXTERN_MEMORY)
            m->memories[m->imports[i].index] = m->imports[i].desc.memory;
    m->memory_offsets = type_offsets_alloc(d, m->num_memories, KILN_EXTERN_MEMORY);
    return m->memory_offsets != NULL;
}

static bool globals_alloc(decoder *d, uint32_t defined) {
    kiln_module *m = d->m;
    m->globals = space_alloc(d, &m->num_globals, m->num_imported_globals, defined,
                             sizeof *m->globals);
    if (!m->globals) return false;
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_GLOBAL) continue;
        kiln_global *g = &m->globals[imp->index];
        g->type = imp->desc.global;
        g->imported = true;
        g->import_index = i;
    }
    return true;
}

static bool tags_alloc(decoder *d, uint32_t defined) {
    kiln_module *m = d->m;
    m->tags = space_alloc(d, &m->num_tags, m->num_imported_tags, defined, sizeof *m->tags);
    if (!m->tags) return false;
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_TAG) continue;
        kiln_tag *t = &m->tags[imp->index];
        t->type_index = imp->desc.tag_type;
        t->imported = true;
        t->import_index = i;
    }
    return true;
}

/* ---- function, table, memory, tag, global, export, start sections -------- */

static bool funcs_decode(decoder *d) {
    kiln_module *m = d->m;
    uint32_t n;
    if (!decode_count_limited(d, &n, m->num_imported_funcs, KILN_MAX_FUNCS, "functions"))
        return false;
    if (!funcs_alloc(d, n)) return false;
    for (uint32_t i = 0; i < n; i++)
        if (!decode_u32(d, &m->funcs[m->num_imported_funcs + i].type_index)) return false;
    return true;
}

/* A table: its type, or (3.0) 0x40 0x00, its type and an initialiser
 * expression for every element. */
static bool table_decode(decoder *d, uint32_t index) {
    kiln_module *m = d->m;
    bool has_init = typed_refs_on(d) && d->p < d->end && *d->p == 0x40;
    if (has_init) {
        const uint8_t *at = ++d->p;
        uint8_t zero = 0;
        if (!decode_byte(d, &zero)) return false;
        if (zero != 0) return decode_fail(d, at, "malformed table");
    }
    m->table_offsets[index] = decode_offset(d, d->p);
    if (!tabletype_decode(d, &m->tables[index])) return false;
    return !has_init || decode_expr(d, &m->table_inits[index]);
}

static bool tables_decode(decoder *d) {
    kiln_module *m = d->m;
    uint32_t n;
    if (!decode_count_limited(d, &n, m->num_imported_tables, KILN_MAX_TABLES, "tables") ||
        !tables_alloc(d, n))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!table_decode(d, m->num_imported_tables + i)) return false;
    return true;
}

static bool memories_decode(decoder *d) {
    kiln_module *m = d->m;
    uint32_t n;
    if (!decode_count_limited(d, &n, m->num_imported_memories, KILN_MAX_MEMORIES, "memories") ||
        !memories_alloc(d, n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        m->memory_offsets[m->num_imported_memories + i] = decode_offset(d, d->p);
        if (!memtype_decode(d, &m->memories[m->num_imported_memories + i])) return false;
    }
    return true;
}

static bool tags_decode(decoder *d) {
    kiln_module *m = d->m;
    uint32_t n;
    if (!decode_count_limited(d, &n, m->num_imported_tags, KILN_MAX_TAGS, "tags") ||
        !tags_alloc(d, n))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!tagtype_decode(d, &m->tags[m->num_imported_tags + i].type_index)) return false;
    return true;
}

static bool globals_decode(decoder *d) {
    kiln_module *m = d->m;
    uint32_t n;
    if (!decode_count_limited(d, &n, m->num_imported_globals, KILN_MAX_GLOBALS, "globals") ||
        !globals_alloc(d, n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        kiln_global *g = &m->globals[m->num_imported_globals + i];
        if (!globaltype_decode(d, &g->type) || !decode_expr(d, &g->init)) return false;
    }
    return true;
}

static bool export_decode(decoder *d, kiln_export *e) {
    if (!name_decode(d, &e->name)) return false;
    const uint8_t *at = d->p;
    if (!decode_byte(d, &e->kind)) return false;
    if (!extern_kind_check(d, e->kind, at, "malformed export kind")) return false;
    return decode_u32(d, &e->index);
}

static bool exports_decode(decoder *d) {
    kiln_module *m = d->m;
    if (!decode_count_limited(d, &m->num_exports, 0, KILN_MAX_EXPORTS, "exports")) return false;
    m->exports = arena_array(m->arena, m->num_exports, sizeof *m->exports);
    if (!m->exports) return decode_fail_nomem(d);
    for (uint32_t i = 0; i < m->num_exports; i++)
        if (!export_decode(d, &m->exports[i])) return false;
    return true;
}

static bool start_decode(decoder *d) {
    d->m->has_start = true;
    return decode_u32(d, &d->m->start);
}

/* ---- element segments: the 8 encodings of 2.0 ---------------------------- */

enum {
    ELEM_PASSIVE_OR_DECLARATIVE = 1, /* bit 0: not active          */
    ELEM_EXPLICIT_TABLE = 2,         /* bit 1: table index / declarative */
    ELEM_EXPRESSIONS = 4,            /* bit 2: items are expressions */
};

static bool elem_items_decode(decoder *d, kiln_elem *e, bool exprs) {
    if (!decode_count_limited(d, &e->count, 0, KILN_MAX_ELEM_SEGMENT_ITEMS,
                              "elements in a segment"))
        return false;
    if (exprs) {
        e->exprs = arena_array(d->m->arena, e->count, sizeof *e->exprs);
        if (!e->exprs) return decode_fail_nomem(d);
        for (uint32_t i = 0; i < e->count; i++)
            if (!decode_expr(d, &e->exprs[i])) return false;
        return true;
    }
    e->func_indices = arena_array(d->m->arena, e->count, sizeof *e->func_indices);
    if (!e->func_indices) return decode_fail_nomem(d);
    for (uint32_t i = 0; i < e->count; i++)
        if (!decode_u32(d, &e->func_indices[i])) return false;
    return true;
}

/* Function-index segments hold (ref func) in 3.0 (funcref in 2.0). */
static bool elem_funcs_type(decoder *d, kiln_elem *e) {
    e->elem_type = KILN_FUNCREF;
    if (!typed_refs_on(d)) return true;
    kiln_reftype r = {.heap = KILN_HEAP_FUNC, .nullable = false};
    return reftype_intern(d, d->base + e->offset_in_module, r, &e->elem_type);
}

/* elemkind (function-index encodings): only 0x00, meaning funcref. */
static bool elemkind_decode(decoder *d, kiln_elem *e) {
    const uint8_t *at = d->p;
    uint8_t kind = 0;
    if (!decode_byte(d, &kind)) return false;
    if (kind != 0) return decode_fail(d, at, "malformed element kind");
    return elem_funcs_type(d, e);
}

static bool elem_decode(decoder *d, kiln_elem *e) {
    const uint8_t *at = d->p;
    uint32_t flags;
    e->offset_in_module = decode_offset(d, at);
    if (!decode_u32(d, &flags)) return false;
    if (flags > 7) return decode_fail(d, at, "malformed elements segment kind");
    bool exprs = flags & ELEM_EXPRESSIONS;
    e->elem_type = KILN_FUNCREF;
    if (!exprs && !elem_funcs_type(d, e)) return false;
    if (!(flags & ELEM_PASSIVE_OR_DECLARATIVE)) {
        e->mode = KILN_SEGMENT_ACTIVE;
        if ((flags & ELEM_EXPLICIT_TABLE) && !decode_u32(d, &e->table_index)) return false;
        if (!decode_expr(d, &e->offset)) return false;
    } else {
        e->mode = (flags & ELEM_EXPLICIT_TABLE) ? KILN_SEGMENT_DECLARATIVE : KILN_SEGMENT_PASSIVE;
    }
    if (flags & (ELEM_PASSIVE_OR_DECLARATIVE | ELEM_EXPLICIT_TABLE)) {
        bool ok = exprs ? decode_reftype(d, &e->elem_type) : elemkind_decode(d, e);
        if (!ok) return false;
    }
    return elem_items_decode(d, e, exprs);
}

static bool elems_decode(decoder *d) {
    kiln_module *m = d->m;
    if (!decode_count_limited(d, &m->num_elems, 0, KILN_MAX_ELEM_SEGMENTS, "element segments"))
        return false;
    m->elems = arena_array(m->arena, m->num_elems, sizeof *m->elems);
    if (!m->elems) return decode_fail_nomem(d);
    for (uint32_t i = 0; i < m->num_elems; i++)
        if (!elem_decode(d, &m->elems[i])) return false;
    return true;
}

/* ---- data count, code, data ---------------------------------------------- */

static bool data_count_decode(decoder *d) {
    const uint8_t *at = d->p;
    d->m->has_data_count = true;
    if (!decode_u32(d, &d->m->data_count)) return false;
    return d->m->data_count <= KILN_MAX_DATA_SEGMENTS ||
           decode_fail_limit(d, at, d->m->data_count, "data segments", KILN_MAX_DATA_SEGMENTS);
}

static bool codes_decode(decoder *d) {
    kiln_module *m = d->m;
    const uint8_t *at = d->p;
    uint32_t n;
    m->code_offset = decode_offset(d, at);
    m->code_size = (uint32_t)decode_left(d);
    if (!decode_count(d, &n)) return false;
    if (n != m->num_funcs - m->num_imported_funcs)
        return decode_fail(d, at, "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < n; i++) {
        d->func_index = m->num_imported_funcs + i;
        if (!decode_body(d, &m->funcs[d->func_index])) return false;
    }
    d->func_index = KILN_NO_FUNC;
    return true;
}

static bool data_bytes_decode(decoder *d, kiln_data *s) {
    const uint8_t *at = d->p;
    uint32_t size;
    if (!decode_u32(d, &size)) return false;
    if (size > decode_left(d)) return decode_fail(d, at, "unexpected end of section or function");
    uint8_t *copy = arena_alloc(d->m->arena, size);
    if (!copy) return decode_fail_nomem(d);
    memcpy(copy, d->p, size);
    d->p += size;
    s->bytes = copy;
    s->size = size;
    return true;
}

static bool data_decode(decoder *d, kiln_data *s) {
    const uint8_t *at = d->p;
    uint32_t flags;
    s->offset_in_module = decode_offset(d, at);
    if (!decode_u32(d, &flags)) return false;
    if (flags > 2) return decode_fail(d, at, "malformed data segment kind");
    s->mode = flags == 1 ? KILN_SEGMENT_PASSIVE : KILN_SEGMENT_ACTIVE;
    if (flags == 2 && !decode_u32(d, &s->memory_index)) return false;
    if (flags != 1 && !decode_expr(d, &s->offset)) return false;
    return data_bytes_decode(d, s);
}

static bool datas_decode(decoder *d) {
    kiln_module *m = d->m;
    const uint8_t *at = d->p;
    if (!decode_count_limited(d, &m->num_datas, 0, KILN_MAX_DATA_SEGMENTS, "data segments"))
        return false;
    if (m->has_data_count && m->num_datas != m->data_count)
        return decode_fail(d, at, "data count and data section have inconsistent lengths");
    m->datas = arena_array(m->arena, m->num_datas, sizeof *m->datas);
    if (!m->datas) return decode_fail_nomem(d);
    for (uint32_t i = 0; i < m->num_datas; i++)
        if (!data_decode(d, &m->datas[i])) return false;
    return true;
}

/* ---- custom sections and the name section -------------------------------- */

/* Custom sections are few in real modules, but their number is up to the
 * input: grow geometrically so that many tiny ones stay linear. */
static bool customs_reserve(decoder *d) {
    kiln_module *m = d->m;
    if (m->num_customs < d->customs_cap) return true;
    uint32_t cap = d->customs_cap ? d->customs_cap * 2 : 4;
    kiln_custom_section *grown = arena_array(m->arena, cap, sizeof *grown);
    if (!grown) return decode_fail_nomem(d);
    if (m->num_customs) memcpy(grown, m->customs, m->num_customs * sizeof *grown);
    m->customs = grown;
    d->customs_cap = cap;
    return true;
}

static bool custom_record(decoder *d, const kiln_name *name, const uint8_t *section_start) {
    kiln_module *m = d->m;
    if (!customs_reserve(d)) return false;
    size_t size = decode_left(d);
    uint8_t *copy = arena_alloc(m->arena, size);
    if (!copy) return decode_fail_nomem(d);
    memcpy(copy, d->p, size);
    kiln_custom_section *c = &m->customs[m->num_customs++];
    c->name = *name;
    c->bytes = copy;
    c->size = (uint32_t)size;
    c->offset_in_module = decode_offset(d, section_start);
    c->data_offset = decode_offset(d, d->p);
    d->p = d->end;
    return true;
}

static int func_name_compare(const void *a, const void *b) {
    uint32_t x = ((const kiln_func_name *)a)->func_index;
    uint32_t y = ((const kiln_func_name *)b)->func_index;
    return (x > y) - (x < y);
}

static bool func_names_decode(decoder *d) {
    kiln_module *m = d->m;
    uint32_t n;
    if (!decode_count(d, &n)) return false;
    m->func_names = arena_array(m->arena, n, sizeof *m->func_names);
    if (!m->func_names) return decode_fail_nomem(d);
    bool sorted = true;
    for (uint32_t i = 0; i < n; i++) {
        kiln_func_name *fn = &m->func_names[i];
        if (!decode_u32(d, &fn->func_index) || !name_decode(d, &fn->name)) return false;
        if (i && fn->func_index <= m->func_names[i - 1].func_index) sorted = false;
        m->num_func_names = i + 1;
    }
    /* The spec asks for increasing indices; tolerate any order. */
    if (!sorted) qsort(m->func_names, n, sizeof *m->func_names, func_name_compare);
    return true;
}

enum { NAME_MODULE = 0, NAME_FUNCTION = 1 };

static bool name_subsections_decode(decoder *d) {
    while (d->p < d->end) {
        uint8_t id;
        uint32_t size;
        if (!decode_byte(d, &id) || !decode_u32(d, &size)) return false;
        if (size > decode_left(d)) return decode_fail(d, d->p, "length out of bounds");
        const uint8_t *outer_end = d->end;
        d->end = d->p + size;
        bool ok = true;
        if (id == NAME_MODULE) ok = name_decode(d, &d->m->module_name);
        else if (id == NAME_FUNCTION) ok = func_names_decode(d);
        else d->p = d->end; /* local names and later subsections: not needed */
        if (!ok || d->p != d->end) return false;
        d->end = outer_end;
    }
    return true;
}

/* The name section is only a debugging aid: a malformed one is dropped,
 * never an error (the spec says so).  It is read with a private error so
 * the caller's stays clean. */
static void names_decode(decoder *d) {
    decoder sub = *d;
    kiln_error ignored;
    error_clear(&ignored);
    sub.err = &ignored;
    if (!name_subsections_decode(&sub)) {
        d->m->module_name = (kiln_name){0};
        d->m->func_names = NULL;
        d->m->num_func_names = 0;
    }
    d->p = d->end;
}

static bool custom_decode(decoder *d, const uint8_t *section_start) {
    kiln_name name;
    if (!name_decode(d, &name)) return false;
    if (name_equals(&name, "name")) {
        names_decode(d);
        return true;
    }
    return custom_record(d, &name, section_start);
}

/* ---- the module ---------------------------------------------------------- */

static bool section_body_decode(decoder *d, uint8_t id, const uint8_t *section_start) {
    switch ((enum section_id)id) {
    case SEC_CUSTOM: return custom_decode(d, section_start);
    case SEC_TYPE: return types_decode(d);
    case SEC_IMPORT: return imports_decode(d);
    case SEC_FUNC: return funcs_decode(d);
    case SEC_TABLE: return tables_decode(d);
    case SEC_MEMORY: return memories_decode(d);
    case SEC_GLOBAL: return globals_decode(d);
    case SEC_EXPORT: return exports_decode(d);
    case SEC_START: return start_decode(d);
    case SEC_ELEM: return elems_decode(d);
    case SEC_CODE: return codes_decode(d);
    case SEC_DATA: return datas_decode(d);
    case SEC_DATACOUNT: return data_count_decode(d);
    case SEC_TAG: return tags_decode(d);
    case SEC_ID_COUNT: break;
    }
    return decode_fail(d, section_start, "malformed section id");
}

/* Reads one section header and body; *last_rank enforces the order. */
static bool section_decode(decoder *d, uint8_t *last_rank) {
    const uint8_t *start = d->p;
    uint8_t id = *d->p++;
    if (id >= SEC_ID_COUNT || (id == SEC_TAG && !(d->m->features & KILN_FEATURE_EXCEPTIONS))) {
        const char *proposal = proposal_section(id);
        return decode_fail(d, start, proposal ? proposal : "malformed section id");
    }
    const uint8_t *size_at = d->p;
    uint32_t size;
    if (!decode_u32(d, &size)) return false;
    if (size > decode_left(d)) return decode_fail(d, size_at, "length out of bounds");
    if (id != SEC_CUSTOM) {
        if (section_rank[id] <= *last_rank)
            return decode_fail(d, start, "unexpected content after last section");
        *last_rank = section_rank[id];
    }
    d->end = d->section_end = d->p + size;
    d->in_section = true;
    if (!section_body_decode(d, id, start)) return false;
    if (d->p != d->end) return decode_fail(d, d->p, "section size mismatch");
    d->in_section = false;
    d->end = d->section_end = d->file_end;
    return true;
}

/* Checks that need every section seen, and index spaces whose defining
 * section was absent. */
static bool module_finish(decoder *d, bool saw_code, bool saw_data) {
    kiln_module *m = d->m;
    if (!m->funcs && !funcs_alloc(d, 0)) return false;
    if (!m->tables && !tables_alloc(d, 0)) return false;
    if (!m->memories && !memories_alloc(d, 0)) return false;
    if (!m->globals && !globals_alloc(d, 0)) return false;
    if (!m->tags && !tags_alloc(d, 0)) return false;
    if (!saw_code && m->num_funcs != m->num_imported_funcs)
        return decode_fail(d, d->file_end, "function and code section have inconsistent lengths");
    if (!saw_data && m->has_data_count && m->data_count != 0)
        return decode_fail(d, d->file_end, "data count and data section have inconsistent lengths");
    return true;
}

static bool header_decode(decoder *d) {
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    if (decode_left(d) < 4) return decode_fail(d, d->end, "unexpected end");
    if (memcmp(d->p, magic, 4) != 0) return decode_fail(d, d->p, "magic header not detected");
    d->p += 4;
    if (decode_left(d) < 4) return decode_fail(d, d->end, "unexpected end");
    if (memcmp(d->p, version, 4) != 0) {
        const char *proposal = proposal_version(d->p);
        return decode_fail(d, d->p, proposal ? proposal : "unknown binary version");
    }
    d->p += 4;
    return true;
}

static bool sections_decode(decoder *d) {
    uint8_t last_rank = 0;
    bool saw_code = false, saw_data = false;
    while (d->p < d->file_end) {
        uint8_t id = *d->p;
        if (!section_decode(d, &last_rank)) return false;
        saw_code |= id == SEC_CODE;
        saw_data |= id == SEC_DATA;
    }
    return module_finish(d, saw_code, saw_data);
}

kiln_module *module_decode(const uint8_t *bytes, size_t size, const kiln_decode_options *opts,
                           kiln_error *err) {
    kiln_error local;
    if (!err) err = &local;
    error_clear(err);
    if (size > KILN_MAX_MODULE_BYTES) { /* this also keeps offsets in the IR 32-bit */
        error_set_limit(err, 0, size, "bytes in a module", KILN_MAX_MODULE_BYTES);
        return NULL;
    }
    kiln_module *m = module_new(opts ? opts->features : 0, err);
    if (!m) return NULL;
    if (opts && opts->test_fail_alloc_after) arena_fail_after(m->arena, opts->test_fail_alloc_after);
    static const uint8_t empty[1];
    if (!bytes) bytes = empty; /* keep pointer arithmetic defined for (NULL, 0) */
    decoder d = {.base = bytes, .p = bytes, .end = bytes + size, .section_end = bytes + size,
                 .file_end = bytes + size, .m = m, .err = err, .func_index = KILN_NO_FUNC};
    for (int b = 0; b < 256; b++) d.plain_ops[b] = (uint16_t)opcode_lookup(0, (uint8_t)b);
    bool ok = header_decode(&d) && sections_decode(&d);
    free(d.scratch);
    arena_fail_after(m->arena, 0);
    if (!ok) {
        module_free(m);
        return NULL;
    }
    return m;
}
