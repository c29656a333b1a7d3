/* cfg_cycles.h - which blocks of an LLVM function lie on a cycle of its
 * control-flow graph: the answer both emit.c (is there a loop at all,
 * so is SLP worth running) and load_split.c (is this load in a loop)
 * need, computed once per function in linear time. */
#ifndef KILN_CFG_CYCLES_H
#define KILN_CFG_CYCLES_H

#include <llvm-c/Core.h>
#include <stdbool.h>

#include "ptr_set.h"

/* Adds to `on_cycle` every block of `fn` that can reach itself: the
 * blocks of a strongly connected component of two or more blocks, and
 * a block that branches to itself, whether the entry reaches them or
 * not.  False when out of memory (`on_cycle` then holds a part). */
bool cfg_cycle_blocks(LLVMValueRef fn, ptr_set *on_cycle);

#endif
