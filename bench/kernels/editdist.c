/* editdist - dynamic programming: Levenshtein distance (two-row table)
 * between 2 pairs of n-character strings over a 4-letter alphabet, plus the
 * longest common subsequence of the same pairs. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 12000, .quick = 3000, .interp = 400 };

static void dna_generate(char *s, int n, uint32_t seed)
{
    for (int i = 0; i < n; i++)
        s[i] = "ACGT"[bench_rand(&seed) & 3];
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t m = a < b ? a : b;
    return m < c ? m : c;
}

static uint32_t levenshtein(const char *a, const char *b, int n, uint32_t *prev, uint32_t *cur)
{
    for (int j = 0; j <= n; j++)
        prev[j] = (uint32_t)j;
    for (int i = 1; i <= n; i++) {
        cur[0] = (uint32_t)i;
        for (int j = 1; j <= n; j++) {
            uint32_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, sub);
        }
        uint32_t *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[n];
}

static uint32_t lcs(const char *a, const char *b, int n, uint32_t *prev, uint32_t *cur)
{
    memset(prev, 0, ((size_t)n + 1) * sizeof *prev);
    for (int i = 1; i <= n; i++) {
        cur[0] = 0;
        for (int j = 1; j <= n; j++) {
            if (a[i - 1] == b[j - 1])
                cur[j] = prev[j - 1] + 1;
            else
                cur[j] = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
        }
        uint32_t *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[n];
}

uint32_t bench_run(int n)
{
    char *a = bench_alloc((size_t)n), *b = bench_alloc((size_t)n);
    uint32_t *prev = bench_alloc(((size_t)n + 1) * sizeof *prev);
    uint32_t *cur = bench_alloc(((size_t)n + 1) * sizeof *cur);
    uint32_t h = BENCH_HASH_INIT;
    for (uint32_t pair = 0; pair < 2; pair++) {
        dna_generate(a, n, 11 + pair);
        dna_generate(b, n, 101 + pair);
        uint32_t d = levenshtein(a, b, n, prev, cur);
        uint32_t l = lcs(a, b, n, prev, cur);
        if (d > (uint32_t)n || l > (uint32_t)n || d < (uint32_t)n - l)
            bench_fail("editdist: distance and LCS are inconsistent");
        h = bench_hash(bench_hash(h, d), l);
    }
    free(a);
    free(b);
    free(prev);
    free(cur);
    return h;
}
