/* seidel2d - loop nest: Gauss-Seidel relaxation in place on an n x n C99
 * 2-D array of doubles, 9-point stencil: each cell becomes the mean of
 * itself and its eight neighbours, the ones above and to the left already
 * updated in this sweep.  The loop-carried dependence keeps native code
 * scalar too, so this kernel measures address arithmetic and loads.
 *
 * Self-check: a cell's update depends only on cells earlier in both row
 * and column, so a sweep by anti-diagonals (wavefront order) computes the
 * same values, bit for bit, as the row-by-row sweep; that is checked on a
 * smaller grid.  On the full grid every value is a mean of old ones and
 * must stay within the initial range.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1000, .quick = 280, .interp = 130 };

#define SWEEPS 60

/* The mean of the 3 x 3 block around (i, j), in one fixed order. */
static double cell(int n, double g[n][n], int i, int j)
{
    return (g[i - 1][j - 1] + g[i - 1][j] + g[i - 1][j + 1] +
            g[i][j - 1] + g[i][j] + g[i][j + 1] +
            g[i + 1][j - 1] + g[i + 1][j] + g[i + 1][j + 1]) / 9.0;
}

static void sweep_rows(int n, double g[n][n])
{
    for (int i = 1; i < n - 1; i++)
        for (int j = 1; j < n - 1; j++)
            g[i][j] = cell(n, g, i, j);
}

/* The same sweep, one anti-diagonal i + j = d at a time. */
static void sweep_wavefront(int n, double g[n][n])
{
    for (int d = 2; d <= 2 * (n - 2); d++)
        for (int i = 1; i < n - 1; i++) {
            int j = d - i;
            if (j >= 1 && j < n - 1)
                g[i][j] = cell(n, g, i, j);
        }
}

static void grid_init(int n, double g[n][n], uint32_t seed)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            g[i][j] = (double)(bench_rand(&seed) & 0xffff) / 65536.0;
}

static void orders_check(void)
{
    enum { M = 24 };
    double a[M][M], b[M][M];
    grid_init(M, a, 3);
    memcpy(b, a, sizeof a);
    for (int s = 0; s < 3; s++) {
        sweep_rows(M, a);
        sweep_wavefront(M, b);
    }
    if (memcmp(a, b, sizeof a) != 0)
        bench_fail("seidel2d: row and wavefront orders disagree");
}

uint32_t bench_run(int n)
{
    double (*g)[n] = bench_alloc(sizeof(double[n][n]));
    orders_check();
    grid_init(n, g, 9);
    for (int s = 0; s < SWEEPS; s++)
        sweep_rows(n, g);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (!(g[i][j] >= 0.0 && g[i][j] <= 1.0))
                bench_fail("seidel2d: value outside the initial range");
            h = bench_hash_f64(h, g[i][j]);
        }
    free(g);
    return h;
}
