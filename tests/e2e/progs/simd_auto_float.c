// e2e-wasm-flags: -O3 -msimd128
// e2e-wasm-has: f32x4.mul f32x4.add f32x4.div f32x4.sqrt f64x2.mul f64x2.add f32x4.convert_i32x4_s i32x4.trunc_sat_f32x4_s f32x4.abs
// Float array kernels clang auto-vectorises at -O3 -msimd128: saxpy,
// element-wise division and sqrt, int<->float conversion, abs, f64
// axpy.  Every result is printed exactly with %a (reductions are done
// in a fixed scalar order so both builds round identically).
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define N 515

static float x[N], y[N], z[N];
static double dx[N], dy[N];
static int32_t iv[N];

static uint32_t rng_state = 777u;
static uint32_t rng(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

__attribute__((noinline)) static void saxpy(float *restrict d, const float *restrict s, float k, int n) {
    for (int i = 0; i < n; i++)
        d[i] = k * s[i] + d[i];
}

__attribute__((noinline)) static void div_sqrt(float *restrict d, const float *restrict s,
                                               const float *restrict t, int n) {
    for (int i = 0; i < n; i++)
        d[i] = sqrtf(fabsf(s[i])) / (t[i] - 1000.0f) + fabsf(t[i]);
}

__attribute__((noinline)) static void to_float(float *restrict d, const int32_t *restrict s, int n) {
    for (int i = 0; i < n; i++)
        d[i] = (float)s[i] * 0.5f;
}

__attribute__((noinline)) static void to_int(int32_t *restrict d, const float *restrict s, int n) {
    for (int i = 0; i < n; i++)
        d[i] = (int32_t)(s[i] * 3.0f); /* values stay in range: defined in C */
}

__attribute__((noinline)) static void daxpy(double *restrict d, const double *restrict s, double k, int n) {
    for (int i = 0; i < n; i++)
        d[i] = k * s[i] + d[i];
}

static float fsum(const float *v, int n) {
    volatile float s = 0; /* keep the order scalar and fixed */
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

static double dsum(const double *v, int n) {
    volatile double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}

static uint64_t isum(const int32_t *v, int n) {
    uint64_t s = 0;
    for (int i = 0; i < n; i++)
        s = s * 31 + (uint32_t)v[i];
    return s;
}

int main(void) {
    for (int i = 0; i < N; i++) {
        x[i] = (float)(int32_t)(rng() % 200001 - 100000) / 1024.0f;
        y[i] = (float)(rng() % 4096) / 3.0f;
        iv[i] = (int32_t)(rng() % 2000001) - 1000000;
        dx[i] = (double)(int32_t)rng() / 7.0;
        dy[i] = (double)(rng() % 1000) * 0.1;
    }
    for (int n = 3; n <= N; n = n * 2 + 1) {
        saxpy(y, x, 1.25f, n);
        printf("n=%3d saxpy %a", n, fsum(y, n));
        div_sqrt(z, x, y, n);
        printf(" div_sqrt %a z[n-1]=%a", fsum(z, n), z[n - 1]);
        to_float(z, iv, n);
        printf(" i2f %a", fsum(z, n));
        to_int(iv, x, n);
        printf(" f2i %016llx", (unsigned long long)isum(iv, n));
        daxpy(dy, dx, -0.375, n);
        printf(" daxpy %a dy[0]=%a\n", dsum(dy, n), dy[0]);
    }
    return 0;
}
