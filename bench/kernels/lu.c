/* lu - loop nest: LU decomposition without pivoting of a diagonally
 * dominant n x n matrix (C99 2-D array of doubles), right-looking: for each
 * pivot k, scale column k below the diagonal and subtract the rank-1 update
 * from the trailing submatrix (inner loop unit stride, vectorizable
 * natively).  Then forward and back substitution solve A x = b.
 *
 * Self-check: b is A x0 for a known integer vector x0, so the solve must
 * give x0 back to within 1e-9, and the residual b - A x, computed with the
 * original A, must be tiny.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1600, .quick = 600, .interp = 230 };

static void lu_factor(int n, double a[n][n])
{
    for (int k = 0; k < n; k++)
        for (int i = k + 1; i < n; i++) {
            double l = a[i][k] / a[k][k];
            a[i][k] = l;
            for (int j = k + 1; j < n; j++)
                a[i][j] -= l * a[k][j];
        }
}

/* L y = b (L unit lower triangular), then U x = y. */
static void lu_solve(int n, double lu[n][n], const double *b, double *x)
{
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int j = 0; j < i; j++)
            s -= lu[i][j] * x[j];
        x[i] = s;
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = x[i];
        for (int j = i + 1; j < n; j++)
            s -= lu[i][j] * x[j];
        x[i] = s / lu[i][i];
    }
}

static double absd(double v)
{
    return v < 0.0 ? -v : v;
}

static void solution_check(int n, double a[n][n], const double *b, const double *x,
                           const double *x0)
{
    for (int i = 0; i < n; i++) {
        double r = b[i];
        for (int j = 0; j < n; j++)
            r -= a[i][j] * x[j];
        if (!(absd(x[i] - x0[i]) <= 1e-9) || !(absd(r) <= 1e-9 * (double)n))
            bench_fail("lu: the solve does not reproduce the known solution");
    }
}

uint32_t bench_run(int n)
{
    double (*a)[n] = bench_alloc(sizeof(double[n][n]));
    double (*lu)[n] = bench_alloc(sizeof(double[n][n]));
    double *x0 = bench_alloc(sizeof(double[n])), *b = bench_alloc(sizeof(double[n]));
    double *x = bench_alloc(sizeof(double[n]));
    uint32_t seed = 17;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            a[i][j] = (double)(bench_rand(&seed) & 0xffff) / 65536.0 - 0.5;
        a[i][i] += (double)n;
        x0[i] = (double)(i % 7 - 3);
    }
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int j = 0; j < n; j++)
            s += a[i][j] * x0[j];
        b[i] = s;
    }
    memcpy(lu, a, sizeof(double[n][n]));
    lu_factor(n, lu);
    lu_solve(n, lu, b, x);
    solution_check(n, a, b, x, x0);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            h = bench_hash_f64(h, lu[i][j]);
    for (int i = 0; i < n; i++)
        h = bench_hash_f64(h, x[i]);
    free(a);
    free(lu);
    free(x0);
    free(b);
    free(x);
    return h;
}
