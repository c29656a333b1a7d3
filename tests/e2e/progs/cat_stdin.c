// e2e-stdin: input/numbers.txt
// Binary copy of stdin to stdout with read/write in odd-sized chunks,
// then a byte checksum on stderr.
#include <stdio.h>
#include <unistd.h>

int main(void) {
    char buf[777];
    ssize_t n;
    unsigned long long total = 0, sum = 0;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buf + done, (size_t)(n - done));
            if (w <= 0)
                return 1;
            done += w;
        }
        for (ssize_t i = 0; i < n; i++)
            sum = sum * 31 + (unsigned char)buf[i];
        total += (unsigned long long)n;
    }
    fprintf(stderr, "%llu bytes, checksum %llu\n", total, sum);
    return n < 0;
}
