/* matmul - dense linear algebra: C = A * B in single precision, n x n.
 *
 * Deliberately the naive triple loop in i-k-j order: the inner loop walks a
 * row of B and a row of C with unit stride, which clang auto-vectorizes
 * natively without reassociating any sum (each C element still adds its
 * products in k order), so every engine computes bit-identical results and
 * the wasm builds (no SIMD) show what losing vectorization costs.
 */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 1792, .quick = 512, .interp = 80 };

static void matrix_fill(float *m, int n, uint32_t seed)
{
    for (int i = 0; i < n * n; i++)
        m[i] = (float)(bench_rand(&seed) & 0xffff) / 65536.0f - 0.5f;
}

static void matrix_multiply(int n, const float *a, const float *b, float *c)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            c[i * n + j] = 0.0f;
        for (int k = 0; k < n; k++) {
            float aik = a[i * n + k];
            for (int j = 0; j < n; j++)
                c[i * n + j] += aik * b[k * n + j];
        }
    }
}

uint32_t bench_run(int n)
{
    size_t bytes = (size_t)n * (size_t)n * sizeof(float);
    float *a = bench_alloc(bytes), *b = bench_alloc(bytes), *c = bench_alloc(bytes);
    matrix_fill(a, n, 1);
    matrix_fill(b, n, 2);
    matrix_multiply(n, a, b, c);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n * n; i++)
        h = bench_hash_f32(h, c[i]);
    free(a);
    free(b);
    free(c);
    return h;
}
