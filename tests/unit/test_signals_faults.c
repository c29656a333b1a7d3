/* test_signals_faults.c - host faults inside a reservation stay host faults.
 *
 * A guard-page fault becomes a wasm trap only if its PC lies in the
 * generated code of a registered module (runtime/signals.c).
 * tests/unit/wat/host_fault.wat, compiled with guard pages, calls a host
 * import that reads linear memory at 1 GiB (inside the 8 GiB reservation,
 * past the one committed page), and reads that address itself.  The host's
 * read must kill the process with SIGSEGV, as it would without kiln; the
 * wasm read must trap "out of bounds memory access".  In three settings:
 *   (a) the module in a shared library that this test dlopens;
 *   (b) the module's object linked into this executable with the runtime,
 *       so host, runtime and module share one executable segment;
 *   (c) an executable made by `kiln build` from host_fault_wasi.wat, with
 *       faults/fault_writev.c linked in by `kiln build` itself (through
 *       $CC): WASI's fd_write reaches a writev that reads 1 GiB past its
 *       buffer.
 * Every case runs in a forked child (without core dumps), judged by its
 * wait status.  Also: instantiation refuses a guard-page module whose
 * generated code cannot be located and accepts those that need no region;
 * the handler runs on the alternate stack, so a host stack overflow under
 * wasm reaches the host's own handler. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln.h"

#if !defined(KILN_FAULT_SO) || !defined(KILN_FAULT_PROGRAM)
#error "KILN_FAULT_SO and KILN_FAULT_PROGRAM must name the built fixtures"
#endif

/* Objects of `kiln compile --prefix NAME`, linked into this executable. */
extern const kiln_module_desc fault_guard_module;    /* host_fault.wat */
extern const kiln_module_desc fault_explicit_module; /* host_fault.wat, explicit bounds */
extern const kiln_module_desc fault_no_code_module;  /* fault_no_code.wat */
extern const kiln_module_desc fault_no_memory_module; /* fault_no_memory.wat */

/* 1 GiB: in the reservation, far past the committed page.  The wasm side
 * of the `kiln build` case reads 16 bytes further, where fault_writev.c
 * reads (its buffer is at address 16). */
enum { FAULT_ADDRESS = 1 << 30 };

/* How a child that did not die of a signal ended. */
enum {
    CHILD_RETURNED = 20,
    CHILD_TRAPPED_OOB = 21, /* "out of bounds memory access" */
    CHILD_OTHER_TRAP = 22,
    CHILD_NO_INSTANCE = 23,
    HOST_HANDLER = 42,
};

/* ---- host functions ---- */

static uint32_t host_peek(void *env, kiln_instance *caller, const kiln_val *args,
                          kiln_val *results) {
    (void)env;
    const volatile uint8_t *base = kiln_memory_data(kiln_instance_memory(caller, 0));
    results[0].i32 = base[(uint32_t)args[0].i32]; /* the host bug */
    return KILN_TRAP_NONE;
}

/* Never ends: the depth test only keeps the compiler from seeing that. */
static int recurse_deep(int depth) {
    volatile char frame[4096];
    frame[0] = (char)depth;
    if (depth == -1) return 0;
    return recurse_deep(depth + 1) + frame[0]; /* not a tail call */
}

static uint32_t host_recurse(void *env, kiln_instance *caller, const kiln_val *args,
                             kiln_val *results) {
    (void)env, (void)caller, (void)args, (void)results;
    return recurse_deep(0) ? KILN_TRAP_NONE : KILN_TRAP_HOST;
}

static kiln_linker *host_linker(void) {
    static const uint8_t i32[] = {KILN_I32};
    kiln_signature peek = {1, 1, i32, i32}, none = {0, 0, NULL, NULL};
    kiln_linker *l = kiln_linker_new();
    if (!l || !kiln_linker_define_func(l, "host", "peek", &peek, host_peek, NULL) ||
        !kiln_linker_define_func(l, "host", "recurse", &none, host_recurse, NULL))
        _exit(90);
    return l;
}

/* ---- children ---- */

static int child_wait(pid_t pid) {
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static pid_t child_fork(void) {
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
    }
    return pid;
}

/* In a child: instantiates `d`, calls export `name` with `arg`, and exits
 * with how the call ended (if it ends). */
static int export_run(const kiln_module_desc *d, const char *name, uint32_t arg) {
    pid_t pid = child_fork();
    if (pid) return child_wait(pid);
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(d, host_linker(), &err);
    kiln_extern f;
    if (!inst || !kiln_instance_export(inst, name, &f)) _exit(CHILD_NO_INSTANCE);
    kiln_val slots[1] = {{.i32 = (int32_t)arg}};
    uint32_t trap = kiln_call(inst, f.of.func, slots);
    if (trap == KILN_TRAP_NONE) _exit(CHILD_RETURNED);
    bool oob = trap == KILN_TRAP_MEMORY_OUT_OF_BOUNDS &&
               strcmp(kiln_trap_message(), "out of bounds memory access") == 0;
    _exit(oob ? CHILD_TRAPPED_OOB : CHILD_OTHER_TRAP);
}

static void expect_killed_by_sigsegv(int status, const char *setting) {
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
              "%s: the host must die of SIGSEGV (exit %d, signal %d)", setting,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void expect_exit(int status, int code, const char *setting) {
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == code,
              "%s: expected exit %d (exit %d, signal %d)", setting, code,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The host's read of the reservation kills it; wasm's read of it traps. */
static void expect_host_dies_and_wasm_traps(const kiln_module_desc *d, const char *setting) {
    expect_killed_by_sigsegv(export_run(d, "host_reads", FAULT_ADDRESS), setting);
    expect_exit(export_run(d, "wasm_reads", FAULT_ADDRESS), CHILD_TRAPPED_OOB, setting);
    /* The committed page reads normally from both sides. */
    expect_exit(export_run(d, "host_reads", 8), CHILD_RETURNED, setting);
    expect_exit(export_run(d, "wasm_reads", 8), CHILD_RETURNED, setting);
}

/* ---- (a) and (b) ---- */

Test(faults, a_host_fault_in_a_reservation_kills_a_host_that_dlopens_the_module) {
    void *so = dlopen(KILN_FAULT_SO, RTLD_NOW | RTLD_LOCAL);
    cr_assert(so, "dlopen: %s", dlerror());
    const kiln_module_desc *d = dlsym(so, "fault_dl_module");
    cr_assert(d, "no fault_dl_module in %s", KILN_FAULT_SO);
    expect_host_dies_and_wasm_traps(d, "dlopen'ed module");
    dlclose(so);
}

Test(faults, a_host_fault_in_a_reservation_kills_a_host_linked_with_the_module) {
    expect_host_dies_and_wasm_traps(&fault_guard_module, "statically linked module");
}

/* ---- (c) ---- */

/* Runs the `kiln build` executable with `arg` (or none); its stderr goes
 * to `err_path`. */
static int program_run(const char *arg, const char *err_path) {
    pid_t pid = child_fork();
    if (pid) return child_wait(pid);
    int out = open("/dev/null", O_WRONLY), err = open(err_path, O_WRONLY | O_TRUNC);
    if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
        _exit(91);
    execl(KILN_FAULT_PROGRAM, KILN_FAULT_PROGRAM, arg, (char *)NULL);
    _exit(92);
}

static bool file_contains(const char *path, const char *text) {
    char buf[4096] = "";
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

Test(faults, a_wasi_fault_in_a_reservation_kills_a_kiln_build_executable) {
    char err_path[] = "/tmp/kiln-faults-stderr-XXXXXX";
    int fd = mkstemp(err_path);
    cr_assert(fd >= 0);
    close(fd);
    /* fd_write -> writev reads 1 GiB past its buffer: the program dies. */
    int status = program_run(NULL, err_path);
    expect_killed_by_sigsegv(status, "kiln build executable, WASI");
    cr_expect_not(file_contains(err_path, "trap"), "no trap may be reported");
    /* The wasm code reads the same address: a trap, status 134. */
    status = program_run("wasm", err_path);
    expect_exit(status, 134, "kiln build executable, wasm");
    cr_expect(file_contains(err_path, "out of bounds memory access"));
    unlink(err_path);
}

/* ---- stack overflow and the alternate stack ---- */

static void host_handler(int sig) {
    (void)sig;
    _exit(HOST_HANDLER);
}

/* A host function that overflows the thread's stack under wasm faults on
 * the stack's guard page, in no reservation: kiln's handler, running on
 * the alternate stack kiln gave the thread, passes it to the handler the
 * host installed before (which runs there too).  Without the alternate
 * stack no handler could run and the child would die of SIGSEGV. */
Test(faults, a_host_stack_overflow_under_wasm_reaches_the_host_handler) {
    pid_t pid = child_fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = host_handler;
        sa.sa_flags = SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, NULL);
        kiln_instance *inst = kiln_instantiate(&fault_guard_module, host_linker(), NULL);
        struct sigaction now;
        sigaction(SIGSEGV, NULL, &now);
        if (!inst || !(now.sa_flags & SA_ONSTACK) || now.sa_handler == host_handler) _exit(93);
        kiln_extern f;
        if (!kiln_instance_export(inst, "host_overflows", &f)) _exit(CHILD_NO_INSTANCE);
        kiln_val slots[1];
        _exit(kiln_call(inst, f.of.func, slots) ? CHILD_OTHER_TRAP : CHILD_RETURNED);
    }
    expect_exit(child_wait(pid), HOST_HANDLER, "host stack overflow");
}

/* ---- instantiation: which modules need their code located ---- */

/* `d` with one function entry moved to the heap, where no object maps it:
 * its region cannot be proved. */
static kiln_module_desc unlocatable(const kiln_module_desc *d, void *heap, void **code) {
    kiln_module_desc copy = *d;
    memcpy(code, d->func_code, d->num_defined_funcs * sizeof *code);
    code[0] = heap;
    copy.func_code = code;
    return copy;
}

Test(faults, a_guard_module_whose_code_cannot_be_located_is_refused) {
    void *heap = malloc(64), *code[8];
    cr_assert_leq(fault_guard_module.num_defined_funcs, 8);
    kiln_module_desc d = unlocatable(&fault_guard_module, heap, code);
    kiln_linker *l = host_linker();
    kiln_instantiate_error err;
    cr_expect_null(kiln_instantiate(&d, l, &err));
    cr_expect_eq(err.kind, KILN_INST_BAD_MODULE);
    cr_expect(strstr(err.message, "generated code could not be located") &&
                  strstr(err.message, "--bounds-checks=explicit"),
              "message: %s", err.message);
    /* The same module compiled with explicit checks does not need it. */
    cr_assert_leq(fault_explicit_module.num_defined_funcs, 8);
    d = unlocatable(&fault_explicit_module, heap, code);
    kiln_instance *inst = kiln_instantiate(&d, l, &err);
    cr_expect(inst, "explicit mode: %s", err.message);
    kiln_instance_free(inst);
    kiln_linker_free(l);
    free(heap);
}

Test(faults, guard_modules_without_code_or_without_memory_need_no_region) {
    kiln_linker *l = host_linker();
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(&fault_no_code_module, l, &err);
    cr_expect(inst, "no defined function: %s", err.message);
    kiln_instance_free(inst);
    void *heap = malloc(64), *code[1];
    cr_assert_eq(fault_no_memory_module.num_defined_funcs, 1);
    kiln_module_desc d = unlocatable(&fault_no_memory_module, heap, code);
    inst = kiln_instantiate(&d, l, &err);
    cr_expect(inst, "no memory: %s", err.message);
    kiln_instance_free(inst);
    kiln_instance *real = kiln_instantiate(&fault_no_memory_module, l, &err);
    kiln_extern f;
    kiln_val slots[1];
    cr_assert(real && kiln_instance_export(real, "seven", &f), "%s", err.message);
    cr_expect_eq(kiln_call(real, f.of.func, slots), KILN_TRAP_NONE);
    cr_expect_eq(slots[0].i32, 7);
    kiln_instance_free(real);
    kiln_linker_free(l);
    free(heap);
}
