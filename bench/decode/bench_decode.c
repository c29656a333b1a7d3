/* bench_decode.c - decode and decode+validate throughput of kiln's front end.
 *
 *   bench_decode [--runs N] FILE.wasm...
 *
 * For each file: the median over N runs (default 9) of module_decode alone
 * and of module_decode + module_validate, in MB/s of module bytes
 * (1 MB = 10^6 bytes), on one thread.  Time is the thread's CPU time, so
 * the figure stays meaningful on a machine shared with other jobs (it
 * still counts page faults and cache misses, which are real costs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "module.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t *file_read(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = n > 0 ? malloc((size_t)n) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

static int double_compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One timed run; returns seconds, or a negative value on failure. */
static double run_once(const uint8_t *bytes, size_t size, bool validate, kiln_error *err) {
    double t0 = now_seconds();
    kiln_module *m = module_decode(bytes, size, NULL, err);
    bool ok = m && (!validate || module_validate(m, err));
    double t = now_seconds() - t0;
    module_free(m);
    return ok ? t : -1.0;
}

static bool median_mbps(const uint8_t *bytes, size_t size, bool validate, int runs, double *out) {
    double *t = calloc((size_t)runs, sizeof *t);
    if (!t) return false;
    for (int i = 0; i < runs; i++) {
        kiln_error err;
        t[i] = run_once(bytes, size, validate, &err);
        if (t[i] < 0) {
            fprintf(stderr, "0x%llx: error: %s\n", (unsigned long long)err.offset, err.message);
            free(t);
            return false;
        }
    }
    qsort(t, (size_t)runs, sizeof *t, double_compare);
    *out = (double)size / t[runs / 2] / 1e6;
    free(t);
    return true;
}

static int bench_file(const char *path, int runs) {
    size_t size;
    uint8_t *bytes = file_read(path, &size);
    if (!bytes) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    double decode, both;
    int rc = 1;
    if (median_mbps(bytes, size, false, runs, &decode) && median_mbps(bytes, size, true, runs, &both)) {
        printf("%s: %.1f MB, decode %.0f MB/s, decode+validate %.0f MB/s (median of %d)\n", path,
               (double)size / 1e6, decode, both, runs);
        rc = 0;
    }
    free(bytes);
    return rc;
}

int main(int argc, char **argv) {
    int runs = 9, rc = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1) runs = 1;
        } else {
            rc |= bench_file(argv[i], runs);
            files++;
        }
    }
    if (!files) {
        fprintf(stderr, "usage: bench_decode [--runs N] FILE.wasm...\n");
        return 2;
    }
    return rc;
}
