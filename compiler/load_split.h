/* load_split.h - vector loads of straight-line code split into element
 * loads after the pipeline (see load_split.c). */
#ifndef KILN_LOAD_SPLIT_H
#define KILN_LOAD_SPLIT_H

#include <stddef.h>

#include <llvm-c/Types.h>

/* The function attribute lowering sets on a body that uses SIMD: its
 * vector loads are the program's own and are never split. */
#define LOAD_SPLIT_SIMD_ATTR "kiln-simd"

/* Splits fn's linear-memory loads of small vectors that lie on no cycle
 * of the CFG into element loads; returns how many. */
size_t load_split_function(LLVMValueRef fn, unsigned md_tbaa);

/* load_split_function over every defined function of mod. */
size_t load_split_module(LLVMModuleRef mod);

#endif
