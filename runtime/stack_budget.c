/* stack_budget.c - a stack budget larger than the calling thread's stack
 * (kiln_run_with_stack_budget), and the SIZE syntax of the --stack-size
 * options of `kiln run` and of `kiln build` executables.
 *
 * The budget itself is trap.c's, per thread: it is clamped to the stack
 * of the thread that enters wasm, so asking for more than that thread has
 * (a main thread has its rlimit, usually 8 MiB) silently gives less.
 * When the calling thread cannot hold the budget, fn runs on a new thread
 * whose stack can: an mmap'ed reservation (MAP_NORESERVE, so a budget of
 * gigabytes costs address space, not memory) with a guard page below it,
 * unmapped once the thread has been joined. */
#define _GNU_SOURCE /* pthread_getattr_np, MAP_NORESERVE, MAP_STACK */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kiln.h"

bool kiln_stack_size_parse(const char *text, size_t *bytes) {
    if (!text || *text < '0' || *text > '9') return false; /* strtoull takes " -1" */
    char *end;
    errno = 0;
    unsigned long long n = strtoull(text, &end, 10);
    static const char units[] = "KMG";
    const char *unit = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
    unsigned shift = unit ? 10u * (unsigned)(unit - units + 1) : 0;
    if (unit) end++;
    if (errno || *end || n == 0 || n > KILN_STACK_BUDGET_MAX >> shift) return false;
    *bytes = (size_t)n << shift;
    return true;
}

typedef struct budget_job {
    size_t bytes;
    void (*fn)(void *arg);
    void *arg;
} budget_job;

static void job_run(budget_job *job) {
    kiln_set_stack_budget(job->bytes);
    job->fn(job->arg);
}

static void *job_thread(void *job) {
    job_run(job);
    return NULL;
}

/* Bytes of the calling thread's stack below this frame; 0 if unknown. */
static size_t stack_room(void) {
    pthread_attr_t attr;
    void *low;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return 0;
    int err = pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    return err || sp <= (uintptr_t)low ? 0 : sp - (uintptr_t)low;
}

/* Runs the job on a new thread with a stack of budget + headroom, and
 * waits for it.  0 or an errno value. */
static int job_spawn(budget_job *job) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t usable = (job->bytes + KILN_STACK_HEADROOM + page - 1) / page * page;
    size_t size = usable + page; /* the guard page, at the low end */
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) return errno;
    int err = mprotect(base, page, PROT_NONE) == 0 ? 0 : errno;
    pthread_attr_t attr;
    if (!err) err = pthread_attr_init(&attr);
    if (!err) {
        pthread_t t;
        err = pthread_attr_setstack(&attr, (char *)base + page, usable);
        if (!err) err = pthread_create(&t, &attr, job_thread, job);
        if (!err) pthread_join(t, NULL);
        pthread_attr_destroy(&attr);
    }
    munmap(base, size);
    return err;
}

int kiln_run_with_stack_budget(size_t bytes, void (*fn)(void *arg), void *arg) {
    budget_job job = {bytes, fn, arg};
    /* The default is clamped to whatever stack the thread has. */
    if (bytes == 0 || stack_room() >= bytes + KILN_STACK_HEADROOM) {
        job_run(&job);
        return 0;
    }
    return job_spawn(&job);
}
