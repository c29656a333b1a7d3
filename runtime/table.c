/* table.c - tables and the table.* entry points.
 *
 * A table is an array of pointers (kiln_func_ref * or opaque externref
 * values; NULL is the null reference).  Generated code reads `elems` and
 * `size` through the kiln_table_rt it was given, so growth may move the
 * array without telling any instance.  A pooled table (pool.c) has a fixed
 * array as large as its slot, grows in place and goes back to the pool. */
#define _GNU_SOURCE /* mremap */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"

/* ---- storage ------------------------------------------------------------------
 *
 * Elements of a page or more are mapped rather than allocated: the
 * kernel's zero pages are null references, so a table costs memory only
 * where something is written.  A 400 KB module may declare 100,000 tables
 * of 10,000 elements; from the heap (calloc clears what it reuses) they
 * took 6.7 GB before the first instruction ran, mapped they take almost
 * nothing.  Below a page the heap is cheaper.  `mapped` is the mapping's
 * length (0: heap), and elements past rt.size are null in a mapping:
 * tables never shrink, so nothing beyond the size was ever written. */

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static size_t storage_bytes(uint64_t elems) { return (size_t)elems * sizeof(void *); }

/* A mapping's length for `elems` elements: whole pages. */
static size_t mapping_bytes(uint64_t elems) {
    size_t page = page_size();
    return (storage_bytes(elems) + page - 1) / page * page;
}

/* Zeroed storage for `elems` elements; *mapped gets the mapping's length
 * (0: on the heap). */
static void **storage_new(uint64_t elems, size_t *mapped) {
    *mapped = 0;
    if (storage_bytes(elems) < page_size()) return calloc(elems ? elems : 1, sizeof(void *));
    size_t len = mapping_bytes(elems);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) return NULL;
    *mapped = len;
    return p;
}

static void storage_free(void **elems, size_t mapped) {
    if (mapped)
        munmap(elems, mapped);
    else
        free(elems);
}

/* Room for `elems` elements, the first `used` kept; false when memory
 * runs out (the table is unchanged then). */
static bool storage_reserve(kiln_table *t, uint64_t used, uint64_t elems) {
    if (storage_bytes(elems) <= t->mapped) return true;
    if (!t->mapped && storage_bytes(elems) < page_size()) {
        void **grown = realloc(t->rt.elems, storage_bytes(elems));
        if (!grown) return false;
        t->rt.elems = grown;
        return true;
    }
#ifdef __linux__
    if (t->mapped) { /* moves the pages instead of copying them, zeros too */
        size_t len = mapping_bytes(elems);
        void *moved = mremap(t->rt.elems, t->mapped, len, MREMAP_MAYMOVE);
        if (moved == MAP_FAILED) return false;
        t->rt.elems = moved;
        t->mapped = len;
        return true;
    }
#endif
    size_t mapped;
    void **fresh = storage_new(elems, &mapped);
    if (!fresh) return false;
    memcpy(fresh, t->rt.elems, storage_bytes(used));
    storage_free(t->rt.elems, t->mapped);
    t->rt.elems = fresh;
    t->mapped = mapped;
    return true;
}

kiln_table *table_create(const kiln_tabletype *type) {
    const kiln_limits *l = &type->limits;
    uint64_t max = l->has_max && l->max < KILN_MAX_TABLE_ELEMS ? l->max : KILN_MAX_TABLE_ELEMS;
    if (l->min > max) return NULL; /* over the declared maximum or kiln's bound */
    kiln_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->rt.elems = storage_new(l->min, &t->mapped);
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
    if (t->budget) { /* its elements go back to what its instance's tables share */
        budget_give(t->budget, t->rt.size);
        budget_release(t->budget);
        t->budget = NULL;
    }
    if (t->slot) {
        pool_table_return(t);
        return;
    }
    storage_free(t->rt.elems, t->mapped);
    free(t);
}

bool table_cap(kiln_table *t, uint64_t elems) {
    if (t->rt.size > elems) return false;
    if (elems < t->rt.max) t->rt.max = (uint32_t)elems;
    return true;
}

/* Returns the old size, or -1 past the maximum (declared, or kiln's
 * KILN_MAX_TABLE_ELEMS), past what its instance's tables may hold
 * together (budget.c) or when memory runs out. */
int64_t table_grow(kiln_table *t, uint64_t delta, void *init) {
    uint32_t old = t->rt.size;
    if (delta > t->rt.max - old) return -1;
    if (delta == 0) return old;
    if (t->budget && !budget_take(t->budget, delta)) return -1;
    if (t->slot) { /* rt.max is within the slot's capacity */
        for (uint32_t i = 0; i < delta; i++) t->rt.elems[old + i] = init;
        t->rt.size = old + delta;
        return old;
    }
    if (!storage_reserve(t, old, (uint64_t)old + delta)) {
        if (t->budget) budget_give(t->budget, delta);
        return -1;
    }
    if (init || !t->mapped) /* a mapping is null past the size already */
        for (uint32_t i = 0; i < delta; i++) t->rt.elems[old + i] = init;
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
