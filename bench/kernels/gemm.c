/* gemm - loop nest: C = alpha*A*B + beta*C in double precision, n x n C99
 * 2-D arrays, in k-i-j order: the outer loop picks a column of A and a row
 * of B, and every element of C receives one product per outer step (a
 * sequence of rank-1 updates).  The inner loop has unit stride on C and B,
 * so native code vectorizes it; `matmul` is the i-k-j order in single
 * precision.
 *
 * Self-check: every entry of A, B and C is a multiple of 1/16 below 1/2 in
 * magnitude, and alpha = 3/2, beta = -1/2, so every product and every sum is
 * exact in double.  Freivalds' test then holds exactly in 64-bit integers:
 * 512 C x = 3 A' (B' x) - 16 C0' x, with A' = 16 A etc. and a random integer
 * vector x.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1200, .quick = 440, .interp = 170 };

static void matrix_fill(int n, double m[n][n], int8_t q[n][n], uint32_t seed)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            q[i][j] = (int8_t)((int)(bench_rand(&seed) % 15u) - 7);
            m[i][j] = (double)q[i][j] / 16.0;
        }
}

static void gemm(int n, double alpha, double beta, double c[n][n], double a[n][n], double b[n][n])
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            c[i][j] *= beta;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < n; i++) {
            double aik = alpha * a[i][k];
            for (int j = 0; j < n; j++)
                c[i][j] += aik * b[k][j];
        }
}

/* m' x for the integer matrix m' and vector x. */
static void int_apply(int n, int8_t m[n][n], const int64_t *x, int64_t *y)
{
    for (int i = 0; i < n; i++) {
        int64_t s = 0;
        for (int j = 0; j < n; j++)
            s += m[i][j] * x[j];
        y[i] = s;
    }
}

static void freivalds(int n, double c[n][n], int8_t qa[n][n], int8_t qb[n][n], int8_t qc[n][n])
{
    int64_t *x = bench_alloc(sizeof(int64_t[n])), *bx = bench_alloc(sizeof(int64_t[n]));
    int64_t *abx = bench_alloc(sizeof(int64_t[n])), *cx = bench_alloc(sizeof(int64_t[n]));
    uint32_t seed = 99;
    for (int j = 0; j < n; j++)
        x[j] = (int64_t)(bench_rand(&seed) % 9u) - 4;
    int_apply(n, qb, x, bx);
    int_apply(n, qa, bx, abx);
    int_apply(n, qc, x, cx);
    for (int i = 0; i < n; i++) {
        int64_t s = 0;
        for (int j = 0; j < n; j++)
            s += (int64_t)(c[i][j] * 512.0) * x[j];
        if (s != 3 * abx[i] - 16 * cx[i])
            bench_fail("gemm: Freivalds check failed");
    }
    free(x);
    free(bx);
    free(abx);
    free(cx);
}

uint32_t bench_run(int n)
{
    double (*a)[n] = bench_alloc(sizeof(double[n][n]));
    double (*b)[n] = bench_alloc(sizeof(double[n][n]));
    double (*c)[n] = bench_alloc(sizeof(double[n][n]));
    int8_t (*qa)[n] = bench_alloc(sizeof(int8_t[n][n]));
    int8_t (*qb)[n] = bench_alloc(sizeof(int8_t[n][n]));
    int8_t (*qc)[n] = bench_alloc(sizeof(int8_t[n][n]));
    matrix_fill(n, a, qa, 1);
    matrix_fill(n, b, qb, 2);
    matrix_fill(n, c, qc, 3);
    gemm(n, 1.5, -0.5, c, a, b);
    freivalds(n, c, qa, qb, qc);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            h = bench_hash_f64(h, c[i][j]);
    free(a);
    free(b);
    free(c);
    free(qa);
    free(qb);
    free(qc);
    return h;
}
