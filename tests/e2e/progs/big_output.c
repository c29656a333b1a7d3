// Two megabytes of output through stdio: every write must arrive whole
// and in order, however the host splits it.
#include <stdio.h>

int main(void) {
    unsigned long long sum = 0;
    for (int i = 0; i < 60000; i++) {
        int n = printf("%06d the quick brown fox jumps over the lazy dog %08x\n", i,
                       (unsigned)i * 2654435761u);
        sum += (unsigned long long)n;
    }
    fprintf(stderr, "wrote %llu bytes\n", sum);
    return 0;
}
