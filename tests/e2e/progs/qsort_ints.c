// qsort and bsearch on 300000 integers and on strings.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
    enum { N = 300000, S = 5000 };
    int *v = malloc(N * sizeof *v);
    uint32_t x = 99;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v[i] = (int)(x % 2000001) - 1000000;
    }
    qsort(v, N, sizeof *v, cmp_int);
    int sorted = 1;
    long long sum = 0;
    for (int i = 0; i < N; i++) {
        sorted &= i == 0 || v[i - 1] <= v[i];
        sum += (long long)v[i] * (i % 7 + 1);
    }
    printf("sorted %d min %d max %d median %d weighted %lld\n", sorted, v[0], v[N - 1], v[N / 2],
           sum);
    int key = v[12345];
    int *found = bsearch(&key, v, N, sizeof *v, cmp_int);
    printf("bsearch found %d\n", found && *found == key);

    char **s = malloc(S * sizeof *s);
    for (int i = 0; i < S; i++) {
        char buf[32];
        x = x * 1103515245u + 12345u;
        snprintf(buf, sizeof buf, "k%u-%d", x % 100000, i % 13);
        s[i] = strdup(buf);
    }
    qsort(s, S, sizeof *s, cmp_str);
    printf("first %s last %s middle %s\n", s[0], s[S - 1], s[S / 2]);
    for (int i = 0; i < S; i++)
        free(s[i]);
    free(s);
    free(v);
    return 0;
}
