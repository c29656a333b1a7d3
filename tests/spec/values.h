/* values.h - spec-script values (wast2json's JSON form) <-> kiln_val slots.
 *
 * wast2json writes every number as the unsigned decimal of its bit
 * pattern ("4294967295" is i32 -1, f32 values are their bits), v128 as
 * an array of lanes with a `lane_type`, references as "null" or a host
 * reference number, and expected floats may be "nan:canonical" or
 * "nan:arithmetic", which are checked bitwise.
 *
 * The 3.0 suite's JSON adds result patterns: a null of any reference type
 * (any null matches, as in the reference interpreter), `refnull`, a
 * reference type without "value" (any non-null reference of it),
 * `hostref` (a host object seen as anyref) and `either` (any alternative
 * matches: relaxed SIMD, NaN choices).  Patterns kiln has nothing to
 * compare with (non-null GC and exception references) are reported by
 * value_unsupported, so that the runner fails them with a reason. */
#ifndef KILN_SPEC_VALUES_H
#define KILN_SPEC_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "kiln_abi.h"

/* Parses an argument into `out`; false (with `msg`) if it cannot. */
bool value_parse(const json_value *v, kiln_val *out, char *msg, size_t msg_size);

/* Why the expected value `v` cannot be checked against a kiln_val, or
 * NULL if it can (then value_matches decides). */
const char *value_unsupported(const json_value *v);

/* True if `got` matches the expected value `v`. */
bool value_matches(const json_value *v, const kiln_val *got);

/* The expected value `v` as text (for failure messages). */
void value_describe(const json_value *v, char *out, size_t size);

/* Formats a slot as the type `v` describes (for failure messages). */
void value_format(const json_value *v, const kiln_val *slot, char *out, size_t size);

/* The host reference a script's `ref.extern N` stands for (never NULL). */
void *value_extern_ref(unsigned long long n);

#endif
