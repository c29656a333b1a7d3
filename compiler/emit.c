/* emit.c - from a validated module to a native object: lower, verify,
 * optimise with LLVM's new pass manager, emit.
 *
 * The target comes from the options (host triple and generic CPU by
 * default, "native" for the host CPU and its features); code is PIC
 * because the spec runner and `kiln run` dlopen a shared library built
 * from it.  The same input and flags give byte-identical objects. */
#include <errno.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Disassembler.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg_cycles.h"
#include "cross.h"
#include "lower_internal.h"
#include "opcodes.h"
#include "part_cache.h"
#include "pipeline.h"
#include "progress.h"
#include "ptr_set.h"
#include "check_hoist.h"
#include "load_split.h"
#include "reroll.h"
#include "sink_trim.h"

static pthread_once_t targets_once = PTHREAD_ONCE_INIT;

static void targets_init(void) {
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
    pipeline_llvm_options_apply();
}

static LLVMCodeGenOptLevel codegen_level(int opt_level) {
    switch (opt_level) {
    case 0: return LLVMCodeGenLevelNone;
    case 1: return LLVMCodeGenLevelLess;
    case 3: return LLVMCodeGenLevelAggressive;
    default: return LLVMCodeGenLevelDefault;
    }
}

/* Linux on riscv64 means RV64GC with the lp64d ABI (Debian's gcc and
 * libc); LLVM's generic CPU alone would be RV64I with soft floats, whose
 * objects neither link with that libc nor multiply in hardware.  The ABI
 * is a module flag (target_abi_set): the C API has no option for it. */
static const char riscv64_features[] = "+m,+a,+f,+d,+c";

static bool triple_is_riscv64(const char *triple) { return strncmp(triple, "riscv64", 7) == 0; }

static void target_abi_set(LLVMModuleRef mod, LLVMContextRef ctx, const char *triple) {
    if (!triple_is_riscv64(triple)) return;
    static const char key[] = "target-abi", abi[] = "lp64d";
    LLVMAddModuleFlag(mod, LLVMModuleFlagBehaviorError, key, sizeof key - 1,
                      LLVMMDStringInContext2(ctx, abi, sizeof abi - 1));
}

/* Whether LLVM knows `cpu` for `triple` (NULL: the host's).  LLVM has no
 * query for it: a subtarget with an unknown CPU only prints "not a
 * recognized processor" and, for x86-64, then aborts the process when code
 * is generated.  So a disassembler is made for the CPU with stderr caught
 * in a pipe, and the warning looked for.  It swaps file descriptor 2, so
 * it must run before any thread starts (the CLI checks --cpu first). */
bool compile_cpu_known(const char *triple_or_null, const char *cpu) {
    pthread_once(&targets_once, targets_init);
    static pthread_once_t disasm_once = PTHREAD_ONCE_INIT;
    pthread_once(&disasm_once, LLVMInitializeAllDisassemblers);
    char *triple = triple_or_null ? LLVMNormalizeTargetTriple(triple_or_null) : LLVMGetDefaultTargetTriple();
    int pipe_fds[2], saved = dup(2);
    bool captured = saved >= 0 && pipe(pipe_fds) == 0;
    if (captured) {
        fflush(stderr);
        dup2(pipe_fds[1], 2);
        close(pipe_fds[1]);
    }
    LLVMDisasmContextRef d = LLVMCreateDisasmCPU(triple, cpu, NULL, 0, NULL, NULL);
    char said[512] = "";
    if (captured) {
        fflush(stderr);
        dup2(saved, 2);
        ssize_t n = read(pipe_fds[0], said, sizeof said - 1);
        said[n > 0 ? n : 0] = '\0';
        close(pipe_fds[0]);
    }
    if (saved >= 0) close(saved);
    if (d) LLVMDisasmDispose(d);
    LLVMDisposeMessage(triple);
    return d && !strstr(said, "not a recognized processor");
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
        target, triple, native ? cpu : opts->cpu ? opts->cpu : "generic",
        native ? features : triple_is_riscv64(triple) ? riscv64_features : "",
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

/* The SLP vectorizer's search for horizontal reductions grows faster than
 * the block it searches: one block summing 10,000 values (a 0.3 MB
 * module: 10,000 locals set, then added up) took 2.2 GB at -O2, and
 * 49,000 took more than 24 GB.  So a function with a block longer than
 * SLP_BLOCK_MAX instructions after the first stage is marked
 * noimplicitfloat, which both vectorizers respect: they leave it alone.
 * Real code keeps far smaller blocks (a fully unrolled SHA-256 round
 * function has about 3,000 instructions); a body only loses
 * vectorization, never correctness. */
enum { SLP_BLOCK_MAX = 10000 };

static unsigned noimplicitfloat_kind(void) {
    return LLVMGetEnumAttributeKindForName("noimplicitfloat", 15);
}

static bool block_longer_than(LLVMBasicBlockRef bb, unsigned max) {
    unsigned n = 0;
    for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
        if (++n > max) return true;
    return false;
}

static void vectorizers_skip_huge_blocks(LLVMModuleRef mod) {
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    unsigned kind = noimplicitfloat_kind();
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            if (block_longer_than(bb, SLP_BLOCK_MAX)) {
                LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                        LLVMCreateEnumAttribute(ctx, kind, 0));
                break;
            }
}

/* Whether the CFG of `fn` has a cycle.  Out of memory answers true,
 * which only keeps the vectorizers. */
static bool function_has_cycle(LLVMValueRef fn) {
    ptr_set on_cycle = {0};
    bool cycle = !cfg_cycle_blocks(fn, &on_cycle) || on_cycle.count > 0;
    ptr_set_free(&on_cycle);
    return cycle;
}

/* -O2: SLP only in functions with a loop.  On a sample of CRuby's
 * partitions the SLP vectorizer took 8% of the compile and found nothing
 * to vectorize, a quarter of that time in functions without a loop;
 * the bench kernels' vector code is in loop bodies (popcount's and
 * crc32's sums, the loop nests), and their instruction counts did not
 * rise beyond 2.4% (docs/benchmarks.md, *-O2 without jump threading*).
 * So for the second stage, whose vectorizers both respect
 * noimplicitfloat, every function with no cycle in its CFG (after the
 * first stage: inlined callees' loops count) is marked with it, and the
 * mark is taken off again before code generation, where it would also
 * keep SSE registers out of memcpy and memset expansions.  A second,
 * string attribute says which marks are this rule's: functions the
 * huge-block rule marked keep theirs. */
static const char loop_free_mark[] = "kiln-loop-free"; /* which marks to take off */

static void vectorizers_skip_loop_free(LLVMModuleRef mod) {
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    unsigned kind = noimplicitfloat_kind();
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (LLVMIsDeclaration(fn) || LLVMGetEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, kind) ||
            function_has_cycle(fn))
            continue;
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ctx, kind, 0));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(ctx, loop_free_mark, sizeof loop_free_mark - 1, "", 0));
    }
}

static void vectorizers_skip_end(LLVMModuleRef mod) {
    unsigned kind = noimplicitfloat_kind();
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        if (!LLVMGetStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, loop_free_mark,
                                           sizeof loop_free_mark - 1))
            continue;
        LLVMRemoveEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, kind);
        LLVMRemoveStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, loop_free_mark,
                                         sizeof loop_free_mark - 1);
    }
}

/* The level's pipeline (pipeline.c) with the loop re-roller (from -O2:
 * -O1's vectorizer takes only loops that ask for it, so there a
 * re-rolled loop would just do one element per iteration instead of
 * clang's two or four) and, in explicit bounds mode, the check hoisting
 * (check_hoist.c) between its stages, then the sink trim. */
static bool module_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int opt_level,
                            bool explicit_bounds, bool simd, bool huge, kiln_error *err) {
    pipeline_stages stages = huge ? pipeline_for_huge(opt_level) : pipeline_for_level(opt_level);
    if (opt_level <= 0) stages.first = pipeline_o0(simd);
    if (!stages.first) return true;
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, stages.first, tm, pbo);
    if (!e && stages.second) {
        vectorizers_skip_huge_blocks(mod);
        if (stages.reroll) reroll_module(mod);
        if (explicit_bounds) check_hoist_module(mod);
        if (opt_level == 2) vectorizers_skip_loop_free(mod);
        e = LLVMRunPasses(mod, stages.second, tm, pbo);
        if (opt_level == 2) vectorizers_skip_end(mod);
    }
    /* Guard mode: loads that kept a real use no longer need their sink. */
    if (!e && opt_level > 0 && sink_trim_module(mod) > 0)
        e = LLVMRunPasses(mod, "function(adce)", tm, pbo);
    /* Last, so that no pass merges the element loads back. */
    if (!e && stages.second) load_split_module(mod);
    LLVMDisposePassBuilderOptions(pbo);
    if (!e) return true;
    char *msg = LLVMGetErrorMessage(e);
    error_set(err, KILN_ERR_LOWER, 0, "optimisation failed: %.200s", msg);
    LLVMDisposeErrorMessage(msg);
    return false;
}

/* The function indices of the bodies compiled here: the partition's, or
 * every defined function. */
static uint32_t bodies_first(const kiln_module *m, const lower_partition *part) {
    return part ? part->first : m->num_imported_funcs;
}

static uint32_t bodies_end(const kiln_module *m, const lower_partition *part) {
    return part ? part->end : m->num_funcs;
}

/* Whether every body compiled here is a huge one (lower_body_huge), so
 * that the bounded pipeline applies (pipeline_for_huge; -O1 has none). */
static bool bodies_all_huge(const kiln_module *m, const lower_partition *part, int opt_level) {
    uint32_t first = bodies_first(m, part), end = bodies_end(m, part);
    if (opt_level < 2 || first == end) return false;
    for (uint32_t i = first; i < end; i++)
        if (!lower_body_huge(m, i)) return false;
    return true;
}

/* Whether the bodies compiled here use SIMD (pipeline_o0). */
static bool bodies_use_simd(const kiln_module *m, const lower_partition *part) {
    uint32_t first = bodies_first(m, part), end = bodies_end(m, part);
    for (uint32_t i = first; i < end; i++)
        if (m->funcs[i].uses_simd) return true;
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

/* Measuring aid (opts->dump_ir_dir): the partition's IR as the pipeline
 * gets it, for opt-19/llc-19 experiments.  A failed write loses only the
 * measurement, never the compile. */
static bool ir_dump(LLVMModuleRef mod, const kiln_compile_options *opts, const lower_partition *part) {
    if (!opts->dump_ir_dir) return true;
    char path[4096];
    snprintf(path, sizeof path, "%s/p%u.bc", opts->dump_ir_dir, part ? part->index : 0);
    LLVMWriteBitcodeToFile(mod, path);
    return true;
}

/* The LLVM module, lowered and optimised, ready for emission (or for
 * tests that inspect the IR).  NULL and *err filled on failure. */
LLVMModuleRef module_compile_ir(const kiln_module *m, const uint8_t *bytes, size_t size,
                                const kiln_compile_options *opts, LLVMContextRef ctx,
                                LLVMTargetMachineRef tm, bool optimize, kiln_error *err) {
    return module_compile_ir_partition(m, bytes, size, opts, NULL, NULL, ctx, tm, optimize, err);
}

LLVMModuleRef module_compile_ir_partition(const kiln_module *m, const uint8_t *bytes, size_t size,
                                          const kiln_compile_options *opts,
                                          const lower_partition *part, const uint8_t *frames_big,
                                          LLVMContextRef ctx, LLVMTargetMachineRef tm,
                                          bool optimize, kiln_error *err) {
    lower_target_caps caps = target_caps_of(tm);
    LLVMModuleRef mod = module_lower_partition(m, bytes, size, opts, part, &caps, frames_big, ctx, err);
    if (!mod) return NULL;
    progress_partition_step(opts->progress, PROGRESS_LOWERED);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(mod, triple);
    target_abi_set(mod, ctx, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(mod, dl);
    LLVMDisposeTargetData(dl);
    bool ok = (!verify_wanted() || module_verify(mod, err)) &&
              (!optimize || ir_dump(mod, opts, part)) &&
              (!optimize || module_optimize(mod, tm, opts->opt_level, opts->explicit_bounds,
                                            opts->opt_level <= 0 && bodies_use_simd(m, part),
                                            bodies_all_huge(m, part, opts->opt_level), err));
    if (ok) progress_partition_step(opts->progress, PROGRESS_OPTIMISED);
    if (ok) return mod;
    LLVMDisposeModule(mod);
    return NULL;
}

static kiln_compile_options options_defaults(const kiln_compile_options *opts) {
    kiln_compile_options o = *opts;
    if (!o.prefix || !*o.prefix) o.prefix = "wasm";
    return o;
}

/* One attempt at a partition, lowered with `big` (frames_big) and
 * emitted in its own context.  *retry: some body lowered as a small-frame
 * one was not, now marked in `big`; the object was dropped. */
static bool partition_emit_once(const kiln_module *m, const uint8_t *bytes, size_t size,
                                const kiln_compile_options *opts, const lower_partition *part,
                                LLVMTargetMachineRef tm, uint8_t *big, bool *retry,
                                LLVMMemoryBufferRef *out, kiln_error *err) {
    *retry = false;
    LLVMContextRef ctx = LLVMContextCreate();
    /* Block and instruction names only serve a reader of the IR; uniquing
     * them ("ok", "trap" thousands of times per body) cost ~2% of an -O0
     * compile of CRuby and ~0.6% at -O2, for byte-identical objects.  A
     * dump for replay keeps them. */
    LLVMContextSetDiscardValueNames(ctx, opts->dump_ir_dir == NULL);
    LLVMModuleRef mod = module_compile_ir_partition(m, bytes, size, opts, part, big, ctx, tm, true, err);
    bool ok = mod != NULL;
    frame_sizes frames;
    if (ok && !frames_measure_begin(&frames, ctx, mod, m, opts, part, big)) {
        ok = error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
        LLVMDisposeModule(mod);
        mod = NULL;
    }
    if (mod) {
        char *msg = NULL;
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, out)) {
            ok = error_set(err, KILN_ERR_LOWER, 0, "object emission failed: %.200s", msg ? msg : "");
            *out = NULL;
        }
        LLVMDisposeMessage(msg);
        LLVMDisposeModule(mod);
        *retry = ok && frames_small_over(&frames, big) > 0;
        if (ok && (*retry || !frames_measure_finish(&frames, m, out, err))) {
            LLVMDisposeMemoryBuffer(*out);
            *out = NULL;
            ok = *retry;
        }
        frames_measure_end(&frames);
    }
    LLVMContextDispose(ctx);
    return ok;
}

static uint32_t count_marked(const uint8_t *marks, uint32_t n) {
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++) c += marks[i];
    return c;
}

/* One partition (or the whole module), lowered, optimised and emitted:
 * the unit a compile thread works on.  Again, should a body lowered as a
 * small-frame one turn out bigger (lower_frame_small); the longest
 * bodies are marked big before the first (lower_body_huge).  Each attempt
 * marks at least one more body, but marking one changes its callers'
 * code, which can push another over: a module built for it could make
 * every body of the partition cost an attempt.  So the third attempt
 * marks them all, and is the last. */
enum { FRAME_ATTEMPTS_MAX = 3 };

static bool partition_emit(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, const lower_partition *part,
                           LLVMTargetMachineRef tm, LLVMMemoryBufferRef *out, kiln_error *err) {
    uint32_t count = part ? part->end - part->first : m->num_funcs - m->num_imported_funcs;
    progress_partition_start(opts->progress, part ? part->index : 0, count);
    uint8_t *big = calloc(count ? count : 1, 1);
    if (!big) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    uint32_t first = bodies_first(m, part);
    for (uint32_t i = 0; i < count; i++) big[i] = lower_body_huge(m, first + i);
    bool retry = false;
    bool ok = partition_emit_once(m, bytes, size, opts, part, tm, big, &retry, out, err);
    /* Attempts after the first count no steps of their own. */
    kiln_compile_options again = *opts;
    again.progress = NULL;
    for (int attempt = 2; ok && retry; attempt++) {
        if (attempt == FRAME_ATTEMPTS_MAX) memset(big, 1, count);
        progress_partition_again(opts->progress, count_marked(big, count));
        ok = partition_emit_once(m, bytes, size, &again, part, tm, big, &retry, out, err);
    }
    free(big);
    if (ok) progress_partition_step(opts->progress, PROGRESS_EMITTED);
    return ok;
}

/* ---- parallel compilation ----------------------------------------------------
 *
 * The defined functions are cut into contiguous ranges of about equal
 * weight; compile threads take partitions from a shared counter, each
 * with its own target machine and one LLVM context per partition (LLVM
 * is thread-safe across contexts).  Objects come back in partition order,
 * so the result depends on the partition count, never on scheduling.
 * Contiguous ranges keep neighbouring functions (which in compiler
 * output tend to call each other) together; what is lost is inlining
 * across a partition boundary. */

enum {
    EMIT_PART_MIN_WEIGHT = 20000, /* below this much work per part, stay whole */
    EMIT_PART_WEIGHT = 40000,     /* big modules: parts this size compile fastest */
    EMIT_PARTS_PER_JOB = 2,       /* spare parts even out uneven ranges       */
    EMIT_PARTS_MAX = 1024,
    EMIT_FUNC_WEIGHT = 16,        /* per-function cost, in instructions      */
    EMIT_THREAD_STACK = 16 << 20, /* LLVM recurses; match a main thread's    */
};

static uint64_t func_weight(const kiln_func *f) {
    return (uint64_t)f->num_insns + EMIT_FUNC_WEIGHT;
}

static uint64_t module_weight(const kiln_module *m) {
    uint64_t total = 0;
    for (uint32_t i = m->num_imported_funcs; i < m->num_funcs; i++) total += func_weight(&m->funcs[i]);
    return total;
}

/* Explicit partitions win.  Otherwise EMIT_PARTS_PER_JOB parts per
 * thread (if each keeps EMIT_PART_MIN_WEIGHT of work), or parts of
 * EMIT_PART_WEIGHT if that gives more, even at -j1: LLVM's cost per
 * instruction grows with the module (a 2.8 MB module compiles at -O0 in
 * ~30% less CPU and a quarter of the memory when split into 32 parts, even
 * on one thread), and compile memory must grow with the largest part, not
 * with the module, so a big module is cut by size whatever -j says.
 * Modules under 2 * EMIT_PART_WEIGHT stay whole at -j1 (byte-identical to
 * an unsplit compile). */
static uint32_t partitions_choose(const kiln_module *m, const kiln_compile_options *o) {
    uint32_t ndef = m->num_funcs - m->num_imported_funcs;
    if (ndef == 0) return 1;
    uint64_t n = 1;
    if (o->partitions > 0) {
        n = (uint64_t)o->partitions;
    } else {
        uint64_t total = module_weight(m);
        if (o->jobs > 1) {
            n = total / EMIT_PART_MIN_WEIGHT;
            if (n > (uint64_t)o->jobs * EMIT_PARTS_PER_JOB) n = (uint64_t)o->jobs * EMIT_PARTS_PER_JOB;
        }
        if (n < total / EMIT_PART_WEIGHT) n = total / EMIT_PART_WEIGHT;
        if (n > EMIT_PARTS_MAX) n = EMIT_PARTS_MAX;
    }
    if (n > ndef) n = ndef;
    return n ? (uint32_t)n : 1;
}

/* Contiguous ranges: part k ends at the first function where the running
 * weight reaches (k+1)/n of the total, and every part keeps one function. */
static void partitions_plan(const kiln_module *m, uint32_t n, lower_partition *parts) {
    uint64_t total = module_weight(m), sum = 0;
    uint32_t i = m->num_imported_funcs;
    for (uint32_t k = 0; k < n; k++) {
        parts[k] = (lower_partition){k, n, i, i, NULL};
        uint64_t goal = total * (k + 1) / n;
        uint32_t last = m->num_funcs - (n - 1 - k); /* leave one for each later part */
        while (i < last && (i == parts[k].first || sum < goal || k == n - 1))
            sum += func_weight(&m->funcs[i++]);
        parts[k].end = i;
    }
}

/* With a partition cache the cuts must survive edits: a function's
 * change may move the cut after it, but the cuts further on stay where
 * they were (content-defined chunking).  A part ends after a function
 * once it holds EMIT_PART_MIN_CUT of work and the hash of that function's
 * body picks it (one in EMIT_CUT_ONE_IN), or at EMIT_PART_MAX_CUT; so the
 * cut after a function depends only on the bodies since the last cut.
 * Parts average about EMIT_PART_WEIGHT.  Modules too small to split stay
 * whole, as without the cache. */
enum {
    EMIT_PART_MIN_CUT = EMIT_PART_WEIGHT * 3 / 4,
    EMIT_PART_MAX_CUT = EMIT_PART_WEIGHT * 4,
    EMIT_CUT_ONE_IN = 8,
};

static uint32_t body_hash(const uint8_t *bytes, size_t size, const kiln_module *m, uint32_t f) {
    size_t from = m->funcs[f].body_offset;
    size_t to = f + 1 < m->num_funcs ? m->funcs[f + 1].body_offset
                                     : (size_t)m->code_offset + m->code_size;
    uint32_t h = 2166136261u; /* FNV-1a, then mixed: its low bits alone are poor */
    for (size_t i = from; i < to && i < size; i++) h = (h ^ bytes[i]) * 16777619u;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

static uint32_t partitions_plan_stable(const kiln_module *m, const uint8_t *bytes, size_t size,
                                       lower_partition *parts) {
    uint32_t n = 0, first = m->num_imported_funcs;
    uint64_t weight = 0;
    for (uint32_t i = m->num_imported_funcs; i < m->num_funcs; i++) {
        weight += func_weight(&m->funcs[i]);
        bool last = i + 1 == m->num_funcs;
        bool cut = weight >= EMIT_PART_MAX_CUT ||
                   (weight >= EMIT_PART_MIN_CUT && body_hash(bytes, size, m, i) % EMIT_CUT_ONE_IN == 0);
        if (!last && !(cut && n + 1 < EMIT_PARTS_MAX)) continue;
        parts[n] = (lower_partition){n, 0, first, i + 1, NULL};
        n++;
        first = i + 1;
        weight = 0;
    }
    for (uint32_t k = 0; k < n; k++) parts[k].count = n;
    return n;
}

/* Huge bodies (lower_body_huge) get partitions of their own at -O2 and
 * -O3, cut out of the planned ranges: the rest of a range keeps its
 * neighbours together, the huge body is compiled alone with the bounded
 * pipeline (module_optimize).  Alone rather than with other huge bodies:
 * a partition's memory then grows with its one body, and wasm-ld rarely
 * puts two side by side (none of CRuby's nine are neighbours).  -O1's
 * pipeline has none of the passes bounded there (no GVN, no SLP, its
 * vectorizer takes only loops that ask), so it keeps its ranges.
 * Explicit partition counts (--partitions) are taken as given, with one
 * exception: oversized bodies (lower_body_oversized) are cut out at every
 * level above -O0, whatever was asked, since their partition is compiled
 * as at -O0 (partition_level) to bound the compile's time. */
static bool body_alone(const kiln_module *m, uint32_t index, const kiln_compile_options *o) {
    if (o->opt_level <= 0) return false;
    bool huge = o->opt_level >= 2 && o->partitions <= 0 && lower_body_huge(m, index);
    return huge || lower_body_oversized(m, index);
}

/* The bodies compiled alone, in index order (*n of them; NULL when none),
 * each judged once: oversized needs a scan of the body. */
static uint32_t *bodies_alone(const kiln_module *m, const kiln_compile_options *o, uint32_t *n) {
    uint32_t *list = NULL, cap = 0;
    *n = 0;
    for (uint32_t i = m->num_imported_funcs; i < m->num_funcs; i++) {
        if (!body_alone(m, i, o)) continue;
        if (*n == cap) {
            uint32_t *bigger = realloc(list, (cap = cap ? 2 * cap : 16) * sizeof *list);
            if (!bigger) break; /* out of memory: those found so far */
            list = bigger;
        }
        list[(*n)++] = i;
    }
    return list;
}

static uint32_t part_push(lower_partition *out, uint32_t k, uint32_t first, uint32_t end) {
    if (first >= end) return k;
    out[k] = (lower_partition){k, 0, first, end, NULL};
    return k + 1;
}

/* parts[0..n) split around every body of `alone` (bodies_alone); parts
 * has room for n + 2 per such body.  Returns the new count; indices and
 * counts renumbered. */
static uint32_t partitions_isolate(const uint32_t *alone, uint32_t num_alone,
                                   lower_partition *parts, uint32_t n) {
    lower_partition *in = malloc(n * sizeof *in);
    if (!in) return n; /* out of memory: the planned ranges, still correct */
    memcpy(in, parts, n * sizeof *in);
    uint32_t k = 0, a = 0;
    for (uint32_t p = 0; p < n; p++) {
        uint32_t first = in[p].first;
        for (; a < num_alone && alone[a] < in[p].end; a++) {
            uint32_t i = alone[a];
            k = part_push(parts, part_push(parts, k, first, i), i, i + 1);
            first = i + 1;
        }
        k = part_push(parts, k, first, in[p].end);
    }
    free(in);
    for (uint32_t j = 0; j < k; j++) parts[j].count = k;
    return k;
}

/* The level a partition is compiled at: the options', or 0 for an
 * oversized body alone in its partition (partitions_isolate put it
 * there).  Its callers in other partitions check its frame through its
 * own table entry, whatever the level (lower.c, *the stack check*). */
static int partition_level(const kiln_module *m, const lower_partition *part,
                           const kiln_compile_options *o) {
    uint32_t first = bodies_first(m, part), end = bodies_end(m, part);
    bool oversized = o->opt_level > 0 && end - first == 1 && lower_body_oversized(m, first);
    return oversized ? 0 : o->opt_level;
}

typedef struct emit_job {
    const kiln_module *m;
    const uint8_t *bytes;
    size_t size;
    const kiln_compile_options *opts;
    lower_partition *parts;
    LLVMMemoryBufferRef *objects; /* [count], NULL until emitted */
    kiln_error *errs;             /* [count] */
    uint32_t count;
    part_cache *cache; /* NULL: none */
    kiln_compile_options opts_o0; /* *opts at -O0, for oversized bodies (partition_level) */
    atomic_uint next;
    atomic_bool failed;
} emit_job;

/* Whether partition `index` is one of those `list` names. */
static bool index_listed(const char *list, uint32_t index) {
    for (const char *p = list; *p;) {
        char *end;
        unsigned long n = strtoul(p, &end, 10);
        if (end != p && n == index) return true;
        p = end != p ? end : p + 1;
        if (*p == ',') p++;
    }
    return false;
}

/* Measuring aid (opts->sample_every, opts->sample_list): a partition left
 * out of the sample is an object with nothing in it. */
static bool partition_sampled_out(const kiln_compile_options *opts, const lower_partition *part) {
    if (!part) return false;
    if (opts->sample_list) return !index_listed(opts->sample_list, part->index);
    return opts->sample_every > 1 && part->index % opts->sample_every != 0;
}

static bool partition_emit_empty(LLVMTargetMachineRef tm, LLVMMemoryBufferRef *out, kiln_error *err) {
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("empty", ctx);
    char *triple = LLVMGetTargetMachineTriple(tm), *msg = NULL;
    LLVMSetTarget(mod, triple);
    LLVMDisposeMessage(triple);
    bool ok = !LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, out);
    if (!ok) error_set(err, KILN_ERR_LOWER, 0, "object emission failed: %.200s", msg ? msg : "");
    LLVMDisposeMessage(msg);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return ok;
}

/* From the cache, or emitted (and then stored in it). */
static bool partition_obtain(emit_job *job, const lower_partition *part,
                             const kiln_compile_options *opts, LLVMTargetMachineRef tm,
                             LLVMMemoryBufferRef *out, kiln_error *err) {
    char key[65];
    if (partition_sampled_out(opts, part)) return partition_emit_empty(tm, out, err);
    if (job->cache) {
        part_cache_key(job->cache, job->m, job->bytes, job->size, part, key);
        if (part_cache_get(job->cache, key, out)) {
            uint32_t first = bodies_first(job->m, part);
            uint32_t end = bodies_end(job->m, part);
            progress_partition_start(opts->progress, part ? part->index : 0, end - first);
            progress_partition_cached(opts->progress);
            return true;
        }
    }
    if (!partition_emit(job->m, job->bytes, job->size, opts, part, tm, out, err)) return false;
    if (job->cache)
        part_cache_put(job->cache, key, LLVMGetBufferStart(*out), LLVMGetBufferSize(*out));
    return true;
}

/* A worker's target machines: one at the options' level, made first,
 * and one at -O0's, made when an oversized body first needs it (code
 * generation's level is the target machine's). */
typedef struct worker_tms {
    LLVMTargetMachineRef at_level, o0;
    kiln_error err;
} worker_tms;

static LLVMTargetMachineRef worker_tm(emit_job *job, worker_tms *tms, bool o0) {
    if (!o0 || job->opts->opt_level == 0) return tms->at_level;
    if (!tms->o0) tms->o0 = target_machine_create(&job->opts_o0, &tms->err);
    return tms->o0;
}

static void *emit_worker(void *arg) {
    emit_job *job = arg;
    worker_tms tms = {0};
    tms.at_level = target_machine_create(job->opts, &tms.err);
    for (;;) {
        unsigned k = atomic_fetch_add(&job->next, 1);
        if (k >= job->count || atomic_load(&job->failed)) break;
        const lower_partition *part = job->count > 1 ? &job->parts[k] : NULL;
        bool o0 = partition_level(job->m, part, job->opts) == 0;
        LLVMTargetMachineRef tm = tms.at_level ? worker_tm(job, &tms, o0) : NULL;
        if (!tm) job->errs[k] = tms.err;
        if (!tm || !partition_obtain(job, part, o0 ? &job->opts_o0 : job->opts, tm,
                                     &job->objects[k], &job->errs[k]))
            atomic_store(&job->failed, true);
    }
    if (tms.at_level) LLVMDisposeTargetMachine(tms.at_level);
    if (tms.o0) LLVMDisposeTargetMachine(tms.o0);
    return NULL;
}

/* Runs the workers: `threads - 1` new threads plus the caller. */
static void emit_workers_run(emit_job *job, uint32_t threads) {
    pthread_t tids[64];
    uint32_t started = 0;
    pthread_attr_t attr;
    bool attr_ok = pthread_attr_init(&attr) == 0 &&
                   pthread_attr_setstacksize(&attr, EMIT_THREAD_STACK) == 0;
    for (uint32_t t = 1; t < threads && t < 64; t++)
        if (pthread_create(&tids[started], attr_ok ? &attr : NULL, emit_worker, job) == 0) started++;
    emit_worker(job);
    for (uint32_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
    pthread_attr_destroy(&attr);
}

typedef struct emit_result {
    LLVMMemoryBufferRef *objects;
    uint32_t count;
    const char *target_triple; /* the options', for the driver that joins the parts */
} emit_result;

static void emit_result_free(emit_result *r) {
    for (uint32_t k = 0; r->objects && k < r->count; k++)
        if (r->objects[k]) LLVMDisposeMemoryBuffer(r->objects[k]);
    free(r->objects);
    r->objects = NULL;
}

/* The first failing partition's error, so messages do not depend on
 * which thread got there first. */
static bool emit_job_finish(emit_job *job, kiln_error *err) {
    for (uint32_t k = 0; k < job->count; k++) {
        if (job->objects[k]) continue;
        if (job->errs[k].kind != KILN_OK) *err = job->errs[k];
        else error_set(err, KILN_ERR_LOWER, 0, "partition %u was not compiled", k);
        return false;
    }
    return true;
}

/* Every partition's object, in partition order (one for an unpartitioned compile). */
static bool emit_objects(const kiln_module *m, const uint8_t *bytes, size_t size,
                         const kiln_compile_options *opts, emit_result *out, kiln_error *err) {
    part_cache cache;
    lower_scan scan = {0}; /* shared by the partitions; without it each scans */
    bool cached = opts->cache_dir && opts->sample_every <= 1 && !opts->sample_list &&
                  part_cache_begin(&cache, m, bytes, size, opts);
    bool stable = cached && opts->partitions <= 0 && module_weight(m) >= 2 * EMIT_PART_WEIGHT;
    uint32_t n = stable ? EMIT_PARTS_MAX : partitions_choose(m, opts);
    uint32_t alone;
    uint32_t *alone_list = bodies_alone(m, opts, &alone);
    uint32_t cap = n + 2 * alone;
    emit_job job = {.m = m, .bytes = bytes, .size = size, .opts = opts, .count = cap,
                    .cache = cached ? &cache : NULL, .opts_o0 = *opts};
    job.opts_o0.opt_level = 0;
    job.parts = calloc(cap, sizeof *job.parts);
    job.objects = calloc(cap, sizeof *job.objects);
    job.errs = calloc(cap, sizeof *job.errs);
    atomic_init(&job.next, 0);
    atomic_init(&job.failed, false);
    bool ok = job.parts && job.objects && job.errs;
    if (!ok) error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    if (ok) {
        for (uint32_t k = 0; k < cap; k++) error_clear(&job.errs[k]);
        if (stable) n = partitions_plan_stable(m, bytes, size, job.parts);
        else if (n > 1 || alone) partitions_plan(m, n, job.parts);
        if (alone) n = partitions_isolate(alone_list, alone, job.parts, n);
        job.count = n;
        if (n > 1 && lower_scan_make(m, &scan))
            for (uint32_t k = 0; k < n; k++) job.parts[k].scan = &scan;
        uint32_t threads = opts->jobs > 1 ? (uint32_t)opts->jobs : 1;
        threads = threads < n ? threads : n;
        progress_compile_begin(opts->progress, n, m->num_funcs - m->num_imported_funcs, threads,
                               job.cache != NULL);
        emit_workers_run(&job, threads);
        progress_compile_end(opts->progress);
        ok = emit_job_finish(&job, err);
    }
    out->objects = job.objects;
    out->count = n;
    out->target_triple = opts->target_triple;
    if (cached) part_cache_end(&cache);
    if (!ok) emit_result_free(out);
    lower_scan_free(&scan);
    free(alone_list);
    free(job.parts);
    free(job.errs);
    return ok;
}

/* ---- writing objects ------------------------------------------------------- */

static bool fd_write_all(int fd, const void *data, size_t n) {
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, (const char *)data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        done += (size_t)w;
    }
    return true;
}

/* Writes via a temporary file in the same directory and renames it, so
 * a failed compile never leaves a half-written object behind. */
static bool file_replace(const char *path, const void *data, size_t n, kiln_error *err) {
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    bool ok = fd >= 0 && fchmod(fd, 0644) == 0 && fd_write_all(fd, data, n);
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (ok && rename(tmp, path) != 0) ok = false;
    if (!ok) {
        error_set(err, KILN_ERR_IO, 0, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0) unlink(tmp);
    }
    free(tmp);
    return ok;
}

/* A new file `<base>.<tag>.XXXXXX.o` holding `data` (may be empty); the
 * malloc'ed path, or NULL with *err filled. */
static char *tmp_object_write(const char *base, const char *tag, const void *data, size_t n,
                              kiln_error *err) {
    size_t cap = strlen(base) + strlen(tag) + 16;
    char *path = malloc(cap);
    if (!path) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory"), NULL;
    snprintf(path, cap, "%s.%s.XXXXXX.o", base, tag);
    int fd = mkstemps(path, 2);
    bool ok = fd >= 0 && fchmod(fd, 0644) == 0 && fd_write_all(fd, data, n);
    if (fd >= 0 && close(fd) != 0) ok = false;
    if (ok) return path;
    error_set(err, KILN_ERR_IO, 0, "cannot write %s: %s", path, strerror(errno));
    if (fd >= 0) unlink(path);
    free(path);
    return NULL;
}

/* Partition objects -> temporary files -> one relocatable object at `output`
 * (an existing file there is replaced by the link). */
static bool objects_link(const emit_result *r, const char *base, const char *output,
                         kiln_error *err) {
    char **paths = calloc(r->count, sizeof *paths);
    bool ok = paths != NULL;
    if (!ok) error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    for (uint32_t k = 0; ok && k < r->count; k++) {
        char tag[16];
        snprintf(tag, sizeof tag, "p%u", k);
        paths[k] = tmp_object_write(base, tag, LLVMGetBufferStart(r->objects[k]),
                                    LLVMGetBufferSize(r->objects[k]), err);
        ok = paths[k] != NULL;
    }
    char driver[256];
    if (ok)
        ok = link_relocatable_with(cross_driver(r->target_triple, driver, sizeof driver),
                                   (const char *const *)paths, r->count, output, err);
    for (uint32_t k = 0; paths && k < r->count; k++) {
        if (paths[k]) unlink(paths[k]);
        free(paths[k]);
    }
    free(paths);
    return ok;
}

static bool file_read_all(const char *path, uint8_t **out, size_t *n, kiln_error *err) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    bool ok = f && fstat(fileno(f), &st) == 0;
    *out = ok ? malloc(st.st_size ? (size_t)st.st_size : 1) : NULL;
    ok = ok && *out && fread(*out, 1, (size_t)st.st_size, f) == (size_t)st.st_size;
    if (f) fclose(f);
    if (ok) {
        *n = (size_t)st.st_size;
        return true;
    }
    free(*out);
    *out = NULL;
    return error_set(err, KILN_ERR_IO, 0, "cannot read %s", path);
}

/* A partitioned compile in memory still needs the linker's files. */
static bool objects_combine_memory(const emit_result *r, uint8_t **object, size_t *object_size,
                                   kiln_error *err) {
    const char *dir = getenv("TMPDIR");
    char base[4096];
    snprintf(base, sizeof base, "%s/kiln", dir && *dir ? dir : "/tmp");
    char *out = tmp_object_write(base, "combined", "", 0, err);
    if (!out) return false;
    bool ok = objects_link(r, base, out, err) && file_read_all(out, object, object_size, err);
    unlink(out);
    free(out);
    return ok;
}

bool module_compile_memory(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *given, uint8_t **object,
                           size_t *object_size, kiln_error *err) {
    kiln_compile_options opts = options_defaults(given);
    emit_result r;
    if (!emit_objects(m, bytes, size, &opts, &r, err)) return false;
    bool ok;
    if (r.count > 1) {
        ok = objects_combine_memory(&r, object, object_size, err);
    } else {
        size_t n = LLVMGetBufferSize(r.objects[0]);
        *object = malloc(n ? n : 1);
        if (*object) memcpy(*object, LLVMGetBufferStart(r.objects[0]), n);
        *object_size = n;
        ok = *object ? true : error_set(err, KILN_ERR_NOMEM, 0, "out of memory");
    }
    emit_result_free(&r);
    return ok;
}

/* The combined object is linked to a temporary name next to the target
 * and renamed, as file_replace() does for a single one. */
static bool objects_combine_file(const emit_result *r, const char *path, kiln_error *err) {
    char *tmp = tmp_object_write(path, "tmp", "", 0, err);
    if (!tmp) return false;
    bool ok = objects_link(r, path, tmp, err);
    if (ok && rename(tmp, path) != 0)
        ok = error_set(err, KILN_ERR_IO, 0, "cannot write %s: %s", path, strerror(errno));
    if (!ok) unlink(tmp);
    free(tmp);
    return ok;
}

bool module_compile_object(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *given, const char *object_path,
                           kiln_error *err) {
    kiln_compile_options opts = options_defaults(given);
    emit_result r;
    if (!emit_objects(m, bytes, size, &opts, &r, err)) return false;
    progress_phase_begin(opts.progress, r.count > 1 ? "join partitions" : "write object");
    bool ok = r.count > 1 ? objects_combine_file(&r, object_path, err)
                          : file_replace(object_path, LLVMGetBufferStart(r.objects[0]),
                                         LLVMGetBufferSize(r.objects[0]), err);
    progress_phase_end(opts.progress);
    emit_result_free(&r);
    return ok;
}

/* Textual LLVM IR after the -O pipeline (kiln compile --emit-llvm).  At
 * -O0, the IR the -O1..-O3 pipelines start from, before any pass: -O0's
 * own lowering differs from theirs (lower.c, lower_memory.c: what suits
 * fast instruction selection), so it is lowered as for -O2. */
bool module_compile_llvm_ir(const kiln_module *m, const uint8_t *bytes, size_t size,
                            const kiln_compile_options *given, const char *path, kiln_error *err) {
    kiln_compile_options opts = options_defaults(given);
    bool optimize = opts.opt_level > 0;
    if (!optimize) opts.opt_level = 2;
    LLVMTargetMachineRef tm = target_machine_create(&opts, err);
    if (!tm) return false;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = module_compile_ir(m, bytes, size, &opts, ctx, tm, optimize, err);
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
