// Sorting records by several keys; stable tie-breaking by index.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct person {
    char name[16];
    int age;
    double score;
    int index;
} person;

static int by_age_score(const void *a, const void *b) {
    const person *x = a, *y = b;
    if (x->age != y->age)
        return x->age - y->age;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->index - y->index;
}

int main(void) {
    static const char *names[] = {"ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal"};
    person p[64];
    unsigned x = 4242;
    for (int i = 0; i < 64; i++) {
        x = x * 1664525u + 1013904223u;
        snprintf(p[i].name, sizeof p[i].name, "%s%d", names[x % 8], i);
        p[i].age = 20 + (int)((x >> 8) % 10);
        p[i].score = (double)((x >> 12) % 1000) / 10.0;
        p[i].index = i;
    }
    qsort(p, 64, sizeof p[0], by_age_score);
    for (int i = 0; i < 64; i++)
        printf("%-8s %d %5.1f\n", p[i].name, p[i].age, p[i].score);
    return 0;
}
