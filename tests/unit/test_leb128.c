/* test_leb128.c - compiler/leb128.h: every length, overlong encodings,
 * the extremes, and the unused bits of the last byte.
 *
 * The oracle is a plain encoder written here (not the one in leb128.h),
 * plus hand-written byte strings from the spec's binary-leb128 rules. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "leb128.h"

/* Encodes v in exactly `len` bytes (padding with continuation bytes). */
static size_t enc_unsigned(uint8_t *out, uint64_t v, size_t len) {
    for (size_t i = 0; i < len; i++) {
        out[i] = (uint8_t)((v >> (7 * i)) & 0x7f);
        if (7 * i >= 64) out[i] = 0;
        if (i + 1 < len) out[i] |= 0x80;
    }
    return len;
}

static size_t enc_signed(uint8_t *out, int64_t v, size_t len) {
    for (size_t i = 0; i < len; i++) {
        unsigned shift = 7 * (unsigned)i;
        int64_t part = shift < 64 ? (v >> shift) : (v < 0 ? -1 : 0);
        out[i] = (uint8_t)(part & 0x7f);
        if (i + 1 < len) out[i] |= 0x80;
    }
    return len;
}

static size_t min_len_unsigned(uint64_t v) {
    size_t n = 1;
    while (v >>= 7) n++;
    return n;
}

static size_t min_len_signed(int64_t v) {
    size_t n = 1;
    while (!(v >= -64 && v < 64)) {
        v >>= 7;
        n++;
    }
    return n;
}

static leb_status read_u32(const uint8_t *b, size_t n, uint32_t *v, size_t *used) {
    const uint8_t *p = b;
    leb_status s = leb_read_u32(&p, b + n, v);
    *used = (size_t)(p - b);
    return s;
}

static const uint32_t u32_samples[] = {0,          1,          63,         64,         127,
                                       128,        255,        16383,      16384,      2097151,
                                       2097152,    268435455,  268435456,  0x7fffffff, 0x80000000,
                                       0xfffffffe, 0xffffffff};

Test(leb128, u32_decodes_minimal_and_padded_encodings_of_every_length) {
    for (size_t i = 0; i < sizeof u32_samples / sizeof *u32_samples; i++) {
        uint32_t want = u32_samples[i];
        for (size_t len = min_len_unsigned(want); len <= 5; len++) {
            uint8_t b[8];
            enc_unsigned(b, want, len);
            uint32_t got = 0;
            size_t used;
            cr_assert_eq(read_u32(b, len, &got, &used), LEB_OK, "%u in %zu bytes", want, len);
            cr_assert_eq(got, want);
            cr_assert_eq(used, len);
        }
    }
}

Test(leb128, u32_six_bytes_is_too_long_at_the_fifth_byte) {
    const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    uint32_t v;
    size_t used;
    cr_assert_eq(read_u32(b, sizeof b, &v, &used), LEB_TOO_LONG);
    cr_assert_eq(used, 4, "pointer left at the offending (fifth) byte");
}

Test(leb128, u32_fifth_byte_unused_bits_must_be_zero) {
    for (unsigned last = 0; last < 0x80; last++) {
        const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, (uint8_t)last};
        uint32_t v;
        size_t used;
        leb_status s = read_u32(b, sizeof b, &v, &used);
        if (last < 0x10) {
            cr_assert_eq(s, LEB_OK, "last byte 0x%02x", last);
            cr_assert_eq(v, 0x0fffffffu | ((uint32_t)last << 28));
        } else {
            cr_assert_eq(s, LEB_TOO_LARGE, "last byte 0x%02x", last);
        }
    }
}

Test(leb128, u32_unused_bits_are_checked_before_the_continuation_bit) {
    const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x90, 0x00};
    uint32_t v;
    size_t used;
    cr_assert_eq(read_u32(b, sizeof b, &v, &used), LEB_TOO_LARGE);
}

Test(leb128, truncated_encodings_report_end_at_the_limit) {
    uint8_t b[5];
    enc_unsigned(b, 0xffffffff, 5);
    for (size_t cut = 0; cut < 5; cut++) {
        uint32_t v;
        size_t used;
        cr_assert_eq(read_u32(b, cut, &v, &used), LEB_END, "cut at %zu", cut);
        cr_assert_eq(used, cut);
    }
}

Test(leb128, s32_round_trips_every_length_and_sign) {
    const int32_t samples[] = {0, 1, -1, 63, -64, 64, -65, 8191, -8192, INT32_MAX, INT32_MIN,
                               123456789, -123456789};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        for (size_t len = min_len_signed(samples[i]); len <= 5; len++) {
            uint8_t b[8];
            enc_signed(b, samples[i], len);
            const uint8_t *p = b;
            int32_t got = 0;
            cr_assert_eq(leb_read_s32(&p, b + len, &got), LEB_OK, "%d in %zu", samples[i], len);
            cr_assert_eq(got, samples[i]);
            cr_assert_eq(p, b + len);
        }
    }
}

Test(leb128, s32_fifth_byte_must_sign_extend_bit_31) {
    for (unsigned last = 0; last < 0x80; last++) {
        const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, (uint8_t)last};
        const uint8_t *p = b;
        int32_t v;
        leb_status s = leb_read_s32(&p, b + 5, &v);
        unsigned high = last & 0x78; /* bit 3 is value bit 31, bits 4-6 unused */
        bool ok = high == 0 || high == 0x78;
        cr_assert_eq(s, ok ? LEB_OK : LEB_TOO_LARGE, "last byte 0x%02x", last);
    }
}

Test(leb128, s32_extremes_in_five_bytes) {
    const uint8_t min[] = {0x80, 0x80, 0x80, 0x80, 0x78};
    const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0x07};
    const uint8_t *p = min;
    int32_t v;
    cr_assert_eq(leb_read_s32(&p, min + 5, &v), LEB_OK);
    cr_assert_eq(v, INT32_MIN);
    p = max;
    cr_assert_eq(leb_read_s32(&p, max + 5, &v), LEB_OK);
    cr_assert_eq(v, INT32_MAX);
}

Test(leb128, s64_round_trips_every_length) {
    const int64_t samples[] = {0, -1, 1, INT64_MAX, INT64_MIN, (int64_t)1 << 40, -((int64_t)1 << 40),
                               0x123456789abcdefLL};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        for (size_t len = min_len_signed(samples[i]); len <= 10; len++) {
            uint8_t b[12];
            enc_signed(b, samples[i], len);
            const uint8_t *p = b;
            int64_t got = 0;
            cr_assert_eq(leb_read_s64(&p, b + len, &got), LEB_OK, "sample %zu in %zu", i, len);
            cr_assert_eq(got, samples[i]);
        }
    }
}

Test(leb128, s64_tenth_byte_is_all_sign_or_too_large) {
    for (unsigned last = 0; last < 0x80; last++) {
        uint8_t b[10];
        enc_signed(b, 0, 10);
        b[9] = (uint8_t)last;
        const uint8_t *p = b;
        int64_t v;
        leb_status s = leb_read_s64(&p, b + 10, &v);
        cr_assert_eq(s, (last == 0 || last == 0x7f) ? LEB_OK : LEB_TOO_LARGE, "0x%02x", last);
    }
    uint8_t eleven[11];
    enc_signed(eleven, -1, 11);
    const uint8_t *p = eleven;
    int64_t v;
    cr_assert_eq(leb_read_s64(&p, eleven + 11, &v), LEB_TOO_LONG);
}

Test(leb128, s33_block_type_bounds) {
    /* s33: value bits 0-32; the fifth byte's bits 5-6 extend bit 4 */
    uint8_t b[5];
    enc_signed(b, 0xffffffffLL, 5); /* largest type index */
    const uint8_t *p = b;
    int64_t v;
    cr_assert_eq(leb_read_s33(&p, b + 5, &v), LEB_OK);
    cr_assert_eq(v, 0xffffffffLL);
    enc_signed(b, -((int64_t)1 << 32), 5);
    p = b;
    cr_assert_eq(leb_read_s33(&p, b + 5, &v), LEB_OK);
    cr_assert_eq(v, -((int64_t)1 << 32));
    b[4] = 0x10; /* bit 32 set but not extended */
    p = b;
    cr_assert_eq(leb_read_s33(&p, b + 5, &v), LEB_TOO_LARGE);
}

Test(leb128, u64_tenth_byte_carries_one_bit) {
    uint8_t b[10];
    enc_unsigned(b, UINT64_MAX, 10);
    const uint8_t *p = b;
    uint64_t v;
    cr_assert_eq(leb_read_u64(&p, b + 10, &v), LEB_OK);
    cr_assert_eq(v, UINT64_MAX);
    b[9] = 0x02;
    p = b;
    cr_assert_eq(leb_read_u64(&p, b + 10, &v), LEB_TOO_LARGE);
}

Test(leb128, writer_produces_the_shortest_encoding) {
    for (size_t i = 0; i < sizeof u32_samples / sizeof *u32_samples; i++) {
        uint8_t b[5];
        size_t n = leb_write_u32(b, u32_samples[i]);
        cr_assert_eq(n, min_len_unsigned(u32_samples[i]));
        cr_assert_eq(n, leb_size_u32(u32_samples[i]));
        uint32_t back;
        size_t used;
        cr_assert_eq(read_u32(b, n, &back, &used), LEB_OK);
        cr_assert_eq(back, u32_samples[i]);
    }
}
