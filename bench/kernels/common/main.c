/* main.c - hosted driver: picks the size from argv, runs the kernel, prints
 * the checksum as the only line on stdout.
 *
 *   kernel            full size
 *   kernel quick      the --quick smoke-test size
 *   kernel interp     the size the wasm-interp variant is built with (so the
 *                     harness can compare checksums with that engine)
 *   kernel N          any positive size
 */
#include <stdio.h>

#include "bench.h"

void bench_fail(const char *why)
{
    fprintf(stderr, "self-check failed: %s\n", why);
    exit(2);
}

static int size_parse(const char *arg)
{
    if (strcmp(arg, "quick") == 0)
        return bench_sizes.quick;
    if (strcmp(arg, "interp") == 0)
        return bench_sizes.interp;
    if (strcmp(arg, "full") == 0)
        return bench_sizes.full;
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end != '\0' || n <= 0 || n > 1000000000L)
        return -1;
    return (int)n;
}

int main(int argc, char **argv)
{
    int n = bench_sizes.full;
    if (argc > 1)
        n = size_parse(argv[1]);
    if (argc > 2 || n < 0) {
        fprintf(stderr, "usage: %s [full|quick|interp|N]\n", argv[0]);
        return 64;
    }
    printf("checksum %08x\n", (unsigned)bench_run(n));
    return 0;
}
