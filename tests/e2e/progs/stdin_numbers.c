// e2e-stdin: input/numbers.txt
// scanf-driven parsing: sum, min, max and mean of the numbers on stdin.
#include <stdio.h>

int main(void) {
    double x, sum = 0, min = 1e300, max = -1e300;
    int n = 0;
    while (scanf("%lf", &x) == 1) {
        sum += x;
        if (x < min)
            min = x;
        if (x > max)
            max = x;
        n++;
    }
    printf("n=%d sum=%.4f min=%.4f max=%.4f mean=%.6f\n", n, sum, min, max, n ? sum / n : 0.0);
    return 0;
}
