/* test_lower.c - the back end (lower*.c, descriptor.c, emit.c, link.c):
 * IR properties of small modules, and the same modules compiled, linked
 * into a shared library, instantiated by the runtime and run at -O0 and
 * -O2 with hand-checked results and every trap edge.
 *
 * The modules are tests/unit/wat/NAME.wat, converted by CMake with wat2wasm
 * into KILN_TEST_WASM_DIR. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "instance_fixture.h"
#include "kiln.h"
#include "lower_internal.h"
#include "wasm_fixture.h"

/* A module's IR (ir_compile). */
typedef struct ir {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMTargetMachineRef tm;
    loaded l;
} ir;

/* The -O0 IR of a module: what lowering itself produced, or with
 * `passes` what -O0 hands to code generation (after its passes, if any). */
static ir ir_compile(const char *name, bool passes) {
    ir r = {LLVMContextCreate(), NULL, host_tm(), wasm_load_named(name)};
    kiln_compile_options opts = {.opt_level = 0, .prefix = name, .explicit_bounds = true};
    kiln_error err;
    error_clear(&err);
    r.mod = module_compile_ir(r.l.m, r.l.bytes, r.l.size, &opts, r.ctx, r.tm, passes, &err);
    cr_assert(r.mod, "%s: %s", name, err.message);
    return r;
}

static ir ir_lower(const char *name) { return ir_compile(name, false); }

static void ir_free(ir *r) {
    LLVMDisposeModule(r->mod);
    LLVMContextDispose(r->ctx);
    LLVMDisposeTargetMachine(r->tm);
    loaded_free(&r->l);
}

/* ---- running --------------------------------------------------------------- */

typedef struct guest {
    void *so;
    kiln_linker *linker;
    kiln_instance *inst;
    kiln_global_inst *base;
    char so_path[64];
} guest;

static uint32_t host_add3(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env;
    (void)caller;
    results[0].i32 = args[0].i32 + args[1].i32 + args[2].i32;
    return KILN_TRAP_NONE;
}

static uint32_t host_mul3(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env;
    (void)caller;
    results[0].i32 = args[0].i32 * args[1].i32 * args[2].i32;
    return KILN_TRAP_NONE;
}

/* imports.wat's env.wide17: r[k] = a[k] + 1000 * a[16 - k], k < 5. */
static uint32_t host_wide17(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env;
    (void)caller;
    int32_t r[5];
    for (int k = 0; k < 5; k++) r[k] = args[k].i32 + 1000 * args[16 - k].i32;
    for (int k = 0; k < 5; k++) results[k].i32 = r[k];
    return KILN_TRAP_NONE;
}

static uint32_t host_sum17(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env;
    (void)caller;
    int32_t sum = 0;
    for (int k = 0; k < 17; k++) sum += args[k].i32 * (k + 1);
    results[0].i32 = sum;
    return KILN_TRAP_NONE;
}

/* exceptions.wat's env.reenter: calls the caller's "throw" export with 7. */
static uint32_t host_reenter(void *env, kiln_instance *caller, const kiln_val *args,
                             kiln_val *results) {
    (void)env;
    kiln_extern e;
    if (!kiln_instance_export(caller, "throw", &e)) return KILN_TRAP_HOST;
    kiln_val s[1] = {{.i32 = 7}};
    uint32_t rc = kiln_call(caller, e.of.func, s);
    results[0].i32 = (int32_t)rc;
    return args[0].i32 ? rc : KILN_TRAP_NONE;
}

static void imports_define(guest *g) {
    static const uint8_t iii[] = {KILN_I32, KILN_I32, KILN_I32}, i[] = {KILN_I32};
    kiln_signature sig = {3, 1, iii, i}, sig_i_i = {1, 1, i, i};
    g->linker = kiln_linker_new();
    cr_assert(kiln_linker_define_func(g->linker, "env", "add3", &sig, host_add3, NULL));
    cr_assert(kiln_linker_define_func(g->linker, "env", "mul3", &sig, host_mul3, NULL));
    cr_assert(kiln_linker_define_func(g->linker, "env", "reenter", &sig_i_i, host_reenter, NULL));
    static const uint8_t i17[17] = {KILN_I32, KILN_I32, KILN_I32, KILN_I32, KILN_I32, KILN_I32,
                                    KILN_I32, KILN_I32, KILN_I32, KILN_I32, KILN_I32, KILN_I32,
                                    KILN_I32, KILN_I32, KILN_I32, KILN_I32, KILN_I32};
    kiln_signature sig_wide = {17, 5, i17, i17}, sig_sum = {17, 1, i17, i};
    cr_assert(kiln_linker_define_func(g->linker, "env", "wide17", &sig_wide, host_wide17, NULL));
    cr_assert(kiln_linker_define_func(g->linker, "env", "sum17", &sig_sum, host_sum17, NULL));
    g->base = kiln_global_new(KILN_I32, false, (kiln_val){.i32 = 5});
    kiln_extern e = {.kind = KILN_EXTERN_GLOBAL, .of.global = g->base};
    cr_assert(kiln_linker_define(g->linker, "env", "base", e));
}

/* Compiles `name` at `opt`, links it into a shared library and
 * instantiates it from the descriptor found with dlsym. */
static guest guest_open(const char *name, int opt) {
    guest g = {0};
    loaded l = wasm_load_named(name);
    kiln_compile_options opts = {.opt_level = opt, .prefix = name, .explicit_bounds = true};
    kiln_error err;
    error_clear(&err);
    char obj[64];
    snprintf(obj, sizeof obj, "/tmp/kiln-test-%d-%s-O%d.o", (int)getpid(), name, opt);
    snprintf(g.so_path, sizeof g.so_path, "/tmp/kiln-test-%d-%s-O%d.so", (int)getpid(), name, opt);
    cr_assert(module_compile_object(l.m, l.bytes, l.size, &opts, obj, &err), "%s", err.message);
    cr_assert(link_shared_library(obj, g.so_path, &err), "%s", err.message);
    unlink(obj);
    loaded_free(&l);
    g.so = dlopen(g.so_path, RTLD_NOW | RTLD_LOCAL);
    cr_assert(g.so, "dlopen: %s", dlerror());
    char sym[128];
    snprintf(sym, sizeof sym, "%s_module", name);
    const kiln_module_desc *desc = dlsym(g.so, sym);
    cr_assert(desc, "no %s", sym);
    imports_define(&g);
    kiln_instantiate_error ierr;
    g.inst = kiln_instantiate(desc, g.linker, &ierr);
    cr_assert(g.inst, "instantiate: %s", ierr.message);
    return g;
}

static void guest_close(guest *g) {
    kiln_instance_free(g->inst);
    kiln_linker_free(g->linker);
    kiln_global_free(g->base);
    dlclose(g->so);
    unlink(g->so_path);
}

static uint32_t guest_call(guest *g, const char *export, kiln_val *slots) {
    kiln_extern e;
    cr_assert(kiln_instance_export(g->inst, export, &e), "no export %s", export);
    cr_assert_eq(e.kind, KILN_EXTERN_FUNC);
    return kiln_call(g->inst, e.of.func, slots);
}

/* Calls an (i32...) -> i32 export; the result, or -1000 - trap kind. */
static int64_t call_i32(guest *g, const char *export, int n, int32_t a, int32_t b, int32_t c) {
    kiln_val s[4] = {{.i32 = a}, {.i32 = b}, {.i32 = c}, {0}};
    (void)n;
    uint32_t trap = guest_call(g, export, s);
    return trap ? -1000 - (int64_t)trap : s[0].i32;
}

/* Calls an export without results: 0, or -1000 - trap kind. */
static int64_t call_void(guest *g, const char *export, int32_t a, int32_t b, int32_t c) {
    kiln_val s[3] = {{.i32 = a}, {.i32 = b}, {.i32 = c}};
    uint32_t trap = guest_call(g, export, s);
    return trap ? -1000 - (int64_t)trap : 0;
}

#define TRAPPED(kind) (-1000 - (int64_t)(kind))
static const int opt_levels[] = {0, 2};
#define FOR_EACH_OPT(g, name) \
    for (unsigned oi_ = 0; oi_ < 2; oi_++) \
        for (guest g = guest_open(name, opt_levels[oi_]), *once_ = &g; once_; guest_close(&g), once_ = NULL)

/* ---- IR properties ---------------------------------------------------------- */

static bool is_trap_block(LLVMBasicBlockRef bb, uint32_t kind) {
    for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
        if (LLVMGetInstructionOpcode(i) != LLVMCall) continue;
        size_t len;
        const char *callee = LLVMGetValueName2(LLVMGetCalledValue(i), &len);
        if (strcmp(callee, "kiln_rt_trap") != 0) continue;
        LLVMValueRef k = LLVMGetOperand(i, 1);
        return LLVMIsAConstantInt(k) && LLVMConstIntGetZExtValue(k) == kind;
    }
    return false;
}

static bool branches_to_trap(LLVMBasicBlockRef bb, uint32_t kind) {
    LLVMValueRef t = LLVMGetBasicBlockTerminator(bb);
    return t && LLVMGetInstructionOpcode(t) == LLVMBr && LLVMIsConditional(t) &&
           is_trap_block(LLVMGetSuccessor(t, 0), kind);
}

static bool is_group_check(LLVMBasicBlockRef bb) {
    return strncmp(LLVMGetBasicBlockName(bb), "group.exact", 11) == 0;
}

/* A block is "checked" if it is the false edge of a branch to the
 * out-of-bounds trap block, or of a group check (the branch to the exact
 * test of several loads, lower_memory.c). */
static bool block_is_checked(LLVMValueRef fn, LLVMBasicBlockRef target) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
        LLVMValueRef t = LLVMGetBasicBlockTerminator(bb);
        if (!t || LLVMGetInstructionOpcode(t) != LLVMBr || !LLVMIsConditional(t)) continue;
        if (LLVMGetSuccessor(t, 1) != target) continue;
        LLVMBasicBlockRef taken = LLVMGetSuccessor(t, 0);
        if (is_trap_block(taken, KILN_TRAP_MEMORY_OUT_OF_BOUNDS) ||
            (is_group_check(taken) && branches_to_trap(taken, KILN_TRAP_MEMORY_OUT_OF_BOUNDS)))
            return true;
    }
    return false;
}

/* Linear-memory accesses are the only loads/stores with alignment 1. */
static bool is_memory_access(LLVMValueRef i) {
    LLVMOpcode op = LLVMGetInstructionOpcode(i);
    return (op == LLVMLoad || op == LLVMStore) && LLVMGetAlignment(i) == 1;
}

Test(lower_ir, every_memory_access_is_bounds_checked_first) {
    ir r = ir_lower("memory");
    int accesses = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(r.mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
                if (is_memory_access(i)) {
                    accesses++;
                    cr_expect(block_is_checked(fn, bb), "unchecked access in %s",
                              LLVMGetValueName2(fn, &(size_t){0}));
                }
    cr_expect_geq(accesses, 13, "only %d memory accesses found", accesses);
    ir_free(&r);
}

/* load_group's four loads off one local: one fast check, whose failure
 * leads to one exact test that may trap. */
Test(lower_ir, loads_off_one_local_share_one_bounds_check) {
    ir r = ir_lower("memory");
    int grouped = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(r.mod); fn; fn = LLVMGetNextFunction(fn)) {
        int groups = 0, traps = 0;
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
            groups += is_group_check(bb);
            traps += branches_to_trap(bb, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
        }
        if (!groups) continue;
        grouped++;
        cr_expect_eq(groups, 1);
        cr_expect_eq(traps, 1, "%d checks instead of one", traps);
    }
    /* only load_group: in load_store_load the store ends the run */
    cr_expect_eq(grouped, 1);
    ir_free(&r);
}

Test(lower_ir, address_arithmetic_has_no_inbounds_or_wrap_flags) {
    ir r = ir_lower("memory");
    char *text = LLVMPrintModuleToString(r.mod);
    cr_expect_null(strstr(text, "inbounds"));
    cr_expect_null(strstr(text, "add nuw"));
    cr_expect_null(strstr(text, "add nsw"));
    cr_expect_not_null(strstr(text, "4294967295"), "the max offset is added in i64");
    LLVMDisposeMessage(text);
    ir_free(&r);
}

static bool name_has(LLVMValueRef fn, const char *part) {
    return strstr(LLVMGetValueName2(fn, &(size_t){0}), part) != NULL;
}

/* Calls from function bodies (control.f*) to bodies or entry stubs. */
static int direct_calls_to_wasm(LLVMModuleRef mod, int *tail_marked) {
    int n = 0;
    *tail_marked = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (!name_has(fn, "control.f")) continue;
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
                if (LLVMGetInstructionOpcode(i) != LLVMCall) continue;
                LLVMValueRef callee = LLVMGetCalledValue(i);
                if (!LLVMIsAFunction(callee)) continue;
                if (name_has(callee, "control.f") || name_has(callee, "control.s")) {
                    n++;
                    if (LLVMGetTailCallKind(i) != LLVMTailCallKindNoTail) (*tail_marked)++;
                }
            }
    }
    return n;
}

Test(lower_ir, calls_to_defined_functions_are_direct_and_never_tail) {
    ir r = ir_lower("control");
    int tail;
    /* fac, pair_combine, pair, runaway, even, odd */
    cr_expect_geq(direct_calls_to_wasm(r.mod, &tail), 6);
    cr_expect_eq(tail, 0);
    ir_free(&r);
}

static bool is_zext_of_i1(LLVMValueRef v) {
    return LLVMIsAZExtInst(v) && LLVMGetTypeKind(LLVMTypeOf(LLVMGetOperand(v, 0))) == LLVMIntegerTypeKind &&
           LLVMGetIntTypeWidth(LLVMTypeOf(LLVMGetOperand(v, 0))) == 1;
}

/* if, br_if and select test a compare's i1 directly, not `zext != 0`
 * (instruction selection fuses it into the branch, also at -O0), and an
 * if without else sends its false edge straight to its end: the only
 * `else` blocks are those of the four ifs with an else (fac, even, odd,
 * compare_if_param). */
Test(lower_ir, conditions_test_compares_directly_and_ifs_without_else_have_no_else_block) {
    ir r = ir_lower("control");
    int retested = 0, else_blocks = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(r.mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
            else_blocks += strncmp(LLVMGetBasicBlockName(bb), "else", 4) == 0;
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
                retested += LLVMGetInstructionOpcode(i) == LLVMICmp &&
                            LLVMGetICmpPredicate(i) == LLVMIntNE && is_zext_of_i1(LLVMGetOperand(i, 0));
        }
    cr_expect_eq(retested, 0);
    cr_expect_eq(else_blocks, 4);
    ir_free(&r);
}

static int count_opcode(LLVMModuleRef mod, LLVMOpcode op) {
    int n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
                n += LLVMGetInstructionOpcode(i) == op;
    return n;
}

static int allocas_in(LLVMModuleRef mod) { return count_opcode(mod, LLVMAlloca); }

/* -O0 leaves scalar code's locals in their allocas (no mem2reg: fast
 * instruction selection takes them as they are) and promotes SIMD
 * code's; a body that checks the stack reads sp and the limit first in
 * its entry block, before the locals' stores, so only those two reads
 * go to SelectionDAG. */
Test(lower_ir, o0_promotes_locals_only_in_simd_code) {
    ir scalar = ir_compile("control", true), simd = ir_compile("simd_memory", true);
    cr_expect_gt(allocas_in(scalar.mod), 0);
    cr_expect_eq(allocas_in(simd.mod), 0);
    int reads_first = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(scalar.mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (LLVMIsDeclaration(fn) || !name_has(fn, "control.f")) continue;
        LLVMValueRef first = LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(fn));
        if (LLVMGetInstructionOpcode(first) != LLVMLoad) continue;
        reads_first++;
        cr_expect_eq(LLVMGetInstructionOpcode(LLVMGetNextInstruction(first)), LLVMCall);
    }
    cr_expect_geq(reads_first, 3, "fac, pair_combine, even and odd check the stack");
    ir_free(&scalar);
    ir_free(&simd);
}

/* An entry stub checks the stack and then calls its body once, a call
 * that may never be inlined into the stub (the stub's own frame is only
 * bounded, not measured with the body's), except a small leaf's, which
 * checks nothing and whose C-convention body is always inlined (frames.c
 * bounds that stub as a leaf).  Stubs are tailcc (the ABI of
 * function references); bodies are tailcc too in a module with tail calls,
 * and the stub jumps there (a musttail call), or C functions otherwise,
 * which the stub calls (x86-64 host: tailcc exists). */
static void stubs_check(const char *name, bool tail_calls) {
    ir r = ir_lower(name);
    char stub_prefix[64], body_prefix[64];
    snprintf(stub_prefix, sizeof stub_prefix, "%s.s", name);
    snprintf(body_prefix, sizeof body_prefix, "%s.f", name);
    unsigned body_conv = tail_calls ? LOWER_TAIL_CALL_CONV : LLVMCCallConv;
    int stubs = 0;
    unsigned noinline = LLVMGetEnumAttributeKindForName("noinline", 8);
    unsigned alwaysinline = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
    for (LLVMValueRef fn = LLVMGetFirstFunction(r.mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (name_has(fn, body_prefix)) cr_expect_eq(LLVMGetFunctionCallConv(fn), body_conv);
        if (!name_has(fn, stub_prefix) || LLVMIsDeclaration(fn)) continue;
        stubs++;
        cr_expect_eq(LLVMGetFunctionCallConv(fn), LOWER_TAIL_CALL_CONV);
        int calls = 0;
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
                if (LLVMGetInstructionOpcode(i) != LLVMCall) continue;
                LLVMValueRef callee = LLVMGetCalledValue(i);
                if (!name_has(callee, body_prefix)) continue;
                calls++;
                uint32_t index = (uint32_t)strtoul(
                    strstr(LLVMGetValueName2(callee, &(size_t){0}), body_prefix) + strlen(body_prefix),
                    NULL, 10);
                bool inlined = !tail_calls && lower_small_leaf(r.l.m, index);
                /* Also for results that go through memory (the buffer is passed on). */
                int kind = tail_calls ? LLVMTailCallKindMustTail : LLVMTailCallKindNoTail;
                cr_expect_eq(LLVMGetTailCallKind(i), kind);
                cr_expect_eq(LLVMGetInstructionCallConv(i), body_conv);
                cr_expect_not_null(LLVMGetCallSiteEnumAttribute(i, LLVMAttributeFunctionIndex,
                                                                inlined ? alwaysinline : noinline));
            }
        cr_expect_eq(calls, 1, "a stub calls its body once");
    }
    cr_expect_gt(stubs, 0);
    ir_free(&r);
}

Test(lower_ir, without_tail_calls_bodies_are_c_functions_that_stubs_call) {
    stubs_check("control", false);
}

Test(lower_ir, with_tail_calls_bodies_are_tailcc_and_stubs_jump_to_them) {
    stubs_check("tailcalls", true);
}

Test(lower_ir, only_the_descriptor_is_exported) {
    ir r = ir_lower("control");
    int external = 0;
    for (LLVMValueRef g = LLVMGetFirstGlobal(r.mod); g; g = LLVMGetNextGlobal(g))
        if (LLVMGetLinkage(g) == LLVMExternalLinkage && !LLVMIsDeclaration(g)) {
            external++;
            cr_expect_str_eq(LLVMGetValueName2(g, &(size_t){0}), "control_module");
        }
    for (LLVMValueRef fn = LLVMGetFirstFunction(r.mod); fn; fn = LLVMGetNextFunction(fn))
        if (!LLVMIsDeclaration(fn)) cr_expect_eq(LLVMGetLinkage(fn), LLVMInternalLinkage);
    cr_expect_eq(external, 1);
    ir_free(&r);
}

static void compile_twice_check(const char *name, bool explicit_bounds) {
    loaded l = wasm_load_named(name);
    kiln_compile_options opts = {.opt_level = 2, .prefix = name, .explicit_bounds = explicit_bounds};
    kiln_error err;
    uint8_t *a, *b;
    size_t na, nb;
    cr_assert(module_compile_memory(l.m, l.bytes, l.size, &opts, &a, &na, &err), "%s", err.message);
    cr_assert(module_compile_memory(l.m, l.bytes, l.size, &opts, &b, &nb, &err), "%s", err.message);
    cr_expect_eq(na, nb, "%s", name);
    cr_expect(na == nb && memcmp(a, b, na) == 0, "%s: two compiles differ", name);
    free(a);
    free(b);
    loaded_free(&l);
}

/* Guard mode too: sink_trim once visited the sink in its hash set's
 * (address) order, and the crc32 bench kernel gave a different object on
 * every compile. */
Test(lower_ir, same_input_gives_identical_objects) {
    compile_twice_check("traps", true);
    compile_twice_check("traps", false);
    compile_twice_check("guard", false);
    compile_twice_check("simd_memory", false);
}

/* Calls made by the lowered wasm functions (not the descriptor's
 * trampolines): direct ones to other wasm functions, and indirect ones. */
static void wasm_calls_count(LLVMModuleRef mod, const char *prefix, int *direct, int *indirect) {
    *direct = *indirect = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (!strstr(LLVMGetValueName2(fn, &(size_t){0}), prefix)) continue;
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
                if (LLVMGetInstructionOpcode(i) != LLVMCall) continue;
                LLVMValueRef callee = LLVMGetCalledValue(i);
                if (!LLVMIsAFunction(callee)) (*indirect)++;
                else if (strstr(LLVMGetValueName2(callee, &(size_t){0}), prefix)) (*direct)++;
            }
    }
}

Test(lower_ir, call_indirect_through_a_private_unwritten_table_calls_directly) {
    ir r = ir_lower("control");
    int direct, indirect;
    wasm_calls_count(r.mod, "control.f", &direct, &indirect);
    /* Only written_call still loads its callee from the table. */
    cr_expect_eq(indirect, 1);
    /* the 6 plain calls, then known_call: $tenfold, $tenfold_too (element
     * 3 shares $tenfold's block); known_call_pair: $pair */
    cr_expect_geq(direct, 6 + 3);
    ir_free(&r);
}

/* ---- execution: control flow and calls ------------------------------------- */

Test(lower_run, recursion_loops_and_select) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "fac", 1, 5, 0, 0), 120);
        cr_expect_eq(call_i32(&g, "fac", 1, 1, 0, 0), 1);
        cr_expect_eq(call_i32(&g, "sum", 1, 100, 0, 0), 5050);
        cr_expect_eq(call_i32(&g, "sum", 1, 0, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "select", 3, 7, 8, 1), 7);
        cr_expect_eq(call_i32(&g, "select", 3, 7, 8, 0), 8);
    }
}

Test(lower_run, br_table_picks_targets_and_default) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "switch", 1, 0, 0, 0), 10);
        cr_expect_eq(call_i32(&g, "switch", 1, 1, 0, 0), 11);
        cr_expect_eq(call_i32(&g, "switch", 1, 2, 0, 0), 12);
        cr_expect_eq(call_i32(&g, "switch", 1, -1, 0, 0), 12);
        cr_expect_eq(call_i32(&g, "switch_value", 1, 1, 0, 0), 7);
        cr_expect_eq(call_i32(&g, "switch_value", 1, 99, 0, 0), 7);
    }
}

Test(lower_run, multi_value_calls_blocks_and_loops) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "pair_combine", 1, 4, 0, 0), 405);
        kiln_val s[2] = {{.i32 = 9}};
        cr_assert_eq(guest_call(&g, "pair", s), KILN_TRAP_NONE);
        cr_expect_eq(s[0].i32, 9);
        cr_expect_eq(s[1].i32, 10);
        cr_expect_eq(call_i32(&g, "block_params", 2, 10, 3, 0), 7);
        cr_expect_eq(call_i32(&g, "loop_params", 1, 6, 0, 0), 6);
        cr_expect_eq(call_i32(&g, "if_params", 2, 41, 1, 0), 42);
        cr_expect_eq(call_i32(&g, "if_params", 2, 41, 0, 0), 41);
    }
}

Test(lower_run, compares_tested_by_br_if_select_and_if) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "compare_br_if", 2, 3, 4, 0), 1);
        cr_expect_eq(call_i32(&g, "compare_br_if", 2, 4, 4, 0), 0);
        cr_expect_eq(call_i32(&g, "compare_select", 2, 3, -1, 0), 3);
        cr_expect_eq(call_i32(&g, "compare_select", 2, -1, 3, 0), 3);
        cr_expect_eq(call_i32(&g, "compare_if_param", 3, 3, 4, 1), 1);
        cr_expect_eq(call_i32(&g, "compare_if_param", 3, 4, 3, 1), 0);
        cr_expect_eq(call_i32(&g, "compare_if_param", 3, 3, 4, 0), 11);
        cr_expect_eq(call_i32(&g, "compare_if_param", 3, 4, 3, 0), 10);
    }
}

Test(lower_run, dead_code_after_branches_is_skipped) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "dead_code", 0, 0, 0, 0), 5);
        cr_expect_eq(call_i32(&g, "never_ends", 1, 4, 0, 0), 7);
    }
}

Test(lower_run, f64_values_keep_their_bits) {
    FOR_EACH_OPT(g, "control") {
        kiln_val s[1] = {{.f64 = -0.0}};
        cr_assert_eq(guest_call(&g, "f64_locals", s), KILN_TRAP_NONE);
        cr_expect(signbit(s[0].f64) && s[0].f64 == 0.0);
    }
}

Test(lower_run, deep_recursion_ends_in_stack_exhaustion) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "runaway", 0, 0, 0, 0), TRAPPED(KILN_TRAP_CALL_STACK_EXHAUSTED));
        kiln_val s[1] = {{.i64 = 100000000}};
        cr_expect_eq(guest_call(&g, "even", s), KILN_TRAP_CALL_STACK_EXHAUSTED);
        s[0].i64 = 1001;
        cr_expect_eq(guest_call(&g, "even", s), KILN_TRAP_NONE);
        cr_expect_eq(s[0].i32, 0);
        /* At -O0 one check at entry covers all three calls (lower.c). */
        cr_expect_eq(call_i32(&g, "calls_three", 1, 5, 0, 0), 245);
        cr_expect_eq(call_i32(&g, "calls_three", 1, 100000000, 0, 0),
                     TRAPPED(KILN_TRAP_CALL_STACK_EXHAUSTED));
    }
}

Test(lower_run, unreachable_traps) {
    FOR_EACH_OPT(g, "control") {
        kiln_val s[1] = {{0}};
        cr_expect_eq(guest_call(&g, "unreachable", s), KILN_TRAP_UNREACHABLE);
    }
}

/* ---- exceptions ---------------------------------------------------------------- */

/* An exception nobody catches is no trap: kiln_call says so and
 * kiln_exception() names its tag (the exported one) and payload. */
Test(lower_run, uncaught_exception_leaves_kiln_call_with_its_tag) {
    FOR_EACH_OPT(g, "exceptions") {
        kiln_extern tag;
        cr_assert(kiln_instance_export(g.inst, "e", &tag));
        cr_assert_eq(tag.kind, KILN_EXTERNKIND_TAG);
        cr_expect_eq(call_void(&g, "throw", 7, 0, 0), TRAPPED(KILN_TRAP_EXCEPTION));
        cr_expect_str_eq(kiln_trap_message(), "uncaught exception");
        const kiln_tag_inst *t;
        const kiln_val *vals;
        uint32_t n;
        cr_assert(kiln_exception(&t, &vals, &n));
        cr_expect_eq(t, tag.of.tag);
        cr_assert_eq(n, 1);
        cr_expect_eq(vals[0].i32, 7);
        kiln_signature sig;
        cr_assert(kiln_tag_signature(t, &sig));
        cr_expect(sig.num_params == 1 && sig.params[0] == KILN_I32 && sig.num_results == 0);
        cr_expect_eq(call_i32(&g, "catch", 1, 41, 0, 0), 42);
        cr_expect_eq(call_i32(&g, "trap", 1, 0, 0, 0), TRAPPED(KILN_TRAP_UNREACHABLE));
    }
}

/* Exceptions never cross a host frame (kiln.h): one thrown under a host
 * function that re-entered wasm ends that inner kiln_call; passed on by
 * the host, it ends the outer call as well, past its catch_all; and the
 * instance stays usable. */
Test(lower_run, exception_under_a_host_frame_stops_there) {
    FOR_EACH_OPT(g, "exceptions") {
        cr_expect_eq(call_i32(&g, "through-host", 1, 0, 0, 0), KILN_TRAP_EXCEPTION);
        cr_expect_eq(call_i32(&g, "through-host", 1, 1, 0, 0), TRAPPED(KILN_TRAP_EXCEPTION));
        const kiln_val *vals;
        uint32_t n;
        cr_assert(kiln_exception(NULL, &vals, &n));
        cr_expect(n == 1 && vals[0].i32 == 7);
        cr_expect_eq(call_i32(&g, "catch", 1, 41, 0, 0), 42);
        cr_expect_eq(call_i32(&g, "through-host", 1, 0, 0, 0), KILN_TRAP_EXCEPTION);
    }
}

/* -O2 keeps the landing pads: nothing in a module with exceptions is
 * nounwind, so no invoke becomes a call; a module without exceptions gets
 * no landing pad, personality or unwinding function. */
Test(lower_ir, optimised_code_keeps_its_landing_pads) {
    ir r = ir_lower("exceptions");
    kiln_compile_options opts = {.opt_level = 2, .prefix = "exceptions", .explicit_bounds = true};
    kiln_error err;
    error_clear(&err);
    LLVMModuleRef o2 = module_compile_ir(r.l.m, r.l.bytes, r.l.size, &opts, r.ctx, r.tm, true, &err);
    cr_assert(o2, "%s", err.message);
    cr_expect_gt(count_opcode(o2, LLVMLandingPad), 0);
    cr_expect_gt(count_opcode(o2, LLVMInvoke), 0);
    LLVMDisposeModule(o2);
    ir_free(&r);
    ir plain = ir_lower("control");
    cr_expect_eq(count_opcode(plain.mod, LLVMLandingPad), 0);
    unsigned nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8);
    for (LLVMValueRef fn = LLVMGetFirstFunction(plain.mod); fn; fn = LLVMGetNextFunction(fn))
        if (name_has(fn, "control.f"))
            cr_expect(LLVMGetEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, nounwind),
                      "%s unwinds", LLVMGetValueName(fn));
    ir_free(&plain);
}

/* ---- execution: memory ---------------------------------------------------------- */

Test(lower_run, loads_extend_by_signedness) {
    FOR_EACH_OPT(g, "memory") {
        cr_expect_eq(call_i32(&g, "load", 1, 16, 0, 0), 0x04030201);
        cr_expect_eq(call_i32(&g, "load_off", 1, 12, 0, 0), 0x04030201);
        cr_expect_eq(call_i32(&g, "load8_s", 1, 24, 0, 0), -1);
        cr_expect_eq(call_i32(&g, "load8_u", 1, 24, 0, 0), 255);
        cr_expect_eq(call_i32(&g, "load16_s", 1, 24, 0, 0), (int16_t)0xfeff);
        kiln_val s[1] = {{.i32 = 22}};
        cr_assert_eq(guest_call(&g, "i64_load32_s", s), KILN_TRAP_NONE);
        cr_expect_eq(s[0].i64, (int64_t)(int32_t)0xfeff0807);
    }
}

Test(lower_run, stores_write_only_their_width) {
    FOR_EACH_OPT(g, "memory") {
        cr_expect_eq(call_void(&g, "store", 100, 0x11223344, 0), 0);
        cr_expect_eq(call_void(&g, "store8", 100, 0x1ff, 0), 0);
        cr_expect_eq(call_i32(&g, "load", 1, 100, 0, 0), 0x112233ff);
        kiln_val s[2] = {{.i32 = 102}, {.i64 = 0x7777abcd}};
        cr_assert_eq(guest_call(&g, "i64_store16", s), KILN_TRAP_NONE);
        cr_expect_eq(call_i32(&g, "load", 1, 100, 0, 0), (int32_t)0xabcd33ff);
    }
}

Test(lower_run, float_stores_keep_nan_payloads) {
    FOR_EACH_OPT(g, "memory") {
        uint32_t bits = 0x7fa00001; /* a signalling NaN */
        kiln_val s[2] = {{.i32 = 40}};
        memcpy(&s[1].f32, &bits, 4);
        cr_assert_eq(guest_call(&g, "f32_roundtrip", s), KILN_TRAP_NONE);
        cr_expect_eq((uint32_t)s[0].i32, bits);
    }
}

Test(lower_run, out_of_bounds_edges_trap) {
    FOR_EACH_OPT(g, "memory") {
        const int32_t size = 65536;
        cr_expect_eq(call_i32(&g, "load", 1, size - 4, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "load", 1, size - 3, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "load", 1, size, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "load", 1, -1, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "load8_u", 1, size - 1, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "load_off", 1, size - 8, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "load_off", 1, size - 7, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        /* offset + address beyond 2^32 must not wrap around to 0 */
        cr_expect_eq(call_i32(&g, "load_max_off", 1, 1, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "load_max_off", 1, 0, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_void(&g, "store", size - 2, 1, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
    }
}

Test(lower_run, loads_checked_together_trap_exactly_when_one_is_out) {
    FOR_EACH_OPT(g, "memory") {
        const int32_t size = 65536;
        cr_expect_eq(call_i32(&g, "load_group", 1, 20, 0, 0), 0x0C0B0705);
        cr_expect_eq(call_i32(&g, "load_group", 1, 4, 0, 0), call_i32(&g, "load", 1, 4, 0, 0) +
                     call_i32(&g, "load", 1, 0, 0, 0) + call_i32(&g, "load", 1, 8, 0, 0));
        cr_expect_eq(call_i32(&g, "load_group", 1, size - 10, 0, 0), 0);
        /* only the last byte is out */
        cr_expect_eq(call_i32(&g, "load_group", 1, size - 9, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        /* x - 4 wraps to the top of the address space */
        cr_expect_eq(call_i32(&g, "load_group", 1, 3, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "load_group", 1, -1, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        /* the store before the out-of-bounds load still happened */
        cr_expect_eq(call_void(&g, "store", 0, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "load_store_load", 1, size - 8, 0, 0),
                     TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "load", 1, 0, 0, 0), 77);
    }
}

Test(lower_run, memory_grow_moves_the_bounds) {
    FOR_EACH_OPT(g, "memory") {
        cr_expect_eq(call_i32(&g, "size", 0, 0, 0, 0), 1);
        cr_expect_eq(call_i32(&g, "load", 1, 65536, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "grow", 1, 1, 0, 0), 1);
        cr_expect_eq(call_i32(&g, "size", 0, 0, 0, 0), 2);
        cr_expect_eq(call_i32(&g, "load", 1, 65536, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "grow", 1, 2, 0, 0), -1); /* max is 3 */
        cr_expect_eq(call_i32(&g, "load", 1, 2 * 65536 - 4, 0, 0), 0);
    }
}

Test(lower_run, bulk_memory_goes_through_the_runtime) {
    FOR_EACH_OPT(g, "memory") {
        cr_expect_eq(call_void(&g, "fill", 200, 0xab, 4), 0);
        cr_expect_eq(call_i32(&g, "load", 1, 200, 0, 0), (int32_t)0xabababab);
        cr_expect_eq(call_void(&g, "copy", 300, 16, 4), 0);
        cr_expect_eq(call_i32(&g, "load", 1, 300, 0, 0), 0x04030201);
        cr_expect_eq(call_void(&g, "fill", 65535, 0, 2), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        cr_expect_eq(call_void(&g, "store_loop", 8, 3, 0), 0);
        cr_expect_eq(call_i32(&g, "load", 1, 28, 0, 0), 3);
    }
}

/* ---- execution: traps from numeric code and tables ------------------------------ */

Test(lower_run, integer_division_edges) {
    FOR_EACH_OPT(g, "traps") {
        cr_expect_eq(call_i32(&g, "div_s", 2, 7, -2, 0), -3);
        cr_expect_eq(call_i32(&g, "div_s", 2, 7, 0, 0), TRAPPED(KILN_TRAP_INTEGER_DIVIDE_BY_ZERO));
        cr_expect_eq(call_i32(&g, "div_s", 2, INT32_MIN, -1, 0), TRAPPED(KILN_TRAP_INTEGER_OVERFLOW));
        cr_expect_eq(call_i32(&g, "rem_s", 2, INT32_MIN, -1, 0), 0);
        cr_expect_eq(call_i32(&g, "rem_s", 2, -7, 2, 0), -1);
        cr_expect_eq(call_i32(&g, "rem_s", 2, 7, 0, 0), TRAPPED(KILN_TRAP_INTEGER_DIVIDE_BY_ZERO));
    }
}

Test(lower_run, float_truncation_out_of_range_traps) {
    FOR_EACH_OPT(g, "traps") {
        kiln_val s[1] = {{.f32 = -2147483648.0f}};
        cr_expect_eq(guest_call(&g, "trunc", s), KILN_TRAP_NONE);
        cr_expect_eq(s[0].i32, INT32_MIN);
        s[0].f32 = 2147483648.0f;
        cr_expect_eq(guest_call(&g, "trunc", s), KILN_TRAP_INTEGER_OVERFLOW);
        s[0].f32 = NAN;
        cr_expect_eq(guest_call(&g, "trunc", s), KILN_TRAP_INVALID_CONVERSION);
    }
}

Test(lower_run, call_indirect_checks_bounds_null_and_type) {
    FOR_EACH_OPT(g, "traps") {
        cr_expect_eq(call_i32(&g, "call_ii", 2, 0, 21, 0), 42);
        cr_expect_eq(call_i32(&g, "call_ii", 2, 1, 21, 0), TRAPPED(KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH));
        cr_expect_eq(call_i32(&g, "call_ii", 2, 2, 21, 0), TRAPPED(KILN_TRAP_UNINITIALIZED_ELEMENT));
        cr_expect_eq(call_i32(&g, "call_ii", 2, 4, 21, 0), TRAPPED(KILN_TRAP_UNDEFINED_ELEMENT));
        cr_expect_eq(call_i32(&g, "call_ii", 2, -1, 21, 0), TRAPPED(KILN_TRAP_UNDEFINED_ELEMENT));
        cr_expect_eq(call_void(&g, "call_v", 1, 0, 0), 0);
    }
}

Test(lower_run, call_indirect_through_a_known_table_keeps_every_trap) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "known_call", 2, 0, 7, 0), 70);
        cr_expect_eq(call_i32(&g, "known_call", 2, 3, 7, 0), 70);
        cr_expect_eq(call_i32(&g, "known_call", 2, 4, 8, 0), 80);
        cr_expect_eq(call_i32(&g, "known_call", 2, 1, 7, 0), TRAPPED(KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH));
        cr_expect_eq(call_i32(&g, "known_call", 2, 2, 7, 0), TRAPPED(KILN_TRAP_UNINITIALIZED_ELEMENT));
        cr_expect_eq(call_i32(&g, "known_call", 2, 5, 7, 0), TRAPPED(KILN_TRAP_UNDEFINED_ELEMENT));
        cr_expect_eq(call_i32(&g, "known_call", 2, -1, 7, 0), TRAPPED(KILN_TRAP_UNDEFINED_ELEMENT));
        cr_expect_eq(call_i32(&g, "known_call_pair", 2, 1, 4, 0), 405);
        cr_expect_eq(call_i32(&g, "known_call_pair", 2, 0, 4, 0),
                     TRAPPED(KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH));
    }
}

Test(lower_run, call_indirect_through_a_written_table_sees_the_write) {
    FOR_EACH_OPT(g, "control") {
        cr_expect_eq(call_i32(&g, "written_call", 2, 0, 3, 0), 30);
        cr_expect_eq(call_i32(&g, "written_call", 2, 2, 3, 0), TRAPPED(KILN_TRAP_UNINITIALIZED_ELEMENT));
        cr_expect_eq(call_void(&g, "written_set", 2, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "written_call", 2, 2, 3, 0), 30);
    }
}

Test(lower_run, tables_and_references) {
    FOR_EACH_OPT(g, "traps") {
        cr_expect_eq(call_i32(&g, "table_get_null", 1, 0, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "table_get_null", 1, 2, 0, 0), 1);
        cr_expect_eq(call_i32(&g, "table_get_null", 1, 4, 0, 0), TRAPPED(KILN_TRAP_TABLE_OUT_OF_BOUNDS));
        cr_expect_eq(call_i32(&g, "table_size", 0, 0, 0, 0), 4);
        cr_expect_eq(call_i32(&g, "table_grow", 1, 2, 0, 0), 4);
        cr_expect_eq(call_i32(&g, "table_size", 0, 0, 0, 0), 6);
        cr_expect_eq(call_i32(&g, "table_get_null", 1, 5, 0, 0), 1);
        cr_expect_eq(call_i32(&g, "ref_func_call", 1, 8, 0, 0), 16);
    }
}

/* ---- execution: imports -------------------------------------------------------- */

Test(lower_run, imported_functions_and_globals) {
    FOR_EACH_OPT(g, "imports") {
        cr_expect_eq(call_i32(&g, "call_host", 1, 1, 0, 0), 16); /* 1 + 10 + base 5 */
        cr_expect_eq(call_i32(&g, "call_mul", 1, 2, 0, 0), 100); /* 2 * 10 * base 5 */
        cr_expect_eq(call_i32(&g, "reexport", 3, 2, 3, 4), 9);
        cr_expect_eq(call_i32(&g, "reexport_mul", 3, 2, 3, 4), 24);
        /* Parameters and results through memory, via the shared thunk. */
        int32_t a[17], want = 0;
        for (int k = 0; k < 17; k++) a[k] = k + 1;
        a[0] = -7;
        for (int k = 0; k < 5; k++) want = want * 3 + a[k] + 1000 * a[16 - k];
        cr_expect_eq(call_i32(&g, "call_wide", 1, -7, 0, 0), want);
        int32_t sum = 0;
        for (int k = 0; k < 17; k++) sum += a[k] * (k + 1);
        cr_expect_eq(call_i32(&g, "call_sum17", 1, -7, 0, 0), sum);
        kiln_val s[1] = {{0}};
        cr_assert_eq(guest_call(&g, "bump", s), KILN_TRAP_NONE);
        cr_expect_eq(s[0].i64, 42);
        cr_assert_eq(guest_call(&g, "bump", s), KILN_TRAP_NONE);
        cr_expect_eq(s[0].i64, 44);
    }
}

/* Import thunks depend only on the signature: imports of equal
 * signatures share one, whatever their type indices (descriptor.c). */
Test(lower_ir, imports_of_equal_signatures_share_one_thunk) {
    ir r = ir_lower("imports");
    int thunks = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(r.mod); fn; fn = LLVMGetNextFunction(fn))
        thunks += !LLVMIsDeclaration(fn) && name_has(fn, ".thunk");
    /* $add3 and $mul3 share one; $wide17 and $sum17 have their own. */
    cr_expect_eq(thunks, 3, "%d thunks for 3 signatures", thunks);
    ir_free(&r);
}

/* ---- execution: SIMD memory instructions (expected values from node) -------- */

Test(lower_run, simd_loads_and_stores_by_width_and_lane) {
    FOR_EACH_OPT(g, "simd_memory") {
        cr_expect_eq(call_i32(&g, "load_lane3", 1, 0, 0, 0), 0x100f0e0d);
        cr_expect_eq(call_i32(&g, "load8x8_s_lane7", 1, 10, 0, 0), -1);
        cr_expect_eq(call_i32(&g, "load8x8_u_lane7", 1, 10, 0, 0), 255);
        cr_expect_eq(call_i32(&g, "load16_splat_lane5", 1, 16, 0, 0), 0xff80);
        cr_expect_eq(call_i32(&g, "load32_zero_lane1", 1, 0, 0, 0), 0);
        kiln_val s[1] = {{.i32 = 8}};
        cr_assert_eq(guest_call(&g, "load64_lane1", s), KILN_TRAP_NONE);
        cr_expect_eq(s[0].i64, 0x100f0e0d0c0b0a09);
        cr_expect_eq(call_i32(&g, "store32_lane2", 1, 100, 0, 0), 30);
        cr_expect_eq(call_i32(&g, "store_whole", 1, 200, 0, 0), 4);
    }
}

Test(lower_run, simd_accesses_check_their_full_width) {
    FOR_EACH_OPT(g, "simd_memory") {
        cr_expect_eq(call_i32(&g, "load_lane3", 1, 65536 - 16, 0, 0), 0);
        cr_expect_eq(call_i32(&g, "load_lane3", 1, 65536 - 15, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
        kiln_val s[1] = {{.i32 = 65536 - 8}};
        cr_expect_eq(guest_call(&g, "load64_lane1", s), KILN_TRAP_NONE);
        s[0].i32 = 65536 - 7;
        cr_expect_eq(guest_call(&g, "load64_lane1", s), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
        cr_expect_eq(call_i32(&g, "store32_lane2", 1, 65536 - 3, 0, 0), TRAPPED(KILN_TRAP_MEMORY_OUT_OF_BOUNDS));
    }
}

/* Every entry stub checks the stack, and at -O0 every body that calls a
 * body checks it once, in its entry block: one llvm.read_register, one
 * frame-size load per distinct callee, and nothing per call.  Calls of
 * small leaves are not checked: the margin below the limit covers their
 * frames (lower_small_leaf). */
static uint32_t body_index(LLVMValueRef fn, const char *prefix) {
    return (uint32_t)strtoul(strstr(LLVMGetValueName2(fn, &(size_t){0}), prefix) + strlen(prefix),
                             NULL, 10);
}

/* In `fn`: llvm.read_register calls, loads named "frame" (lower.c's
 * frame_load) and how many of those lie outside the entry block. */
static void stack_reads_count(LLVMValueRef fn, int *reads, int *frame_loads, int *outside_entry) {
    *reads = *frame_loads = *outside_entry = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            bool read = LLVMGetInstructionOpcode(i) == LLVMCall &&
                        name_has(LLVMGetCalledValue(i), "llvm.read_register");
            bool frame = LLVMGetInstructionOpcode(i) == LLVMLoad && name_has(i, "frame");
            *reads += read;
            *frame_loads += frame;
            if ((read || frame) && bb != LLVMGetEntryBasicBlock(fn)) ++*outside_entry;
        }
}

/* How many distinct non-leaf bodies `fn` calls directly; *leaf_calls
 * counts its calls of small leaves. */
static int checked_callees_count(const ir *r, LLVMValueRef fn, int *leaf_calls) {
    LLVMValueRef seen[64];
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (LLVMGetInstructionOpcode(i) != LLVMCall) continue;
            LLVMValueRef callee = LLVMGetCalledValue(i);
            if (!name_has(callee, "control.f")) continue;
            if (lower_small_leaf(r->l.m, body_index(callee, "control.f"))) {
                ++*leaf_calls;
                continue;
            }
            int k = 0;
            while (k < n && seen[k] != callee) k++;
            if (k == n && n < 64) seen[n++] = callee;
        }
    return n;
}

Test(lower_ir, o0_checks_the_stack_once_per_calling_body_for_every_callee_but_small_leaves) {
    ir r = ir_lower("control");
    int stubs = 0, callers = 0, leaf_calls = 0, most_callees = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(r.mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (LLVMIsDeclaration(fn)) continue;
        int reads, frame_loads, outside;
        stack_reads_count(fn, &reads, &frame_loads, &outside);
        if (name_has(fn, "control.s")) {
            /* A small leaf's stub checks nothing (lower.c, stub_build). */
            bool leaf = lower_small_leaf(r.l.m, body_index(fn, "control.s"));
            cr_expect_eq(reads, leaf ? 0 : 1, "%s", LLVMGetValueName2(fn, &(size_t){0}));
            stubs += !leaf;
            continue;
        }
        if (!name_has(fn, "control.f")) continue;
        int callees = checked_callees_count(&r, fn, &leaf_calls);
        const char *name = LLVMGetValueName2(fn, &(size_t){0});
        cr_expect_eq(reads, callees ? 1 : 0, "%s: %d stack pointer reads", name, reads);
        cr_expect_eq(frame_loads, callees, "%s: %d frame loads for %d callees", name, frame_loads,
                     callees);
        cr_expect_eq(outside, 0, "%s: stack check outside the entry block", name);
        callers += callees > 0;
        if (callees > most_callees) most_callees = callees;
    }
    cr_expect_gt(stubs, 0);
    cr_expect_gt(leaf_calls, 0, "control.wat calls a small leaf ($pair)");
    cr_expect_gt(callers, 2, "control.wat calls non-leaves ($fac, $even, $odd)");
    cr_expect_eq(most_callees, 2, "calls_three calls $fac twice and $even once");
    ir_free(&r);
}

/* ---- entry stubs: only for functions a reference can name ----------------- */

/* entries.wat's functions 0 ($direct) and 9 ($leaf) are reached by direct
 * calls only; every other one is exported, in an element segment (active,
 * passive or declarative), named by a global's ref.func, or the start. */
static bool entries_expect_stub(uint32_t index) { return index != 0 && index != 9; }

Test(lower_ir, entry_stubs_only_for_functions_a_reference_can_name) {
    ir r = ir_lower("entries");
    for (uint32_t i = 0; i < r.l.m->num_funcs; i++) {
        char name[64];
        snprintf(name, sizeof name, "entries.s%u", i);
        LLVMValueRef stub = LLVMGetNamedFunction(r.mod, name);
        cr_expect_eq(stub != NULL, entries_expect_stub(i), "function %u: stub %s", i,
                     stub ? "made" : "missing");
    }
    ir_free(&r);
}

Test(lower_run, functions_without_a_stub_have_no_descriptor_entry_and_still_check_the_stack) {
    FOR_EACH_OPT(g, "entries") {
        const kiln_module_desc *d = dlsym(g.so, "entries_module");
        cr_assert_not_null(d);
        for (uint32_t i = 0; i < d->num_defined_funcs; i++) {
            cr_expect_eq(d->func_code[i] != NULL, entries_expect_stub(i), "function %u", i);
            cr_expect_not_null(d->func_bodies[i], "function %u", i);
        }
        cr_expect_eq(call_i32(&g, "started", 1, 0, 0, 0), 2);
        cr_expect_eq(call_i32(&g, "direct", 1, 1000, 0, 0), 1000);
        cr_expect_eq(call_i32(&g, "direct", 1, -1, 0, 0), TRAPPED(KILN_TRAP_CALL_STACK_EXHAUSTED));
        cr_expect_eq(call_i32(&g, "exported", 1, -1, 0, 0), TRAPPED(KILN_TRAP_CALL_STACK_EXHAUSTED));
        cr_expect_eq(call_i32(&g, "fill", 1, 0, 0, 0), 0);
        for (int32_t slot = 0; slot < 2; slot++) {
            cr_expect_eq(call_i32(&g, "indirect", 2, 1000, slot, 0), 1000, "slot %d", slot);
            cr_expect_eq(call_i32(&g, "indirect", 2, -1, slot, 0),
                         TRAPPED(KILN_TRAP_CALL_STACK_EXHAUSTED), "slot %d", slot);
        }
        cr_expect_eq(call_i32(&g, "indirect", 2, 5, 2, 0), 15);
        cr_expect_eq(call_i32(&g, "direct", 1, 3, 0, 0), 3);
    }
}

/* A descriptor (an object is input too) whose entry for a function a
 * reference can name is NULL is refused before anything could call it. */
Test(lower_run, a_descriptor_missing_a_needed_entry_is_refused) {
    guest g = guest_open("entries", 0);
    const kiln_module_desc *d = dlsym(g.so, "entries_module");
    cr_assert_not_null(d);
    void *code[16];
    cr_assert_leq(d->num_defined_funcs, 16);
    for (uint32_t k = 0; k < d->num_defined_funcs; k++) {
        if (!entries_expect_stub(k)) continue;
        memcpy(code, d->func_code, d->num_defined_funcs * sizeof *code);
        code[k] = NULL;
        kiln_module_desc copy = *d;
        copy.func_code = code;
        kiln_instantiate_error err;
        kiln_instance *inst = kiln_instantiate(&copy, g.linker, &err);
        cr_expect_null(inst, "function %u", k);
        if (inst) kiln_instance_free(inst);
        else cr_expect(err.kind == KILN_INST_BAD_MODULE && strstr(err.message, "no entry point"),
                       "function %u: %s", k, err.message);
    }
    guest_close(&g);
}

/* ---- adversarial nesting: compile time must stay near linear ------------- */

typedef struct wbuf {
    uint8_t *p;
    size_t n;
} wbuf;

static void wb_put(wbuf *b, const void *bytes, size_t n) {
    memcpy(b->p + b->n, bytes, n);
    b->n += n;
}

static void wb_leb(wbuf *b, uint32_t v) {
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        b->p[b->n++] = byte | (v ? 0x80 : 0);
    } while (v);
}

static uint32_t leb_size(uint32_t v) {
    uint32_t n = 1;
    while (v >>= 7) n++;
    return n;
}

/* Byte strings of wasm code. */
typedef struct piece {
    const char *p;
    size_t n;
} piece;
#define PIECE(s) ((piece){s, sizeof s - 1})

/* The module in `b`, decoded and validated (the test stops otherwise). */
static kiln_module *module_valid(const wbuf *b) {
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = features_default()};
    kiln_module *m = module_decode(b->p, b->n, &dopts, &err);
    cr_assert(m, "decode: %s", err.message);
    cr_assert(module_validate(m, &err), "validate: %s", err.message);
    return m;
}

/* (memory 1) (func [(export "r")] (param i32) (result i32) BODY), the
 * body's bytes (after its local declarations) written by `body`, which
 * is told where; decoded and validated. */
typedef void body_writer(wbuf *b, const void *arg);

static kiln_module *body_module(uint32_t body_len, body_writer *body, const void *arg, bool export_r,
                                loaded *l) {
    body_len += 2; /* no locals, end */
    uint32_t code_len = 1 + leb_size(body_len) + body_len;
    wbuf b = {malloc(body_len + 64), 0};
    wb_put(&b, "\0asm\1\0\0\0", 8);
    wb_put(&b, "\x01\x06\x01\x60\x01\x7f\x01\x7f", 8); /* type (i32) -> i32 */
    wb_put(&b, "\x03\x02\x01\x00", 4);                 /* func 0: type 0 */
    wb_put(&b, "\x05\x03\x01\x00\x01", 5);             /* memory 1 */
    if (export_r) wb_put(&b, "\x07\x05\x01\x01r\x00\x00", 7); /* export "r" func 0 */
    b.p[b.n++] = 10;
    wb_leb(&b, code_len);
    b.p[b.n++] = 1;
    wb_leb(&b, body_len);
    b.p[b.n++] = 0; /* no locals */
    body(&b, arg);
    b.p[b.n++] = 0x0b;
    kiln_module *m = module_valid(&b);
    *l = (loaded){b.p, b.n, m};
    return m;
}

typedef struct nesting {
    uint32_t depth;
    piece open, middle, close;
} nesting;

static void nesting_write(wbuf *b, const void *arg) {
    const nesting *n = arg;
    for (uint32_t i = 0; i < n->depth; i++) wb_put(b, n->open.p, n->open.n);
    wb_put(b, n->middle.p, n->middle.n);
    for (uint32_t i = 0; i < n->depth; i++) wb_put(b, n->close.p, n->close.n);
}

/* A body of OPEN x depth, MIDDLE, CLOSE x depth. */
static kiln_module *nested_module(uint32_t depth, piece open, piece middle, piece close,
                                  uint8_t **bytes, size_t *size) {
    nesting n = {depth, open, middle, close};
    loaded l;
    kiln_module *m = body_module((uint32_t)((open.n + close.n) * depth + middle.n), nesting_write, &n,
                                 false, &l);
    *bytes = l.bytes, *size = l.size;
    return m;
}

static LLVMModuleRef nested_lower(kiln_module *m, const uint8_t *bytes, size_t size, int opt_level,
                                  bool explicit_bounds, LLVMContextRef ctx, LLVMTargetMachineRef tm) {
    kiln_compile_options opts = {.opt_level = opt_level, .prefix = "nest", .explicit_bounds = explicit_bounds};
    kiln_error err;
    error_clear(&err);
    LLVMModuleRef mod = module_compile_ir(m, bytes, size, &opts, ctx, tm, opt_level > 0, &err);
    cr_assert(mod, "%s", err.message);
    return mod;
}

static bool body_has_attr(LLVMModuleRef mod, const char *attr) {
    LLVMValueRef fn = LLVMGetNamedFunction(mod, "nest.f0");
    cr_assert(fn, "the body nest.f0 exists");
    unsigned kind = LLVMGetEnumAttributeKindForName(attr, strlen(attr));
    return LLVMGetEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, kind) != NULL;
}

/* Guard mode finds the blocks that reach a `ret` (memory_loads_pin): that
 * was a fixed point over the block list, quadratic in the nesting, and
 * 100,000 nested blocks around a load took over ten minutes to lower. */
Test(lower_ir, guard_mode_lowers_100000_nested_blocks_in_linear_time, .timeout = 120) {
    uint8_t *bytes;
    size_t size;
    kiln_module *m = nested_module(100000, PIECE("\x02\x7f"), PIECE("\x20\x00\x28\x00\x00"),
                                   PIECE("\x0b"), &bytes, &size);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = host_tm();
    /* -O2: at -O0 guard-mode loads are volatile and take no sink. */
    LLVMModuleRef mod = nested_lower(m, bytes, size, 2, false, ctx, tm);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    module_free(m);
    free(bytes);
}

/* Lowering (and at -O1 and above the optimisation pipeline, no code
 * generation) of a nested body, timed by the test's limit; -O0 uses
 * explicit checks, -O2 guard pages. */
static void nested_lower_at(int opt_level, uint32_t depth, piece open, piece middle, piece close) {
    uint8_t *bytes;
    size_t size;
    kiln_module *m = nested_module(depth, open, middle, close, &bytes, &size);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMTargetMachineRef tm = host_tm();
    LLVMDisposeModule(nested_lower(m, bytes, size, opt_level, opt_level == 0, ctx, tm));
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    module_free(m);
    free(bytes);
}

/* Guard mode at -O2: the sink trim (sink_trim.c) judged a load once per
 * sink add carrying it, each time walking all of the load's uses.  GVN
 * merges the loads of one address in a chain of blocks into one value
 * with an add per block, so n blocks cost n^2: 40,000 took 31 s of CPU,
 * 100,000 about 260 s.  Each load is now judged once (80,000: a few
 * seconds); this body would take about two minutes the old way:
 *   ((block (br_if 0 (i32.load (local.get 0)))))^n (local.get 0) */
Test(lower_ir, guard_mode_trims_80000_blocks_loading_one_address_in_linear_time, .timeout = 60) {
    nested_lower_at(2, 80000, PIECE("\x02\x40\x20\x00\x28\x02\x00\x0d\x00\x0b"), PIECE("\x20\x00"),
                    PIECE(""));
}

/* In a module that uses exceptions every call looks for the innermost
 * active handler; that walked down the control stack, so a call at every
 * level of 200,000 nested blocks made lowering quadratic (about 85 s;
 * now each frame keeps the answer from its push, under 5 s):
 *   (block (result i32))^n (try_table) (local.get 0) ((call 0) end)^n */
Test(lower_ir, calls_200000_blocks_deep_find_their_handler_in_linear_time, .timeout = 60) {
    nested_lower_at(0, 200000, PIECE("\x02\x7f"), PIECE("\x1f\x40\x00\x0b\x20\x00"),
                    PIECE("\x10\x00\x0b"));
}

/* Whether a legacy catch must keep its exception (its body rethrows it)
 * was a scan of the catch's body, quadratic for catches nested in catches:
 *   (try (result i32) (do (call 0 (local.get 0))) (catch_all)^n
 *   (rethrow 0) end^n */
Test(lower_ir, legacy_catches_nested_100000_deep_in_linear_time, .timeout = 60) {
    nested_lower_at(0, 100000, PIECE("\x06\x7f\x20\x00\x10\x00\x19"), PIECE("\x09\x00"),
                    PIECE("\x0b"));
}

/* A body nested deeper than OPT_MAX_NESTING is compiled without LLVM's
 * optimisation passes (optnone): nested `if`s with results made EarlyCSE
 * and SimplifyCFG superquadratic (20,000 deep: 4 minutes at -O2). */
Test(lower_ir, bodies_nested_too_deep_are_not_optimised, .timeout = 120) {
    static const struct { uint32_t depth; bool optnone; } cases[] = {{10, false}, {900, false}, {20000, true}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t *bytes;
        size_t size;
        kiln_module *m = nested_module(cases[c].depth, PIECE("\x20\x00\x04\x7f"), PIECE("\x20\x00"),
                                       PIECE("\x05\x41\x01\x0b"), &bytes, &size);
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMTargetMachineRef tm = host_tm();
        LLVMModuleRef mod = nested_lower(m, bytes, size, 2, true, ctx, tm);
        cr_expect_eq(body_has_attr(mod, "optnone"), cases[c].optnone, "depth %u", cases[c].depth);
        cr_expect_eq(body_has_attr(mod, "noinline"), cases[c].optnone, "depth %u", cases[c].depth);
        LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
        LLVMDisposeTargetMachine(tm);
        module_free(m);
        free(bytes);
    }
}

/* ---- oversized bodies: compiled as at -O0 --------------------------------- */

/* lower_body_oversized at each bound and one below it: a body of `n`
 * copies of `piece`, then (local.get 0). */
static bool oversized_with(uint32_t n, piece p) {
    uint8_t *bytes;
    size_t size;
    kiln_module *m = nested_module(n, p, PIECE("\x20\x00"), PIECE(""), &bytes, &size);
    bool oversized = lower_body_oversized(m, 0);
    module_free(m);
    free(bytes);
    return oversized;
}

Test(lower_ir, bodies_past_any_bound_are_oversized) {
    /* Each piece counts once towards its bound, and a branch in it keeps
     * stretches short where the bound is not the stretch. */
    static const struct { const char *what; uint32_t copies; piece p; } cases[] = {
        {"instructions", 131072 / 3 + 1, PIECE("\x02\x40\x0c\x00\x0b")}, /* (block (br 0)) */
        /* (drop (call 0 (local.get 0))) (block (br 0)) */
        {"calls", 16384, PIECE("\x20\x00\x10\x00\x1a\x02\x40\x0c\x00\x0b")},
        {"stretch", 16384, PIECE("\x01")}, /* nop */
        {"loops", 4096, PIECE("\x03\x40\x0b")}, /* (loop) */
        /* (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)) */
        {"bulk memory", 2048, PIECE("\x41\x00\x41\x00\x41\x00\xfc\x0b\x00")},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cr_expect(oversized_with(cases[c].copies, cases[c].p), "%s: %u", cases[c].what, cases[c].copies);
        cr_expect_not(oversized_with(cases[c].copies / 2, cases[c].p), "%s: half", cases[c].what);
    }
    /* Empty blocks do not cut a stretch: LLVM merges them into one block. */
    cr_expect(oversized_with(16384, PIECE("\x01\x02\x40\x0b")), "nops between empty blocks");
}

/* A section: id, size, then the bytes of `body`. */
static void wb_section(wbuf *b, uint8_t id, const wbuf *body) {
    b->p[b->n++] = id;
    wb_leb(b, (uint32_t)body->n);
    wb_put(b, body->p, body->n);
}

/* Function 0 calls, `pairs` times, function 1, of 17 results, then
 * function 2, of 17 parameters: 34 values moved in groups of more than
 * 16 per pair (kiln_func.wide_values). */
static bool wide_calls_oversized(uint32_t pairs) {
    wbuf types = {malloc(64), 0}, code = {malloc(64 + 4 * (size_t)pairs), 0};
    wb_put(&types, "\x03\x60\x01\x7f\x01\x7f\x60\x00\x11", 9); /* (i32)->i32, ()->(i32 x17 */
    for (int i = 0; i < 17; i++) types.p[types.n++] = 0x7f;
    wb_put(&types, "\x60\x11", 2); /* (i32 x17)->() */
    for (int i = 0; i < 17; i++) types.p[types.n++] = 0x7f;
    types.p[types.n++] = 0x00;
    code.p[code.n++] = 3;
    wb_leb(&code, 4 * pairs + 4); /* no locals, pairs, local.get 0, end */
    code.p[code.n++] = 0;
    for (uint32_t i = 0; i < pairs; i++) wb_put(&code, "\x10\x01\x10\x02", 4);
    wb_put(&code, "\x20\x00\x0b", 3);
    wb_put(&code, "\x24\x00", 2); /* 36 bytes: no locals, 17 x (i32.const 0), end */
    for (int i = 0; i < 17; i++) wb_put(&code, "\x41\x00", 2);
    wb_put(&code, "\x0b\x02\x00\x0b", 4);
    wbuf b = {malloc(types.n + code.n + 64), 0};
    wb_put(&b, "\0asm\1\0\0\0", 8);
    wb_section(&b, 1, &types);
    wb_put(&b, "\x03\x04\x03\x00\x01\x02", 6); /* functions of types 0, 1, 2 */
    wb_section(&b, 10, &code);
    kiln_module *m = module_valid(&b);
    bool oversized = lower_body_oversized(m, 0);
    cr_expect_not(lower_body_oversized(m, 1), "the 17-result function itself");
    module_free(m);
    free(b.p);
    free(types.p);
    free(code.p);
    return oversized;
}

/* A call is two bytes however many values it moves: from 65,536 values
 * moved in groups of more than 16, a body is oversized, however short. */
Test(lower_ir, bodies_moving_65536_wide_values_are_oversized) {
    cr_expect(wide_calls_oversized(1928), "65,552 values");
    cr_expect_not(wide_calls_oversized(1927), "65,518 values");
}

/* ---- many calls in one body: the stack limit read once ------------------- */

static void calls_write(wbuf *b, const void *arg) {
    wb_put(b, "\x20\x00", 2); /* local.get 0 */
    for (uint32_t i = 0; i < *(const uint32_t *)arg; i++) wb_put(b, "\x10\x00", 2);
}

/* A body of (local.get 0) (call 0) x calls: recursing into itself. */
static kiln_module *calls_module(uint32_t calls, loaded *l) {
    return body_module(2 + 2 * calls, calls_write, &calls, true, l);
}

/* Loads of kiln_rt_stack_limit_small in `fn`. */
static int limit_small_loads(LLVMValueRef fn) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            n += LLVMGetInstructionOpcode(i) == LLVMLoad &&
                 name_has(LLVMGetOperand(i, 0), "kiln_rt_stack_limit_small");
    return n;
}

/* Read at every check, the limit's thread-local address is one value
 * that machine CSE merged in time quadratic in the calls (lower.c,
 * LOWER_LIMIT_READ_ONCE_CALLS): from 8,192 calls on, a body reads the
 * limit once, in its entry block. */
Test(lower_ir, bodies_of_8192_calls_or_more_read_the_stack_limit_once) {
    static const struct { uint32_t calls; bool once; } cases[] = {{8191, false}, {8192, true}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        loaded l;
        kiln_module *m = calls_module(cases[c].calls, &l);
        LLVMContextRef ctx = LLVMContextCreate();
        LLVMTargetMachineRef tm = host_tm();
        LLVMModuleRef mod = nested_lower(m, l.bytes, l.size, 2, false, ctx, tm);
        LLVMValueRef fn = LLVMGetNamedFunction(mod, "nest.f0");
        cr_assert(fn);
        int loads = limit_small_loads(fn);
        if (cases[c].once) cr_expect_eq(loads, 1, "%u calls: %d loads", cases[c].calls, loads);
        else cr_expect_gt(loads, 1000, "%u calls: %d loads", cases[c].calls, loads);
        LLVMDisposeModule(mod);
        LLVMContextDispose(ctx);
        LLVMDisposeTargetMachine(tm);
        loaded_free(&l);
    }
}

static kiln_extern export_of(kiln_instance *inst, const char *name) {
    kiln_extern e;
    cr_assert(kiln_instance_export(inst, name, &e), "no export %s", name);
    return e;
}

/* The limit read once is still the limit: recursing through such a body
 * ends in the stack-exhaustion trap, in both bounds modes. */
Test(lower_run, a_body_reading_the_stack_limit_once_still_traps_runaway_recursion) {
    for (int explicit_bounds = 0; explicit_bounds < 2; explicit_bounds++) {
        loaded l;
        calls_module(8192, &l);
        kiln_compile_options opts = {.opt_level = 2, .prefix = "calls8192", .explicit_bounds = explicit_bounds};
        compiled_so c = compiled_open(&l, &opts);
        kiln_linker *linker = kiln_linker_new();
        kiln_instantiate_error ierr;
        kiln_instance *inst = kiln_instantiate(c.desc, linker, &ierr);
        cr_assert(inst, "%s", ierr.message);
        kiln_val s[1] = {{.i32 = 1}};
        cr_expect_eq(kiln_call(inst, export_of(inst, "r").of.func, s), KILN_TRAP_CALL_STACK_EXHAUSTED,
                     "explicit %d", explicit_bounds);
        kiln_instance_free(inst);
        kiln_linker_free(linker);
        compiled_close(&c);
        loaded_free(&l);
    }
}

/* ---- typed references handed in by the host -------------------------------- */

/* (type $t (func (param i32) (result i32)))
 * (type $u (func (param i64 i64 i64) (result i64)))
 * (func $id (type $t) (local.get 0))
 * (func (export "other") (type $u) (i64.const 0x4142434445464748))
 * (global (export "g") (mut (ref null $t)) (ref.func $id))
 * (func (export "callg") (param i32) (result i32) (call_ref $t (local.get 0) (global.get 0)))
 * (func (export "callp") (param i32 (ref null $t)) (result i32)
 *   (call_ref $t (local.get 0) (local.get 1)))
 * encoded by hand: wabt 1.0.32 does not parse typed references. */
static const char typed_refs_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x14\x03\x60\x01\x7f\x01\x7f"
    "\x60\x03\x7e\x7e\x7e\x01\x7e\x60\x02\x7f\x63\x00\x01\x7f\x03\x05"
    "\x04\x00\x01\x00\x02\x06\x07\x01\x63\x00\x01\xd2\x00\x0b\x07\x1d"
    "\x04\x05\x6f\x74\x68\x65\x72\x00\x01\x01\x67\x03\x00\x05\x63\x61"
    "\x6c\x6c\x67\x00\x02\x05\x63\x61\x6c\x6c\x70\x00\x03\x09\x05\x01"
    "\x03\x00\x01\x00\x0a\x26\x04\x04\x00\x20\x00\x0b\x0d\x00\x42\xc8"
    "\x8e\x99\xaa\xc4\xe8\x90\xa1\xc1\x00\x0b\x08\x00\x20\x00\x23\x00"
    "\x14\x00\x0b\x08\x00\x20\x00\x20\x01\x14\x00\x0b";

/* Wasm code trusts a (ref null $t) to be null or a function of type $t
 * (call_ref checks only null).  kiln_call and kiln_global_set used to
 * take any function reference, so a host (or a wasm-c-api user calling
 * wasm_func_call) could hand callp a function of another type and call_ref
 * ran it with the wrong signature: an i32 where three i64 were expected. */
/* Decodes, validates and compiles a module given as bytes (size counts
 * the string literal's terminating NUL, which is not part of it). */
static compiled_so bytes_compile_mode(const char *bytes, size_t size, const char *prefix,
                                      bool explicit_bounds, loaded *l) {
    *l = (loaded){malloc(size), size - 1, NULL};
    memcpy(l->bytes, bytes, l->size);
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = features_default()};
    l->m = module_decode(l->bytes, l->size, &dopts, &err);
    cr_assert(l->m && module_validate(l->m, &err), "%s: %s", prefix, err.message);
    kiln_compile_options opts = {.opt_level = 2, .prefix = prefix, .explicit_bounds = explicit_bounds};
    return compiled_open(l, &opts);
}

static compiled_so bytes_compile(const char *bytes, size_t size, const char *prefix, loaded *l) {
    return bytes_compile_mode(bytes, size, prefix, true, l);
}

Test(lower_run, host_references_of_another_type_are_refused) {
    loaded l;
    compiled_so c = bytes_compile(typed_refs_wasm, sizeof typed_refs_wasm, "typedrefs", &l);
    kiln_linker *linker = kiln_linker_new();
    kiln_instantiate_error ierr;
    kiln_instance *inst = kiln_instantiate(c.desc, linker, &ierr);
    cr_assert(inst, "%s", ierr.message);
    kiln_func_ref *other = export_of(inst, "other").of.func;
    kiln_global_inst *g = export_of(inst, "g").of.global;
    kiln_func_ref *callp = export_of(inst, "callp").of.func, *callg = export_of(inst, "callg").of.func;
    void *id = kiln_global_get(g).ref;

    kiln_val s[2] = {{.i32 = 5}, {.ref = other}};
    cr_expect_eq(kiln_call(inst, callp, s), KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    cr_expect_str_eq(kiln_trap_message(), "argument 1 is not a reference of the parameter's type");
    s[0].i32 = 5, s[1].ref = id;
    cr_expect_eq(kiln_call(inst, callp, s), KILN_TRAP_NONE);
    cr_expect_eq(s[0].i32, 5);
    s[0].i32 = 5, s[1].ref = NULL;
    cr_expect_eq(kiln_call(inst, callp, s), KILN_TRAP_NULL_FUNCTION_REFERENCE);

    cr_expect_not(kiln_global_set(g, (kiln_val){.ref = other}));
    s[0].i32 = 6;
    cr_expect_eq(kiln_call(inst, callg, s), KILN_TRAP_NONE);
    cr_expect_eq(s[0].i32, 6, "the global still holds $id");
    cr_expect(kiln_global_set(g, (kiln_val){.ref = NULL}));
    cr_expect_eq(kiln_call(inst, callg, s), KILN_TRAP_NULL_FUNCTION_REFERENCE);

    kiln_instance_free(inst);
    kiln_linker_free(linker);
    compiled_close(&c);
    loaded_free(&l);
}

/* An exnref kept by one instance and stored where another can reach it
 * (here a global of a third): the exception must outlive the instance
 * that caught it.  It used to be freed with that instance, and the
 * other's throw_ref read freed memory.  Encoded by hand (wabt 1.0.32
 * reads neither exnref nor try_table):
 *   t: (tag $e (export "e") (param i32))
 *      (global (export "g") (mut exnref) (ref.null exn))
 *   a: (import "t" "e" (tag $e (param i32))) (import "t" "g" (global $g (mut exnref)))
 *      (func (export "keep") (global.set $g (block (result exnref)
 *        (try_table (catch_all_ref 0) (throw $e (i32.const 42))) (unreachable))))
 *   b: the same imports; (func (export "rethrow") (result i32)
 *      (block (result i32) (try_table (catch $e 0) (throw_ref (global.get $g)))
 *        (i32.const -1))) */
static const char exn_t_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x05\x01\x60\x01\x7f\x00\x0d"
    "\x03\x01\x00\x00\x06\x06\x01\x69\x01\xd0\x69\x0b\x07\x09\x02\x01"
    "\x65\x04\x00\x01\x67\x03\x00";
static const char exn_a_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x01\x7f\x00\x60"
    "\x00\x00\x02\x0f\x02\x01\x74\x01\x65\x04\x00\x00\x01\x74\x01\x67"
    "\x03\x69\x01\x03\x02\x01\x01\x07\x08\x01\x04\x6b\x65\x65\x70\x00"
    "\x00\x0a\x14\x01\x12\x00\x02\x69\x1f\x40\x01\x03\x00\x41\x2a\x08"
    "\x00\x0b\x00\x0b\x24\x00\x0b";
static const char exn_b_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x09\x02\x60\x01\x7f\x00\x60"
    "\x00\x01\x7f\x02\x0f\x02\x01\x74\x01\x65\x04\x00\x00\x01\x74\x01"
    "\x67\x03\x69\x01\x03\x02\x01\x01\x07\x0b\x01\x07\x72\x65\x74\x68"
    "\x72\x6f\x77\x00\x00\x0a\x13\x01\x11\x00\x02\x7f\x1f\x40\x01\x00"
    "\x00\x00\x23\x00\x0a\x0b\x41\x7f\x0b\x0b";

Test(lower_run, exnref_outlives_the_instance_that_caught_it) {
    loaded lt, la, lb;
    compiled_so ct = bytes_compile(exn_t_wasm, sizeof exn_t_wasm, "exnt", &lt);
    compiled_so ca = bytes_compile(exn_a_wasm, sizeof exn_a_wasm, "exna", &la);
    compiled_so cb = bytes_compile(exn_b_wasm, sizeof exn_b_wasm, "exnb", &lb);
    kiln_linker *linker = kiln_linker_new();
    kiln_instance *t = instance_or_fail(ct.desc, linker);
    cr_assert(kiln_linker_define_instance(linker, "t", t));
    kiln_instance *a = instance_or_fail(ca.desc, linker), *b = instance_or_fail(cb.desc, linker);
    kiln_val s[1] = {{.i32 = 0}};
    cr_assert_eq(kiln_call(a, export_of(a, "keep").of.func, s), KILN_TRAP_NONE);
    kiln_func_ref *rethrow = export_of(b, "rethrow").of.func;
    cr_assert_eq(kiln_call(b, rethrow, s), KILN_TRAP_NONE);
    cr_expect_eq(s[0].i32, 42);

    /* The host drops a, which stays with its group (it imports t's tag and
     * global, as b does; before the groups, nothing imported from a and it
     * went now).  Then the heap is reused with a pattern (were the
     * exception freed, its tag pointer would become 0xa5...). */
    kiln_instance_free(a);
    void **spray = heap_spray();
    for (int i = 0; i < 3; i++) {
        s[0].i32 = 0;
        cr_expect_eq(kiln_call(b, rethrow, s), KILN_TRAP_NONE, "%s", kiln_trap_message());
        cr_expect_eq(s[0].i32, 42);
    }
    heap_spray_free(spray);
    kiln_instance_free(b);
    kiln_instance_free(t);
    kiln_linker_free(linker);
    compiled_close(&ca), compiled_close(&cb), compiled_close(&ct);
    loaded_free(&la), loaded_free(&lb), loaded_free(&lt);
}

/* ---- the bound on kept exceptions ------------------------------------------ */

/* exn_keeper_wasm keeps an exception on every iteration, forever, in a
 * module that cannot pass exnrefs on; exn_open_keeper_wasm is the same
 * plus an exported exnref global, so what it keeps is never freed:
 *   (tag $t)
 *   (func (export "keep_forever") (loop (block (result exnref)
 *     (try_table (catch_all_ref 0) (throw $t)) (unreachable)) (drop) (br 0)))
 *   (func (export "seven") (result i32) (i32.const 7))
 *   open only: (global (export "g") (mut exnref) (ref.null exn)) */
static const char exn_keeper_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x00\x00\x60\x00"
    "\x01\x7f\x03\x03\x02\x00\x01\x0d\x03\x01\x00\x00\x07\x18\x02\x0c"
    "\x6b\x65\x65\x70\x5f\x66\x6f\x72\x65\x76\x65\x72\x00\x00\x05\x73"
    "\x65\x76\x65\x6e\x00\x01\x0a\x1b\x02\x14\x00\x03\x40\x02\x69\x1f"
    "\x40\x01\x03\x00\x08\x00\x0b\x00\x0b\x1a\x0c\x00\x0b\x0b\x04\x00"
    "\x41\x07\x0b";
static const char exn_open_keeper_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x08\x02\x60\x00\x00\x60\x00"
    "\x01\x7f\x03\x03\x02\x00\x01\x0d\x03\x01\x00\x00\x06\x06\x01\x69"
    "\x01\xd0\x69\x0b\x07\x1c\x03\x0c\x6b\x65\x65\x70\x5f\x66\x6f\x72"
    "\x65\x76\x65\x72\x00\x00\x05\x73\x65\x76\x65\x6e\x00\x01\x01\x67"
    "\x03\x00\x0a\x1b\x02\x14\x00\x03\x40\x02\x69\x1f\x40\x01\x03\x00"
    "\x08\x00\x0b\x00\x0b\x1a\x0c\x00\x0b\x0b\x04\x00\x41\x07\x0b";

/* Compiles `bytes` in one bounds mode, named `stem` and x or g. */
static compiled_so bytes_compile_in(const char *bytes, size_t size, const char *stem,
                                    int explicit_bounds, loaded *l) {
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s%c", stem, explicit_bounds ? 'x' : 'g');
    return bytes_compile_mode(bytes, size, prefix, explicit_bounds, l);
}

/* A page cap (KILN_NO_LIMIT: none) and a bound on kept exceptions (0: the
 * default), no other limit. */
static kiln_instance_limits limits_of(uint64_t pages, uint64_t exception_bytes) {
    return (kiln_instance_limits){.max_memory_pages = pages, .max_table_elements = KILN_NO_LIMIT,
                                  .max_exception_bytes = exception_bytes};
}

static kiln_instance *instance_limited(const compiled_so *c, kiln_linker *linker,
                                       kiln_instance_limits lim) {
    kiln_instantiate_error ierr;
    kiln_instance *inst = kiln_instantiate_limited(c->desc, linker, &lim, &ierr);
    cr_assert(inst, "%s", ierr.message);
    return inst;
}

static uint32_t keep_forever(kiln_instance *inst) {
    kiln_val s[1] = {{.i32 = 0}};
    return kiln_call(inst, export_of(inst, "keep_forever").of.func, s);
}

static int32_t seven(kiln_instance *inst) {
    kiln_val s[1] = {{.i32 = 0}};
    cr_assert_eq(kiln_call(inst, export_of(inst, "seven").of.func, s), KILN_TRAP_NONE);
    return s[0].i32;
}

/* Runs keep_forever into its bound of `limit` bytes: the defined trap,
 * the instance usable.  What the closed module kept went with the frames
 * of the call that trapped (lower_exn.c, Frames); the open one's stays. */
static void keeps_until(kiln_instance *inst, uint64_t limit, bool kept_by_frames) {
    cr_expect_eq(keep_forever(inst), KILN_TRAP_EXCEPTION_LIMIT, "%s", kiln_trap_message());
    cr_expect_str_eq(kiln_trap_message(), "too many live exceptions");
    uint64_t held = kiln_instance_exception_bytes(inst);
    if (kept_by_frames)
        cr_expect_eq(held, 0, "%llu bytes held after the trap", (unsigned long long)held);
    else
        cr_expect(held <= limit && held > limit - 256, "%llu bytes held, bound %llu",
                  (unsigned long long)held, (unsigned long long)limit);
    cr_expect_eq(seven(inst), 7);
}

/* A loop that keeps an exception per iteration used to grow the host by
 * ~100 bytes each, past every limit the embedder set; it now ends in
 * "too many live exceptions" at the instance's bound (the memory cap, or
 * the embedder's own figure), in both bounds modes, and the host goes on:
 * the instance still runs, and new instances keep exceptions again. */
Test(lower_run, kept_exceptions_stop_at_the_instance_bound) {
    for (int explicit_bounds = 0; explicit_bounds < 2; explicit_bounds++) {
        loaded l;
        compiled_so c = bytes_compile_in(exn_keeper_wasm, sizeof exn_keeper_wasm, "exnkeep",
                                         explicit_bounds, &l);
        kiln_linker *linker = kiln_linker_new();
        kiln_instance *a = instance_limited(&c, linker, limits_of(1, 0));
        keeps_until(a, KILN_PAGE_SIZE, true);
        cr_expect_eq(keep_forever(a), KILN_TRAP_EXCEPTION_LIMIT, "still full");
        kiln_instance *b =
            instance_limited(&c, linker, limits_of(KILN_NO_LIMIT, 1 << 20));
        keeps_until(b, 1 << 20, true);
        kiln_instance_free(a);
        kiln_instance_free(b);
        kiln_instance *again = instance_limited(&c, linker, limits_of(2, 0));
        keeps_until(again, 2 * KILN_PAGE_SIZE, true);
        kiln_instance_free(again);
        kiln_linker_free(linker);
        compiled_close(&c);
        loaded_free(&l);
    }
}

/* Exceptions kept by an instance whose module can pass exnrefs on are
 * never freed, not even with the instance: they count against the
 * process's bound for good, and once it is reached no instance of such a
 * module keeps another, while the others keep theirs. */
Test(lower_run, never_freed_exceptions_stop_at_the_process_bound) {
    loaded lo, lc;
    compiled_so open = bytes_compile(exn_open_keeper_wasm, sizeof exn_open_keeper_wasm, "exnopen", &lo);
    compiled_so closed = bytes_compile(exn_keeper_wasm, sizeof exn_keeper_wasm, "exnclosed", &lc);
    kiln_linker *linker = kiln_linker_new();
    kiln_exception_process_limit_set(256 << 10);
    kiln_instance *a = instance_limited(&open, linker, limits_of(KILN_NO_LIMIT, 0));
    keeps_until(a, 256 << 10, false);
    kiln_instance_free(a);
    kiln_instance *b = instance_limited(&open, linker, limits_of(KILN_NO_LIMIT, 0));
    cr_expect_eq(keep_forever(b), KILN_TRAP_EXCEPTION_LIMIT);
    cr_expect_eq(kiln_instance_exception_bytes(b), 0, "the process's bound is used up");
    cr_expect_eq(seven(b), 7);
    kiln_instance_free(b);
    kiln_instance *c = instance_limited(&closed, linker, limits_of(1, 0));
    keeps_until(c, KILN_PAGE_SIZE, true);
    kiln_instance_free(c);
    kiln_exception_process_limit_set(KILN_EXCEPTION_PROCESS_BYTES_DEFAULT);
    kiln_linker_free(linker);
    compiled_close(&open), compiled_close(&closed);
    loaded_free(&lo), loaded_free(&lc);
}

/* ---- kept exceptions go with their frame --------------------------------------- */

/* frames_module(1) of tests/regress-3.0/exn-bound/gen.py, a module with no
 * exnref in any function type, global or table (compiler/lower_exn.c,
 * Frames): "loop" n: n times a $helper keeps an exception with
 * catch_all_ref and throws it on with throw_ref to a catch_all; n;
 * "legacy_loop" n: n times a legacy catch_all that may rethrow, as C++
 * compiles catch clauses; n; "nested" x: an exception kept in a local,
 * thrown with throw_ref to a nested catch twice: 2x; "across" x: kept
 * across a call that throws 1000, then thrown: x + 1000;
 * "legacy_rethrow" x: a rethrow from a catch_all nested in the catch: x;
 * "escape" x: kept, then thrown to the host. */
static const char exn_frames_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x11\x04\x60\x00\x00\x60\x01"
    "\x7f\x01\x7f\x60\x01\x7f\x00\x60\x01\x7e\x00\x03\x0a\x09\x02\x02"
    "\x02\x01\x01\x01\x01\x02\x01\x0d\x05\x02\x00\x02\x00\x03\x07\x42"
    "\x06\x04\x6c\x6f\x6f\x70\x00\x03\x0b\x6c\x65\x67\x61\x63\x79\x5f"
    "\x6c\x6f\x6f\x70\x00\x04\x06\x6e\x65\x73\x74\x65\x64\x00\x05\x06"
    "\x61\x63\x72\x6f\x73\x73\x00\x06\x06\x65\x73\x63\x61\x70\x65\x00"
    "\x07\x0e\x6c\x65\x67\x61\x63\x79\x5f\x72\x65\x74\x68\x72\x6f\x77"
    "\x00\x08\x0a\x83\x02\x09\x06\x00\x20\x00\x08\x00\x0b\x06\x00\x42"
    "\x00\x08\x01\x0b\x11\x00\x02\x69\x1f\x40\x01\x03\x00\x20\x00\x10"
    "\x01\x0b\x00\x0b\x0a\x0b\x24\x01\x01\x7f\x20\x00\x21\x01\x03\x40"
    "\x02\x40\x1f\x40\x01\x02\x00\x20\x00\x10\x02\x0b\x00\x0b\x20\x00"
    "\x41\x01\x6b\x22\x00\x0d\x00\x0b\x20\x01\x0b\x26\x01\x01\x7f\x20"
    "\x00\x21\x01\x03\x40\x06\x40\x20\x00\x10\x01\x19\x20\x00\x45\x04"
    "\x40\x09\x01\x0b\x0b\x20\x00\x41\x01\x6b\x22\x00\x0d\x00\x0b\x20"
    "\x01\x0b\x31\x01\x01\x69\x02\x69\x1f\x40\x01\x03\x00\x20\x00\x08"
    "\x00\x0b\x00\x0b\x21\x01\x02\x7f\x1f\x40\x01\x00\x00\x00\x20\x01"
    "\x0a\x0b\x00\x0b\x02\x7f\x1f\x40\x01\x00\x00\x00\x20\x01\x0a\x0b"
    "\x00\x0b\x6a\x0b\x33\x01\x01\x69\x02\x69\x1f\x40\x01\x03\x00\x20"
    "\x00\x08\x00\x0b\x00\x0b\x21\x01\x02\x7f\x1f\x40\x01\x00\x00\x00"
    "\x41\xe8\x07\x10\x00\x0b\x00\x0b\x02\x7f\x1f\x40\x01\x00\x00\x00"
    "\x20\x01\x0a\x0b\x00\x0b\x6a\x0b\x11\x00\x02\x69\x1f\x40\x01\x03"
    "\x00\x20\x00\x08\x00\x0b\x00\x0b\x0a\x0b\x1d\x00\x06\x7f\x06\x40"
    "\x20\x00\x08\x00\x07\x00\x1a\x06\x40\x41\x05\x10\x00\x19\x09\x01"
    "\x0b\x0b\x41\x7f\x07\x00\x0b\x0b";

static uint32_t frames_call(kiln_instance *inst, const char *name, int32_t arg, int32_t *result) {
    kiln_val s[1] = {{.i32 = arg}};
    uint32_t trap = kiln_call(inst, export_of(inst, name).of.func, s);
    *result = s[0].i32;
    return trap;
}

static void frames_expect(kiln_instance *inst, const char *name, int32_t arg, int32_t want) {
    int32_t got;
    cr_expect_eq(frames_call(inst, name, arg, &got), KILN_TRAP_NONE, "%s(%d): %s", name, arg,
                 kiln_trap_message());
    cr_expect_eq(got, want, "%s(%d)", name, arg);
    cr_expect_eq(kiln_instance_exception_bytes(inst), 0, "%s(%d) left exceptions kept", name, arg);
}

/* Each of these loops kept every exception until the instance was freed
 * (64 bytes each, 64 MB for a million); under a bound of 64 KiB they now
 * run to the end, since what a frame kept goes with it; and a kept
 * exception stays usable as long as its frame needs it. */
Test(lower_run, kept_exceptions_go_with_their_frame, .timeout = 120) {
    for (int explicit_bounds = 0; explicit_bounds < 2; explicit_bounds++) {
        loaded l;
        compiled_so c = bytes_compile_in(exn_frames_wasm, sizeof exn_frames_wasm, "exnframes",
                                         explicit_bounds, &l);
        kiln_instance_limits one_page = limits_of(1, 0);
        kiln_linker *linker = kiln_linker_new();
        kiln_instance *inst = instance_limited(&c, linker, one_page);
        int32_t n = explicit_bounds ? 1000000 : 100000;
        frames_expect(inst, "loop", n, n);
        frames_expect(inst, "legacy_loop", n, n);
        frames_expect(inst, "nested", 21, 42);
        frames_expect(inst, "across", 7, 1007);
        frames_expect(inst, "legacy_rethrow", 9, 9);
        int32_t got;
        cr_expect_eq(frames_call(inst, "escape", 4, &got), KILN_TRAP_EXCEPTION);
        const kiln_val *vals;
        uint32_t count;
        cr_assert(kiln_exception(NULL, &vals, &count));
        cr_expect(count == 1 && vals[0].i32 == 4);
        cr_expect_eq(kiln_instance_exception_bytes(inst), 0, "the host entry let it go");
        frames_expect(inst, "nested", 2, 4);
        kiln_instance_free(inst);
        kiln_linker_free(linker);
        compiled_close(&c);
        loaded_free(&l);
    }
}

/* ---- threads: memory.grow racing accesses at the old bound ---------------- */

/* (import "env" "mem" (memory 1 4 shared))
 * (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
 * (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))) */
static const char race_wasm[] =
    "\x00\x61\x73\x6d\x01\x00\x00\x00\x01\x06\x01\x60\x01\x7f\x01\x7f"
    "\x02\x0d\x01\x03\x65\x6e\x76\x03\x6d\x65\x6d\x02\x03\x01\x04\x03"
    "\x03\x02\x00\x00\x07\x0f\x02\x04\x6c\x6f\x61\x64\x00\x00\x04\x67"
    "\x72\x6f\x77\x00\x01\x0a\x10\x02\x07\x00\x20\x00\x28\x02\x00\x0b"
    "\x06\x00\x20\x00\x40\x00\x0b";

typedef struct race {
    kiln_instance *inst;
    _Atomic uint32_t addr; /* where the loader reads: just past the size it last saw grow */
    _Atomic bool stop;
    _Atomic uint32_t values, traps, wrong;
} race;

/* Reads at the old bound while another thread grows the memory: each
 * read is 0 (the new page) or an out-of-bounds trap, and once it has read
 * the new page it never traps there again (the size only grows). */
static void *race_loader(void *p) {
    race *r = p;
    kiln_func_ref *load = export_of(r->inst, "load").of.func;
    uint32_t seen_at = UINT32_MAX;
    while (!atomic_load(&r->stop)) {
        uint32_t addr = atomic_load(&r->addr);
        kiln_val s[1] = {{.i32 = (int32_t)addr}};
        uint32_t rc = kiln_call(r->inst, load, s);
        if (rc == KILN_TRAP_NONE && s[0].i32 == 0) {
            seen_at = addr;
            atomic_fetch_add(&r->values, 1);
        } else if (rc == KILN_TRAP_MEMORY_OUT_OF_BOUNDS && seen_at != addr) {
            atomic_fetch_add(&r->traps, 1);
        } else {
            atomic_fetch_add(&r->wrong, 1);
        }
    }
    return NULL;
}

static void race_wait_values(race *r, uint32_t above) {
    for (int i = 0; i < 2000 && atomic_load(&r->values) <= above; i++) usleep(1000);
}

static void grow_race(bool explicit_bounds) {
    loaded l;
    compiled_so c = bytes_compile_mode(race_wasm, sizeof race_wasm,
                                       explicit_bounds ? "racex" : "raceg", explicit_bounds, &l);
    kiln_memory *mem = kiln_memory_new_shared(1, 4);
    cr_assert(mem);
    kiln_linker *linker = kiln_linker_new();
    cr_assert(kiln_linker_define(linker, "env", "mem",
                                 (kiln_extern){.kind = KILN_EXTERN_MEMORY, .of.memory = mem}));
    race r = {.inst = instance_or_fail(c.desc, linker)};
    atomic_init(&r.addr, 65536);
    kiln_instance *grower = instance_or_fail(c.desc, linker);
    kiln_func_ref *grow = export_of(grower, "grow").of.func;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, race_loader, &r), 0);
    while (atomic_load(&r.traps) < 100) usleep(100);
    /* one page, then the last word of two more: the loader reads 4 bytes at
     * the old end (then the last 4 of the new one) while they appear */
    kiln_val s[1] = {{.i32 = 1}};
    cr_assert_eq(kiln_call(grower, grow, s), KILN_TRAP_NONE);
    cr_expect_eq(s[0].i32, 1);
    race_wait_values(&r, 0);
    uint32_t before = atomic_load(&r.values);
    atomic_store(&r.addr, 4 * 65536 - 4);
    usleep(2000);
    s[0].i32 = 2;
    cr_assert_eq(kiln_call(grower, grow, s), KILN_TRAP_NONE);
    cr_expect_eq(s[0].i32, 2);
    race_wait_values(&r, before + 1);
    atomic_store(&r.stop, true);
    pthread_join(t, NULL);
    cr_expect_eq(atomic_load(&r.wrong), 0, "%u reads neither 0 nor an out-of-bounds trap, or "
                 "trapping after the new size was seen", atomic_load(&r.wrong));
    cr_expect_gt(atomic_load(&r.values), before, "the loader saw the last grow");
    kiln_instance_free(grower);
    kiln_instance_free(r.inst);
    kiln_linker_free(linker);
    kiln_memory_free(mem);
    compiled_close(&c);
    loaded_free(&l);
}

/* memory.grow of a shared memory on one thread while another reads at the
 * old bound (issue: the size is published only after the pages are
 * accessible, docs/sandbox.md, Shared memories and threads). */
Test(lower_run, shared_memory_grow_races_reads_at_the_old_bound, .timeout = 120) {
    grow_race(true);
    grow_race(false);
}
