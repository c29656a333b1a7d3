/* image_read.c - the module image (compiler/module_image.h) back into the
 * kiln_module the runtime instantiates from, without the decoder.
 *
 * The image comes from an object file, which is input: every count is
 * bounded by the bytes left before anything is allocated, every length
 * and index is checked against what it names, and a failure is an error
 * with the offset into the image, never a crash.  Indices the runtime
 * follows (types, functions, globals, tables, memories, reference type
 * codes) are checked here, so instantiation may trust them. */
#include <string.h>

#include "leb128.h"
#include "module_image.h"

typedef struct image_in {
    const uint8_t *base, *p, *end;
    kiln_module *m;
    kiln_error *err;
    bool failed;
} image_in;

static bool fail(image_in *in, const char *what) {
    if (!in->failed)
        error_set(in->err, KILN_ERR_MALFORMED, (uint64_t)(in->p - in->base),
                  "corrupt module image: %s", what);
    in->failed = true;
    return false;
}

static const uint8_t *take(image_in *in, size_t n) {
    if (in->failed) return NULL;
    if (n > (size_t)(in->end - in->p)) {
        fail(in, "unexpected end");
        return NULL;
    }
    const uint8_t *at = in->p;
    in->p += n;
    return at;
}

static uint8_t get_u8(image_in *in) {
    const uint8_t *b = take(in, 1);
    return b ? b[0] : 0;
}

static uint32_t get_u32(image_in *in) {
    const uint8_t *b = take(in, 4);
    return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24 : 0;
}

static uint64_t get_u64(image_in *in) {
    uint64_t lo = get_u32(in);
    return lo | (uint64_t)get_u32(in) << 32;
}

static bool get_bool(image_in *in) {
    uint8_t b = get_u8(in);
    if (b > 1) fail(in, "bad flag");
    return b == 1;
}

/* An index below `limit`, or a failure naming what it indexes. */
static uint32_t get_index(image_in *in, uint32_t limit, const char *what) {
    uint32_t i = get_u32(in);
    if (!in->failed && i >= limit) fail(in, what);
    return i;
}

/* A count of records of at least `min_size` bytes each: bounded by the
 * bytes left, so a lying count cannot ask for a large allocation. */
static uint32_t get_count(image_in *in, size_t min_size) {
    uint32_t n = get_u32(in);
    if (!in->failed && (uint64_t)n * min_size > (uint64_t)(in->end - in->p)) fail(in, "bad count");
    return in->failed ? 0 : n;
}

static void nomem(image_in *in) {
    error_set(in->err, KILN_ERR_NOMEM, 0, "out of memory");
    in->failed = true;
}

static void *alloc_array(image_in *in, size_t count, size_t size) {
    if (in->failed) return NULL;
    /* one more, so that an empty array is still an allocation */
    void *a = arena_array(in->m->arena, count + 1, size);
    if (!a) nomem(in);
    return a;
}

static void get_name(image_in *in, kiln_name *n) {
    n->len = get_u32(in);
    const uint8_t *b = take(in, (size_t)n->len + 1);
    if (b && b[n->len] != 0) fail(in, "name not terminated");
    n->chars = (const char *)b;
}

static bool valtype_ok(const kiln_module *m, uint8_t t) {
    switch (t) {
    case KILN_I32: case KILN_I64: case KILN_F32: case KILN_F64: case KILN_V128:
    case KILN_FUNCREF: case KILN_EXTERNREF: case KILN_EXNREF: return true;
    default: return t >= KILN_REFTYPE_FIRST && t - KILN_REFTYPE_FIRST < (int)m->num_reftypes;
    }
}

static uint8_t get_valtype(image_in *in, bool ref_only) {
    uint8_t t = get_u8(in);
    if (!in->failed && (!valtype_ok(in->m, t) || (ref_only && !valtype_is_ref(t))))
        fail(in, "bad value type");
    return t;
}

/* ---- constant expressions ------------------------------------------------------- */

enum { OP_END = 0x0B, OP_GLOBAL_GET = 0x23, OP_I32_CONST = 0x41, OP_I64_CONST = 0x42,
       OP_F32_CONST = 0x43, OP_F64_CONST = 0x44, OP_REF_NULL = 0xD0, OP_REF_FUNC = 0xD2,
       OP_SIMD = 0xFD, SIMD_V128_CONST = 12 };

static bool const_arith(uint8_t code, kiln_insn *out) {
    static const struct { uint8_t code; uint16_t op; } ops[] = {
        {0x6A, KILN_OP_I32_ADD}, {0x6B, KILN_OP_I32_SUB}, {0x6C, KILN_OP_I32_MUL},
        {0x7C, KILN_OP_I64_ADD}, {0x7D, KILN_OP_I64_SUB}, {0x7E, KILN_OP_I64_MUL},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].code == code) return out->op = ops[i].op, true;
    return false;
}

/* One instruction of a constant expression from p, or false. */
static bool const_insn(const kiln_module *m, const uint8_t **p, const uint8_t *end, kiln_insn *out) {
    uint8_t code = *(*p)++;
    uint32_t sub;
    int64_t heap;
    switch (code) {
    case OP_I32_CONST: out->op = KILN_OP_I32_CONST; return leb_read_s32(p, end, &out->imm.i32) == LEB_OK;
    case OP_I64_CONST: out->op = KILN_OP_I64_CONST; return leb_read_s64(p, end, &out->imm.i64) == LEB_OK;
    case OP_F32_CONST:
    case OP_F64_CONST: {
        size_t n = code == OP_F32_CONST ? 4 : 8;
        if ((size_t)(end - *p) < n) return false;
        out->op = code == OP_F32_CONST ? KILN_OP_F32_CONST : KILN_OP_F64_CONST;
        memcpy(&out->imm.f64_bits, *p, n); /* little-endian hosts, like the ABI */
        *p += n;
        return true;
    }
    case OP_SIMD:
        if (leb_read_u32(p, end, &sub) != LEB_OK || sub != SIMD_V128_CONST || end - *p < 16) return false;
        out->op = KILN_OP_V128_CONST;
        memcpy(out->imm.v128, *p, 16);
        *p += 16;
        return true;
    case OP_REF_NULL: out->op = KILN_OP_REF_NULL; return leb_read_s33(p, end, &heap) == LEB_OK;
    case OP_REF_FUNC:
        out->op = KILN_OP_REF_FUNC;
        return leb_read_u32(p, end, &out->imm.index) == LEB_OK && out->imm.index < m->num_funcs;
    case OP_GLOBAL_GET:
        out->op = KILN_OP_GLOBAL_GET;
        return leb_read_u32(p, end, &out->imm.index) == LEB_OK && out->imm.index < m->num_globals;
    case OP_END: out->op = KILN_OP_END; return *p == end; /* only the last */
    default: return const_arith(code, out);
    }
}

static void get_expr(image_in *in, kiln_expr *e) {
    e->count = 0;
    uint32_t len = get_u32(in);
    const uint8_t *p = take(in, len);
    if (!p || len == 0) return;
    const uint8_t *end = p + len;
    e->insns = alloc_array(in, len, sizeof *e->insns); /* an instruction is a byte at least */
    if (!e->insns) return;
    while (p < end) {
        kiln_insn *insn = &e->insns[e->count++];
        memset(insn, 0, sizeof *insn);
        insn->offset = (uint32_t)(p - in->base);
        if (!const_insn(in->m, &p, end, insn)) {
            fail(in, "bad constant expression");
            return;
        }
    }
    if (e->insns[e->count - 1].op != KILN_OP_END) fail(in, "constant expression without end");
}

/* ---- types and imports ----------------------------------------------------------- */

static void limits_get(image_in *in, kiln_limits *l) {
    l->has_max = get_bool(in);
    l->min = get_u64(in);
    l->max = get_u64(in);
    if (l->has_max && l->min > l->max) fail(in, "minimum above maximum");
}

static void tabletype_get(image_in *in, kiln_tabletype *t) {
    t->elem_type = get_valtype(in, true);
    t->is64 = get_bool(in);
    limits_get(in, &t->limits);
}

static void memtype_get(image_in *in, kiln_memtype *t) {
    t->is64 = get_bool(in);
    t->shared = get_bool(in);
    limits_get(in, &t->limits);
}

static void globaltype_get(image_in *in, kiln_globaltype *t) {
    t->valtype = get_valtype(in, false);
    t->is_mutable = get_bool(in);
}

static void types_read(image_in *in) {
    kiln_module *m = in->m;
    m->num_types = get_count(in, 8);
    m->types = alloc_array(in, m->num_types, sizeof *m->types);
    for (uint32_t i = 0; !in->failed && i < m->num_types; i++) {
        kiln_functype *t = &m->types[i];
        t->num_params = get_u32(in);
        t->num_results = get_u32(in);
        t->params = (uint8_t *)take(in, t->num_params);
        t->results = (uint8_t *)take(in, t->num_results);
    }
    m->num_reftypes = get_count(in, 6);
    if (m->num_reftypes > KILN_MAX_REFTYPES) fail(in, "too many reference types");
    m->reftypes = alloc_array(in, m->num_reftypes, sizeof *m->reftypes);
    for (uint32_t i = 0; !in->failed && i < m->num_reftypes; i++) {
        kiln_reftype *r = &m->reftypes[i];
        r->heap = get_u8(in);
        r->nullable = get_bool(in);
        r->type_index = get_u32(in);
        bool abstract = r->heap == KILN_HEAP_FUNC || r->heap == KILN_HEAP_EXTERN ||
                        r->heap == KILN_HEAP_NOFUNC || r->heap == KILN_HEAP_NOEXTERN ||
                        r->heap == KILN_HEAP_EXN || r->heap == KILN_HEAP_NOEXN;
        if (!abstract && (r->heap != KILN_HEAP_TYPE || r->type_index >= m->num_types))
            fail(in, "bad reference type");
    }
    /* Value types are checked once the reference types they may name are known. */
    for (uint32_t i = 0; !in->failed && i < m->num_types; i++) {
        const kiln_functype *t = &m->types[i];
        for (uint32_t k = 0; k < t->num_params + t->num_results; k++) {
            uint8_t v = k < t->num_params ? t->params[k] : t->results[k - t->num_params];
            if (!valtype_ok(m, v)) fail(in, "bad value type");
        }
    }
}

/* Each import takes the next index of its kind's space. */
static uint32_t *import_counter(kiln_module *m, uint8_t kind) {
    switch (kind) {
    case KILN_EXTERN_FUNC: return &m->num_imported_funcs;
    case KILN_EXTERN_TABLE: return &m->num_imported_tables;
    case KILN_EXTERN_MEMORY: return &m->num_imported_memories;
    case KILN_EXTERN_GLOBAL: return &m->num_imported_globals;
    case KILN_EXTERN_TAG: return &m->num_imported_tags;
    default: return NULL;
    }
}

static void import_read(image_in *in, kiln_import *imp) {
    kiln_module *m = in->m;
    get_name(in, &imp->module);
    get_name(in, &imp->name);
    imp->kind = get_u8(in);
    imp->desc_offset = (uint32_t)(in->p - in->base);
    uint32_t *counter = import_counter(m, imp->kind);
    if (!counter) {
        fail(in, "bad import kind");
        return;
    }
    imp->index = (*counter)++;
    switch (imp->kind) {
    case KILN_EXTERN_FUNC: imp->desc.type_index = get_index(in, m->num_types, "bad type index"); break;
    case KILN_EXTERN_TAG: imp->desc.tag_type = get_index(in, m->num_types, "bad type index"); break;
    case KILN_EXTERN_TABLE: tabletype_get(in, &imp->desc.table); break;
    case KILN_EXTERN_MEMORY: memtype_get(in, &imp->desc.memory); break;
    default: globaltype_get(in, &imp->desc.global); break;
    }
}

static void imports_read(image_in *in) {
    kiln_module *m = in->m;
    m->num_imports = get_count(in, 11);
    m->imports = alloc_array(in, m->num_imports, sizeof *m->imports);
    for (uint32_t i = 0; !in->failed && i < m->num_imports; i++) import_read(in, &m->imports[i]);
}

/* ---- index spaces: imports first, then the module's own ---------------------------- */

/* Reads the defined count and allocates imported + defined entries;
 * returns the defined count (0 on failure). */
static uint32_t space_read(image_in *in, void **array, uint32_t *num, uint32_t imported,
                           size_t elem_size, size_t min_record) {
    uint32_t defined = get_count(in, min_record);
    *num = imported + defined; /* both bounded by the image size, which fits 32 bits */
    *array = alloc_array(in, *num, elem_size);
    return in->failed ? 0 : defined;
}

static void funcs_read(image_in *in) {
    kiln_module *m = in->m;
    uint32_t n = space_read(in, (void **)&m->funcs, &m->num_funcs, m->num_imported_funcs,
                            sizeof *m->funcs, 4);
    for (uint32_t i = 0; !in->failed && i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_FUNC) continue;
        m->funcs[imp->index] = (kiln_func){.type_index = imp->desc.type_index, .imported = true,
                                           .import_index = i};
    }
    for (uint32_t i = 0; i < n; i++)
        m->funcs[m->num_imported_funcs + i].type_index = get_index(in, m->num_types, "bad type index");
}

static void memories_read(image_in *in) {
    kiln_module *m = in->m;
    uint32_t n = space_read(in, (void **)&m->memories, &m->num_memories, m->num_imported_memories,
                            sizeof *m->memories, 19);
    for (uint32_t i = 0; !in->failed && i < m->num_imports; i++)
        if (m->imports[i].kind == KILN_EXTERN_MEMORY)
            m->memories[m->imports[i].index] = m->imports[i].desc.memory;
    for (uint32_t i = 0; i < n; i++) memtype_get(in, &m->memories[m->num_imported_memories + i]);
}

static void tags_read(image_in *in) {
    kiln_module *m = in->m;
    uint32_t n = space_read(in, (void **)&m->tags, &m->num_tags, m->num_imported_tags,
                            sizeof *m->tags, 4);
    for (uint32_t i = 0; !in->failed && i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_TAG) continue;
        m->tags[imp->index] = (kiln_tag){imp->desc.tag_type, true, i};
    }
    for (uint32_t i = 0; i < n; i++)
        m->tags[m->num_imported_tags + i].type_index = get_index(in, m->num_types, "bad type index");
}

static void globals_read(image_in *in) {
    kiln_module *m = in->m;
    uint32_t n = space_read(in, (void **)&m->globals, &m->num_globals, m->num_imported_globals,
                            sizeof *m->globals, 6);
    for (uint32_t i = 0; !in->failed && i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_GLOBAL) continue;
        m->globals[imp->index] = (kiln_global){.type = imp->desc.global, .imported = true,
                                               .import_index = i};
    }
    for (uint32_t i = 0; i < n; i++) {
        kiln_global *g = &m->globals[m->num_imported_globals + i];
        globaltype_get(in, &g->type);
        get_expr(in, &g->init);
    }
}

static void tables_read(image_in *in) {
    kiln_module *m = in->m;
    uint32_t n = space_read(in, (void **)&m->tables, &m->num_tables, m->num_imported_tables,
                            sizeof *m->tables, 23);
    m->table_inits = alloc_array(in, m->num_tables, sizeof *m->table_inits);
    for (uint32_t i = 0; !in->failed && i < m->num_imports; i++)
        if (m->imports[i].kind == KILN_EXTERN_TABLE)
            m->tables[m->imports[i].index] = m->imports[i].desc.table;
    for (uint32_t i = 0; i < n; i++) {
        tabletype_get(in, &m->tables[m->num_imported_tables + i]);
        get_expr(in, &m->table_inits[m->num_imported_tables + i]);
    }
}

/* ---- exports, segments, names ------------------------------------------------------- */

static uint32_t space_size(const kiln_module *m, uint8_t kind) {
    switch (kind) {
    case KILN_EXTERN_FUNC: return m->num_funcs;
    case KILN_EXTERN_TABLE: return m->num_tables;
    case KILN_EXTERN_MEMORY: return m->num_memories;
    case KILN_EXTERN_GLOBAL: return m->num_globals;
    case KILN_EXTERN_TAG: return m->num_tags;
    default: return 0;
    }
}

static void exports_read(image_in *in) {
    kiln_module *m = in->m;
    m->num_exports = get_count(in, 10);
    m->exports = alloc_array(in, m->num_exports, sizeof *m->exports);
    for (uint32_t i = 0; !in->failed && i < m->num_exports; i++) {
        kiln_export *e = &m->exports[i];
        get_name(in, &e->name);
        e->kind = get_u8(in);
        e->index = get_index(in, space_size(m, e->kind), "bad export");
    }
    m->has_start = get_bool(in);
    m->start = get_u32(in);
    if (m->has_start && m->start >= m->num_funcs) fail(in, "bad start function");
}

static void elem_read(image_in *in, kiln_elem *e) {
    kiln_module *m = in->m;
    e->offset_in_module = (uint32_t)(in->p - in->base);
    e->mode = get_u8(in);
    e->elem_type = get_valtype(in, true);
    e->table_index = get_u32(in);
    if (e->mode > KILN_SEGMENT_DECLARATIVE) fail(in, "bad segment mode");
    if (e->mode == KILN_SEGMENT_ACTIVE && e->table_index >= m->num_tables) fail(in, "bad table index");
    get_expr(in, &e->offset);
    e->count = get_count(in, 4);
    bool exprs = get_bool(in);
    if (exprs) e->exprs = alloc_array(in, e->count, sizeof *e->exprs);
    else e->func_indices = alloc_array(in, e->count, sizeof *e->func_indices);
    for (uint32_t k = 0; !in->failed && k < e->count; k++) {
        if (exprs) get_expr(in, &e->exprs[k]);
        else e->func_indices[k] = get_index(in, m->num_funcs, "bad function index");
    }
}

static void data_read(image_in *in, kiln_data *d) {
    d->offset_in_module = (uint32_t)(in->p - in->base);
    d->mode = get_u8(in);
    d->memory_index = get_u32(in);
    if (d->mode > KILN_SEGMENT_PASSIVE) fail(in, "bad segment mode");
    if (d->mode == KILN_SEGMENT_ACTIVE && d->memory_index >= in->m->num_memories)
        fail(in, "bad memory index");
    get_expr(in, &d->offset);
    d->size = get_u32(in);
    d->bytes = take(in, d->size);
}

static void segments_read(image_in *in) {
    kiln_module *m = in->m;
    m->num_elems = get_count(in, 15);
    m->elems = alloc_array(in, m->num_elems, sizeof *m->elems);
    for (uint32_t i = 0; !in->failed && i < m->num_elems; i++) elem_read(in, &m->elems[i]);
    m->num_datas = get_count(in, 13);
    m->datas = alloc_array(in, m->num_datas, sizeof *m->datas);
    for (uint32_t i = 0; !in->failed && i < m->num_datas; i++) data_read(in, &m->datas[i]);
    m->has_data_count = true;
    m->data_count = m->num_datas;
}

static void names_read(image_in *in) {
    kiln_module *m = in->m;
    get_name(in, &m->module_name);
    m->num_func_names = get_count(in, 9);
    m->func_names = alloc_array(in, m->num_func_names, sizeof *m->func_names);
    for (uint32_t i = 0; !in->failed && i < m->num_func_names; i++) {
        kiln_func_name *f = &m->func_names[i];
        f->func_index = get_u32(in);
        get_name(in, &f->name);
        /* module_func_name searches them by binary search */
        if (i && f->func_index <= m->func_names[i - 1].func_index) fail(in, "names not sorted");
    }
}

static void magic_read(image_in *in, const char magic[4]) {
    const uint8_t *b = take(in, 4);
    if (b && memcmp(b, magic, 4) != 0) fail(in, "bad magic");
}

kiln_module *module_image_read(const uint8_t *image, size_t size, kiln_error *err) {
    error_clear(err);
    if (!image || size > UINT32_MAX) {
        error_set(err, KILN_ERR_MALFORMED, 0, "corrupt module image: bad size");
        return NULL;
    }
    kiln_module *m = module_new(0, err);
    if (!m) return NULL;
    image_in in = {image, image, image + size, m, err, false};
    magic_read(&in, "KIMG");
    if (get_u32(&in) != KILN_IMAGE_VERSION && !in.failed) fail(&in, "unknown version");
    types_read(&in);
    imports_read(&in);
    funcs_read(&in);
    memories_read(&in);
    tags_read(&in);
    globals_read(&in);
    tables_read(&in);
    exports_read(&in);
    segments_read(&in);
    names_read(&in);
    magic_read(&in, "KEND");
    if (!in.failed && in.p != in.end) fail(&in, "bytes after the end");
    if (!in.failed && !module_own_globals(m)) nomem(&in);
    if (in.failed) {
        module_free(m);
        return NULL;
    }
    return m;
}
