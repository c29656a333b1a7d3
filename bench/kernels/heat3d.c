/* heat3d - loop nest: explicit heat diffusion on an n x n x n grid of
 * doubles (a C99 3-D array, a[i][j][k]), 7-point stencil, two grids
 * swapped every half step, fixed boundary.
 *
 * Self-check: as in jacobi2d, the initial grid is mirror-symmetric along
 * each axis and each neighbour pair is added first ((west + east) etc.),
 * so a mirror image only swaps the operands of commutative additions and
 * the result must stay exactly symmetric; with a centre weight of 1 - 6c
 * > 0 every value is a convex combination of old ones and must stay in the
 * initial range.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 150, .quick = 56, .interp = 30 };

#define STEPS 40
#define COEFF 0.125

static int fold(int i, int n)
{
    return i < n - 1 - i ? i : n - 1 - i;
}

static void grid_init(int n, double g[n][n][n])
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++) {
                uint32_t s = bench_hash(bench_hash(bench_hash(BENCH_HASH_INIT,
                    (uint32_t)fold(i, n)), (uint32_t)fold(j, n)), (uint32_t)fold(k, n)) | 1u;
                g[i][j][k] = (double)(bench_rand(&s) & 0xffff) / 65536.0;
            }
}

static void sweep(int n, double dst[n][n][n], double src[n][n][n])
{
    for (int i = 1; i < n - 1; i++)
        for (int j = 1; j < n - 1; j++)
            for (int k = 1; k < n - 1; k++) {
                double c = src[i][j][k];
                double s = ((src[i - 1][j][k] + src[i + 1][j][k]) +
                            (src[i][j - 1][k] + src[i][j + 1][k])) +
                           (src[i][j][k - 1] + src[i][j][k + 1]);
                dst[i][j][k] = c + COEFF * (s - 6.0 * c);
            }
}

static void grid_check(int n, double g[n][n][n])
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++) {
                double v = g[i][j][k];
                if (v != g[n - 1 - i][j][k] || v != g[i][n - 1 - j][k] || v != g[i][j][n - 1 - k])
                    bench_fail("heat3d: grid lost its mirror symmetry");
                if (!(v >= -1e-12 && v <= 1.0 + 1e-12))
                    bench_fail("heat3d: value outside the initial range");
            }
}

uint32_t bench_run(int n)
{
    double (*a)[n][n] = bench_alloc(sizeof(double[n][n][n]));
    double (*b)[n][n] = bench_alloc(sizeof(double[n][n][n]));
    grid_init(n, a);
    memcpy(b, a, sizeof(double[n][n][n]));
    for (int t = 0; t < STEPS; t++) {
        sweep(n, b, a);
        sweep(n, a, b);
    }
    grid_check(n, a);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                h = bench_hash_f64(h, a[i][j][k]);
    free(a);
    free(b);
    return h;
}
