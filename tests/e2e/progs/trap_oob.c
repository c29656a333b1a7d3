// e2e-trap
// A store far outside linear memory traps (natively: SIGSEGV).
#include <stdint.h>
#include <stdio.h>

int main(void) {
    printf("about to write out of bounds\n");
    fflush(stdout);
    volatile uintptr_t addr = 0xfffff000u;
    *(volatile int *)addr = 1;
    printf("not reached\n");
    return 0;
}
