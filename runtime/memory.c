/* memory.c - linear memories and the memory.* entry points.
 *
 * Two layouts, so that guard-page code can be added without touching
 * explicit-check code:
 *  - explicit: exactly `size` bytes mapped read/write; growth is an
 *    mremap that may move the memory (every view's cached base is then
 *    refreshed);
 *  - guarded: 8 GiB + one page reserved PROT_NONE up front (any 32-bit
 *    address plus any 32-bit offset lands inside it), the first `size`
 *    bytes made read/write; growth is an mprotect and never moves.
 * A shared memory (threads) may be in use by other threads while it
 * grows, so it never moves either: in explicit mode its declared maximum
 * (a shared memory must have one) is reserved PROT_NONE up front and
 * growth is an mprotect, as in guard mode.  Growth of a shared memory is
 * serialised by shared_grow_lock, and the new size is published with a
 * release store after the pages are accessible, so a thread that sees
 * the new size (its vmctx cache or rt.size) can use every byte of it.
 * Pages are mapped MAP_NORESERVE: untouched pages cost nothing.  A pooled
 * memory (pool.c) lives in a slot of its pool's reservation, grows in
 * place like a guarded one and goes back to the pool at release. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

/* Guards every memory's view list: instances sharing a memory may be
 * created and freed on different threads. */
static pthread_mutex_t views_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t shared_grow_lock = PTHREAD_MUTEX_INITIALIZER;

/* The caches may be read by generated code on other threads meanwhile
 * (shared memories): aligned 64-bit stores, so no reader sees half. */
static void views_update(kiln_memory *m) {
    pthread_mutex_lock(&views_lock);
    for (uint32_t i = 0; i < m->num_views; i++) {
        __atomic_store_n(&m->views[i]->mem0_base, m->rt.base, __ATOMIC_RELEASE);
        __atomic_store_n(&m->views[i]->mem0_size, m->rt.size, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&views_lock);
}

static uint8_t *pages_map(uint64_t bytes, int prot) {
    void *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static bool explicit_resize(kiln_memory *m, uint64_t new_size) {
    uint8_t *base;
    if (!m->rt.base)
        base = pages_map(new_size, PROT_READ | PROT_WRITE);
    else {
        void *p = mremap(m->rt.base, m->reserved, new_size, MREMAP_MAYMOVE);
        base = p == MAP_FAILED ? NULL : p;
    }
    if (!base) return false;
    m->rt.base = base;
    m->reserved = new_size;
    return true;
}

static bool guarded_resize(kiln_memory *m, uint64_t new_size) {
    uint64_t old = m->rt.size;
    return mprotect(m->rt.base + old, new_size - old, PROT_READ | PROT_WRITE) == 0;
}

static bool guarded_reserve(kiln_memory *m) {
    uint8_t *base = pages_map(GUARD_RESERVATION, PROT_NONE);
    if (!base) return false;
    if ((m->rt.size && mprotect(base, m->rt.size, PROT_READ | PROT_WRITE) != 0) ||
        !signals_reservation_add(base, GUARD_RESERVATION)) {
        munmap(base, GUARD_RESERVATION);
        return false;
    }
    if (m->rt.size) memcpy(base, m->rt.base, m->rt.size);
    if (m->rt.base) munmap(m->rt.base, m->reserved);
    m->rt.base = base;
    m->reserved = GUARD_RESERVATION;
    m->guarded = true;
    return true;
}

/* A shared memory in explicit mode: its maximum reserved, never moved. */
static bool shared_reserve(kiln_memory *m) {
    uint64_t bytes = m->rt.max_pages ? m->rt.max_pages * KILN_PAGE_SIZE : KILN_PAGE_SIZE;
    uint8_t *base = pages_map(bytes, PROT_NONE);
    if (!base) return false;
    m->rt.base = base;
    m->reserved = bytes;
    return true;
}

uint64_t memory_runtime_max_pages(bool is64) {
    return is64 ? KILN_MAX_PAGES64 : KILN_MAX_PAGES32;
}

/* rt.max_pages is the declared maximum (import matching reads it, up to
 * 2^48 pages for a 64-bit memory); growth also stops at the runtime's
 * bound.  A 64-bit memory is never guarded: every access to it carries
 * an explicit check (docs/sandbox.md), and it may outgrow the
 * reservation. */
kiln_memory *memory_create(const kiln_memtype *type, bool guarded) {
    const kiln_limits *l = &type->limits;
    uint64_t bound = memory_runtime_max_pages(type->is64);
    if (l->min > bound || (l->has_max && l->min > l->max)) return NULL;
    kiln_memory *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rt.max_pages = l->has_max ? l->max : bound;
    m->min_pages = l->min;
    m->has_max = l->has_max;
    m->is64 = type->is64;
    m->refcount = 1;
    m->shared = type->shared;
    uint64_t size = l->min * KILN_PAGE_SIZE;
    guarded = guarded && !type->is64;
    bool in_place = guarded || m->shared;
    bool ok = guarded ? guarded_reserve(m) : m->shared ? shared_reserve(m) : true;
    if (ok && size) ok = in_place ? guarded_resize(m, size) : explicit_resize(m, size);
    if (!ok) {
        memory_release(m);
        return NULL;
    }
    m->rt.size = size;
    return m;
}

bool memory_make_guarded(kiln_memory *m) {
    if (m->guarded || m->is64) return true; /* 64-bit: explicit checks only */
    if (m->slot) return false; /* a small pool slot cannot move */
    /* Moving a shared memory another instance uses could pull it from
     * under a running thread. */
    if (m->shared && m->num_views > 0) return false;
    if (!guarded_reserve(m)) return false;
    views_update(m);
    return true;
}

void memory_retain(kiln_memory *m) { m->refcount++; }

void memory_release(kiln_memory *m) {
    if (!m || --m->refcount > 0) return;
    if (m->budget) { /* its pages go back to what its instance's memories share */
        budget_give(m->budget, m->rt.size / KILN_PAGE_SIZE);
        budget_release(m->budget);
        m->budget = NULL;
    }
    if (m->slot) {
        pool_memory_return(m);
        return;
    }
    if (m->guarded) signals_reservation_remove(m->rt.base);
    if (m->rt.base) munmap(m->rt.base, m->reserved);
    free(m->views);
    free(m);
}

bool memory_view_add(kiln_memory *m, kiln_vmctx *ctx) {
    pthread_mutex_lock(&views_lock);
    bool ok = true;
    if (m->num_views == m->cap_views) {
        uint32_t cap = m->cap_views ? m->cap_views * 2 : 4;
        kiln_vmctx **bigger = realloc(m->views, sizeof *bigger * cap);
        ok = bigger != NULL;
        if (ok) m->views = bigger, m->cap_views = cap;
    }
    if (ok) {
        m->views[m->num_views++] = ctx;
        ctx->mem0_base = m->rt.base;
        ctx->mem0_size = m->rt.size;
    }
    pthread_mutex_unlock(&views_lock);
    return ok;
}

void memory_view_remove(kiln_memory *m, kiln_vmctx *ctx) {
    pthread_mutex_lock(&views_lock);
    for (uint32_t i = 0; i < m->num_views; i++)
        if (m->views[i] == ctx) {
            m->views[i] = m->views[--m->num_views];
            break;
        }
    pthread_mutex_unlock(&views_lock);
}

bool memory_cap(kiln_memory *m, uint64_t pages) {
    if (m->rt.size / KILN_PAGE_SIZE > pages) return false;
    if (!m->capped || pages < m->cap_pages) m->cap_pages = pages;
    m->capped = true;
    return true;
}

/* rt.max_pages stays the declared maximum (import matching reads it); an
 * instance limit only stops growth. */
static int64_t memory_grow_locked(kiln_memory *m, uint64_t delta_pages) {
    uint64_t old_pages = m->rt.size / KILN_PAGE_SIZE;
    uint64_t max = m->capped && m->cap_pages < m->rt.max_pages ? m->cap_pages : m->rt.max_pages;
    uint64_t bound = memory_runtime_max_pages(m->is64);
    if (max > bound) max = bound;
    if (delta_pages > max - old_pages) return -1;
    if (delta_pages == 0) return (int64_t)old_pages;
    uint64_t new_size = (old_pages + delta_pages) * KILN_PAGE_SIZE;
    if (m->budget && !budget_take(m->budget, delta_pages)) return -1;
    bool in_place = m->guarded || m->slot || m->shared;
    bool ok = in_place ? guarded_resize(m, new_size) : explicit_resize(m, new_size);
    if (!ok) {
        if (m->budget) budget_give(m->budget, delta_pages);
        return -1;
    }
    __atomic_store_n(&m->rt.size, new_size, __ATOMIC_RELEASE);
    views_update(m);
    return (int64_t)old_pages;
}

int64_t memory_grow(kiln_memory *m, uint64_t delta_pages) {
    if (!m->shared) return memory_grow_locked(m, delta_pages);
    pthread_mutex_lock(&shared_grow_lock);
    int64_t old = memory_grow_locked(m, delta_pages);
    pthread_mutex_unlock(&shared_grow_lock);
    return old;
}

/* ---- entry points called by generated code --------------------------------- */

static kiln_memory *memory_at(kiln_vmctx *ctx, uint32_t index) {
    return (kiln_memory *)ctx->memories[index];
}

/* True if [start, start+n) lies within `size` (no wrap: size < 2^63). */
static bool range_ok(uint64_t start, uint64_t n, uint64_t size) {
    return start <= size && n <= size - start;
}

int64_t kiln_rt_memory_grow(kiln_vmctx *ctx, uint32_t memory, uint64_t delta_pages) {
    return memory_grow(memory_at(ctx, memory), delta_pages);
}

void kiln_rt_memory_init(kiln_vmctx *ctx, uint32_t memory, uint32_t segment, uint64_t dst,
                         uint64_t src, uint64_t n) {
    kiln_instance *inst = ctx->instance;
    kiln_memory *m = memory_at(ctx, memory);
    if (!range_ok(src, n, inst->data_sizes[segment]) || !range_ok(dst, n, m->rt.size))
        kiln_rt_trap(ctx, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    if (n) memcpy(m->rt.base + dst, inst->module->datas[segment].bytes + src, n);
}

void kiln_rt_data_drop(kiln_vmctx *ctx, uint32_t segment) {
    ctx->instance->data_sizes[segment] = 0;
}

void kiln_rt_memory_copy(kiln_vmctx *ctx, uint32_t dst_memory, uint32_t src_memory,
                         uint64_t dst, uint64_t src, uint64_t n) {
    kiln_memory *d = memory_at(ctx, dst_memory), *s = memory_at(ctx, src_memory);
    if (!range_ok(src, n, s->rt.size) || !range_ok(dst, n, d->rt.size))
        kiln_rt_trap(ctx, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    if (n) memmove(d->rt.base + dst, s->rt.base + src, n);
}

void kiln_rt_memory_fill(kiln_vmctx *ctx, uint32_t memory, uint64_t dst, uint32_t value,
                         uint64_t n) {
    kiln_memory *m = memory_at(ctx, memory);
    if (!range_ok(dst, n, m->rt.size)) kiln_rt_trap(ctx, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    if (n) memset(m->rt.base + dst, (int)(value & 0xFF), n);
}

/* ---- the embedding API -------------------------------------------------------- */

static kiln_memory *memory_new(uint64_t min_pages, uint64_t max_pages, bool has_max, bool is64) {
    uint64_t declared = is64 ? (uint64_t)1 << 48 : KILN_MAX_PAGES32;
    if (min_pages > declared || (has_max && (max_pages < min_pages || max_pages > declared)))
        return NULL;
    kiln_memtype type = {{min_pages, max_pages, has_max}, is64, false};
    return memory_create(&type, false);
}

kiln_memory *kiln_memory_new(uint64_t min_pages, uint64_t max_pages, bool has_max) {
    return memory_new(min_pages, max_pages, has_max, false);
}

kiln_memory *kiln_memory64_new(uint64_t min_pages, uint64_t max_pages, bool has_max) {
    return memory_new(min_pages, max_pages, has_max, true);
}

kiln_memory *kiln_memory_new_shared(uint64_t min_pages, uint64_t max_pages) {
    if (max_pages < min_pages || max_pages > KILN_MAX_PAGES32) return NULL;
    kiln_memtype type = {{min_pages, max_pages, true}, false, true};
    /* Guarded: usable by modules of either bounds mode without moving. */
    return memory_create(&type, true);
}

void kiln_memory_free(kiln_memory *m) { memory_release(m); }
uint8_t *kiln_memory_data(kiln_memory *m) { return m->rt.base; }
uint64_t kiln_memory_size(kiln_memory *m) { return m->rt.size; }
int64_t kiln_memory_grow(kiln_memory *m, uint64_t delta_pages) {
    return memory_grow(m, delta_pages);
}
