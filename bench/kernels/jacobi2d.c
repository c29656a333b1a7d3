/* jacobi2d - loop nest: 2-D Jacobi relaxation, 5-point stencil over an
 * n x n grid of doubles held as a C99 two-dimensional array (a[i][j]), two
 * grids swapped every half step.
 *
 * The existing `stencil` kernel walks rows through pointers; this one is
 * written the way numerical code usually is, with both indices in the
 * subscript, so the wasm carries the i*n+j address arithmetic that native
 * code strength-reduces and vectorizes.
 *
 * Self-check: the initial grid is mirror-symmetric in both axes and every
 * sum is written as (west + east) + (north + south), so a mirror image only
 * swaps the operands of commutative additions: the result must stay exactly
 * symmetric.  Each new value is a convex combination of old ones, so it must
 * also stay within the initial range.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1400, .quick = 360, .interp = 64 };

#define STEPS 250

static double cell_init(int i, int j, int n)
{
    int a = i < n - 1 - i ? i : n - 1 - i;  /* fold both mirrors */
    int b = j < n - 1 - j ? j : n - 1 - j;
    uint32_t s = bench_hash(bench_hash(BENCH_HASH_INIT, (uint32_t)a), (uint32_t)b) | 1u;
    return (double)(bench_rand(&s) & 0xffff) / 65536.0;
}

static void sweep(int n, double dst[n][n], double src[n][n])
{
    for (int i = 1; i < n - 1; i++)
        for (int j = 1; j < n - 1; j++)
            dst[i][j] = 0.2 * (src[i][j] + ((src[i][j - 1] + src[i][j + 1]) +
                                            (src[i - 1][j] + src[i + 1][j])));
}

static void grid_check(int n, double g[n][n], double lo, double hi)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double v = g[i][j];
            if (v != g[n - 1 - i][j] || v != g[i][n - 1 - j])
                bench_fail("jacobi2d: grid lost its mirror symmetry");
            if (!(v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12)))
                bench_fail("jacobi2d: value outside the initial range");
        }
}

uint32_t bench_run(int n)
{
    double (*a)[n] = bench_alloc(sizeof(double[n][n]));
    double (*b)[n] = bench_alloc(sizeof(double[n][n]));
    double lo = 1.0, hi = 0.0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            a[i][j] = b[i][j] = cell_init(i, j, n);
            lo = a[i][j] < lo ? a[i][j] : lo;
            hi = a[i][j] > hi ? a[i][j] : hi;
        }
    for (int t = 0; t < STEPS; t++) {
        sweep(n, b, a);
        sweep(n, a, b);
    }
    grid_check(n, a, lo, hi);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            h = bench_hash_f64(h, a[i][j]);
    free(a);
    free(b);
    return h;
}
