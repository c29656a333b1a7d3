// The exit status reaches the host: exit() from a nested call.
#include <stdio.h>
#include <stdlib.h>

static void deep(int n) {
    if (n == 0) {
        printf("exiting with 42\n");
        fflush(stdout);
        exit(42);
    }
    deep(n - 1);
}

int main(void) {
    deep(10);
    printf("not reached\n");
    return 0;
}
