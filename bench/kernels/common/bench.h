/* bench.h - the contract between a benchmark kernel and its drivers.
 *
 * A kernel is one C file that defines bench_run() and its three sizes.
 * It is linked with exactly one driver:
 *   common/main.c          hosted (native, wasm32-wasi): prints the checksum
 *   common/freestanding.c  no imports at all, for wasm-interp: exports run()
 *
 * Every kernel must be deterministic and give the same checksum on every
 * engine, so kernels use only fixed-width integers, never hash pointers,
 * never depend on libc's sort or allocation order, and fold floating-point
 * results in by their bit patterns (wasm and x86-64 SSE agree bit for bit
 * on + - * / and sqrt; no other libm function is used).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The problem size for a full run, a --quick smoke run and the interpreter
 * variant (wasm-interp is ~100x slower than native). */
struct bench_sizes {
    int full;
    int quick;
    int interp;
};

extern const struct bench_sizes bench_sizes;

/* The kernel: does all the work for size n and returns its checksum. */
uint32_t bench_run(int n);

/* Called by a kernel whose own self-check failed; never returns. */
void bench_fail(const char *why) __attribute__((noreturn));

/* FNV-1a over 32-bit words: cheap, order sensitive, and the same on every
 * engine. */
#define BENCH_HASH_INIT 2166136261u

static inline uint32_t bench_hash(uint32_t h, uint32_t x)
{
    return (h ^ x) * 16777619u;
}

static inline uint32_t bench_hash_f32(uint32_t h, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bench_hash(h, bits);
}

static inline uint32_t bench_hash_f64(uint32_t h, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    h = bench_hash(h, (uint32_t)bits);
    return bench_hash(h, (uint32_t)(bits >> 32));
}

/* xorshift32: the kernels' only source of input data. */
static inline uint32_t bench_rand(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* malloc that fails the run instead of returning NULL. */
static inline void *bench_alloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL)
        bench_fail("out of memory");
    return p;
}

#endif
