/* popcount - integer bit twiddling: Hamming distances between all pairs of
 * n random 256-bit vectors (popcount of XOR), a histogram of the distances,
 * plus per-vector clz/ctz/bit-reversal folding, counted two ways (builtin
 * and a portable SWAR popcount) that must agree. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 24000, .quick = 4000, .interp = 700 };

#define WORDS 4

static uint32_t popcount_swar(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

static uint64_t bit_reverse(uint64_t x)
{
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(x);
}

static uint32_t vector_fold(const uint64_t *v)
{
    uint32_t h = 0;
    for (int w = 0; w < WORDS; w++) {
        uint64_t x = v[w] | 1;
        h += (uint32_t)__builtin_clzll(x) * 3 + (uint32_t)__builtin_ctzll(x);
        h ^= (uint32_t)(bit_reverse(v[w]) >> 17);
        if (popcount_swar(v[w]) != (uint32_t)__builtin_popcountll(v[w]))
            bench_fail("popcount: SWAR and builtin popcount disagree");
    }
    return h;
}

uint32_t bench_run(int n)
{
    uint64_t *vecs = bench_alloc((size_t)n * WORDS * sizeof(uint64_t));
    uint32_t seed = 1234, histogram[WORDS * 64 + 1] = { 0 };
    for (int i = 0; i < n * WORDS; i++)
        vecs[i] = (uint64_t)bench_rand(&seed) << 32 | bench_rand(&seed);
    uint32_t h = BENCH_HASH_INIT;
    for (int i = 0; i < n; i++) {
        const uint64_t *a = vecs + (size_t)i * WORDS;
        h = bench_hash(h, vector_fold(a));
        for (int j = i + 1; j < n; j++) {
            const uint64_t *b = vecs + (size_t)j * WORDS;
            uint32_t d = 0;
            for (int w = 0; w < WORDS; w++)
                d += (uint32_t)__builtin_popcountll(a[w] ^ b[w]);
            histogram[d]++;
        }
    }
    for (int d = 0; d <= WORDS * 64; d++)
        h = bench_hash(h, histogram[d]);
    free(vecs);
    return h;
}
