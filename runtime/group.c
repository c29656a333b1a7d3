/* group.c - instance groups: which instances are freed, and when.
 *
 * A function reference names its instance (kiln_func_ref.ctx is the
 * instance's vmctx), and so does an exception reference (its tag), so an
 * instance may be freed only once nothing that can still reach one of
 * its references remains.  References pass between instances in two
 * ways only:
 *   - linking: an instance imports a function or a tag of another, or a
 *     table or global that can hold function or exception references
 *     (whoever defined it: an instance or the host);
 *   - the host moving a reference it was given into another instance's
 *     reach: kiln_table_set, kiln_table_grow, kiln_global_set,
 *     kiln_global_new, the arguments of kiln_call, the results of a host
 *     function.
 * Each puts both sides in one group (union-find).  Inside wasm nothing
 * else can move a reference: table.set, global.set, calls and throws
 * reach only the instance's own and imported objects, which are in its
 * group already, so generated code does no work for this.
 *
 * A group is freed as a whole, as a Wasmtime Store is, when its last
 * handle goes.  The handles: the host's hold on a member instance
 * (kiln_instantiate, kiln_func_instance; kiln_instance_free drops it),
 * each linker entry that names an object of the group, and the host's
 * hold on each table or global it made that joined the group
 * (kiln_table_new, kiln_global_new; kiln_*_free drops it).  So freeing
 * an instance drops a handle; the instance's memory goes with the last
 * handle of its group, together with every other member's.
 *
 * Memories do not join groups: linear memory holds bytes, never a
 * reference, and instances that share only a memory (a wasi-threads
 * program's thread instances) are freed one by one.
 *
 * A group whose last handle goes while code of its own runs (a host
 * function freeing its caller, or another thread freeing an instance in
 * a call) waits for that code: it is freed when the last call into one
 * of its instances returns (group_call_leave, from interrupt_leave), so
 * the code never returns into freed memory.  Across threads one race is
 * left to the host: a handle dropped on one thread just as the last call
 * on another ends may leave the group waiting for good (kept, never
 * freed under the call).
 *
 * One mutex guards every group: joins and handles are host paths
 * (instantiation, a host's reference moves, handles taken and dropped),
 * made from any thread.  Nodes are never freed before their group dies,
 * so a member's node, found again through `parent`, stays valid. */
#include <pthread.h>
#include <stdlib.h>

#include "runtime.h"

struct kiln_group {
    kiln_group *parent;      /* itself at the root */
    kiln_group *next;        /* the set's nodes, listed from the root */
    kiln_group *last;        /* root: the list's last node, so a join is O(1) */
    kiln_instance *instance; /* the member this node was made for; NULL for a host object */
    uint64_t handles;        /* root: what keeps the group alive (above) */
    uint64_t size;           /* root: nodes in the set (union by size) */
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
/* Groups without handles that wait for calls in progress: while there is
 * none, the end of a call costs one load more (group_call_leave). */
static _Atomic uint32_t groups_waiting;

kiln_group *group_new(kiln_instance *inst) {
    kiln_group *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    *g = (kiln_group){.parent = g, .last = g, .instance = inst, .handles = 1, .size = 1};
    return g;
}

/* Path halving: every other node on the way points at its grandparent. */
static kiln_group *root_of(kiln_group *g) {
    while (g->parent != g) {
        g->parent = g->parent->parent;
        g = g->parent;
    }
    return g;
}

void group_retain(kiln_group *g) {
    if (!g) return;
    pthread_mutex_lock(&groups_lock);
    if (root_of(g)->handles++ == 0) groups_waiting--; /* waits no more */
    pthread_mutex_unlock(&groups_lock);
}

/* Whether code of the group may be on some thread's stack: a call into one
 * of its instances (kiln_call, a start function) is in progress. */
static bool group_running(const kiln_group *root) {
    for (const kiln_group *n = root; n; n = n->next)
        if (n->instance && __atomic_load_n(&n->instance->running, __ATOMIC_SEQ_CST)) return true;
    return false;
}

/* Outside the lock: destroying an instance releases tables, memories and
 * pool slots, none of which take it. */
static void group_destroy(kiln_group *root) {
    for (kiln_group *n = root; n; n = n->next)
        if (n->instance) instance_destroy(n->instance);
    for (kiln_group *n = root, *next; n; n = next) {
        next = n->next;
        free(n);
    }
}

void group_release(kiln_group *g) {
    if (!g) return;
    pthread_mutex_lock(&groups_lock);
    kiln_group *root = root_of(g);
    bool last = --root->handles == 0;
    if (last && group_running(root)) {
        groups_waiting++;
        last = false;
    }
    pthread_mutex_unlock(&groups_lock);
    if (last) group_destroy(root);
}

/* One call into `inst` fewer; true if it was the last.  An instance's
 * interrupt mark ends with its last call (signals.c), cleared before the
 * count drops so that nothing touches the instance after that: another
 * thread may free it the moment the count is 0. */
static bool running_drop(kiln_instance *inst) {
    uint32_t n = __atomic_load_n(&inst->running, __ATOMIC_SEQ_CST);
    for (;;) {
        if (n == 1) __atomic_store_n(&inst->vmctx.interrupt, 0u, __ATOMIC_SEQ_CST);
        if (__atomic_compare_exchange_n(&inst->running, &n, n - 1, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return n == 1;
    }
}

void group_call_leave(kiln_instance *inst) {
    if (!groups_waiting) {
        running_drop(inst);
        return;
    }
    pthread_mutex_lock(&groups_lock);
    kiln_group *root = root_of(inst->group);
    bool last = running_drop(inst) && root->handles == 0 && !group_running(root);
    if (last) groups_waiting--;
    pthread_mutex_unlock(&groups_lock);
    if (last) group_destroy(root);
}

void group_join(kiln_group *a, kiln_group *b) {
    if (!a || !b) return;
    pthread_mutex_lock(&groups_lock);
    a = root_of(a), b = root_of(b);
    if (a != b) {
        if (a->size < b->size) {
            kiln_group *t = a;
            a = b, b = t;
        }
        b->parent = a;
        a->last->next = b;
        a->last = b->last;
        a->size += b->size;
        /* A waiting group (no handles) that joins one with handles waits no
         * more (its running code moved one of its references across). */
        groups_waiting -= (a->handles == 0) + (b->handles == 0);
        a->handles += b->handles;
        groups_waiting += a->handles == 0;
    }
    pthread_mutex_unlock(&groups_lock);
}

/* ---- references that name an instance ----------------------------------------- */

bool code_names_instance(uint8_t code) { return code == KILN_FUNCREF || code == KILN_EXNREF; }

kiln_instance *ref_instance(uint8_t code, const void *ref) {
    if (!ref) return NULL;
    if (code == KILN_FUNCREF) return funcref_owner(ref);
    if (code == KILN_EXNREF) return exn_instance(ref);
    return NULL; /* an externref: the host's own pointer */
}

void group_join_ref(kiln_group *g, uint8_t code, const void *ref) {
    kiln_instance *owner = g ? ref_instance(code, ref) : NULL;
    if (owner) group_join(g, owner->group);
}

void group_join_values(kiln_group *g, const uint8_t *codes, const kiln_val *values, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) group_join_ref(g, codes[i], values[i].ref);
}
