/* cholesky - loop nest: Cholesky factorisation A = L L^T of a symmetric,
 * diagonally dominant (hence positive definite) n x n C99 2-D array of
 * doubles, row by row in place: each L[i][j] is a dot product of two rows
 * (a unit-stride reduction, which native code keeps scalar without
 * reassociation), then a square root on the diagonal.
 *
 * Self-check: for a known integer vector x0, L (L^T x0) must reproduce
 * b = A x0 (computed from the original A) to within rounding.
 */
#include <math.h>
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1600, .quick = 600, .interp = 280 };

static void cholesky(int n, double a[n][n])
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++) {
            double s = a[i][j];
            for (int k = 0; k < j; k++)
                s -= a[i][k] * a[j][k];
            a[i][j] = s / a[j][j];
        }
        double s = a[i][i];
        for (int k = 0; k < i; k++)
            s -= a[i][k] * a[i][k];
        if (!(s > 0.0))
            bench_fail("cholesky: matrix not positive definite");
        a[i][i] = sqrt(s);
    }
}

static void reconstruct_check(int n, double a[n][n], double l[n][n])
{
    double *x0 = bench_alloc(sizeof(double[n])), *y = bench_alloc(sizeof(double[n]));
    for (int i = 0; i < n; i++)
        x0[i] = (double)(i % 5 - 2);
    for (int i = 0; i < n; i++) { /* y = L^T x0 */
        double s = 0.0;
        for (int k = i; k < n; k++)
            s += l[k][i] * x0[k];
        y[i] = s;
    }
    for (int i = 0; i < n; i++) { /* L y against A x0 */
        double ly = 0.0, ax = 0.0;
        for (int k = 0; k <= i; k++)
            ly += l[i][k] * y[k];
        for (int k = 0; k < n; k++)
            ax += a[i][k] * x0[k];
        double d = ly - ax;
        if (!(d <= 1e-9 * (double)n && d >= -1e-9 * (double)n))
            bench_fail("cholesky: L L^T x differs from A x");
    }
    free(x0);
    free(y);
}

uint32_t bench_run(int n)
{
    double (*a)[n] = bench_alloc(sizeof(double[n][n]));
    double (*l)[n] = bench_alloc(sizeof(double[n][n]));
    uint32_t seed = 13;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            a[i][j] = a[j][i] = (double)(bench_rand(&seed) & 0xffff) / 65536.0 - 0.5;
        a[i][i] = (double)n;
    }
    memcpy(l, a, sizeof(double[n][n]));
    cholesky(n, l);
    reconstruct_check(n, a, l);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j <= i; j++)
            h = bench_hash_f64(h, l[i][j]);
    free(a);
    free(l);
    return h;
}
