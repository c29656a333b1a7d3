/* mandelbrot - floating point: the Mandelbrot set on an n x n grid over
 * [-1.5, 0.5] x [-1, 1], up to 50 iterations per point, packed into a
 * bitmap (a bit set for each point that stays bounded). */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 3500, .quick = 800, .interp = 120 };

#define MAX_ITER 50

static int point_bounded(double cr, double ci)
{
    double zr = 0, zi = 0, tr = 0, ti = 0;
    for (int i = 0; i < MAX_ITER; i++) {
        zi = 2.0 * zr * zi + ci;
        zr = tr - ti + cr;
        tr = zr * zr;
        ti = zi * zi;
        if (tr + ti > 4.0)
            return 0;
    }
    return 1;
}

uint32_t bench_run(int n)
{
    uint32_t h = BENCH_HASH_INIT, inside = 0;
    for (int y = 0; y < n; y++) {
        double ci = 2.0 * y / n - 1.0;
        uint32_t bits = 0;
        for (int x = 0; x < n; x++) {
            int in = point_bounded(2.0 * x / n - 1.5, ci);
            bits = bits << 1 | (uint32_t)in;
            inside += (uint32_t)in;
            if ((x & 31) == 31 || x == n - 1) {
                h = bench_hash(h, bits);
                bits = 0;
            }
        }
    }
    return bench_hash(h, inside);
}
