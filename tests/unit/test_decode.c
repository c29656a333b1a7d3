/* test_decode.c - compiler/decode.c, decode_code.c and module.c.
 *
 * Well-formed modules are assembled with the small builder below and
 * checked field by field; malformed ones are written out byte by byte, as
 * in the spec suite, with the expected message and the offset of the
 * offending byte.  One test cross-checks every opcode of the table
 * against wabt's wasm-objdump (an independent decoder). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module.h"

/* ---- builder ------------------------------------------------------------- */

typedef struct buf {
    uint8_t d[1 << 17];
    size_t n;
} buf;

static void put(buf *b, uint8_t x) {
    cr_assert_lt(b->n, sizeof b->d, "test buffer overflow");
    b->d[b->n++] = x;
}

static void put_raw(buf *b, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) put(b, ((const uint8_t *)p)[i]);
}

static void put_u32(buf *b, uint64_t v) {
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        put(b, (uint8_t)(x | (v ? 0x80 : 0)));
    } while (v);
}

static void put_s64(buf *b, int64_t v) {
    for (;;) {
        uint8_t x = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40));
        put(b, (uint8_t)(x | (done ? 0 : 0x80)));
        if (done) return;
    }
}

static void put_name(buf *b, const char *s) {
    put_u32(b, strlen(s));
    put_raw(b, s, strlen(s));
}

static void put_header(buf *b) { put_raw(b, "\0asm\1\0\0\0", 8); }

static void put_section(buf *mod, uint8_t id, const buf *content) {
    put(mod, id);
    put_u32(mod, content->n);
    put_raw(mod, content->d, content->n);
}

/* Appends an encoded instruction by opcode, from the table. */
static void put_op(buf *b, kiln_opcode op) {
    const kiln_opcode_info *info = &kiln_opcode_table[op];
    if (info->prefix) {
        put(b, info->prefix);
        put_u32(b, info->code);
    } else {
        put(b, (uint8_t)info->code);
    }
}

static buf *buf_new(void) {
    buf *b = calloc(1, sizeof *b);
    cr_assert_not_null(b);
    return b;
}

/* A module with one type `[] -> []`, one function and the given body
 * (locals vector included). */
static buf *module_with_body(const buf *body, bool with_memory, bool with_data_count) {
    buf *m = buf_new(), *s = buf_new();
    put_header(m);
    put_raw(s, "\x01\x60\x00\x00", 4);
    put_section(m, 1, s);
    s->n = 0;
    put_raw(s, "\x01\x00", 2);
    put_section(m, 3, s);
    if (with_memory) {
        s->n = 0;
        put_raw(s, "\x01\x00\x01", 3);
        put_section(m, 5, s);
    }
    if (with_data_count) {
        s->n = 0;
        put(s, 1);
        put_section(m, 12, s);
    }
    s->n = 0;
    put(s, 1);
    put_u32(s, body->n);
    put_raw(s, body->d, body->n);
    put_section(m, 10, s);
    if (with_data_count) {
        s->n = 0;
        put_raw(s, "\x01\x01\x00", 3); /* one passive, empty segment */
        put_section(m, 11, s);
    }
    free(s);
    return m;
}

/* wabt 1.0.32 spells the relaxed dot products as before the proposal's
 * final renaming (same encodings). */
static const char *objdump_name(const char *text) {
    if (strcmp(text, "i16x8.relaxed_dot_i8x16_i7x16_s") == 0) return "i16x8.dot_i8x16_i7x16_s";
    if (strcmp(text, "i32x4.relaxed_dot_i8x16_i7x16_add_s") == 0) return "i32x4.dot_i8x16_i7x16_add_s";
    return text;
}

/* Decodes with every feature (return_call, relaxed SIMD, ... decode). */
static kiln_module *decode_ok(const buf *b) {
    kiln_error e;
    kiln_decode_options o = {.features = features_all()};
    kiln_module *m = module_decode(b->d, b->n, &o, &e);
    cr_assert_not_null(m, "decode failed at 0x%llx: %s", (unsigned long long)e.offset, e.message);
    cr_assert_eq(e.kind, KILN_OK);
    return m;
}

static void expect_malformed_with(const uint8_t *bytes, size_t n, const kiln_decode_options *o,
                                  const char *msg, uint64_t offset) {
    kiln_error e;
    kiln_module *m = module_decode(bytes, n, o, &e);
    cr_assert_null(m, "expected \"%s\", but the module decoded", msg);
    cr_assert_eq(e.kind, KILN_ERR_MALFORMED, "kind for \"%s\"", msg);
    cr_assert_str_eq(e.message, msg);
    cr_assert_eq(e.offset, offset, "offset of \"%s\": got 0x%llx", msg, (unsigned long long)e.offset);
}

static void expect_malformed(const uint8_t *bytes, size_t n, const char *msg, uint64_t offset) {
    expect_malformed_with(bytes, n, NULL, msg, offset);
}

#define MALFORMED(msg, offset, ...)                                                                \
    do {                                                                                           \
        static const uint8_t bytes_[] = {__VA_ARGS__};                                             \
        expect_malformed(bytes_, sizeof bytes_, msg, offset);                                      \
    } while (0)

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00
#define TYPE_VOID 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 /* type section: [] -> [] */
#define FUNC_ONE 0x03, 0x02, 0x01, 0x00              /* function section: 1 func of type 0 */

/* ---- header and section framing ------------------------------------------ */

Test(decode, empty_module_has_empty_index_spaces) {
    buf *b = buf_new();
    put_header(b);
    kiln_module *m = decode_ok(b);
    cr_assert_eq(m->num_types + m->num_funcs + m->num_tables + m->num_memories + m->num_globals, 0);
    cr_assert_eq(m->num_exports + m->num_elems + m->num_datas + m->num_customs, 0);
    cr_assert(!m->has_start && !m->has_data_count);
    module_free(m);
    free(b);
}

Test(decode, short_headers_are_unexpected_end) {
    expect_malformed(NULL, 0, "unexpected end", 0);
    MALFORMED("unexpected end", 1, 0x01);
    MALFORMED("unexpected end", 3, 0x00, 0x61, 0x73);
    MALFORMED("unexpected end", 7, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00);
}

Test(decode, wrong_magic_and_version) {
    MALFORMED("magic header not detected", 0, 0x00, 0x41, 0x53, 0x4d, 0x01, 0x00, 0x00, 0x00);
    MALFORMED("magic header not detected", 0, 0xef, 0xbb, 0xbf, 0x00, 0x61, 0x73, 0x6d, 0x01);
    MALFORMED("unknown binary version", 4, 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x00, 0x00);
    MALFORMED("unknown binary version", 4, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x01);
}

Test(decode, section_ids_above_12_are_malformed) {
    MALFORMED("malformed section id", 8, HDR, 0x0e, 0x00);
    MALFORMED("malformed section id", 8, HDR, 0x7f, 0x00);
}

Test(decode, section_size_beyond_the_file_is_length_out_of_bounds) {
    MALFORMED("length out of bounds", 9, HDR, 0x00, 0x05, 0x01, 0x61);
    MALFORMED("length out of bounds", 9, HDR, 0x01, 0x07, 0x02, 0x60, 0x00, 0x00);
}

Test(decode, sections_out_of_order_or_repeated) {
    MALFORMED("unexpected content after last section", 14, HDR, TYPE_VOID, 0x01, 0x01, 0x00);
    MALFORMED("unexpected content after last section", 12, HDR, FUNC_ONE, TYPE_VOID);
    /* data count must come before code */
    MALFORMED("unexpected content after last section", 17, HDR, TYPE_VOID, 0x0a, 0x01, 0x00, 0x0c,
              0x01, 0x00);
}

Test(decode, custom_sections_may_appear_anywhere) {
    static const uint8_t bytes[] = {HDR, 0x00, 0x02, 0x01, 'a', TYPE_VOID, 0x00, 0x03, 0x01, 'b', 'x'};
    kiln_error e;
    kiln_module *m = module_decode(bytes, sizeof bytes, NULL, &e);
    cr_assert_not_null(m, "%s", e.message);
    cr_assert_eq(m->num_customs, 2);
    cr_assert_str_eq(m->customs[0].name.chars, "a");
    cr_assert_eq(m->customs[0].size, 0);
    cr_assert_str_eq(m->customs[1].name.chars, "b");
    cr_assert_eq(m->customs[1].size, 1);
    cr_assert_eq(m->customs[1].bytes[0], 'x');
    cr_assert_eq(m->customs[1].offset_in_module, 18);
    module_free(m);
}

Test(decode, many_custom_sections_are_all_recorded_in_order) {
    enum { COUNT = 30000 }; /* 4 bytes each: fits the 128 KiB test buffer */
    buf *b = buf_new();
    put_header(b);
    for (int i = 0; i < COUNT; i++) put_raw(b, "\x00\x02\x00", 3), put(b, (uint8_t)i);
    kiln_module *m = decode_ok(b);
    cr_assert_eq(m->num_customs, COUNT);
    for (int i = 0; i < COUNT; i++) {
        cr_assert_eq(m->customs[i].offset_in_module, 8u + 4u * (uint32_t)i);
        cr_assert_eq(m->customs[i].bytes[0], (uint8_t)i);
    }
    module_free(m);
    free(b);
}

Test(decode, section_contents_must_fill_the_section) {
    /* 1 type declared, 2 given */
    MALFORMED("section size mismatch", 14, HDR, 0x01, 0x07, 0x01, 0x60, 0x00, 0x00, 0x60, 0x00,
              0x00);
}

Test(decode, vectors_cut_short_by_the_section_end) {
    MALFORMED("unexpected end of section or function", 10, HDR, 0x04, 0x01, 0x01);
    MALFORMED("unexpected end of section or function", 16, HDR, 0x06, 0x06, 0x02, 0x7f, 0x00, 0x41,
              0x00, 0x0b);
}

/* ---- integers ------------------------------------------------------------ */

Test(decode, overlong_and_oversized_leb128_in_sections) {
    /* function section count with 6 bytes */
    MALFORMED("integer representation too long", 20, HDR, TYPE_VOID, 0x03, 0x07, 0x80, 0x80, 0x80,
              0x80, 0x80, 0x00, 0x00);
    /* type index 2^32 */
    MALFORMED("integer too large", 21, HDR, TYPE_VOID, 0x03, 0x06, 0x01, 0x80, 0x80, 0x80, 0x80,
              0x10);
}

Test(decode, i32_and_i64_constants_check_their_sign_bits) {
    buf *body = buf_new();
    put_raw(body, "\x00\x41\x80\x80\x80\x80\x70\x1a\x0b", 9); /* i32.const with bad 5th byte */
    buf *m = module_with_body(body, false, false);
    expect_malformed(m->d, m->n, "integer too large", m->n - 3);
    free(m);
    body->n = 0;
    put_raw(body, "\x00\x42\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e\x1a\x0b", 14);
    m = module_with_body(body, false, false);
    expect_malformed(m->d, m->n, "integer too large", m->n - 3);
    free(m);
    free(body);
}

/* ---- types, imports, index spaces ---------------------------------------- */

Test(decode, function_types_with_params_and_results) {
    static const uint8_t bytes[] = {HDR, 0x01, 0x0c, 0x02, 0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7b,
                                    0x60, 0x00, 0x02, 0x70, 0x6f};
    kiln_module *m = module_decode(bytes, sizeof bytes, NULL, NULL);
    cr_assert_not_null(m);
    cr_assert_eq(m->num_types, 2);
    cr_assert_eq(m->types[0].num_params, 2);
    cr_assert_eq(m->types[0].params[0], KILN_I32);
    cr_assert_eq(m->types[0].params[1], KILN_I64);
    cr_assert_eq(m->types[0].num_results, 1);
    cr_assert_eq(m->types[0].results[0], KILN_V128);
    cr_assert_eq(m->types[1].num_params, 0);
    cr_assert_eq(m->types[1].results[1], KILN_EXTERNREF);
    module_free(m);
}

Test(decode, bad_type_bytes) {
    MALFORMED("malformed function type", 11, HDR, 0x01, 0x04, 0x01, 0x5d, 0x00, 0x00);
    MALFORMED("integer representation too long", 12, HDR, 0x01, 0x05, 0x01, 0xe0, 0x7f, 0x00, 0x00);
    MALFORMED("malformed value type", 13, HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x7a, 0x00);
}

Test(decode, imports_fill_the_front_of_each_index_space) {
    buf *b = buf_new(), *s = buf_new();
    put_header(b);
    put_raw(s, "\x01\x60\x00\x00", 4);
    put_section(b, 1, s);
    s->n = 0;
    put(s, 5);
    put_name(s, "m"), put_name(s, "f"), put(s, 0), put(s, 0);           /* func 0 */
    put_name(s, "m"), put_name(s, "g"), put(s, 3), put(s, 0x7e), put(s, 1); /* global 0 */
    put_name(s, "m"), put_name(s, "t"), put(s, 1), put(s, 0x6f), put(s, 1), put(s, 2), put(s, 9);
    put_name(s, "m"), put_name(s, "mem"), put(s, 2), put(s, 0), put(s, 1);
    put_name(s, "m"), put_name(s, "h"), put(s, 0), put(s, 0);           /* func 1 */
    put_section(b, 2, s);
    s->n = 0;
    put_raw(s, "\x01\x00", 2); /* one defined function: index 2 */
    put_section(b, 3, s);
    s->n = 0;
    put_raw(s, "\x01\x02\x00\x0b", 4);
    put_section(b, 10, s);
    kiln_module *m = decode_ok(b);
    cr_assert_eq(m->num_imports, 5);
    cr_assert_eq(m->num_funcs, 3);
    cr_assert_eq(m->num_imported_funcs, 2);
    cr_assert(m->funcs[0].imported && m->funcs[1].imported && !m->funcs[2].imported);
    cr_assert_eq(m->funcs[1].import_index, 4);
    cr_assert_eq(m->imports[4].index, 1, "second function import defines function 1");
    cr_assert_eq(m->num_globals, 1);
    cr_assert(m->globals[0].imported && m->globals[0].type.is_mutable);
    cr_assert_eq(m->globals[0].type.valtype, KILN_I64);
    cr_assert_eq(m->num_tables, 1);
    cr_assert_eq(m->tables[0].elem_type, KILN_EXTERNREF);
    cr_assert(m->tables[0].limits.has_max);
    cr_assert_eq(m->tables[0].limits.min, 2);
    cr_assert_eq(m->tables[0].limits.max, 9);
    cr_assert_eq(m->num_memories, 1);
    cr_assert_eq(m->memories[0].limits.min, 1);
    cr_assert_str_eq(m->imports[3].name.chars, "mem");
    module_free(m);
    free(b);
    free(s);
}

Test(decode, bad_import_kind_mutability_and_reference_type) {
    MALFORMED("malformed import kind", 13, HDR, 0x02, 0x04, 0x01, 0x00, 0x00, 0x05);
    MALFORMED("malformed mutability", 15, HDR, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7f, 0x02);
    MALFORMED("malformed reference type", 11, HDR, 0x04, 0x04, 0x01, 0x7f, 0x00, 0x00);
}

Test(decode, names_must_be_utf8) {
    /* import module name: a lone continuation byte, an overlong '/', a surrogate */
    MALFORMED("malformed UTF-8 encoding", 12, HDR, 0x02, 0x06, 0x01, 0x01, 0x80, 0x00, 0x00, 0x00);
    MALFORMED("malformed UTF-8 encoding", 12, HDR, 0x02, 0x07, 0x01, 0x02, 0xc0, 0xaf, 0x00, 0x00,
              0x00);
    MALFORMED("malformed UTF-8 encoding", 12, HDR, 0x02, 0x08, 0x01, 0x03, 0xed, 0xa0, 0x80, 0x00,
              0x00, 0x00);
    MALFORMED("malformed UTF-8 encoding", 11, HDR, 0x00, 0x03, 0x02, 0xf5, 0x80);
}

Test(decode, limits_flags) {
    MALFORMED("integer too large", 11, HDR, 0x05, 0x02, 0x01, 0x10);
    MALFORMED("integer representation too long", 11, HDR, 0x05, 0x05, 0x01, 0x81, 0x00, 0x00, 0x00);
}

/* Flags 5 (i64, with max) then min 1, max 2: accepted with the memory64
 * feature, refused by name without it.  table64 shares the bit. */
static void limits64_check(const uint8_t *bytes, size_t n, bool table, const char *disabled,
                           uint64_t at) {
    kiln_decode_options o = {.features = KILN_FEATURE_MEMORY64};
    kiln_module *m = module_decode(bytes, n, &o, NULL);
    cr_assert_not_null(m);
    const kiln_limits *l = table ? &m->tables[0].limits : &m->memories[0].limits;
    cr_assert(table ? m->tables[0].is64 : m->memories[0].is64);
    cr_assert(l->has_max && l->min == 1 && l->max == 2);
    module_free(m);
    expect_malformed(bytes, n, disabled, at);
}

Test(decode, memory64_limits_need_the_feature) {
    static const uint8_t bytes[] = {HDR, 0x05, 0x04, 0x01, 0x05, 0x01, 0x02};
    limits64_check(bytes, sizeof bytes, false,
                   "64-bit memories need feature 'memory64', which is turned off", 11);
}

Test(decode, table64_limits_need_the_feature) {
    static const uint8_t bytes[] = {HDR, 0x04, 0x05, 0x01, 0x70, 0x05, 0x01, 0x02};
    limits64_check(bytes, sizeof bytes, true,
                   "64-bit tables (table64) need feature 'memory64', which is turned off", 12);
}

/* ---- globals, exports, start --------------------------------------------- */

Test(decode, globals_exports_and_start) {
    static const uint8_t bytes[] = {
        HDR,  TYPE_VOID, FUNC_ONE,
        0x06, 0x0b,      0x02,     0x7f, 0x01, 0x41, 0x7f, 0x0b, 0x7d, 0x00, 0x23, 0x00, 0x0b,
        0x07, 0x0a,      0x02,     0x01, 'f',  0x00, 0x00, 0x02, 'g',  'x',  0x03, 0x01,
        0x08, 0x01,      0x00,
        0x0a, 0x04,      0x01,     0x02, 0x00, 0x0b,
    };
    kiln_error e;
    kiln_module *m = module_decode(bytes, sizeof bytes, NULL, &e);
    cr_assert_not_null(m, "%s", e.message);
    cr_assert_eq(m->num_globals, 2);
    cr_assert(m->globals[0].type.is_mutable);
    cr_assert_eq(m->globals[0].init.count, 2);
    cr_assert_eq(m->globals[0].init.insns[0].op, KILN_OP_I32_CONST);
    cr_assert_eq(m->globals[0].init.insns[0].imm.i32, -1);
    cr_assert_eq(m->globals[0].init.insns[1].op, KILN_OP_END);
    cr_assert_eq(m->globals[1].init.insns[0].op, KILN_OP_GLOBAL_GET);
    cr_assert_eq(m->num_exports, 2);
    cr_assert_str_eq(m->exports[1].name.chars, "gx");
    cr_assert_eq(m->exports[1].kind, KILN_EXTERN_GLOBAL);
    cr_assert_eq(m->exports[1].index, 1);
    cr_assert(m->has_start);
    cr_assert_eq(m->start, 0);
    module_free(m);
}

Test(decode, bad_export_kind) {
    MALFORMED("malformed export kind", 13, HDR, 0x07, 0x05, 0x01, 0x01, 'x', 0x05, 0x00);
}

/* ---- element and data segments ------------------------------------------- */

Test(decode, element_segments_all_eight_encodings) {
    static const uint8_t elem[] = {
        0x08,
        0x00, 0x41, 0x01, 0x0b, 0x01, 0x00,                   /* 0: active t0, funcs */
        0x01, 0x00, 0x02, 0x00, 0x00,                         /* 1: passive, funcs */
        0x02, 0x01, 0x41, 0x02, 0x0b, 0x00, 0x01, 0x00,       /* 2: active t1, funcs */
        0x03, 0x00, 0x01, 0x00,                               /* 3: declarative, funcs */
        0x04, 0x41, 0x03, 0x0b, 0x01, 0xd2, 0x00, 0x0b,       /* 4: active t0, exprs */
        0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b,                   /* 5: passive, externref exprs */
        0x06, 0x01, 0x41, 0x04, 0x0b, 0x70, 0x01, 0xd0, 0x70, 0x0b, /* 6: active t1, exprs */
        0x07, 0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd2, 0x00, 0x0b, /* 7: declarative, exprs */
    };
    buf *b = buf_new(), *s = buf_new();
    put_header(b);
    put_raw(b, (const uint8_t[]){TYPE_VOID, FUNC_ONE}, 10);
    s->n = 0;
    put_raw(s, "\x02\x70\x00\x01\x70\x00\x01", 7);
    put_section(b, 4, s);
    s->n = 0;
    put_raw(s, elem, sizeof elem);
    put_section(b, 9, s);
    put_raw(b, "\x0a\x04\x01\x02\x00\x0b", 6);
    kiln_module *m = decode_ok(b);
    cr_assert_eq(m->num_elems, 8);
    const uint8_t modes[8] = {KILN_SEGMENT_ACTIVE,      KILN_SEGMENT_PASSIVE, KILN_SEGMENT_ACTIVE,
                              KILN_SEGMENT_DECLARATIVE, KILN_SEGMENT_ACTIVE,  KILN_SEGMENT_PASSIVE,
                              KILN_SEGMENT_ACTIVE,      KILN_SEGMENT_DECLARATIVE};
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(m->elems[i].mode, modes[i], "segment %d", i);
        cr_assert_eq(m->elems[i].func_indices == NULL, i >= 4, "segment %d list kind", i);
    }
    cr_assert_eq(m->elems[1].count, 2);
    cr_assert_eq(m->elems[2].table_index, 1);
    cr_assert_eq(m->elems[2].offset.insns[0].imm.i32, 2);
    cr_assert_eq(m->elems[5].elem_type, KILN_EXTERNREF);
    cr_assert_eq(m->elems[5].exprs[0].insns[0].op, KILN_OP_REF_NULL);
    cr_assert_eq(m->elems[6].table_index, 1);
    cr_assert_eq(m->elems[7].count, 2);
    cr_assert_eq(m->elems[7].exprs[1].insns[0].op, KILN_OP_REF_FUNC);
    module_free(m);
    free(b);
    free(s);
}

Test(decode, bad_element_segment_flags_and_kinds) {
    MALFORMED("malformed elements segment kind", 11, HDR, 0x09, 0x02, 0x01, 0x08);
    MALFORMED("malformed element kind", 12, HDR, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00);
    MALFORMED("malformed reference type", 12, HDR, 0x09, 0x04, 0x01, 0x05, 0x7f, 0x00);
    MALFORMED("illegal opcode", 14, HDR, 0x09, 0x06, 0x01, 0x05, 0x70, 0x01, 0xf3, 0x0b);
}

Test(decode, data_segments_all_three_encodings) {
    static const uint8_t bytes[] = {
        HDR,  0x05, 0x03, 0x01, 0x00, 0x01,  0x0c, 0x01, 0x03,
        0x0b, 0x11, 0x03,
        0x00, 0x41, 0x08, 0x0b, 0x02, 'h',  'i', /* active, memory 0 */
        0x01, 0x01, '!',                         /* passive */
        0x02, 0x00, 0x41, 0x00, 0x0b, 0x00,      /* active, explicit memory 0, empty */
    };
    kiln_error e;
    kiln_module *m = module_decode(bytes, sizeof bytes, NULL, &e);
    cr_assert_not_null(m, "%s", e.message);
    cr_assert(m->has_data_count);
    cr_assert_eq(m->num_datas, 3);
    cr_assert_eq(m->datas[0].mode, KILN_SEGMENT_ACTIVE);
    cr_assert_eq(m->datas[0].size, 2);
    cr_assert_eq(memcmp(m->datas[0].bytes, "hi", 2), 0);
    cr_assert_eq(m->datas[0].offset.insns[0].imm.i32, 8);
    cr_assert_eq(m->datas[1].mode, KILN_SEGMENT_PASSIVE);
    cr_assert_eq(m->datas[1].bytes[0], '!');
    cr_assert_eq(m->datas[2].size, 0);
    cr_assert_eq(m->datas[2].offset_in_module, 29);
    module_free(m);
}

Test(decode, data_count_must_match) {
    MALFORMED("data count and data section have inconsistent lengths", 13, HDR, 0x0c, 0x01, 0x02,
              0x0b, 0x03, 0x01, 0x01, 0x00);
    MALFORMED("data count and data section have inconsistent lengths", 11, HDR, 0x0c, 0x01, 0x01);
    MALFORMED("malformed data segment kind", 11, HDR, 0x0b, 0x02, 0x01, 0x03);
    /* data bytes longer than the section */
    MALFORMED("unexpected end of section or function", 12, HDR, 0x0b, 0x05, 0x01, 0x01, 0x07, 'a',
              'b');
}

/* ---- code ---------------------------------------------------------------- */

Test(decode, function_and_code_counts_must_agree) {
    MALFORMED("function and code section have inconsistent lengths", 18, HDR, TYPE_VOID, FUNC_ONE);
    MALFORMED("function and code section have inconsistent lengths", 16, HDR, TYPE_VOID, 0x0a, 0x04,
              0x01, 0x02, 0x00, 0x0b);
}

Test(decode, locals_are_grouped_and_bounded) {
    buf *body = buf_new();
    put_raw(body, "\x02\x03\x7f\x01\x7b\x0b", 6);
    buf *mod = module_with_body(body, false, false);
    kiln_module *m = decode_ok(mod);
    kiln_func *f = &m->funcs[0];
    cr_assert_eq(f->num_local_groups, 2);
    cr_assert_eq(f->num_locals, 4);
    cr_assert_eq(f->local_groups[1].valtype, KILN_V128);
    cr_assert_eq(f->num_insns, 1);
    module_free(m);
    free(mod);
    body->n = 0;
    put_raw(body, "\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b", 10); /* 2^32-1 + 2 locals */
    mod = module_with_body(body, false, false);
    kiln_error e;
    cr_assert_null(module_decode(mod->d, mod->n, NULL, &e));
    cr_assert_eq(e.kind, KILN_ERR_MALFORMED, "more than 2^32-1 locals is malformed, not a limit");
    cr_assert_str_eq(e.message, "too many locals");
    cr_assert_eq(e.offset, mod->n - body->n + 7, "offset of the group whose count overflows");
    cr_assert_eq(e.func_index, 0);
    free(mod);
    free(body);
}

Test(decode, body_errors_carry_the_function_index) {
    /* two functions, the second has an illegal opcode */
    static const uint8_t bytes[] = {HDR,  TYPE_VOID, 0x03, 0x03, 0x02, 0x00, 0x00, 0x0a, 0x08,
                                    0x02, 0x02,      0x00, 0x0b, 0x03, 0x00, 0xff, 0x0b};
    kiln_error e;
    cr_assert_null(module_decode(bytes, sizeof bytes, NULL, &e));
    cr_assert_str_eq(e.message, "illegal opcode");
    cr_assert_eq(e.offset, 27);
    cr_assert_eq(e.func_index, 1);
}

Test(decode, missing_end_messages_follow_the_suite) {
    /* body stops before `end`, another body follows */
    MALFORMED("END opcode expected", 27, HDR, TYPE_VOID, 0x03, 0x03, 0x02, 0x00, 0x00, 0x0a, 0x0c,
              0x02, 0x04, 0x00, 0x41, 0x01, 0x1a, 0x05, 0x00, 0x41, 0x01, 0x1a, 0x0b);
    /* last body of the last section */
    MALFORMED("unexpected end of section or function", 26, HDR, TYPE_VOID, FUNC_ONE, 0x0a, 0x06,
              0x01, 0x04, 0x00, 0x41, 0x01, 0x1a);
    /* bytes after the final end */
    MALFORMED("section size mismatch", 24, HDR, TYPE_VOID, FUNC_ONE, 0x0a, 0x05, 0x01, 0x03, 0x00,
              0x0b, 0x01);
}

Test(decode, memory_instruction_reserved_bytes_are_zero) {
    buf *body = buf_new();
    put_raw(body, "\x00\x41\x00\x40\x80\x00\x1a\x0b", 8); /* memory.grow with a 2-byte zero */
    buf *mod = module_with_body(body, true, false);
    expect_malformed(mod->d, mod->n, "zero byte expected", mod->n - 4);
    free(mod);
    body->n = 0;
    put_raw(body, "\x00\x3f\x01\x1a\x0b", 5); /* memory.size 1 */
    mod = module_with_body(body, true, false);
    expect_malformed(mod->d, mod->n, "zero byte expected", mod->n - 3);
    kiln_decode_options multi = {.features = KILN_FEATURE_MULTI_MEMORY};
    kiln_module *m = module_decode(mod->d, mod->n, &multi, NULL);
    cr_assert_not_null(m, "multi-memory reads a memory index");
    cr_assert_eq(m->funcs[0].insns[0].imm.index, 1);
    module_free(m);
    free(mod);
    free(body);
}

Test(decode, bulk_data_instructions_need_the_data_count_section) {
    buf *body = buf_new();
    put_raw(body, "\x00\xfc\x09\x00\x0b", 5); /* data.drop 0 */
    buf *mod = module_with_body(body, true, false);
    expect_malformed(mod->d, mod->n, "data count section required", mod->n - 4);
    free(mod);
    mod = module_with_body(body, true, true);
    kiln_module *m = decode_ok(mod);
    cr_assert_eq(m->funcs[0].insns[0].op, KILN_OP_DATA_DROP);
    module_free(m);
    free(mod);
    free(body);
}

Test(decode, unknown_opcodes_are_illegal) {
    const uint8_t bad[][3] = {{0x1e, 0x0b}, {0xfc, 0x12}, {0xfd, 0x9a, 0x01}, {0xff}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        buf *body = buf_new();
        put(body, 0);
        put_raw(body, bad[i], bad[i][0] == 0xfd ? 3 : 2);
        put(body, 0x0b);
        buf *mod = module_with_body(body, false, false);
        expect_malformed(mod->d, mod->n, "illegal opcode", mod->n - body->n + 1);
        free(mod);
        free(body);
    }
}

Test(decode, immediates_land_in_their_fields) {
    buf *body = buf_new();
    put(body, 0);
    put_raw(body, "\x02\x7f", 2);                          /* block (result i32) */
    put_raw(body, "\x03\x40", 2);                          /* loop */
    put_raw(body, "\x04\x80\x80\x04", 4);                   /* if (type 65536) */
    put_raw(body, "\x0e\x02\x00\x01\x02", 5);               /* br_table 0 1 2 */
    put_raw(body, "\x11\x05\x02", 3);                       /* call_indirect type 5 table 2 */
    put_raw(body, "\x28\x02\xe8\x07", 4);                   /* i32.load align=2 offset=1000 */
    put_raw(body, "\x43\x01\x00\xc0\x7f", 5);               /* f32.const nan:0x400001 */
    put_raw(body, "\x44\x01\x00\x00\x00\x00\x00\xf8\x7f", 9); /* f64.const nan payload 1 */
    put_raw(body, "\x1c\x01\x7b", 3);                       /* select (result v128) */
    put_raw(body, "\xd0\x6f", 2);                           /* ref.null extern */
    put_raw(body, "\xfd\x0c", 2);                           /* v128.const 0..15 */
    for (uint8_t i = 0; i < 16; i++) put(body, i);
    put_raw(body, "\xfd\x15\x0f", 3);                       /* i8x16.extract_lane_s 15 */
    put_raw(body, "\xfd\x54\x00\x10\x07", 5);               /* v128.load8_lane offset=16 lane 7 */
    put_raw(body, "\xfc\x0e\x03\x04", 4);                   /* table.copy 3 4 */
    put_raw(body, "\xfd\x80\x01", 3);                       /* i16x8.abs: two-byte sub-opcode */
    put_raw(body, "\x0b\x0b\x0b\x0b", 4);
    buf *mod = module_with_body(body, false, false);
    kiln_module *m = decode_ok(mod);
    const kiln_insn *in = m->funcs[0].insns;
    cr_assert_eq(in[0].imm.block.kind, KILN_BLOCK_VALTYPE);
    cr_assert_eq(in[0].imm.block.valtype, KILN_I32);
    cr_assert_eq(in[1].imm.block.kind, KILN_BLOCK_EMPTY);
    cr_assert_eq(in[2].imm.block.kind, KILN_BLOCK_TYPEINDEX);
    cr_assert_eq(in[2].imm.block.type_index, 65536);
    cr_assert_eq(in[3].imm.br_table.count, 2);
    cr_assert_eq(in[3].imm.br_table.labels[2], 2, "default target last");
    cr_assert_eq(in[4].imm.call_indirect.type_index, 5);
    cr_assert_eq(in[4].imm.call_indirect.table_index, 2);
    cr_assert_eq(in[5].imm.memarg.align, 2);
    cr_assert_eq(in[5].imm.memarg.offset, 1000);
    cr_assert_eq(in[6].imm.f32_bits, 0x7fc00001u);
    cr_assert_eq(in[7].imm.f64_bits, 0x7ff8000000000001ull);
    cr_assert_eq(in[8].imm.valtype, KILN_V128);
    cr_assert_eq(in[9].imm.reftype, KILN_EXTERNREF);
    cr_assert_eq(in[10].op, KILN_OP_V128_CONST);
    for (int i = 0; i < 16; i++) cr_assert_eq(in[10].imm.v128[i], i);
    cr_assert_eq(in[11].imm.lane, 15);
    cr_assert_eq(in[12].imm.memarg.offset, 16);
    cr_assert_eq(in[12].imm.memarg.lane, 7);
    cr_assert_eq(in[13].imm.pair.a, 3);
    cr_assert_eq(in[13].imm.pair.b, 4);
    cr_assert_eq(in[14].op, KILN_OP_I16X8_ABS);
    cr_assert_eq(m->funcs[0].num_insns, 19);
    cr_assert_eq(in[0].offset, mod->n - body->n + 1, "offsets are module offsets");
    module_free(m);
    free(mod);
    free(body);
}

Test(decode, select_with_other_arities_decodes_as_valtype_zero) {
    buf *body = buf_new();
    put_raw(body, "\x00\x1c\x02\x7f\x7f\x1a\x0b", 7);
    buf *mod = module_with_body(body, false, false);
    kiln_module *m = decode_ok(mod);
    cr_assert_eq(m->funcs[0].insns[0].op, KILN_OP_SELECT_T);
    cr_assert_eq(m->funcs[0].insns[0].imm.valtype, 0);
    module_free(m);
    free(mod);
    free(body);
}

Test(decode, negative_block_type_that_is_no_value_type) {
    buf *body = buf_new();
    put_raw(body, "\x00\x02\x7a\x0b\x0b", 5);
    buf *mod = module_with_body(body, false, false);
    expect_malformed(mod->d, mod->n, "malformed value type", mod->n - 3);
    free(mod);
    free(body);
}

Test(decode, deep_nesting_does_not_recurse) {
    buf *body = buf_new();
    put(body, 0);
    enum { DEPTH = 20000 };
    for (int i = 0; i < DEPTH; i++) put_raw(body, "\x02\x40", 2);
    for (int i = 0; i <= DEPTH; i++) put(body, 0x0b);
    buf *mod = module_with_body(body, false, false);
    kiln_module *m = decode_ok(mod);
    cr_assert_eq(m->funcs[0].num_insns, 2 * DEPTH + 1);
    module_free(m);
    free(mod);
    free(body);
}

/* ---- the name section ---------------------------------------------------- */

static buf *module_with_names(const buf *names) {
    buf *b = buf_new(), *s = buf_new();
    put_header(b);
    put_raw(b, (const uint8_t[]){0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x04, 0x03, 0x00, 0x00,
                                 0x00, 0x0a, 0x0a, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02,
                                 0x00, 0x0b},
            24);
    put_name(s, "name");
    put_raw(s, names->d, names->n);
    put_section(b, 0, s);
    free(s);
    return b;
}

Test(decode, name_section_gives_module_and_function_names) {
    buf *n = buf_new(), *sub = buf_new();
    put_name(sub, "mod");
    put(n, 0), put_u32(n, sub->n), put_raw(n, sub->d, sub->n);
    sub->n = 0;
    put(sub, 2), put(sub, 2), put_name(sub, "two"), put(sub, 0), put_name(sub, "zero");
    put(n, 1), put_u32(n, sub->n), put_raw(n, sub->d, sub->n);
    put(n, 2), put(n, 1), put(n, 0); /* local names: skipped */
    buf *b = module_with_names(n);
    kiln_module *m = decode_ok(b);
    cr_assert_str_eq(m->module_name.chars, "mod");
    cr_assert_eq(m->num_func_names, 2);
    cr_assert_str_eq(module_func_name(m, 0), "zero", "names are sorted by index");
    cr_assert_str_eq(module_func_name(m, 2), "two");
    cr_assert_null(module_func_name(m, 1));
    cr_assert_eq(m->num_customs, 0, "the name section is not a generic custom section");
    module_free(m);
    free(b);
    free(n);
    free(sub);
}

Test(decode, malformed_name_section_is_ignored) {
    buf *n = buf_new();
    put_raw(n, "\x01\x05\x01\x00\x03\xff\xfe", 7); /* function names with invalid UTF-8 */
    buf *b = module_with_names(n);
    kiln_module *m = decode_ok(b);
    cr_assert_eq(m->num_func_names, 0);
    cr_assert_null(m->func_names);
    cr_assert_null(module_func_name(m, 0));
    module_free(m);
    free(b);
    free(n);
}

/* ---- robustness ---------------------------------------------------------- */

/* A module touching most sections, used for truncation and failure tests. */
static buf *rich_module(void) {
    buf *body = buf_new();
    put_raw(body, "\x01\x02\x7f\x41\x05\x21\x00\x02\x40\x0e\x01\x00\x00\x0b\xfc\x09\x00\x0b", 18);
    buf *b = module_with_body(body, true, true);
    buf *s = buf_new();
    put_name(s, "name");
    put_raw(s, "\x01\x04\x01\x00\x01\x66", 6);
    put_section(b, 0, s);
    s->n = 0;
    put_name(s, "extra");
    put_raw(s, "payload", 7);
    put_section(b, 0, s);
    free(s);
    free(body);
    return b;
}

Test(decode, every_truncation_fails_cleanly) {
    buf *b = rich_module();
    kiln_module *whole = decode_ok(b);
    module_free(whole);
    for (size_t len = 0; len < b->n; len++) {
        kiln_error e;
        kiln_module *m = module_decode(b->d, len, NULL, &e);
        /* cutting off trailing custom sections can leave a valid module */
        if (m) {
            module_free(m);
            continue;
        }
        cr_assert_eq(e.kind, KILN_ERR_MALFORMED, "length %zu", len);
        cr_assert_leq(e.offset, len, "error offset inside the input (length %zu)", len);
    }
}

Test(decode, bit_flips_never_crash) {
    buf *b = rich_module();
    for (size_t i = 0; i < b->n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b->d[i] ^= (uint8_t)(1u << bit);
            kiln_error e;
            kiln_module *m = module_decode(b->d, b->n, NULL, &e);
            if (m) module_free(m);
            else cr_assert(e.kind == KILN_ERR_MALFORMED && e.offset <= b->n, "byte %zu bit %d", i, bit);
            b->d[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(b);
}

Test(decode, allocation_failures_return_nomem) {
    buf *b = rich_module();
    size_t failures = 0;
    for (size_t n = 1;; n++) {
        kiln_decode_options o = {.test_fail_alloc_after = n};
        kiln_error e;
        kiln_module *m = module_decode(b->d, b->n, &o, &e);
        if (m) {
            module_free(m);
            break;
        }
        cr_assert_eq(e.kind, KILN_ERR_NOMEM, "allocation %zu: %s", n, e.message);
        failures++;
        cr_assert_lt(n, 10000, "decode never succeeded");
    }
    cr_assert_gt(failures, 10, "the decoder allocates more than a few times");
    free(b);
}

/* ---- cross-check with wabt ----------------------------------------------- */

/* Appends one instance of op with small but non-trivial immediates. */
static void put_insn_sample(buf *b, kiln_opcode op) {
    put_op(b, op);
    switch (kiln_opcode_table[op].imm) {
    case KILN_IMM_NONE: break;
    case KILN_IMM_BLOCK: put(b, 0x40); break;
    case KILN_IMM_BR_TABLE: put_raw(b, "\x02\x00\x00\x00", 4); break;
    case KILN_IMM_CALL_INDIRECT:
    case KILN_IMM_MEMORY_INIT:
    case KILN_IMM_MEMORY_COPY:
    case KILN_IMM_TABLE_INIT:
    case KILN_IMM_TABLE_COPY: put_raw(b, "\x00\x00", 2); break;
    case KILN_IMM_MEMARG: put_raw(b, "\x00\xac\x02", 3); break;
    case KILN_IMM_MEMARG_LANE: put_raw(b, "\x00\x08\x01", 3); break;
    case KILN_IMM_I32: put_s64(b, -300); break;
    case KILN_IMM_I64: put_s64(b, 1ll << 40); break;
    case KILN_IMM_F32: put_raw(b, "\x00\x00\x80\x3f", 4); break;
    case KILN_IMM_F64: put_raw(b, "\x00\x00\x00\x00\x00\x00\xf0\x3f", 8); break;
    case KILN_IMM_V128:
    case KILN_IMM_SHUFFLE:
        for (int i = 0; i < 16; i++) put(b, (uint8_t)i);
        break;
    case KILN_IMM_LANE: put(b, 1); break;
    case KILN_IMM_ZERO_BYTE: put(b, 0); break;
    case KILN_IMM_HEAPTYPE: put(b, KILN_FUNCREF); break;
    case KILN_IMM_SELECT_T: put_raw(b, "\x01\x7f", 2); break;
    default: put(b, 0); break; /* one index */
    }
}

/* Typed function references: wabt 1.0.32's wasm-objdump knows an older
 * encoding of these (0x14 call_ref without a type index, 0xd3/0xd4 for
 * ref.as_non_null/br_on_null), and they need the feature; decoded by
 * typed_ref_opcodes below instead. */
static bool typed_ref_op(int op) {
    return op == KILN_OP_CALL_REF || op == KILN_OP_RETURN_CALL_REF || op == KILN_OP_REF_AS_NON_NULL ||
           op == KILN_OP_BR_ON_NULL || op == KILN_OP_BR_ON_NON_NULL;
}

/* Exception handling: wabt 1.0.32's wasm-objdump knows only the legacy
 * form, and only with --enable-exceptions; try_table_catch_clauses_and_tags
 * covers their decoding. */
static bool is_exception_op(int op) {
    return op == KILN_OP_TRY || op == KILN_OP_CATCH || op == KILN_OP_THROW ||
           op == KILN_OP_RETHROW || op == KILN_OP_THROW_REF || op == KILN_OP_DELEGATE ||
           op == KILN_OP_CATCH_ALL || op == KILN_OP_TRY_TABLE;
}

/* Wide arithmetic: wabt 1.0.32 does not know it; wide_arithmetic_opcodes
 * covers its decoding. */
static bool is_wide_op(int op) {
    return op >= KILN_OP_I64_ADD128 && op <= KILN_OP_I64_MUL_WIDE_U;
}

/* A body holding every opcode of the table once; blocks are closed at once. */
static void put_every_opcode(buf *body) {
    put(body, 0);
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        if (op == KILN_OP_END || op == KILN_OP_ELSE || typed_ref_op(op) || is_exception_op(op) ||
            is_wide_op(op))
            continue;
        put_insn_sample(body, (kiln_opcode)op);
        if (op == KILN_OP_IF) put_op(body, KILN_OP_ELSE);
        if (op == KILN_OP_BLOCK || op == KILN_OP_LOOP || op == KILN_OP_IF) put_op(body, KILN_OP_END);
    }
    put_op(body, KILN_OP_END);
}

/* Reads "offset: bytes | mnemonic ..." lines from wasm-objdump -d. */
static size_t objdump_read(FILE *p, uint32_t *offsets, char (*names)[40], size_t max) {
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, p) && n < max) {
        char *bar = strchr(line, '|');
        unsigned off;
        if (!bar || sscanf(line, " %x:", &off) != 1) continue;
        char name[40];
        if (sscanf(bar + 1, " %39s", name) != 1) continue;
        offsets[n] = off;
        strcpy(names[n++], name);
    }
    return n;
}

Test(decode, every_opcode_agrees_with_wasm_objdump) {
    if (system("wasm-objdump --version > /dev/null 2>&1") != 0) cr_skip_test("wasm-objdump missing");
    buf *body = buf_new();
    put_every_opcode(body);
    buf *mod = module_with_body(body, true, true);
    kiln_module *m = decode_ok(mod);
    char path[] = "/tmp/kiln_test_decode_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, mod->d, mod->n), (ssize_t)mod->n);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "wasm-objdump -d %s 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    enum { MAX = 1024 };
    static uint32_t offsets[MAX];
    static char names[MAX][40];
    size_t n = objdump_read(p, offsets, names, MAX);
    pclose(p);
    unlink(path);
    const kiln_func *f = &m->funcs[0];
    cr_assert_eq(n, f->num_insns, "wasm-objdump saw %zu instructions, kiln %u", n, f->num_insns);
    for (size_t i = 0; i < n; i++) {
        const kiln_insn *in = &f->insns[i];
        cr_assert_eq(in->offset, offsets[i], "offset of instruction %zu (%s)", i, names[i]);
        cr_assert_str_eq(objdump_name(kiln_opcode_table[in->op].text), names[i], "instruction %zu", i);
    }
    module_free(m);
    free(mod);
    free(body);
}

/* A module whose one body is `code`, decoded with `features`; *mod holds
 * the module's bytes for the caller's further checks. */
static kiln_module *body_decode_with(const uint8_t *code, size_t n, uint32_t features, buf **mod) {
    buf *body = buf_new();
    put_raw(body, code, n);
    *mod = module_with_body(body, false, false);
    free(body);
    kiln_decode_options o = {.features = features};
    kiln_error e;
    kiln_module *m = module_decode((*mod)->d, (*mod)->n, &o, &e);
    cr_assert_not_null(m, "%s", e.message);
    return m;
}

/* The 3.0 encodings, with the feature on; without it they are unknown. */
Test(decode, typed_ref_opcodes) {
    static const uint8_t body_bytes[] = {0x00, 0x14, 0x05, 0x15, 0x06, 0xd4, 0xd5, 0x01,
                                         0xd6, 0x02, 0xd0, 0x00, 0x0b};
    buf *mod;
    kiln_module *m =
        body_decode_with(body_bytes, sizeof body_bytes, KILN_FEATURE_FUNCTION_REFERENCES, &mod);
    kiln_error e;
    const kiln_insn *in = m->funcs[0].insns;
    static const uint16_t ops[] = {KILN_OP_CALL_REF, KILN_OP_RETURN_CALL_REF, KILN_OP_REF_AS_NON_NULL,
                                   KILN_OP_BR_ON_NULL, KILN_OP_BR_ON_NON_NULL};
    static const uint32_t imms[] = {5, 6, 0, 1, 2};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(in[i].op, ops[i], "instruction %d", i);
        if (i != 2) cr_assert_eq(in[i].imm.index, imms[i], "instruction %d", i);
    }
    /* ref.null 0: (ref null 0), an interned reference type */
    kiln_reftype r = module_reftype(m, in[5].imm.reftype);
    cr_assert(r.heap == KILN_HEAP_TYPE && r.nullable && r.type_index == 0);
    module_free(m);
    cr_assert_null(module_decode(mod->d, mod->n, NULL, &e));
    free(mod);
}

/* 0xfc 0x13..0x16 with the wide-arithmetic feature; refused by default
 * (a proposal), naming the feature. */
Test(decode, wide_arithmetic_opcodes) {
    static const uint8_t body_bytes[] = {0x00, 0xfc, 0x13, 0xfc, 0x14, 0xfc, 0x15, 0xfc, 0x16, 0x0b};
    buf *mod;
    kiln_module *m =
        body_decode_with(body_bytes, sizeof body_bytes, KILN_FEATURE_WIDE_ARITHMETIC, &mod);
    static const uint16_t ops[] = {KILN_OP_I64_ADD128, KILN_OP_I64_SUB128, KILN_OP_I64_MUL_WIDE_S,
                                   KILN_OP_I64_MUL_WIDE_U};
    for (int i = 0; i < 4; i++) cr_expect_eq(m->funcs[0].insns[i].op, ops[i], "instruction %d", i);
    module_free(m);
    kiln_decode_options o = {.features = features_default()};
    expect_malformed_with(mod->d, mod->n, &o,
                          "i64.add128 needs feature 'wide-arithmetic', which is turned off",
                          mod->n - (sizeof body_bytes - 1));
    free(mod);
}

/* ---- implementation limits (impl_limits.h) -------------------------------- */

/* Modules at or just past a limit do not fit in a buf: a growable one. */
typedef struct big {
    uint8_t *d;
    size_t n, cap;
} big;

static void big_raw(big *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->d = realloc(b->d, b->cap);
        cr_assert_not_null(b->d);
    }
    memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void big_u32(big *b, uint64_t v) {
    do {
        uint8_t x = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        big_raw(b, &x, 1);
        v >>= 7;
    } while (v);
}

static void big_repeat(big *b, const void *item, size_t len, size_t times) {
    for (size_t i = 0; i < times; i++) big_raw(b, item, len);
}

static big big_module(void) {
    big b = {0};
    big_raw(&b, "\0asm\1\0\0\0", 8);
    return b;
}

/* Appends section `id` with `content`; returns where the content starts
 * (a vector section's count) in the module. */
static size_t big_section(big *mod, uint8_t id, const big *content) {
    big_raw(mod, &id, 1);
    big_u32(mod, content->n);
    size_t at = mod->n;
    big_raw(mod, content->d, content->n);
    return at;
}

/* A vector section of `count` copies of `item`. */
static size_t big_vector_section(big *mod, uint8_t id, uint32_t count, const void *item,
                                 size_t len) {
    big content = {0};
    big_u32(&content, count);
    big_repeat(&content, item, len, count);
    size_t at = big_section(mod, id, &content);
    free(content.d);
    return at;
}

static void expect_limit(const big *mod, uint64_t offset, const char *msg) {
    kiln_error e;
    kiln_module *m = module_decode(mod->d, mod->n, NULL, &e);
    cr_assert_null(m, "expected \"%s\", but the module decoded", msg);
    cr_assert_eq(e.kind, KILN_ERR_LIMIT, "kind for \"%s\" (%s)", msg, e.message);
    cr_assert_str_eq(e.message, msg);
    cr_assert_eq(e.offset, offset, "offset of \"%s\": got 0x%llx, expected 0x%llx", msg,
                 (unsigned long long)e.offset, (unsigned long long)offset);
}

static void expect_within_limits(const big *mod, uint32_t features) {
    kiln_decode_options o = {.features = features};
    kiln_error e;
    kiln_module *m = module_decode(mod->d, mod->n, &o, &e);
    cr_assert_not_null(m, "decode failed at 0x%llx: %s", (unsigned long long)e.offset, e.message);
    cr_assert(module_validate(m, &e), "validation failed at 0x%llx: %s",
              (unsigned long long)e.offset, e.message);
    module_free(m);
}

static void limit_message(char *out, size_t size, uint64_t count, const char *what,
                          uint64_t limit) {
    snprintf(out, size, "implementation limit: %llu %s, at most %llu", (unsigned long long)count,
             what, (unsigned long long)limit);
}

/* A vector section whose count is one past the limit is refused at the
 * count, before any item is read, so zero bytes stand in for the items. */
static void expect_vector_over_limit(uint8_t section, uint32_t limit, const char *what) {
    big mod = big_module();
    static const uint8_t filler = 0;
    size_t at = big_vector_section(&mod, section, limit + 1, &filler, 1);
    char msg[128];
    limit_message(msg, sizeof msg, limit + 1, what, limit);
    expect_limit(&mod, at, msg);
    free(mod.d);
}

typedef struct vector_limit {
    uint8_t section;
    uint32_t limit;
    const char *what;
    const char *item; /* one valid item, for the module at the limit */
    size_t item_len;
    uint32_t features;
} vector_limit;

/* Element segments at the limit are not built: 10,000,000 decoded
 * segments take over half a gigabyte. */
static const vector_limit vector_limits[] = {
    {1, KILN_MAX_TYPES, "types", "\x60\x00\x00", 3, 0},
    {2, KILN_MAX_IMPORTS, "imports", "\x01m\x00\x03\x7f\x00", 6, 0}, /* (global i32) */
    {4, KILN_MAX_TABLES, "tables", "\x70\x00\x00", 3, 0},
    {5, KILN_MAX_MEMORIES, "memories", "\x00\x00", 2, KILN_FEATURE_MULTI_MEMORY},
    {6, KILN_MAX_GLOBALS, "globals", "\x7f\x00\x41\x00\x0b", 5, 0},
    {9, KILN_MAX_ELEM_SEGMENTS, "element segments", NULL, 0, 0},
    {11, KILN_MAX_DATA_SEGMENTS, "data segments", "\x01\x00", 2, 0}, /* passive, empty */
};

Test(decode_limits, vector_counts_at_and_past_the_limit) {
    for (size_t i = 0; i < sizeof vector_limits / sizeof vector_limits[0]; i++) {
        const vector_limit *v = &vector_limits[i];
        if (v->item) {
            big mod = big_module();
            big_vector_section(&mod, v->section, v->limit, v->item, v->item_len);
            expect_within_limits(&mod, v->features);
            free(mod.d);
        }
        expect_vector_over_limit(v->section, v->limit, v->what);
    }
}

/* Builds a module holding `count` of one kind of item; returns the offset
 * at which a count past the limit is reported. */
typedef size_t (*limit_module_fn)(big *mod, uint32_t count);

/* The module with `limit` items decodes and validates; with one more it is
 * refused at the offset the builder names. */
static void expect_limit_boundary(limit_module_fn build, uint32_t limit, const char *what) {
    big mod = big_module();
    build(&mod, limit);
    expect_within_limits(&mod, 0);
    free(mod.d);
    mod = big_module();
    size_t at = build(&mod, limit + 1);
    char msg[128];
    limit_message(msg, sizeof msg, (uint64_t)limit + 1, what, limit);
    expect_limit(&mod, at, msg);
    free(mod.d);
}

/* One memory and `count` exports of it named "0", "1", ... */
static size_t exports_module(big *mod, uint32_t count) {
    big_vector_section(mod, 5, 1, "\x00\x01", 2);
    big content = {0};
    big_u32(&content, count);
    for (uint32_t i = 0; i < count; i++) {
        char name[16];
        int len = snprintf(name, sizeof name, "%u", i);
        big_u32(&content, (uint32_t)len);
        big_raw(&content, name, (size_t)len);
        big_raw(&content, "\x02\x00", 2);
    }
    size_t at = big_section(mod, 7, &content);
    free(content.d);
    return at;
}

Test(decode_limits, exports) {
    expect_limit_boundary(exports_module, KILN_MAX_EXPORTS, "exports");
}

/* `count` functions of type [] -> [], with their (empty) bodies. */
static size_t functions_module(big *mod, uint32_t count) {
    big_vector_section(mod, 1, 1, "\x60\x00\x00", 3);
    size_t at = big_vector_section(mod, 3, count, "\x00", 1);
    big_vector_section(mod, 10, count, "\x02\x00\x0b", 3);
    return at;
}

/* Imported functions count towards KILN_MAX_FUNCS too; the function
 * section's count is where the total goes over. */
Test(decode_limits, functions_including_imports) {
    expect_limit_boundary(functions_module, KILN_MAX_FUNCS, "functions");

    big mod = big_module();
    big_vector_section(&mod, 1, 1, "\x60\x00\x00", 3);
    big_vector_section(&mod, 2, 1, "\x01m\x01" "f\x00\x00", 6); /* (import "m" "f" (func)) */
    size_t at = big_vector_section(&mod, 3, KILN_MAX_FUNCS, "\x00", 1);
    char msg[128];
    limit_message(msg, sizeof msg, KILN_MAX_FUNCS + 1, "functions", KILN_MAX_FUNCS);
    expect_limit(&mod, at, msg);
    free(mod.d);
}

Test(decode_limits, data_count) {
    big mod = big_module();
    big content = {0};
    big_u32(&content, KILN_MAX_DATA_SEGMENTS + 1);
    size_t at = big_section(&mod, 12, &content);
    char msg[128];
    limit_message(msg, sizeof msg, KILN_MAX_DATA_SEGMENTS + 1, "data segments",
                  KILN_MAX_DATA_SEGMENTS);
    expect_limit(&mod, at, msg);
    free(content.d);
    free(mod.d);
}

/* One active segment for table 0 listing `count` times function 0. */
static size_t elem_items_module(big *mod, uint32_t count) {
    big_vector_section(mod, 1, 1, "\x60\x00\x00", 3);
    big_vector_section(mod, 3, 1, "\x00", 1);
    big_vector_section(mod, 4, 1, "\x70\x00\x00", 3);
    big content = {0};
    big_raw(&content, "\x01\x00\x41\x00\x0b", 5); /* one segment: flags 0, offset i32.const 0 */
    size_t items_at = content.n;
    big_u32(&content, count);
    big_repeat(&content, "\x00", 1, count);
    size_t at = big_section(mod, 9, &content) + items_at;
    free(content.d);
    big_vector_section(mod, 10, 1, "\x02\x00\x0b", 3);
    return at;
}

Test(decode_limits, elements_in_a_segment) {
    expect_limit_boundary(elem_items_module, KILN_MAX_ELEM_SEGMENT_ITEMS, "elements in a segment");
}

/* A function type of `params` i32 parameters and `results` i32 results;
 * returns the offset of the results' count. */
static size_t functype_module(big *mod, uint32_t params, uint32_t results, size_t *params_at) {
    big content = {0};
    big_raw(&content, "\x01\x60", 2);
    *params_at = content.n;
    big_u32(&content, params);
    big_repeat(&content, "\x7f", 1, params);
    size_t results_at = content.n;
    big_u32(&content, results);
    big_repeat(&content, "\x7f", 1, results);
    size_t at = big_section(mod, 1, &content);
    free(content.d);
    *params_at += at;
    return at + results_at;
}

static size_t params_module(big *mod, uint32_t count) {
    size_t params_at;
    functype_module(mod, count, 1, &params_at);
    return params_at;
}

static size_t results_module(big *mod, uint32_t count) {
    size_t params_at;
    return functype_module(mod, 1, count, &params_at);
}

Test(decode_limits, params_and_results_of_a_function_type) {
    expect_limit_boundary(params_module, KILN_MAX_FUNC_PARAMS, "parameters in a function type");
    expect_limit_boundary(results_module, KILN_MAX_FUNC_RESULTS, "results in a function type");
}

/* An import whose module name has `len` bytes; returns the offset of the
 * name's length. */
static size_t long_name_module(big *mod, uint32_t len) {
    big content = {0};
    big_u32(&content, 1);
    size_t name_at = content.n;
    big_u32(&content, len);
    big_repeat(&content, "a", 1, len);
    big_raw(&content, "\x00\x03\x7f\x00", 4); /* field "", (global i32) */
    size_t at = big_section(mod, 2, &content) + name_at;
    free(content.d);
    return at;
}

Test(decode_limits, name_length) {
    expect_limit_boundary(long_name_module, KILN_MAX_NAME_BYTES, "bytes in a name");
}

static size_t leb_len(uint64_t v) {
    size_t n = 1;
    while (v >>= 7) n++;
    return n;
}

/* A type section of one type [i32 x params] -> [], a function of it and a
 * code section holding `body`; returns the offset of the body's size. */
static size_t body_module(big *mod, uint32_t params, const big *body) {
    big content = {0};
    big_raw(&content, "\x01\x60", 2);
    big_u32(&content, params);
    big_repeat(&content, "\x7f", 1, params);
    big_raw(&content, "\x00", 1);
    big_section(mod, 1, &content);
    big_vector_section(mod, 3, 1, "\x00", 1);
    content.n = 0;
    big_u32(&content, 1);
    size_t body_at = content.n;
    big_u32(&content, body->n);
    big_raw(&content, body->d, body->n);
    size_t at = big_section(mod, 10, &content) + body_at;
    free(content.d);
    return at;
}

/* Fills `size` bytes with local groups of zero locals (2 to 6 bytes each,
 * the count padded as LEB128 allows) and returns how many groups. */
static uint32_t empty_local_groups(big *b, size_t size) {
    static const uint8_t padded_zero[5] = {0x80, 0x80, 0x80, 0x80, 0x00};
    uint32_t groups = 0;
    while (size > 0) {
        size_t len = size >= 12 ? 6 : size <= 6 ? size : size / 2; /* every group 2..6 bytes */
        big_raw(b, padded_zero + 5 - (len - 1), len - 1);
        big_raw(b, "\x7f", 1);
        size -= len;
        groups++;
    }
    return groups;
}

/* A function whose body has exactly `size` bytes and no instruction but
 * `end`: a padded group count and empty local groups. */
static size_t body_size_module(big *mod, uint32_t size) {
    big groups = {0}, body = {0};
    uint32_t n = empty_local_groups(&groups, size - 5 - 1);
    uint8_t count[5] = {(uint8_t)(n | 0x80), (uint8_t)(n >> 7 | 0x80), (uint8_t)(n >> 14 | 0x80),
                        (uint8_t)(n >> 21 | 0x80), (uint8_t)(n >> 28)};
    big_raw(&body, count, 5);
    big_raw(&body, groups.d, groups.n);
    big_raw(&body, "\x0b", 1);
    cr_assert_eq(body.n, size);
    size_t at = body_module(mod, 0, &body);
    free(groups.d);
    free(body.d);
    return at;
}

Test(decode_limits, function_body_size) {
    expect_limit_boundary(body_size_module, KILN_MAX_FUNC_BODY_BYTES, "bytes in a function body");
}

/* A function of `params` i32 parameters and two groups of i32 locals;
 * returns the module offset of the second group. */
static size_t locals_module(big *mod, uint32_t params, uint32_t first, uint32_t second) {
    big body = {0};
    big_raw(&body, "\x02", 1);
    big_u32(&body, first);
    big_raw(&body, "\x7f", 1);
    size_t second_at = body.n;
    big_u32(&body, second);
    big_raw(&body, "\x7f\x0b", 2);
    size_t at = body_module(mod, params, &body);
    free(body.d);
    return at + leb_len(body.n) + second_at;
}

/* `total` locals: one parameter, 40,000 locals, the rest in a second group. */
static size_t locals_with_a_param_module(big *mod, uint32_t total) {
    return locals_module(mod, 1, 40000, total - 40001);
}

/* Parameters count as locals; the group that crosses the limit is named. */
Test(decode_limits, locals_including_parameters) {
    expect_limit_boundary(locals_with_a_param_module, KILN_MAX_LOCALS,
                          "locals including parameters");

    big mod = big_module(); /* without a parameter */
    size_t at = locals_module(&mod, 0, 40000, KILN_MAX_LOCALS - 40000 + 1);
    char msg[128];
    limit_message(msg, sizeof msg, KILN_MAX_LOCALS + 1, "locals including parameters",
                  KILN_MAX_LOCALS);
    expect_limit(&mod, at, msg);
    free(mod.d);
}

/* i32.const 0, br_table with `labels` labels and a default, all 0;
 * returns the offset of the br_table. */
static size_t br_table_module(big *mod, uint32_t labels) {
    big body = {0};
    big_raw(&body, "\x00\x41\x00", 3);
    size_t insn_at = body.n;
    big_raw(&body, "\x0e", 1);
    big_u32(&body, labels);
    big_repeat(&body, "\x00", 1, (size_t)labels + 1);
    big_raw(&body, "\x0b", 1);
    size_t at = body_module(mod, 0, &body);
    free(body.d);
    return at + leb_len(body.n) + insn_at;
}

Test(decode_limits, br_table_labels) {
    expect_limit_boundary(br_table_module, KILN_MAX_BR_TABLE_LABELS, "labels in a br_table");
}

/* The size is judged before a byte is read, so a small buffer stands in
 * for a module one byte over the limit. */
Test(decode_limits, module_size) {
    static const uint8_t bytes[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    kiln_error e;
    cr_assert_null(module_decode(bytes, (size_t)KILN_MAX_MODULE_BYTES + 1, NULL, &e));
    char msg[128];
    limit_message(msg, sizeof msg, (uint64_t)KILN_MAX_MODULE_BYTES + 1, "bytes in a module",
                  KILN_MAX_MODULE_BYTES);
    cr_assert_eq(e.kind, KILN_ERR_LIMIT);
    cr_assert_str_eq(e.message, msg);
    cr_assert_eq(e.offset, 0);
}

/* ---- features kiln lacks are named, not just "malformed" ---------------------------- */

Test(decode, a_component_is_told_apart_from_a_core_module) {
    MALFORMED("this is a WebAssembly component (component model); kiln compiles core modules",
              4, 0, 'a', 's', 'm', 0x0d, 0, 1, 0);
    /* Another version is just that (the spec suite's "unknown binary version"). */
    MALFORMED("unknown binary version", 4, 0, 'a', 's', 'm', 0x0d, 0, 0, 0);
}

Test(decode, custom_page_sizes_are_named) {
    MALFORMED("custom page sizes are not supported yet", 11,
              0, 'a', 's', 'm', 1, 0, 0, 0, 5, 4, 1, 8, 1, 16);
}

/* (memory 1 1 shared), and the same without a maximum (invalid, not
 * malformed) and with flags 6 (shared, 64-bit). */
static const uint8_t shared_memory[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 4, 1, 3, 1, 1};
static const uint8_t shared_no_max[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 2, 1};
static const uint8_t shared_64[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 6, 1};

Test(decode, shared_memory_needs_the_threads_feature) {
    kiln_decode_options off = {.features = 0};
    expect_malformed_with(shared_memory, sizeof shared_memory, &off,
                          "shared memory requires the threads feature", 11);
    kiln_decode_options on = {.features = features_default()};
    kiln_error e;
    kiln_module *m = module_decode(shared_64, sizeof shared_64, &on, &e);
    cr_assert_not_null(m, "a shared 64-bit memory decodes: %s", e.message);
    cr_assert(m->memories[0].shared && m->memories[0].is64);
    module_free(m);
}

Test(decode, shared_memory_decodes_with_threads) {
    kiln_error e;
    kiln_decode_options on = {.features = features_default()};
    kiln_module *m = module_decode(shared_memory, sizeof shared_memory, &on, &e);
    cr_assert_not_null(m);
    cr_assert(m->memories[0].shared);
    cr_assert(m->memories[0].limits.has_max);
    cr_assert(module_validate(m, &e));
    module_free(m);
    m = module_decode(shared_no_max, sizeof shared_no_max, &on, &e);
    cr_assert_not_null(m);
    cr_assert(m->memories[0].shared && !m->memories[0].limits.has_max);
    cr_assert(!module_validate(m, &e));
    cr_assert_str_eq(e.message, "shared memory must have maximum");
    module_free(m);
}

Test(decode, a_table_with_flag_2_stays_malformed) {
    MALFORMED("integer too large", 12, 0, 'a', 's', 'm', 1, 0, 0, 0, 4, 4, 1, 0x70, 2, 1);
}

Test(decode, gc_types_name_the_gc_proposal) {
    MALFORMED("the GC proposal is not supported yet: struct type", 11,
              0, 'a', 's', 'm', 1, 0, 0, 0, 1, 3, 1, 0x5f, 0);
    MALFORMED("the GC proposal is not supported yet: recursive type group", 11,
              0, 'a', 's', 'm', 1, 0, 0, 0, 1, 3, 1, 0x4e, 0);
    MALFORMED("the GC proposal is not supported yet: array type", 11,
              0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x5e, 0x7f, 0);
    MALFORMED("the GC proposal is not supported yet: subtype declaration", 11,
              0, 'a', 's', 'm', 1, 0, 0, 0, 1, 3, 1, 0x50, 0);
    MALFORMED("the GC proposal is not supported yet: subtype declaration", 11,
              0, 'a', 's', 'm', 1, 0, 0, 0, 1, 3, 1, 0x4f, 0);
    MALFORMED("typed references ((ref ht), (ref null ht)) need feature 'function-references', "
              "which is turned off", 13,
              0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 1, 0x64, 0x70);
    /* The abstract GC heap types, as value types: (func (param i31ref)) ... */
    static const struct {
        uint8_t byte;
        const char *what;
    } refs[] = {{0x6e, "anyref (heap type any)"},       {0x6d, "eqref (heap type eq)"},
                {0x6c, "i31ref (heap type i31)"},       {0x6b, "structref (heap type struct)"},
                {0x6a, "arrayref (heap type array)"},   {0x71, "nullref (heap type none)"}};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        char msg[128];
        snprintf(msg, sizeof msg, "the GC proposal is not supported yet: %s", refs[i].what);
        const uint8_t bytes[] = {HDR, 1, 5, 1, 0x60, 1, refs[i].byte, 0};
        expect_malformed(bytes, sizeof bytes, msg, 13);
    }
}

/* With exception handling turned off, what belongs to it names the
 * feature: the tag section, a tag import or export, exnref. */
Test(decode, exception_handling_turned_off_names_the_feature) {
    MALFORMED(KILN_EXCEPTIONS_OFF, 8, 0, 'a', 's', 'm', 1, 0, 0, 0, 13, 3, 1, 0, 0);
    MALFORMED(KILN_EXCEPTIONS_OFF, 13, HDR, 0x02, 0x06, 0x01, 0x00, 0x00, 0x04, 0x00, 0x00);
    MALFORMED(KILN_EXCEPTIONS_OFF, 13, HDR, 0x07, 0x05, 0x01, 0x01, 'x', 0x04, 0x00);
    MALFORMED(KILN_EXCEPTIONS_OFF, 13, HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x69, 0x00);
}

/* With typed references, exn is a heap type: (ref exn) is interned,
 * (ref null exn) is exnref's own code, nullexnref (ref null noexn) the
 * bottom; subtyping stays inside the exn hierarchy and every one of them
 * is an exnref at the ABI.  Without either feature they are refused. */
Test(decode, typed_exception_references) {
    /* (type (func (param (ref exn) (ref null exn) nullexnref (ref null noexn)))) */
    static const uint8_t bytes[] = {HDR,  0x01, 0x0b, 0x01, 0x60, 0x04, 0x64, 0x69,
                                    0x63, 0x69, 0x74, 0x63, 0x74, 0x00};
    kiln_error e;
    kiln_decode_options o = {.features = features_default()};
    kiln_module *m = module_decode(bytes, sizeof bytes, &o, &e);
    cr_assert_not_null(m, "%s", e.message);
    const uint8_t *p = m->types[0].params;
    kiln_reftype exn = module_reftype(m, p[0]), noexn = module_reftype(m, p[2]);
    cr_expect(exn.heap == KILN_HEAP_EXN && !exn.nullable);
    cr_expect_eq(p[1], KILN_EXNREF);
    cr_expect(p[2] == p[3] && noexn.heap == KILN_HEAP_NOEXN && noexn.nullable);
    cr_expect(module_valtype_sub(m, p[0], p[1]) && !module_valtype_sub(m, p[1], p[0]));
    cr_expect(module_valtype_sub(m, p[2], p[1]) && !module_valtype_sub(m, p[2], p[0]));
    cr_expect(!module_valtype_sub(m, p[0], KILN_FUNCREF) && !module_valtype_sub(m, p[2], KILN_EXTERNREF));
    for (int i = 0; i < 4; i++) cr_expect_eq(module_valtype_abi(m, p[i]), KILN_EXNREF, "param %d", i);
    module_free(m);
    o.features = features_default() & ~KILN_FEATURE_EXCEPTIONS;
    cr_expect_null(module_decode(bytes, sizeof bytes, &o, &e));
    o.features = features_default() & ~KILN_FEATURE_FUNCTION_REFERENCES;
    cr_expect_null(module_decode(bytes, sizeof bytes, &o, &e));
}

/* How far an exnref can travel (module_exnref_reach): no further than its
 * frame when no function type, global or table has one; the instance when
 * only the module's own globals and tables hold one; beyond it when a
 * function type has one, or a global or table of them is imported or
 * exported. */
Test(decode, exnref_reach) {
#define EXN_GLOBAL 0x06, 0x06, 0x01, 0x69, 0x01, 0xd0, 0x69, 0x0b /* (global (mut exnref) (ref.null exn)) */
    static const uint8_t none[] = {HDR, TYPE_VOID};
    static const uint8_t funcref_global[] = {HDR, 0x06, 0x06, 0x01, 0x70, 0x01, 0xd0, 0x70, 0x0b};
    static const uint8_t own_global[] = {HDR, EXN_GLOBAL};
    static const uint8_t own_table[] = {HDR, 0x04, 0x04, 0x01, 0x69, 0x00, 0x01};
    static const uint8_t exported_global[] = {HDR, EXN_GLOBAL, 0x07, 0x05, 0x01, 0x01, 'g', 0x03, 0x00};
    static const uint8_t imported_table[] = {HDR,  0x02, 0x09, 0x01, 0x01, 'm', 0x01,
                                             't',  0x01, 0x69, 0x00, 0x01};
    static const uint8_t ref_exn_param[] = {HDR, 0x01, 0x06, 0x01, 0x60, 0x01, 0x64, 0x69, 0x00};
#undef EXN_GLOBAL
    static const struct {
        const uint8_t *bytes;
        size_t n;
        kiln_exnref_reach reach;
    } cases[] = {
        {none, sizeof none, KILN_EXNREF_IN_FRAME},
        {funcref_global, sizeof funcref_global, KILN_EXNREF_IN_FRAME},
        {own_global, sizeof own_global, KILN_EXNREF_IN_INSTANCE},
        {own_table, sizeof own_table, KILN_EXNREF_IN_INSTANCE},
        {exported_global, sizeof exported_global, KILN_EXNREF_BEYOND_INSTANCE},
        {imported_table, sizeof imported_table, KILN_EXNREF_BEYOND_INSTANCE},
        {ref_exn_param, sizeof ref_exn_param, KILN_EXNREF_BEYOND_INSTANCE},
    };
    kiln_decode_options o = {.features = features_default()};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kiln_error e;
        kiln_module *m = module_decode(cases[i].bytes, cases[i].n, &o, &e);
        cr_assert_not_null(m, "case %zu: %s", i, e.message);
        cr_expect_eq(module_exnref_reach(m), cases[i].reach, "case %zu", i);
        module_free(m);
    }
}

/* try_table's catch clauses land in m->catches, in order, with their
 * kinds, tags and labels; a tag section and tag imports decode. */
Test(decode, try_table_catch_clauses_and_tags) {
    static const uint8_t code[] = {
        0x1f, 0x40, 0x04,              /* try_table, 4 clauses:   */
        0x00, 0x00, 0x00,              /*   catch 0 0             */
        0x01, 0x01, 0x01,              /*   catch_ref 1 1         */
        0x02, 0x02,                    /*   catch_all 2           */
        0x03, 0x03,                    /*   catch_all_ref 3       */
        0x0b, 0x0b};
    buf *body = buf_new();
    put(body, 0);
    put_raw(body, code, sizeof code);
    buf *m = module_with_body(body, false, false);
    kiln_module *mod = decode_ok(m);
    const kiln_insn *in = &mod->funcs[0].insns[0];
    cr_assert_eq(in->op, KILN_OP_TRY_TABLE);
    cr_assert_eq(in->imm.try_table.num_catches, 4);
    const kiln_catch *c = &mod->catches[in->imm.try_table.first_catch];
    for (uint8_t k = 0; k < 4; k++) {
        cr_expect_eq(c[k].kind, k);
        cr_expect_eq(c[k].label, k);
    }
    cr_expect_eq(c[1].tag, 1);
    module_free(mod);
    free(m);
    free(body);
    /* one tag import (attribute 0, type 0), one tag of type 0 */
    const uint8_t tags[] = {HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                            0x02, 0x08, 0x01, 0x01, 'm', 0x01, 't', 0x04, 0x00, 0x00,
                            13, 0x03, 0x01, 0x00, 0x00};
    kiln_error e;
    kiln_decode_options o = {.features = features_default()};
    kiln_module *tm = module_decode(tags, sizeof tags, &o, &e);
    cr_assert_not_null(tm, "%s", e.message);
    cr_expect_eq(tm->num_tags, 2);
    cr_expect_eq(tm->num_imported_tags, 1);
    cr_expect(tm->tags[0].imported && !tm->tags[1].imported);
    module_free(tm);
}

/* A body holding one unknown opcode (and what follows it). */
static void expect_body_malformed(const uint8_t *code, size_t n, const char *msg) {
    buf *body = buf_new();
    put(body, 0); /* no locals */
    put_raw(body, code, n);
    buf *m = module_with_body(body, true, false);
    /* the opcode sits right after the locals byte, at the end minus n */
    expect_malformed(m->d, m->n, msg, m->n - n);
    free(body);
    free(m);
}

Test(decode, opcodes_of_missing_proposals_are_named) {
    expect_body_malformed((const uint8_t[]){0x1f, 0x40, 0x00, 0x0b, 0x0b}, 5,
                          "try_table needs feature 'exceptions', which is turned off");
    buf *body = buf_new();
    put_raw(body, "\x00\xfe\x10\x02\x00\x0b", 6);
    buf *mod = module_with_body(body, true, false);
    kiln_decode_options off = {.features = 0};
    expect_malformed_with(mod->d, mod->n, &off,
                          "i32.atomic.load needs feature 'threads', which is turned off", mod->n - 5);
    free(mod);
    free(body);
    expect_body_malformed((const uint8_t[]){0xd4, 0x0b}, 2,
                          "ref.as_non_null needs feature 'function-references', which is turned off");
    expect_body_malformed((const uint8_t[]){0xfb, 0x00, 0x0b}, 3,
                          "the GC proposal is not supported yet: struct.new");
    expect_body_malformed((const uint8_t[]){0xfb, 0x1c, 0x0b}, 3,
                          "the GC proposal is not supported yet: ref.i31");
    expect_body_malformed((const uint8_t[]){0xfb, 0x7f, 0x0b}, 3,
                          "the GC proposal is not supported yet: GC instruction");
    expect_body_malformed((const uint8_t[]){0xfc, 0x13, 0x0b}, 3,
                          "i64.add128 needs feature 'wide-arithmetic', which is turned off");
    expect_body_malformed((const uint8_t[]){0xfc, 0x16, 0x0b}, 3,
                          "i64.mul_wide_u needs feature 'wide-arithmetic', which is turned off");
    expect_body_malformed((const uint8_t[]){0xfc, 0x17, 0x0b}, 3, "illegal opcode");
    /* Relaxed SIMD decodes, but only with its feature (these options have none). */
    expect_body_malformed((const uint8_t[]){0xfd, 0x80, 0x02, 0x0b}, 4,
                          "i8x16.relaxed_swizzle needs feature 'relaxed-simd', which is turned off");
    expect_body_malformed((const uint8_t[]){0xfd, 0x94, 0x02, 0x0b}, 4, "illegal opcode");
    expect_body_malformed((const uint8_t[]){0xff, 0x0b}, 2, "illegal opcode");
}
