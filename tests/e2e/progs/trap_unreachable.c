// e2e-trap
// __builtin_trap is wasm's `unreachable`: the program must trap (natively
// it dies on SIGILL), after its earlier output got out.
#include <stdio.h>

int main(void) {
    printf("before the trap\n");
    fflush(stdout);
    __builtin_trap();
    printf("not reached\n");
    return 0;
}
