// e2e-stdin: input/lorem.txt
// A chained string hash map counting the words of stdin, printed by
// descending count then name (qsort over the entries).
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *word;
    int count;
    struct entry *next;
} entry;

#define BUCKETS 64
static entry *table[BUCKETS];
static int distinct;

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void add(const char *w) {
    unsigned b = hash(w) % BUCKETS;
    for (entry *e = table[b]; e; e = e->next)
        if (strcmp(e->word, w) == 0) {
            e->count++;
            return;
        }
    entry *e = malloc(sizeof *e);
    e->word = strdup(w);
    e->count = 1;
    e->next = table[b];
    table[b] = e;
    distinct++;
}

static int by_count(const void *a, const void *b) {
    const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
    return x->count != y->count ? y->count - x->count : strcmp(x->word, y->word);
}

int main(void) {
    char w[64];
    int n = 0, c;
    while ((c = getchar()) != EOF || n) {
        if (c != EOF && isalpha(c) && n < 63) {
            w[n++] = (char)c;
            continue;
        }
        if (n) {
            w[n] = 0;
            add(w);
            n = 0;
        }
        if (c == EOF)
            break;
    }
    entry **all = malloc(sizeof *all * (size_t)distinct);
    int k = 0;
    for (int b = 0; b < BUCKETS; b++)
        for (entry *e = table[b]; e; e = e->next)
            all[k++] = e;
    qsort(all, (size_t)k, sizeof *all, by_count);
    for (int i = 0; i < k; i++)
        printf("%-14s %d\n", all[i]->word, all[i]->count);
    return 0;
}
