/* pool.c - the pooling instance allocator (kiln_pool_* in kiln.h).
 *
 * kiln_instantiate pays, per instance, for reading the module's image,
 * interning its types, mapping and unmapping an 8 GiB reservation, and
 * copying its data segments, most of it again page fault by page fault.
 * A pool pays for each of those once:
 *  - one reservation holds every memory slot, side by side, each as large
 *    as a guard-page memory needs (registered once with signals.c);
 *  - per module (descriptor), the module read from its image, the canonical type ids
 *    and, per defined memory, an image of its initial contents: a sealed
 *    memfd mapped MAP_PRIVATE over the start of the slot, so instances
 *    share the image's pages until they write them (copy-on-write);
 *  - a free slot remembers which image it holds and how much of it is
 *    read/write, so the next instance of the same module finds it ready
 *    and instantiation makes no system call for its memory.
 * When a pooled memory is released, every page the instance may have
 * written is put back: /proc/self/pagemap names the pages that are no
 * longer the image's (anonymous: written, or zero-filled), and each is
 * compared with what it must hold (the image's bytes, or zeros) and
 * copied back if it differs.  The pages stay mapped, so the next instance
 * takes no page fault for them (page faults, and the TLB shootdowns of
 * MADV_DONTNEED, are most of an instantiation's cost otherwise: 15-25 us
 * each on a virtual machine).  Where that cannot be done (the memory
 * grew, is large, or pagemap is unreadable) madvise(MADV_DONTNEED) drops
 * every accessible page (anonymous pages read as zero again, image pages
 * as the image again) and pages it grew into become PROT_NONE again.
 * Either way a reused slot never shows a previous instance's bytes; a
 * slot that cannot be reset is never reused.  Tables come from fixed
 * slots whose used part is cleared at release. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"

enum {
    DEFAULT_INSTANCES = 1000,
    DEFAULT_TABLE_ELEMENTS = 10000,
    AFFINITY_SCAN = 8,       /* free slots looked at for one holding the right image */
    ZERO_BY_MADVISE = 65536, /* table bytes from which madvise beats memset */
    SCAN_MAX_PAGES = 16384,  /* memories up to 64 MiB are restored page by page */
    SCAN_BATCH = 512,        /* pagemap entries read at once */
};
/* /proc/self/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
static const uint64_t PM_PRESENT = 1ull << 63, PM_SWAPPED = 1ull << 62, PM_FILE = 1ull << 61;
static const uint32_t NONE = UINT32_MAX;

/* The initial contents of one defined memory.  `id` is never reused in the
 * process (an address could be), so a slot can tell which image it holds. */
typedef struct mem_image {
    int fd;       /* -1: nothing to map, the memory starts zeroed */
    uint64_t len; /* bytes of the file, a multiple of the host page */
    uint64_t id;  /* 0 with fd -1 */
    const uint8_t *pristine; /* the file mapped read-only: what a reset compares with */
} mem_image;

struct pool_module {
    const kiln_module_desc *desc;
    kiln_module *module;
    uint32_t *type_ids;  /* [num_types] */
    bool data_mapped;    /* the active data segments are in `images` */
    mem_image *images;   /* [num_memories]; defined memories only */
    uint32_t live;       /* instances and memories alive (pool lock) */
    struct pool_module *next;
};

struct pool_memslot {
    kiln_memory mem;
    kiln_pool *pool;
    struct pool_module *owner; /* while in use: the module whose memory it is */
    const mem_image *image;    /* while in use: owner's image, or NULL */
    uint8_t *base;
    uint64_t image_id;   /* the image mapped at base (0: none) */
    uint64_t ready;      /* bytes read/write, zeroed or as in the image */
    uint32_t next_free;
};

struct pool_tabslot {
    kiln_table table;
    kiln_pool *pool;
    void **elems;        /* max_table_elements, zero beyond the used part */
    uint32_t next_free;
};

/* Slots are handed out from a free list, then from the never-used tail,
 * so creating a pool touches no slot. */
typedef struct slot_list {
    uint32_t free; /* first free slot, or NONE */
    uint32_t unused; /* slots [unused, count) were never handed out */
    uint32_t count;
} slot_list;

struct kiln_pool {
    kiln_pool_config cfg; /* defaults filled in */
    pthread_mutex_t lock; /* everything below except refcount */
    _Atomic int refcount; /* the host's, and one per live instance, memory and table */
    bool keep_modules;    /* false: a module's entry goes with its last instance */
    int pagemap_fd;       /* /proc/self/pagemap of pagemap_pid, or -1 */
    pid_t pagemap_pid;    /* a forked child must not read its parent's */
    uint32_t live_instances;
    struct pool_module *modules;
    uint8_t *memory_region;
    uint64_t memory_region_size;
    struct pool_memslot *memslots;
    slot_list memory_slots;
    uint8_t *table_region;
    uint64_t table_region_size;
    uint64_t table_stride;
    struct pool_tabslot *tabslots;
    slot_list table_slots;
};

static _Atomic uint64_t next_image_id = 1;

static uint64_t host_page(void) { return (uint64_t)sysconf(_SC_PAGESIZE); }

static uint64_t round_up(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

static void *region_map(uint64_t bytes, int prot) {
    void *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void pool_retain(kiln_pool *p) { atomic_fetch_add(&p->refcount, 1); }

/* ---- memory images ----------------------------------------------------------- */

/* A constant offset expression (`i32.const n` or `i64.const n` alone). */
static bool offset_constant(const kiln_expr *e, uint64_t *out) {
    if (e->count != 2 || e->insns[1].op != KILN_OP_END) return false;
    if (e->insns[0].op == KILN_OP_I32_CONST) *out = (uint32_t)e->insns[0].imm.i32;
    else if (e->insns[0].op == KILN_OP_I64_CONST) *out = (uint64_t)e->insns[0].imm.i64;
    else return false;
    return true;
}

/* Whether an image may stand for the active data segments.  They must all
 * go to the module's own memories at constant offsets inside the minimum
 * (otherwise instantiation must write, or trap, as the spec orders).  And
 * no active element segment may write an imported table: one that traps
 * stops instantiation before any data is written, yet what earlier
 * segments put in imported tables stays reachable, and those functions
 * must not see data that an image would have written at once. */
static bool data_mappable(const kiln_module *m) {
    if (m->num_imported_memories) return false;
    for (uint32_t s = 0; s < m->num_elems; s++)
        if (m->elems[s].mode == KILN_SEGMENT_ACTIVE && m->elems[s].table_index < m->num_imported_tables)
            return false;
    for (uint32_t d = 0; d < m->num_datas; d++) {
        const kiln_data *seg = &m->datas[d];
        uint64_t offset;
        if (seg->mode != KILN_SEGMENT_ACTIVE) continue;
        if (!offset_constant(&seg->offset, &offset)) return false;
        uint64_t min_bytes = m->memories[seg->memory_index].limits.min * KILN_PAGE_SIZE;
        if (offset > min_bytes || seg->size > min_bytes - offset) return false;
    }
    return true;
}

static bool write_all(int fd, const uint8_t *bytes, uint64_t n, uint64_t at) {
    while (n) {
        ssize_t w = pwrite(fd, bytes, n, (off_t)at);
        if (w <= 0) return false;
        bytes += w, n -= (uint64_t)w, at += (uint64_t)w;
    }
    return true;
}

/* Writes the segments of memory `mem` in order (a later one overwrites an
 * earlier one, as at instantiation); bytes no segment covers stay holes. */
static bool image_fill(int fd, const kiln_module *m, uint32_t mem, uint64_t len) {
    if (ftruncate(fd, (off_t)len) != 0) return false;
    for (uint32_t d = 0; d < m->num_datas; d++) {
        const kiln_data *seg = &m->datas[d];
        uint64_t offset = 0;
        if (seg->mode != KILN_SEGMENT_ACTIVE || seg->memory_index != mem) continue;
        offset_constant(&seg->offset, &offset);
        if (!write_all(fd, seg->bytes, seg->size, offset)) return false;
    }
    /* Sealed: nothing can change what a reset slot reads back. */
    return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
}

static bool image_build(mem_image *img, const kiln_module *m, uint32_t mem) {
    uint64_t len = 0, offset = 0;
    for (uint32_t d = 0; d < m->num_datas; d++) {
        const kiln_data *seg = &m->datas[d];
        if (seg->mode != KILN_SEGMENT_ACTIVE || seg->memory_index != mem || !seg->size) continue;
        offset_constant(&seg->offset, &offset);
        if (offset + seg->size > len) len = offset + seg->size;
    }
    if (!len) return true; /* fd -1: a zeroed memory needs no image */
    len = round_up(len, host_page());
    int fd = memfd_create("kiln-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return false;
    if (!image_fill(fd, m, mem, len)) {
        close(fd);
        return false;
    }
    void *pristine = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (pristine == MAP_FAILED) {
        close(fd);
        return false;
    }
    *img = (mem_image){fd, len, atomic_fetch_add(&next_image_id, 1), pristine};
    return true;
}

static void images_close(mem_image *images, uint32_t count) {
    for (uint32_t i = 0; i < count; i++) {
        if (images[i].pristine) munmap((void *)images[i].pristine, images[i].len);
        if (images[i].fd >= 0) close(images[i].fd);
    }
}

/* Builds an image for every defined memory; false (none kept) if the
 * system refuses a memfd, so instantiation copies instead. */
static bool images_build(struct pool_module *pm) {
    const kiln_module *m = pm->module;
    for (uint32_t i = m->num_imported_memories; i < m->num_memories; i++)
        if (!image_build(&pm->images[i], m, i)) {
            images_close(pm->images, m->num_memories);
            for (uint32_t j = 0; j < m->num_memories; j++) pm->images[j] = (mem_image){-1, 0, 0, NULL};
            return false;
        }
    return true;
}

/* ---- what the pool keeps per module ------------------------------------------ */

static void pool_module_free(struct pool_module *pm) {
    if (!pm) return;
    if (pm->images) images_close(pm->images, pm->module->num_memories);
    free(pm->images);
    free(pm->type_ids);
    module_free(pm->module);
    free(pm);
}

static bool types_intern(struct pool_module *pm) {
    const kiln_module *m = pm->module;
    pm->type_ids = calloc(m->num_types ? m->num_types : 1, sizeof *pm->type_ids);
    if (!pm->type_ids) return false;
    return types_intern_module(m, pm->type_ids);
}

static struct pool_module *pool_module_build(const kiln_module_desc *desc,
                                             kiln_instantiate_error *err) {
    kiln_module *m = desc_module_read(desc, err);
    if (!m) return NULL;
    struct pool_module *pm = calloc(1, sizeof *pm);
    if (!pm) {
        module_free(m);
        instance_fail(err, KILN_INST_NOMEM, "out of memory");
        return NULL;
    }
    pm->desc = desc;
    pm->module = m;
    pm->images = calloc(m->num_memories ? m->num_memories : 1, sizeof *pm->images);
    if (!pm->images || !types_intern(pm)) {
        pool_module_free(pm);
        instance_fail(err, KILN_INST_NOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < m->num_memories; i++) pm->images[i] = (mem_image){-1, 0, 0, NULL};
    pm->data_mapped = data_mappable(m) && images_build(pm);
    return pm;
}

static struct pool_module *pool_module_find(kiln_pool *p, const kiln_module_desc *desc,
                                            struct pool_module ***link) {
    for (*link = &p->modules; **link; *link = &(**link)->next)
        if ((**link)->desc == desc) return **link;
    return NULL;
}

/* An instance or a memory of `pm` comes or goes (pool lock held).  The
 * entry of a module goes with its last user when the pool keeps none:
 * pm_unuse unlinks it, and the caller frees it after unlocking. */
static void pm_use(struct pool_module *pm) { pm->live++; }

static bool pm_unuse(kiln_pool *p, struct pool_module *pm) {
    struct pool_module **link;
    if (--pm->live || p->keep_modules) return false;
    if (pool_module_find(p, pm->desc, &link) == pm) *link = pm->next;
    return true;
}

const uint32_t *pool_module_type_ids(const struct pool_module *pm) { return pm->type_ids; }
bool pool_module_data_mapped(const struct pool_module *pm) { return pm->data_mapped; }

/* ---- slot lists (pool lock held) ----------------------------------------------- */

static uint32_t slot_take_unused(slot_list *l) { return l->unused < l->count ? l->unused++ : NONE; }

static struct pool_memslot *memslot_take(kiln_pool *p, uint64_t image_id) {
    slot_list *l = &p->memory_slots;
    uint32_t *link = &l->free;
    for (int n = 0; *link != NONE && n < AFFINITY_SCAN; n++, link = &p->memslots[*link].next_free)
        if (p->memslots[*link].image_id == image_id) break;
    uint32_t i = NONE;
    if (*link != NONE && p->memslots[*link].image_id == image_id) {
        i = *link;
        *link = p->memslots[i].next_free;
    } else {
        /* No free slot holds this image: a never-used slot costs less than
         * re-mapping one that holds another module's image, which hosts
         * cycling through several modules would otherwise do every time. */
        i = slot_take_unused(l);
        if (i == NONE && l->free != NONE) {
            i = l->free;
            l->free = p->memslots[i].next_free;
        }
    }
    if (i == NONE) return NULL;
    struct pool_memslot *s = &p->memslots[i];
    if (!s->pool) { /* first use */
        s->pool = p;
        s->base = p->memory_region + (uint64_t)i * p->cfg.memory_reservation;
    }
    return s;
}

static void memslot_put(kiln_pool *p, struct pool_memslot *s) {
    s->next_free = p->memory_slots.free;
    p->memory_slots.free = (uint32_t)(s - p->memslots);
}

static struct pool_tabslot *tabslot_take(kiln_pool *p) {
    slot_list *l = &p->table_slots;
    uint32_t i = l->free;
    if (i != NONE) l->free = p->tabslots[i].next_free;
    else i = slot_take_unused(l);
    if (i == NONE) return NULL;
    struct pool_tabslot *s = &p->tabslots[i];
    s->pool = p;
    s->elems = (void **)(p->table_region + (uint64_t)i * p->table_stride);
    return s;
}

static void tabslot_put(kiln_pool *p, struct pool_tabslot *s) {
    s->next_free = p->table_slots.free;
    p->table_slots.free = (uint32_t)(s - p->tabslots);
}

/* ---- memory slots ------------------------------------------------------------------ */

/* Maps fresh PROT_NONE pages over everything the slot made accessible. */
static bool memslot_clear(struct pool_memslot *s) {
    if (!s->ready) return true;
    void *p = mmap(s->base, s->ready, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) return false;
    s->ready = 0;
    s->image_id = 0;
    return true;
}

/* Makes the slot hold `img` (may be NULL) with `size` bytes accessible.
 * Nothing to do when the slot's last user had the same image and size. */
static bool memslot_prepare(struct pool_memslot *s, const mem_image *img, uint64_t size) {
    uint64_t id = img ? img->id : 0;
    if (s->image_id == id && s->ready == size) return true;
    if (!memslot_clear(s)) return false;
    if (img && img->fd >= 0) {
        void *p = mmap(s->base, img->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, img->fd, 0);
        if (p == MAP_FAILED) return false;
        s->ready = img->len;
        s->image_id = id;
    }
    if (size > s->ready &&
        mprotect(s->base + s->ready, size - s->ready, PROT_READ | PROT_WRITE) != 0)
        return false;
    s->ready = size;
    return true;
}

static bool page_is_zero(const uint8_t *page, uint64_t len) {
    return page[0] == 0 && memcmp(page, page + 1, len - 1) == 0;
}

/* Page `offset` of a slot back to the image's bytes or zeros.  Compared
 * first: a page only read (the shared zero page) is left unwritten. */
static void page_restore(struct pool_memslot *s, uint64_t offset, uint64_t page) {
    uint8_t *at = s->base + offset;
    const mem_image *img = s->image;
    if (img && img->pristine && offset < img->len) {
        if (memcmp(at, img->pristine + offset, page) != 0) memcpy(at, img->pristine + offset, page);
    } else if (!page_is_zero(at, page)) {
        memset(at, 0, page);
    }
}

/* Restores every page of [0, ready) that is no longer the image's own
 * (present or swapped, and not a file page); false if pagemap cannot say. */
static bool memslot_restore(kiln_pool *p, struct pool_memslot *s) {
    uint64_t page = host_page(), pages = s->ready / page;
    if (pages > SCAN_MAX_PAGES || p->pagemap_fd < 0 || getpid() != p->pagemap_pid) return false;
    uint64_t entries[SCAN_BATCH];
    for (uint64_t first = 0; first < pages; first += SCAN_BATCH) {
        uint64_t count = pages - first < SCAN_BATCH ? pages - first : SCAN_BATCH;
        off_t at = (off_t)(((uintptr_t)s->base / page + first) * sizeof entries[0]);
        if (pread(p->pagemap_fd, entries, count * sizeof entries[0], at) !=
            (ssize_t)(count * sizeof entries[0]))
            return false;
        for (uint64_t i = 0; i < count; i++)
            if ((entries[i] & (PM_PRESENT | PM_SWAPPED)) && !(entries[i] & PM_FILE))
                page_restore(s, (first + i) * page, page);
    }
    return true;
}

/* Back to the state the slot had when handed out: the touched pages
 * restored or dropped, grown pages inaccessible.  False if the slot is
 * unusable. */
static bool memslot_reset(kiln_pool *p, struct pool_memslot *s, uint64_t size) {
    if (size == s->ready && memslot_restore(p, s)) return true;
    if (madvise(s->base, size, MADV_DONTNEED) == 0 &&
        (size == s->ready || mprotect(s->base + s->ready, size - s->ready, PROT_NONE) == 0))
        return true;
    s->ready = size;
    return memslot_clear(s);
}

static void pool_memory_init(kiln_pool *p, struct pool_memslot *s, const kiln_limits *l,
                             bool is64) {
    kiln_memory *m = &s->mem;
    kiln_vmctx **views = m->views; /* kept from the slot's earlier users */
    uint32_t cap_views = m->cap_views;
    memset(m, 0, sizeof *m);
    m->rt.base = s->base;
    m->rt.size = l->min * KILN_PAGE_SIZE;
    m->rt.max_pages = l->has_max ? l->max : memory_runtime_max_pages(is64);
    m->min_pages = l->min;
    m->has_max = l->has_max;
    m->is64 = is64;
    m->guarded = p->cfg.memory_reservation >= GUARD_RESERVATION;
    m->capped = true; /* growth stops at the slot */
    m->cap_pages = p->cfg.max_memory_pages;
    m->reserved = p->cfg.memory_reservation;
    m->refcount = 1;
    m->views = views;
    m->cap_views = cap_views;
    m->slot = s;
}

kiln_memory *pool_memory_acquire(kiln_pool *p, struct pool_module *pm, uint32_t index,
                                 kiln_instantiate_error *err) {
    const kiln_limits *l = &pm->module->memories[index].limits;
    if (l->min > p->cfg.max_memory_pages) {
        instance_fail(err, KILN_INST_LIMIT, "memory %u: minimum of %llu pages exceeds the pool's "
                      "memory slots of %llu pages", index, (unsigned long long)l->min,
                      (unsigned long long)p->cfg.max_memory_pages);
        return NULL;
    }
    const mem_image *img = pm->data_mapped ? &pm->images[index] : NULL;
    pthread_mutex_lock(&p->lock);
    struct pool_memslot *s = memslot_take(p, img ? img->id : 0);
    if (s) pm_use(pm);
    pthread_mutex_unlock(&p->lock);
    if (!s) {
        instance_fail(err, KILN_INST_POOL_EXHAUSTED, "pool exhausted: all %u memory slots are in use",
                      p->memory_slots.count);
        return NULL;
    }
    if (!memslot_prepare(s, img, l->min * KILN_PAGE_SIZE)) {
        bool usable = memslot_clear(s);
        pthread_mutex_lock(&p->lock);
        if (usable) memslot_put(p, s);
        bool drop = pm_unuse(p, pm);
        pthread_mutex_unlock(&p->lock);
        if (drop) pool_module_free(pm);
        instance_fail(err, KILN_INST_NOMEM, "out of memory: a pooled memory could not be mapped");
        return NULL;
    }
    s->owner = pm;
    s->image = img;
    pool_memory_init(p, s, l, pm->module->memories[index].is64);
    pool_retain(p);
    return &s->mem;
}

static void pool_release(kiln_pool *p);

void pool_memory_return(kiln_memory *m) {
    struct pool_memslot *s = m->slot;
    kiln_pool *p = s->pool;
    bool usable = memslot_reset(p, s, m->rt.size);
    struct pool_module *owner = s->owner;
    pthread_mutex_lock(&p->lock);
    if (usable) memslot_put(p, s); /* else never reused: it may hold old bytes */
    bool drop = pm_unuse(p, owner);
    pthread_mutex_unlock(&p->lock);
    if (drop) pool_module_free(owner);
    pool_release(p);
}

/* ---- table slots ---------------------------------------------------------------- */

kiln_table *pool_table_acquire(kiln_pool *p, const struct pool_module *pm, uint32_t index,
                               kiln_instantiate_error *err) {
    const kiln_tabletype *type = &pm->module->tables[index];
    const kiln_limits *l = &type->limits;
    uint32_t capacity = p->cfg.max_table_elements;
    if (l->min > capacity) {
        instance_fail(err, KILN_INST_LIMIT, "table %u: minimum of %llu elements exceeds the pool's "
                      "table slots of %u elements", index, (unsigned long long)l->min, capacity);
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    struct pool_tabslot *s = tabslot_take(p);
    pthread_mutex_unlock(&p->lock);
    if (!s) {
        instance_fail(err, KILN_INST_POOL_EXHAUSTED, "pool exhausted: all %u table slots are in use",
                      p->table_slots.count);
        return NULL;
    }
    kiln_table *t = &s->table;
    uint64_t max = l->has_max && l->max < KILN_MAX_TABLE_ELEMS ? l->max : KILN_MAX_TABLE_ELEMS;
    memset(t, 0, sizeof *t);
    t->rt.elems = s->elems;
    t->rt.size = (uint32_t)l->min;
    t->rt.max = (uint32_t)(max < capacity ? max : capacity);
    t->rt.elem_type = type->elem_type;
    t->declared_max = l->has_max ? l->max : UINT64_MAX;
    t->has_max = l->has_max;
    t->is64 = type->is64;
    t->refcount = 1;
    t->slot = s;
    pool_retain(p);
    return t;
}

void pool_table_return(kiln_table *t) {
    struct pool_tabslot *s = t->slot;
    kiln_pool *p = s->pool;
    size_t bytes = (size_t)t->rt.size * sizeof(void *);
    if (bytes < ZERO_BY_MADVISE || madvise(s->elems, round_up(bytes, host_page()), MADV_DONTNEED))
        memset(s->elems, 0, bytes);
    pthread_mutex_lock(&p->lock);
    tabslot_put(p, s);
    pthread_mutex_unlock(&p->lock);
    pool_release(p);
}

/* ---- the pool --------------------------------------------------------------------- */

static bool config_complete(kiln_pool_config *c) {
    if (!c->max_instances) c->max_instances = DEFAULT_INSTANCES;
    if (!c->max_memories) c->max_memories = c->max_instances;
    if (!c->max_tables) c->max_tables = c->max_instances;
    if (!c->max_table_elements) c->max_table_elements = DEFAULT_TABLE_ELEMENTS;
    if (!c->memory_reservation) c->memory_reservation = GUARD_RESERVATION;
    c->memory_reservation = round_up(c->memory_reservation, host_page());
    uint64_t slot_pages = c->memory_reservation / KILN_PAGE_SIZE;
    if (!c->max_memory_pages) c->max_memory_pages = slot_pages < KILN_MAX_PAGES32 ? slot_pages : KILN_MAX_PAGES32;
    return c->max_memory_pages <= KILN_MAX_PAGES32 && c->max_memory_pages <= slot_pages &&
           c->max_table_elements <= KILN_MAX_TABLE_ELEMS &&
           c->max_memories <= UINT64_MAX / c->memory_reservation && c->max_memories < NONE &&
           c->max_tables < NONE;
}

static void pool_destroy(kiln_pool *p) {
    while (p->modules) {
        struct pool_module *next = p->modules->next;
        pool_module_free(p->modules);
        p->modules = next;
    }
    if (p->memory_region) {
        signals_reservation_remove(p->memory_region);
        munmap(p->memory_region, p->memory_region_size);
    }
    if (p->table_region) munmap(p->table_region, p->table_region_size);
    if (p->pagemap_fd >= 0) close(p->pagemap_fd);
    for (uint32_t i = 0; p->memslots && i < p->memory_slots.unused; i++) free(p->memslots[i].mem.views);
    free(p->memslots);
    free(p->tabslots);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void pool_release(kiln_pool *p) {
    if (atomic_fetch_sub(&p->refcount, 1) == 1) pool_destroy(p);
}

static bool regions_reserve(kiln_pool *p) {
    const kiln_pool_config *c = &p->cfg;
    p->memory_region_size = (uint64_t)c->max_memories * c->memory_reservation;
    p->memory_region = region_map(p->memory_region_size, PROT_NONE);
    if (!p->memory_region) return false;
    /* 4 KiB pages only: a reset restores what an instance touched, page by page. */
    madvise(p->memory_region, p->memory_region_size, MADV_NOHUGEPAGE);
    if (!signals_reservation_add(p->memory_region, p->memory_region_size)) {
        munmap(p->memory_region, p->memory_region_size);
        p->memory_region = NULL;
        return false;
    }
    p->table_stride = round_up((uint64_t)c->max_table_elements * sizeof(void *), host_page());
    p->table_region_size = (uint64_t)c->max_tables * p->table_stride;
    p->table_region = region_map(p->table_region_size ? p->table_region_size : 1,
                                 PROT_READ | PROT_WRITE);
    return p->table_region != NULL;
}

kiln_pool *kiln_pool_new(const kiln_pool_config *config) {
    kiln_pool_config c = config ? *config : (kiln_pool_config){0};
    if (!config_complete(&c)) return NULL;
    kiln_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->cfg = c;
    p->refcount = 1;
    p->keep_modules = true;
    p->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    p->pagemap_pid = getpid();
    pthread_mutex_init(&p->lock, NULL);
    p->memory_slots = (slot_list){NONE, 0, c.max_memories};
    p->table_slots = (slot_list){NONE, 0, c.max_tables};
    p->memslots = calloc(c.max_memories ? c.max_memories : 1, sizeof *p->memslots);
    p->tabslots = calloc(c.max_tables ? c.max_tables : 1, sizeof *p->tabslots);
    if (!p->memslots || !p->tabslots || !regions_reserve(p)) {
        pool_destroy(p);
        return NULL;
    }
    return p;
}

void kiln_pool_free(kiln_pool *pool) {
    if (pool) pool_release(pool);
}

bool kiln_pool_forget(kiln_pool *pool, const kiln_module_desc *desc) {
    struct pool_module **link;
    pthread_mutex_lock(&pool->lock);
    struct pool_module *pm = pool_module_find(pool, desc, &link);
    bool dropped = !pm || !pm->live;
    if (pm && dropped) *link = pm->next;
    pthread_mutex_unlock(&pool->lock);
    if (pm && dropped) pool_module_free(pm);
    return dropped;
}

/* Guard-page code reaches base + u32 + u32 unchecked: only a full slot holds that. */
static bool slot_fits(const kiln_pool *p, const kiln_module_desc *desc, kiln_instantiate_error *err) {
    if (!(desc->flags & KILN_DESC_GUARD_PAGES) || p->cfg.memory_reservation >= GUARD_RESERVATION)
        return true;
    return instance_fail(err, KILN_INST_LIMIT, "module compiled with guard pages needs memory slots "
                         "of %llu bytes; this pool's are %llu (compile it with "
                         "--bounds-checks=explicit)", (unsigned long long)GUARD_RESERVATION,
                         (unsigned long long)p->cfg.memory_reservation);
}

/* Counts a new instance of `desc` in (pool lock held). */
static struct pool_module *pool_admit(kiln_pool *p, const kiln_module_desc *desc,
                                      kiln_instantiate_error *err) {
    if (p->live_instances >= p->cfg.max_instances) {
        instance_fail(err, KILN_INST_POOL_EXHAUSTED, "pool exhausted: all %u instance slots are in use",
                      p->cfg.max_instances);
        return NULL;
    }
    struct pool_module **link;
    struct pool_module *pm = pool_module_find(p, desc, &link);
    if (!pm && (pm = pool_module_build(desc, err))) *link = pm;
    if (!pm) return NULL;
    pm_use(pm);
    p->live_instances++;
    return pm;
}

kiln_instance *kiln_pool_instantiate(kiln_pool *pool, const kiln_module_desc *desc,
                                     kiln_linker *l, const kiln_instance_limits *limits,
                                     kiln_instantiate_error *err) {
    kiln_instantiate_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    if (!pool) {
        instance_fail(err, KILN_INST_NOMEM, "no pool (KILN_POOL is set, but its pool could not "
                      "be reserved)");
        return NULL;
    }
    if (!desc || desc->abi_version != KILN_ABI_VERSION) {
        desc_module_read(desc, err); /* names the version */
        return NULL;
    }
    if (!slot_fits(pool, desc, err)) return NULL;
    pthread_mutex_lock(&pool->lock);
    struct pool_module *pm = pool_admit(pool, desc, err);
    pthread_mutex_unlock(&pool->lock);
    if (!pm) return NULL;
    pool_retain(pool); /* the instance's reference, dropped by pool_instance_done */
    return instance_instantiate(desc, pm->module, pool, pm, l, limits, err);
}

void pool_instance_done(kiln_pool *p, struct pool_module *pm) {
    pthread_mutex_lock(&p->lock);
    p->live_instances--;
    bool drop = pm_unuse(p, pm);
    pthread_mutex_unlock(&p->lock);
    if (drop) pool_module_free(pm);
    pool_release(p);
}

/* ---- KILN_POOL: every instantiation through one pool (for test suites) ---------- */

static pthread_once_t environment_once = PTHREAD_ONCE_INIT;
static bool environment_wants_pool;
static kiln_pool *environment_pool;

/* KILN_POOL=1 (or N: N instance slots).  The process may unload a
 * module's code whenever no instance of it is alive, so this pool keeps
 * nothing of a module past its last instance. */
static void environment_pool_create(void) {
    const char *value = getenv("KILN_POOL");
    if (!value || !*value || strcmp(value, "0") == 0) return;
    environment_wants_pool = true;
    kiln_pool_config c = {0};
    long n = strtol(value, NULL, 10);
    if (n > 1 && n < (long)NONE) c.max_instances = (uint32_t)n;
    c.max_table_elements = 1u << 20; /* what test suites grow tables to */
    environment_pool = kiln_pool_new(&c);
    if (environment_pool) environment_pool->keep_modules = false;
}

bool pool_from_environment(kiln_pool **pool) {
    pthread_once(&environment_once, environment_pool_create);
    *pool = environment_pool;
    return environment_wants_pool;
}
