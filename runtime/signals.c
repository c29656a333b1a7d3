/* signals.c - faults inside guard-page reservations become traps.
 *
 * Code compiled for guard pages (KILN_DESC_GUARD_PAGES) performs no bounds
 * check: an access past the committed part of a memory lands in its
 * PROT_NONE reservation and faults.  The handler turns such a fault, on a
 * thread that is running wasm, into KILN_TRAP_MEMORY_OUT_OF_BOUNDS; any
 * other fault goes to the handler that was installed before ours.
 *
 * A fault becomes a trap only if it happened in kiln-compiled code (the
 * faulting PC lies in the executable segments of an object whose module
 * was instantiated) AND at an address inside a reservation: a
 * bug in the runtime or the host that touches a reservation still crashes
 * normally.  The code ranges come from the program headers of the object
 * that maps the module's first function, so the compiler emits nothing
 * extra.
 *
 * The handler may not take locks, so reservations live in a fixed table of
 * atomics: a memory claims a free slot when it is reserved and clears it
 * when it is unmapped.  Code ranges are only ever added (an unloaded
 * object's range stays; it still needs a reservation address to match). */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <ucontext.h>
#include <stdatomic.h>
#include <string.h>

#include "runtime.h"

enum { MAX_RESERVATIONS = 4096 };

static _Atomic uintptr_t reservation_base[MAX_RESERVATIONS];
static _Atomic uint64_t reservation_size[MAX_RESERVATIONS];

enum { MAX_CODE_RANGES = 1024 };

static _Atomic uintptr_t code_begin[MAX_CODE_RANGES];
static _Atomic uintptr_t code_end[MAX_CODE_RANGES];
static pthread_mutex_t code_lock = PTHREAD_MUTEX_INITIALIZER;

static struct sigaction previous_segv, previous_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static bool address_reserved(uintptr_t addr) {
    for (int i = 0; i < MAX_RESERVATIONS; i++) {
        uintptr_t base = atomic_load(&reservation_base[i]);
        if (base && addr >= base && addr - base < atomic_load(&reservation_size[i])) return true;
    }
    return false;
}

static bool pc_in_code(uintptr_t pc) {
    for (int i = 0; i < MAX_CODE_RANGES; i++) {
        uintptr_t end = atomic_load(&code_end[i]);
        if (!end) return false; /* slots fill in order */
        if (pc >= atomic_load(&code_begin[i]) && pc < end) return true;
    }
    return false;
}

static uintptr_t fault_pc(void *uctx) {
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0; /* unknown layout: no fault is ever taken for a trap */
#endif
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
    if (trap_running() && address_reserved((uintptr_t)info->si_addr) && pc_in_code(fault_pc(uctx))) {
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

/* ---- code ranges ------------------------------------------------------------ */

static void code_range_add(uintptr_t begin, uintptr_t end) {
    int i = 0;
    for (; i < MAX_CODE_RANGES && atomic_load(&code_end[i]); i++)
        if (atomic_load(&code_begin[i]) == begin && atomic_load(&code_end[i]) == end) return;
    if (i == MAX_CODE_RANGES) return;
    /* begin first: a reader that sees the end sees a complete range. */
    atomic_store(&code_begin[i], begin);
    atomic_store(&code_end[i], end);
}

typedef struct code_search {
    uintptr_t addr; /* a compiled function: whichever object maps it is ours */
    bool found;
} code_search;

static bool object_maps(const struct dl_phdr_info *info, uintptr_t addr) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t begin = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= begin && addr - begin < ph->p_memsz) return true;
    }
    return false;
}

static int phdrs_visit(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    code_search *s = arg;
    if (!object_maps(info, s->addr)) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t begin = info->dlpi_addr + ph->p_vaddr;
        code_range_add(begin, begin + ph->p_memsz);
        s->found = true;
    }
    return 1;
}

/* Registers the executable segments of the object that defines `code`
 * (for a program linked statically with the runtime that includes the
 * runtime's own code: the address check still applies). */
bool signals_code_add(const void *code) {
    code_search s = {(uintptr_t)code, false};
    pthread_mutex_lock(&code_lock);
    dl_iterate_phdr(phdrs_visit, &s);
    pthread_mutex_unlock(&code_lock);
    return s.found;
}
