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

static kiln_module *decode_ok(const buf *b) {
    kiln_error e;
    kiln_module *m = module_decode(b->d, b->n, NULL, &e);
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
    MALFORMED("malformed section id", 8, HDR, 0x0d, 0x00);
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
    MALFORMED("malformed function type", 11, HDR, 0x01, 0x04, 0x01, 0x5f, 0x00, 0x00);
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
    MALFORMED("malformed import kind", 13, HDR, 0x02, 0x04, 0x01, 0x00, 0x00, 0x04);
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
    MALFORMED("integer too large", 11, HDR, 0x05, 0x02, 0x01, 0x02);
    MALFORMED("integer representation too long", 11, HDR, 0x05, 0x05, 0x01, 0x81, 0x00, 0x00, 0x00);
}

Test(decode, memory64_limits_need_the_feature) {
    static const uint8_t bytes[] = {HDR, 0x05, 0x04, 0x01, 0x05, 0x01, 0x02};
    kiln_decode_options o = {.features = KILN_FEATURE_MEMORY64};
    kiln_module *m = module_decode(bytes, sizeof bytes, &o, NULL);
    cr_assert_not_null(m);
    cr_assert(m->memories[0].is64 && m->memories[0].limits.has_max);
    cr_assert_eq(m->memories[0].limits.max, 2);
    module_free(m);
    expect_malformed(bytes, sizeof bytes, "integer too large", 11);
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
    MALFORMED("malformed export kind", 13, HDR, 0x07, 0x05, 0x01, 0x01, 'x', 0x04, 0x00);
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
    cr_assert_str_eq(e.message, "too many locals");
    cr_assert_eq(e.offset, mod->n - body->n + 1, "offset of the first local count");
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
    const uint8_t bad[][3] = {{0x06, 0x0b}, {0xfc, 0x12}, {0xfd, 0x9a, 0x01}, {0xff}};
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

/* ---- module_strip_code --------------------------------------------------- */

Test(decode, strip_code_keeps_everything_but_bodies_and_foreign_customs) {
    buf *b = rich_module();
    kiln_module *m = decode_ok(b);
    uint8_t *out;
    size_t out_size;
    cr_assert(module_strip_code(m, b->d, b->n, &out, &out_size));
    cr_assert_lt(out_size, b->n);
    kiln_error e;
    kiln_module *s = module_decode(out, out_size, NULL, &e);
    cr_assert_not_null(s, "stripped module decodes: %s", e.message);
    cr_assert_eq(s->num_funcs, m->num_funcs);
    cr_assert_eq(s->funcs[0].type_index, m->funcs[0].type_index);
    cr_assert_eq(s->funcs[0].num_insns, 1, "body is just `end`");
    cr_assert_eq(s->funcs[0].num_local_groups, 0);
    cr_assert_eq(s->funcs[0].body_size, 2);
    cr_assert_eq(s->num_memories, 1);
    cr_assert_eq(s->num_datas, m->num_datas);
    cr_assert_eq(s->num_customs, 0, "\"extra\" dropped");
    cr_assert_str_eq(module_func_name(s, 0), "f", "name section kept");
    module_free(s);
    module_free(m);
    free(out);
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
    case KILN_IMM_HEAPTYPE: put(b, KILN_FUNCREF); break;
    case KILN_IMM_SELECT_T: put_raw(b, "\x01\x7f", 2); break;
    default: put(b, 0); break; /* one index */
    }
}

/* A body holding every opcode of the table once; blocks are closed at once. */
static void put_every_opcode(buf *body) {
    put(body, 0);
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        if (op == KILN_OP_END || op == KILN_OP_ELSE) continue;
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
        cr_assert_str_eq(kiln_opcode_table[in->op].text, names[i], "instruction %zu", i);
    }
    module_free(m);
    free(mod);
    free(body);
}
