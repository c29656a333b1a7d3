// e2e-wasm-flags: -O3 -msimd128
// e2e-wasm-has: i8x16.add i8x16.sub i8x16.eq i8x16.lt_u i8x16.min_u i8x16.max_u i8x16.narrow_i16x8_u i16x8.shr_u v128.bitselect v128.and v128.or
// Byte-string kernels clang auto-vectorises at -O3 -msimd128: ASCII case
// folding, rounding average, absolute difference, byte min/max, byte
// equality counts, and a clamp.  Results are hashed and printed.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 4099

static uint8_t s[N], t[N], d[N];

static uint32_t rng_state = 99u;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

__attribute__((noinline)) static void to_upper(uint8_t *restrict o, const uint8_t *restrict i, int n) {
    for (int k = 0; k < n; k++)
        o[k] = (uint8_t)(i[k] - 'a') < 26 ? i[k] - 32 : i[k];
}

__attribute__((noinline)) static void average(uint8_t *restrict o, const uint8_t *restrict x,
                                              const uint8_t *restrict y, int n) {
    for (int k = 0; k < n; k++)
        o[k] = (uint8_t)(((unsigned)x[k] + y[k] + 1) >> 1);
}

__attribute__((noinline)) static void absdiff(uint8_t *restrict o, const uint8_t *restrict x,
                                              const uint8_t *restrict y, int n) {
    for (int k = 0; k < n; k++) {
        uint8_t hi = x[k] > y[k] ? x[k] : y[k], lo = x[k] < y[k] ? x[k] : y[k];
        o[k] = hi - lo;
    }
}

__attribute__((noinline)) static void clamp(uint8_t *restrict o, const uint8_t *restrict x, int n) {
    for (int k = 0; k < n; k++)
        o[k] = x[k] < 32 ? 32 : x[k] > 200 ? 200 : x[k];
}

__attribute__((noinline)) static int count_eq(const uint8_t *x, const uint8_t *y, int n) {
    int c = 0;
    for (int k = 0; k < n; k++)
        c += x[k] == y[k];
    return c;
}

__attribute__((noinline)) static void mask_blend(uint8_t *restrict o, const uint8_t *restrict x,
                                                 const uint8_t *restrict y, int n) {
    for (int k = 0; k < n; k++)
        o[k] = (x[k] & 0x0f) | (y[k] & 0xf0);
}

static uint32_t hash(const uint8_t *v, int n) {
    uint32_t h = 2166136261u;
    for (int k = 0; k < n; k++)
        h = (h ^ v[k]) * 16777619u;
    return h;
}

int main(void) {
    static const char text[] = "The quick brown fox jumps over the lazy dog; "
                               "PACK MY BOX with five dozen liquor jugs! 0123456789 ~{}";
    for (int k = 0; k < N; k++) {
        s[k] = k % 3 ? (uint8_t)text[k % (sizeof text - 1)] : (uint8_t)rng();
        t[k] = (uint8_t)(rng() >> 7);
        if (k % 5 == 0)
            t[k] = s[k];
    }
    for (int n = 1; n <= N; n = n * 4 + 3) {
        to_upper(d, s, n);
        printf("n=%4d upper=%08x", n, hash(d, n));
        average(d, s, t, n);
        printf(" avg=%08x", hash(d, n));
        absdiff(d, s, t, n);
        printf(" absdiff=%08x", hash(d, n));
        clamp(d, s, n);
        printf(" clamp=%08x", hash(d, n));
        mask_blend(d, s, t, n);
        printf(" blend=%08x eq=%d\n", hash(d, n), count_eq(s, t, n));
    }
    to_upper(d, (const uint8_t *)text, (int)strlen(text));
    printf("%.*s\n", (int)strlen(text), (const char *)d);
    return 0;
}
