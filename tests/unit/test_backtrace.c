/* test_backtrace.c - trap backtraces: the capture in runtime/trap.c, the
 * naming in runtime/backtrace.c and the unwind tables that
 * compiler/descriptor.c asks LLVM for.
 *
 * tests/unit/wat/backtrace.wat (converted with and without its name
 * section) is compiled by the real compiler, linked into a shared library,
 * dlopen'ed and run through the embedding API; every trap's frames are
 * checked against the call chain the .wat spells out.  At -O0 nothing is
 * inlined, so the chain is exact; at -O2 LLVM inlines the small callees
 * and only the order and the outermost frame are fixed. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"

#ifndef KILN_TEST_WASM_DIR
#error "KILN_TEST_WASM_DIR must name the directory of the converted .wat files"
#endif

/* Function indices in backtrace.wat. */
enum { F_HOST_CALL, F_DIVIDE, F_COMPUTE, F_MAIN, F_OOB, F_MID, F_LOAD, F_RECURSE, F_VIA_HOST,
       F_AFTER_HOST, F_START_TRAP };

/* What the host import does with its argument. */
enum { HOST_TRAPS = -1 };

typedef struct guest {
    void *so;
    const kiln_module_desc *desc;
    kiln_linker *linker;
    kiln_global_inst *start_traps;
    kiln_instance *inst;
    char so_path[128];
} guest;

/* The backtrace seen inside the host import, after its nested call. */
static uint32_t inner_trap, inner_frames, inner_index[KILN_BACKTRACE_MAX];

static uint8_t *file_read(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    uint8_t *bytes = malloc(1 << 16);
    *size = fread(bytes, 1, 1 << 16, f);
    fclose(f);
    return bytes;
}

static void library_build(guest *g, const char *wasm, int opt, bool explicit_bounds,
                          int partitions) {
    char path[512], prefix[48], obj[128];
    snprintf(path, sizeof path, "%s/%s.wasm", KILN_TEST_WASM_DIR, wasm);
    size_t size;
    uint8_t *bytes = file_read(path, &size);
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {0};
    kiln_module *m = module_decode(bytes, size, &dopts, &err);
    cr_assert(m && module_validate(m, &err), "%s: %s", wasm, err.message);
    snprintf(prefix, sizeof prefix, "%s_o%d_%c_p%d", wasm, opt, explicit_bounds ? 'e' : 'g',
             partitions);
    kiln_compile_options opts = {.opt_level = opt, .prefix = prefix,
                                 .explicit_bounds = explicit_bounds, .partitions = partitions};
    snprintf(obj, sizeof obj, "/tmp/kiln-bt-%d-%s.o", (int)getpid(), prefix);
    snprintf(g->so_path, sizeof g->so_path, "/tmp/kiln-bt-%d-%s.so", (int)getpid(), prefix);
    cr_assert(module_compile_object(m, bytes, size, &opts, obj, &err), "%s", err.message);
    cr_assert(link_shared_library(obj, g->so_path, &err), "%s", err.message);
    unlink(obj);
    module_free(m);
    free(bytes);
    g->so = dlopen(g->so_path, RTLD_NOW | RTLD_LOCAL);
    cr_assert(g->so, "dlopen: %s", dlerror());
    char sym[64];
    snprintf(sym, sizeof sym, "%s_module", prefix);
    g->desc = dlsym(g->so, sym);
    cr_assert(g->desc, "no %s", sym);
}

static kiln_val *export_call_slots(kiln_instance *inst, const char *name, int32_t arg,
                                   uint32_t *trap) {
    static _Thread_local kiln_val slots[1];
    kiln_extern e;
    cr_assert(kiln_instance_export(inst, name, &e), "no export %s", name);
    slots[0].i32 = arg;
    *trap = kiln_call(inst, e.of.func, slots);
    return slots;
}

/* env.call_back: HOST_TRAPS traps in the host; anything else calls the
 * export after_host(arg) (a nested entry) and passes its trap on. */
static uint32_t call_back(void *env, kiln_instance *caller, const kiln_val *args,
                          kiln_val *results) {
    (void)env;
    if (args[0].i32 == HOST_TRAPS) {
        kiln_host_trap_message("the host gives up");
        return KILN_TRAP_HOST;
    }
    uint32_t trap;
    results[0] = *export_call_slots(caller, "after_host", args[0].i32, &trap);
    const kiln_backtrace *bt = kiln_trap_backtrace();
    inner_trap = trap;
    inner_frames = bt->num_frames;
    for (uint32_t i = 0; i < bt->num_frames; i++) inner_index[i] = bt->frames[i].func_index;
    return trap;
}

static kiln_instance *guest_instantiate(guest *g, kiln_instantiate_error *err) {
    return kiln_instantiate(g->desc, g->linker, err);
}

static guest guest_open_parts(const char *wasm, int opt, bool explicit_bounds, bool start_traps,
                              int partitions) {
    guest g = {0};
    library_build(&g, wasm, opt, explicit_bounds, partitions);
    g.linker = kiln_linker_new();
    static const uint8_t i32[1] = {KILN_I32};
    kiln_signature sig = {1, 1, i32, i32};
    cr_assert(kiln_linker_define_func(g.linker, "env", "call_back", &sig, call_back, NULL));
    g.start_traps = kiln_global_new(KILN_I32, false, (kiln_val){.i32 = start_traps});
    kiln_extern ge = {.kind = KILN_EXTERN_GLOBAL, .of.global = g.start_traps};
    cr_assert(kiln_linker_define(g.linker, "env", "start_traps", ge));
    if (start_traps) return g;
    kiln_instantiate_error err;
    g.inst = guest_instantiate(&g, &err);
    cr_assert(g.inst, "instantiate: %s", err.message);
    return g;
}

static guest guest_open(const char *wasm, int opt, bool explicit_bounds, bool start_traps) {
    return guest_open_parts(wasm, opt, explicit_bounds, start_traps, 0);
}

static void guest_close(guest *g) {
    kiln_instance_free(g->inst);
    kiln_linker_free(g->linker);
    kiln_global_free(g->start_traps);
    dlclose(g->so);
    unlink(g->so_path);
}

/* Calls an export that must trap with `kind`; returns the backtrace. */
static const kiln_backtrace *trap_expect(guest *g, const char *name, int32_t arg, uint32_t kind) {
    uint32_t trap;
    export_call_slots(g->inst, name, arg, &trap);
    cr_assert_eq(trap, kind, "%s(%d): trap %u (%s), want %u", name, arg, trap,
                 kiln_trap_message(), kind);
    return kiln_trap_backtrace();
}

static void frames_expect(const kiln_backtrace *bt, const guest *g, const uint32_t *want,
                          const char *const *names, uint32_t n) {
    cr_assert_eq(bt->num_frames, n, "%u frames, want %u", bt->num_frames, n);
    cr_expect_eq(bt->num_omitted, 0);
    for (uint32_t i = 0; i < n; i++) {
        cr_expect_eq(bt->frames[i].func_index, want[i], "frame %u: function %u, want %u", i,
                     bt->frames[i].func_index, want[i]);
        cr_expect_eq(bt->frames[i].module, g->desc, "frame %u: module", i);
        if (names) cr_expect_str_eq(bt->frames[i].name, names[i], "frame %u", i);
        else cr_expect_null(bt->frames[i].name, "frame %u has no name", i);
    }
}

static char *text_of(const kiln_backtrace *bt) {
    size_t n = kiln_backtrace_format(bt, NULL, 0);
    char *text = malloc(n + 1);
    cr_assert_eq(kiln_backtrace_format(bt, text, n + 1), n);
    cr_assert_eq(strlen(text), n);
    return text;
}

/* ---- the frames of a trap -------------------------------------------------------- */

Test(backtrace, frames_are_innermost_first_and_named_from_the_name_section) {
    guest g = guest_open("backtrace", 0, true, false);
    const kiln_backtrace *bt = trap_expect(&g, "main", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    frames_expect(bt, &g, (uint32_t[]){F_DIVIDE, F_COMPUTE, F_MAIN},
                  (const char *const[]){"divide", "compute", "main"}, 3);
    char *text = text_of(bt);
    cr_expect_str_eq(text, "  0: divide (wasm function 1)\n"
                           "  1: compute (wasm function 2)\n"
                           "  2: main (wasm function 3)\n");
    free(text);
    guest_close(&g);
}

Test(backtrace, without_a_name_section_frames_print_as_wasm_function_n) {
    guest g = guest_open("backtrace_nonames", 0, true, false);
    const kiln_backtrace *bt = trap_expect(&g, "main", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    frames_expect(bt, &g, (uint32_t[]){F_DIVIDE, F_COMPUTE, F_MAIN}, NULL, 3);
    char *text = text_of(bt);
    cr_expect_str_eq(text, "  0: wasm-function[1]\n  1: wasm-function[2]\n  2: wasm-function[3]\n");
    free(text);
    guest_close(&g);
}

Test(backtrace, an_explicit_bounds_check_trap_has_its_frames) {
    guest g = guest_open("backtrace", 0, true, false);
    const kiln_backtrace *bt = trap_expect(&g, "load", 70000, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    frames_expect(bt, &g, (uint32_t[]){F_OOB, F_MID, F_LOAD},
                  (const char *const[]){"oob", "mid", "load"}, 3);
    guest_close(&g);
}

/* The trap arrives as SIGSEGV in a guard page: the walk starts in the
 * fault handler and crosses the kernel's signal frame. */
Test(backtrace, a_guard_page_fault_has_its_frames) {
    guest g = guest_open("backtrace", 0, false, false);
    const kiln_backtrace *bt = trap_expect(&g, "load", 70000, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    frames_expect(bt, &g, (uint32_t[]){F_OOB, F_MID, F_LOAD},
                  (const char *const[]){"oob", "mid", "load"}, 3);
    guest_close(&g);
}

/* Optimised code: callees may be inlined, but what remains is still the
 * chain, innermost first, ending at the export that was called. */
static void optimised_chain_check(bool explicit_bounds, const char *name, int32_t arg,
                                  uint32_t kind, uint32_t first, uint32_t last) {
    guest g = guest_open("backtrace", 2, explicit_bounds, false);
    const kiln_backtrace *bt = trap_expect(&g, name, arg, kind);
    cr_assert_geq(bt->num_frames, 1);
    cr_expect_eq(bt->frames[bt->num_frames - 1].func_index, last);
    for (uint32_t i = 0; i < bt->num_frames; i++) {
        uint32_t f = bt->frames[i].func_index;
        cr_expect(f >= first && f <= last, "frame %u: function %u", i, f);
        if (i) cr_expect_gt(f, bt->frames[i - 1].func_index, "callers follow callees");
    }
    guest_close(&g);
}

Test(backtrace, optimised_code_keeps_the_chain_order) {
    optimised_chain_check(true, "main", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO, F_DIVIDE, F_MAIN);
    optimised_chain_check(false, "load", 70000, KILN_TRAP_MEMORY_OUT_OF_BOUNDS, F_OOB, F_LOAD);
}

Test(backtrace, a_deep_recursion_keeps_64_frames_and_counts_the_rest) {
    guest g = guest_open("backtrace", 0, true, false);
    const kiln_backtrace *bt = trap_expect(&g, "recurse", 0, KILN_TRAP_CALL_STACK_EXHAUSTED);
    cr_assert_eq(bt->num_frames, KILN_BACKTRACE_MAX);
    for (uint32_t i = 0; i < bt->num_frames; i++)
        cr_expect_eq(bt->frames[i].func_index, F_RECURSE, "frame %u", i);
    /* The default 1 MiB budget holds thousands of frames. */
    cr_expect_gt(bt->num_omitted, 1000, "%llu omitted", (unsigned long long)bt->num_omitted);
    char *text = text_of(bt), tail[64];
    snprintf(tail, sizeof tail, "  63: recurse (wasm function 7)\n  ... %llu more frames\n",
             (unsigned long long)bt->num_omitted);
    cr_expect(strlen(text) > strlen(tail) && strcmp(text + strlen(text) - strlen(tail), tail) == 0,
              "ends with '%s': ...%s", tail, text + strlen(text) - 80);
    free(text);
    guest_close(&g);
}

/* Every partition of a split compile carries its own unwind tables, so a
 * chain that crosses partitions keeps all its frames. */
Test(backtrace, a_partitioned_compile_keeps_every_frame) {
    for (int bounds = 0; bounds < 2; bounds++) {
        guest g = guest_open_parts("backtrace", 0, bounds == 0, false, 3);
        const kiln_backtrace *bt = trap_expect(&g, "main", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
        frames_expect(bt, &g, (uint32_t[]){F_DIVIDE, F_COMPUTE, F_MAIN},
                      (const char *const[]){"divide", "compute", "main"}, 3);
        bt = trap_expect(&g, "load", 70000, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
        frames_expect(bt, &g, (uint32_t[]){F_OOB, F_MID, F_LOAD},
                      (const char *const[]){"oob", "mid", "load"}, 3);
        guest_close(&g);
    }
}

/* ---- host functions and entries ------------------------------------------------- */

Test(backtrace, a_host_trap_is_attributed_to_the_wasm_function_that_called_the_host) {
    guest g = guest_open("backtrace", 0, true, false);
    const kiln_backtrace *bt = trap_expect(&g, "via_host", HOST_TRAPS, KILN_TRAP_HOST);
    cr_expect_str_eq(kiln_trap_message(), "the host gives up");
    frames_expect(bt, &g, (uint32_t[]){F_VIA_HOST}, (const char *const[]){"via_host"}, 1);
    guest_close(&g);
}

/* wasm -> host -> kiln_call -> wasm: the nested call is its own entry, so
 * its backtrace stops there; the host then passes the trap on and the
 * outer call's backtrace starts at the import's caller. */
Test(backtrace, a_nested_call_has_its_own_backtrace) {
    guest g = guest_open("backtrace", 0, true, false);
    const kiln_backtrace *bt = trap_expect(&g, "via_host", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    cr_expect_eq(inner_trap, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    cr_assert_eq(inner_frames, 4);
    uint32_t want[4] = {F_DIVIDE, F_COMPUTE, F_MAIN, F_AFTER_HOST};
    for (uint32_t i = 0; i < 4; i++) cr_expect_eq(inner_index[i], want[i], "inner frame %u", i);
    frames_expect(bt, &g, (uint32_t[]){F_VIA_HOST}, (const char *const[]){"via_host"}, 1);
    guest_close(&g);
}

Test(backtrace, a_start_function_trap_has_its_frame) {
    guest g = guest_open("backtrace", 0, true, true);
    kiln_instantiate_error err;
    cr_assert_null(guest_instantiate(&g, &err));
    cr_assert_eq(err.kind, KILN_INST_TRAP);
    cr_expect_eq(err.trap, KILN_TRAP_UNREACHABLE);
    frames_expect(kiln_trap_backtrace(), &g, (uint32_t[]){F_START_TRAP},
                  (const char *const[]){"start_trap"}, 1);
    guest_close(&g);
}

/* ---- lifetime and text ---------------------------------------------------------- */

Test(backtrace, a_trap_without_wasm_frames_replaces_the_last_backtrace) {
    guest g = guest_open("backtrace", 0, true, false);
    cr_assert_eq(trap_expect(&g, "main", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO)->num_frames, 3);
    kiln_val slots[1];
    cr_assert_eq(kiln_call(g.inst, NULL, slots), KILN_TRAP_NULL_REFERENCE);
    cr_expect_eq(kiln_trap_backtrace()->num_frames, 0);
    guest_close(&g);
}

Test(backtrace, frames_outlive_the_instance_and_its_library) {
    guest g = guest_open("backtrace", 0, true, false);
    trap_expect(&g, "main", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    guest_close(&g);
    const kiln_backtrace *bt = kiln_trap_backtrace();
    cr_assert_eq(bt->num_frames, 3);
    cr_expect_str_eq(bt->frames[0].name, "divide");
    cr_expect_str_eq(bt->frames[2].name, "main");
}

Test(backtrace, format_truncates_like_snprintf) {
    guest g = guest_open("backtrace", 0, true, false);
    const kiln_backtrace *bt = trap_expect(&g, "main", 0, KILN_TRAP_INTEGER_DIVIDE_BY_ZERO);
    char *full = text_of(bt), small[12];
    memset(small, 'x', sizeof small);
    cr_expect_eq(kiln_backtrace_format(bt, small, sizeof small), strlen(full));
    cr_expect_eq(small[sizeof small - 1], '\0');
    cr_expect_eq(strncmp(small, full, sizeof small - 1), 0, "'%s' is a prefix of the text", small);
    free(full);
    guest_close(&g);
}

/* Names come from the module (its name section, its DWARF): a hostile one
 * must not reach the terminal as escape sequences or forged lines. */
Test(backtrace, format_escapes_control_characters_in_names_and_files) {
    kiln_frame frames[] = {
        {3, "evil\x1b[31mred\nkiln: trap: fake", NULL, "a\\b\x07.c", 7},
        {4, "plain_name", NULL, NULL, 0},
    };
    kiln_backtrace bt = {2, 0, frames};
    char text[256];
    kiln_backtrace_format(&bt, text, sizeof text);
    cr_expect_str_eq(text, "  0: evil\\1b[31mred\\0akiln: trap: fake (wasm function 3) at a\\5cb\\07.c:7\n"
                           "  1: plain_name (wasm function 4)\n");
}
