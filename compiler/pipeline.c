/* pipeline.c - the LLVM pass pipeline each -O level runs (emit.c hands
 * the string to LLVMRunPasses).
 *
 * -O1 and -O3 are LLVM's own `default<On>`.  -O2 is kiln's: LLVM 19's
 * `default<O2>` (what `opt -passes='default<O2>' -print-pipeline-passes`
 * prints) with what wasm input does not need taken out.  The module was
 * already optimised by the compiler that made it (clang, rustc), so the
 * work left is what the translation itself creates: the locals in
 * allocas, the loads of the instance's fields (memory base, globals) at
 * every access, the bounds-check arithmetic, calls between wasm functions
 * that wasm-ld could not inline across translation units, and loops whose
 * addresses only become analysable once in LLVM's form (issue #12's
 * kernels need the loop vectorizer, SLP, unrolling and LICM).
 *
 * Taken out, with why:
 *  - the module-level passes before the inliner (ipsccp, globalopt,
 *    called-value-propagation, inferattrs, deadargelim, globals-aa): every
 *    function's address is taken by the descriptor and every wasm global
 *    lives in the instance, so they find nothing to do here, at a cost;
 *  - jump-threading and correlated-propagation, both runs: on CRuby's
 *    partitions they were ~15-20% of the first stage's time (opt-19
 *    replay), and the bench kernels do not need them (callgrind, with
 *    emit.c's SLP rule: geomean 0.986 of the instructions, the largest
 *    rise mm2's +2.4%; docs/benchmarks.md, *-O2 without jump
 *    threading*); the first
 *    vector-combine, aggressive-instcombine, constraint-elimination,
 *    speculative-execution, libcalls-shrinkwrap, tailcallelim, float2int,
 *    loop-distribute, loop-sink, the final instcombine and the
 *    coroutine, OpenMP, annotation, cg-profile and lookup-table passes:
 *    C-source idioms that clang already handled, or nothing wasm makes;
 *  - verify: emit.c verifies the lowered IR itself (KILN_VERIFY).
 * Measured on CRuby's module (docs/benchmarks.md, *Compile speed*): about
 * 35% less time in the pipeline than `default<O2>`.
 *
 * Added: between the function simplification and the loop stage, the
 * loop re-roller (reroll.c) turns loops that clang unrolled by 2, 4 or 8
 * for wasm32 back into one-element loops, which the loop vectorizer
 * takes.  -O1 and -O3 are LLVM's own pipelines cut at the same place
 * (pipeline_default.h): -O3 re-rolls too, and in explicit bounds mode
 * both hoist their loops' checks there (check_hoist.c); -O1 does not
 * re-roll (emit.c says why). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Support.h>

#include "pipeline.h"
#include "pipeline_default.h"

#define SIMPLIFYCFG(switches, hoist, speculate)                                                    \
    "simplifycfg<bonus-inst-threshold=1;" switches ";" hoist                                     \
    ";speculate-blocks;simplify-cond-branch;" speculate ">"
#define SIMPLIFYCFG_EARLY                                                                          \
    SIMPLIFYCFG("no-forward-switch-cond;switch-range-to-icmp;no-switch-to-lookup;keep-loops",      \
                "no-hoist-common-insts;no-sink-common-insts", "no-speculate-unpredictables")
#define INSTCOMBINE "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>"

/* Per function, before the inliner: locals out of their allocas, the
 * instance loads of straight-line code merged. */
#define KILN_O2_EARLY                                                                              \
    "function<eager-inv>("                                                                         \
    SIMPLIFYCFG("no-forward-switch-cond;no-switch-range-to-icmp;no-switch-to-lookup;keep-loops",   \
                "no-hoist-common-insts;no-sink-common-insts", "no-speculate-unpredictables")       \
    ",sroa<modify-cfg>,early-cse<>," INSTCOMBINE "," SIMPLIFYCFG_EARLY ")"

/* Bottom-up over the call graph: inline, then simplify each function
 * with what its callees became (default<O2>'s function simplification,
 * less what the header names). */
#define KILN_O2_SIMPLIFY_WITH(gvn)                                                                 \
    "cgscc(devirt<4>(inline,function-attrs<skip-non-recursive-function-attrs>,"                    \
    "function<eager-inv;no-rerun>(sroa<modify-cfg>,early-cse<memssa>," SIMPLIFYCFG_EARLY ","       \
    INSTCOMBINE ",reassociate,"                                                                    \
    "loop-mssa(loop-instsimplify,loop-simplifycfg,licm<no-allowspeculation>,"                     \
    "loop-rotate<header-duplication;no-prepare-for-lto>,licm<allowspeculation>,"                   \
    "simple-loop-unswitch<no-nontrivial;trivial>)," SIMPLIFYCFG_EARLY ","                          \
    "loop(loop-idiom,indvars,loop-deletion,loop-unroll-full),mldst-motion<no-split-footer-bb>,"    \
    gvn ",sccp,bdce," INSTCOMBINE ",adce,memcpyopt,dse,loop-mssa(licm<allowspeculation>),"         \
    SIMPLIFYCFG("no-forward-switch-cond;switch-range-to-icmp;no-switch-to-lookup;keep-loops",      \
                "hoist-common-insts;sink-common-insts", "no-speculate-unpredictables")             \
    ")))"

/* Per function, last: the vectorizers and unrolling, as default<O2>
 * (each argument is its passes with a trailing comma, or ""). */
#define KILN_O2_LOOPS_WITH(vectorize, slp, unroll)                                                 \
    "function<eager-inv>(loop(loop-rotate<header-duplication;no-prepare-for-lto>,loop-deletion),"  \
    vectorize "infer-alignment,loop-load-elim," INSTCOMBINE ","                                    \
    SIMPLIFYCFG("forward-switch-cond;switch-range-to-icmp;switch-to-lookup;no-keep-loops",         \
                "hoist-common-insts;sink-common-insts", "no-speculate-unpredictables")             \
    "," slp INSTCOMBINE "," unroll "sroa<preserve-cfg>,"                                           \
    "loop-mssa(licm<allowspeculation>),instsimplify,div-rem-pairs,"                                \
    SIMPLIFYCFG("no-forward-switch-cond;switch-range-to-icmp;no-switch-to-lookup;keep-loops",      \
                "no-hoist-common-insts;no-sink-common-insts", "speculate-unpredictables")          \
    ")"
#define KILN_O2_VECTORIZE "loop-vectorize<no-interleave-forced-only;no-vectorize-forced-only;>,"
#define KILN_O2_SLP "slp-vectorizer,vector-combine,"
#define KILN_O2_UNROLL "loop-unroll<O2>,"

/* -O2 runs in two stages with the loop re-roller (reroll.c) between
 * them: it needs loops simplified, rotated and their invariant loads
 * hoisted, and must finish before the loop vectorizer of the second. */
static const char kiln_o2_simplify[] = KILN_O2_EARLY "," KILN_O2_SIMPLIFY_WITH("gvn<>");
static const char kiln_o2_loops[] =
    KILN_O2_LOOPS_WITH(KILN_O2_VECTORIZE, KILN_O2_SLP, KILN_O2_UNROLL);

/* Huge bodies (lower_body_huge), alone in their partitions at -O2 and
 * -O3: kiln's -O2 with the passes whose cost grows faster than the body
 * bounded or left out, chosen pass by pass on CRuby's three longest
 * bodies (docs/benchmarks.md, *A cheaper -O2 for huge bodies*):
 *  - GVN without load PRE, which walks memory dependences back through
 *    the whole CFG for each partially redundant load;
 *  - no loop unrolling and no SLP or loop vectorizer: on a body of
 *    thousands of blocks they searched long and found little (an
 *    interpreter's dispatch loop is one huge loop, not a kernel), and
 *    with no vectorizer the loop re-roller is left out too (a re-rolled
 *    loop would run one element per iteration, as at -O1). */
static const char huge_simplify[] = KILN_O2_EARLY "," KILN_O2_SIMPLIFY_WITH("gvn<no-load-pre>");
static const char huge_loops[] = KILN_O2_LOOPS_WITH("", "", "");

pipeline_stages pipeline_for_level(int opt_level) {
    pipeline_stages s = {NULL, NULL, opt_level >= 2};
    if (opt_level <= 0) {
        /* pipeline_o0 */
    } else if (opt_level == 1) {
        s.first = LLVM_O1_SIMPLIFY, s.second = LLVM_O1_LOOPS;
    } else if (opt_level == 2) {
        s.first = kiln_o2_simplify, s.second = kiln_o2_loops;
    } else {
        s.first = LLVM_O3_SIMPLIFY, s.second = LLVM_O3_LOOPS;
    }
    return s;
}

pipeline_stages pipeline_for_huge(int opt_level) {
    if (opt_level < 2) return pipeline_for_level(opt_level);
    return (pipeline_stages){huge_simplify, huge_loops, false};
}

/* -O0 runs no pass on scalar code, not even mem2reg: fast instruction
 * selection takes locals in allocas as they are (as clang -O0 leaves
 * them), and the fast register allocator spills every value that lives
 * across blocks anyway; promoting them made CRuby's code bigger and
 * slower to compile.  SIMD code keeps mem2reg: fast instruction
 * selection takes few vector operations, and SelectionDAG, which gets
 * the rest of their blocks, folds local loads into instructions at a
 * cost that grows with the block (docs/benchmarks.md, *Real
 * applications*). */
const char *pipeline_o0(bool simd) { return simd ? "function(mem2reg)" : NULL; }

const char *pipeline_llvm_options(void) {
    const char *env = getenv("KILN_LLVM_OPTIONS");
    return env ? env : "";
}

void pipeline_llvm_options_apply(void) {
    enum { MAX_ARGS = 32 };
    static char copy[1024];
    const char *argv[MAX_ARGS + 1] = {"kiln"};
    int argc = 1;
    snprintf(copy, sizeof copy, "%s", pipeline_llvm_options());
    char *save = NULL;
    for (char *t = strtok_r(copy, " ", &save); t && argc <= MAX_ARGS; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    if (argc > 1) LLVMParseCommandLineOptions(argc, argv, "kiln");
}
