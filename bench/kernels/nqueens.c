/* nqueens - recursion and bit masks: counts all solutions of the n-queens
 * problem by backtracking over column and diagonal occupancy masks (lowest
 * free square by x & -x); checked against the known counts. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 15, .quick = 12, .interp = 10 };

/* OEIS A000170. */
static const uint32_t KNOWN[] = { 1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200,
                                  73712, 365596, 2279184, 14772512 };

static uint32_t queens_count(uint32_t all, uint32_t cols, uint32_t diag1, uint32_t diag2)
{
    if (cols == all)
        return 1;
    uint32_t count = 0;
    uint32_t free_squares = all & ~(cols | diag1 | diag2);
    while (free_squares != 0) {
        uint32_t bit = free_squares & (0u - free_squares);
        free_squares ^= bit;
        count += queens_count(all, cols | bit, (diag1 | bit) << 1, (diag2 | bit) >> 1);
    }
    return count;
}

uint32_t bench_run(int n)
{
    if (n > 16)
        bench_fail("nqueens: size above 16 has no known count here");
    uint32_t all = (1u << n) - 1;
    uint32_t count = queens_count(all, 0, 0, 0);
    if (count != KNOWN[n])
        bench_fail("nqueens: wrong number of solutions");
    return bench_hash(BENCH_HASH_INIT, count);
}
