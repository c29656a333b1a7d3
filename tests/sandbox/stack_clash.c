/* stack_clash.c - no wasm function may move the stack pointer below the
 * stack limit before a check traps, whatever its frame size (issue #11).
 *
 * The driver writes modules whose one recursive function `big` keeps N
 * v128 values live across its recursive call, so that each of its frames
 * is about 32*N bytes (a spill slot and its swizzled copy), compiles each at -O0 and -O2 in both
 * bounds modes, reads the frame size LLVM gave `big` back from the
 * object's frame-size table (so a case whose frame the optimiser shrank
 * fails instead of proving nothing), and calls big(1e9):
 *
 *   - on the main thread (1 MiB budget, 8 MiB stack): must trap with
 *     "call stack exhausted";
 *   - on a thread whose 256 KiB stack (pthread_attr_setstack, so no guard
 *     page) sits directly above 4 MiB of canary bytes: must trap the same
 *     way, and no canary byte may change;
 *   - from a signal handler running on a 256 KiB alternate signal stack
 *     above canary bytes (sigaltstack): the same.
 *
 * Every case runs in a forked child, so a crash is that case's failure.
 * A frame over the compile-time maximum must be refused with an error
 * naming the function; that path is checked with a lowered maximum
 * (kiln_compile_options.max_frame_size), since a module whose body needs
 * KILN_FRAME_MAX bytes would take minutes to compile.
 *
 * LLVM's register allocator is superlinear in the number of values live
 * at once, so -O2 runs only the sizes up to O2_MAX_KIB (a 64 KiB frame
 * takes over a minute to compile at -O2, 256 KiB 30 s and 1.3 GB at -O0);
 * `--sizes` runs bigger ones by hand.
 *
 *   kiln-stack-clash [--sizes K,K,...] [--work DIR]   sizes in KiB
 *   kiln-stack-clash --emit DIR   writes frame<K>k.wasm for the CLI tests
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <llvm-c/Core.h>
#include <llvm-c/Object.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"
#include "module.h"

enum {
    THREAD_STACK = 256u << 10,
    CANARY_BYTES = 4u << 20,
    CANARY = 0x5A,
    DEPTH = 1000000000,
    O2_MAX_KIB = 16,
    VALUE_BYTES = 32, /* frame bytes per live value, as measured at -O0 and -O2 */
};

/* ---- a wasm binary writer, just enough for the test module ------------------ */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, uint8_t byte) {
    if (b->n >= b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        uint8_t *grown = realloc(b->p, cap);
        if (!grown) abort();
        b->p = grown, b->cap = cap;
    }
    b->p[b->n++] = byte;
}

static void put_bytes(buf *b, const uint8_t *bytes, size_t n) {
    for (size_t i = 0; i < n; i++) put(b, bytes[i]);
}

static void put_u32(buf *b, uint32_t v) {
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        put(b, byte | (v ? 0x80 : 0));
    } while (v);
}

static void put_i32(buf *b, int32_t v) {
    for (;;) {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
        put(b, byte | (done ? 0 : 0x80));
        if (done) return;
    }
}

static void put_section(buf *out, uint8_t id, const buf *content) {
    put(out, id);
    put_u32(out, (uint32_t)content->n);
    put_bytes(out, content->p, content->n);
}

static void simd(buf *b, uint32_t op) {
    put(b, 0xfd);
    put_u32(b, op);
}

/* big(d): load N v128 values, recurse while d != 0, then fold every value
 * with the call's result (swizzle by it, xor), so all N stay live across
 * the call and its stack check. */
static void big_body(buf *b, uint32_t n) {
    put_u32(b, 2); /* local groups */
    put_u32(b, 1), put(b, 0x7f); /* $r i32 = local 1 */
    put_u32(b, 1), put(b, 0x7b); /* $acc v128 = local 2 */
    for (uint32_t k = 0; k < n; k++) {
        put(b, 0x41), put_i32(b, 0); /* i32.const 0 */
        simd(b, 0x00), put_u32(b, 4), put_u32(b, 16 * k); /* v128.load offset=16k */
    }
    put(b, 0x20), put_u32(b, 0); /* local.get 0 */
    put(b, 0x04), put(b, 0x40);  /* if */
    put(b, 0x20), put_u32(b, 0), put(b, 0x41), put_i32(b, 1), put(b, 0x6b); /* d - 1 */
    put(b, 0x10), put_u32(b, 0), put(b, 0x21), put_u32(b, 1); /* call big; local.set $r */
    put(b, 0x0b);
    put(b, 0x21), put_u32(b, 2); /* local.set $acc */
    for (uint32_t k = 1; k < n; k++) {
        put(b, 0x20), put_u32(b, 1), simd(b, 0x0f); /* i8x16.splat $r */
        simd(b, 0x0e);                             /* i8x16.swizzle */
        put(b, 0x20), put_u32(b, 2), simd(b, 0x51); /* v128.xor $acc */
        put(b, 0x21), put_u32(b, 2);
    }
    put(b, 0x20), put_u32(b, 2), simd(b, 0x1b), put(b, 0); /* i32x4.extract_lane 0 */
    put(b, 0x20), put_u32(b, 1), put(b, 0x6a);            /* + $r */
    put(b, 0x0b);
}

static void start_body(buf *b) {
    put_u32(b, 0);
    put(b, 0x41), put_i32(b, DEPTH), put(b, 0x10), put_u32(b, 0), put(b, 0x1a), put(b, 0x0b);
}

static void code_entry(buf *code, const buf *body) {
    put_u32(code, (uint32_t)body->n);
    put_bytes(code, body->p, body->n);
}

/* Types (i32)->i32 and ()->(); funcs big, _start; one memory holding the
 * values; exports big, _start, memory; a name section naming `big`. */
static buf module_build(uint32_t n) {
    static const uint8_t header[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    static const uint8_t types[] = {2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0};
    static const uint8_t funcs[] = {2, 0, 1};
    buf out = {0}, s = {0}, body = {0};
    put_bytes(&out, header, sizeof header);
    put_bytes(&s, types, sizeof types), put_section(&out, 1, &s), s.n = 0;
    put_bytes(&s, funcs, sizeof funcs), put_section(&out, 3, &s), s.n = 0;
    put_u32(&s, 1), put(&s, 0), put_u32(&s, (16 * n + 65535) / 65536 + 1), put_section(&out, 5, &s), s.n = 0;
    put_u32(&s, 3);
    put_u32(&s, 3), put_bytes(&s, (const uint8_t *)"big", 3), put(&s, 0), put_u32(&s, 0);
    put_u32(&s, 6), put_bytes(&s, (const uint8_t *)"_start", 6), put(&s, 0), put_u32(&s, 1);
    put_u32(&s, 6), put_bytes(&s, (const uint8_t *)"memory", 6), put(&s, 2), put_u32(&s, 0);
    put_section(&out, 7, &s), s.n = 0;
    put_u32(&s, 2);
    big_body(&body, n), code_entry(&s, &body), body.n = 0;
    start_body(&body), code_entry(&s, &body);
    put_section(&out, 10, &s), s.n = 0;
    /* custom "name": function names subsection {0 -> "big"} */
    static const uint8_t names[] = {4, 'n', 'a', 'm', 'e', 1, 6, 1, 0, 3, 'b', 'i', 'g'};
    put_bytes(&s, names, sizeof names), put_section(&out, 0, &s);
    free(s.p);
    free(body.p);
    return out;
}

/* ---- compiling and reading the frame table back --------------------------------- */

typedef struct variant {
    int opt_level;
    bool explicit_bounds;
} variant;

static const variant variants[] = {{0, false}, {0, true}, {2, false}, {2, true}};

/* Entry 0 of the object's frame-size table (`big`'s frame + slack), 0 if absent. */
static uint32_t frame_of_big(const char *object_path, const char *prefix) {
    char symbol[64];
    snprintf(symbol, sizeof symbol, "%s.frames0", prefix);
    LLVMMemoryBufferRef mb;
    char *read_error = NULL;
    if (LLVMCreateMemoryBufferWithContentsOfFile(object_path, &mb, &read_error)) {
        LLVMDisposeMessage(read_error);
        return 0;
    }
    char *msg = NULL;
    LLVMBinaryRef bin = LLVMCreateBinary(mb, NULL, &msg);
    LLVMDisposeMessage(msg);
    uint32_t frame = 0;
    if (bin) {
        LLVMSymbolIteratorRef sym = LLVMObjectFileCopySymbolIterator(bin);
        LLVMSectionIteratorRef sec = LLVMObjectFileCopySectionIterator(bin);
        for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, sym); LLVMMoveToNextSymbol(sym)) {
            if (strcmp(LLVMGetSymbolName(sym), symbol) != 0) continue;
            LLVMMoveToContainingSection(sec, sym);
            const uint8_t *p = (const uint8_t *)LLVMGetSectionContents(sec) + LLVMGetSymbolAddress(sym);
            frame = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            break;
        }
        LLVMDisposeSectionIterator(sec);
        LLVMDisposeSymbolIterator(sym);
        LLVMDisposeBinary(bin);
    }
    LLVMDisposeMemoryBuffer(mb);
    return frame;
}

static bool compile(const buf *wasm, const variant *v, uint32_t max_frame, const char *object,
                    kiln_error *err) {
    kiln_decode_options dopts = {.features = 0};
    kiln_module *m = module_decode(wasm->p, wasm->n, &dopts, err);
    kiln_compile_options opts = {.opt_level = v->opt_level, .prefix = "clash",
                                 .explicit_bounds = v->explicit_bounds, .jobs = 1,
                                 .max_frame_size = max_frame};
    bool ok = m && module_validate(m, err) &&
              module_compile_object(m, wasm->p, wasm->n, &opts, object, err);
    if (m) module_free(m);
    return ok;
}

/* ---- running ------------------------------------------------------------------- */

typedef struct call {
    kiln_instance *inst;
    const kiln_func_ref *big;
    uint32_t trap;
    char message[128];
} call;

static void *call_run(void *arg) {
    call *c = arg;
    kiln_val slots[1] = {{.i32 = DEPTH}};
    c->trap = kiln_call(c->inst, c->big, slots);
    snprintf(c->message, sizeof c->message, "%s", c->trap ? kiln_trap_message() : "returned");
    return NULL;
}

static bool trapped_on_stack(const call *c, const char *where) {
    if (c->trap == KILN_TRAP_CALL_STACK_EXHAUSTED) return true;
    fprintf(stderr, "    %s: expected 'call stack exhausted', got '%s'\n", where, c->message);
    return false;
}

/* CANARY_BYTES of canary with THREAD_STACK bytes of stack right above
 * them and no guard page in between; NULL if it cannot be mapped. */
static uint8_t *canaried_stack_map(void) {
    uint8_t *region = mmap(NULL, CANARY_BYTES + THREAD_STACK, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return perror("mmap"), NULL;
    memset(region, CANARY, CANARY_BYTES);
    return region;
}

static bool canaries_unchanged(const uint8_t *region, const char *stack) {
    for (size_t i = 0; i < CANARY_BYTES; i++) {
        if (region[i] == CANARY) continue;
        fprintf(stderr, "    SANDBOX ESCAPE: canary byte %zu KiB below the %s changed\n",
                (CANARY_BYTES - i + 1023) / 1024, stack);
        return false;
    }
    return true;
}

/* On a thread whose 256 KiB stack is such a region's. */
static bool small_stack_run(call *c) {
    uint8_t *region = canaried_stack_map();
    if (!region) return false;
    pthread_attr_t attr;
    pthread_t t;
    bool ok = pthread_attr_init(&attr) == 0 &&
              pthread_attr_setstack(&attr, region + CANARY_BYTES, THREAD_STACK) == 0 &&
              pthread_create(&t, &attr, call_run, c) == 0 && pthread_join(t, NULL) == 0;
    if (!ok) return fprintf(stderr, "    cannot run a thread on the small stack\n"), false;
    ok = trapped_on_stack(c, "256 KiB thread");
    return canaries_unchanged(region, "thread's stack") && ok;
}

/* From a SA_ONSTACK signal handler, on such a region as the alternate
 * signal stack. */
static call *alt_call;

static void alt_handler(int sig) {
    (void)sig;
    call_run(alt_call);
}

static bool altstack_run(call *c) {
    uint8_t *region = canaried_stack_map();
    if (!region) return false;
    stack_t ss = {.ss_sp = region + CANARY_BYTES, .ss_size = THREAD_STACK}, old;
    struct sigaction sa = {.sa_handler = alt_handler, .sa_flags = SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    alt_call = c;
    if (sigaltstack(&ss, &old) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0 || raise(SIGUSR1) != 0)
        return fprintf(stderr, "    cannot run on an alternate signal stack\n"), false;
    sigaltstack(&old, NULL);
    bool ok = trapped_on_stack(c, "alternate signal stack");
    return canaries_unchanged(region, "alternate stack") && ok;
}

/* In a forked child: load, instantiate, call on every stack. */
static int case_child(const char *library) {
    void *h = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    const kiln_module_desc *desc = h ? dlsym(h, "clash_module") : NULL;
    if (!desc) return fprintf(stderr, "    dlopen: %s\n", dlerror()), 1;
    kiln_instantiate_error err;
    kiln_linker *l = kiln_linker_new();
    kiln_instance *inst = kiln_instantiate(desc, l, &err);
    if (!inst) return fprintf(stderr, "    instantiate: %s\n", err.message), 1;
    kiln_extern e;
    if (!kiln_instance_export(inst, "big", &e)) return fprintf(stderr, "    no export big\n"), 1;
    call c = {.inst = inst, .big = e.of.func};
    call_run(&c);
    bool ok = trapped_on_stack(&c, "main thread");
    call d = {.inst = inst, .big = c.big};
    ok = small_stack_run(&d) && ok;
    call on_alt = {.inst = inst, .big = c.big};
    ok = altstack_run(&on_alt) && ok;
    return ok ? 0 : 1;
}

static bool case_fork(const char *library) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(case_child(library));
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return false;
    if (WIFSIGNALED(status)) fprintf(stderr, "    died by signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool case_run(const char *work, uint32_t kib, const variant *v) {
    buf wasm = module_build(kib * 1024 / VALUE_BYTES);
    char object[512], library[512];
    snprintf(object, sizeof object, "%s/frame%uk-O%d%s.o", work, kib, v->opt_level,
             v->explicit_bounds ? "-explicit" : "-guard");
    snprintf(library, sizeof library, "%.500s.so", object);
    kiln_error err;
    error_clear(&err);
    bool ok = compile(&wasm, v, 0, object, &err) && link_shared_library(object, library, &err);
    free(wasm.p);
    printf("frame %5u KiB -O%d %-8s ", kib, v->opt_level, v->explicit_bounds ? "explicit" : "guard");
    if (!ok) return printf("FAIL (compile: %s)\n", err.message), false;
    uint32_t frame = frame_of_big(object, "clash");
    printf("measured %8u bytes ", frame);
    /* The point of the case is a frame of about the size asked for. */
    if (frame < kib * 1024 / 2) return printf("FAIL (frame smaller than %u KiB)\n", kib / 2), false;
    ok = case_fork(library);
    printf("%s\n", ok ? "ok" : "FAIL");
    return ok;
}

/* Over the maximum: refused, naming the function and its frame. */
static bool refusal_run(const char *work) {
    buf wasm = module_build(64 * 1024 / VALUE_BYTES);
    char object[512];
    snprintf(object, sizeof object, "%s/refused.o", work);
    unlink(object);
    kiln_error err;
    error_clear(&err);
    bool compiled = compile(&wasm, &variants[2], 16 * 1024, object, &err);
    free(wasm.p);
    bool ok = !compiled && strstr(err.message, "implementation limit") &&
              strstr(err.message, "function 0 (big)") && strstr(err.message, "stack frame") &&
              access(object, F_OK) != 0;
    printf("frame over the maximum refused: %s (%s)\n", ok ? "ok" : "FAIL",
           compiled ? "compiled" : err.message);
    return ok;
}

static int emit(const char *dir, const uint32_t *sizes, int count) {
    for (int i = 0; i < count; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/frame%uk.wasm", dir, sizes[i]);
        buf wasm = module_build(sizes[i] * 1024 / VALUE_BYTES);
        FILE *f = fopen(path, "wb");
        bool ok = f && fwrite(wasm.p, 1, wasm.n, f) == wasm.n;
        if (f && fclose(f) != 0) ok = false;
        free(wasm.p);
        if (!ok) return perror(path), 1;
    }
    return 0;
}

static int sizes_parse(const char *arg, uint32_t *sizes, int max) {
    int n = 0;
    for (const char *p = arg; *p && n < max;) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 1024 * 1024) return -1;
        sizes[n++] = (uint32_t)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
}

int main(int argc, char **argv) {
    uint32_t sizes[16] = {4, 16, 64, 256};
    int count = 4;
    const char *work = "/tmp", *emit_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) count = sizes_parse(argv[++i], sizes, 16);
        else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc) work = argv[++i];
        else if (strcmp(argv[i], "--emit") == 0 && i + 1 < argc) emit_dir = argv[++i];
        else return fprintf(stderr, "usage: kiln-stack-clash [--sizes KiB,...] [--work DIR] [--emit DIR]\n"), 2;
    }
    if (count <= 0) return fprintf(stderr, "kiln-stack-clash: bad --sizes\n"), 2;
    if (emit_dir) return emit(emit_dir, sizes, count);
    int passed = 0, failed = 0;
    for (int i = 0; i < count; i++)
        for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++)
            if (variants[v].opt_level == 0 || sizes[i] <= O2_MAX_KIB)
                case_run(work, sizes[i], &variants[v]) ? passed++ : failed++;
    refusal_run(work) ? passed++ : failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
