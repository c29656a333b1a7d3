// Dense double matrix multiplication and a checksum of the result.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    enum { N = 120 };
    double *a = malloc(N * N * sizeof *a), *b = malloc(N * N * sizeof *b),
           *c = calloc(N * N, sizeof *c);
    for (int i = 0; i < N * N; i++) {
        a[i] = (double)(i % 17) / 16.0 - 0.5;
        b[i] = (double)((i * 7) % 23) / 22.0;
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            double aik = a[i * N + k];
            for (int j = 0; j < N; j++)
                c[i * N + j] += aik * b[k * N + j];
        }
    double trace = 0, sum = 0;
    for (int i = 0; i < N; i++)
        trace += c[i * N + i];
    for (int i = 0; i < N * N; i++)
        sum += c[i];
    printf("trace %.6f sum %.6f c[7][9] %.6f\n", trace, sum, c[7 * N + 9]);
    free(a);
    free(b);
    free(c);
    return 0;
}
