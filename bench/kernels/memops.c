/* memops - memcpy/memset/memmove/memcmp-heavy code: n rounds of copies,
 * fills, overlapping moves and comparisons with small, medium and large
 * sizes at odd alignments inside a 1 MiB arena, as buffer-managing code
 * does.  (On wasm these are libc's C loops unless built with bulk memory.) */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 19200, .quick = 2400, .interp = 1 };

#define ARENA (1u << 20)
#define OPS_PER_ROUND 512

static size_t op_size(uint32_t r)
{
    switch (r & 7) {
    case 0: return 16384 + (r >> 8) % 49152; /* large */
    case 1:
    case 2: return 256 + (r >> 8) % 1792; /* medium */
    default: return 1 + (r >> 8) % 64; /* small */
    }
}

static uint32_t sign(int x)
{
    return (uint32_t)((x > 0) - (x < 0) + 1);
}

static uint32_t round_run(uint8_t *arena, uint32_t *seed)
{
    uint32_t h = 0;
    for (int op = 0; op < OPS_PER_ROUND; op++) {
        uint32_t r = bench_rand(seed);
        size_t len = op_size(r);
        size_t src = bench_rand(seed) % (ARENA - len), dst = bench_rand(seed) % (ARENA - len);
        switch ((r >> 3) & 3) {
        case 0: /* copy between the two halves never overlaps */
            src %= ARENA / 2 - len;
            dst = ARENA / 2 + dst % (ARENA / 2 - len);
            memcpy(arena + dst, arena + src, len);
            break;
        case 1:
            memset(arena + dst, (int)(r >> 24), len);
            break;
        case 2:
            memmove(arena + dst, arena + src, len);
            break;
        default: /* only the sign of memcmp is specified */
            h = h * 3 + sign(memcmp(arena + dst, arena + src, len));
            break;
        }
    }
    return h;
}

uint32_t bench_run(int n)
{
    uint8_t *arena = bench_alloc(ARENA);
    uint32_t seed = 65521;
    for (uint32_t i = 0; i < ARENA; i += 4) {
        uint32_t r = bench_rand(&seed);
        memcpy(arena + i, &r, 4);
    }
    uint32_t h = BENCH_HASH_INIT;
    for (int round = 0; round < n; round++)
        h = bench_hash(h, round_run(arena, &seed));
    for (uint32_t i = 0; i < ARENA; i += 4093)
        h = bench_hash(h, arena[i]);
    free(arena);
    return h;
}
