// e2e-trap
// e2e-backtrace: depth depth depth
// Unbounded recursion ends in a trap (call stack exhausted), never in a
// crash of the host process (natively: SIGSEGV).
#include <stdio.h>

static int depth(volatile int *n) {
    volatile char pad[64];
    pad[0] = 1;
    ++*n;
    return depth(n) + pad[0];
}

int main(void) {
    volatile int n = 0;
    printf("recursing\n");
    fflush(stdout);
    return depth(&n);
}
