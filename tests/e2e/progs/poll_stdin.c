// e2e-stdin: input/lorem.txt
// poll() on stdin (a regular file: always readable) and a poll with only
// a timeout, which must wait.
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    int r = poll(&p, 1, 1000);
    printf("poll stdin: %d readable %d\n", r, (p.revents & POLLIN) != 0);
    char buf[16];
    printf("read after poll: %zd\n", read(0, buf, sizeof buf));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    r = poll(NULL, 0, 25);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("timeout poll: %d, waited >= 24ms: %d\n", r, ms >= 24);
    return 0;
}
