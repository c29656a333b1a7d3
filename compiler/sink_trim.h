/* sink_trim.h - guard mode: drop load sinks the optimised code does not
 * need (see sink_trim.c). */
#ifndef KILN_SINK_TRIM_H
#define KILN_SINK_TRIM_H

#include <stddef.h>

#include <llvm-c/Types.h>

/* The metadata kind that marks the `asm sideeffect` consuming a sink. */
#define SINK_PIN_METADATA "kiln.sink"

/* Drops, in every function of the optimised module, the sink
 * contributions of loads whose value a real use needs whole.  Returns
 * how many were dropped; the caller runs ADCE when any were. */
size_t sink_trim_module(LLVMModuleRef mod);

#endif
