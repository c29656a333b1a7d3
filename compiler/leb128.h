/* leb128.h - LEB128 readers and a writer, exactly as strict as the spec.
 *
 * An N-bit integer takes at most ceil(N/7) bytes.  In the last allowed
 * byte the bits beyond N must be a zero extension (unsigned) or a sign
 * extension of bit N-1 (signed); otherwise the encoding is "integer too
 * large".  A continuation bit on the last allowed byte is "integer
 * representation too long".  The order of the two checks follows the
 * reference interpreter (unused bits first), so both stay distinguishable
 * for the spec suite's binary-leb128.wast.
 *
 * On failure *pp is left at the offending byte (or at `end`), so the
 * caller can report its offset. */
#ifndef KILN_LEB128_H
#define KILN_LEB128_H

#include <stddef.h>
#include <stdint.h>

typedef enum leb_status {
    LEB_OK = 0,
    LEB_END,      /* ran into `end` before the last byte */
    LEB_TOO_LONG, /* continuation bit on the last allowed byte */
    LEB_TOO_LARGE /* unused bits of the last byte are not an extension */
} leb_status;

static inline leb_status leb_read_unsigned(const uint8_t **pp, const uint8_t *end, unsigned bits,
                                           uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t result = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (p == end) {
            *pp = p;
            return LEB_END;
        }
        uint8_t b = *p;
        unsigned left = bits - shift; /* value bits this byte may still carry */
        if (left < 7) {
            if ((b & 0x7f) >> left) {
                *pp = p;
                return LEB_TOO_LARGE;
            }
            if (b & 0x80) {
                *pp = p;
                return LEB_TOO_LONG;
            }
        }
        result |= (uint64_t)(b & 0x7f) << shift;
        p++;
        if (!(b & 0x80)) {
            *pp = p;
            *out = result;
            return LEB_OK;
        }
    }
}

static inline leb_status leb_read_signed(const uint8_t **pp, const uint8_t *end, unsigned bits,
                                         int64_t *out) {
    const uint8_t *p = *pp;
    uint64_t result = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (p == end) {
            *pp = p;
            return LEB_END;
        }
        uint8_t b = *p;
        unsigned left = bits - shift;
        if (left < 7) {
            /* bits left-1 .. 6 must all equal the value's sign bit */
            uint8_t mask = (uint8_t)((0x7fu << (left - 1)) & 0x7fu);
            uint8_t got = b & mask;
            if (got != 0 && got != mask) {
                *pp = p;
                return LEB_TOO_LARGE;
            }
            if (b & 0x80) {
                *pp = p;
                return LEB_TOO_LONG;
            }
        }
        result |= (uint64_t)(b & 0x7f) << shift;
        p++;
        if (!(b & 0x80)) {
            unsigned used = shift + 7;
            if (used < 64 && (b & 0x40)) result |= ~(uint64_t)0 << used;
            *pp = p;
            *out = (int64_t)result;
            return LEB_OK;
        }
    }
}

static inline leb_status leb_read_u32(const uint8_t **pp, const uint8_t *end, uint32_t *out) {
    const uint8_t *p = *pp;
    if (p < end && *p < 0x80) { /* most immediates fit in one byte */
        *out = *p;
        *pp = p + 1;
        return LEB_OK;
    }
    uint64_t v = 0;
    leb_status s = leb_read_unsigned(pp, end, 32, &v);
    *out = (uint32_t)v;
    return s;
}

static inline leb_status leb_read_u64(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    return leb_read_unsigned(pp, end, 64, out);
}

static inline leb_status leb_read_s32(const uint8_t **pp, const uint8_t *end, int32_t *out) {
    int64_t v = 0;
    leb_status s = leb_read_signed(pp, end, 32, &v);
    *out = (int32_t)v;
    return s;
}

/* Block types are s33 so that a type index can use all 32 bits. */
static inline leb_status leb_read_s33(const uint8_t **pp, const uint8_t *end, int64_t *out) {
    return leb_read_signed(pp, end, 33, out);
}

static inline leb_status leb_read_s64(const uint8_t **pp, const uint8_t *end, int64_t *out) {
    return leb_read_signed(pp, end, 64, out);
}

/* Writes the shortest encoding of v to out (at least 5 bytes of room);
 * returns the number of bytes written. */
static inline size_t leb_write_u32(uint8_t *out, uint32_t v) {
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
    } while (v);
    return n;
}

static inline size_t leb_size_u32(uint32_t v) {
    size_t n = 1;
    while (v >>= 7) n++;
    return n;
}

#endif
