/* test_signals.c - routing of faults (runtime/signals.c): only a fault in
 * kiln-compiled code at an address inside a guard reservation becomes a
 * trap; every other fault reaches the handler installed before kiln's.
 *
 * Each case runs in a forked child, since it installs handlers, registers
 * code ranges for good and may die on the signal. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"

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
    kiln_memtype type = {{1, 1, true}, false};
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
    /* Treat this test program's own code as compiled wasm. */
    if (!signals_code_add((const void *)(uintptr_t)touch)) _exit(12);
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
    if (!signals_code_add((const void *)(uintptr_t)touch)) _exit(12);
    fault_address = (uintptr_t)m->rt.base + KILN_PAGE_SIZE;
    touch(NULL); /* not under trap_protect: nowhere to deliver a trap */
    _exit(11);
}

Test(signals, a_fault_outside_any_wasm_call_reaches_the_previous_handler) {
    int status = in_child(fault_outside_wasm_call);
    cr_assert(WIFEXITED(status));
    cr_expect_eq(WEXITSTATUS(status), HOST_HANDLER_STATUS);
}

Test(signals, only_addresses_inside_a_loaded_object_register_code) {
    int on_heap;
    int *heap = malloc(sizeof *heap);
    cr_expect(signals_code_add((const void *)(uintptr_t)touch));
    cr_expect_not(signals_code_add(heap));
    cr_expect_not(signals_code_add(&on_heap), "a stack address is in no object");
    free(heap);
}
