/* reroll.h - the loop re-roller (reroll.c): loops that clang unrolled by
 * 2, 4 or 8 for wasm32 turned back into one-element loops for LLVM's
 * vectorizer. */
#ifndef KILN_REROLL_H
#define KILN_REROLL_H

#include <stddef.h>

#include <llvm-c/Types.h>

/* Re-rolls every matching loop of fn (a single block, or a chain of
 * blocks linked by bounds checks, whose body is k copies of one
 * iteration); returns how many. */
size_t reroll_function(LLVMValueRef fn);

/* reroll_function over every defined function of mod. */
size_t reroll_module(LLVMModuleRef mod);

#endif
