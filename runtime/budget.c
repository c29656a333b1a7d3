/* budget.c - an instance's allowance for all the memories (in pages) or
 * all the tables (in elements) it defines, together.
 *
 * kiln_instance_limits' max_memory_pages and max_table_elements cap each
 * object; a module may define 100,000 memories or tables, and each would
 * get the whole cap.  A budget is what they share: instantiation takes
 * their initial sizes from it, every growth takes its delta (memory.grow
 * and table.grow return -1 past the limit), and an object freed gives its
 * size back.  The objects hold references, since they may outlive the
 * instance (an export kept by the host or another instance). */
#include <stdlib.h>

#include "runtime.h"

struct kiln_budget {
    _Atomic uint64_t used;
    uint64_t limit;
    _Atomic int refcount;
};

kiln_budget *budget_new(uint64_t limit) {
    kiln_budget *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->limit = limit;
    b->refcount = 1;
    return b;
}

void budget_retain(kiln_budget *b) { b->refcount++; }

void budget_release(kiln_budget *b) {
    if (b && --b->refcount == 0) free(b);
}

bool budget_take(kiln_budget *b, uint64_t n) {
    uint64_t used = __atomic_load_n(&b->used, __ATOMIC_RELAXED);
    do {
        if (n > b->limit - used) return false;
    } while (!__atomic_compare_exchange_n(&b->used, &used, used + n, true, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return true;
}

void budget_give(kiln_budget *b, uint64_t n) { __atomic_fetch_sub(&b->used, n, __ATOMIC_RELAXED); }
