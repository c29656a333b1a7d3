/* check_hoist.h - explicit bounds mode: the bounds checks of a simple
 * loop replaced by one range test in its preheader (check_hoist.c). */
#ifndef KILN_CHECK_HOIST_H
#define KILN_CHECK_HOIST_H

#include <stddef.h>

#include <llvm-c/Types.h>

/* Versions every matching innermost loop of fn: the preheader tests that
 * no check of the loop can fail in any of its iterations and then runs a
 * copy without the checks, else the original.  Returns how many. */
size_t check_hoist_function(LLVMValueRef fn);

/* check_hoist_function over every defined function of mod. */
size_t check_hoist_module(LLVMModuleRef mod);

#endif
