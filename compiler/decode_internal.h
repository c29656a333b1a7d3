/* decode_internal.h - the byte reader shared by decode.c (sections) and
 * decode_code.c (instructions and constant expressions).  Private to the
 * decoder: nothing outside those two files includes it. */
#ifndef KILN_DECODE_INTERNAL_H
#define KILN_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leb128.h"
#include "module.h"

/* Every read is bounded by `end`: the end of the current section, function
 * body or name subsection; never the end of the file unless we are between
 * sections.  Nothing past `end` is ever looked at. */
typedef struct decoder {
    const uint8_t *base;        /* first byte of the module (offsets are from here) */
    const uint8_t *p;           /* next byte to read */
    const uint8_t *end;         /* end of what may be read now */
    const uint8_t *section_end; /* end of the current section */
    const uint8_t *file_end;
    bool in_section;
    kiln_module *m;
    kiln_error *err;
    uint32_t func_index; /* function whose body is being read, or KILN_NO_FUNC */
    /* Scratch instruction buffer, reused by every body: instructions are
     * decoded here and copied to the arena once per body. */
    kiln_insn *scratch;
    size_t scratch_cap;
    /* opcode_lookup() for every unprefixed byte, copied once per module so
     * the per-instruction path is one array index. */
    uint16_t plain_ops[256];
    uint32_t customs_cap; /* capacity of m->customs */
    uint32_t catches_cap; /* capacity of m->catches */
} decoder;

/* The opcode prefixes; the rest of the encoding comes from opcodes.def. */
enum { PREFIX_MISC = 0xFC, PREFIX_SIMD = 0xFD, PREFIX_THREADS = 0xFE };

bool decode_fail(decoder *d, const uint8_t *at, const char *msg);
/* decode_proposals.c: the feature a byte kiln cannot decode belongs to
 * ("... is not supported yet"), or NULL for plain malformed input. */
const char *proposal_opcode(uint8_t byte);
const char *proposal_valtype(uint8_t byte);
const char *proposal_type_form(uint8_t form);
const char *proposal_section(uint8_t id);
const char *proposal_limits_flags(uint64_t flags);
const char *proposal_version(const uint8_t *version);
/* The message for a prefixed instruction of a proposal kiln lacks (0xfb
 * GC, 0xfc 0x13..0x16 wide arithmetic), naming it; false if it is none. */
bool proposal_prefixed_opcode(uint8_t prefix, uint32_t code, char *out, size_t cap);
/* decode_proposals.c: the KILN_FEATURE_* bit an instruction needs, or 0
 * for WebAssembly 2.0 ones. */
uint32_t opcode_feature(kiln_opcode op);
bool decode_fail_end(decoder *d);
bool decode_fail_nomem(decoder *d);
bool decode_fail_leb(decoder *d, leb_status s);
/* An implementation limit (impl_limits.h) exceeded by the item at `at`. */
bool decode_fail_limit(decoder *d, const uint8_t *at, uint64_t count, const char *what,
                       uint64_t limit);

static inline size_t decode_left(const decoder *d) { return (size_t)(d->end - d->p); }

static inline uint32_t decode_offset(const decoder *d, const uint8_t *at) {
    return (uint32_t)(at - d->base);
}

static inline bool decode_byte(decoder *d, uint8_t *out) {
    if (d->p >= d->end) return decode_fail_end(d);
    *out = *d->p++;
    return true;
}

static inline bool decode_u32(decoder *d, uint32_t *out) {
    leb_status s = leb_read_u32(&d->p, d->end, out);
    return s == LEB_OK || decode_fail_leb(d, s);
}

bool decode_u64(decoder *d, uint64_t *out);
bool decode_s32_slow(decoder *d, int32_t *out);
bool decode_s64_slow(decoder *d, int64_t *out);

/* One-byte constants are the common case: bit 6 is the sign. */
static inline bool decode_s32(decoder *d, int32_t *out) {
    if (d->p < d->end && *d->p < 0x80) {
        *out = (int32_t)(*d->p++ ^ 0x40) - 0x40;
        return true;
    }
    return decode_s32_slow(d, out);
}

static inline bool decode_s64(decoder *d, int64_t *out) {
    if (d->p < d->end && *d->p < 0x80) {
        *out = (int64_t)(*d->p++ ^ 0x40) - 0x40;
        return true;
    }
    return decode_s64_slow(d, out);
}

bool decode_s33(decoder *d, int64_t *out);

/* A vector count, checked against the bytes left before anything is
 * allocated (each element takes at least one byte). */
bool decode_count(decoder *d, uint32_t *out);
/* The same, with at most `limit` items of a kind, `imported` of them by
 * imports (impl_limits.h); more is an implementation limit error. */
bool decode_count_limited(decoder *d, uint32_t *out, uint32_t imported, uint32_t limit,
                          const char *what);

bool valtype_is_known(uint8_t b);
bool decode_exnref_allowed(const decoder *d, uint8_t b);
bool decode_valtype(decoder *d, uint8_t *out);
bool decode_reftype(decoder *d, uint8_t *out);
/* Typed function references: b starts a reference type (0x63, 0x64 or a
 * shorthand) and the feature is on; ref.null's heap type immediate. */
bool decode_typed_ref_byte(const decoder *d, uint8_t b);
bool decode_heaptype_null(decoder *d, uint8_t *out);

/* decode_code.c */
bool decode_expr(decoder *d, kiln_expr *out);
bool decode_body(decoder *d, kiln_func *f);

#endif
