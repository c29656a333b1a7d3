/* fdtd2d - loop nest: 2-D finite-difference time-domain (Yee) update of an
 * electromagnetic field on an n x n grid: the electric components ex, ey
 * from the curl of hz, then hz from the curl of (ex, ey), with a source
 * row driving ey[0][*].  Three C99 2-D arrays, four loop nests per step.
 *
 * Self-check: the discrete Gauss law.  The E updates change ey by a
 * difference of hz along i and ex by one along j, and differences commute,
 * so q[i][j] = (ey[i][j+1] - ey[i][j]) - (ex[i][j+1] - ex[i-1][j+1]) is
 * constant in time away from the source row, in exact arithmetic.  In
 * doubles it may only drift by rounding.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1000, .quick = 260, .interp = 64 };

#define STEPS 300

static void field_init(int n, double f[n][n], uint32_t seed)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            f[i][j] = (double)(bench_rand(&seed) & 0xffff) / 65536.0 - 0.5;
}

/* A pulse from + - * / only: 1 / (1 + ((t - 30) / 8)^2). */
static double source(int t)
{
    double x = (double)(t - 30) / 8.0;
    return 1.0 / (1.0 + x * x);
}

static void step(int n, double ex[n][n], double ey[n][n], double hz[n][n], double src)
{
    for (int j = 0; j < n; j++)
        ey[0][j] = src;
    for (int i = 1; i < n; i++)
        for (int j = 0; j < n; j++)
            ey[i][j] = ey[i][j] - 0.5 * (hz[i][j] - hz[i - 1][j]);
    for (int i = 0; i < n; i++)
        for (int j = 1; j < n; j++)
            ex[i][j] = ex[i][j] - 0.5 * (hz[i][j] - hz[i][j - 1]);
    for (int i = 0; i < n - 1; i++)
        for (int j = 0; j < n - 1; j++)
            hz[i][j] = hz[i][j] - 0.6 * (ex[i][j + 1] - ex[i][j] + ey[i + 1][j] - ey[i][j]);
}

static void gauss(int n, double ex[n][n], double ey[n][n], double q[n][n])
{
    for (int i = 1; i < n; i++)
        for (int j = 0; j < n - 1; j++)
            q[i][j] = (ey[i][j + 1] - ey[i][j]) - (ex[i][j + 1] - ex[i - 1][j + 1]);
}

static void gauss_check(int n, double ex[n][n], double ey[n][n], double q0[n][n], double q1[n][n])
{
    gauss(n, ex, ey, q1);
    double drift = 0.0, size = 0.0;
    for (int i = 1; i < n; i++)
        for (int j = 0; j < n - 1; j++) {
            double d = q1[i][j] - q0[i][j];
            d = d < 0.0 ? -d : d;
            drift = d > drift ? d : drift;
            double e = ex[i][j] < 0.0 ? -ex[i][j] : ex[i][j];
            size = e > size ? e : size;
        }
    if (!(drift <= 1e-9 * (1.0 + size)))
        bench_fail("fdtd2d: the discrete Gauss law drifted");
}

uint32_t bench_run(int n)
{
    size_t bytes = sizeof(double[n][n]);
    double (*ex)[n] = bench_alloc(bytes), (*ey)[n] = bench_alloc(bytes);
    double (*hz)[n] = bench_alloc(bytes);
    double (*q0)[n] = bench_alloc(bytes), (*q1)[n] = bench_alloc(bytes);
    field_init(n, ex, 11);
    field_init(n, ey, 22);
    field_init(n, hz, 33);
    gauss(n, ex, ey, q0);
    for (int t = 0; t < STEPS; t++)
        step(n, ex, ey, hz, source(t));
    gauss_check(n, ex, ey, q0, q1);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            h = bench_hash_f64(bench_hash_f64(bench_hash_f64(h, ex[i][j]), ey[i][j]), hz[i][j]);
    free(ex);
    free(ey);
    free(hz);
    free(q0);
    free(q1);
    return h;
}
