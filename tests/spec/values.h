/* values.h - spec-script values (wast2json's JSON form) <-> kiln_val slots.
 *
 * wast2json writes every number as the unsigned decimal of its bit
 * pattern ("4294967295" is i32 -1, f32 values are their bits), v128 as
 * an array of lanes with a `lane_type`, references as "null" or a host
 * reference number, and expected floats may be "nan:canonical" or
 * "nan:arithmetic", which are checked bitwise. */
#ifndef KILN_SPEC_VALUES_H
#define KILN_SPEC_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "kiln_abi.h"

/* Parses an argument into `out`; false (with `msg`) if it cannot. */
bool value_parse(const json_value *v, kiln_val *out, char *msg, size_t msg_size);

/* True if `got` matches the expected value `v`. */
bool value_matches(const json_value *v, const kiln_val *got);

/* Formats a slot as the type `v` describes (for failure messages). */
void value_format(const json_value *v, const kiln_val *slot, char *out, size_t size);

/* The host reference a script's `ref.extern N` stands for (never NULL). */
void *value_extern_ref(unsigned long long n);

#endif
