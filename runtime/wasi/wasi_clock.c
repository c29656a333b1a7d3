/* wasi_clock.c - clock_res_get and clock_time_get over the host's POSIX
 * clocks (realtime, monotonic, process and thread CPU time). */
#define _GNU_SOURCE
#include <time.h>

#include "wasi_internal.h"

bool clock_from_wasi(uint32_t id, clockid_t *out) {
    static const clockid_t host[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
                                     CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    if (id >= sizeof host / sizeof host[0])
        return false;
    *out = host[id];
    return true;
}

/* What `ask` (clock_getres or clock_gettime) says of wasi clock `id`, in
 * nanoseconds, once `out` is known to hold the 8-byte answer. */
static uint16_t clock_ask(wasi_mem *m, uint32_t id, uint32_t out,
                          int (*ask)(clockid_t, struct timespec *), uint64_t *ns) {
    clockid_t c;
    struct timespec ts;
    if (!clock_from_wasi(id, &c))
        return WASI_EINVAL;
    if (!mem_ok(m, out, 8))
        return WASI_EFAULT;
    if (ask(c, &ts) < 0)
        return WASI_EINVAL;
    *ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return WASI_ESUCCESS;
}

uint16_t wasi_clock_res_get(kiln_wasi *w, wasi_mem *m, uint32_t id, uint32_t out) {
    uint64_t ns;
    uint16_t err = clock_ask(m, id, out, clock_getres, &ns);
    if (!err)
        mem_st64(m, out, ns ? ns : 1); /* preview1 requires a non-zero resolution */
    return err;
}

uint16_t wasi_clock_time_get(kiln_wasi *w, wasi_mem *m, uint32_t id, uint64_t precision,
                             uint32_t out) {
    uint64_t ns;
    uint16_t err = clock_ask(m, id, out, clock_gettime, &ns);
    if (!err)
        mem_st64(m, out, ns);
    return err;
}
