// malloc-heavy: an AVL tree of 200000 pseudo-random keys, then deletions
// of half of them; prints height, size and an in-order checksum.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct node {
    uint32_t key;
    int height;
    struct node *l, *r;
} node;

static int h(node *n) { return n ? n->height : 0; }
static int max(int a, int b) { return a > b ? a : b; }
static void fix(node *n) { n->height = 1 + max(h(n->l), h(n->r)); }

static node *rot_r(node *n) {
    node *l = n->l;
    n->l = l->r;
    l->r = n;
    fix(n);
    fix(l);
    return l;
}

static node *rot_l(node *n) {
    node *r = n->r;
    n->r = r->l;
    r->l = n;
    fix(n);
    fix(r);
    return r;
}

static node *balance(node *n) {
    fix(n);
    int b = h(n->l) - h(n->r);
    if (b > 1) {
        if (h(n->l->l) < h(n->l->r))
            n->l = rot_l(n->l);
        return rot_r(n);
    }
    if (b < -1) {
        if (h(n->r->r) < h(n->r->l))
            n->r = rot_r(n->r);
        return rot_l(n);
    }
    return n;
}

static node *insert(node *n, uint32_t key) {
    if (!n) {
        node *m = malloc(sizeof *m);
        *m = (node){key, 1, NULL, NULL};
        return m;
    }
    if (key < n->key)
        n->l = insert(n->l, key);
    else if (key > n->key)
        n->r = insert(n->r, key);
    return balance(n);
}

static node *remove_min(node *n, node **min) {
    if (!n->l) {
        *min = n;
        return n->r;
    }
    n->l = remove_min(n->l, min);
    return balance(n);
}

static node *erase(node *n, uint32_t key) {
    if (!n)
        return NULL;
    if (key < n->key)
        n->l = erase(n->l, key);
    else if (key > n->key)
        n->r = erase(n->r, key);
    else {
        node *l = n->l, *r = n->r, *m;
        free(n);
        if (!r)
            return l;
        r = remove_min(r, &m);
        m->l = l;
        m->r = r;
        return balance(m);
    }
    return balance(n);
}

static uint64_t walk(node *n, uint64_t acc, long *count) {
    if (!n)
        return acc;
    acc = walk(n->l, acc, count);
    acc = acc * 1000003u + n->key;
    ++*count;
    return walk(n->r, acc, count);
}

static void destroy(node *n) {
    if (n) {
        destroy(n->l);
        destroy(n->r);
        free(n);
    }
}

int main(void) {
    uint32_t x = 12345;
    node *root = NULL;
    for (int i = 0; i < 200000; i++) {
        x = x * 1664525u + 1013904223u;
        root = insert(root, x >> 8);
    }
    long count = 0;
    uint64_t sum = walk(root, 0, &count);
    printf("size %ld height %d checksum %llu\n", count, h(root), (unsigned long long)sum);
    x = 12345;
    for (int i = 0; i < 100000; i++) {
        x = x * 1664525u + 1013904223u;
        root = erase(root, x >> 8);
    }
    count = 0;
    sum = walk(root, 0, &count);
    printf("size %ld height %d checksum %llu\n", count, h(root), (unsigned long long)sum);
    destroy(root);
    return 0;
}
