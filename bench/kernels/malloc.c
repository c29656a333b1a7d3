/* malloc - allocator-heavy work: binary trees built and freed node by node
 * (as in the classic "binary-trees" benchmark), then a churn of n random
 * sized allocations replacing each other in a table of live blocks. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 12000000, .quick = 1500000, .interp = 30000 };

#define LIVE_SLOTS 4096

struct tree {
    struct tree *left, *right;
};

static struct tree *tree_make(int depth)
{
    struct tree *t = bench_alloc(sizeof *t);
    t->left = depth > 0 ? tree_make(depth - 1) : NULL;
    t->right = depth > 0 ? tree_make(depth - 1) : NULL;
    return t;
}

static uint32_t tree_check_free(struct tree *t)
{
    uint32_t nodes = 1;
    if (t->left != NULL) {
        nodes += tree_check_free(t->left);
        nodes += tree_check_free(t->right);
    }
    free(t);
    return nodes;
}

/* Trees of growing depth whose total node count is about n. */
static uint32_t trees_run(int n)
{
    uint32_t h = BENCH_HASH_INIT;
    for (int depth = 4; depth <= 16; depth += 2) {
        int iterations = n / (1 << (depth + 1)) / 7 + 1;
        for (int i = 0; i < iterations; i++)
            h = bench_hash(h, tree_check_free(tree_make(depth)));
    }
    return h;
}

static uint32_t churn_run(int n)
{
    unsigned char *live[LIVE_SLOTS] = { NULL };
    uint32_t sizes[LIVE_SLOTS] = { 0 };
    uint32_t seed = 8086, h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++) {
        uint32_t r = bench_rand(&seed);
        uint32_t slot = r % LIVE_SLOTS;
        if (live[slot] != NULL) {
            h = bench_hash(h, live[slot][sizes[slot] - 1]);
            free(live[slot]);
        }
        /* Mostly small blocks, now and then a large one. */
        uint32_t size = (r >> 12) % 8 == 0 ? 1024 + (r >> 16) % 8192 : 8 + (r >> 16) % 120;
        live[slot] = bench_alloc(size);
        sizes[slot] = size;
        live[slot][0] = (unsigned char)i;
        live[slot][size - 1] = (unsigned char)(r >> 8);
    }
    for (int s = 0; s < LIVE_SLOTS; s++)
        free(live[s]);
    return h;
}

uint32_t bench_run(int n)
{
    return bench_hash(trees_run(n), churn_run(n));
}
