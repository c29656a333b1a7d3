/* wasi_proc.c - the process: proc_exit, proc_raise, sched_yield and
 * random_get. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <sys/random.h>

#include "wasi_internal.h"

/* Only records the code: the binding returns KILN_TRAP_EXIT so that the
 * runtime unwinds the wasm stack back to whoever called _start. */
void wasi_proc_exit(kiln_wasi *w, uint32_t code) {
    w->exited = true;
    w->exit_code = (int)code;
}

/* Signals are not part of the sandbox: a guest cannot signal itself. */
uint16_t wasi_proc_raise(kiln_wasi *w, wasi_mem *m, uint32_t sig) { return WASI_ENOSYS; }

uint16_t wasi_sched_yield(kiln_wasi *w, wasi_mem *m) {
    sched_yield();
    return WASI_ESUCCESS;
}

uint16_t wasi_random_get(kiln_wasi *w, wasi_mem *m, uint32_t buf, uint32_t len) {
    if (!mem_ok(m, buf, len))
        return WASI_EFAULT;
    uint32_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(m->base + buf + done, len - done, 0);
        if (n < 0 && errno != EINTR)
            return errno_to_wasi(errno);
        if (n > 0)
            done += (uint32_t)n;
    }
    return WASI_ESUCCESS;
}
