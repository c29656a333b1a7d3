// e2e-wasm-flags: -O2 -mbulk-memory -msign-ext -mnontrapping-fptoint
// e2e-wasm-has: memory.copy memory.fill i32.extend8_s i32.extend16_s i64.extend32_s i32.trunc_sat_f64_s
// memcpy/memmove/memset of runtime sizes (clang lowers them to
// memory.copy and memory.fill with -mbulk-memory), including overlapping
// moves both ways, zero-length copies at the very end of a buffer and
// fills of large blocks; plus sign-extension and float-to-int
// conversions that -msign-ext and -mnontrapping-fptoint turn into
// single instructions.  The buffer is hashed after every step.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE (3 << 16) /* spans several 64 KiB wasm pages */

static uint8_t *buf;

static uint32_t hash(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static uint32_t rng_state = 4242u;
static uint32_t rng(void) {
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xffffff;
}

__attribute__((noinline)) static void copy(size_t dst, size_t src, size_t n) {
    memmove(buf + dst, buf + src, n);
}

__attribute__((noinline)) static void copy_disjoint(uint8_t *restrict d, const uint8_t *restrict s, size_t n) {
    memcpy(d, s, n);
}

__attribute__((noinline)) static void fill(size_t at, int v, size_t n) {
    memset(buf + at, v, n);
}

__attribute__((noinline)) static int32_t sext8(uint32_t v) { return (int8_t)v; }
__attribute__((noinline)) static int32_t sext16(uint32_t v) { return (int16_t)v; }

static void widen(void) {
    /* Sign-extend computed (not loaded) values so clang cannot fold the
       extension into a load8_s/load16_s. */
    int64_t acc = 0;
    uint64_t x = 0x0123456789abcdefull;
    for (int i = 0; i < 4096; i++) {
        x = x * 6364136223846793005ull + buf[SIZE - 1 - i];
        uint32_t v = (uint32_t)(x >> 29);
        acc += sext8(v) * 3 + sext16(v >> 5) + (int64_t)(int32_t)x;
    }
    printf("widen %lld\n", (long long)acc);
}

static void to_int(void) {
    /* Values are in range, so the conversion is defined in C; wasm uses
       the saturating form for it. */
    long long sum = 0;
    for (int i = 0; i < 1000; i++) {
        double d = ((double)rng() - 8388608.0) * 0.37;
        sum += (int)d + (long long)(d * 1024.0) + (unsigned)(d < 0 ? -d : d);
    }
    printf("to_int %lld\n", sum);
}

int main(void) {
    buf = malloc(SIZE);
    if (!buf)
        return 1;
    for (size_t i = 0; i < SIZE; i++)
        buf[i] = (uint8_t)(i * 7 + (i >> 9));
    printf("init %08x\n", hash(buf, SIZE));
    for (int step = 0; step < 40; step++) {
        size_t n = rng() % (SIZE / 3), a = rng() % (SIZE - n + 1), b = rng() % (SIZE - n + 1);
        switch (step % 4) {
        case 0: copy(a, b, n); break;                            /* arbitrary overlap */
        case 1: copy(a, a + (n ? 1 : 0) * (a + n < SIZE), n - (n > 0)); break; /* overlap by one */
        case 2: fill(a, (int)(rng() & 0xff), n); break;
        case 3: copy(SIZE - n, b, n); break;                     /* up to the very end */
        }
        printf("step %2d n=%6zu %08x\n", step, n, hash(buf, SIZE));
    }
    copy(SIZE, 0, 0); /* zero length at the end is allowed */
    fill(SIZE, 0x55, 0);
    uint8_t *other = malloc(SIZE / 2);
    if (!other)
        return 1;
    copy_disjoint(other, buf + 1, SIZE / 2);
    fill(0, 0, SIZE / 2);
    copy_disjoint(buf + SIZE / 2, other, SIZE / 2);
    printf("final %08x %08x\n", hash(buf, SIZE), hash(other, SIZE / 2));
    widen();
    to_int();
    free(other);
    free(buf);
    return 0;
}
