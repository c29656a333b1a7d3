// Clocks: monotonic never goes back, sleeping takes at least as long as
// asked, realtime is a plausible date, CPU time advances.
#include <stdio.h>
#include <time.h>

static double secs(struct timespec t) { return (double)t.tv_sec + (double)t.tv_nsec / 1e9; }

int main(void) {
    struct timespec a, b, r;
    int back = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 10000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        back |= secs(b) < secs(a);
        a = b;
    }
    printf("monotonic never went back: %d\n", !back);
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec nap = {0, 30 * 1000 * 1000};
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double slept = secs(b) - secs(a);
    printf("slept at least 30ms: %d, less than 2s: %d\n", slept >= 0.030, slept < 2.0);
    clock_gettime(CLOCK_REALTIME, &r);
    printf("realtime after 2024: %d\n", r.tv_sec > 1704067200);
    time_t now = time(NULL);
    printf("time() agrees with realtime: %d\n", now - r.tv_sec <= 1 && r.tv_sec - now <= 1);
    printf("clock_getres monotonic ok: %d\n", clock_getres(CLOCK_MONOTONIC, &r) == 0 &&
                                                  (r.tv_sec > 0 || r.tv_nsec > 0));
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile double x = 0;
    for (int i = 0; i < 20000000; i++)
        x += i * 0.5;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("cpu clock advanced: %d\n", secs(c1) > secs(c0));
    return 0;
}
