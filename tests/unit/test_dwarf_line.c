/* test_dwarf_line.c - compiler/dwarf_line.c: DWARF 4 and 5 line programs
 * written byte by byte here, what they map each address to, and
 * malformed inputs (every truncation, every byte overwritten, lying
 * lengths, unsupported formats), which must fail with an offset inside
 * the section and never crash. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "dwarf_line.h"

typedef struct buf {
    uint8_t b[512];
    size_t n;
} buf;

static void put(buf *o, const void *p, size_t n) {
    memcpy(o->b + o->n, p, n);
    o->n += n;
}
static void u8(buf *o, unsigned v) { o->b[o->n++] = (uint8_t)v; }
static void u16(buf *o, unsigned v) { u8(o, v & 0xff), u8(o, v >> 8); }
static void u32(buf *o, uint32_t v) { u16(o, v & 0xffff), u16(o, v >> 16); }
static void str(buf *o, const char *s) { put(o, s, strlen(s) + 1); }
static void patch32(buf *o, size_t at, uint32_t v) {
    for (int i = 0; i < 4; i++) o->b[at + i] = (uint8_t)(v >> (8 * i));
}

static const uint8_t std_lengths[12] = {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1};

/* min_inst 1, max_ops 1 (v4+), is_stmt 1, line_base -5, line_range 14,
 * opcode_base 13, then the standard opcode lengths. */
static void params(buf *o, unsigned version) {
    u8(o, 1);
    if (version >= 4) u8(o, 1);
    u8(o, 1), u8(o, (uint8_t)-5), u8(o, 14), u8(o, 13);
    put(o, std_lengths, sizeof std_lengths);
}

/* set_address 0x10; copy (a.c:1); line +4, column 7, special opcode
 * (+2 bytes, +1 line: a.c:6 at 0x12); file 2, pc +3, copy (b.h:6 at
 * 0x15); pc +4, end_sequence (0x19). */
static void program_a(buf *o, uint32_t start) {
    u8(o, 0), u8(o, 5), u8(o, 2), u32(o, start);
    u8(o, 1);
    u8(o, 3), u8(o, 4);
    u8(o, 5), u8(o, 7);
    u8(o, 13 + (1 + 5) + 14 * 2);
    u8(o, 4), u8(o, 2);
    u8(o, 2), u8(o, 3);
    u8(o, 1);
    u8(o, 2), u8(o, 4);
    u8(o, 0), u8(o, 1), u8(o, 1);
}

/* A DWARF 4 unit: directories "inc"; files a.c (dir 0), b.h (dir 1). */
static void unit_v4(buf *o, uint32_t start) {
    size_t len_at = o->n;
    u32(o, 0);
    u16(o, 4);
    size_t hlen_at = o->n;
    u32(o, 0);
    params(o, 4);
    str(o, "inc"), u8(o, 0);
    str(o, "a.c"), u8(o, 0), u8(o, 0), u8(o, 0);
    str(o, "b.h"), u8(o, 1), u8(o, 0), u8(o, 0);
    u8(o, 0);
    patch32(o, hlen_at, (uint32_t)(o->n - hlen_at - 4));
    program_a(o, start);
    patch32(o, len_at, (uint32_t)(o->n - len_at - 4));
}

/* .debug_line_str of unit_v5: the compile directory at 0. */
static const uint8_t line_str[] = "/src\0";

/* A DWARF 5 unit: directory 0 "/src" (line_strp); files m.c (string,
 * dir 0) as file 0; rows at 0x40 (m.c:10) to 0x42. */
static void unit_v5(buf *o) {
    size_t len_at = o->n;
    u32(o, 0);
    u16(o, 5);
    u8(o, 4), u8(o, 0); /* address size, segment selector size */
    size_t hlen_at = o->n;
    u32(o, 0);
    params(o, 5);
    u8(o, 1), u8(o, 1), u8(o, 0x1f); /* directories: path as line_strp */
    u8(o, 1), u32(o, 0);
    u8(o, 2), u8(o, 1), u8(o, 0x08), u8(o, 2), u8(o, 0x0f); /* files: path string, dir udata */
    u8(o, 1), str(o, "m.c"), u8(o, 0);
    patch32(o, hlen_at, (uint32_t)(o->n - hlen_at - 4));
    u8(o, 0), u8(o, 5), u8(o, 2), u32(o, 0x40);
    u8(o, 4), u8(o, 0); /* file 0 */
    u8(o, 3), u8(o, 9);
    u8(o, 1);
    u8(o, 2), u8(o, 2);
    u8(o, 0), u8(o, 1), u8(o, 1);
    patch32(o, len_at, (uint32_t)(o->n - len_at - 4));
}

static bool parse(const buf *o, dwarf_lines *l, kiln_error *err) {
    dwarf_sections s = {o->b, line_str, NULL, o->n, sizeof line_str, 0, 0x1000};
    error_clear(err);
    return dwarf_lines_parse(&s, l, err);
}

static void expect_row(const dwarf_lines *l, uint64_t addr, const char *dir, const char *name,
                       uint32_t line, uint16_t column) {
    const dwarf_row *r = dwarf_lines_find(l, addr);
    cr_assert(r, "no row at 0x%llx", (unsigned long long)addr);
    cr_expect_str_eq(l->files[r->file].dir, dir);
    cr_expect_str_eq(l->files[r->file].name, name);
    cr_expect_eq(r->line, line, "line at 0x%llx", (unsigned long long)addr);
    cr_expect_eq(r->column, column);
}

Test(dwarf_line, v4_rows_and_files) {
    buf o = {0};
    unit_v4(&o, 0x10);
    dwarf_lines l;
    kiln_error err;
    cr_assert(parse(&o, &l, &err), "%s", err.message);
    cr_expect_eq(l.num_files, 2);
    expect_row(&l, 0x10, "", "a.c", 1, 0);
    expect_row(&l, 0x11, "", "a.c", 1, 0);
    expect_row(&l, 0x12, "", "a.c", 6, 7);
    expect_row(&l, 0x15, "inc", "b.h", 6, 7);
    expect_row(&l, 0x18, "inc", "b.h", 6, 7);
    cr_expect_null(dwarf_lines_find(&l, 0x19), "the sequence ends at 0x19");
    cr_expect_null(dwarf_lines_find(&l, 0x0f));
    cr_expect_null(dwarf_lines_find(&l, 0x500));
    dwarf_lines_free(&l);
}

Test(dwarf_line, v5_directory_zero_and_line_strp) {
    buf o = {0};
    unit_v5(&o);
    dwarf_lines l;
    kiln_error err;
    cr_assert(parse(&o, &l, &err), "%s", err.message);
    expect_row(&l, 0x41, "/src", "m.c", 10, 0);
    cr_expect_null(dwarf_lines_find(&l, 0x42));
    dwarf_lines_free(&l);
}

/* Units in any order give one table sorted by address. */
Test(dwarf_line, several_units_sorted) {
    buf o = {0};
    unit_v5(&o);
    unit_v4(&o, 0x10);
    unit_v4(&o, 0x80);
    dwarf_lines l;
    kiln_error err;
    cr_assert(parse(&o, &l, &err), "%s", err.message);
    for (size_t i = 1; i < l.num_rows; i++) cr_assert_leq(l.rows[i - 1].addr, l.rows[i].addr);
    expect_row(&l, 0x12, "", "a.c", 6, 7);
    expect_row(&l, 0x41, "/src", "m.c", 10, 0);
    expect_row(&l, 0x85, "inc", "b.h", 6, 7);
    cr_expect_eq(l.num_files, 5);
    dwarf_lines_free(&l);
}

/* wasm-ld leaves discarded functions at 0xffffffff (or 0): their
 * sequences are dropped, the others kept. */
Test(dwarf_line, tombstone_sequences_dropped) {
    buf o = {0};
    unit_v4(&o, 0xffffffffu);
    unit_v4(&o, 0);
    unit_v4(&o, 0x20);
    dwarf_lines l;
    kiln_error err;
    cr_assert(parse(&o, &l, &err), "%s", err.message);
    cr_expect_eq(l.num_rows, 4, "only the sequence at 0x20: %zu rows", l.num_rows);
    expect_row(&l, 0x20, "", "a.c", 1, 0);
    cr_expect_null(dwarf_lines_find(&l, 0x10));
    dwarf_lines_free(&l);
}

Test(dwarf_line, empty_section) {
    buf o = {0};
    dwarf_lines l;
    kiln_error err;
    cr_assert(parse(&o, &l, &err));
    cr_expect_eq(l.num_rows, 0);
    cr_expect_null(dwarf_lines_find(&l, 0));
    dwarf_lines_free(&l);
}

static void expect_malformed(const buf *o, const char *words) {
    dwarf_lines l;
    kiln_error err;
    cr_assert_not(parse(o, &l, &err), "accepted, expected '%s'", words);
    cr_expect(strstr(err.message, words), "message '%s', expected '%s'", err.message, words);
    cr_expect_leq(err.offset, o->n);
    dwarf_lines_free(&l);
}

Test(dwarf_line, dwarf64_refused) {
    buf o = {0};
    u32(&o, 0xffffffffu);
    for (int i = 0; i < 16; i++) u8(&o, 0);
    expect_malformed(&o, "64-bit DWARF format is not supported");
}

Test(dwarf_line, bad_version_refused) {
    buf o = {0};
    unit_v4(&o, 0x10);
    o.b[4] = 6;
    expect_malformed(&o, "unsupported version");
}

Test(dwarf_line, zero_line_range_refused) {
    buf o = {0};
    unit_v4(&o, 0x10);
    o.b[4 + 2 + 4 + 4] = 0; /* line_range */
    expect_malformed(&o, "line_range");
}

Test(dwarf_line, file_index_out_of_range) {
    buf o = {0};
    unit_v4(&o, 0x10);
    size_t set_file = o.n - 10; /* program_a's `04 02` */
    cr_assert_eq(o.b[set_file], 4);
    o.b[set_file + 1] = 9;
    expect_malformed(&o, "file index out of range");
}

Test(dwarf_line, lying_unit_length) {
    buf o = {0};
    unit_v4(&o, 0x10);
    patch32(&o, 0, 0x7ffffff0u);
    expect_malformed(&o, "unit length out of bounds");
}

Test(dwarf_line, lying_header_length) {
    buf o = {0};
    unit_v4(&o, 0x10);
    patch32(&o, 6, 0x100000u);
    expect_malformed(&o, "header length out of bounds");
}

/* Every prefix of a valid section: the unit's length then lies. */
Test(dwarf_line, every_truncation_fails_cleanly) {
    buf full = {0};
    unit_v5(&full);
    unit_v4(&full, 0x10);
    for (size_t n = 1; n < full.n; n++) {
        buf o = full;
        o.n = n;
        dwarf_lines l;
        kiln_error err;
        bool ok = parse(&o, &l, &err);
        if (!ok) {
            cr_assert_neq(err.message[0], 0);
            cr_assert_leq(err.offset, n);
        }
        dwarf_lines_free(&l);
    }
}

/* Truncated inside the unit with the length made consistent: the
 * header or the program runs out instead. */
Test(dwarf_line, every_truncated_unit_fails_cleanly) {
    buf full = {0};
    unit_v4(&full, 0x10);
    for (size_t n = 4; n < full.n; n++) {
        buf o = full;
        o.n = n;
        patch32(&o, 0, (uint32_t)(n - 4));
        dwarf_lines l;
        kiln_error err;
        if (!parse(&o, &l, &err)) cr_assert_leq(err.offset, n);
        else cr_assert_eq(l.num_rows, 0, "an unended sequence is dropped (n=%zu)", n);
        dwarf_lines_free(&l);
    }
}

/* Every byte overwritten with values that break lengths, LEB128s and
 * indices: whatever the outcome, no crash and a sane error. */
Test(dwarf_line, every_byte_overwritten) {
    static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    buf full = {0};
    unit_v5(&full);
    unit_v4(&full, 0x10);
    for (size_t i = 0; i < full.n; i++) {
        for (size_t k = 0; k < sizeof values; k++) {
            buf o = full;
            o.b[i] = values[k];
            dwarf_lines l;
            kiln_error err;
            if (!parse(&o, &l, &err)) {
                cr_assert_neq(err.message[0], 0);
                cr_assert_leq(err.offset, o.n);
            }
            for (size_t r = 0; r < l.num_rows; r++) cr_assert_lt(l.rows[r].file, l.num_files);
            dwarf_lines_free(&l);
        }
    }
}

/* Through a decoded module: the error's offset is in the module. */
Test(dwarf_line, module_offsets) {
    buf w = {0};
    static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    put(&w, header, 8);
    u8(&w, 0), u8(&w, 1 + 11 + 3), u8(&w, 11), put(&w, ".debug_line", 11);
    u8(&w, 1), u8(&w, 2), u8(&w, 3); /* a unit length cut short */
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {0};
    kiln_module *m = module_decode(w.b, w.n, &dopts, &err);
    cr_assert(m, "%s", err.message);
    dwarf_lines l;
    cr_assert_not(dwarf_lines_from_module(m, &l, &err));
    cr_expect_eq(err.kind, KILN_ERR_MALFORMED);
    cr_expect_eq(err.offset, 8 + 2 + 1 + 11, "offset 0x%llx", (unsigned long long)err.offset);
    dwarf_lines_free(&l);
    module_free(m);

    buf none = {0};
    put(&none, header, 8);
    m = module_decode(none.b, none.n, &dopts, &err);
    cr_assert(m);
    cr_assert_not(dwarf_lines_from_module(m, &l, &err));
    cr_expect_eq(err.kind, KILN_OK, "no .debug_line is no error");
    module_free(m);
}
