/* pipeline.h - the LLVM pass pipeline of each -O level (pipeline.c). */
#ifndef KILN_PIPELINE_H
#define KILN_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

/* The new pass manager's pipeline text for `opt_level` (0..3), in two
 * stages: `first` runs, then, when `second` is not NULL, the loop
 * re-roller (reroll.h), then `second`.  Static strings.  -O0 has
 * neither (pipeline_o0). */
typedef struct pipeline_stages {
    const char *first, *second;
} pipeline_stages;

pipeline_stages pipeline_for_level(int opt_level);
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
