/* crc32 - integer bit twiddling: CRC-32 (IEEE 802.3, reflected 0xEDB88320)
 * of a 256 KiB buffer three ways - bit by bit, one table lookup per byte,
 * and slicing-by-4 - which must agree; n rounds, each feeding its CRC back
 * into the buffer.  Checked first against the "123456789" check value. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 320, .quick = 40, .interp = 1 };

#define BUF_SIZE (1u << 18)
#define POLY 0xEDB88320u

static uint32_t tables[4][256];

static void tables_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
        tables[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xff];
}

static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (POLY & (0u - (c & 1)));
    }
    return ~c;
}

static uint32_t crc_table(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = (c >> 8) ^ tables[0][(c ^ p[i]) & 0xff];
    return ~c;
}

static uint32_t crc_slice4(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        c ^= (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
             (uint32_t)p[i + 3] << 24;
        c = tables[3][c & 0xff] ^ tables[2][(c >> 8) & 0xff] ^ tables[1][(c >> 16) & 0xff] ^
            tables[0][c >> 24];
    }
    for (; i < n; i++)
        c = (c >> 8) ^ tables[0][(c ^ p[i]) & 0xff];
    return ~c;
}

uint32_t bench_run(int n)
{
    tables_init();
    const uint8_t *check = (const uint8_t *)"123456789";
    if (crc_bitwise(check, 9) != 0xCBF43926u || crc_slice4(check, 9) != 0xCBF43926u)
        bench_fail("crc32: wrong check value for \"123456789\"");
    uint8_t *buf = bench_alloc(BUF_SIZE);
    uint32_t seed = 77, h = BENCH_HASH_INIT;
    for (uint32_t i = 0; i < BUF_SIZE; i++)
        buf[i] = (uint8_t)bench_rand(&seed);
    for (int r = 0; r < n; r++) {
        size_t len = BUF_SIZE - (size_t)r % 13;
        uint32_t a = crc_bitwise(buf, len), b = crc_table(buf, len), c = crc_slice4(buf, len);
        if (a != b || b != c)
            bench_fail("crc32: the three implementations disagree");
        memcpy(buf + ((size_t)r * 4) % (BUF_SIZE - 4), &a, sizeof a);
        h = bench_hash(h, a);
    }
    free(buf);
    return h;
}
