/* cfg_cycles.c - the blocks on a cycle of a function's CFG, by Tarjan's
 * strongly connected components, iteratively (a giant wasm body has
 * tens of thousands of blocks: no recursion).  Blocks are numbered in
 * function order and found again by binary search over their addresses,
 * since LLVM's C interface has no per-block slot for our own data. */
#include "cfg_cycles.h"

#include <stdint.h>
#include <stdlib.h>

typedef struct block_ref {
    LLVMBasicBlockRef bb;
    uint32_t id;
} block_ref;

/* Per block: Tarjan's discovery order (0: not yet), lowest order
 * reachable, whether on the component stack, whether it is its own
 * successor. */
typedef struct block_info {
    uint32_t order, low;
    bool stacked, self_loop;
} block_info;

typedef struct walk_frame {
    uint32_t id;
    unsigned next; /* successor to look at next */
} walk_frame;

typedef struct cycle_walk {
    LLVMBasicBlockRef *blocks; /* by id */
    block_ref *sorted;         /* by address */
    block_info *info;
    walk_frame *frames;
    uint32_t *stack; /* Tarjan's component stack */
    uint32_t n, frames_top, stack_top, order;
} cycle_walk;

static int block_ref_compare(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const block_ref *)a)->bb, y = (uintptr_t)((const block_ref *)b)->bb;
    return x < y ? -1 : x > y;
}

static uint32_t block_id(const cycle_walk *w, LLVMBasicBlockRef bb) {
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)w->sorted[mid].bb < (uintptr_t)bb) lo = mid + 1;
        else hi = mid;
    }
    return w->sorted[lo].id; /* every successor is a block of the function */
}

static bool walk_alloc(cycle_walk *w, LLVMValueRef fn) {
    w->n = LLVMCountBasicBlocks(fn);
    w->blocks = malloc(w->n * sizeof *w->blocks);
    w->sorted = malloc(w->n * sizeof *w->sorted);
    w->info = calloc(w->n, sizeof *w->info);
    w->frames = malloc(w->n * sizeof *w->frames);
    w->stack = malloc(w->n * sizeof *w->stack);
    if (!w->blocks || !w->sorted || !w->info || !w->frames || !w->stack) return false;
    LLVMGetBasicBlocks(fn, w->blocks);
    for (uint32_t i = 0; i < w->n; i++) w->sorted[i] = (block_ref){w->blocks[i], i};
    qsort(w->sorted, w->n, sizeof *w->sorted, block_ref_compare);
    return true;
}

static void walk_free(cycle_walk *w) {
    free(w->blocks);
    free(w->sorted);
    free(w->info);
    free(w->frames);
    free(w->stack);
}

static void walk_enter(cycle_walk *w, uint32_t id) {
    block_info *b = &w->info[id];
    b->order = b->low = ++w->order;
    b->stacked = true;
    w->stack[w->stack_top++] = id;
    w->frames[w->frames_top++] = (walk_frame){id, 0};
}

/* Pops the component whose root is `root`; its blocks are on a cycle
 * when there are two or more, or the one branches to itself. */
static bool component_pop(cycle_walk *w, uint32_t root, ptr_set *on_cycle) {
    bool cyclic = w->stack[w->stack_top - 1] != root || w->info[root].self_loop;
    uint32_t id;
    do {
        id = w->stack[--w->stack_top];
        w->info[id].stacked = false;
        if (cyclic && !ptr_set_add(on_cycle, w->blocks[id])) return false;
    } while (id != root);
    return true;
}

/* One depth-first walk from `start`; false when out of memory. */
static bool walk_from(cycle_walk *w, uint32_t start, ptr_set *on_cycle) {
    walk_enter(w, start);
    while (w->frames_top) {
        walk_frame *f = &w->frames[w->frames_top - 1];
        block_info *b = &w->info[f->id];
        LLVMValueRef term = LLVMGetBasicBlockTerminator(w->blocks[f->id]);
        if (term && f->next < LLVMGetNumSuccessors(term)) {
            uint32_t to = block_id(w, LLVMGetSuccessor(term, f->next++));
            if (to == f->id) b->self_loop = true;
            if (!w->info[to].order) walk_enter(w, to);
            else if (w->info[to].stacked && w->info[to].order < b->low) b->low = w->info[to].order;
            continue;
        }
        uint32_t id = f->id;
        w->frames_top--;
        if (w->frames_top) {
            block_info *parent = &w->info[w->frames[w->frames_top - 1].id];
            if (b->low < parent->low) parent->low = b->low;
        }
        if (b->low == b->order && !component_pop(w, id, on_cycle)) return false;
    }
    return true;
}

bool cfg_cycle_blocks(LLVMValueRef fn, ptr_set *on_cycle) {
    cycle_walk w = {0};
    if (!LLVMGetFirstBasicBlock(fn)) return true;
    bool ok = walk_alloc(&w, fn);
    for (uint32_t i = 0; ok && i < w.n; i++)
        if (!w.info[i].order) ok = walk_from(&w, i, on_cycle);
    walk_free(&w);
    return ok;
}
