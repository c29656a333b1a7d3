/* list - pointer chasing through a singly linked list of n nodes whose link
 * order is a random cycle over the node array (Sattolo's shuffle), so each
 * step is a dependent load to an unpredictable address; then the list is
 * reversed in place and walked again, several times. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 400000, .quick = 60000, .interp = 60000 };

#define PASSES 4

struct node {
    struct node *next;
    uint32_t value;
};

/* Sattolo's algorithm: a uniformly random single cycle through all n. */
static void cycle_build(struct node *nodes, uint32_t *order, int n)
{
    uint32_t seed = 4242;
    for (int i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(bench_rand(&seed) % (uint32_t)i);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < n; i++) {
        nodes[order[i]].next = &nodes[order[(i + 1) % n]];
        nodes[i].value = (uint32_t)i * 2654435761u;
    }
    nodes[order[n - 1]].next = NULL; /* open the cycle into a list */
}

static uint32_t list_walk(const struct node *p)
{
    uint32_t h = BENCH_HASH_INIT;
    for (; p != NULL; p = p->next)
        h = bench_hash(h, p->value);
    return h;
}

static struct node *list_reverse(struct node *p)
{
    struct node *done = NULL;
    while (p != NULL) {
        struct node *next = p->next;
        p->next = done;
        done = p;
        p = next;
    }
    return done;
}

uint32_t bench_run(int n)
{
    struct node *nodes = bench_alloc((size_t)n * sizeof *nodes);
    uint32_t *order = bench_alloc((size_t)n * sizeof *order);
    cycle_build(nodes, order, n);
    struct node *head = &nodes[order[0]];
    uint32_t h = BENCH_HASH_INIT;
    for (int pass = 0; pass < PASSES; pass++) {
        h = bench_hash(h, list_walk(head));
        head = list_reverse(head);
    }
    if (head != &nodes[order[0]])
        bench_fail("list: an even number of reversals must restore the head");
    free(nodes);
    free(order);
    return h;
}
