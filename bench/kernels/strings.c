/* strings - string processing over n KiB of generated text: split into
 * words, lower-case them, count them in a string-keyed hash table, search
 * for a few patterns with a naive substring search, and reverse each line
 * in place twice (which must restore it). */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 36864, .quick = 4096, .interp = 64 };

#define TABLE_BITS 12

static const char *const WORDS[] = {
    "Alpha", "beta", "GAMMA", "delta", "epsilon", "zeta", "Eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "Sigma", "tau", "upsilon",
    "phi", "chi", "psi", "omega", "kiln", "wasm", "module", "function", "memory", "table",
};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static void text_generate(char *out, size_t n)
{
    uint32_t seed = 271828;
    size_t i = 0;
    while (i + 1 < n) {
        uint32_t r = bench_rand(&seed);
        const char *w = WORDS[r % NWORDS];
        size_t len = strlen(w);
        if (i + len + 2 >= n)
            break;
        memcpy(out + i, w, len);
        i += len;
        out[i++] = (r >> 8) % 11 == 0 ? '\n' : (r >> 8) % 7 == 0 ? ',' : ' ';
    }
    out[i] = '\0';
}

struct word_count {
    char word[16];
    uint32_t count;
};

static uint32_t str_hash(const char *s)
{
    uint32_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static void word_count(struct word_count *table, const char *word)
{
    uint32_t i = str_hash(word) & ((1u << TABLE_BITS) - 1);
    while (table[i].count != 0 && strcmp(table[i].word, word) != 0)
        i = (i + 1) & ((1u << TABLE_BITS) - 1);
    if (table[i].count == 0)
        memcpy(table[i].word, word, strlen(word) + 1);
    table[i].count++;
}

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static uint32_t words_count(const char *text, struct word_count *table)
{
    uint32_t words = 0;
    char word[16];
    size_t len = 0;
    for (const char *p = text;; p++) {
        if (is_letter(*p) && len < sizeof word - 1) {
            word[len++] = (char)(*p | 0x20); /* ASCII lower case */
        } else if (len > 0) {
            word[len] = '\0';
            word_count(table, word);
            words++;
            len = 0;
        }
        if (*p == '\0')
            return words;
    }
}

static uint32_t substring_count(const char *text, const char *pat)
{
    size_t m = strlen(pat);
    uint32_t count = 0;
    for (const char *p = text; *p; p++) {
        size_t k = 0;
        while (k < m && p[k] == pat[k])
            k++;
        count += k == m;
    }
    return count;
}

static void reverse(char *s, size_t n)
{
    for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
        char t = s[i];
        s[i] = s[j - 1];
        s[j - 1] = t;
    }
}

static void lines_reverse(char *text)
{
    char *line = text;
    for (char *p = text;; p++) {
        if (*p == '\n' || *p == '\0') {
            reverse(line, (size_t)(p - line));
            line = p + 1;
        }
        if (*p == '\0')
            return;
    }
}

uint32_t bench_run(int n)
{
    size_t size = (size_t)n * 1024;
    char *text = bench_alloc(size), *copy = bench_alloc(size);
    struct word_count *table = calloc((size_t)1 << TABLE_BITS, sizeof *table);
    if (table == NULL)
        bench_fail("out of memory");
    text_generate(text, size);
    memcpy(copy, text, size);
    uint32_t h = bench_hash(BENCH_HASH_INIT, words_count(text, table));
    for (size_t i = 0; i < NWORDS; i++) {
        char lower[16];
        size_t len = strlen(WORDS[i]);
        for (size_t k = 0; k <= len; k++)
            lower[k] = WORDS[i][k] ? (char)(WORDS[i][k] | 0x20) : '\0';
        word_count(table, lower); /* adds one to a word that is surely there */
    }
    for (uint32_t i = 0; i < (1u << TABLE_BITS); i++)
        h = bench_hash(h, table[i].count);
    static const char *const PATTERNS[] = { "ta, ", "omega\nk", "mu mu", "ion " };
    for (int i = 0; i < 4; i++)
        h = bench_hash(h, substring_count(text, PATTERNS[i]));
    lines_reverse(text);
    h = bench_hash(h, substring_count(text, "apla"));
    lines_reverse(text);
    if (memcmp(text, copy, size) != 0)
        bench_fail("strings: reversing every line twice changed the text");
    free(text);
    free(copy);
    free(table);
    return h;
}
