/* backtrace.c - the wasm frames of a trap.
 *
 * Two steps, because the stack of a trap is gone once the trap has been
 * delivered (siglongjmp to the innermost entry), while naming its frames
 * needs the instance registry's lock:
 *
 * 1. backtrace_capture(), at the trap (in kiln_rt_trap, or in the fault
 *    handler for a guard-page fault), walks the stack with the unwinder
 *    (_Unwind_Backtrace reads .eh_frame: the compiler gives every
 *    generated function unwind tables, so nothing is paid while no trap
 *    happens) and records each frame's function start address, innermost
 *    first, up to the innermost host-to-wasm entry.  It takes no lock of
 *    ours and allocates nothing.  From a signal handler this relies on the
 *    unwinder stepping through the kernel's signal frame, which libgcc and
 *    LLVM's libunwind do on Linux.
 * 2. backtrace_resolve(), after the jump, matches those addresses against
 *    the code of every defined function of every live instance (a
 *    function's start is exactly its descriptor func_bodies entry, or
 *    func_code for its entry stub) and
 *    copies the name-section names into thread-local storage, so the
 *    result outlives the instance.
 *
 * Frames that are not wasm functions (the runtime, host callbacks,
 * trampolines) are left out.  A host function that calls back into wasm
 * does so through kiln_call, a new entry: a trap there ends at that entry
 * and never shows the outer frames.  Inlined or tail-called functions
 * have no frame of their own and do not appear.  An entry stub that
 * calls its body (a module without tail calls: its bodies use the C
 * convention, the stub tailcc) has a frame right outside the body's: the
 * two are one wasm frame, shown once; a stub alone is the frame where
 * its stack check trapped. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unwind.h>

#include "runtime.h"

enum {
    RAW_MAX = 2 * KILN_BACKTRACE_MAX, /* innermost frames kept for naming */
    TAIL_MAX = 8,                     /* outermost frames kept beyond those */
    NAME_POOL = 8192,
};

typedef struct bt_thread {
    uintptr_t raw[RAW_MAX]; /* function starts, innermost first */
    uintptr_t raw_ip[RAW_MAX]; /* an address inside the instruction running there */
    uint32_t num_raw;
    uint64_t num_beyond;     /* frames walked past raw[] */
    uintptr_t tail[TAIL_MAX]; /* ring: the last min(num_beyond, TAIL_MAX) of those */
    kiln_frame frames[KILN_BACKTRACE_MAX];
    kiln_backtrace bt;
    char names[NAME_POOL];
    size_t names_used;
} bt_thread;

static _Thread_local bt_thread self;

void backtrace_clear(void) {
    self.num_raw = 0;
    self.num_beyond = 0;
    self.bt = (kiln_backtrace){0, 0, self.frames};
}

const kiln_backtrace *kiln_trap_backtrace(void) {
    self.bt.frames = self.frames;
    return &self.bt;
}

/* ---- step 1: capture ---------------------------------------------------------- */

typedef struct walk {
    uintptr_t low, entry; /* the stack between the trap and the entry */
    bool inside;
} walk;

static void frame_record(uintptr_t start, uintptr_t ip) {
    if (self.num_raw < RAW_MAX) {
        self.raw_ip[self.num_raw] = ip;
        self.raw[self.num_raw++] = start;
        return;
    }
    self.tail[self.num_beyond % TAIL_MAX] = start;
    self.num_beyond++;
}

/* Frames before the first one on the wasm stack (a signal handler running
 * on its alternate stack) are skipped; the first frame past the entry ends
 * the walk.  The frame a fault or an interrupt stopped (its IP is exact,
 * "before the instruction") always counts: libgcc's signal-frame support
 * on aarch64 and riscv64 gives it the CFA of the kernel's signal frame, on
 * the alternate stack, where x86-64's gives the interrupted stack pointer. */
static _Unwind_Reason_Code frame_visit(struct _Unwind_Context *ctx, void *arg) {
    walk *w = arg;
    uintptr_t cfa = (uintptr_t)_Unwind_GetCFA(ctx);
    int interrupted = 0;
    uintptr_t ip = (uintptr_t)_Unwind_GetIPInfo(ctx, &interrupted);
    if (!interrupted && (cfa < w->low || cfa > w->entry))
        return w->inside ? _URC_END_OF_STACK : _URC_NO_REASON;
    w->inside = true;
    /* A return address is the instruction after the call: step back into it. */
    frame_record((uintptr_t)_Unwind_GetRegionStart(ctx), interrupted ? ip : ip - 1);
    return _URC_NO_REASON;
}

void backtrace_capture(uintptr_t low, uintptr_t entry) {
    backtrace_clear();
    walk w = {low, entry, false};
    _Unwind_Backtrace(frame_visit, &w);
}

/* ---- step 2: resolve ------------------------------------------------------------ */

/* One distinct function start among the captured frames. */
typedef struct bt_key {
    uintptr_t start;
    const kiln_module_desc *desc; /* NULL: not a wasm function */
    uint32_t func_index;
    const char *name;
    bool stub; /* the function's entry stub, not its body */
} bt_key;

typedef struct bt_resolve {
    bt_key keys[RAW_MAX + TAIL_MAX];
    uint32_t num_keys;
} bt_resolve;

static int key_compare(const void *a, const void *b) {
    uintptr_t x = ((const bt_key *)a)->start, y = ((const bt_key *)b)->start;
    return x < y ? -1 : x > y;
}

static bt_key *key_find(bt_resolve *r, uintptr_t start) {
    bt_key probe = {.start = start};
    return bsearch(&probe, r->keys, r->num_keys, sizeof probe, key_compare);
}

static void key_add(bt_resolve *r, uintptr_t start) {
    for (uint32_t i = 0; i < r->num_keys; i++)
        if (r->keys[i].start == start) return;
    r->keys[r->num_keys++] = (bt_key){.start = start};
}

static const char *name_copy(const char *name) {
    if (!name) return NULL;
    size_t n = strlen(name) + 1;
    if (n > NAME_POOL - self.names_used) return NULL;
    char *out = memcpy(self.names + self.names_used, name, n);
    self.names_used += n;
    return out;
}

/* Names the key at `start` (a stub or a body) after defined function i. */
static void key_name(bt_resolve *r, uintptr_t start, const kiln_instance *inst, uint32_t i,
                     bool stub) {
    bt_key *k = key_find(r, start);
    if (!k || k->desc) return;
    k->desc = inst->desc;
    k->stub = stub;
    k->func_index = inst->desc->num_imported_funcs + i;
    k->name = name_copy(module_func_name(inst->module, k->func_index));
}

/* Under the registry lock: names every key that is a defined function of
 * this instance's module (its stub, where a stack check trapped, or its
 * body). */
static void instance_match(kiln_vmctx *ctx, uintptr_t value) {
    bt_resolve *r = (bt_resolve *)value;
    const kiln_instance *inst = ctx->instance;
    const kiln_module_desc *desc = inst->desc;
    for (uint32_t i = 0; i < desc->num_defined_funcs; i++) {
        if (desc->func_code[i]) key_name(r, (uintptr_t)desc->func_code[i], inst, i, true);
        if (desc->func_bodies) key_name(r, (uintptr_t)desc->func_bodies[i], inst, i, false);
    }
}

static bool is_wasm(bt_resolve *r, uintptr_t start) {
    const bt_key *k = key_find(r, start);
    return k && k->desc;
}

/* True if the frame at `start` is the entry stub that called the body
 * running in the frame inside it, at `inner`: the same wasm frame. */
static bool stub_of_inner(bt_resolve *r, uintptr_t start, uintptr_t inner) {
    const bt_key *k = key_find(r, start), *in = key_find(r, inner);
    return k && k->desc && k->stub && in && in->desc == k->desc && !in->stub &&
           in->func_index == k->func_index;
}

/* Appends a frame, or counts it as omitted once the array is full. */
static void frame_push(const bt_key *k, uintptr_t ip) {
    kiln_backtrace *bt = &self.bt;
    if (bt->num_frames == KILN_BACKTRACE_MAX) {
        bt->num_omitted++;
        return;
    }
    kiln_frame *f = &self.frames[bt->num_frames++];
    *f = (kiln_frame){k->func_index, k->name, k->desc, NULL, 0};
    if (!kiln_rt_line_reader || !kiln_rt_line_reader(ip, &f->file, &f->line))
        f->file = NULL, f->line = 0;
}

/* The start of beyond-frame `pos` (kept in the ring) or of the last raw
 * frame (pos == UINT64_MAX). */
static uintptr_t beyond_start(uint64_t pos) {
    return pos == UINT64_MAX ? self.raw[self.num_raw - 1] : self.tail[pos % TAIL_MAX];
}

/* Frames past raw[] are only counted: assume they are wasm frames, except
 * the host frames at the very end (the entry's trampoline and caller) and
 * the stubs among the kept ones that called their body (stubs further in
 * are counted as frames). */
static uint64_t beyond_count(bt_resolve *r) {
    uint64_t n = self.num_beyond;
    uint32_t kept = n < TAIL_MAX ? (uint32_t)n : TAIL_MAX;
    bool host = true;
    for (uint32_t i = 0; i < kept; i++) {
        uint64_t pos = self.num_beyond - 1 - i; /* outermost first */
        uintptr_t start = self.tail[pos % TAIL_MAX];
        host = host && !is_wasm(r, start);
        bool inner_kept = pos == 0 || pos > self.num_beyond - kept; /* not overwritten */
        if (host || (inner_kept && stub_of_inner(r, start, beyond_start(pos - 1)))) n--;
    }
    return n;
}

static void frames_build(bt_resolve *r) {
    for (uint32_t i = 0; i < self.num_raw; i++) {
        const bt_key *k = key_find(r, self.raw[i]);
        if (i > 0 && stub_of_inner(r, self.raw[i], self.raw[i - 1])) continue;
        if (k && k->desc) frame_push(k, self.raw_ip[i]);
    }
    if (self.bt.num_frames) self.bt.num_omitted += beyond_count(r);
}

void backtrace_resolve(void) {
    static _Thread_local bt_resolve r;
    self.names_used = 0;
    self.bt = (kiln_backtrace){0, 0, self.frames};
    r.num_keys = 0;
    for (uint32_t i = 0; i < self.num_raw; i++) key_add(&r, self.raw[i]);
    uint32_t kept = self.num_beyond < TAIL_MAX ? (uint32_t)self.num_beyond : TAIL_MAX;
    for (uint32_t i = 0; i < kept; i++) key_add(&r, self.tail[i]);
    qsort(r.keys, r.num_keys, sizeof r.keys[0], key_compare);
    instance_each(instance_match, (uintptr_t)&r);
    frames_build(&r);
}

/* ---- text ----------------------------------------------------------------------- */

/* snprintf at buf + len, or only measuring once the buffer is full. */
static size_t text_append(char *buf, size_t size, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t text_append(char *buf, size_t size, size_t len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(len < size ? buf + len : NULL, len < size ? size - len : 0, fmt, ap);
    va_end(ap);
    return len + (n < 0 ? 0 : (size_t)n);
}

/* A name from the module (name section, DWARF file names) as text: its
 * control characters and backslashes as \xx, as module_name_text writes
 * import names, so that a hostile module cannot move the terminal's
 * cursor, recolour it or forge lines of kiln's output. */
static size_t text_append_name(char *buf, size_t size, size_t len, const char *name) {
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        len = *c < 0x20 || *c == 0x7f || *c == '\\' ? text_append(buf, size, len, "\\%02x", *c)
                                                    : text_append(buf, size, len, "%c", *c);
    return len;
}

size_t kiln_backtrace_format(const kiln_backtrace *bt, char *buf, size_t size) {
    size_t len = 0;
    if (size) buf[0] = 0;
    for (uint32_t i = 0; i < bt->num_frames; i++) {
        const kiln_frame *f = &bt->frames[i];
        if (f->name) {
            len = text_append(buf, size, len, "  %u: ", i);
            len = text_append_name(buf, size, len, f->name);
            len = text_append(buf, size, len, " (wasm function %u)", f->func_index);
        } else {
            len = text_append(buf, size, len, "  %u: wasm-function[%u]", i, f->func_index);
        }
        if (f->file) {
            len = text_append(buf, size, len, " at ");
            len = text_append_name(buf, size, len, f->file);
            len = text_append(buf, size, len, ":%u", f->line);
        }
        len = text_append(buf, size, len, "\n");
    }
    if (bt->num_omitted)
        len = text_append(buf, size, len, "  ... %llu more frame%s\n",
                          (unsigned long long)bt->num_omitted, bt->num_omitted == 1 ? "" : "s");
    return len;
}
