/* covariance - loop nest: the covariance and correlation matrices of m
 * variables over n = m samples (data is an n x m C99 2-D array of
 * doubles): column means, centring, then the upper triangle of
 * cov = D^T D / (n - 1) accumulated sample by sample (k-i-j order, unit
 * stride inner loop, vectorizable natively), mirrored, and
 * corr[i][j] = cov[i][j] / sqrt(cov[i][i] cov[j][j]).
 *
 * Self-check: each diagonal element must equal, bit for bit, the variance
 * of its column computed by a separate loop (the same sums in the same
 * order), and every correlation must lie in [-1, 1] (Cauchy-Schwarz), up to
 * rounding.
 */
#include <math.h>
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1200, .quick = 440, .interp = 170 };

static void centre(int n, int m, double d[n][m], double *mean)
{
    for (int j = 0; j < m; j++)
        mean[j] = 0.0;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < m; j++)
            mean[j] += d[k][j];
    for (int j = 0; j < m; j++)
        mean[j] /= (double)n;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < m; j++)
            d[k][j] -= mean[j];
}

static void covariance(int n, int m, double d[n][m], double cov[m][m])
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            cov[i][j] = 0.0;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < m; i++) {
            double dki = d[k][i];
            for (int j = i; j < m; j++)
                cov[i][j] += dki * d[k][j];
        }
    for (int i = 0; i < m; i++)
        for (int j = i; j < m; j++) {
            cov[i][j] /= (double)(n - 1);
            cov[j][i] = cov[i][j];
        }
}

static void correlation(int m, double cov[m][m], double corr[m][m])
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            corr[i][j] = cov[i][j] / sqrt(cov[i][i] * cov[j][j]);
}

static void check(int n, int m, double d[n][m], double cov[m][m], double corr[m][m])
{
    for (int j = 0; j < m; j++) {
        double s = 0.0;
        for (int k = 0; k < n; k++)
            s += d[k][j] * d[k][j];
        if (s / (double)(n - 1) != cov[j][j])
            bench_fail("covariance: diagonal differs from the column variance");
    }
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            if (!(corr[i][j] <= 1.0 + 1e-12 && corr[i][j] >= -1.0 - 1e-12))
                bench_fail("covariance: correlation outside [-1, 1]");
}

uint32_t bench_run(int m)
{
    int n = m;
    double (*d)[m] = bench_alloc(sizeof(double[n][m]));
    double (*cov)[m] = bench_alloc(sizeof(double[m][m]));
    double (*corr)[m] = bench_alloc(sizeof(double[m][m]));
    double *mean = bench_alloc(sizeof(double[m]));
    uint32_t seed = 23;
    for (int k = 0; k < n; k++)
        for (int j = 0; j < m; j++) /* correlated neighbours: a shared term */
            d[k][j] = (double)(bench_rand(&seed) & 0xffff) / 65536.0 +
                      (j > 0 ? 0.5 * d[k][j - 1] : 0.0);
    centre(n, m, d, mean);
    covariance(n, m, d, cov);
    correlation(m, cov, corr);
    check(n, m, d, cov, corr);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            h = bench_hash_f64(bench_hash_f64(h, cov[i][j]), corr[i][j]);
    free(d);
    free(cov);
    free(corr);
    free(mean);
    return h;
}
