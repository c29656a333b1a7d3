/* hashtab - a separately chained hash table (one malloc'd node per entry,
 * power-of-two buckets, growth by rehashing): counts n random keys drawn
 * from n/2 values, looks every key up, deletes the odd ones, looks up again. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 1500000, .quick = 200000, .interp = 40000 };

struct entry {
    struct entry *next;
    uint32_t key;
    uint32_t count;
};

struct table {
    struct entry **buckets;
    uint32_t mask;
    uint32_t size;
};

static uint32_t key_hash(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x7feb352du;
    k ^= k >> 15;
    return k;
}

static void table_init(struct table *t, uint32_t nbuckets)
{
    t->buckets = calloc(nbuckets, sizeof *t->buckets);
    if (t->buckets == NULL)
        bench_fail("out of memory");
    t->mask = nbuckets - 1;
    t->size = 0;
}

static void table_grow(struct table *t)
{
    struct table bigger;
    table_init(&bigger, (t->mask + 1) * 2);
    for (uint32_t b = 0; b <= t->mask; b++) {
        struct entry *e = t->buckets[b];
        while (e != NULL) {
            struct entry *next = e->next;
            struct entry **slot = &bigger.buckets[key_hash(e->key) & bigger.mask];
            e->next = *slot;
            *slot = e;
            e = next;
        }
    }
    bigger.size = t->size;
    free(t->buckets);
    *t = bigger;
}

static struct entry **table_slot(const struct table *t, uint32_t key)
{
    struct entry **link = &t->buckets[key_hash(key) & t->mask];
    while (*link != NULL && (*link)->key != key)
        link = &(*link)->next;
    return link;
}

static void table_add(struct table *t, uint32_t key)
{
    struct entry **slot = table_slot(t, key);
    if (*slot != NULL) {
        (*slot)->count++;
        return;
    }
    struct entry *e = bench_alloc(sizeof *e);
    *e = (struct entry){ NULL, key, 1 };
    *slot = e;
    if (++t->size > t->mask + 1)
        table_grow(t);
}

static void table_free(struct table *t)
{
    for (uint32_t b = 0; b <= t->mask; b++) {
        struct entry *e = t->buckets[b];
        while (e != NULL) {
            struct entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(t->buckets);
}

uint32_t bench_run(int n)
{
    struct table t;
    table_init(&t, 16);
    uint32_t range = (uint32_t)n / 2 + 1, seed = 555;
    for (int i = 0; i < n; i++)
        table_add(&t, bench_rand(&seed) % range);
    uint32_t h = bench_hash(BENCH_HASH_INIT, t.size);
    for (uint32_t k = 0; k < range; k++) {
        struct entry *e = *table_slot(&t, k);
        h = bench_hash(h, e != NULL ? e->count : 0);
    }
    for (uint32_t k = 1; k < range; k += 2) {
        struct entry **slot = table_slot(&t, k);
        if (*slot != NULL) {
            struct entry *dead = *slot;
            *slot = dead->next;
            free(dead);
            t.size--;
        }
    }
    uint32_t left = 0;
    for (uint32_t k = 0; k < range; k++)
        left += *table_slot(&t, k) != NULL;
    if (left != t.size)
        bench_fail("hashtab: size does not match the entries found");
    h = bench_hash(h, left);
    table_free(&t);
    return h;
}
