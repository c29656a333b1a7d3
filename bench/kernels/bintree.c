/* bintree - pointer chasing in an unbalanced binary search tree: n random
 * keys inserted, 2n lookups (half of them misses), then a recursive walk
 * summing depths and an in-order walk that must see the keys sorted. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 250000, .quick = 40000, .interp = 10000 };

struct tnode {
    struct tnode *left, *right;
    uint32_t key;
    uint32_t count;
};

static struct tnode *tree_insert(struct tnode *root, struct tnode *fresh)
{
    struct tnode **link = &root;
    while (*link != NULL) {
        if (fresh->key == (*link)->key) {
            (*link)->count++;
            return root;
        }
        link = fresh->key < (*link)->key ? &(*link)->left : &(*link)->right;
    }
    *link = fresh;
    return root;
}

static const struct tnode *tree_find(const struct tnode *t, uint32_t key)
{
    while (t != NULL && t->key != key)
        t = key < t->key ? t->left : t->right;
    return t;
}

static uint64_t tree_depth_sum(const struct tnode *t, uint32_t depth)
{
    if (t == NULL)
        return 0;
    return depth + tree_depth_sum(t->left, depth + 1) + tree_depth_sum(t->right, depth + 1);
}

/* In-order walk; *last carries the previous key to check the order. */
static uint32_t tree_inorder(const struct tnode *t, uint32_t h, int64_t *last)
{
    if (t == NULL)
        return h;
    h = tree_inorder(t->left, h, last);
    if ((int64_t)t->key <= *last)
        bench_fail("bintree: in-order walk is not sorted");
    *last = t->key;
    h = bench_hash(h, t->key ^ t->count);
    return tree_inorder(t->right, h, last);
}

uint32_t bench_run(int n)
{
    struct tnode *pool = bench_alloc((size_t)n * sizeof *pool);
    struct tnode *root = NULL;
    uint32_t seed = 31337;
    for (int i = 0; i < n; i++) {
        pool[i] = (struct tnode){ NULL, NULL, bench_rand(&seed) % (4u * (uint32_t)n), 1 };
        root = tree_insert(root, &pool[i]);
    }
    uint32_t found = 0;
    seed = 31337;
    for (int i = 0; i < 2 * n; i++) {
        uint32_t key = i < n ? bench_rand(&seed) % (4u * (uint32_t)n) : (uint32_t)i * 7u;
        found += tree_find(root, key) != NULL;
    }
    if (found < (uint32_t)n)
        bench_fail("bintree: an inserted key was not found");
    int64_t last = -1;
    uint32_t h = tree_inorder(root, BENCH_HASH_INIT, &last);
    uint64_t depth = tree_depth_sum(root, 0);
    h = bench_hash(bench_hash(h, found), (uint32_t)depth);
    free(pool);
    return h;
}
