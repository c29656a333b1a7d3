/* image_write.c - serializes a decoded module into the module image that
 * compiled objects carry (format: module_image.h). */
#include <stdlib.h>
#include <string.h>

#include "module_image.h"

typedef struct image_out {
    uint8_t *buf;
    size_t len, cap;
    bool failed; /* out of memory, or an expression outside the module */
    const uint8_t *bytes; /* the module the expressions come from */
    size_t size;
} image_out;

static void put(image_out *o, const void *p, size_t n) {
    if (o->failed || n == 0) return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n) cap *= 2;
        uint8_t *buf = realloc(o->buf, cap);
        if (!buf) {
            o->failed = true;
            return;
        }
        o->buf = buf;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void put_u8(image_out *o, uint8_t v) { put(o, &v, 1); }

static void put_u32(image_out *o, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(o, b, 4);
}

static void put_u64(image_out *o, uint64_t v) {
    put_u32(o, (uint32_t)v);
    put_u32(o, (uint32_t)(v >> 32));
}

static void put_name(image_out *o, const kiln_name *n) {
    put_u32(o, n->len);
    put(o, n->chars, n->len);
    put_u8(o, 0);
}

/* A constant expression as the module encodes it: from its first
 * instruction's offset through its final `end` (one byte). */
static void put_expr(image_out *o, const kiln_expr *e) {
    if (e->count == 0) {
        put_u32(o, 0);
        return;
    }
    size_t from = e->insns[0].offset, to = (size_t)e->insns[e->count - 1].offset + 1;
    if (to > o->size || from >= to || o->bytes[to - 1] != 0x0B) {
        o->failed = true;
        return;
    }
    put_u32(o, (uint32_t)(to - from));
    put(o, o->bytes + from, to - from);
}

static void put_limits(image_out *o, const kiln_limits *l) {
    put_u8(o, l->has_max);
    put_u64(o, l->min);
    put_u64(o, l->max);
}

static void put_tabletype(image_out *o, const kiln_tabletype *t) {
    put_u8(o, t->elem_type);
    put_u8(o, t->is64);
    put_limits(o, &t->limits);
}

static void put_memtype(image_out *o, const kiln_memtype *t) {
    put_u8(o, t->is64);
    put_u8(o, t->shared);
    put_limits(o, &t->limits);
}

static void put_globaltype(image_out *o, const kiln_globaltype *t) {
    put_u8(o, t->valtype);
    put_u8(o, t->is_mutable);
}

static void types_write(image_out *o, const kiln_module *m) {
    put_u32(o, m->num_types);
    for (uint32_t i = 0; i < m->num_types; i++) {
        const kiln_functype *t = &m->types[i];
        put_u32(o, t->num_params);
        put_u32(o, t->num_results);
        put(o, t->params, t->num_params);
        put(o, t->results, t->num_results);
    }
    put_u32(o, m->num_reftypes);
    for (uint32_t i = 0; i < m->num_reftypes; i++) {
        put_u8(o, m->reftypes[i].heap);
        put_u8(o, m->reftypes[i].nullable);
        put_u32(o, m->reftypes[i].type_index);
    }
}

static void imports_write(image_out *o, const kiln_module *m) {
    put_u32(o, m->num_imports);
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        put_name(o, &imp->module);
        put_name(o, &imp->name);
        put_u8(o, imp->kind);
        switch (imp->kind) {
        case KILN_EXTERN_FUNC: put_u32(o, imp->desc.type_index); break;
        case KILN_EXTERN_TAG: put_u32(o, imp->desc.tag_type); break;
        case KILN_EXTERN_TABLE: put_tabletype(o, &imp->desc.table); break;
        case KILN_EXTERN_MEMORY: put_memtype(o, &imp->desc.memory); break;
        default: put_globaltype(o, &imp->desc.global); break;
        }
    }
}

/* The defined entities of every index space, in the order the reader
 * needs them: globals before tables, whose initialisers may read them. */
static void defined_write(image_out *o, const kiln_module *m) {
    put_u32(o, m->num_funcs - m->num_imported_funcs);
    for (uint32_t i = m->num_imported_funcs; i < m->num_funcs; i++) put_u32(o, m->funcs[i].type_index);
    put_u32(o, m->num_memories - m->num_imported_memories);
    for (uint32_t i = m->num_imported_memories; i < m->num_memories; i++)
        put_memtype(o, &m->memories[i]);
    put_u32(o, m->num_tags - m->num_imported_tags);
    for (uint32_t i = m->num_imported_tags; i < m->num_tags; i++) put_u32(o, m->tags[i].type_index);
    put_u32(o, m->num_globals - m->num_imported_globals);
    for (uint32_t i = m->num_imported_globals; i < m->num_globals; i++) {
        put_globaltype(o, &m->globals[i].type);
        put_expr(o, &m->globals[i].init);
    }
    put_u32(o, m->num_tables - m->num_imported_tables);
    for (uint32_t i = m->num_imported_tables; i < m->num_tables; i++) {
        put_tabletype(o, &m->tables[i]);
        put_expr(o, &m->table_inits[i]);
    }
}

static void exports_write(image_out *o, const kiln_module *m) {
    put_u32(o, m->num_exports);
    for (uint32_t i = 0; i < m->num_exports; i++) {
        put_name(o, &m->exports[i].name);
        put_u8(o, m->exports[i].kind);
        put_u32(o, m->exports[i].index);
    }
    put_u8(o, m->has_start);
    put_u32(o, m->start);
}

static void segments_write(image_out *o, const kiln_module *m) {
    put_u32(o, m->num_elems);
    for (uint32_t i = 0; i < m->num_elems; i++) {
        const kiln_elem *e = &m->elems[i];
        put_u8(o, e->mode);
        put_u8(o, e->elem_type);
        put_u32(o, e->table_index);
        put_expr(o, &e->offset);
        put_u32(o, e->count);
        put_u8(o, e->func_indices == NULL);
        for (uint32_t k = 0; k < e->count; k++) {
            if (e->func_indices) put_u32(o, e->func_indices[k]);
            else put_expr(o, &e->exprs[k]);
        }
    }
    put_u32(o, m->num_datas);
    for (uint32_t i = 0; i < m->num_datas; i++) {
        const kiln_data *d = &m->datas[i];
        put_u8(o, d->mode);
        put_u32(o, d->memory_index);
        put_expr(o, &d->offset);
        put_u32(o, d->size);
        put(o, d->bytes, d->size);
    }
}

static void names_write(image_out *o, const kiln_module *m) {
    put_name(o, &m->module_name);
    put_u32(o, m->num_func_names);
    for (uint32_t i = 0; i < m->num_func_names; i++) {
        put_u32(o, m->func_names[i].func_index);
        put_name(o, &m->func_names[i].name);
    }
}

bool module_image_write(const kiln_module *m, const uint8_t *bytes, size_t size, uint8_t **out,
                        size_t *out_size, kiln_error *err) {
    image_out o = {.bytes = bytes, .size = size};
    put(&o, "KIMG", 4);
    put_u32(&o, KILN_IMAGE_VERSION);
    types_write(&o, m);
    imports_write(&o, m);
    defined_write(&o, m);
    exports_write(&o, m);
    segments_write(&o, m);
    names_write(&o, m);
    put(&o, "KEND", 4);
    if (o.failed) {
        free(o.buf);
        return error_set(err, KILN_ERR_NOMEM, 0, "cannot write the module image");
    }
    *out = o.buf;
    *out_size = o.len;
    return true;
}
