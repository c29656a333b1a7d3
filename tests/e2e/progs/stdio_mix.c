// stdout and stderr both reach the host, each in its own order.
#include <stdio.h>

int main(void) {
    for (int i = 0; i < 5; i++) {
        printf("out %d\n", i);
        fprintf(stderr, "err %d\n", i);
    }
    fputs("unbuffered-ish stderr line\n", stderr);
    fwrite("raw bytes\n", 1, 10, stdout);
    return 0;
}
