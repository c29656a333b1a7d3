/* test_arena.c - compiler/arena.c: alignment, zeroing, overflow checks,
 * large blocks and injected allocation failures. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

Test(arena, allocations_are_16_byte_aligned_and_disjoint) {
    arena *a = arena_create();
    cr_assert_not_null(a);
    uint8_t *prev = NULL;
    for (size_t size = 1; size < 200; size += 7) {
        uint8_t *p = arena_alloc(a, size);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % 16, 0, "size %zu", size);
        memset(p, 0xAB, size); /* writable for its whole size */
        if (prev) cr_assert_neq(p, prev);
        prev = p;
    }
    arena_destroy(a);
}

Test(arena, zalloc_and_array_return_zeroed_memory) {
    arena *a = arena_create();
    uint8_t *dirty = arena_alloc(a, 64);
    memset(dirty, 0xFF, 64);
    uint32_t *z = arena_zalloc(a, 100 * sizeof *z);
    uint64_t *arr = arena_array(a, 50, sizeof *arr);
    cr_assert(z && arr);
    for (int i = 0; i < 100; i++) cr_assert_eq(z[i], 0);
    for (int i = 0; i < 50; i++) cr_assert_eq(arr[i], 0);
    arena_destroy(a);
}

Test(arena, array_rejects_multiplication_overflow) {
    arena *a = arena_create();
    cr_assert_null(arena_array(a, SIZE_MAX / 2 + 1, 2));
    cr_assert_null(arena_array(a, SIZE_MAX, SIZE_MAX));
    cr_assert_not_null(arena_array(a, 0, 8), "an empty array is still a valid pointer");
    arena_destroy(a);
}

Test(arena, absurd_sizes_fail_instead_of_aborting) {
    arena *a = arena_create();
    cr_assert_null(arena_alloc(a, (size_t)1 << 40));
    cr_assert_not_null(arena_alloc(a, 16), "the arena stays usable after a refusal");
    arena_destroy(a);
}

Test(arena, blocks_larger_than_a_chunk_are_served_whole) {
    arena *a = arena_create();
    size_t big = 1u << 20;
    uint8_t *p = arena_alloc(a, big);
    cr_assert_not_null(p);
    memset(p, 1, big);
    uint8_t *q = arena_alloc(a, 32);
    cr_assert_not_null(q);
    cr_assert(q + 32 <= p || q >= p + big, "small block must not land inside the big one");
    arena_destroy(a);
}

Test(arena, used_counts_rounded_allocations) {
    arena *a = arena_create();
    cr_assert_eq(arena_used(a), 0);
    arena_alloc(a, 1);
    cr_assert_eq(arena_used(a), 16);
    arena_alloc(a, 17);
    cr_assert_eq(arena_used(a), 48);
    arena_destroy(a);
}

Test(arena, fail_after_fails_exactly_the_nth_allocation_once) {
    arena *a = arena_create();
    arena_fail_after(a, 3);
    cr_assert_not_null(arena_alloc(a, 8));
    cr_assert_not_null(arena_alloc(a, 8));
    cr_assert_null(arena_alloc(a, 8), "third allocation fails");
    cr_assert_not_null(arena_alloc(a, 8), "the hook disarms itself");
    arena_fail_after(a, 1);
    cr_assert_null(arena_zalloc(a, 8), "zalloc goes through the same hook");
    arena_destroy(a);
}
