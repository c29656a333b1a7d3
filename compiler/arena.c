/* arena.c - chunked bump allocator; see arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
} chunk;

struct arena {
    chunk *head;
    size_t total;
    size_t fail_countdown; /* 0 = never fail on purpose */
};

enum { CHUNK_MIN = 64 * 1024, ALIGN = 16 };
/* Chunks grow with the arena (each new one as large as everything so far,
 * up to CHUNK_GROW_MAX): a module's instruction arrays are ~12x its code
 * size, and fresh memory is paid for in page faults.  Chunks from
 * HUGE_PAGE up are aligned for, and advised to use, transparent huge
 * pages, which turns 512 faults into one. */
static const size_t CHUNK_GROW_MAX = (size_t)64 << 20;
static const size_t HUGE_PAGE = (size_t)2 << 20;
/* No single allocation may exceed this: it bounds what a lying size
 * field could ask for even before the decoder's own checks. */
static const size_t ALLOC_MAX = (size_t)1 << 34;

arena *arena_create(void) { return calloc(1, sizeof(arena)); }

void arena_destroy(arena *a) {
    if (!a) return;
    for (chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

static void *chunk_memory(size_t bytes) {
    if (bytes < HUGE_PAGE) return malloc(bytes);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes & ~(HUGE_PAGE - 1), MADV_HUGEPAGE); /* advice only: failure is harmless */
#endif
    return p;
}

static chunk *chunk_new(size_t at_least, size_t arena_total) {
    size_t grow = arena_total < CHUNK_GROW_MAX ? arena_total : CHUNK_GROW_MAX;
    size_t size = at_least > grow ? at_least : grow;
    if (size < CHUNK_MIN) size = CHUNK_MIN;
    if (size + sizeof(chunk) >= HUGE_PAGE) /* whole huge pages, header included */
        size = ((size + sizeof(chunk) + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)) - sizeof(chunk);
    chunk *c = chunk_memory(sizeof(chunk) + size);
    if (!c) return NULL;
    c->size = size;
    c->used = 0;
    c->next = NULL;
    return c;
}

void *arena_alloc(arena *a, size_t size) {
    if (a->fail_countdown && --a->fail_countdown == 0) return NULL;
    if (size > ALLOC_MAX) return NULL;
    size_t rounded = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (rounded == 0) rounded = ALIGN;
    chunk *c = a->head;
    if (!c || c->size - c->used < rounded) {
        c = chunk_new(rounded, a->total);
        if (!c) return NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    a->total += rounded;
    return p;
}

void *arena_zalloc(arena *a, size_t size) {
    void *p = arena_alloc(a, size);
    if (p) memset(p, 0, size);
    return p;
}

void *arena_array(arena *a, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    return arena_zalloc(a, count * size);
}

size_t arena_used(const arena *a) { return a->total; }

void arena_fail_after(arena *a, size_t n) { a->fail_countdown = n; }
