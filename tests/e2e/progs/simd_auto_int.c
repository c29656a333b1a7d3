// e2e-wasm-flags: -O3 -msimd128
// e2e-wasm-has: i32x4.add i32x4.mul i32x4.min_s i32x4.max_s i32x4.min_u i16x8.narrow_i32x4_u i8x16.narrow_i16x8_u v128.load16x4_s i8x16.shuffle v128.bitselect v128.store
// Integer array kernels that clang auto-vectorises at -O3 -msimd128:
// element-wise add/mul, saturating byte and halfword arithmetic, min/max
// reductions; checksums are printed so a lane-level mistake shows up.
#include <stdint.h>
#include <stdio.h>

#define N 1027 /* odd so the scalar epilogue runs too */

static int32_t a[N], b[N], c[N];
static uint8_t p[N], q[N], r[N];
static int16_t h[N], g[N], k[N];

static uint32_t rng_state = 12345u;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

__attribute__((noinline)) static void add_mul(int32_t *restrict d, const int32_t *restrict x,
                                              const int32_t *restrict y, int n) {
    for (int i = 0; i < n; i++)
        d[i] = x[i] * y[i] + (x[i] + 7);
}

__attribute__((noinline)) static void sat_add_u8(uint8_t *restrict d, const uint8_t *restrict x,
                                                 const uint8_t *restrict y, int n) {
    for (int i = 0; i < n; i++) {
        unsigned s = (unsigned)x[i] + y[i];
        d[i] = s > 255 ? 255 : (uint8_t)s;
    }
}

__attribute__((noinline)) static void sat_sub_s16(int16_t *restrict d, const int16_t *restrict x,
                                                  const int16_t *restrict y, int n) {
    for (int i = 0; i < n; i++) {
        int s = (int)x[i] - y[i];
        d[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
    }
}

__attribute__((noinline)) static void min_max(const int32_t *x, int n, int32_t *lo, int32_t *hi) {
    int32_t mn = INT32_MAX, mx = INT32_MIN;
    for (int i = 0; i < n; i++) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
    }
    *lo = mn;
    *hi = mx;
}

__attribute__((noinline)) static int64_t dot16(const int16_t *x, const int16_t *y, int n) {
    int32_t s = 0;
    for (int i = 0; i < n; i++)
        s += (int32_t)x[i] * y[i];
    return s;
}

__attribute__((noinline)) static uint32_t sum_u8(const uint8_t *x, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    return s;
}

static uint32_t hash32(const void *v, size_t n) {
    const uint8_t *s = v;
    uint32_t hsh = 2166136261u;
    for (size_t i = 0; i < n; i++)
        hsh = (hsh ^ s[i]) * 16777619u;
    return hsh;
}

int main(void) {
    for (int i = 0; i < N; i++) {
        a[i] = (int32_t)rng() - (1 << 23);
        b[i] = (int32_t)(rng() % 2001) - 1000;
        p[i] = (uint8_t)rng();
        q[i] = (uint8_t)(rng() >> 3);
        h[i] = (int16_t)rng();
        g[i] = (int16_t)(rng() >> 2);
    }
    for (int n = 1; n <= N; n = n * 3 + 1) {
        add_mul(c, a, b, n);
        sat_add_u8(r, p, q, n);
        sat_sub_s16(k, h, g, n);
        int32_t lo, hi;
        min_max(a, n, &lo, &hi);
        printf("n=%4d add_mul=%08x sat_u8=%08x sat_s16=%08x min=%d max=%d dot=%lld sum=%u\n", n,
               hash32(c, n * sizeof c[0]), hash32(r, n), hash32(k, n * sizeof k[0]), lo, hi,
               (long long)dot16(h, g, n), sum_u8(r, n));
    }
    return 0;
}
