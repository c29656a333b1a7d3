/* pipeline.h - the LLVM pass pipeline of each -O level (pipeline.c). */
#ifndef KILN_PIPELINE_H
#define KILN_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

/* The new pass manager's pipeline text for `opt_level` (0..3), in two
 * stages: `first` runs, then, when `second` is not NULL, the loop
 * re-roller (reroll.h) if `reroll`, then `second`.  Static strings.
 * -O0 has neither (pipeline_o0). */
typedef struct pipeline_stages {
    const char *first, *second;
    bool reroll;
} pipeline_stages;

pipeline_stages pipeline_for_level(int opt_level);
/* The pipeline of a partition that holds only huge bodies
 * (lower_body_huge): from -O2, kiln's -O2 with its superlinear passes
 * bounded; below, the level's own. */
pipeline_stages pipeline_for_huge(int opt_level);
/* -O0's only stage, for code with (`simd`) or without SIMD: NULL, none. */
const char *pipeline_o0(bool simd);

/* KILN_LLVM_OPTIONS: LLVM's own command-line options, space-separated
 * ("-time-passes" prints where the pipeline and code generation spend
 * their time; docs/architecture.md, *Measuring a compile*).  "" when
 * unset; cache keys hash it, since options can change the code. */
const char *pipeline_llvm_options(void);

/* Hands KILN_LLVM_OPTIONS to LLVM.  Once per process, before any
 * compile thread starts (emit.c calls it with the targets' set-up). */
void pipeline_llvm_options_apply(void);

#endif
