/* nussinov - loop nest: RNA secondary-structure folding by Nussinov's
 * dynamic programme over an n x n C99 2-D table of int32 scores:
 * S[i][j] = max(S[i+1][j], S[i][j-1], S[i+1][j-1] + pair(i, j),
 *               max over i < k < j of S[i][k] + S[k+1][j]),
 * filled from the bottom row up.  The split loop reads a row and a column
 * of the table (a strided access, not vectorizable).
 *
 * Self-check: a traceback must produce a set of nested, complementary base
 * pairs, each base used at most once, as many as S[0][n-1] says.
 */
#include "bench.h"

/* bench-group: loop-nests */

const struct bench_sizes bench_sizes = { .full = 1500, .quick = 560, .interp = 260 };

static int pairs(uint8_t a, uint8_t b)
{
    return a + b == 3; /* A(0)-U(3), C(1)-G(2) */
}

static void fold(int n, const uint8_t *seq, int32_t s[n][n])
{
    for (int i = n - 1; i >= 0; i--)
        for (int j = i + 1; j < n; j++) {
            int32_t best = s[i + 1][j];
            best = s[i][j - 1] > best ? s[i][j - 1] : best;
            int32_t inner = s[i + 1][j - 1] + pairs(seq[i], seq[j]); /* 0 below the diagonal */
            best = inner > best ? inner : best;
            for (int k = i + 1; k < j; k++) {
                int32_t split = s[i][k] + s[k + 1][j];
                best = split > best ? split : best;
            }
            s[i][j] = best;
        }
}

/* Follows the choices back from (0, n-1) with an explicit stack; returns
 * the number of pairs found after checking each one. */
static int32_t traceback(int n, const uint8_t *seq, int32_t s[n][n], uint32_t *h)
{
    int32_t *stack = bench_alloc(sizeof(int32_t[2 * n + 2]));
    uint8_t *used = calloc((size_t)n, 1);
    if (used == NULL)
        bench_fail("out of memory");
    int top = 0, found = 0;
    stack[top++] = 0;
    stack[top++] = n - 1;
    while (top > 0) {
        int j = stack[--top], i = stack[--top];
        while (i < j) {
            int32_t v = s[i][j];
            if (v == s[i + 1][j]) {
                i++;
            } else if (v == s[i][j - 1]) {
                j--;
            } else if (pairs(seq[i], seq[j]) && v == s[i + 1][j - 1] + 1) {
                if (used[i] || used[j])
                    bench_fail("nussinov: a base paired twice");
                used[i] = used[j] = 1;
                *h = bench_hash(bench_hash(*h, (uint32_t)i), (uint32_t)j);
                found++;
                i++;
                j--;
            } else {
                int k = i + 1;
                while (k < j && s[i][k] + s[k + 1][j] != v)
                    k++;
                if (k == j)
                    bench_fail("nussinov: no choice explains a table entry");
                stack[top++] = k + 1; /* the right part, later */
                stack[top++] = j;
                j = k;
            }
        }
    }
    free(stack);
    free(used);
    return found;
}

uint32_t bench_run(int n)
{
    uint8_t *seq = bench_alloc((size_t)n);
    int32_t (*s)[n] = calloc(1, sizeof(int32_t[n][n]));
    if (s == NULL)
        bench_fail("out of memory");
    uint32_t seed = 41;
    for (int i = 0; i < n; i++)
        seq[i] = (uint8_t)(bench_rand(&seed) & 3);
    fold(n, seq, s);
    uint32_t h = BENCH_HASH_INIT;
    if (traceback(n, seq, s, &h) != s[0][n - 1])
        bench_fail("nussinov: traceback pair count differs from the score");
    for (int i = 0; i < n; i++)
        for (int j = i; j < n; j++)
            h = bench_hash(h, (uint32_t)s[i][j]);
    free(seq);
    free(s);
    return h;
}
