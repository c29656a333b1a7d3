/* bench_instantiate.c - instantiate + call + free through include/kiln.h,
 * with and without a pool (runtime/pool.c), and the resident memory of
 * many idle instances (docs/benchmarks.md, "Instantiation").
 *
 * The module (gen_plugin.py): 17 pages, a 64 KiB data segment, compiled
 * with guard pages (plugin_guard) and with explicit bounds checks
 * (plugin_explicit, for the pool with small memory slots).
 *
 *   bench_instantiate [--rounds N] [--live N]
 *
 * One round: kiln_instantiate (or kiln_pool_instantiate), look up "run",
 * call it, kiln_instance_free; each round timed alone, median and p99
 * printed.  Then `live` instances created (each called once, then left
 * idle) and the process's Rss and Pss (/proc/self/smaps_rollup) compared
 * with before, per instance. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kiln.h"
#include "plugin_explicit.h"
#include "plugin_guard.h"

typedef struct source {
    const char *name;
    const kiln_module_desc *desc;
    kiln_pool *pool; /* NULL: kiln_instantiate */
} source;

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static kiln_instance *instantiate(const source *s) {
    kiln_instantiate_error err;
    kiln_instance *inst = s->pool ? kiln_pool_instantiate(s->pool, s->desc, NULL, NULL, &err)
                                  : kiln_instantiate(s->desc, NULL, &err);
    if (!inst) {
        fprintf(stderr, "%s: instantiate: %s\n", s->name, err.message);
        exit(1);
    }
    return inst;
}

static void call_run(kiln_instance *inst) {
    kiln_extern e;
    if (!kiln_instance_export(inst, "run", &e)) exit(1);
    kiln_val slots[1] = {{.i32 = 7}};
    uint32_t trap = kiln_call(inst, e.of.func, slots);
    if (trap) {
        fprintf(stderr, "run trapped: %s\n", kiln_trap_message());
        exit(1);
    }
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long minor_faults(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

static double median(double *t, int n) {
    qsort(t, (size_t)n, sizeof *t, by_value);
    return t[n / 2];
}

/* Each phase timed too, so that a slow round shows where it went. */
static void rounds_measure(const source *s, int rounds) {
    double *total = malloc(sizeof(double) * (size_t)rounds * 4);
    double *phase[3] = {total + rounds, total + 2 * rounds, total + 3 * rounds};
    long faults = 0;
    for (int i = -rounds / 10; i < rounds; i++) { /* the first tenth warms up */
        if (i == 0) faults = minor_faults();
        double t0 = now_us();
        kiln_instance *inst = instantiate(s);
        double t1 = now_us();
        call_run(inst);
        double t2 = now_us();
        kiln_instance_free(inst);
        double t3 = now_us();
        if (i < 0) continue;
        total[i] = t3 - t0;
        phase[0][i] = t1 - t0, phase[1][i] = t2 - t1, phase[2][i] = t3 - t2;
    }
    faults = minor_faults() - faults;
    double inst_us = median(phase[0], rounds), call_us = median(phase[1], rounds);
    double free_us = median(phase[2], rounds), med = median(total, rounds);
    printf("%-28s instantiate+call+free: median %7.2f us  p99 %7.2f us  (%d rounds; medians: "
           "instantiate %.2f, call %.2f, free %.2f; %.1f page faults)\n", s->name, med,
           total[rounds * 99 / 100], rounds, inst_us, call_us, free_us, (double)faults / rounds);
    free(total);
}

/* Rss and Pss of the whole process, in KiB. */
static void resident_kib(long *rss, long *pss) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    *rss = *pss = 0;
    while (f && fgets(line, sizeof line, f)) {
        sscanf(line, "Rss: %ld", rss);
        sscanf(line, "Pss: %ld", pss);
    }
    if (f) fclose(f);
}

static void live_measure(const source *s, int live) {
    kiln_instance **insts = calloc((size_t)live, sizeof *insts);
    long rss0, pss0, rss1, pss1;
    resident_kib(&rss0, &pss0);
    double start = now_us();
    for (int i = 0; i < live; i++) {
        insts[i] = instantiate(s);
        call_run(insts[i]);
    }
    double elapsed = now_us() - start;
    resident_kib(&rss1, &pss1);
    printf("%-28s %d live instances: %.1f KiB Rss, %.1f KiB Pss per idle instance "
           "(created and called in %.0f ms)\n", s->name, live,
           (double)(rss1 - rss0) / live, (double)(pss1 - pss0) / live, elapsed / 1e3);
    for (int i = 0; i < live; i++) kiln_instance_free(insts[i]);
    free(insts);
}

int main(int argc, char **argv) {
    int rounds = 20000, live = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--rounds") == 0) rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--live") == 0) live = atoi(argv[i + 1]);
    }
    if (rounds < 10 || live < 1) {
        fprintf(stderr, "usage: bench_instantiate [--rounds N>=10] [--live N>=1]\n");
        return 2;
    }
    kiln_pool_config guard_cfg = {.max_instances = (uint32_t)live};
    /* Explicit bounds checks need no guard region: 2 MiB slots. */
    kiln_pool_config small_cfg = {.max_instances = (uint32_t)live, .max_memory_pages = 32,
                                  .memory_reservation = 32 * 65536};
    source plain = {"no pool (guard)", &plugin_guard_module, NULL};
    source pooled = {"pool (guard, 8 GiB slots)", &plugin_guard_module, kiln_pool_new(&guard_cfg)};
    source small = {"pool (explicit, 2 MiB slots)", &plugin_explicit_module,
                    kiln_pool_new(&small_cfg)};
    if (!pooled.pool || !small.pool) {
        fprintf(stderr, "kiln_pool_new failed\n");
        return 1;
    }
    rounds_measure(&plain, rounds / 4 < 10 ? 10 : rounds / 4);
    rounds_measure(&pooled, rounds);
    rounds_measure(&small, rounds);
    /* Without a pool each instance is a reservation of its own, and the
     * fault handler's table holds 4096 of them. */
    live_measure(&plain, live < 4000 ? live : 4000);
    live_measure(&pooled, live);
    live_measure(&small, live);
    kiln_pool_free(pooled.pool);
    kiln_pool_free(small.pool);
    return 0;
}
