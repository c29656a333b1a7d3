/* mm2 - loop nest: two chained matrix products, D = alpha*A*B*C + beta*D,
 * as T = alpha*A*B then D = T*C + beta*D, in double precision on n x n
 * C99 2-D arrays, both in i-j-k order: the inner loop is a dot product
 * that walks a row of the left matrix and a column of the right one (a
 * stride of n doubles).  Without reassociation that reduction stays scalar
 * natively too; gemm and matmul are the unit-stride orders.
 *
 * Self-check: entries are multiples of 1/16 below 1/2 in magnitude and
 * alpha = 3/2, beta = -1/2, so every product and sum is exact in double
 * and so is D x = alpha*A(B(C x)) + beta*D0 x for an integer vector x
 * (Freivalds' test), which must hold with ==.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 700, .quick = 280, .interp = 110 };

#define ALPHA 1.5
#define BETA (-0.5)

static void matrix_fill(int n, double m[n][n], uint32_t seed)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            m[i][j] = (double)((int)(bench_rand(&seed) % 15u) - 7) / 16.0;
}

static void mm2(int n, double d[n][n], double t[n][n], double a[n][n], double b[n][n],
                double c[n][n])
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++)
                s += ALPHA * a[i][k] * b[k][j];
            t[i][j] = s;
        }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = BETA * d[i][j];
            for (int k = 0; k < n; k++)
                s += t[i][k] * c[k][j];
            d[i][j] = s;
        }
}

/* y = m v */
static void apply(int n, double m[n][n], const double *v, double *y)
{
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int j = 0; j < n; j++)
            s += m[i][j] * v[j];
        y[i] = s;
    }
}

static void freivalds(int n, double d[n][n], double d0[n][n], double a[n][n], double b[n][n],
                      double c[n][n])
{
    double *x = bench_alloc(sizeof(double[n])), *u = bench_alloc(sizeof(double[n]));
    double *v = bench_alloc(sizeof(double[n])), *w = bench_alloc(sizeof(double[n]));
    uint32_t seed = 8;
    for (int j = 0; j < n; j++)
        x[j] = (double)((int)(bench_rand(&seed) % 9u) - 4);
    apply(n, c, x, u);  /* u = C x */
    apply(n, b, u, v);  /* v = B C x */
    apply(n, a, v, u);  /* u = A B C x */
    apply(n, d0, x, v); /* v = D0 x */
    apply(n, d, x, w);  /* w = D x */
    for (int i = 0; i < n; i++)
        if (w[i] != ALPHA * u[i] + BETA * v[i])
            bench_fail("mm2: Freivalds check failed");
    free(x);
    free(u);
    free(v);
    free(w);
}

uint32_t bench_run(int n)
{
    size_t bytes = sizeof(double[n][n]);
    double (*a)[n] = bench_alloc(bytes), (*b)[n] = bench_alloc(bytes);
    double (*c)[n] = bench_alloc(bytes), (*d)[n] = bench_alloc(bytes);
    double (*d0)[n] = bench_alloc(bytes), (*t)[n] = bench_alloc(bytes);
    matrix_fill(n, a, 1);
    matrix_fill(n, b, 2);
    matrix_fill(n, c, 3);
    matrix_fill(n, d, 4);
    memcpy(d0, d, bytes);
    mm2(n, d, t, a, b, c);
    freivalds(n, d, d0, a, b, c);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            h = bench_hash_f64(h, d[i][j]);
    free(a);
    free(b);
    free(c);
    free(d);
    free(d0);
    free(t);
    return h;
}
