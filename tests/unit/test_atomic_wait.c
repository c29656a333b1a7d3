/* test_atomic_wait.c - runtime/atomic_wait.c: memory.atomic.wait32/64 and
 * notify as generated code calls them (on plain host memory here). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "kiln_abi.h"

static uint64_t cells[4] __attribute__((aligned(8)));

Test(atomic_wait, a_different_value_returns_1_at_once) {
    __atomic_store_n((uint32_t *)&cells[0], 5, __ATOMIC_SEQ_CST);
    cr_assert_eq(kiln_rt_atomic_wait32(NULL, &cells[0], 4, -1), 1);
    cells[1] = 0x100000000ull;
    cr_assert_eq(kiln_rt_atomic_wait64(NULL, &cells[1], 0, -1), 1);
}

Test(atomic_wait, a_timeout_returns_2_after_it) {
    cells[2] = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cr_assert_eq(kiln_rt_atomic_wait64(NULL, &cells[2], 0, 20 * 1000 * 1000), 2);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int64_t ns = (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
    cr_assert_geq(ns, 20 * 1000 * 1000);
    cr_assert_eq(kiln_rt_atomic_wait32(NULL, &cells[2], 0, 0), 2);
    cr_assert_eq(kiln_rt_atomic_notify(NULL, &cells[2], 5), 0, "nobody waits any more");
}

static void *waiter_run(void *p) {
    return (void *)(intptr_t)kiln_rt_atomic_wait32(NULL, p, 0, -1);
}

/* notify wakes exactly `count` waiters of that address, none of another. */
Test(atomic_wait, notify_wakes_the_waiters_it_counts) {
    cells[3] = 0;
    uint32_t *a = (uint32_t *)&cells[3], *other = a + 1;
    pthread_t t[3];
    cr_assert_eq(pthread_create(&t[0], NULL, waiter_run, a), 0);
    cr_assert_eq(pthread_create(&t[1], NULL, waiter_run, a), 0);
    cr_assert_eq(pthread_create(&t[2], NULL, waiter_run, other), 0);
    /* Until both waiters of `a` are queued, notify(0) says nothing; wake
     * one at a time instead, which tells when each is queued. */
    int woken = 0;
    while (woken < 2) {
        woken += kiln_rt_atomic_notify(NULL, a, 1);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_assert_eq((intptr_t)r, 0, "woken, not timed out");
    }
    cr_assert_eq(kiln_rt_atomic_notify(NULL, a, 10), 0);
    while (kiln_rt_atomic_notify(NULL, other, 10) == 0) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    void *r;
    pthread_join(t[2], &r);
    cr_assert_eq((intptr_t)r, 0);
}
