/* emit.c - from a validated module to a native object: lower, verify,
 * optimise with LLVM's new pass manager, emit.
 *
 * The target comes from the options (host triple and generic CPU by
 * default, "native" for the host CPU and its features); code is PIC
 * because the spec runner and `kiln run` dlopen a shared library built
 * from it.  The same input and flags give byte-identical objects. */
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lower_internal.h"

static pthread_once_t targets_once = PTHREAD_ONCE_INIT;

static void targets_init(void) {
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
}

static LLVMCodeGenOptLevel codegen_level(int opt_level) {
    switch (opt_level) {
    case 0: return LLVMCodeGenLevelNone;
    case 1: return LLVMCodeGenLevelLess;
    case 3: return LLVMCodeGenLevelAggressive;
    default: return LLVMCodeGenLevelDefault;
    }
}

static LLVMTargetMachineRef target_machine_create(const kiln_compile_options *opts, kiln_error *err) {
    pthread_once(&targets_once, targets_init);
    char *triple = opts->target_triple ? LLVMNormalizeTargetTriple(opts->target_triple)
                                       : LLVMGetDefaultTargetTriple();
    LLVMTargetRef target;
    char *msg = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
        error_set(err, KILN_ERR_LOWER, 0, "unknown target '%s': %s", triple, msg ? msg : "");
        LLVMDisposeMessage(msg);
        LLVMDisposeMessage(triple);
        return NULL;
    }
    bool native = opts->cpu && strcmp(opts->cpu, "native") == 0;
    char *cpu = native ? LLVMGetHostCPUName() : NULL;
    char *features = native ? LLVMGetHostCPUFeatures() : NULL;
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
        target, triple, native ? cpu : opts->cpu ? opts->cpu : "generic", native ? features : "",
        codegen_level(opts->opt_level), LLVMRelocPIC, LLVMCodeModelDefault);
    if (!tm) error_set(err, KILN_ERR_LOWER, 0, "cannot create a target machine for '%s'", triple);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    LLVMDisposeMessage(triple);
    return tm;
}

static bool module_verify(LLVMModuleRef mod, kiln_error *err) {
    char *msg = NULL;
    if (!LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        LLVMDisposeMessage(msg);
        return true;
    }
    error_set(err, KILN_ERR_LOWER, 0, "generated IR does not verify: %.200s", msg ? msg : "");
    LLVMDisposeMessage(msg);
    return false;
}

/* -O0 still promotes locals out of their allocas. */
static bool module_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level,
                            kiln_error *err) {
    char pipeline[32];
    if (opt_level <= 0) snprintf(pipeline, sizeof pipeline, "function(mem2reg)");
    else snprintf(pipeline, sizeof pipeline, "default<O%d>", opt_level > 3 ? 3 : opt_level);
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, pipeline, tm, pbo);
    LLVMDisposePassBuilderOptions(pbo);
    if (!e) return true;
    char *msg = LLVMGetErrorMessage(e);
    error_set(err, KILN_ERR_LOWER, 0, "optimisation failed: %.200s", msg);
    LLVMDisposeErrorMessage(msg);
    return false;
}

static bool verify_wanted(void) {
#ifdef NDEBUG
    const char *v = getenv("KILN_VERIFY");
    return v && *v && strcmp(v, "0") != 0;
#else
    return true;
#endif
}

/* The LLVM module, lowered and optimised, ready for emission (or for
 * tests that inspect the IR).  NULL and *err filled on failure. */
LLVMModuleRef module_compile_ir(const kiln_module *m, const uint8_t *bytes, size_t size,
                                const kiln_compile_options *opts, LLVMContextRef ctx,
                                LLVMTargetMachineRef tm, bool optimize, kiln_error *err) {
    LLVMModuleRef mod = module_lower(m, bytes, size, opts, ctx, err);
    if (!mod) return NULL;
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(mod, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(mod, dl);
    LLVMDisposeTargetData(dl);
    bool ok = (!verify_wanted() || module_verify(mod, err)) &&
              (!optimize || module_optimize(mod, tm, opts->opt_level, err));
    if (ok) return mod;
    LLVMDisposeModule(mod);
    return NULL;
}

static kiln_compile_options options_defaults(const kiln_compile_options *opts) {
    kiln_compile_options o = *opts;
    if (!o.prefix || !*o.prefix) o.prefix = "wasm";
    return o;
}

static bool emit_buffer(const kiln_module *m, const uint8_t *bytes, size_t size,
                        const kiln_compile_options *given, LLVMMemoryBufferRef *out,
                        kiln_error *err) {
    kiln_compile_options opts = options_defaults(given);
    LLVMTargetMachineRef tm = target_machine_create(&opts, err);
    if (!tm) return false;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = module_compile_ir(m, bytes, size, &opts, ctx, tm, true, err);
    bool ok = mod != NULL;
    if (ok) {
        char *msg = NULL;
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, out)) {
            ok = error_set(err, KILN_ERR_LOWER, 0, "object emission failed: %.200s", msg ? msg : "");
        }
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(mod);
    }
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return ok;
}

bool module_compile_memory(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, uint8_t **object,
                           size_t *object_size, kiln_error *err) {
    LLVMMemoryBufferRef buf;
    if (!emit_buffer(m, bytes, size, opts, &buf, err)) return false;
    size_t n = LLVMGetBufferSize(buf);
    *object = malloc(n ? n : 1);
    if (*object) memcpy(*object, LLVMGetBufferStart(buf), n);
    *object_size = n;
    LLVMDisposeMemoryBuffer(buf);
    return *object ? true : error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
}

/* Writes via a temporary file in the same directory and renames it, so
 * a failed compile never leaves a half-written object behind. */
static bool file_replace(const char *path, const void *data, size_t n, kiln_error *err) {
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    bool ok = fd >= 0 && fchmod(fd, 0644) == 0;
    for (size_t done = 0; ok && done < n;) {
        ssize_t w = write(fd, (const char *)data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        ok = w > 0;
        done += ok ? (size_t)w : 0;
    }
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (ok && rename(tmp, path) != 0) ok = false;
    if (!ok) {
        error_set(err, KILN_ERR_IO, 0, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) unlink(tmp);
    }
    free(tmp);
    return ok;
}

bool module_compile_object(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, const char *object_path,
                           kiln_error *err) {
    LLVMMemoryBufferRef buf;
    if (!emit_buffer(m, bytes, size, opts, &buf, err)) return false;
    bool ok = file_replace(object_path, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), err);
    LLVMDisposeMemoryBuffer(buf);
    return ok;
}

/* Textual LLVM IR after the -O pipeline (kiln compile --emit-llvm). */
bool module_compile_llvm_ir(const kiln_module *m, const uint8_t *bytes, size_t size,
                            const kiln_compile_options *given, const char *path, kiln_error *err) {
    kiln_compile_options opts = options_defaults(given);
    LLVMTargetMachineRef tm = target_machine_create(&opts, err);
    if (!tm) return false;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = module_compile_ir(m, bytes, size, &opts, ctx, tm, true, err);
    bool ok = mod != NULL;
    if (ok) {
        char *text = LLVMPrintModuleToString(mod);
        ok = file_replace(path, text, strlen(text), err);
        LLVMDisposeMessage(text);
        LLVMDisposeModule(mod);
    }
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return ok;
}
