/* wasi_threads.c - wasi-threads as wasm32-wasip1-threads programs use it:
 * the import "wasi"."thread-spawn"(start_arg) -> tid.
 *
 * A spawned thread is an OS thread running a new instance of the same
 * module, linked against the same linker: the WASI functions, the shared
 * memory the module imports (so every instance sees one memory) and
 * thread-spawn itself.  It calls the instance's export
 * wasi_thread_start(tid, start_arg) and ends when that returns.  Thread
 * ids count up from 1; 0 and ids past 2^29-1 are never handed out (the
 * wasi-threads proposal's range), and a failure returns a negative value.
 *
 * Process semantics are wasmtime's: a trap or proc_exit in any thread
 * ends the whole process, with KILN_WASI_EXIT_TRAP or the exit code.
 * When the main thread's entry returns, the spawned threads still running
 * are interrupted (a thread blocked in memory.atomic.wait or running wasm
 * stops within milliseconds) and joined; kiln_wasi_threads_end ends the
 * process if one cannot be stopped.
 *
 * The WASI context is shared: once a thread has been spawned, every WASI
 * call takes the context's lock (wasi_bind.c), so calls of different
 * threads run one at a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wasi_internal.h"

enum { TID_MAX = 0x1FFFFFFF };
static const size_t THREAD_STACK = 8u << 20;

typedef struct spawned {
    struct spawned *next;
    kiln_wasi *w;
    uint32_t tid, start_arg;
    kiln_thread *self; /* set by the thread once it runs */
} spawned;

struct wasi_threads {
    const kiln_module_desc *desc;
    kiln_linker *linker;
    pthread_mutex_t lock; /* guards the list and `running` */
    pthread_cond_t changed;
    spawned *list;
    uint32_t running;
    uint32_t next_tid;
    bool stopping;
    bool limited;                 /* each thread's instance gets `limits` */
    kiln_instance_limits limits;
};

void kiln_wasi_threads_bind(kiln_wasi *w, const kiln_module_desc *desc, kiln_linker *l) {
    if (!w->threads) {
        w->threads = calloc(1, sizeof *w->threads);
        if (!w->threads) return;
        pthread_mutex_init(&w->threads->lock, NULL);
        pthread_cond_init(&w->threads->changed, NULL);
        w->threads->next_tid = 1;
    }
    w->threads->desc = desc;
    w->threads->linker = l;
}

void kiln_wasi_threads_limit(kiln_wasi *w, const kiln_instance_limits *limits) {
    if (!w->threads) return;
    w->threads->limited = limits != NULL;
    if (limits) w->threads->limits = *limits;
}

/* Only while no spawned thread runs (kiln_wasi_free). */
void wasi_threads_free(kiln_wasi *w) {
    if (!w->threads) return;
    pthread_mutex_destroy(&w->threads->lock);
    pthread_cond_destroy(&w->threads->changed);
    free(w->threads);
    w->threads = NULL;
}

bool wasi_threads_running(kiln_wasi *w) {
    if (!w->threads) return false;
    pthread_mutex_lock(&w->threads->lock);
    bool any = w->threads->running > 0;
    pthread_mutex_unlock(&w->threads->lock);
    return any;
}

/* The end of the process, from any thread (see above).  WASI writes go
 * straight to file descriptors; stdio holds only kiln's own messages. */
static _Noreturn void process_end(int status) {
    fflush(NULL);
    _exit(status);
}

static void spawned_unlink(wasi_threads *t, spawned *s) {
    pthread_mutex_lock(&t->lock);
    for (spawned **p = &t->list; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    t->running--;
    pthread_cond_broadcast(&t->changed);
    pthread_mutex_unlock(&t->lock);
}

static uint32_t thread_start_call(spawned *s, kiln_instance *inst) {
    kiln_extern e;
    kiln_signature sig;
    if (!kiln_instance_export(inst, "wasi_thread_start", &e) || e.kind != KILN_EXTERNKIND_FUNC ||
        !kiln_func_signature(e.of.func, &sig) || sig.num_params != 2 || sig.num_results != 0) {
        fprintf(stderr, "kiln: thread %u: the module exports no wasi_thread_start(i32, i32)\n",
                s->tid);
        process_end(KILN_WASI_EXIT_ERROR);
    }
    kiln_val args[2] = {{.i32 = (int32_t)s->tid}, {.i32 = (int32_t)s->start_arg}};
    return kiln_call(inst, e.of.func, args);
}

static void *thread_main(void *arg) {
    spawned *s = arg;
    wasi_threads *t = s->w->threads;
    pthread_mutex_lock(&t->lock);
    s->self = kiln_thread_current();
    bool stopping = t->stopping;
    pthread_mutex_unlock(&t->lock);
    kiln_instantiate_error ie = {0};
    kiln_instance *inst =
        stopping ? NULL
                 : kiln_instantiate_limited(t->desc, t->linker, t->limited ? &t->limits : NULL, &ie);
    uint32_t trap = KILN_TRAP_NONE;
    if (inst) trap = thread_start_call(s, inst);
    else if (!stopping && ie.kind == KILN_INST_TRAP) trap = ie.trap;
    else if (!stopping) {
        fprintf(stderr, "kiln: thread %u: %s\n", s->tid, ie.message);
        process_end(KILN_WASI_EXIT_ERROR);
    }
    bool stopped = trap == KILN_TRAP_INTERRUPTED && __atomic_load_n(&t->stopping, __ATOMIC_SEQ_CST);
    if (trap == KILN_TRAP_EXIT) process_end(kiln_wasi_exit_code(s->w));
    if (trap != KILN_TRAP_NONE && !stopped) {
        fprintf(stderr, "kiln: thread %u: wasm trap: %s\n", s->tid, kiln_trap_message());
        process_end(KILN_WASI_EXIT_TRAP);
    }
    kiln_instance_free(inst);
    spawned_unlink(t, s);
    free(s);
    return NULL;
}

static bool thread_create(spawned *s) {
    pthread_attr_t attr;
    pthread_t th;
    if (pthread_attr_init(&attr) != 0) return false;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    bool ok = pthread_create(&th, &attr, thread_main, s) == 0;
    pthread_attr_destroy(&attr);
    return ok;
}

int32_t wasi_thread_spawn(kiln_wasi *w, uint32_t start_arg) {
    wasi_threads *t = w->threads;
    if (!t || !t->desc) return -WASI_ENOSYS;
    spawned *s = calloc(1, sizeof *s);
    if (!s) return -WASI_ENOMEM;
    pthread_mutex_lock(&t->lock);
    if (t->next_tid > TID_MAX || t->stopping || t->running >= w->max_threads) {
        pthread_mutex_unlock(&t->lock);
        free(s);
        return -WASI_EAGAIN;
    }
    *s = (spawned){.next = t->list, .w = w, .tid = t->next_tid++, .start_arg = start_arg};
    t->list = s;
    t->running++;
    __atomic_store_n(&w->threaded, true, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&t->lock);
    if (thread_create(s)) return (int32_t)s->tid;
    spawned_unlink(t, s);
    free(s);
    return -WASI_EAGAIN;
}

static void deadline_after(struct timespec *ts, long ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

void kiln_wasi_threads_end(kiln_wasi *w, int status, const char *why) {
    wasi_threads *t = w->threads;
    if (!t) return;
    struct timespec deadline;
    deadline_after(&deadline, 1000);
    pthread_mutex_lock(&t->lock);
    __atomic_store_n(&t->stopping, true, __ATOMIC_SEQ_CST);
    for (spawned *s = t->list; s; s = s->next)
        if (s->self) kiln_thread_interrupt(s->self);
    int rc = 0;
    while (t->running > 0 && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&t->changed, &t->lock, &deadline);
        for (spawned *s = t->list; s; s = s->next) /* started since */
            if (s->self) kiln_thread_interrupt(s->self);
    }
    bool left = t->running > 0;
    pthread_mutex_unlock(&t->lock);
    if (!left) return;
    if (why && why[0]) fprintf(stderr, "%s: %s\n", w->num_args ? w->args[0] : "kiln", why);
    process_end(status);
}

bool kiln_wasi_define_memory(kiln_linker *l, const kiln_memory_import *mi) {
    if (mi->is64) return false; /* no 64-bit memories from the host yet */
    kiln_memory *mem = mi->shared ? kiln_memory_new_shared(mi->min_pages, mi->max_pages)
                                  : kiln_memory_new(mi->min_pages, mi->max_pages, mi->has_max);
    kiln_extern e = {.kind = KILN_EXTERNKIND_MEMORY, .of.memory = mem};
    bool ok = mem && kiln_linker_define(l, mi->module, mi->name, e);
    kiln_memory_free(mem); /* the linker holds its own reference */
    return ok;
}
