/* stencil - 2D Jacobi relaxation of the heat equation on an n x n grid
 * (5-point stencil, double precision, fixed boundary), 128 sweeps. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 2048, .quick = 512, .interp = 48 };

#define SWEEPS 128

static void grid_init(double *g, int n)
{
    uint32_t seed = 7;
    for (int i = 0; i < n * n; i++)
        g[i] = 0.0;
    /* Hot left edge, a few random heat sources inside. */
    for (int i = 0; i < n; i++)
        g[i * n] = 100.0;
    for (int s = 0; s < 16; s++) {
        int y = 1 + (int)(bench_rand(&seed) % (uint32_t)(n - 2));
        int x = 1 + (int)(bench_rand(&seed) % (uint32_t)(n - 2));
        g[y * n + x] = 500.0;
    }
}

static void grid_sweep(const double *src, double *dst, int n)
{
    for (int y = 1; y < n - 1; y++) {
        const double *up = src + (y - 1) * n, *row = src + y * n, *down = src + (y + 1) * n;
        double *out = dst + y * n;
        for (int x = 1; x < n - 1; x++)
            out[x] = 0.25 * (up[x] + down[x] + row[x - 1] + row[x + 1]);
    }
}

uint32_t bench_run(int n)
{
    size_t bytes = (size_t)n * (size_t)n * sizeof(double);
    double *a = bench_alloc(bytes), *b = bench_alloc(bytes);
    grid_init(a, n);
    memcpy(b, a, bytes); /* boundary cells are never written by a sweep */
    for (int s = 0; s < SWEEPS; s++) {
        grid_sweep(a, b, n);
        double *t = a;
        a = b;
        b = t;
    }
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n * n; i++)
        h = bench_hash_f64(h, a[i]);
    free(a);
    free(b);
    return h;
}
