/* signals.c - faults inside guard-page reservations become traps.
 *
 * Code compiled for guard pages (KILN_DESC_GUARD_PAGES) performs no bounds
 * check: an access past the committed part of a memory lands in its
 * PROT_NONE reservation and faults.  The handler turns such a fault, on a
 * thread that is running wasm, into KILN_TRAP_MEMORY_OUT_OF_BOUNDS; any
 * other fault goes to the handler that was installed before ours.
 *
 * The handler may not take locks, so reservations live in a fixed table of
 * atomics: a memory claims a free slot when it is reserved and clears it
 * when it is unmapped. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "runtime.h"

enum { MAX_RESERVATIONS = 4096 };

static _Atomic uintptr_t reservation_base[MAX_RESERVATIONS];
static _Atomic uint64_t reservation_size[MAX_RESERVATIONS];

static struct sigaction previous_segv, previous_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static bool address_reserved(uintptr_t addr) {
    for (int i = 0; i < MAX_RESERVATIONS; i++) {
        uintptr_t base = atomic_load(&reservation_base[i]);
        if (base && addr >= base && addr - base < atomic_load(&reservation_size[i])) return true;
    }
    return false;
}

/* Hands a fault that is not ours to whoever handled it before us. */
static void fault_chain(int sig, siginfo_t *info, void *uctx) {
    const struct sigaction *prev = sig == SIGSEGV ? &previous_segv : &previous_bus;
    if (prev->sa_flags & SA_SIGINFO) {
        prev->sa_sigaction(sig, info, uctx);
    } else if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
        /* Returning re-executes the access, which now faults fatally. */
        sigaction(sig, prev, NULL);
    } else {
        prev->sa_handler(sig);
    }
}

static void fault_handle(int sig, siginfo_t *info, void *uctx) {
    if (trap_running() && address_reserved((uintptr_t)info->si_addr)) {
        /* The jump leaves the handler for good: unblock the signal so the
         * next out-of-bounds access is caught too. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        trap_from_signal(KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    }
    fault_chain(sig, info, uctx);
}

static void handlers_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handle;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous_segv);
    sigaction(SIGBUS, &sa, &previous_bus);
}

bool signals_reservation_add(const void *base, uint64_t size) {
    pthread_once(&install_once, handlers_install);
    for (int i = 0; i < MAX_RESERVATIONS; i++) {
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&reservation_base[i], &expected, (uintptr_t)base)) {
            atomic_store(&reservation_size[i], size);
            return true;
        }
    }
    return false;
}

void signals_reservation_remove(const void *base) {
    for (int i = 0; i < MAX_RESERVATIONS; i++) {
        uintptr_t expected = (uintptr_t)base;
        if (atomic_compare_exchange_strong(&reservation_base[i], &expected, 0)) return;
    }
}
