/* test_signals.c - the signal handlers of runtime/signals.c.
 *
 * Faults: only a fault in a registered module's generated code at an
 * address inside a guard reservation becomes a trap; every other fault
 * reaches the handler installed before kiln's.  Each case runs in a
 * forked child, since it installs handlers, registers regions and may
 * die on the signal.  (tests/unit/test_signals_faults.c runs the same
 * routing with real modules in a dlopen'ed library, a static host and a
 * `kiln build` executable.)
 *
 * Interrupts: tests/unit/wat/interrupt.wat compiled at -O0 and -O2 in
 * both bounds-check modes, linked into a shared library and run through
 * the embedding API; an interrupter thread waits until the call is in
 * progress, interrupts it, and the call must end within INTERRUPT_BOUND_S
 * (generous: the machine may be loaded). */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "instance_fixture.h"
#include "runtime.h"

#ifndef KILN_TEST_WASM_DIR
#error "KILN_TEST_WASM_DIR must name the directory of the converted .wat files"
#endif

enum { HOST_HANDLER_STATUS = 42 };

static void host_handler(int sig) {
    (void)sig;
    _exit(HOST_HANDLER_STATUS);
}

static void host_handler_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = host_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* A guard-mode memory of one page: its reservation is registered. */
static kiln_memory *guarded_memory(void) {
    kiln_memtype type = {{1, 1, true}, false, false};
    kiln_memory *m = memory_create(&type, true);
    if (!m) _exit(90);
    return m;
}

static volatile uintptr_t fault_address;

/* Host code (not wasm) touching the given address while "running wasm". */
static void touch(void *unused) {
    (void)unused;
    (void)*(volatile uint8_t *)fault_address;
}

/* A descriptor whose only "generated function" is touch(): registering
 * it makes touch() a module's region. */
static void *const touch_code[] = {(void *)(uintptr_t)touch};
static const kiln_trampoline touch_trampolines[] = {(kiln_trampoline)(uintptr_t)touch};
static const kiln_module_desc touch_desc = {
    .num_defined_funcs = 1, .func_code = touch_code, .func_trampolines = touch_trampolines};

/* Runs `child` in a fork; returns its wait status. */
static int in_child(void (*child)(void)) {
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        child();
        _exit(0);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static void host_fault_in_reservation(void) {
    host_handler_install();
    kiln_memory *m = guarded_memory();
    fault_address = (uintptr_t)m->rt.base + KILN_PAGE_SIZE; /* first guard page */
    uint32_t trap = trap_protect(touch, NULL);
    _exit(trap == KILN_TRAP_MEMORY_OUT_OF_BOUNDS ? 10 : 11);
}

Test(signals, a_host_fault_inside_a_reservation_reaches_the_previous_handler) {
    int status = in_child(host_fault_in_reservation);
    cr_assert(WIFEXITED(status));
    cr_expect_eq(WEXITSTATUS(status), HOST_HANDLER_STATUS,
                 "code outside kiln objects must not turn a fault into a trap (status %d)",
                 WEXITSTATUS(status));
}

static void fault_outside_reservations(void) {
    host_handler_install();
    (void)guarded_memory(); /* installs kiln's handler on top of ours */
    fault_address = 16;
    (void)trap_protect(touch, NULL);
    _exit(11);
}

Test(signals, a_fault_outside_every_reservation_reaches_the_previous_handler) {
    int status = in_child(fault_outside_reservations);
    cr_assert(WIFEXITED(status));
    cr_expect_eq(WEXITSTATUS(status), HOST_HANDLER_STATUS);
}

static void fault_with_default_handler(void) {
    (void)guarded_memory();
    fault_address = 16;
    touch(NULL);
    _exit(11);
}

Test(signals, with_no_previous_handler_the_process_dies_of_the_signal) {
    int status = in_child(fault_with_default_handler);
    cr_assert(WIFSIGNALED(status), "status %d", status);
    cr_expect_eq(WTERMSIG(status), SIGSEGV);
}


static void registered_fault_in_reservation(void) {
    host_handler_install();
    kiln_memory *m = guarded_memory();
    /* Treat touch() as compiled wasm. */
    if (!signals_module_add(&touch_desc)) _exit(12);
    fault_address = (uintptr_t)m->rt.base + KILN_PAGE_SIZE;
    uint32_t trap = trap_protect(touch, NULL);
    _exit(trap == KILN_TRAP_MEMORY_OUT_OF_BOUNDS ? 10 : 11);
}

Test(signals, a_fault_in_registered_code_inside_a_reservation_is_a_trap) {
    int status = in_child(registered_fault_in_reservation);
    cr_assert(WIFEXITED(status));
    cr_expect_eq(WEXITSTATUS(status), 10, "status %d", WEXITSTATUS(status));
}

static void fault_outside_wasm_call(void) {
    host_handler_install();
    kiln_memory *m = guarded_memory();
    if (!signals_module_add(&touch_desc)) _exit(12);
    fault_address = (uintptr_t)m->rt.base + KILN_PAGE_SIZE;
    touch(NULL); /* not under trap_protect: nowhere to deliver a trap */
    _exit(11);
}

Test(signals, a_fault_outside_any_wasm_call_reaches_the_previous_handler) {
    int status = in_child(fault_outside_wasm_call);
    cr_assert(WIFEXITED(status));
    cr_expect_eq(WEXITSTATUS(status), HOST_HANDLER_STATUS);
}

/* A descriptor of one function at `code`, registered and removed again. */
static bool region_registers(void *code, void *other) {
    void *const codes[] = {code, other ? other : code};
    const kiln_trampoline tramps[] = {(kiln_trampoline)(uintptr_t)code,
                                      (kiln_trampoline)(uintptr_t)code};
    kiln_module_desc d = {.num_defined_funcs = 2, .func_code = codes, .func_trampolines = tramps};
    bool added = signals_module_add(&d);
    if (added) signals_module_remove(&d);
    return added;
}

Test(signals, only_a_region_proved_to_hold_generated_code_alone_is_registered) {
    int on_stack;
    int *heap = malloc(sizeof *heap);
    kiln_module_desc empty = {0};
    cr_expect(region_registers((void *)(uintptr_t)touch, NULL));
    cr_expect_not(region_registers(heap, NULL), "a heap address is in no object");
    cr_expect_not(region_registers(&on_stack, NULL), "a stack address is in no object");
    cr_expect_not(region_registers((void *)(uintptr_t)touch, (void *)(uintptr_t)kiln_rt_trap),
                  "other functions lie between the two");
    cr_expect_not(signals_module_add(&empty), "no code at all");
    free(heap);
}

/* ---- interrupts ------------------------------------------------------------------ */

enum { INTERRUPT_BOUND_S = 5 };

typedef struct guest {
    void *so;
    const kiln_module_desc *desc;
    char so_path[128];
} guest;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static guest guest_build(int opt, bool explicit_bounds) {
    char path[512], prefix[32], obj[128];
    snprintf(path, sizeof path, "%s/interrupt.wasm", KILN_TEST_WASM_DIR);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    uint8_t *bytes = malloc(1 << 16);
    size_t size = fread(bytes, 1, 1 << 16, f);
    fclose(f);
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {0};
    kiln_module *m = module_decode(bytes, size, &dopts, &err);
    cr_assert(m && module_validate(m, &err), "%s", err.message);
    guest g = {0};
    snprintf(prefix, sizeof prefix, "intr_o%d_%c", opt, explicit_bounds ? 'e' : 'g');
    snprintf(obj, sizeof obj, "/tmp/kiln-test-%d-%s.o", (int)getpid(), prefix);
    snprintf(g.so_path, sizeof g.so_path, "/tmp/kiln-test-%d-%s.so", (int)getpid(), prefix);
    kiln_compile_options opts = {.opt_level = opt, .prefix = prefix, .explicit_bounds = explicit_bounds};
    cr_assert(module_compile_object(m, bytes, size, &opts, obj, &err), "%s", err.message);
    cr_assert(link_shared_library(obj, g.so_path, &err), "%s", err.message);
    unlink(obj);
    module_free(m);
    free(bytes);
    g.so = dlopen(g.so_path, RTLD_NOW | RTLD_LOCAL);
    cr_assert(g.so, "dlopen: %s", dlerror());
    char sym[64];
    snprintf(sym, sizeof sym, "%s_module", prefix);
    g.desc = dlsym(g.so, sym);
    cr_assert(g.desc, "no %s", sym);
    return g;
}

static void guest_unload(guest *g) {
    dlclose(g->so);
    unlink(g->so_path);
}

/* ---- the host side of interrupt.wat ---- */

static _Atomic int released;     /* "released" returns it */
static _Atomic int inner_started; /* call_back is about to call "spin" */
static _Atomic uint32_t inner_trap;

static kiln_val *export_call_slots(kiln_instance *inst, const char *name, kiln_val *slots,
                                   uint32_t *trap) {
    kiln_extern e;
    cr_assert(kiln_instance_export(inst, name, &e) && e.kind == KILN_EXTERN_FUNC, "no %s", name);
    *trap = kiln_call(inst, e.of.func, slots);
    return slots;
}

/* wasm -> host -> wasm: calls "spin" on the caller and, whatever came of
 * it, returns normally to the wasm that called. */
static uint32_t host_call_back(void *env, kiln_instance *caller, const kiln_val *args,
                               kiln_val *results) {
    (void)env, (void)args, (void)results;
    kiln_val none[1];
    uint32_t trap;
    atomic_store(&inner_started, 1);
    export_call_slots(caller, "spin", none, &trap);
    atomic_store(&inner_trap, trap);
    return KILN_TRAP_NONE;
}

static uint32_t host_released(void *env, kiln_instance *caller, const kiln_val *args,
                              kiln_val *results) {
    (void)env, (void)caller, (void)args;
    results[0].i32 = atomic_load(&released);
    return KILN_TRAP_NONE;
}

static kiln_linker *host_linker(int loop_in_start) {
    static const uint8_t i32[] = {KILN_I32};
    kiln_signature none = {0, 0, NULL, NULL}, to_i32 = {0, 1, NULL, i32};
    kiln_linker *l = kiln_linker_new();
    cr_assert(kiln_linker_define_func(l, "host", "call_back", &none, host_call_back, NULL));
    cr_assert(kiln_linker_define_func(l, "host", "released", &to_i32, host_released, NULL));
    kiln_global_inst *g = kiln_global_new(KILN_I32, false, (kiln_val){.i32 = loop_in_start});
    cr_assert(kiln_linker_define(l, "host", "loop_in_start", (kiln_extern){.kind = KILN_EXTERN_GLOBAL, .of.global = g}));
    kiln_global_free(g);
    return l;
}

/* ---- the interrupter ---- */

typedef struct interrupter {
    kiln_thread *runner;      /* wait until it runs wasm */
    kiln_instance *inst;      /* interrupt this; NULL: the runner thread */
    _Atomic int *gate;        /* and, if set, until this is non-zero */
    double at;                /* when the interrupt was made */
    pthread_t thread;
} interrupter;

static void *interrupter_run(void *arg) {
    interrupter *it = arg;
    while (!kiln_thread_in_wasm(it->runner) || (it->gate && !atomic_load(it->gate))) sleep_ms(1);
    sleep_ms(20); /* well inside the loop */
    it->at = now();
    if (it->inst) kiln_instance_interrupt(it->inst);
    else kiln_thread_interrupt(it->runner);
    return NULL;
}

static void interrupter_start(interrupter *it, kiln_thread *runner, kiln_instance *inst,
                              _Atomic int *gate) {
    *it = (interrupter){runner, inst, gate, 0, 0};
    cr_assert(runner);
    cr_assert_eq(pthread_create(&it->thread, NULL, interrupter_run, it), 0);
}

/* Joins the interrupter; the seconds from the interrupt to now. */
static double interrupter_join(interrupter *it) {
    double end = now();
    pthread_join(it->thread, NULL);
    return end - it->at;
}

static uint32_t interrupted_call(kiln_instance *inst, const char *name, kiln_val *slots,
                                 double *latency) {
    interrupter it;
    interrupter_start(&it, kiln_thread_current(), inst, NULL);
    uint32_t trap;
    export_call_slots(inst, name, slots, &trap);
    *latency = interrupter_join(&it);
    return trap;
}

static const int opt_levels[] = {0, 2};

Test(interrupt, endless_loops_without_calls_are_interrupted_in_both_modes, .timeout = 120) {
    kiln_linker *l = host_linker(0);
    for (int k = 0; k < 4; k++) {
        int opt = opt_levels[k % 2];
        bool explicit_bounds = k >= 2;
        guest g = guest_build(opt, explicit_bounds);
        kiln_instance *inst = instance_or_fail(g.desc, l);
        double latency;
        kiln_val slots[1] = {{.i64 = 1}};
        cr_expect_eq(interrupted_call(inst, "spin", slots, &latency), KILN_TRAP_INTERRUPTED,
                     "spin -O%d %s", opt, explicit_bounds ? "explicit" : "guard");
        cr_expect_str_eq(kiln_trap_message(), "interrupted");
        cr_expect_lt(latency, INTERRUPT_BOUND_S);
        slots[0].i64 = 1;
        cr_expect_eq(interrupted_call(inst, "compute", slots, &latency), KILN_TRAP_INTERRUPTED,
                     "compute -O%d %s", opt, explicit_bounds ? "explicit" : "guard");
        cr_expect_lt(latency, INTERRUPT_BOUND_S);
        /* The mark ended with the call: the next one runs normally. */
        kiln_val answer[1];
        uint32_t trap;
        export_call_slots(inst, "answer", answer, &trap);
        cr_expect_eq(trap, KILN_TRAP_NONE);
        cr_expect_eq(answer[0].i32, 42);
        kiln_instance_free(inst);
        guest_unload(&g);
    }
    kiln_linker_free(l);
}

Test(interrupt, a_start_function_that_loops_forever_is_interrupted, .timeout = 60) {
    guest g = guest_build(2, false);
    kiln_linker *looping = host_linker(1), *quiet = host_linker(0);
    kiln_thread *self = kiln_thread_current();
    interrupter it;
    interrupter_start(&it, self, NULL, NULL);
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(g.desc, looping, &err);
    cr_expect_lt(interrupter_join(&it), INTERRUPT_BOUND_S);
    cr_expect_null(inst);
    cr_expect_eq(err.kind, KILN_INST_TRAP);
    cr_expect_eq(err.trap, KILN_TRAP_INTERRUPTED);
    cr_expect_str_eq(err.message, "interrupted");
    /* A thread interrupt lasts until cleared: even a start that returns at
     * once is refused. */
    cr_expect_null(kiln_instantiate(g.desc, quiet, &err));
    cr_expect_eq(err.trap, KILN_TRAP_INTERRUPTED);
    kiln_thread_interrupt_clear(self);
    inst = kiln_instantiate(g.desc, quiet, &err);
    cr_expect(inst, "after the clear: %s", err.message);
    kiln_instance_free(inst);
    kiln_linker_free(looping);
    kiln_linker_free(quiet);
    guest_unload(&g);
}

Test(interrupt, a_wasm_host_wasm_call_is_interrupted_at_both_levels, .timeout = 60) {
    kiln_linker *l = host_linker(0);
    for (int explicit_bounds = 0; explicit_bounds < 2; explicit_bounds++) {
        guest g = guest_build(2, explicit_bounds);
        kiln_instance *inst = instance_or_fail(g.desc, l);
        atomic_store(&inner_started, 0);
        atomic_store(&inner_trap, KILN_TRAP_NONE);
        interrupter it;
        interrupter_start(&it, kiln_thread_current(), inst, &inner_started);
        kiln_val none[1];
        uint32_t trap;
        export_call_slots(inst, "nested", none, &trap);
        /* The inner "spin" traps; the host function then returns normally
         * and the outer call, which would spin next, traps on return. */
        cr_expect_eq(atomic_load(&inner_trap), KILN_TRAP_INTERRUPTED);
        cr_expect_eq(trap, KILN_TRAP_INTERRUPTED);
        cr_expect_lt(interrupter_join(&it), INTERRUPT_BOUND_S);
        kiln_instance_free(inst);
        guest_unload(&g);
    }
    kiln_linker_free(l);
}

typedef struct runner {
    kiln_instance *inst;
    const char *name;
    _Atomic(kiln_thread *) thread;
    uint32_t trap;
    int32_t result;
} runner;

static void *runner_run(void *arg) {
    runner *r = arg;
    atomic_store(&r->thread, kiln_thread_current());
    kiln_val slots[1] = {{.i64 = 1}};
    export_call_slots(r->inst, r->name, slots, &r->trap);
    r->result = slots[0].i32;
    return NULL;
}

static kiln_thread *runner_wait(runner *r) {
    while (!atomic_load(&r->thread) || !kiln_thread_in_wasm(atomic_load(&r->thread))) sleep_ms(1);
    return atomic_load(&r->thread);
}

Test(interrupt, interrupting_one_instance_leaves_another_thread_running, .timeout = 60) {
    guest g = guest_build(2, false);
    kiln_linker *l = host_linker(0);
    atomic_store(&released, 0);
    runner a = {instance_or_fail(g.desc, l), "spin", NULL, 0, 0};
    runner b = {instance_or_fail(g.desc, l), "wait", NULL, 0, 0};
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&ta, NULL, runner_run, &a), 0);
    cr_assert_eq(pthread_create(&tb, NULL, runner_run, &b), 0);
    runner_wait(&a);
    runner_wait(&b);
    sleep_ms(20);
    kiln_instance_interrupt(a.inst);
    pthread_join(ta, NULL);
    cr_expect_eq(a.trap, KILN_TRAP_INTERRUPTED);
    sleep_ms(100); /* long enough for a stray re-signal to hit b */
    cr_expect(kiln_thread_in_wasm(atomic_load(&b.thread)), "b must still be running");
    atomic_store(&released, 1);
    pthread_join(tb, NULL);
    cr_expect_eq(b.trap, KILN_TRAP_NONE);
    cr_expect_eq(b.result, 7);
    kiln_instance_free(a.inst);
    kiln_instance_free(b.inst);
    kiln_linker_free(l);
    guest_unload(&g);
}

static _Atomic int host_urgs;

static void host_urg_handler(int sig) {
    (void)sig;
    atomic_fetch_add(&host_urgs, 1);
}

Test(interrupt, a_sigurg_kiln_did_not_send_reaches_the_previous_handler, .timeout = 60) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = host_urg_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, NULL);
    guest g = guest_build(2, false);
    kiln_linker *l = host_linker(0);
    kiln_instance *inst = instance_or_fail(g.desc, l); /* kiln's handler is installed now */
    struct sigaction now_installed;
    sigaction(SIGURG, NULL, &now_installed);
    cr_expect_neq((void *)(uintptr_t)now_installed.sa_handler, (void *)(uintptr_t)host_urg_handler);
    /* No wasm running. */
    raise(SIGURG);
    cr_expect_eq(atomic_load(&host_urgs), 1);
    /* Wasm running on another thread: it goes on and the host sees the signal. */
    atomic_store(&released, 0);
    runner r = {inst, "wait", NULL, 0, 0};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, runner_run, &r), 0);
    runner_wait(&r);
    pthread_kill(t, SIGURG);
    sleep_ms(50);
    cr_expect_eq(atomic_load(&host_urgs), 2);
    cr_expect(kiln_thread_in_wasm(atomic_load(&r.thread)));
    atomic_store(&released, 1);
    pthread_join(t, NULL);
    cr_expect_eq(r.trap, KILN_TRAP_NONE);
    cr_expect_eq(r.result, 7);
    kiln_instance_free(inst);
    kiln_linker_free(l);
    guest_unload(&g);
}

typedef struct storm {
    kiln_instance *inst;
    _Atomic int stop;
} storm;

static void *storm_run(void *arg) {
    storm *s = arg;
    while (!atomic_load(&s->stop)) kiln_instance_interrupt(s->inst);
    return NULL;
}

Test(interrupt, a_storm_of_interrupts_never_outlives_the_calls, .timeout = 60) {
    guest g = guest_build(0, true);
    kiln_linker *l = host_linker(0);
    storm s = {instance_or_fail(g.desc, l), 0};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, storm_run, &s), 0);
    int ok = 0, interrupted = 0;
    for (int i = 0; i < 5000; i++) {
        kiln_val r[1] = {{.i32 = 200}};
        uint32_t trap;
        export_call_slots(s.inst, "calls", r, &trap);
        ok += trap == KILN_TRAP_NONE && r[0].i32 == 42;
        interrupted += trap == KILN_TRAP_INTERRUPTED;
    }
    atomic_store(&s.stop, 1);
    pthread_join(t, NULL);
    cr_expect_eq(ok + interrupted, 5000, "every call either ran or was interrupted");
    cr_log_info("storm: %d of 5000 calls interrupted", interrupted);
    cr_expect_eq(__atomic_load_n(&s.inst->vmctx.interrupt, __ATOMIC_SEQ_CST), 0u,
                 "the mark ended with the last call");
    kiln_val r[1];
    uint32_t trap;
    export_call_slots(s.inst, "answer", r, &trap);
    cr_expect_eq(trap, KILN_TRAP_NONE);
    cr_expect_eq(r[0].i32, 42);
    kiln_instance_free(s.inst);
    kiln_linker_free(l);
    guest_unload(&g);
}
