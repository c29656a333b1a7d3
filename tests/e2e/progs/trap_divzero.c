// e2e-trap
// e2e-backtrace: main
// Integer division by zero traps (natively: SIGFPE).
#include <stdio.h>

int main(int argc, char **argv) {
    volatile int zero = argc - 1; /* 0: no arguments are passed */
    printf("dividing by %d\n", zero);
    fflush(stdout);
    printf("%d\n", 100 / zero);
    return 0;
}
