/* lz77 - compression: an LZ77 compressor with hash chains (3-byte hashes,
 * 64 KiB window) and its decompressor, round trip over n KiB of generated
 * text-like data.  The output must equal the input. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 18432, .quick = 2048, .interp = 48 };

#define WINDOW 65536
#define HASH_BITS 15
#define MAX_CHAIN 24
#define MIN_MATCH 4
#define MAX_MATCH 258

static const char *const WORDS[] = {
    "the ", "compiler ", "lowers ", "each ", "function ", "into ", "blocks ", "of ",
    "values ", "and ", "memory ", "is ", "checked ", "before ", "every ", "access ",
    "while ", "a ", "table ", "holds ", "references ", "to ", "code ", "\n",
};

static void text_generate(uint8_t *out, size_t n)
{
    uint32_t seed = 2024;
    size_t i = 0;
    while (i < n) {
        uint32_t r = bench_rand(&seed);
        const char *w = WORDS[r % (sizeof WORDS / sizeof WORDS[0])];
        if ((r >> 8) % 16 == 0) {
            out[i++] = (uint8_t)('0' + (r >> 12) % 10); /* some noise */
            continue;
        }
        for (size_t k = 0; w[k] && i < n; k++)
            out[i++] = (uint8_t)w[k];
    }
}

static uint32_t hash3(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Token format: a control byte c; c < 128 means c+1 literal bytes follow,
 * otherwise a match of length (c - 128 + MIN_MATCH) at a 16-bit distance. */
struct lz_state {
    int32_t head[1 << HASH_BITS];
    int32_t *prev; /* one link per input position */
};

static size_t match_find(const struct lz_state *s, const uint8_t *in, size_t pos, size_t n,
                         size_t *dist)
{
    size_t best = 0;
    int32_t cand = s->head[hash3(in + pos)];
    size_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
    for (int chain = 0; chain < MAX_CHAIN && cand >= 0 && pos - (size_t)cand < WINDOW; chain++) {
        size_t len = 0;
        while (len < limit && in[(size_t)cand + len] == in[pos + len])
            len++;
        if (len > best) {
            best = len;
            *dist = pos - (size_t)cand;
        }
        cand = s->prev[cand];
    }
    return best;
}

static void lz_insert(struct lz_state *s, const uint8_t *in, size_t pos)
{
    uint32_t h = hash3(in + pos);
    s->prev[pos] = s->head[h];
    s->head[h] = (int32_t)pos;
}

static size_t literals_flush(uint8_t *out, size_t o, const uint8_t *in, size_t start, size_t end)
{
    while (start < end) {
        size_t run = end - start > 128 ? 128 : end - start;
        out[o++] = (uint8_t)(run - 1);
        memcpy(out + o, in + start, run);
        o += run;
        start += run;
    }
    return o;
}

static size_t lz_compress(struct lz_state *s, const uint8_t *in, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < (1u << HASH_BITS); i++)
        s->head[i] = -1;
    size_t o = 0, lit = 0, pos = 0;
    while (pos + MIN_MATCH <= n) {
        size_t dist = 0, len = match_find(s, in, pos, n, &dist);
        if (len >= MIN_MATCH) {
            if (len > 127 + MIN_MATCH)
                len = 127 + MIN_MATCH;
            o = literals_flush(out, o, in, lit, pos);
            out[o++] = (uint8_t)(128 + len - MIN_MATCH);
            out[o++] = (uint8_t)dist;
            out[o++] = (uint8_t)(dist >> 8);
            for (size_t k = 0; k < len && pos + k + 3 <= n; k++)
                lz_insert(s, in, pos + k);
            pos += len;
            lit = pos;
        } else {
            lz_insert(s, in, pos);
            pos++;
        }
    }
    return literals_flush(out, o, in, lit, n);
}

static size_t lz_decompress(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t c = in[i++];
        if (c < 128) {
            memcpy(out + o, in + i, (size_t)c + 1);
            i += (size_t)c + 1;
            o += (size_t)c + 1;
        } else {
            size_t len = (size_t)c - 128 + MIN_MATCH;
            size_t dist = (size_t)in[i] | (size_t)in[i + 1] << 8;
            i += 2;
            for (size_t k = 0; k < len; k++, o++) /* may overlap: byte by byte */
                out[o] = out[o - dist];
        }
    }
    return o;
}

uint32_t bench_run(int n)
{
    size_t size = (size_t)n * 1024;
    uint8_t *in = bench_alloc(size), *packed = bench_alloc(size + size / 64 + 16);
    uint8_t *back = bench_alloc(size);
    struct lz_state *s = bench_alloc(sizeof *s);
    s->prev = bench_alloc(size * sizeof(int32_t));
    text_generate(in, size);
    size_t packed_len = lz_compress(s, in, size, packed);
    size_t back_len = lz_decompress(packed, packed_len, back);
    if (back_len != size || memcmp(in, back, size) != 0)
        bench_fail("lz77: round trip changed the data");
    uint32_t h = bench_hash(BENCH_HASH_INIT, (uint32_t)packed_len);
    for (size_t i = 0; i < packed_len; i += 97)
        h = bench_hash(h, packed[i]);
    free(s->prev);
    free(s);
    free(in);
    free(packed);
    free(back);
    return h;
}
