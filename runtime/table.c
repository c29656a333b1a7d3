/* table.c - tables and the table.* entry points.
 *
 * A table is an array of pointers (kiln_func_ref * or opaque externref
 * values; NULL is the null reference).  Generated code reads `elems` and
 * `size` through the kiln_table_rt it was given, so growth may move the
 * array without telling any instance.  A pooled table (pool.c) has a fixed
 * array as large as its slot, grows in place and goes back to the pool. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

kiln_table *table_create(const kiln_tabletype *type) {
    const kiln_limits *l = &type->limits;
    uint64_t max = l->has_max && l->max < KILN_MAX_TABLE_ELEMS ? l->max : KILN_MAX_TABLE_ELEMS;
    if (l->min > max) return NULL; /* over the declared maximum or kiln's bound */
    kiln_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->rt.elems = calloc(l->min ? l->min : 1, sizeof(void *));
    if (!t->rt.elems) {
        free(t);
        return NULL;
    }
    t->rt.size = (uint32_t)l->min;
    t->rt.max = (uint32_t)max;
    t->rt.elem_type = type->elem_type;
    t->ref = rt_reftype_abi(type->elem_type);
    t->declared_max = l->has_max ? l->max : UINT64_MAX;
    t->has_max = l->has_max;
    t->is64 = type->is64;
    t->refcount = 1;
    return t;
}

void table_retain(kiln_table *t) { t->refcount++; }

void table_release(kiln_table *t) {
    if (!t || --t->refcount > 0) return;
    if (t->slot) {
        pool_table_return(t);
        return;
    }
    free(t->rt.elems);
    free(t);
}

bool table_cap(kiln_table *t, uint64_t elems) {
    if (t->rt.size > elems) return false;
    if (elems < t->rt.max) t->rt.max = (uint32_t)elems;
    return true;
}

/* Returns the old size, or -1 past the maximum (declared, or kiln's
 * KILN_MAX_TABLE_ELEMS) or when memory runs out. */
int64_t table_grow(kiln_table *t, uint64_t delta, void *init) {
    uint32_t old = t->rt.size;
    if (delta > t->rt.max - old) return -1;
    if (delta == 0) return old;
    if (t->slot) { /* rt.max is within the slot's capacity */
        for (uint32_t i = 0; i < delta; i++) t->rt.elems[old + i] = init;
        t->rt.size = old + delta;
        return old;
    }
    void **elems = realloc(t->rt.elems, sizeof(void *) * ((size_t)old + delta));
    if (!elems) return -1;
    for (uint32_t i = 0; i < delta; i++) elems[old + i] = init;
    t->rt.elems = elems;
    t->rt.size = old + delta;
    return old;
}

/* ---- entry points called by generated code --------------------------------- */

static kiln_table_rt *table_at(kiln_vmctx *ctx, uint32_t index) { return ctx->tables[index]; }

static bool range_ok(uint64_t start, uint64_t n, uint64_t size) {
    return start <= size && n <= size - start;
}

void kiln_rt_table_init(kiln_vmctx *ctx, uint32_t table, uint32_t segment, uint64_t dst,
                        uint64_t src, uint64_t n) {
    const elem_values *seg = &ctx->instance->elems[segment];
    kiln_table_rt *t = table_at(ctx, table);
    if (!range_ok(src, n, seg->count) || !range_ok(dst, n, t->size))
        kiln_rt_trap(ctx, KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    if (n) memcpy(t->elems + dst, seg->refs + src, sizeof(void *) * n);
}

void kiln_rt_elem_drop(kiln_vmctx *ctx, uint32_t segment) {
    ctx->instance->elems[segment].count = 0;
}

void kiln_rt_table_copy(kiln_vmctx *ctx, uint32_t dst_table, uint32_t src_table, uint64_t dst,
                        uint64_t src, uint64_t n) {
    kiln_table_rt *d = table_at(ctx, dst_table), *s = table_at(ctx, src_table);
    if (!range_ok(src, n, s->size) || !range_ok(dst, n, d->size))
        kiln_rt_trap(ctx, KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    if (n) memmove(d->elems + dst, s->elems + src, sizeof(void *) * n);
}

int64_t kiln_rt_table_grow(kiln_vmctx *ctx, uint32_t table, void *init, uint64_t delta) {
    return table_grow((kiln_table *)table_at(ctx, table), delta, init);
}

void kiln_rt_table_fill(kiln_vmctx *ctx, uint32_t table, uint64_t dst, void *value, uint64_t n) {
    kiln_table_rt *t = table_at(ctx, table);
    if (!range_ok(dst, n, t->size)) kiln_rt_trap(ctx, KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    for (uint64_t i = 0; i < n; i++) t->elems[dst + i] = value;
}

/* ---- the embedding API -------------------------------------------------------- */

/* A funcref table gets a group node of its own, which the host's handle
 * holds: once instances or the host store references into it, its group
 * is theirs (group.c). */
static kiln_table *table_new(uint8_t elem_type, uint64_t min, uint64_t max, bool has_max,
                             bool is64) {
    if ((elem_type != KILN_FUNCREF && elem_type != KILN_EXTERNREF) || (has_max && max < min))
        return NULL;
    kiln_tabletype type = {elem_type, {min, max, has_max}, is64};
    kiln_table *t = table_create(&type);
    if (t && code_names_instance(elem_type) && !(t->group = group_new(NULL))) {
        table_release(t);
        return NULL;
    }
    return t;
}

kiln_table *kiln_table_new(uint8_t elem_type, uint32_t min, uint32_t max, bool has_max) {
    return table_new(elem_type, min, max, has_max, false);
}

kiln_table *kiln_table64_new(uint8_t elem_type, uint64_t min, uint64_t max, bool has_max) {
    return table_new(elem_type, min, max, has_max, true);
}

/* The host's handle: on the table and on its group (read first: releasing
 * the table may free it). */
void kiln_table_free(kiln_table *t) {
    kiln_group *g = t ? t->group : NULL;
    table_release(t);
    group_release(g);
}
uint32_t kiln_table_size(kiln_table *t) { return t->rt.size; }

bool kiln_table_get(kiln_table *t, uint32_t index, void **ref) {
    if (index >= t->rt.size) return false;
    *ref = t->rt.elems[index];
    return true;
}

/* A host's reference must have the table's element type: wasm code calls
 * a typed table's functions with call_ref, which checks null only.  The
 * reference may be another group's: whoever reaches the table can call
 * it from now on, so the two groups become one (group.c). */
bool kiln_table_set(kiln_table *t, uint32_t index, void *ref) {
    if (index >= t->rt.size || !rt_ref_fits(t->ref, ref)) return false;
    group_join_ref(t->group, t->rt.elem_type, ref);
    t->rt.elems[index] = ref;
    return true;
}

int64_t kiln_table_grow(kiln_table *t, uint32_t delta, void *init) {
    if (!rt_ref_fits(t->ref, init)) return -1;
    if (delta) group_join_ref(t->group, t->rt.elem_type, init);
    return table_grow(t, delta, init);
}
