/* fib - deep and plentiful recursion: naive doubly recursive Fibonacci
 * (checked against the iterative one) and Ackermann A(2, m) and A(3, k)
 * (checked against their closed forms; A(3, 9) recurses ~4000 frames deep). */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 41, .quick = 32, .interp = 24 };

static uint32_t fib_naive(uint32_t n)
{
    return n < 2 ? n : fib_naive(n - 1) + fib_naive(n - 2);
}

static uint32_t fib_iter(uint32_t n)
{
    uint32_t a = 0, b = 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static uint32_t ackermann(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

uint32_t bench_run(int n)
{
    uint32_t f = fib_naive((uint32_t)n);
    if (f != fib_iter((uint32_t)n))
        bench_fail("fib: naive and iterative results differ");
    /* Small sizes stay under wasm-interp's fixed limit of ~1000 frames. */
    uint32_t k = n > 24 ? 9 : 5, m = (uint32_t)n * (n > 24 ? 50 : 10);
    uint32_t a3 = ackermann(3, k); /* A(3, k) = 2^(k+3) - 3 */
    uint32_t a2 = ackermann(2, m); /* A(2, m) = 2m + 3 */
    if (a3 != (1u << (k + 3)) - 3 || a2 != 2 * m + 3)
        bench_fail("fib: ackermann disagrees with its closed form");
    return bench_hash(bench_hash(bench_hash(BENCH_HASH_INIT, f), a3), a2);
}
