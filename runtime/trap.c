/* trap.c - trap delivery, trap messages and the stack limit.
 *
 * Every entry from the host into wasm goes through trap_protect(), which
 * pushes a jump buffer for this thread; kiln_rt_trap() longjmps to the
 * innermost one.  Generated code checks the stack limit explicitly and
 * calls kiln_rt_trap(); in guard-page mode an out-of-bounds access
 * faults, and an interrupt arrives as a signal: signals.c jumps from the
 * handler.
 *
 * The stack limit is computed at the outermost entry of a thread (nested
 * host -> wasm -> host -> wasm calls keep it, so the budget is for the
 * whole chain) and kept in kiln_rt_stack_limit, a thread-local variable
 * that generated code reads before every frame it allocates (lower.c), so
 * threads running wasm at the same time never see each other's limit;
 * code compiled above -O0 reads kiln_rt_stack_limit_small, the same limit
 * plus KILN_SMALL_FRAME_MAX, instead.
 *
 * A trap records its backtrace before the jump (backtrace.c walks the
 * stack down to the innermost entry's frame) and names it after. */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

enum {
    DEFAULT_BUDGET = 1u << 20,
    /* Room kept free at the end of the thread's stack for the trap path,
     * host callbacks made near the limit, and the host's own frames. */
    SAFETY_MARGIN = 256u << 10,
    /* The least room below the limit: the largest generated frame no
     * check covers (a trampoline entering wasm, a stub, an import thunk;
     * the compiler refuses bigger ones), below it a small leaf's stub and
     * body, which make no check (at most KILN_LEAF_FRAME_MAX each), plus
     * the trap path (kiln_rt_trap, the unwinder) and a runtime helper.  A
     * stack with less room than this left is not entered at all. */
    MIN_MARGIN = KILN_UNCHECKED_FRAME_MAX + 2 * KILN_LEAF_FRAME_MAX + (32u << 10),
    MIN_ROOM = 16u << 10, /* for wasm itself, above the limit */
};
_Static_assert(SAFETY_MARGIN >= MIN_MARGIN, "the usual margin covers the unchecked frames");

typedef struct trap_thread {
    sigjmp_buf *jump; /* innermost entry's buffer; NULL outside wasm */
    uintptr_t entry;  /* innermost entry's frame: where a backtrace ends */
    uint32_t depth;  /* nested entries on this thread */
    uintptr_t limit; /* stack limit of the outermost entry */
    size_t budget;   /* 0: DEFAULT_BUDGET */
    bool bounds_known;
    uintptr_t low, high; /* this thread's stack [low, high); low 0 if unknown */
    bool host_message_set;
    char message[512]; /* an unknown import's trap names it: names run to 200 bytes */
} trap_thread;

static _Thread_local trap_thread self;

__attribute__((tls_model("initial-exec"))) _Thread_local uintptr_t kiln_rt_stack_limit;
__attribute__((tls_model("initial-exec"))) _Thread_local uintptr_t kiln_rt_stack_limit_small;

static const char *const trap_texts[KILN_TRAP_KIND_COUNT] = {
    [KILN_TRAP_NONE] = "no trap",
    [KILN_TRAP_UNREACHABLE] = "unreachable",
    [KILN_TRAP_MEMORY_OUT_OF_BOUNDS] = "out of bounds memory access",
    [KILN_TRAP_INTEGER_DIVIDE_BY_ZERO] = "integer divide by zero",
    [KILN_TRAP_INTEGER_OVERFLOW] = "integer overflow",
    [KILN_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
    [KILN_TRAP_UNDEFINED_ELEMENT] = "undefined element",
    [KILN_TRAP_UNINITIALIZED_ELEMENT] = "uninitialized element",
    [KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH] = "indirect call type mismatch",
    [KILN_TRAP_TABLE_OUT_OF_BOUNDS] = "out of bounds table access",
    [KILN_TRAP_CALL_STACK_EXHAUSTED] = "call stack exhausted",
    [KILN_TRAP_INTERRUPTED] = "interrupted",
    [KILN_TRAP_HOST] = "host trap",
    [KILN_TRAP_NULL_REFERENCE] = "null reference",
    [KILN_TRAP_EXIT] = "exit",
    [KILN_TRAP_UNALIGNED_ATOMIC] = "unaligned atomic",
    [KILN_TRAP_WAIT_UNSHARED] = "expected shared memory",
    [KILN_TRAP_NULL_FUNCTION_REFERENCE] = "null function reference",
    [KILN_TRAP_EXCEPTION] = "uncaught exception",
    [KILN_TRAP_EXCEPTION_LIMIT] = "too many live exceptions",
};

const char *kiln_trap_kind_text(uint32_t kind) {
    if (kind == KILN_EXPORT_MISSING) return "the instance has no such function export";
    if (kind >= KILN_TRAP_KIND_COUNT) return "unknown trap";
    return trap_texts[kind];
}

const char *kiln_trap_message(void) { return self.message; }

/* A trap raised without running wasm (or a host message about to become
 * one) has no backtrace of its own. */
void trap_message_set(const char *message) {
    snprintf(self.message, sizeof self.message, "%s", message);
    backtrace_clear();
}

/* The stack a backtrace may cover: from a little below the stack limit
 * (the trap path itself may run just past it) up to the entry. */
static void trap_backtrace_capture(void) {
    uintptr_t low = self.limit > SAFETY_MARGIN ? self.limit - SAFETY_MARGIN : 0;
    backtrace_capture(low, self.entry);
}

void kiln_host_trap_message(const char *message) {
    trap_message_set(message);
    self.host_message_set = true;
}

void trap_host_message_reset(void) { self.host_message_set = false; }

/* A host trap keeps the text the callback gave with
 * kiln_host_trap_message(); every other kind gets the spec's wording. */
_Noreturn void kiln_rt_trap(kiln_vmctx *ctx, uint32_t kind) {
    (void)ctx;
    if (kind == KILN_TRAP_NONE || kind >= KILN_TRAP_KIND_COUNT) kind = KILN_TRAP_HOST;
    if (kind != KILN_TRAP_HOST || !self.host_message_set) trap_message_set(trap_texts[kind]);
    self.host_message_set = false;
    if (!self.jump) {
        /* Generated code only runs under trap_protect(); reaching this
         * means a host called a wasm function pointer directly. */
        abort();
    }
    if (kind != KILN_TRAP_EXIT) trap_backtrace_capture();
    else backtrace_clear(); /* proc_exit: not an error, no backtrace */
    siglongjmp(*self.jump, (int)kind);
}

bool trap_running(void) { return self.depth > 0 && self.jump != NULL; }

uintptr_t trap_entry_frame(void) { return self.entry; }

/* An exception nothing caught: the entry's call ends, without backtrace. */
_Noreturn void trap_exception(void) {
    trap_message_set(trap_texts[KILN_TRAP_EXCEPTION]);
    self.host_message_set = false;
    if (!self.jump) abort(); /* as in kiln_rt_trap */
    siglongjmp(*self.jump, KILN_TRAP_EXCEPTION);
}

/* From a signal handler: no stdio, just a copy of the constant text. */
_Noreturn void trap_from_signal(uint32_t kind) {
    const char *text = trap_texts[kind];
    size_t n = strlen(text);
    memcpy(self.message, text, n + 1);
    trap_backtrace_capture();
    siglongjmp(*self.jump, (int)kind);
}

void kiln_set_stack_budget(size_t bytes) { self.budget = bytes; }

/* The lowest address of the stack `sp` is on, so a large budget cannot
 * overrun it: the thread's own stack (glibc reports the main thread's from
 * its rlimit), or the alternate signal stack while a handler runs on it
 * (a host may call wasm from a signal handler).  0 when sp is on neither
 * (a fiber's stack the host switched to): then only the budget bounds
 * wasm, and the host must set one that fits (docs/sandbox.md). */
static uintptr_t stack_low(uintptr_t sp) {
    if (!self.bounds_known) {
        self.bounds_known = true;
        pthread_attr_t attr;
        void *addr;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
                self.low = (uintptr_t)addr;
                self.high = (uintptr_t)addr + size;
            }
            pthread_attr_destroy(&attr);
        }
    }
    if (self.low && sp > self.low && sp <= self.high) return self.low;
    stack_t alt;
    if (sigaltstack(NULL, &alt) == 0 && (alt.ss_flags & SS_ONSTACK) &&
        sp > (uintptr_t)alt.ss_sp && sp <= (uintptr_t)alt.ss_sp + alt.ss_size)
        return (uintptr_t)alt.ss_sp;
    return 0;
}

/* sp - budget, but never closer to the end of the stack than the safety
 * margin (half the remaining stack on stacks too small for it, and never
 * less than MIN_MARGIN).  UINTPTR_MAX when the stack has no room for the
 * margin and a little wasm: nothing may run. */
static uintptr_t limit_compute(uintptr_t sp) {
    size_t budget = self.budget ? self.budget : DEFAULT_BUDGET;
    uintptr_t limit = sp > budget ? sp - budget : 0;
    uintptr_t low = stack_low(sp);
    if (!low) return limit;
    uintptr_t left = sp - low;
    if (left < (uintptr_t)MIN_MARGIN + MIN_ROOM) return UINTPTR_MAX;
    uintptr_t margin = left > 2 * (uintptr_t)SAFETY_MARGIN ? SAFETY_MARGIN : left / 2;
    if (margin < MIN_MARGIN) margin = MIN_MARGIN;
    return limit < low + margin ? low + margin : limit;
}

/* The guard-page fault handler runs with SA_ONSTACK: give each thread that
 * enters wasm an alternate stack unless the host already set one, so a
 * fault near the end of the thread's stack can still be handled. */
static void altstack_ensure(void) {
    static _Thread_local bool checked;
    enum { ALT_STACK_SIZE = 64u << 10 };
    if (checked) return;
    checked = true;
    stack_t old;
    if (sigaltstack(NULL, &old) != 0 || !(old.ss_flags & SS_DISABLE)) return;
    /* Never freed: the thread may enter wasm again until it exits. */
    stack_t ss = {.ss_sp = malloc(ALT_STACK_SIZE), .ss_size = ALT_STACK_SIZE};
    if (ss.ss_sp && sigaltstack(&ss, NULL) != 0) free(ss.ss_sp);
}

/* An entry that may not run: its stack has no room for the margin, or a
 * host function running below the limit (in the margin) calls back into
 * wasm, whose trampoline no check covers. */
static uint32_t entry_refuse(void) {
    trap_message_set(trap_texts[KILN_TRAP_CALL_STACK_EXHAUSTED]);
    return KILN_TRAP_CALL_STACK_EXHAUSTED;
}

uint32_t trap_protect(void (*fn)(void *), void *arg) {
    sigjmp_buf buf;
    sigjmp_buf *outer = self.jump;
    uintptr_t outer_entry = self.entry;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    if (self.depth == 0) {
        altstack_ensure();
        self.limit = limit_compute(sp);
        kiln_rt_stack_limit = self.limit;
        kiln_rt_stack_limit_small = self.limit > UINTPTR_MAX - KILN_SMALL_FRAME_MAX
                                        ? UINTPTR_MAX
                                        : self.limit + KILN_SMALL_FRAME_MAX;
    }
    if (sp < self.limit) return entry_refuse();
    uint64_t exn_mark = exn_frames_mark();
    self.depth++;
    self.jump = &buf;
    self.entry = sp;
    self.host_message_set = false;
    /* savemask 0: no sigprocmask system call on every entry (no trap is
     * delivered from a signal handler yet). */
    uint32_t kind = (uint32_t)sigsetjmp(buf, 0);
    if (kind == KILN_TRAP_NONE) fn(arg);
    else if (kind != KILN_TRAP_EXIT && kind != KILN_TRAP_EXCEPTION) backtrace_resolve();
    exn_frames_release(exn_mark); /* what the frames of this call kept */
    self.jump = outer;
    self.entry = outer_entry;
    self.depth--;
    return kind;
}
