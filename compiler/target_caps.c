/* target_caps.c - what the target CPU of a compile can do, for the
 * instructions whose result kiln picks per target (relaxed SIMD,
 * lower_simd.c).
 *
 * LLVM-C has no query for a subtarget's features, and `--cpu NAME` names
 * them only implicitly (haswell has FMA, core2 has SSSE3).  So the target
 * machine is asked the way a compiler would find out: a two-function
 * probe module is compiled to assembly and the instructions LLVM picked
 * are looked for.  One probe per (triple, CPU, feature string), cached:
 * the answer is fixed for a target, so code compiled for it computes the
 * same results whichever partition, thread or -O level compiled it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/IRReader.h>
#include <llvm-c/TargetMachine.h>

#include "lower.h"

/* fmuladd is fused exactly when the target has fast FMA (x86 vfmadd*,
 * aarch64 fmadd, riscv fmadd.s); a byte reversal is one pshufb exactly
 * when x86 has SSSE3. */
static const char probe_ir[] =
    "define float @fma_probe(float %a, float %b, float %c) {\n"
    "  %r = call float @llvm.fmuladd.f32(float %a, float %b, float %c)\n"
    "  ret float %r\n"
    "}\n"
    "define <16 x i8> @shuffle_probe(<16 x i8> %a) {\n"
    "  %r = shufflevector <16 x i8> %a, <16 x i8> poison, <16 x i32> <i32 15, i32 14,"
    " i32 13, i32 12, i32 11, i32 10, i32 9, i32 8, i32 7, i32 6, i32 5, i32 4, i32 3,"
    " i32 2, i32 1, i32 0>\n"
    "  ret <16 x i8> %r\n"
    "}\n"
    "declare float @llvm.fmuladd.f32(float, float, float)\n";

/* The probe module's assembly (malloc'ed, NUL-terminated), or NULL. */
static char *probe_assembly(LLVMTargetMachineRef tm) {
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMMemoryBufferRef ir =
        LLVMCreateMemoryBufferWithMemoryRangeCopy(probe_ir, sizeof probe_ir - 1, "probe");
    LLVMModuleRef mod = NULL;
    char *msg = NULL, *text = NULL;
    /* LLVMParseIRInContext takes the buffer. */
    if (!LLVMParseIRInContext(ctx, ir, &mod, &msg)) {
        char *triple = LLVMGetTargetMachineTriple(tm);
        LLVMSetTarget(mod, triple);
        LLVMDisposeMessage(triple);
        LLVMMemoryBufferRef out;
        if (!LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMAssemblyFile, &msg, &out)) {
            size_t n = LLVMGetBufferSize(out);
            text = malloc(n + 1);
            if (text) {
                memcpy(text, LLVMGetBufferStart(out), n);
                text[n] = '\0';
            }
            LLVMDisposeMemoryBuffer(out);
        }
        LLVMDisposeModule(mod);
    }
    LLVMDisposeMessage(msg);
    LLVMContextDispose(ctx);
    return text;
}

static lower_target_caps caps_probe(LLVMTargetMachineRef tm, const char *triple) {
    lower_target_caps caps = {.x86 = strncmp(triple, "x86_64", 6) == 0};
    char *text = probe_assembly(tm);
    if (text) {
        caps.fma = strstr(text, "fmadd") != NULL;
        caps.ssse3 = caps.x86 && strstr(text, "pshufb") != NULL;
    }
    free(text);
    return caps;
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static char cache_key[1024];
static lower_target_caps cache_caps;

lower_target_caps target_caps_of(LLVMTargetMachineRef tm) {
    char *triple = LLVMGetTargetMachineTriple(tm), *cpu = LLVMGetTargetMachineCPU(tm);
    char *features = LLVMGetTargetMachineFeatureString(tm);
    char key[sizeof cache_key];
    snprintf(key, sizeof key, "%s|%s|%s", triple, cpu, features);
    pthread_mutex_lock(&cache_lock);
    if (strcmp(key, cache_key) != 0) {
        cache_caps = caps_probe(tm, triple);
        snprintf(cache_key, sizeof cache_key, "%s", key);
    }
    lower_target_caps caps = cache_caps;
    pthread_mutex_unlock(&cache_lock);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    return caps;
}
