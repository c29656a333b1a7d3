/* spectral - floating point: the spectral norm of the infinite matrix
 * A(i,j) = 1/((i+j)(i+j+1)/2 + i + 1) truncated to n x n, by 10 power
 * iterations of A^T A; the result converges to 1.2742241... */
#include <math.h>

#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 3800, .quick = 800, .interp = 60 };

static double a_elem(int i, int j)
{
    return 1.0 / ((double)((i + j) * (i + j + 1) / 2 + i + 1));
}

static void a_times(const double *v, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int j = 0; j < n; j++)
            sum += a_elem(i, j) * v[j];
        out[i] = sum;
    }
}

static void at_times(const double *v, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        double sum = 0;
        for (int j = 0; j < n; j++)
            sum += a_elem(j, i) * v[j];
        out[i] = sum;
    }
}

static void ata_times(const double *v, double *out, double *tmp, int n)
{
    a_times(v, tmp, n);
    at_times(tmp, out, n);
}

uint32_t bench_run(int n)
{
    double *u = bench_alloc((size_t)n * sizeof(double));
    double *v = bench_alloc((size_t)n * sizeof(double));
    double *tmp = bench_alloc((size_t)n * sizeof(double));
    for (int i = 0; i < n; i++)
        u[i] = 1.0;
    for (int i = 0; i < 10; i++) {
        ata_times(u, v, tmp, n);
        ata_times(v, u, tmp, n);
    }
    double vbv = 0, vv = 0;
    for (int i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    double norm = sqrt(vbv / vv);
    if (!(norm > 1.27 && norm < 1.28))
        bench_fail("spectral: norm did not converge to 1.274...");
    uint32_t h = bench_hash_f64(BENCH_HASH_INIT, norm);
    free(u);
    free(v);
    free(tmp);
    return h;
}
