/* pipeline_default.h - LLVM 19's own default<O1> and default<O3>, cut in
 * two so that the loop re-roller (reroll.c, -O3 only) and the
 * explicit-mode check hoisting (check_hoist.c) can run between them, as
 * they do in kiln's -O2 (pipeline.c).
 *
 * The text is what `opt-19 -mtriple=x86_64-unknown-linux-gnu
 * -passes='default<On>' -print-pipeline-passes` prints, less opt's final
 * `verify` (emit.c verifies the lowered IR itself), cut before
 * `recompute-globalsaa`: the first half is LLVM's module simplification
 * (inlining, the function simplification pipeline with loop rotation and
 * LICM), the second its optimization pipeline (loop vectorizer, SLP,
 * unrolling).  Two LLVMRunPasses calls do not share analyses, which is
 * why the second half starts with `recompute-globalsaa`: the first
 * half's caches are gone either way, and the vectorizer's alias queries
 * see what default<On> would have given them.  Keep the two halves
 * byte-for-byte what opt prints when LLVM changes (test_pipeline checks
 * the concatenation against opt-19 when it is installed). */
#ifndef KILN_PIPELINE_DEFAULT_H
#define KILN_PIPELINE_DEFAULT_H

#define LLVM_O1_SIMPLIFY \
    "annotation2metadata,forceattrs,inferattrs,coro-early,function<eager-inv>(ee-instrument<>," \
    "lower-expect,simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
    "no-switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
    "no-sink-common-insts;speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
    "sroa<modify-cfg>,early-cse<>),openmp-opt,ipsccp,called-value-propagation,globalopt," \
    "function<eager-inv>(mem2reg,instcombine<max-iterations=1;no-use-loop-info;" \
    "no-verify-fixpoint>,simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
    "no-sink-common-insts;speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>)," \
    "always-inline,require<globals-aa>,function(invalidate<aa>),require<profile-summary>," \
    "cgscc(devirt<4>(inline,function-attrs<skip-non-recursive-function-attrs>," \
    "function<eager-inv;no-rerun>(sroa<modify-cfg>,early-cse<memssa>," \
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
    "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
    "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
    "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,libcalls-shrinkwrap," \
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
    "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
    "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>,reassociate," \
    "loop-mssa(loop-instsimplify,loop-simplifycfg,licm<no-allowspeculation>," \
    "loop-rotate<header-duplication;no-prepare-for-lto>,licm<allowspeculation>," \
    "simple-loop-unswitch<no-nontrivial;trivial>),simplifycfg<bonus-inst-threshold=1;" \
    "no-forward-switch-cond;switch-range-to-icmp;no-switch-to-lookup;keep-loops;" \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;simplify-cond-branch;" \
    "no-speculate-unpredictables>,instcombine<max-iterations=1;no-use-loop-info;" \
    "no-verify-fixpoint>,loop(loop-idiom,indvars,loop-deletion,loop-unroll-full)," \
    "sroa<modify-cfg>,memcpyopt,sccp,bdce,instcombine<max-iterations=1;no-use-loop-info;" \
    "no-verify-fixpoint>,coro-elide,adce,simplifycfg<bonus-inst-threshold=1;" \
    "no-forward-switch-cond;switch-range-to-icmp;no-switch-to-lookup;keep-loops;" \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;simplify-cond-branch;" \
    "no-speculate-unpredictables>,instcombine<max-iterations=1;no-use-loop-info;" \
    "no-verify-fixpoint>),function-attrs,function(require<should-not-run-function-passes>)," \
    "coro-split)),deadargelim,coro-cleanup,globalopt,globaldce,elim-avail-extern," \
    "rpo-function-attrs"

#define LLVM_O1_LOOPS \
    "recompute-globalsaa,function<eager-inv>(float2int,lower-constant-intrinsics," \
    "loop(loop-rotate<header-duplication;no-prepare-for-lto>,loop-deletion),loop-distribute," \
    "inject-tli-mappings,loop-vectorize<no-interleave-forced-only;vectorize-forced-only;>," \
    "infer-alignment,loop-load-elim,instcombine<max-iterations=1;no-use-loop-info;" \
    "no-verify-fixpoint>,simplifycfg<bonus-inst-threshold=1;forward-switch-cond;" \
    "switch-range-to-icmp;switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts;" \
    "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>,vector-combine," \
    "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,loop-unroll<O1>," \
    "transform-warning,sroa<preserve-cfg>,infer-alignment,instcombine<max-iterations=1;" \
    "no-use-loop-info;no-verify-fixpoint>,loop-mssa(licm<allowspeculation>)," \
    "alignment-from-assumptions,loop-sink,instsimplify,div-rem-pairs,tailcallelim," \
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
    "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
    "speculate-blocks;simplify-cond-branch;speculate-unpredictables>),globaldce,constmerge," \
    "cg-profile,rel-lookup-table-converter,function(annotation-remarks)"

#define LLVM_O3_SIMPLIFY \
    "annotation2metadata,forceattrs,inferattrs,coro-early,function<eager-inv>(ee-instrument<>," \
    "lower-expect,simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
    "no-switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
    "no-sink-common-insts;speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
    "sroa<modify-cfg>,early-cse<>,callsite-splitting),openmp-opt,ipsccp," \
    "called-value-propagation,globalopt,function<eager-inv>(mem2reg," \
    "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
    "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
    "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>),always-inline," \
    "require<globals-aa>,function(invalidate<aa>),require<profile-summary>," \
    "cgscc(devirt<4>(inline,function-attrs<skip-non-recursive-function-attrs>,argpromotion," \
    "openmp-opt-cgscc,function<eager-inv;no-rerun>(sroa<modify-cfg>,early-cse<memssa>," \
    "speculative-execution<only-if-divergent-target>,jump-threading,correlated-propagation," \
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
    "no-switch-to-lookup;keep-loops;no-hoist-common-insts;no-sink-common-insts;" \
    "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>," \
    "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>,aggressive-instcombine," \
    "libcalls-shrinkwrap,tailcallelim,simplifycfg<bonus-inst-threshold=1;" \
    "no-forward-switch-cond;switch-range-to-icmp;no-switch-to-lookup;keep-loops;" \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;simplify-cond-branch;" \
    "no-speculate-unpredictables>,reassociate,constraint-elimination," \
    "loop-mssa(loop-instsimplify,loop-simplifycfg,licm<no-allowspeculation>," \
    "loop-rotate<header-duplication;no-prepare-for-lto>,licm<allowspeculation>," \
    "simple-loop-unswitch<nontrivial;trivial>),simplifycfg<bonus-inst-threshold=1;" \
    "no-forward-switch-cond;switch-range-to-icmp;no-switch-to-lookup;keep-loops;" \
    "no-hoist-common-insts;no-sink-common-insts;speculate-blocks;simplify-cond-branch;" \
    "no-speculate-unpredictables>,instcombine<max-iterations=1;no-use-loop-info;" \
    "no-verify-fixpoint>,loop(loop-idiom,indvars,simple-loop-unswitch<nontrivial;trivial>," \
    "loop-deletion,loop-unroll-full),sroa<modify-cfg>,vector-combine," \
    "mldst-motion<no-split-footer-bb>,gvn<>,sccp,bdce,instcombine<max-iterations=1;" \
    "no-use-loop-info;no-verify-fixpoint>,jump-threading,correlated-propagation,adce,memcpyopt," \
    "dse,move-auto-init,loop-mssa(licm<allowspeculation>),coro-elide," \
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;" \
    "no-switch-to-lookup;keep-loops;hoist-common-insts;sink-common-insts;speculate-blocks;" \
    "simplify-cond-branch;no-speculate-unpredictables>,instcombine<max-iterations=1;" \
    "no-use-loop-info;no-verify-fixpoint>),function-attrs," \
    "function(require<should-not-run-function-passes>),coro-split)),deadargelim,coro-cleanup," \
    "globalopt,globaldce,elim-avail-extern,rpo-function-attrs"

#define LLVM_O3_LOOPS \
    "recompute-globalsaa,function<eager-inv>(float2int,lower-constant-intrinsics,chr," \
    "loop(loop-rotate<header-duplication;no-prepare-for-lto>,loop-deletion),loop-distribute," \
    "inject-tli-mappings,loop-vectorize<no-interleave-forced-only;no-vectorize-forced-only;>," \
    "infer-alignment,loop-load-elim,instcombine<max-iterations=1;no-use-loop-info;" \
    "no-verify-fixpoint>,simplifycfg<bonus-inst-threshold=1;forward-switch-cond;" \
    "switch-range-to-icmp;switch-to-lookup;no-keep-loops;hoist-common-insts;sink-common-insts;" \
    "speculate-blocks;simplify-cond-branch;no-speculate-unpredictables>,slp-vectorizer," \
    "vector-combine,instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
    "loop-unroll<O3>,transform-warning,sroa<preserve-cfg>,infer-alignment," \
    "instcombine<max-iterations=1;no-use-loop-info;no-verify-fixpoint>," \
    "loop-mssa(licm<allowspeculation>),alignment-from-assumptions,loop-sink,instsimplify," \
    "div-rem-pairs,tailcallelim,simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;" \
    "switch-range-to-icmp;no-switch-to-lookup;keep-loops;no-hoist-common-insts;" \
    "no-sink-common-insts;speculate-blocks;simplify-cond-branch;speculate-unpredictables>)," \
    "globaldce,constmerge,cg-profile,rel-lookup-table-converter,function(annotation-remarks)"

#endif
