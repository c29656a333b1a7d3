/* atomic_wait.c - memory.atomic.wait32/64 and memory.atomic.notify.
 *
 * A futex in user space: waiters are queued by the native address they
 * wait on (a shared memory never moves, and two memories never overlap,
 * so the address names one location of one memory).  The queues live in
 * a fixed table of buckets, each a mutex and a FIFO list of waiters; a
 * waiter sleeps on its own condition variable, so notify wakes exactly
 * the threads it counts.  The value is compared under the bucket lock,
 * and a notifier takes the same lock, so a notify that follows a store
 * of a new value can never slip between a waiter's comparison and its
 * sleep (the lost wake-up futexes exist to prevent).
 *
 * A waiter sleeps in slices and checks for an interrupt between them
 * (kiln_instance_interrupt, a watchdog time limit), so a thread blocked
 * forever can still be stopped; the slices are invisible to wasm. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "runtime.h"

enum { BUCKETS = 256 };
static const int64_t SLICE_NS = 50 * 1000 * 1000;

typedef struct waiter {
    struct waiter *next;
    const void *addr;
    pthread_cond_t cond;
    bool woken;
} waiter;

typedef struct bucket {
    pthread_mutex_t lock;
    waiter *head, *tail;
} bucket;

static bucket buckets[BUCKETS];
static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static void buckets_init(void) {
    for (int i = 0; i < BUCKETS; i++) pthread_mutex_init(&buckets[i].lock, NULL);
}

static bucket *bucket_of(const void *addr) {
    pthread_once(&buckets_once, buckets_init);
    uintptr_t a = (uintptr_t)addr >> 2;
    return &buckets[(a ^ (a >> 8) ^ (a >> 16)) % BUCKETS];
}

static void waiter_append(bucket *b, waiter *w) {
    w->next = NULL;
    if (b->tail) b->tail->next = w;
    else b->head = w;
    b->tail = w;
}

static void waiter_remove(bucket *b, waiter *w) {
    waiter *prev = NULL;
    for (waiter *x = b->head; x; prev = x, x = x->next) {
        if (x != w) continue;
        if (prev) prev->next = x->next;
        else b->head = x->next;
        if (b->tail == x) b->tail = prev;
        return;
    }
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleeps until woken, the deadline (< 0: none) or the end of a slice. */
static void waiter_sleep(bucket *b, waiter *w, int64_t deadline) {
    int64_t until = now_ns() + SLICE_NS;
    if (deadline >= 0 && deadline < until) until = deadline;
    struct timespec ts = {(time_t)(until / 1000000000), (long)(until % 1000000000)};
    pthread_cond_timedwait(&w->cond, &b->lock, &ts);
}

static waiter waiter_make(const void *addr) {
    waiter w = {.addr = addr};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w.cond, &attr);
    pthread_condattr_destroy(&attr);
    return w;
}

/* The common part of wait32 and wait64, entered with the bucket locked
 * and the value found equal: 0 woken, 2 timed out. */
static int32_t wait_queued(kiln_vmctx *ctx, bucket *b, const void *addr, int64_t timeout_ns) {
    waiter w = waiter_make(addr);
    waiter_append(b, &w);
    /* A timeout past INT64_MAX ns from now (292 years) waits for ever,
     * without the signed overflow of adding it. */
    int64_t now = now_ns();
    int64_t deadline = timeout_ns < 0 || timeout_ns > INT64_MAX - now ? -1 : now + timeout_ns;
    bool interrupted = false;
    while (!w.woken && (deadline < 0 || now_ns() < deadline)) {
        if ((interrupted = interrupt_requested())) break;
        waiter_sleep(b, &w, deadline);
    }
    bool woken = w.woken;
    if (!woken) waiter_remove(b, &w);
    pthread_mutex_unlock(&b->lock);
    pthread_cond_destroy(&w.cond);
    if (interrupted) kiln_rt_trap(ctx, KILN_TRAP_INTERRUPTED);
    return woken ? 0 : 2;
}

int32_t kiln_rt_atomic_wait32(kiln_vmctx *ctx, void *addr, uint32_t expected, int64_t timeout_ns) {
    bucket *b = bucket_of(addr);
    pthread_mutex_lock(&b->lock);
    if (__atomic_load_n((uint32_t *)addr, __ATOMIC_SEQ_CST) != expected) {
        pthread_mutex_unlock(&b->lock);
        return 1;
    }
    return wait_queued(ctx, b, addr, timeout_ns);
}

int32_t kiln_rt_atomic_wait64(kiln_vmctx *ctx, void *addr, uint64_t expected, int64_t timeout_ns) {
    bucket *b = bucket_of(addr);
    pthread_mutex_lock(&b->lock);
    if (__atomic_load_n((uint64_t *)addr, __ATOMIC_SEQ_CST) != expected) {
        pthread_mutex_unlock(&b->lock);
        return 1;
    }
    return wait_queued(ctx, b, addr, timeout_ns);
}

/* Wakes the longest-waiting `count` waiters on addr, in order. */
int32_t kiln_rt_atomic_notify(kiln_vmctx *ctx, void *addr, uint32_t count) {
    (void)ctx;
    bucket *b = bucket_of(addr);
    uint32_t n = 0;
    pthread_mutex_lock(&b->lock);
    for (waiter *w = b->head, *next; w && n < count; w = next) {
        next = w->next;
        if (w->addr != addr) continue;
        waiter_remove(b, w);
        w->woken = true;
        pthread_cond_signal(&w->cond);
        n++;
    }
    pthread_mutex_unlock(&b->lock);
    return (int32_t)n;
}
