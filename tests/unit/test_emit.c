/* test_emit.c - parallel compilation (emit.c's partitions, lower.c's
 * partition driver, link.c's relocatable link): a module split into
 * contiguous ranges compiled in separate LLVM contexts and threads must
 * behave exactly like the module compiled whole.
 *
 * tests/unit/wat/partition.wat calls across every boundary a split can
 * draw (direct and mutual recursion, tables, multi-value, imports, traps,
 * stack exhaustion); it is converted by CMake into KILN_TEST_WASM_DIR. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"
#include "lower_internal.h"
#include "wasm_fixture.h"


#define PREFIX "partition"

static loaded wasm_load(void) { return wasm_load_named("partition"); }

/* ---- running a compiled module -------------------------------------------- */

typedef struct guest {
    void *so;
    kiln_linker *linker;
    kiln_instance *inst;
    char so_path[96];
} guest;

static uint32_t host_add3(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env;
    (void)caller;
    results[0].i32 = args[0].i32 + args[1].i32 + args[2].i32;
    return KILN_TRAP_NONE;
}

static void guest_load(guest *g, const char *obj) {
    kiln_error err;
    error_clear(&err);
    cr_assert(link_shared_library(obj, g->so_path, &err), "%s", err.message);
    g->so = dlopen(g->so_path, RTLD_NOW | RTLD_LOCAL);
    cr_assert(g->so, "dlopen: %s", dlerror());
    const kiln_module_desc *desc = dlsym(g->so, PREFIX "_module");
    cr_assert(desc, "no " PREFIX "_module");
    static const uint8_t iii[] = {KILN_I32, KILN_I32, KILN_I32}, i[] = {KILN_I32};
    kiln_signature sig = {3, 1, iii, i};
    g->linker = kiln_linker_new();
    cr_assert(kiln_linker_define_func(g->linker, "env", "add3", &sig, host_add3, NULL));
    kiln_instantiate_error ierr;
    g->inst = kiln_instantiate(desc, g->linker, &ierr);
    cr_assert(g->inst, "instantiate: %s", ierr.message);
}

/* Compiles partition.wasm with `jobs` threads into `partitions` parts
 * (through module_compile_object, or module_compile_memory when
 * `in_memory`) and instantiates it. */
static guest guest_open(int opt, int jobs, int partitions, bool in_memory) {
    guest g = {0};
    loaded l = wasm_load();
    kiln_compile_options opts = {.opt_level = opt, .prefix = PREFIX, .explicit_bounds = true,
                                 .jobs = jobs, .partitions = partitions};
    kiln_error err;
    error_clear(&err);
    char obj[96];
    snprintf(obj, sizeof obj, "/tmp/kiln-test-emit-%d-O%d-p%d.o", (int)getpid(), opt, partitions);
    snprintf(g.so_path, sizeof g.so_path, "/tmp/kiln-test-emit-%d-O%d-p%d.so", (int)getpid(), opt,
             partitions);
    if (in_memory) {
        uint8_t *object;
        size_t size;
        cr_assert(module_compile_memory(l.m, l.bytes, l.size, &opts, &object, &size, &err), "%s",
                  err.message);
        FILE *f = fopen(obj, "wb");
        cr_assert(f && fwrite(object, 1, size, f) == size);
        fclose(f);
        free(object);
    } else {
        cr_assert(module_compile_object(l.m, l.bytes, l.size, &opts, obj, &err), "%s", err.message);
    }
    loaded_free(&l);
    guest_load(&g, obj);
    unlink(obj);
    return g;
}

static void guest_close(guest *g) {
    kiln_instance_free(g->inst);
    kiln_linker_free(g->linker);
    dlclose(g->so);
    unlink(g->so_path);
}

/* Calls an (i32...) -> i32 export: the result, or -1000 - trap kind. */
static int64_t call(guest *g, const char *export, int32_t a, int32_t b, int32_t c) {
    kiln_extern e;
    cr_assert(kiln_instance_export(g->inst, export, &e), "no export %s", export);
    kiln_val s[3] = {{.i32 = a}, {.i32 = b}, {.i32 = c}};
    uint32_t trap = kiln_call(g->inst, e.of.func, s);
    return trap ? -1000 - (int64_t)trap : s[0].i32;
}

#define TRAPPED(kind) (-1000 - (int64_t)(kind))

/* The hand-checked results every split must give. */
static void results_check(guest *g, const char *what) {
    cr_expect_eq(call(g, "even", 10, 0, 0), 1, "%s: even(10)", what);
    cr_expect_eq(call(g, "even", 7, 0, 0), 0, "%s: even(7)", what);
    cr_expect_eq(call(g, "apply", 0, 17, 5), 22, "%s: add via table", what);
    cr_expect_eq(call(g, "apply", 1, 17, 5), 12, "%s: sub via table", what);
    cr_expect_eq(call(g, "apply", 2, 17, 5), 85, "%s: mul via table", what);
    cr_expect_eq(call(g, "apply", 3, 17, 5), 3, "%s: div via table", what);
    cr_expect_eq(call(g, "apply", 3, 1, 0), TRAPPED(KILN_TRAP_INTEGER_DIVIDE_BY_ZERO), "%s", what);
    cr_expect_eq(call(g, "apply", 4, 1, 1), TRAPPED(KILN_TRAP_UNDEFINED_ELEMENT), "%s", what);
    cr_expect_eq(call(g, "fib", 10, 0, 0), 55, "%s: fib(10)", what);
    cr_expect_eq(call(g, "divmod", 17, 5, 0), 3002, "%s: divmod", what);
    cr_expect_eq(call(g, "host", 5, 0, 0), 22, "%s: import", what);
    cr_expect_eq(call(g, "poke_peek", 16, 1234, 0), 1234, "%s: memory", what);
    cr_expect_eq(call(g, "poke_peek", 65534, 1, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS), "%s",
                 what);
    cr_expect_eq(call(g, "runaway", 0, 0, 0), TRAPPED(KILN_TRAP_CALL_STACK_EXHAUSTED), "%s", what);
}

Test(partitions, every_split_gives_the_results_of_the_whole_module) {
    static const int counts[] = {1, 2, 3, 5, 16};
    for (unsigned o = 0; o < 2; o++) {
        for (unsigned k = 0; k < sizeof counts / sizeof counts[0]; k++) {
            char what[64];
            snprintf(what, sizeof what, "-O%d, %d partitions", o * 2, counts[k]);
            guest g = guest_open((int)o * 2, counts[k], counts[k], false);
            results_check(&g, what);
            guest_close(&g);
        }
    }
}

Test(partitions, more_partitions_than_threads_or_functions_still_work) {
    guest g = guest_open(0, 2, 64, false);
    results_check(&g, "64 partitions on 2 threads");
    guest_close(&g);
}

/* module_compile_memory's object (malloc'ed), asserting success. */
static uint8_t *memory_compile(const loaded *l, const kiln_compile_options *opts, size_t *size) {
    kiln_error err;
    error_clear(&err);
    uint8_t *object;
    cr_assert(module_compile_memory(l->m, l->bytes, l->size, opts, &object, size, &err), "%s",
              err.message);
    return object;
}

Test(partitions, compile_memory_returns_one_relocatable_object) {
    loaded l = wasm_load();
    kiln_compile_options opts = {.opt_level = 0, .prefix = PREFIX, .explicit_bounds = true,
                                 .jobs = 2, .partitions = 3};
    size_t size;
    uint8_t *object = memory_compile(&l, &opts, &size);
    cr_assert_gt(size, sizeof(Elf64_Ehdr));
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)object;
    cr_expect(memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
    cr_expect_eq(eh->e_type, ET_REL);
    free(object);
    loaded_free(&l);
    guest g = guest_open(0, 2, 3, true);
    results_check(&g, "in memory, 3 partitions");
    guest_close(&g);
}

/* Partition symbols are hidden: the shared library exports the descriptor
 * and nothing else of the module, as when functions were internal. */
Test(partitions, only_the_descriptor_is_visible_outside_the_object) {
    guest g = guest_open(0, 2, 4, false);
    cr_expect(dlsym(g.so, PREFIX "_module") != NULL);
    char name[64];
    for (uint32_t i = 1; i <= 16; i++) {
        snprintf(name, sizeof name, PREFIX ".f%u", i);
        cr_expect(dlsym(g.so, name) == NULL, "%s is exported", name);
    }
    guest_close(&g);
}

/* Every partition carries unwind tables, not only the descriptor's: a trap
 * in a function of one partition, called through the table from another,
 * has both frames in its backtrace (at -O0 nothing is inlined). */
Test(partitions, a_trap_backtrace_crosses_partitions) {
    guest g = guest_open(0, 2, 16, false);
    cr_assert_eq(call(&g, "apply", 3, 1, 0), TRAPPED(KILN_TRAP_INTEGER_DIVIDE_BY_ZERO));
    const kiln_backtrace *bt = kiln_trap_backtrace();
    cr_assert_geq(bt->num_frames, 2);
    cr_expect_eq(bt->frames[0].func_index, 4, "innermost: $div");
    cr_expect_eq(bt->frames[1].func_index, 6, "then apply");
    guest_close(&g);
}

/* ---- the IR of one partition ------------------------------------------------ */

/* The LLVM function of wasm function `index`: "<prefix>.f<index>", with
 * or without a ".<name>" from the name section. */
/* kind 'f': the function's body; 's': its entry stub. */
static LLVMValueRef named_find(LLVMModuleRef mod, char kind, uint32_t index) {
    char want[32];
    int n = snprintf(want, sizeof want, PREFIX ".%c%u", kind, index);
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        size_t len;
        const char *name = LLVMGetValueName2(fn, &len);
        if (strncmp(name, want, (size_t)n) == 0 && (name[n] == 0 || name[n] == '.')) return fn;
    }
    return NULL;
}

static LLVMValueRef func_find(LLVMModuleRef mod, uint32_t index) {
    return named_find(mod, 'f', index);
}

static int definitions_count(LLVMModuleRef mod) {
    int n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        size_t len;
        const char *name = LLVMGetValueName2(fn, &len);
        n += strncmp(name, PREFIX ".f", strlen(PREFIX ".f")) == 0 && LLVMCountBasicBlocks(fn) > 0;
    }
    return n;
}

/* Functions 5..8 of 1..16 (even, apply, divmod's helper, fib): even calls
 * odd (14), the helper div (4) and fib add (1), whose bodies must be
 * hidden declarations, called after a check against their frame-size
 * entries <prefix>.z<index> (hidden, defined by their own partition as
 * this one defines z5..z8); no stub is declared (they are partition 0's,
 * for the descriptor, which belongs to partition 0). */
Test(partitions, a_partition_defines_its_range_and_declares_its_callees) {
    loaded l = wasm_load();
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = host_tm();
    kiln_compile_options opts = {.opt_level = 0, .prefix = PREFIX, .explicit_bounds = true};
    lower_partition part = {1, 3, 5, 9, NULL};
    kiln_error err;
    error_clear(&err);
    LLVMModuleRef mod =
        module_compile_ir_partition(l.m, l.bytes, l.size, &opts, &part, NULL, ctx, tm, false, &err);
    cr_assert(mod, "%s", err.message);
    cr_expect_eq(definitions_count(mod), 4);
    for (uint32_t i = 5; i < 9; i++) cr_expect(func_find(mod, i) && LLVMCountBasicBlocks(func_find(mod, i)));
    LLVMValueRef odd = func_find(mod, 14), add = func_find(mod, 1);
    cr_assert(odd && add && func_find(mod, 4), "callees in other partitions are declared");
    for (uint32_t i = 1; i <= 16; i++) /* the exports 5, 6, 8 have their own here */
        if (i < 5 || i > 8) cr_expect(named_find(mod, 's', i) == NULL, "stub %u", i);
    cr_expect(named_find(mod, 's', 5) && !named_find(mod, 's', 7), "only exports have stubs");
    const uint32_t callees[] = {1, 4, 14};
    for (int k = 0; k < 3; k++) {
        char z[32];
        snprintf(z, sizeof z, PREFIX ".z%u", callees[k]);
        LLVMValueRef frame = LLVMGetNamedGlobal(mod, z);
        cr_expect(frame && LLVMIsDeclaration(frame), "%s is declared", z);
        if (frame) cr_expect_eq(LLVMGetVisibility(frame), LLVMHiddenVisibility, "%s", z);
    }
    for (uint32_t i = 5; i < 9; i++) {
        char z[32];
        snprintf(z, sizeof z, PREFIX ".z%u", i);
        LLVMValueRef alias = LLVMGetNamedGlobalAlias(mod, z, strlen(z));
        cr_expect(alias && LLVMGetVisibility(alias) == LLVMHiddenVisibility, "%s is defined", z);
    }
    cr_expect_eq(LLVMCountBasicBlocks(odd), 0);
    cr_expect_eq(LLVMGetVisibility(odd), LLVMHiddenVisibility);
    cr_expect_eq(LLVMGetLinkage(odd), LLVMExternalLinkage);
    cr_expect_eq(LLVMGetVisibility(func_find(mod, 5)), LLVMHiddenVisibility);
    cr_expect(func_find(mod, 12) == NULL && named_find(mod, 's', 12) == NULL,
              "poke_peek is neither here nor called from here");
    cr_expect(LLVMGetNamedGlobal(mod, PREFIX "_module") == NULL);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    loaded_free(&l);
}

/* ---- the vectorizers: functions with a loop only --------------------------- */

static int vector_values(LLVMValueRef fn) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            n += LLVMGetTypeKind(LLVMTypeOf(i)) == LLVMVectorTypeKind;
    return n;
}

static bool has_noimplicitfloat(LLVMValueRef fn) {
    unsigned kind = LLVMGetEnumAttributeKindForName("noimplicitfloat", 15);
    return LLVMGetEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, kind) != NULL;
}

Test(vectorizers, slp_runs_only_on_functions_with_a_loop_at_O2) {
    /* vectorize.wat: the same four adjacent adds, straight-line in
     * function 0 and in a loop body in function 1.  SLP vectorizes both
     * when it runs on both (without the rule, function 0 had four vector
     * values); -O2 runs it only where the CFG has a cycle, and the mark
     * that hid function 0 from it is gone before code generation. */
    loaded l = wasm_load_named("vectorize");
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = host_tm();
    kiln_compile_options opts = {.opt_level = 2, .prefix = PREFIX};
    kiln_error err;
    error_clear(&err);
    LLVMModuleRef mod = module_compile_ir(l.m, l.bytes, l.size, &opts, ctx, tm, true, &err);
    cr_assert(mod, "%s", err.message);
    LLVMValueRef straight = func_find(mod, 0), looped = func_find(mod, 1);
    cr_assert(straight && looped);
    cr_expect_eq(vector_values(straight), 0, "no SLP in straight-line code");
    cr_expect_gt(vector_values(looped), 0, "SLP (or the loop vectorizer) in the loop");
    cr_expect_not(has_noimplicitfloat(straight), "the mark is taken off again");
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    loaded_free(&l);
}

/* ---- target_caps.c ----------------------------------------------------------- */

static lower_target_caps caps_for(const char *triple, const char *cpu, const char *features) {
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
    LLVMTargetRef target;
    char *msg = NULL;
    cr_assert_not(LLVMGetTargetFromTriple(triple, &target, &msg), "%s", msg ? msg : "");
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, features,
                                                      LLVMCodeGenLevelDefault, LLVMRelocPIC,
                                                      LLVMCodeModelDefault);
    lower_target_caps caps = target_caps_of(tm);
    LLVMDisposeTargetMachine(tm);
    return caps;
}

/* The relaxed SIMD forms follow from these (docs/relaxed-simd.md). */
Test(target_caps, names_what_each_cpu_has) {
    lower_target_caps c = caps_for("x86_64-unknown-linux-gnu", "generic", "");
    cr_expect(c.x86 && !c.ssse3 && !c.fma, "generic x86-64 is SSE2 only");
    c = caps_for("x86_64-unknown-linux-gnu", "core2", "");
    cr_expect(c.x86 && c.ssse3 && !c.fma, "core2 has SSSE3, no FMA");
    c = caps_for("x86_64-unknown-linux-gnu", "haswell", "");
    cr_expect(c.x86 && c.ssse3 && c.fma, "haswell has both");
    c = caps_for("x86_64-unknown-linux-gnu", "generic", "+ssse3,+fma");
    cr_expect(c.ssse3 && c.fma, "a feature string counts too");
    c = caps_for("aarch64-unknown-linux-gnu", "generic", "");
    cr_expect(!c.x86 && !c.ssse3 && c.fma, "aarch64 always fuses");
    /* Asked again: the cached answer for the previous target is not reused. */
    c = caps_for("x86_64-unknown-linux-gnu", "generic", "");
    cr_expect(c.x86 && !c.fma);
}

/* ---- small and big frames (lower_frame_small) ----------------------------- */

/* Loads in `fn` of a frame-size table entry (the table global itself or a
 * constant GEP into it). */
static int frame_entry_loads(LLVMValueRef fn, LLVMValueRef table) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (LLVMGetInstructionOpcode(i) != LLVMLoad) continue;
            LLVMValueRef p = LLVMGetOperand(i, 0);
            n += p == table || (LLVMIsAConstantExpr(p) && LLVMGetOperand(p, 0) == table);
        }
    return n;
}

/* frames.wat's $big needs a frame bigger than KILN_SMALL_FRAME_MAX at
 * -O2: the first lowering checks its calls as small, frames.c finds it
 * bigger, and the module is lowered again (the IR dump holds the last
 * lowering) with $big's recursive call and its stub reading its table
 * entry, while $small's stays the bare compare. */
Test(frames, a_body_found_too_big_for_the_small_check_is_lowered_again_with_its_entry) {
    loaded l = wasm_load_named("frames");
    char dir[] = "/tmp/kiln-test-frames-XXXXXX", path[64];
    cr_assert(mkdtemp(dir));
    kiln_compile_options opts = {.opt_level = 2, .prefix = "frames", .dump_ir_dir = dir};
    size_t size;
    free(memory_compile(&l, &opts, &size));
    snprintf(path, sizeof path, "%s/p0.bc", dir);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMMemoryBufferRef buf;
    char *msg = NULL;
    cr_assert_not(LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &msg), "%s", msg);
    LLVMModuleRef mod;
    cr_assert_not(LLVMParseBitcodeInContext2(ctx, buf, &mod));
    LLVMValueRef table = LLVMGetNamedGlobal(mod, "frames.frames0");
    cr_assert(table);
    LLVMValueRef small = LLVMGetNamedFunction(mod, "frames.f0"), big = LLVMGetNamedFunction(mod, "frames.f1");
    cr_assert(small && big);
    cr_expect_eq(frame_entry_loads(small, table), 0, "$small is checked as a small frame");
    cr_expect_eq(frame_entry_loads(big, table), 1, "$big's call of itself reads its entry");
    cr_expect_eq(frame_entry_loads(LLVMGetNamedFunction(mod, "frames.s1"), table), 1, "so does its stub");
    cr_expect_eq(frame_entry_loads(LLVMGetNamedFunction(mod, "frames.s0"), table), 0);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    unlink(path);
    rmdir(dir);
    loaded_free(&l);
}
