/* validate.h - private interface between the two halves of the validator.
 *
 * validate.c checks the module-level rules (types, imports, limits,
 * globals, segments, exports, start) and computes C.refs, the functions
 * that may be named by `ref.func` inside bodies; validate_code.c checks
 * the function bodies with the spec's operand/control-stack algorithm. */
#ifndef KILN_VALIDATE_H
#define KILN_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "module.h"

/* Validates every defined function body and fills the annotations that
 * lowering reads (locals, else/end indices, max stack and control depth).
 * `declared` is a bitset over the function index space: bit f set when
 * function f is in C.refs. */
bool module_validate_code(kiln_module *m, const uint8_t *declared, kiln_error *err);

/* True if bit `i` of a bitset is set. */
static inline bool bitset_has(const uint8_t *bits, uint32_t i) {
    return (bits[i >> 3] >> (i & 7)) & 1;
}

#endif
