/* lower_jit.h - test harness shared by test_lower_numeric.c and
 * test_lower_simd.c: wraps one value instruction in a tiny LLVM function,
 * optimises it with the O2 pipeline, JIT-compiles it and runs it.
 *
 * The wrapper has the shape   i32 f(ptr args, ptr out)
 * where args/out are arrays of 16-byte kiln_val slots.  It loads each
 * operand with the type the opcode table gives it (or uses a constant,
 * to exercise LLVM's folding), calls the lowering under test, stores the
 * result and returns 0; a trap returns its kind instead, the way
 * kiln_rt_trap would report it.
 *
 * KILN_TEST_CPU picks the JIT's CPU: unset means "x86-64" (SSE2 only, the
 * most demanding lowering), "native" means the host's. */
#ifndef KILN_TEST_LOWER_JIT_H
#define KILN_TEST_LOWER_JIT_H

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"

typedef int32_t (*jit_entry)(const kiln_val *args, kiln_val *out);
/* The lowering under test (lower_simd, or a wrapper of lower_numeric). */
typedef LLVMValueRef (*jit_lower_fn)(const lower_value_env *env, const kiln_insn *insn,
                                     LLVMValueRef *args);

typedef struct jit_trap_ctx {
    LLVMContextRef context;
    LLVMBuilderRef builder;
    LLVMValueRef function;
} jit_trap_ctx;

static void jit_emit_trap_if(void *user, LLVMValueRef cond, uint32_t kind) {
    jit_trap_ctx *t = user;
    LLVMBasicBlockRef trap = LLVMAppendBasicBlockInContext(t->context, t->function, "trap");
    LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(t->context, t->function, "cont");
    LLVMBuildCondBr(t->builder, cond, trap, cont);
    LLVMPositionBuilderAtEnd(t->builder, trap);
    LLVMBuildRet(t->builder, LLVMConstInt(LLVMInt32TypeInContext(t->context), kind, false));
    LLVMPositionBuilderAtEnd(t->builder, cont);
}

static void jit_check(LLVMErrorRef err, const char *what) {
    if (!err) return;
    char *msg = LLVMGetErrorMessage(err);
    fprintf(stderr, "%s: %s\n", what, msg);
    LLVMDisposeErrorMessage(msg);
    abort();
}

static LLVMTargetMachineRef jit_target_machine(void) {
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    char *triple = LLVMGetDefaultTargetTriple();
    const char *env = getenv("KILN_TEST_CPU");
    char *host_cpu = LLVMGetHostCPUName();
    char *host_features = LLVMGetHostCPUFeatures();
    bool native = env && strcmp(env, "native") == 0;
    LLVMTargetRef target;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &err)) abort();
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
        target, triple, native ? host_cpu : (env ? env : "x86-64"), native ? host_features : "",
        LLVMCodeGenLevelDefault, LLVMRelocDefault, LLVMCodeModelJITDefault);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(host_features);
    return tm;
}

/* Loads operand i from args[i], or uses consts[i] when bit i of const_mask
 * is set. */
static LLVMValueRef jit_operand(LLVMContextRef c, LLVMBuilderRef b, LLVMValueRef args, char letter,
                                unsigned i, unsigned const_mask, const kiln_val *consts) {
    LLVMTypeRef ty = lower_valtype_of_sig(c, letter);
    LLVMTypeRef i8 = LLVMInt8TypeInContext(c);
    if (const_mask & (1u << i)) {
        /* Build the constant from raw bytes so NaN payloads survive. */
        LLVMTypeRef bytes_ty = LLVMArrayType2(i8, 16);
        LLVMValueRef g = LLVMAddGlobal(
            LLVMGetGlobalParent(LLVMGetBasicBlockParent(LLVMGetInsertBlock(b))), bytes_ty, "k");
        LLVMSetInitializer(g, LLVMConstStringInContext2(c, (const char *)consts[i].v128, 16, true));
        LLVMSetGlobalConstant(g, true);
        LLVMSetLinkage(g, LLVMPrivateLinkage);
        return LLVMBuildLoad2(b, ty, g, "");
    }
    LLVMValueRef off = LLVMConstInt(LLVMInt64TypeInContext(c), 16u * i, false);
    LLVMValueRef p = LLVMBuildGEP2(b, i8, args, &off, 1, "");
    LLVMValueRef v = LLVMBuildLoad2(b, ty, p, "");
    LLVMSetAlignment(v, 1);
    return v;
}

/* Builds, optimises and JIT-compiles the wrapper for `insn`. */
static jit_entry jit_compile(const kiln_insn *insn, jit_lower_fn lower, unsigned const_mask,
                             const kiln_val *consts) {
    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMContextRef c = LLVMOrcThreadSafeContextGetContext(tsc);
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("case", c);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
    LLVMTypeRef params[2] = {ptr, ptr};
    LLVMValueRef fn =
        LLVMAddFunction(m, "entry", LLVMFunctionType(LLVMInt32TypeInContext(c), params, 2, 0));
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(c, fn, "start"));
    jit_trap_ctx trap = {c, b, fn};
    lower_value_env env = {c, m, b, &trap, jit_emit_trap_if, {0}, false, false};

    const char *sig = kiln_opcode_table[insn->op].signature;
    LLVMValueRef operands[4];
    unsigned n = 0;
    for (; sig[n] != ':'; n++)
        operands[n] = jit_operand(c, b, LLVMGetParam(fn, 0), sig[n], n, const_mask, consts);
    LLVMValueRef r = lower(&env, insn, operands);
    if (!r) return NULL;
    LLVMValueRef st = LLVMBuildStore(b, r, LLVMGetParam(fn, 1));
    LLVMSetAlignment(st, 1);
    LLVMBuildRet(b, LLVMConstInt(LLVMInt32TypeInContext(c), 0, false));
    LLVMDisposeBuilder(b);

    char *msg = NULL;
    if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
        fprintf(stderr, "invalid IR for %s: %s\n", kiln_opcode_table[insn->op].text, msg);
        LLVMDumpModule(m);
        abort();
    }
    LLVMDisposeMessage(msg);

    LLVMTargetMachineRef tm = jit_target_machine();
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    jit_check(LLVMRunPasses(m, "default<O2>", tm, opts), "passes");
    LLVMDisposePassBuilderOptions(opts);
    if (getenv("KILN_TEST_DUMP")) LLVMDumpModule(m);

    LLVMOrcJITTargetMachineBuilderRef jtmb =
        LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm);
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
    LLVMOrcLLJITRef jit;
    jit_check(LLVMOrcCreateLLJIT(&jit, builder), "lljit");
    LLVMOrcJITDylibRef dylib = LLVMOrcLLJITGetMainJITDylib(jit);
    LLVMOrcDefinitionGeneratorRef gen;
    jit_check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                  &gen, LLVMOrcLLJITGetGlobalPrefix(jit), NULL, NULL),
              "generator");
    LLVMOrcJITDylibAddGenerator(dylib, gen);
    jit_check(LLVMOrcLLJITAddLLVMIRModule(jit, dylib, LLVMOrcCreateNewThreadSafeModule(m, tsc)),
              "add module");
    LLVMOrcDisposeThreadSafeContext(tsc);
    LLVMOrcExecutorAddress addr;
    jit_check(LLVMOrcLLJITLookup(jit, &addr, "entry"), "lookup");
    /* The JIT lives until the test process exits (Criterion forks one per test). */
    return (jit_entry)(uintptr_t)addr;
}

/* Compiled wrappers, one per opcode (constant-operand variants are not cached). */
static jit_entry jit_cache[KILN_OP_COUNT];

static jit_entry jit_get(kiln_opcode op, jit_lower_fn lower) {
    if (!jit_cache[op]) {
        kiln_insn insn = {.op = (uint16_t)op};
        jit_cache[op] = jit_compile(&insn, lower, 0, NULL);
    }
    return jit_cache[op];
}


/* Runs `n` cases through wabt as an independent oracle: write_case() emits
 * one exported function per case into a .wat module, wasm-interp runs every
 * export, and compare_case() checks the line it printed for case i.
 * Skips the test when wabt is not installed. */
typedef void (*oracle_write_fn)(FILE *f, unsigned i, const void *cases);
typedef void (*oracle_compare_fn)(const void *cases, unsigned i, const char *line);

static void wabt_oracle_run(const char *tag, const void *cases, unsigned n,
                            oracle_write_fn write_case, oracle_compare_fn compare_case) {
    if (system("command -v wat2wasm >/dev/null && command -v wasm-interp >/dev/null") != 0)
        cr_skip_test("wabt (wat2wasm, wasm-interp) not installed");
    char dir[64], path[128], cmd[512];
    snprintf(dir, sizeof dir, "/tmp/kiln-%s-XXXXXX", tag);
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cases.wat", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "(module\n");
    for (unsigned i = 0; i < n; i++)
        write_case(f, i, cases);
    fprintf(f, ")\n");
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "cd %s && wat2wasm cases.wat -o cases.wasm && "
             "wasm-interp --run-all-exports cases.wasm > cases.out",
             dir);
    cr_assert_eq(system(cmd), 0, "wabt failed on %s", path);
    snprintf(path, sizeof path, "%s/cases.out", dir);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[256];
    unsigned seen = 0;
    for (; seen < n && fgets(line, sizeof line, f); seen++)
        compare_case(cases, seen, line);
    fclose(f);
    cr_expect_eq(seen, n, "oracle printed %u of %u results", seen, n);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

#endif
