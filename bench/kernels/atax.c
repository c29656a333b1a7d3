/* atax - loop nest: matrix-vector and matrix-transpose-vector products,
 * y = A^T (A x), on an n x n C99 2-D array of doubles, as the power
 * iteration for the largest eigenvalue of A^T A.  A x is a row-wise dot
 * product per element (a reduction); A^T t walks A by rows too, adding
 * t[i] * A[i][*] into y (unit stride, vectorizable natively).
 *
 * Self-check: x . (A^T A x) must equal |A x|^2 up to rounding, in every
 * iteration, and the Rayleigh quotient must not decrease.
 */
#include <math.h>
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1400, .quick = 320, .interp = 100 };

#define ITERATIONS 300

static void atax(int n, double a[n][n], const double *x, double *t, double *y)
{
    for (int j = 0; j < n; j++)
        y[j] = 0.0;
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int j = 0; j < n; j++)
            s += a[i][j] * x[j];
        t[i] = s;
        for (int j = 0; j < n; j++)
            y[j] += a[i][j] * s;
    }
}

static double dot(int n, const double *u, const double *v)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += u[i] * v[i];
    return s;
}

static double absd(double v)
{
    return v < 0.0 ? -v : v;
}

uint32_t bench_run(int n)
{
    double (*a)[n] = bench_alloc(sizeof(double[n][n]));
    double *x = bench_alloc(sizeof(double[n])), *t = bench_alloc(sizeof(double[n]));
    double *y = bench_alloc(sizeof(double[n]));
    uint32_t seed = 5;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            a[i][j] = (double)(bench_rand(&seed) & 0xffff) / 65536.0 - 0.25;
    for (int j = 0; j < n; j++)
        x[j] = 1.0 / (double)(j + 1);
    double xx = dot(n, x, x), last = 0.0;
    uint32_t h = BENCH_HASH_INIT;
    for (int it = 0; it < ITERATIONS; it++) {
        atax(n, a, x, t, y);
        double tt = dot(n, t, t), xy = dot(n, x, y);
        if (!(absd(xy - tt) <= 1e-10 * tt))
            bench_fail("atax: x.(A^T A x) != |A x|^2");
        double rayleigh = tt / xx;
        if (!(rayleigh >= last * (1.0 - 1e-12)))
            bench_fail("atax: power iteration lost ground");
        last = rayleigh;
        h = bench_hash_f64(h, rayleigh);
        double norm = sqrt(dot(n, y, y));
        for (int j = 0; j < n; j++)
            x[j] = y[j] / norm;
        xx = dot(n, x, x);
    }
    for (int j = 0; j < n; j++)
        h = bench_hash_f64(h, x[j]);
    free(a);
    free(x);
    free(t);
    free(y);
    return h;
}
