/* signals.c - faults inside guard-page reservations become traps.
 *
 * Code compiled for guard pages (KILN_DESC_GUARD_PAGES) performs no bounds
 * check: an access past the committed part of a memory lands in its
 * PROT_NONE reservation and faults.  The handler turns such a fault, on a
 * thread that is running wasm, into KILN_TRAP_MEMORY_OUT_OF_BOUNDS; any
 * other fault goes to the handler that was installed before ours.
 *
 * A fault becomes a trap only if the faulting PC lies in the generated
 * code of a registered module (its region, see "generated-code regions"
 * below) AND the address inside a reservation: a bug in the runtime, WASI
 * or the host that touches a reservation still crashes normally, even
 * when they are linked into one executable with the module.
 *
 * The handler may not take locks, so reservations and regions live in
 * fixed tables of atomics: a memory claims a free slot when it is
 * reserved and clears it when it is unmapped; a module's region lives
 * as long as one of its instances. */
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

static struct sigaction previous_segv, previous_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static bool address_reserved(uintptr_t addr) {
    for (int i = 0; i < MAX_RESERVATIONS; i++) {
        uintptr_t base = atomic_load(&reservation_base[i]);
        if (base && addr >= base && addr - base < atomic_load(&reservation_size[i])) return true;
    }
    return false;
}

static bool pc_generated(uintptr_t pc);

static uintptr_t fault_pc(void *uctx) {
    const ucontext_t *uc = uctx;
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)uc->uc_mcontext.pc;
#elif defined(__riscv) && __riscv_xlen == 64
    return (uintptr_t)uc->uc_mcontext.__gregs[REG_PC];
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
    if (trap_running() && address_reserved((uintptr_t)info->si_addr) && pc_generated(fault_pc(uctx))) {
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

/* ---- interrupts: a signal instead of a check in the generated code ----------
 *
 * Generated code contains no interrupt check.  kiln_instance_interrupt()
 * marks the instance (vmctx->interrupt) and sends KILN_INTERRUPT_SIGNAL
 * to every thread that has entered it; kiln_thread_interrupt() marks a
 * thread for everything it runs.  The handler traps only when the
 * interrupted PC is inside a module's generated functions (which hold no
 * locks and keep no state a jump could tear); anywhere else (runtime,
 * host function, libc) it returns and the pump thread signals again every
 * RESIGNAL_NS until the call has trapped or returned.  call.c also checks
 * at every entry into wasm and wherever a host function returns to wasm.
 *
 * Everything the handler reads lives in fixed tables of atomics: the
 * thread records below and the generated-code regions further down. */
#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { MAX_THREADS = 1024, MAX_NEST = 64, RESIGNAL_NS = 2 * 1000 * 1000 };

struct kiln_thread {
    _Atomic pid_t tid;           /* kernel thread id; 0: free record */
    _Atomic uint32_t depth;      /* host->wasm entries in progress */
    _Atomic(kiln_instance *) entered[MAX_NEST]; /* the instance of each entry */
    _Atomic uint32_t interrupted; /* kiln_thread_interrupt, until cleared */
    _Atomic uint32_t pending;    /* signalled, and not yet trapped or returned */
};

static kiln_thread threads[MAX_THREADS];
static _Thread_local kiln_thread *self_thread;
static pthread_key_t thread_key;
static pthread_once_t interrupt_once = PTHREAD_ONCE_INIT;
static struct sigaction previous_urg;
static sem_t pump_wake;
static _Atomic bool pump_running;
static pthread_mutex_t pump_lock = PTHREAD_MUTEX_INITIALIZER;
/* si_value of our own signals, so a SIGURG from anyone else is chained. */
static const char interrupt_tag = 'k';

static pid_t thread_id(void) { return (pid_t)syscall(SYS_gettid); }

static uint32_t instance_flag(kiln_instance *inst) {
    return __atomic_load_n(&inst->vmctx.interrupt, __ATOMIC_SEQ_CST);
}

/* True if `t` must stop: the thread itself or an instance it entered is
 * marked.  Instances on the entry stack are alive while their call runs. */
static bool thread_must_stop(kiln_thread *t) {
    if (atomic_load(&t->interrupted)) return true;
    uint32_t depth = atomic_load(&t->depth);
    for (uint32_t i = 0; i < depth && i < MAX_NEST; i++) {
        kiln_instance *inst = atomic_load(&t->entered[i]);
        if (inst && instance_flag(inst)) return true;
    }
    return false;
}

/* rt_tgsigqueueinfo rather than tgkill: the tag in si_value tells our
 * signal from a SIGURG sent by anyone else.  Async-signal-safe. */
static void thread_signal(pid_t tid) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = KILN_INTERRUPT_SIGNAL;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_ptr = (void *)&interrupt_tag;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, KILN_INTERRUPT_SIGNAL, &si);
}

static bool signal_is_ours(const siginfo_t *info) {
    return info->si_code == SI_QUEUE && info->si_pid == getpid() &&
           info->si_value.sival_ptr == (void *)&interrupt_tag;
}

static void urg_chain(int sig, siginfo_t *info, void *uctx) {
    if (previous_urg.sa_flags & SA_SIGINFO) previous_urg.sa_sigaction(sig, info, uctx);
    else if (previous_urg.sa_handler != SIG_DFL && previous_urg.sa_handler != SIG_IGN)
        previous_urg.sa_handler(sig);
    /* SIG_DFL and SIG_IGN both ignore SIGURG. */
}

/* Whether the unwinder can walk out of generated code stopped at `pc`.
 * tailcc callees pop an argument area of their own (8 bytes even with
 * no stack arguments), and the caller takes it back with a `sub rsp`
 * right after the call.  LLVM's call-frame information is exact at call
 * sites only (what exceptions need), so with the IP on that `sub` the
 * unwinder's CFA is 8 bytes off, it reads a spilled wasm value as the
 * return address, and libgcc's signal-frame check dereferences it: the
 * host crashed inside the trap's backtrace.  An interrupt arriving there
 * waits for the pump's next signal instead (the next instruction is
 * safe again, and a loop cannot be made of this one alone).  Faults
 * never stop there: the `sub` touches no memory. */
static bool pc_unwindable(uintptr_t pc) {
#if defined(__x86_64__)
    const uint8_t *insn = (const uint8_t *)pc;
    bool sub_rsp = insn[0] == 0x48 && (insn[1] == 0x83 || insn[1] == 0x81) && insn[2] == 0xec;
    return !sub_rsp;
#else
    (void)pc;
    return true;
#endif
}

static void interrupt_handle(int sig, siginfo_t *info, void *uctx) {
    int saved_errno = errno;
    if (!signal_is_ours(info)) {
        urg_chain(sig, info, uctx);
    } else {
        kiln_thread *t = self_thread;
        uintptr_t pc = fault_pc(uctx);
        if (t && trap_running() && thread_must_stop(t) && pc_generated(pc) && pc_unwindable(pc)) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, sig);
            pthread_sigmask(SIG_UNBLOCK, &set, NULL);
            trap_from_signal(KILN_TRAP_INTERRUPTED);
        }
        /* Elsewhere: the mark stays, the pump signals again. */
    }
    errno = saved_errno;
}

/* Signals every thread with an undelivered interrupt that still runs wasm,
 * every RESIGNAL_NS, until there is none; then sleeps until woken. */
static void *pump_run(void *unused) {
    (void)unused;
    for (;;) {
        while (sem_wait(&pump_wake) != 0 && errno == EINTR) {}
        bool any = true;
        while (any) {
            struct timespec ts = {0, RESIGNAL_NS};
            nanosleep(&ts, NULL);
            any = false;
            for (int i = 0; i < MAX_THREADS; i++) {
                kiln_thread *t = &threads[i];
                pid_t tid = atomic_load(&t->tid);
                if (!tid || !atomic_load(&t->pending) || !atomic_load(&t->depth)) continue;
                thread_signal(tid);
                any = true;
            }
        }
    }
    return NULL;
}

/* The pump starts with the first thread that enters wasm, so
 * kiln_*_interrupt never has to create a thread (and stays
 * async-signal-safe); it blocks every signal. */
static void pump_start(void) {
    pthread_mutex_lock(&pump_lock);
    if (!atomic_load(&pump_running)) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t p;
        if (pthread_create(&p, NULL, pump_run, NULL) == 0) {
            pthread_detach(p);
            atomic_store(&pump_running, true);
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_mutex_unlock(&pump_lock);
}

static void pump_wake_up(void) { sem_post(&pump_wake); }

static void thread_release(void *record) {
    kiln_thread *t = record;
    atomic_store(&t->pending, 0);
    atomic_store(&t->interrupted, 0);
    atomic_store(&t->tid, 0);
}

/* A forked child has only the forking thread and no pump. */
static void interrupt_after_fork(void) {
    atomic_store(&pump_running, false);
    pthread_mutex_init(&pump_lock, NULL);
    for (int i = 0; i < MAX_THREADS; i++)
        if (&threads[i] != self_thread) atomic_store(&threads[i].tid, 0);
    if (self_thread) atomic_store(&self_thread->tid, thread_id());
}

static void interrupt_install(void) {
    sem_init(&pump_wake, 0, 0);
    pthread_key_create(&thread_key, thread_release);
    pthread_atfork(NULL, NULL, interrupt_after_fork);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = interrupt_handle;
    /* SA_RESTART: a host function blocked in read() when a signal
     * arrives goes on reading instead of failing with EINTR. */
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(KILN_INTERRUPT_SIGNAL, &sa, &previous_urg);
}

kiln_thread *kiln_thread_current(void) {
    if (self_thread) return self_thread;
    pthread_once(&interrupt_once, interrupt_install);
    pid_t tid = thread_id();
    for (int i = 0; i < MAX_THREADS; i++) {
        pid_t expected = 0;
        if (atomic_compare_exchange_strong(&threads[i].tid, &expected, tid)) {
            self_thread = &threads[i];
            pthread_setspecific(thread_key, self_thread);
            break;
        }
    }
    if (!atomic_load(&pump_running)) pump_start();
    return self_thread; /* NULL: table full, this thread is not tracked */
}

bool interrupt_enter(kiln_thread *t, kiln_instance *inst) {
    if (inst) __atomic_fetch_add(&inst->running, 1, __ATOMIC_SEQ_CST);
    if (!t) return true;
    uint32_t depth = atomic_load(&t->depth);
    if (depth < MAX_NEST) atomic_store(&t->entered[depth], inst);
    atomic_store(&t->depth, depth + 1);
    return !thread_must_stop(t);
}

/* The instance's mark ends with its last call in progress, so an
 * interrupt never outlives the calls it was aimed at. */
void interrupt_leave(kiln_thread *t, kiln_instance *inst) {
    if (t) {
        uint32_t depth = atomic_load(&t->depth) - 1;
        if (depth < MAX_NEST) atomic_store(&t->entered[depth], NULL);
        atomic_store(&t->depth, depth);
        if (!depth || !thread_must_stop(t)) atomic_store(&t->pending, 0);
    }
    if (inst) group_call_leave(inst); /* last: the instance may be freed (group.c) */
}

bool interrupt_requested(void) {
    kiln_thread *t = self_thread;
    return t && atomic_load(&t->depth) && thread_must_stop(t);
}

static bool thread_entered(kiln_thread *t, const kiln_instance *inst) {
    uint32_t depth = atomic_load(&t->depth);
    for (uint32_t i = 0; i < depth && i < MAX_NEST; i++)
        if (atomic_load(&t->entered[i]) == inst) return true;
    return false;
}

void kiln_instance_interrupt(kiln_instance *inst) {
    __atomic_store_n(&inst->vmctx.interrupt, 1u, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&inst->running, __ATOMIC_SEQ_CST) == 0) {
        /* No call in progress: nothing to interrupt (see kiln.h). */
        uint32_t one = 1;
        __atomic_compare_exchange_n(&inst->vmctx.interrupt, &one, 0u, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
        return;
    }
    bool any = false;
    for (int i = 0; i < MAX_THREADS; i++) {
        kiln_thread *t = &threads[i];
        pid_t tid = atomic_load(&t->tid);
        if (!tid || !thread_entered(t, inst)) continue;
        atomic_store(&t->pending, 1);
        thread_signal(tid);
        any = true;
    }
    if (any) pump_wake_up();
}

void kiln_instance_interrupt_clear(kiln_instance *inst) {
    __atomic_store_n(&inst->vmctx.interrupt, 0u, __ATOMIC_SEQ_CST);
}

void kiln_thread_interrupt(kiln_thread *t) {
    if (!t) return;
    atomic_store(&t->interrupted, 1);
    atomic_store(&t->pending, 1);
    pid_t tid = atomic_load(&t->tid);
    if (tid && atomic_load(&t->depth)) {
        thread_signal(tid);
        pump_wake_up();
    }
}

void kiln_thread_interrupt_clear(kiln_thread *t) {
    if (t) atomic_store(&t->interrupted, 0);
}

bool kiln_thread_in_wasm(const kiln_thread *t) {
    return t && atomic_load(&((kiln_thread *)t)->depth) > 0;
}

/* ---- generated-code regions: where a fault or an interrupt may trap -------------
 *
 * A guard-page fault becomes a trap, and an interrupt may jump, only out of
 * a module's own generated functions, never out of runtime, WASI or host
 * code that an executable links next to them.  The region of a module is
 * computed from its descriptor: it starts at the lowest of its function,
 * trampoline and thunk addresses and ends where the highest one ends (the
 * range of its unwind entry; without one, at the next function).  Every
 * generated function has an unwind entry, and so has every C function
 * around them, so the .eh_frame_hdr table both finds that end and proves
 * the region holds nothing else (any unwind entry inside it must start at
 * one of the descriptor's functions, trampolines or thunks).  A module
 * whose region cannot be proved is not registered: its interrupts are
 * taken only where call.c checks, and instance.c refuses it in guard mode
 * (its out-of-bounds accesses could not trap). */

enum { MAX_REGIONS = 1024 };

static _Atomic(const kiln_module_desc *) region_desc[MAX_REGIONS];
static _Atomic uintptr_t region_begin[MAX_REGIONS];
static _Atomic uintptr_t region_end[MAX_REGIONS];
static uint32_t region_refs[MAX_REGIONS]; /* under region_lock */
static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;

static bool pc_generated(uintptr_t pc) {
    for (int i = 0; i < MAX_REGIONS; i++) {
        uintptr_t end = atomic_load(&region_end[i]);
        if (end && pc >= atomic_load(&region_begin[i]) && pc < end) return true;
    }
    return false;
}

typedef struct region_search {
    const uintptr_t *entries; /* sorted */
    size_t count;
    uintptr_t end; /* 0: not proved */
} region_search;

static int entry_cmp(const void *a, const void *b) {
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static bool entry_known(const region_search *s, uintptr_t addr) {
    return bsearch(&addr, s->entries, s->count, sizeof addr, entry_cmp) != NULL;
}

/* The sorted function start addresses of .eh_frame_hdr (version 1,
 * 4-byte count, datarel sdata4 table: what every ELF linker writes). */
static const int32_t *fde_table(const struct dl_phdr_info *info, const uint8_t **hdr_out,
                                uint32_t *count) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_GNU_EH_FRAME) continue;
        const uint8_t *hdr = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        if (hdr[0] != 1 || (hdr[1] & 0x0f) != 0x0b || hdr[2] != 0x03 || hdr[3] != 0x3b)
            return NULL;
        memcpy(count, hdr + 8, 4);
        *hdr_out = hdr;
        return (const int32_t *)(hdr + 12);
    }
    return NULL;
}

/* Size in bytes of a DW_EH_PE value of encoding `enc`; 0 for one we do not
 * read (LEB128, omitted). */
static size_t eh_value_size(uint8_t enc) {
    switch (enc & 0x0f) {
    case 0x00: return sizeof(void *);  /* absptr */
    case 0x02: case 0x0a: return 2;    /* udata2, sdata2 */
    case 0x03: case 0x0b: return 4;    /* udata4, sdata4 */
    case 0x04: case 0x0c: return 8;    /* udata8, sdata8 */
    default: return 0;
    }
}

static const uint8_t *leb128_skip(const uint8_t *p) {
    while (*p++ & 0x80) {}
    return p;
}

/* The address encoding of an FDE, from its CIE's 'R' augmentation; -1
 * if the CIE holds something we do not parse. */
static int fde_encoding(const uint8_t *fde) {
    uint32_t back, cie_length, cie_id;
    memcpy(&back, fde + 4, 4);
    const uint8_t *cie = fde + 4 - back, *p = cie + 9;
    memcpy(&cie_length, cie, 4);
    memcpy(&cie_id, cie + 4, 4);
    if (cie_length == 0xffffffffu || cie_id != 0) return -1;
    uint8_t version = cie[8];
    const char *aug = (const char *)p;
    p += strlen(aug) + 1;
    if (!aug[0]) return 0; /* absptr */
    if (aug[0] != 'z') return -1;
    p = leb128_skip(leb128_skip(p)); /* code and data alignment */
    p = version == 1 ? p + 1 : leb128_skip(p); /* return address register */
    p = leb128_skip(p);                          /* augmentation data length */
    for (const char *c = aug + 1; *c; c++) {
        if (*c == 'R') return *p;
        if (*c == 'L') p++;
        else if (*c == 'P' && eh_value_size(*p)) p += 1 + eh_value_size(*p);
        else if (*c != 'S' && *c != 'B') return -1;
    }
    return 0;
}

/* Where the function of `fde` (starting at `start`) ends, or 0. */
static uintptr_t fde_end(const uint8_t *fde, uintptr_t start) {
    uint32_t length;
    memcpy(&length, fde, 4);
    int enc = length != 0xffffffffu ? fde_encoding(fde) : -1;
    size_t n = enc < 0 ? 0 : eh_value_size((uint8_t)enc);
    if (!n) return 0;
    uint64_t range = 0;
    if (n == 2) { uint16_t v; memcpy(&v, fde + 8 + n, 2); range = v; }
    else if (n == 4) { uint32_t v; memcpy(&v, fde + 8 + n, 4); range = v; }
    else memcpy(&range, fde + 8 + n, 8);
    return range ? start + (uintptr_t)range : 0;
}

/* End of the region inside a segment that ends at seg_end, or 0. */
static uintptr_t region_prove(const struct dl_phdr_info *info, const region_search *s,
                              uintptr_t seg_end) {
    const uint8_t *hdr;
    uint32_t count;
    const int32_t *table = fde_table(info, &hdr, &count);
    if (!table) return 0;
    uintptr_t first = s->entries[0], last = s->entries[s->count - 1], end = seg_end, last_end = 0;
    for (uint32_t i = 0; i < count; i++) {
        uintptr_t start = (uintptr_t)(hdr + table[2 * i]);
        if (start == last) last_end = fde_end(hdr + table[2 * i + 1], start);
        if (start <= first || start >= end) continue;
        if (start > last) end = start;
        else if (!entry_known(s, start)) return 0; /* foreign code in between */
    }
    /* Code that follows without an unwind entry of its own stays outside. */
    return last_end > last && last_end < end ? last_end : end;
}

static int region_visit(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    region_search *s = arg;
    uintptr_t first = s->entries[0], last = s->entries[s->count - 1];
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t begin = info->dlpi_addr + ph->p_vaddr, end = begin + ph->p_memsz;
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || first < begin || first >= end)
            continue;
        if (last < end) s->end = region_prove(info, s, end);
        return 1;
    }
    return 0;
}

/* The runtime's own code must never fall inside a module's region. */
static bool region_excludes_runtime(uintptr_t begin, uintptr_t end) {
    const uintptr_t runtime[] = {(uintptr_t)kiln_rt_call_host, (uintptr_t)kiln_rt_trap,
                                 (uintptr_t)trap_protect, (uintptr_t)interrupt_handle};
    for (size_t i = 0; i < sizeof runtime / sizeof runtime[0]; i++)
        if (runtime[i] >= begin && runtime[i] < end) return false;
    return true;
}

static bool region_compute(const kiln_module_desc *d, uintptr_t *begin, uintptr_t *end) {
    size_t n = 3 * (size_t)d->num_defined_funcs + d->num_imported_funcs, k = 0;
    if (!n) return false;
    uintptr_t *entries = malloc(n * sizeof *entries);
    if (!entries) return false;
    for (uint32_t i = 0; i < d->num_defined_funcs; i++) {
        /* no entry stub (NULL) for a function no reference can name */
        if (d->func_code[i]) entries[k++] = (uintptr_t)d->func_code[i];
        entries[k++] = (uintptr_t)d->func_trampolines[i];
        /* the body a stub jumps to; hand-written descriptors have none */
        uintptr_t body = d->func_bodies ? (uintptr_t)d->func_bodies[i] : (uintptr_t)d->func_code[i];
        if (body) entries[k++] = body;
    }
    for (uint32_t i = 0; i < d->num_imported_funcs; i++) entries[k++] = (uintptr_t)d->import_thunks[i];
    n = k;
    qsort(entries, n, sizeof *entries, entry_cmp);
    region_search s = {entries, n, 0};
    dl_iterate_phdr(region_visit, &s);
    *begin = entries[0];
    *end = s.end;
    free(entries);
    return *end && region_excludes_runtime(*begin, *end);
}

static int region_slot(const kiln_module_desc *d) {
    for (int i = 0; i < MAX_REGIONS; i++)
        if (atomic_load(&region_desc[i]) == d) return i;
    return -1;
}

bool signals_module_add(const kiln_module_desc *d) {
    pthread_mutex_lock(&region_lock);
    int i = region_slot(d);
    uintptr_t begin, end;
    if (i >= 0) region_refs[i]++;
    else if (region_compute(d, &begin, &end) && (i = region_slot(NULL)) >= 0) {
        atomic_store(&region_desc[i], d);
        atomic_store(&region_begin[i], begin);
        atomic_store(&region_end[i], end); /* last: the handler reads end first */
        region_refs[i] = 1;
    }
    pthread_mutex_unlock(&region_lock);
    return i >= 0;
}

void signals_module_remove(const kiln_module_desc *d) {
    pthread_mutex_lock(&region_lock);
    int i = region_slot(d);
    if (i >= 0 && --region_refs[i] == 0) {
        atomic_store(&region_end[i], 0);
        atomic_store(&region_begin[i], 0);
        atomic_store(&region_desc[i], NULL);
    }
    pthread_mutex_unlock(&region_lock);
}
