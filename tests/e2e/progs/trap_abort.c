// e2e-trap
// e2e-backtrace: abort
// abort() (also what a failed assert ends in) traps.
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

static int check(int x) {
    if (x > 2)
        abort();
    return x;
}

int main(void) {
    int s = 0;
    for (int i = 0; i < 5; i++) {
        s += check(i);
        printf("checked %d\n", i);
        fflush(stdout);
    }
    return s;
}
