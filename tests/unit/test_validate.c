/* test_validate.c - compiler/validate.c and validate_code.c.
 *
 * Modules are built byte by byte with the tiny builder below (sections,
 * bodies assembled from opcode names through the opcode table), decoded
 * with module_decode() and validated.  Rejections are checked for the
 * spec suite's exact message and the byte offset of the offending
 * instruction, which the builder records while assembling. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

/* ---------------------------------------------------------------------
 * Byte buffers and a one-instruction-at-a-time assembler. */

typedef struct bytes {
    uint8_t data[1 << 16];
    size_t len;
} bytes;

static void b_byte(bytes *b, uint8_t x) {
    cr_assert_lt(b->len, sizeof b->data, "test buffer overflow");
    b->data[b->len++] = x;
}

static void b_raw(bytes *b, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) b_byte(b, ((const uint8_t *)p)[i]);
}

static void b_u32(bytes *b, uint64_t v) {
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        b_byte(b, (uint8_t)(x | (v ? 0x80 : 0)));
    } while (v);
}

static void b_s64(bytes *b, int64_t v) {
    for (;;) {
        uint8_t x = v & 0x7f;
        v >>= 7;
        bool done = (v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40));
        b_byte(b, (uint8_t)(x | (done ? 0 : 0x80)));
        if (done) return;
    }
}

static void b_name(bytes *b, const char *s) {
    b_u32(b, strlen(s));
    b_raw(b, s, strlen(s));
}

/* Value types by letter: i I f F v, r = funcref, e = externref. */
static uint8_t vt(char c) {
    switch (c) {
    case 'i': return KILN_I32;
    case 'I': return KILN_I64;
    case 'f': return KILN_F32;
    case 'F': return KILN_F64;
    case 'v': return KILN_V128;
    case 'r': return KILN_FUNCREF;
    case 'e': return KILN_EXTERNREF;
    }
    cr_assert_fail("bad type letter %c", c);
    return 0;
}

static void b_types(bytes *b, const char *letters) {
    b_u32(b, strlen(letters));
    for (const char *p = letters; *p; p++) b_byte(b, vt(*p));
}

/* Emits an opcode from the table (prefix + LEB code for prefixed ones)
 * and returns the position it was written at. */
static size_t op(bytes *b, kiln_opcode o) {
    size_t at = b->len;
    const kiln_opcode_info *info = &kiln_opcode_table[o];
    if (info->prefix) {
        b_byte(b, info->prefix);
        b_u32(b, info->code);
    } else {
        b_byte(b, (uint8_t)info->code);
    }
    return at;
}

static size_t op_u(bytes *b, kiln_opcode o, uint32_t imm) {
    size_t at = op(b, o);
    b_u32(b, imm);
    return at;
}

static size_t i32c(bytes *b, int32_t v) {
    size_t at = op(b, KILN_OP_I32_CONST);
    b_s64(b, v);
    return at;
}

static size_t i64c(bytes *b, int64_t v) {
    size_t at = op(b, KILN_OP_I64_CONST);
    b_s64(b, v);
    return at;
}

/* block/loop/if with an empty (0), single value ('i'...) or type index
 * (kind 't') block type. */
static size_t blk(bytes *b, kiln_opcode o, char kind, uint32_t type_index) {
    size_t at = op(b, o);
    if (kind == 0) b_byte(b, 0x40);
    else if (kind == 't') b_s64(b, type_index);
    else b_byte(b, vt(kind));
    return at;
}

static size_t memop(bytes *b, kiln_opcode o, uint32_t align, uint32_t offset) {
    size_t at = op(b, o);
    b_u32(b, align);
    b_u32(b, offset);
    return at;
}

/* ---------------------------------------------------------------------
 * The module builder: items per section, assembled in section order. */

enum { SEC_TYPE = 1, SEC_IMPORT, SEC_FUNC, SEC_TABLE, SEC_MEMORY, SEC_GLOBAL, SEC_EXPORT,
       SEC_START, SEC_ELEM, SEC_CODE, SEC_DATA, SEC_DATACOUNT, SEC_COUNT };

typedef struct builder {
    bytes sec[SEC_COUNT];
    uint32_t count[SEC_COUNT];
    bool present[SEC_COUNT];
    size_t body_code_at[16]; /* position of each body's first instruction in sec[SEC_CODE] */
    uint32_t num_bodies;
    size_t code_items_at;    /* where sec[SEC_CODE]'s items start in the module */
    size_t items_at[SEC_COUNT]; /* the same for every section */
    bytes module;
    uint32_t features;
    kiln_module *m;
    kiln_error err;
} builder;

static builder *builder_new(void) {
    builder *mb = calloc(1, sizeof *mb);
    cr_assert_not_null(mb);
    return mb;
}

static void builder_free(builder *mb) {
    if (mb->m) module_free(mb->m);
    free(mb);
}

static bytes *item(builder *mb, int id) {
    mb->count[id]++;
    mb->present[id] = true;
    return &mb->sec[id];
}

/* "ii:i" -> (func (param i32 i32) (result i32)) */
static uint32_t add_type(builder *mb, const char *sig) {
    const char *colon = strchr(sig, ':');
    char params[64] = {0};
    memcpy(params, sig, (size_t)(colon - sig));
    bytes *b = item(mb, SEC_TYPE);
    b_byte(b, 0x60);
    b_types(b, params);
    b_types(b, colon + 1);
    return mb->count[SEC_TYPE] - 1;
}

static void add_import_func(builder *mb, uint32_t type) {
    bytes *b = item(mb, SEC_IMPORT);
    b_name(b, "m");
    b_name(b, "f");
    b_byte(b, KILN_EXTERN_FUNC);
    b_u32(b, type);
}

static void add_import_global(builder *mb, char type, bool mut) {
    bytes *b = item(mb, SEC_IMPORT);
    b_name(b, "m");
    b_name(b, "g");
    b_byte(b, KILN_EXTERN_GLOBAL);
    b_byte(b, vt(type));
    b_byte(b, mut);
}

static void b_limits(bytes *b, uint64_t min, int64_t max) {
    b_byte(b, max >= 0 ? 1 : 0);
    b_u32(b, min);
    if (max >= 0) b_u32(b, (uint64_t)max);
}

static void add_table(builder *mb, char elem, uint64_t min, int64_t max) {
    bytes *b = item(mb, SEC_TABLE);
    b_byte(b, vt(elem));
    b_limits(b, min, max);
}

static void add_memory(builder *mb, uint64_t min, int64_t max) {
    b_limits(item(mb, SEC_MEMORY), min, max);
}

/* A global whose initialiser is `init` (without the final end). */
static void add_global(builder *mb, char type, bool mut, const bytes *init) {
    bytes *b = item(mb, SEC_GLOBAL);
    b_byte(b, vt(type));
    b_byte(b, mut);
    b_raw(b, init->data, init->len);
    op(b, KILN_OP_END);
}

static void add_export(builder *mb, const char *name, kiln_extern_kind kind, uint32_t index) {
    bytes *b = item(mb, SEC_EXPORT);
    b_name(b, name);
    b_byte(b, kind);
    b_u32(b, index);
}

/* A function of type `type` with one local per letter of `locals` and
 * body `code` (which must end with its own `end`).  Returns its number
 * among the module's bodies. */
static uint32_t add_func(builder *mb, uint32_t type, const char *locals, const bytes *code) {
    b_u32(item(mb, SEC_FUNC), type);
    bytes body = {.len = 0};
    b_u32(&body, strlen(locals));
    for (const char *p = locals; *p; p++) {
        b_u32(&body, 1);
        b_byte(&body, vt(*p));
    }
    size_t code_in_body = body.len;
    b_raw(&body, code->data, code->len);
    bytes *b = item(mb, SEC_CODE);
    b_u32(b, body.len);
    mb->body_code_at[mb->num_bodies] = b->len + code_in_body;
    b_raw(b, body.data, body.len);
    return mb->num_bodies++;
}

static void section_emit(builder *mb, int id) {
    if (!mb->present[id]) return;
    bytes content = {.len = 0};
    if (id != SEC_START && id != SEC_DATACOUNT) b_u32(&content, mb->count[id]);
    size_t items_at = content.len;
    b_raw(&content, mb->sec[id].data, mb->sec[id].len);
    b_byte(&mb->module, (uint8_t)id);
    b_u32(&mb->module, content.len);
    if (id == SEC_CODE) mb->code_items_at = mb->module.len + items_at;
    mb->items_at[id] = mb->module.len + items_at;
    b_raw(&mb->module, content.data, content.len);
}

static void module_assemble(builder *mb) {
    static const int order[] = {SEC_TYPE,   SEC_IMPORT, SEC_FUNC,  SEC_TABLE,     SEC_MEMORY,
                                SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEM,      SEC_DATACOUNT,
                                SEC_CODE,   SEC_DATA};
    mb->module.len = 0;
    b_raw(&mb->module, "\0asm\1\0\0\0", 8);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) section_emit(mb, order[i]);
}

/* Module offset of the instruction at `pos` in body `body`'s code bytes. */
static uint64_t at_code(const builder *mb, uint32_t body, size_t pos) {
    return mb->code_items_at + mb->body_code_at[body] + pos;
}

/* Module offset of the item written at `pos` in section `id`'s items
 * (take pos = mb->sec[id].len just before adding the item). */
static uint64_t at_item(const builder *mb, int id, size_t pos) {
    return mb->items_at[id] + pos;
}

/* Decodes (which must succeed) and validates. */
static bool build_and_validate(builder *mb) {
    module_assemble(mb);
    kiln_decode_options opts = {.features = mb->features};
    mb->m = module_decode(mb->module.data, mb->module.len, &opts, &mb->err);
    cr_assert_not_null(mb->m, "decode failed: %s at 0x%llx", mb->err.message,
                       (unsigned long long)mb->err.offset);
    return module_validate(mb->m, &mb->err);
}

static void expect_valid(builder *mb) {
    bool ok = build_and_validate(mb);
    cr_assert(ok, "unexpected rejection: %s at 0x%llx", mb->err.message,
              (unsigned long long)mb->err.offset);
    cr_assert(mb->m->validated);
}

static void expect_invalid(builder *mb, const char *message) {
    bool ok = build_and_validate(mb);
    cr_assert_not(ok, "accepted, expected \"%s\"", message);
    cr_assert_eq(mb->err.kind, KILN_ERR_INVALID);
    cr_assert_str_eq(mb->err.message, message);
    cr_assert_not(mb->m->validated);
}

/* Rejection inside body 0 at the instruction written at `pos`. */
static void expect_invalid_at(builder *mb, const char *message, size_t pos) {
    expect_invalid(mb, message);
    cr_assert_eq(mb->err.offset, at_code(mb, 0, pos), "offset 0x%llx, expected 0x%llx",
                 (unsigned long long)mb->err.offset, (unsigned long long)at_code(mb, 0, pos));
}

/* The common shape: one function of signature `sig` and body `code`. */
static builder *one_func(const char *sig, const char *locals, const bytes *code) {
    builder *mb = builder_new();
    add_func(mb, add_type(mb, sig), locals, code);
    return mb;
}

/* ---------------------------------------------------------------------
 * Operand stack typing from the opcode table. */

Test(validate_stack, accepts_arithmetic_and_records_max_stack) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    op_u(&c, KILN_OP_LOCAL_GET, 1);
    i32c(&c, 3);
    op(&c, KILN_OP_I32_MUL);
    op(&c, KILN_OP_I32_ADD);
    op(&c, KILN_OP_END);
    builder *mb = one_func("ii:i", "", &c);
    expect_valid(mb);
    kiln_func *f = &mb->m->funcs[0];
    cr_assert_eq(f->max_stack, 3);
    cr_assert_eq(f->max_control, 1);
    builder_free(mb);
}

Test(validate_stack, rejects_operand_of_wrong_type_at_the_consumer) {
    bytes c = {.len = 0};
    i32c(&c, 1);
    i64c(&c, 2);
    size_t add = op(&c, KILN_OP_I32_ADD);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_invalid_at(mb, "type mismatch", add);
    cr_assert_eq(mb->err.func_index, 0);
    builder_free(mb);
}

Test(validate_stack, rejects_pop_from_empty_stack) {
    bytes c = {.len = 0};
    size_t neg = op(&c, KILN_OP_F32_NEG);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", neg);
    builder_free(mb);
}

Test(validate_stack, rejects_leftover_value_at_function_end) {
    bytes c = {.len = 0};
    i32c(&c, 1);
    size_t end = op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", end);
    builder_free(mb);
}

Test(validate_stack, error_names_the_function_in_the_index_space) {
    builder *mb = builder_new();
    uint32_t t = add_type(mb, ":");
    add_import_func(mb, t);
    bytes ok = {.len = 0}, bad = {.len = 0};
    op(&ok, KILN_OP_END);
    size_t drop = op(&bad, KILN_OP_DROP);
    op(&bad, KILN_OP_END);
    add_func(mb, t, "", &ok);
    add_func(mb, t, "", &bad);
    expect_invalid(mb, "type mismatch");
    cr_assert_eq(mb->err.func_index, 2);
    cr_assert_eq(mb->err.offset, at_code(mb, 1, drop));
    builder_free(mb);
}

Test(validate_stack, unreachable_makes_the_stack_polymorphic) {
    bytes c = {.len = 0};
    op(&c, KILN_OP_UNREACHABLE);
    op(&c, KILN_OP_I32_ADD); /* pops two unknowns */
    op(&c, KILN_OP_I64_EQZ); /* an i32 is on the stack now: must fail */
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_invalid(mb, "type mismatch");
    builder_free(mb);

    bytes c2 = {.len = 0};
    op(&c2, KILN_OP_UNREACHABLE);
    op(&c2, KILN_OP_I32_ADD);
    op(&c2, KILN_OP_END);
    mb = one_func(":i", "", &c2);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_stack, polymorphic_stack_still_types_known_values) {
    bytes c = {.len = 0};
    op(&c, KILN_OP_RETURN);
    i64c(&c, 0);
    size_t add = op(&c, KILN_OP_I32_ADD);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", add);
    builder_free(mb);
}

Test(validate_stack, select_requires_equal_numeric_operands) {
    bytes c = {.len = 0};
    i32c(&c, 1);
    i64c(&c, 2);
    i32c(&c, 0);
    size_t sel = op(&c, KILN_OP_SELECT);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", sel);
    builder_free(mb);
}

Test(validate_stack, untyped_select_refuses_references) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    i32c(&c, 0);
    size_t sel = op(&c, KILN_OP_SELECT);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func("e:", "", &c);
    expect_invalid_at(mb, "type mismatch", sel);
    builder_free(mb);
}

Test(validate_stack, typed_select_accepts_references_and_checks_arity) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    i32c(&c, 0);
    op(&c, KILN_OP_SELECT_T);
    b_types(&c, "e");
    op(&c, KILN_OP_END);
    builder *mb = one_func("e:e", "", &c);
    expect_valid(mb);
    builder_free(mb);

    bytes c2 = {.len = 0};
    i32c(&c2, 1);
    i32c(&c2, 1);
    i32c(&c2, 0);
    size_t sel = op(&c2, KILN_OP_SELECT_T);
    b_types(&c2, "ii");
    op(&c2, KILN_OP_END);
    mb = one_func(":i", "", &c2);
    expect_invalid_at(mb, "invalid result arity", sel);
    builder_free(mb);
}

/* Pushes a constant of type `t` (a value type code). */
static void push_const(bytes *c, uint8_t t) {
    switch (t) {
    case KILN_I32: i32c(c, 7); return;
    case KILN_I64: i64c(c, 7); return;
    case KILN_F32: op(c, KILN_OP_F32_CONST); b_raw(c, "\0\0\0\0", 4); return;
    case KILN_F64: op(c, KILN_OP_F64_CONST); b_raw(c, "\0\0\0\0\0\0\0\0", 8); return;
    default: op(c, KILN_OP_V128_CONST); b_raw(c, "0123456789abcdef", 16); return;
    }
}

/* A type other than `t`, for the negative case. */
static uint8_t other_type(uint8_t t) { return t == KILN_I32 ? KILN_F64 : KILN_I32; }

/* Every row of opcodes.def with a fixed signature and no immediate is
 * typed from that signature: its operands in order, its results. */
Test(validate_stack, every_fixed_signature_row_types_its_operands) {
    int checked = 0;
    for (int o = 0; o < KILN_OP_COUNT; o++) {
        const kiln_opcode_info *info = &kiln_opcode_table[o];
        const char *colon = strchr(info->signature, ':');
        if (!colon || info->imm != KILN_IMM_NONE || colon == info->signature) continue;
        size_t np = (size_t)(colon - info->signature);
        for (int wrong = 0; wrong < 2; wrong++) {
            bytes c = {.len = 0};
            for (size_t k = 0; k < np; k++) {
                uint8_t t = vt(info->signature[k]);
                push_const(&c, wrong && k == 0 ? other_type(t) : t);
            }
            size_t at = op(&c, (kiln_opcode)o);
            for (const char *r = colon + 1; *r; r++) op(&c, KILN_OP_DROP);
            op(&c, KILN_OP_END);
            builder *mb = one_func(":", "", &c);
            mb->features = features_all(); /* relaxed SIMD rows too */
            if (wrong) expect_invalid_at(mb, "type mismatch", at);
            else expect_valid(mb);
            builder_free(mb);
        }
        checked++;
    }
    cr_assert_gt(checked, 300, "only %d rows checked", checked);
}

/* ---------------------------------------------------------------------
 * Control: blocks, branches, annotations for lowering. */

Test(validate_control, records_else_and_end_indices) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 0);  /* 0 */
    blk(&c, KILN_OP_IF, 'i', 0);     /* 1 */
    i32c(&c, 1);                     /* 2 */
    op(&c, KILN_OP_ELSE);            /* 3 */
    blk(&c, KILN_OP_BLOCK, 'i', 0);  /* 4 */
    i32c(&c, 2);                     /* 5 */
    op(&c, KILN_OP_END);             /* 6 */
    op(&c, KILN_OP_END);             /* 7 */
    op(&c, KILN_OP_END);             /* 8 */
    builder *mb = one_func("i:i", "", &c);
    expect_valid(mb);
    kiln_func *f = &mb->m->funcs[0];
    cr_assert_eq(f->num_insns, 9);
    cr_assert_eq(f->insns[1].imm.block.else_index, 3);
    cr_assert_eq(f->insns[1].imm.block.end_index, 7);
    cr_assert_eq(f->insns[4].imm.block.else_index, UINT32_MAX);
    cr_assert_eq(f->insns[4].imm.block.end_index, 6);
    cr_assert_eq(f->max_control, 3);
    builder_free(mb);
}

/* Lowering sizes its table of loop headers by this count: nested loops,
 * loops after an unreachable, a second body counted from zero. */
Test(validate_control, records_the_loop_count_of_each_body) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_LOOP, 0, 0);
    blk(&c, KILN_OP_BLOCK, 0, 0);
    blk(&c, KILN_OP_LOOP, 0, 0);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_UNREACHABLE);
    blk(&c, KILN_OP_LOOP, 0, 0);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    bytes c2 = {.len = 0};
    blk(&c2, KILN_OP_LOOP, 0, 0);
    op(&c2, KILN_OP_END);
    op(&c2, KILN_OP_END);
    bytes c3 = {.len = 0};
    op(&c3, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    add_func(mb, 0, "", &c2);
    add_func(mb, 0, "", &c3);
    expect_valid(mb);
    cr_assert_eq(mb->m->funcs[0].num_loops, 3);
    cr_assert_eq(mb->m->funcs[1].num_loops, 1);
    cr_assert_eq(mb->m->funcs[2].num_loops, 0);
    builder_free(mb);
}

Test(validate_control, block_result_must_be_produced) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 'i', 0);
    size_t end = op(&c, KILN_OP_END);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", end);
    builder_free(mb);
}

Test(validate_control, block_cannot_pop_values_from_outside) {
    bytes c = {.len = 0};
    i32c(&c, 1);
    blk(&c, KILN_OP_BLOCK, 0, 0);
    size_t drop = op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", drop);
    builder_free(mb);
}

Test(validate_control, multi_value_block_takes_params_from_the_stack) {
    builder *mb = builder_new();
    uint32_t fn = add_type(mb, ":I");
    uint32_t bt = add_type(mb, "iI:Ii");
    bytes c = {.len = 0};
    i32c(&c, 1);
    i64c(&c, 2);
    blk(&c, KILN_OP_BLOCK, 't', bt);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_I64_EXTEND_I32_S);
    i32c(&c, 7);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    add_func(mb, fn, "", &c);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_control, unknown_block_type_index) {
    bytes c = {.len = 0};
    size_t b = blk(&c, KILN_OP_BLOCK, 't', 5);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "unknown type 5", b);
    builder_free(mb);
}

Test(validate_control, if_without_else_needs_params_equal_results) {
    builder *mb = builder_new();
    uint32_t fn = add_type(mb, ":i");
    uint32_t same = add_type(mb, "i:i");
    bytes c = {.len = 0};
    i32c(&c, 5);
    i32c(&c, 1);
    blk(&c, KILN_OP_IF, 't', same);
    op(&c, KILN_OP_I32_EQZ);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    add_func(mb, fn, "", &c);
    expect_valid(mb);
    builder_free(mb);

    bytes c2 = {.len = 0};
    i32c(&c2, 1);
    blk(&c2, KILN_OP_IF, 'i', 0);
    i32c(&c2, 2);
    size_t end = op(&c2, KILN_OP_END);
    op(&c2, KILN_OP_END);
    mb = one_func(":i", "", &c2);
    expect_invalid_at(mb, "type mismatch", end);
    builder_free(mb);
}

Test(validate_control, if_condition_must_be_i32) {
    bytes c = {.len = 0};
    i64c(&c, 1);
    size_t i = blk(&c, KILN_OP_IF, 0, 0);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", i);
    builder_free(mb);
}

Test(validate_control, else_outside_if_is_refused) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 0, 0);
    size_t e = op(&c, KILN_OP_ELSE);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    cr_assert_not(build_and_validate(mb));
    cr_assert_eq(mb->err.offset, at_code(mb, 0, e));
    builder_free(mb);
}

Test(validate_control, branch_to_loop_carries_its_params) {
    builder *mb = builder_new();
    uint32_t fn = add_type(mb, ":");
    uint32_t lt = add_type(mb, "i:");
    bytes c = {.len = 0};
    i32c(&c, 1);
    blk(&c, KILN_OP_LOOP, 't', lt);
    op_u(&c, KILN_OP_BR_IF, 0); /* pops the condition, leaves the i32 param for the loop */
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    add_func(mb, fn, "", &c);
    /* br_if 0 needs [i32 i32]: one param and the condition; only one is there. */
    expect_invalid(mb, "type mismatch");
    builder_free(mb);

    mb = builder_new();
    fn = add_type(mb, ":");
    lt = add_type(mb, "i:");
    bytes c2 = {.len = 0};
    i32c(&c2, 1);
    blk(&c2, KILN_OP_LOOP, 't', lt);
    i32c(&c2, 0);
    op_u(&c2, KILN_OP_BR_IF, 0);
    op(&c2, KILN_OP_DROP);
    op(&c2, KILN_OP_END);
    op(&c2, KILN_OP_END);
    add_func(mb, fn, "", &c2);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_control, unknown_label) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 0, 0);
    size_t br = op_u(&c, KILN_OP_BR, 2);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "unknown label 2", br);
    builder_free(mb);
}

Test(validate_control, br_makes_the_rest_polymorphic) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 'F', 0);
    op(&c, KILN_OP_F64_CONST);
    b_raw(&c, "\0\0\0\0\0\0\0\0", 8);
    op_u(&c, KILN_OP_BR, 0);
    op(&c, KILN_OP_I32_ADD);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":F", "", &c);
    expect_valid(mb);
    builder_free(mb);
}

static size_t br_table(bytes *c, const uint32_t *labels, uint32_t count, uint32_t dflt) {
    size_t at = op(c, KILN_OP_BR_TABLE);
    b_u32(c, count);
    for (uint32_t i = 0; i < count; i++) b_u32(c, labels[i]);
    b_u32(c, dflt);
    return at;
}

Test(validate_control, br_table_targets_must_agree_on_arity) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 'i', 0); /* label 1: [i32] */
    blk(&c, KILN_OP_BLOCK, 0, 0);   /* label 0: [] */
    i32c(&c, 1);
    i32c(&c, 0);
    size_t bt = br_table(&c, (uint32_t[]){0}, 1, 1);
    op(&c, KILN_OP_END);
    i32c(&c, 1);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_invalid_at(mb, "type mismatch", bt);
    builder_free(mb);
}

Test(validate_control, br_table_checks_every_target_type) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 'i', 0); /* label 1: [i32] */
    blk(&c, KILN_OP_BLOCK, 'f', 0); /* label 0: [f32] */
    i32c(&c, 1);
    i32c(&c, 0);
    size_t bt = br_table(&c, (uint32_t[]){0}, 1, 1);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_DROP);
    i32c(&c, 1);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_invalid_at(mb, "type mismatch", bt);
    builder_free(mb);
}

Test(validate_control, br_table_in_unreachable_code_accepts_differing_types) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 'i', 0);
    blk(&c, KILN_OP_BLOCK, 'f', 0);
    op(&c, KILN_OP_UNREACHABLE);
    br_table(&c, (uint32_t[]){0}, 1, 1);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_DROP);
    i32c(&c, 1);
    op(&c, KILN_OP_END);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_control, return_checks_function_results) {
    bytes c = {.len = 0};
    blk(&c, KILN_OP_BLOCK, 0, 0);
    i64c(&c, 1);
    size_t r = op(&c, KILN_OP_RETURN);
    op(&c, KILN_OP_END);
    i32c(&c, 0);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_invalid_at(mb, "type mismatch", r);
    builder_free(mb);
}

Test(validate_control, deep_nesting_is_validated_without_recursion) {
    enum { DEPTH = 20000 };
    bytes *c = calloc(1, sizeof *c);
    for (int i = 0; i < DEPTH; i++) blk(c, KILN_OP_BLOCK, 0, 0);
    for (int i = 0; i < DEPTH; i++) op(c, KILN_OP_END);
    op(c, KILN_OP_END);
    builder *mb = one_func(":", "", c);
    expect_valid(mb);
    cr_assert_eq(mb->m->funcs[0].max_control, DEPTH + 1);
    cr_assert_eq(mb->m->funcs[0].insns[0].imm.block.end_index, 2 * DEPTH - 1);
    builder_free(mb);
    free(c);
}

/* ---------------------------------------------------------------------
 * Locals and globals. */

Test(validate_vars, expands_local_types_after_params) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 3);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func("iF:", "Iv", &c);
    expect_valid(mb);
    kiln_func *f = &mb->m->funcs[0];
    cr_assert_eq(f->num_locals, 2);
    uint8_t want[] = {KILN_I32, KILN_F64, KILN_I64, KILN_V128};
    cr_assert_arr_eq(f->local_types, want, sizeof want);
    builder_free(mb);
}

Test(validate_vars, unknown_local) {
    bytes c = {.len = 0};
    size_t g = op_u(&c, KILN_OP_LOCAL_GET, 2);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func("i:", "f", &c);
    expect_invalid_at(mb, "unknown local 2", g);
    builder_free(mb);
}

Test(validate_vars, local_tee_types_its_value) {
    bytes c = {.len = 0};
    i32c(&c, 1);
    op_u(&c, KILN_OP_LOCAL_TEE, 0);
    size_t add = op(&c, KILN_OP_F32_NEG);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func("i:", "", &c);
    expect_invalid_at(mb, "type mismatch", add);
    builder_free(mb);
}

Test(validate_vars, global_set_needs_a_mutable_global) {
    builder *mb = builder_new();
    add_import_global(mb, 'i', false);
    bytes c = {.len = 0};
    i32c(&c, 1);
    size_t set = op_u(&c, KILN_OP_GLOBAL_SET, 0);
    op(&c, KILN_OP_END);
    add_func(mb, add_type(mb, ":"), "", &c);
    expect_invalid_at(mb, "global is immutable", set);
    builder_free(mb);
}

Test(validate_vars, unknown_global_in_body) {
    bytes c = {.len = 0};
    size_t get = op_u(&c, KILN_OP_GLOBAL_GET, 0);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_invalid_at(mb, "unknown global 0", get);
    builder_free(mb);
}

/* ---------------------------------------------------------------------
 * Constant expressions. */

static bytes expr1(kiln_opcode o, uint32_t imm) {
    bytes e = {.len = 0};
    op_u(&e, o, imm);
    return e;
}

Test(validate_const, global_init_must_be_constant) {
    builder *mb = builder_new();
    bytes e = {.len = 0};
    i32c(&e, 1);
    op(&e, KILN_OP_I32_CLZ);
    add_global(mb, 'i', false, &e);
    expect_invalid(mb, "constant expression required");
    builder_free(mb);
}

Test(validate_const, global_init_type_must_match) {
    builder *mb = builder_new();
    bytes e = {.len = 0};
    i64c(&e, 1);
    add_global(mb, 'i', false, &e);
    expect_invalid(mb, "type mismatch");
    builder_free(mb);
}

Test(validate_const, global_init_may_read_only_imported_immutable_globals) {
    builder *mb = builder_new();
    add_import_global(mb, 'i', false);
    bytes e = expr1(KILN_OP_GLOBAL_GET, 0);
    add_global(mb, 'i', false, &e);
    expect_valid(mb);
    builder_free(mb);

    mb = builder_new();
    add_import_global(mb, 'i', true);
    add_global(mb, 'i', false, &e);
    expect_invalid(mb, "constant expression required");
    builder_free(mb);

    mb = builder_new();
    bytes zero = {.len = 0};
    i32c(&zero, 0);
    add_global(mb, 'i', false, &zero);
    add_global(mb, 'i', false, &e);
    expect_invalid(mb, "unknown global 0");
    builder_free(mb);
}

Test(validate_const, extended_const_arithmetic_only_with_the_feature) {
    bytes e = {.len = 0};
    i32c(&e, 1);
    i32c(&e, 2);
    op(&e, KILN_OP_I32_ADD);
    builder *mb = builder_new();
    add_global(mb, 'i', false, &e);
    expect_invalid(mb, "constant expression required");
    builder_free(mb);

    mb = builder_new();
    mb->features = KILN_FEATURE_EXTENDED_CONST;
    add_global(mb, 'i', false, &e);
    expect_valid(mb);
    builder_free(mb);

    bytes bad = {.len = 0};
    i32c(&bad, 1);
    i64c(&bad, 2);
    op(&bad, KILN_OP_I64_MUL);
    mb = builder_new();
    mb->features = KILN_FEATURE_EXTENDED_CONST;
    add_global(mb, 'I', false, &bad);
    expect_invalid(mb, "type mismatch");
    builder_free(mb);
}

Test(validate_const, ref_func_in_global_declares_the_function) {
    builder *mb = builder_new();
    uint32_t t = add_type(mb, ":");
    bytes body = {.len = 0};
    op_u(&body, KILN_OP_REF_FUNC, 0);
    op(&body, KILN_OP_DROP);
    op(&body, KILN_OP_END);
    add_func(mb, t, "", &body);
    bytes e = expr1(KILN_OP_REF_FUNC, 0);
    add_global(mb, 'r', false, &e);
    expect_valid(mb);
    builder_free(mb);
}

/* ---------------------------------------------------------------------
 * Function references. */

Test(validate_refs, ref_func_needs_a_declaration) {
    bytes c = {.len = 0};
    size_t rf = op_u(&c, KILN_OP_REF_FUNC, 0);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "undeclared function reference", rf);
    builder_free(mb);

    mb = one_func(":", "", &c);
    add_export(mb, "f", KILN_EXTERN_FUNC, 0);
    expect_valid(mb);
    builder_free(mb);

    mb = one_func(":", "", &c);
    bytes *el = item(mb, SEC_ELEM); /* declarative segment: flags 3, elemkind, vec(funcidx) */
    b_u32(el, 3);
    b_byte(el, 0);
    b_u32(el, 1);
    b_u32(el, 0);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_refs, ref_func_unknown_function) {
    bytes c = {.len = 0};
    size_t rf = op_u(&c, KILN_OP_REF_FUNC, 9);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "unknown function 9", rf);
    builder_free(mb);
}

Test(validate_refs, ref_is_null_needs_a_reference) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    size_t isnull = op(&c, KILN_OP_REF_IS_NULL);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "type mismatch", isnull);
    builder_free(mb);
}

/* ---------------------------------------------------------------------
 * Calls and tables. */

Test(validate_calls, call_uses_the_callee_type) {
    builder *mb = builder_new();
    uint32_t t = add_type(mb, "I:f");
    bytes c = {.len = 0};
    i32c(&c, 1);
    size_t call = op_u(&c, KILN_OP_CALL, 0);
    op(&c, KILN_OP_END);
    add_func(mb, t, "", &c);
    expect_invalid_at(mb, "type mismatch", call);
    builder_free(mb);
}

Test(validate_calls, unknown_function) {
    bytes c = {.len = 0};
    size_t call = op_u(&c, KILN_OP_CALL, 1);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "unknown function 1", call);
    builder_free(mb);
}

static size_t call_indirect(bytes *c, uint32_t type, uint32_t table) {
    size_t at = op(c, KILN_OP_CALL_INDIRECT);
    b_u32(c, type);
    b_u32(c, table);
    return at;
}

Test(validate_calls, call_indirect_needs_a_funcref_table) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    size_t ci = call_indirect(&c, 0, 0);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    expect_invalid_at(mb, "unknown table 0", ci);
    builder_free(mb);

    mb = one_func(":", "", &c);
    add_table(mb, 'e', 1, -1);
    expect_invalid_at(mb, "type mismatch", ci);
    builder_free(mb);

    mb = one_func(":", "", &c);
    add_table(mb, 'r', 1, -1);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_tables, table_copy_needs_equal_element_types) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    i32c(&c, 0);
    i32c(&c, 0);
    size_t tc = op(&c, KILN_OP_TABLE_COPY);
    b_u32(&c, 0);
    b_u32(&c, 1);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    add_table(mb, 'r', 1, -1);
    add_table(mb, 'e', 1, -1);
    expect_invalid_at(mb, "type mismatch", tc);
    builder_free(mb);
}

Test(validate_tables, table_init_checks_segment_and_types) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    i32c(&c, 0);
    i32c(&c, 0);
    size_t ti = op(&c, KILN_OP_TABLE_INIT);
    b_u32(&c, 0); /* elem */
    b_u32(&c, 0); /* table */
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    add_table(mb, 'e', 1, -1);
    expect_invalid_at(mb, "unknown elem segment 0", ti);
    builder_free(mb);

    mb = one_func(":", "", &c);
    add_table(mb, 'e', 1, -1);
    bytes *el = item(mb, SEC_ELEM); /* passive funcref segment: flags 1, elemkind 0 */
    b_u32(el, 1);
    b_byte(el, 0);
    b_u32(el, 0);
    expect_invalid_at(mb, "type mismatch", ti);
    builder_free(mb);
}

Test(validate_tables, table_get_pushes_the_element_type) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    op_u(&c, KILN_OP_TABLE_GET, 0);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":e", "", &c);
    add_table(mb, 'e', 1, -1);
    expect_valid(mb);
    builder_free(mb);

    mb = one_func(":r", "", &c);
    add_table(mb, 'e', 1, -1);
    expect_invalid(mb, "type mismatch");
    builder_free(mb);
}

/* ---------------------------------------------------------------------
 * Memory instructions: memory existence, alignment, lanes, data count. */

Test(validate_memory, load_needs_a_memory) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    size_t ld = memop(&c, KILN_OP_I32_LOAD, 2, 0);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    expect_invalid_at(mb, "unknown memory 0", ld);
    builder_free(mb);
}

Test(validate_memory, alignment_at_most_natural) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    memop(&c, KILN_OP_I64_LOAD16_U, 1, 0);
    i32c(&c, 0);
    size_t ld = memop(&c, KILN_OP_I64_LOAD16_U, 2, 0);
    op(&c, KILN_OP_I64_ADD);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":I", "", &c);
    add_memory(mb, 1, -1);
    expect_invalid_at(mb, "alignment must not be larger than natural", ld);
    builder_free(mb);
}

Test(validate_memory, lane_index_below_lane_count) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    op(&c, KILN_OP_I32X4_EXTRACT_LANE);
    b_byte(&c, 3);
    op(&c, KILN_OP_DROP);
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    size_t ex = op(&c, KILN_OP_I64X2_EXTRACT_LANE);
    b_byte(&c, 2);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func("v:", "", &c);
    expect_invalid_at(mb, "invalid lane index", ex);
    builder_free(mb);
}

Test(validate_memory, shuffle_lanes_below_32) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    op_u(&c, KILN_OP_LOCAL_GET, 0);
    size_t sh = op(&c, KILN_OP_I8X16_SHUFFLE);
    for (int i = 0; i < 16; i++) b_byte(&c, (uint8_t)(i == 5 ? 32 : 31 - i));
    op(&c, KILN_OP_END);
    builder *mb = one_func("v:v", "", &c);
    expect_invalid_at(mb, "invalid lane index", sh);
    builder_free(mb);
}

Test(validate_memory, memory_init_needs_a_known_data_segment) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    i32c(&c, 0);
    i32c(&c, 0);
    size_t mi = op(&c, KILN_OP_MEMORY_INIT);
    b_u32(&c, 1);
    b_byte(&c, 0);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":", "", &c);
    add_memory(mb, 1, -1);
    b_u32(item(mb, SEC_DATACOUNT), 1);
    bytes *d = item(mb, SEC_DATA); /* one passive segment of one byte */
    b_u32(d, 1);
    b_u32(d, 1);
    b_byte(d, 'x');
    expect_invalid_at(mb, "unknown data segment 1", mi);
    builder_free(mb);
}

/* ---------------------------------------------------------------------
 * Module-level rules. */

/* Rejection at the item written at `pos` in section `id`. */
static void expect_invalid_item(builder *mb, const char *message, int id, size_t pos) {
    expect_invalid(mb, message);
    cr_assert_eq(mb->err.offset, at_item(mb, id, pos), "offset 0x%llx, expected 0x%llx",
                 (unsigned long long)mb->err.offset, (unsigned long long)at_item(mb, id, pos));
}

/* Errors about a memory's or table's limits name its entry, not offset 0. */
Test(validate_module, memory_limits) {
    builder *mb = builder_new();
    add_memory(mb, 1, -1);
    size_t pos = mb->sec[SEC_MEMORY].len;
    add_memory(mb, 2, 1);
    mb->features = KILN_FEATURE_MULTI_MEMORY;
    expect_invalid_item(mb, "size minimum must not be greater than maximum", SEC_MEMORY, pos);
    builder_free(mb);

    mb = builder_new();
    add_type(mb, ":");
    pos = mb->sec[SEC_MEMORY].len;
    add_memory(mb, 65537, -1);
    expect_invalid_item(mb, "memory size must be at most 65536 pages (4GiB)", SEC_MEMORY, pos);
    builder_free(mb);

    mb = builder_new();
    pos = mb->sec[SEC_MEMORY].len;
    add_memory(mb, 0, 65537);
    expect_invalid_item(mb, "memory size must be at most 65536 pages (4GiB)", SEC_MEMORY, pos);
    builder_free(mb);

    mb = builder_new();
    add_memory(mb, 0, 65536);
    expect_valid(mb);
    builder_free(mb);
}

/* An imported memory's limits are reported at the import's description. */
Test(validate_module, imported_memory_limits) {
    builder *mb = builder_new();
    add_import_global(mb, 'i', false);
    bytes *b = item(mb, SEC_IMPORT);
    b_name(b, "m");
    b_name(b, "mem");
    b_byte(b, KILN_EXTERN_MEMORY);
    size_t pos = b->len;
    b_limits(b, 65537, -1);
    expect_invalid_item(mb, "memory size must be at most 65536 pages (4GiB)", SEC_IMPORT, pos);
    builder_free(mb);
}

Test(validate_module, table_limits) {
    builder *mb = builder_new();
    add_table(mb, 'r', 1, -1);
    size_t pos = mb->sec[SEC_TABLE].len;
    add_table(mb, 'r', 10, 9);
    expect_invalid_item(mb, "size minimum must not be greater than maximum", SEC_TABLE, pos);
    builder_free(mb);

    mb = builder_new(); /* the spec allows a maximum up to 2^32-1 */
    add_table(mb, 'r', 0, UINT32_MAX);
    expect_valid(mb);
    builder_free(mb);
}

/* Any 32-bit size validates, initial sizes too: what the runtime can
 * allocate (KILN_MAX_TABLE_ELEMS) is checked at instantiation, so a module
 * that is only compiled may declare more (the 3.0 suite's table.wast). */
Test(validate_module, table_sizes_are_not_limited_here) {
    builder *mb = builder_new();
    add_table(mb, 'r', KILN_MAX_TABLE_ELEMS + 1, UINT32_MAX);
    add_table(mb, 'e', UINT32_MAX, -1);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_module, one_memory_unless_multi_memory) {
    builder *mb = builder_new();
    add_memory(mb, 1, -1);
    size_t pos = mb->sec[SEC_MEMORY].len;
    add_memory(mb, 1, -1);
    expect_invalid_item(mb, "multiple memories", SEC_MEMORY, pos);
    builder_free(mb);

    mb = builder_new();
    mb->features = KILN_FEATURE_MULTI_MEMORY;
    add_memory(mb, 1, -1);
    add_memory(mb, 1, -1);
    expect_valid(mb);
    builder_free(mb);
}

Test(validate_module, duplicate_export_name) {
    builder *mb = builder_new();
    add_memory(mb, 1, -1);
    add_export(mb, "a", KILN_EXTERN_MEMORY, 0);
    add_export(mb, "b", KILN_EXTERN_MEMORY, 0);
    add_export(mb, "a", KILN_EXTERN_MEMORY, 0);
    expect_invalid(mb, "duplicate export name");
    builder_free(mb);
}

Test(validate_module, export_of_unknown_item) {
    builder *mb = builder_new();
    add_export(mb, "g", KILN_EXTERN_GLOBAL, 3);
    expect_invalid(mb, "unknown global 3");
    builder_free(mb);
}

Test(validate_module, start_function_must_take_and_return_nothing) {
    bytes c = {.len = 0};
    i32c(&c, 0);
    op(&c, KILN_OP_END);
    builder *mb = one_func(":i", "", &c);
    b_u32(item(mb, SEC_START), 0);
    expect_invalid(mb, "start function");
    builder_free(mb);

    mb = builder_new();
    b_u32(item(mb, SEC_START), 0);
    expect_invalid(mb, "unknown function 0");
    builder_free(mb);
}

Test(validate_module, active_data_needs_memory_and_i32_offset) {
    builder *mb = builder_new();
    bytes *d = item(mb, SEC_DATA);
    b_u32(d, 0);
    i32c(d, 0);
    op(d, KILN_OP_END);
    b_u32(d, 0);
    expect_invalid(mb, "unknown memory 0");
    builder_free(mb);

    mb = builder_new();
    add_memory(mb, 1, -1);
    d = item(mb, SEC_DATA);
    b_u32(d, 0);
    i64c(d, 0);
    op(d, KILN_OP_END);
    b_u32(d, 0);
    expect_invalid(mb, "type mismatch");
    builder_free(mb);
}

Test(validate_module, active_elem_needs_a_table_of_its_type) {
    builder *mb = builder_new();
    bytes *el = item(mb, SEC_ELEM); /* flags 0: offset expr, vec(funcidx) */
    b_u32(el, 0);
    i32c(el, 0);
    op(el, KILN_OP_END);
    b_u32(el, 0);
    expect_invalid(mb, "unknown table 0");
    builder_free(mb);

    mb = builder_new();
    add_table(mb, 'e', 1, -1);
    el = item(mb, SEC_ELEM);
    b_u32(el, 0);
    i32c(el, 0);
    op(el, KILN_OP_END);
    b_u32(el, 0);
    expect_invalid(mb, "type mismatch");
    builder_free(mb);
}

Test(validate_module, elem_function_indices_must_exist) {
    builder *mb = builder_new();
    add_table(mb, 'r', 1, -1);
    bytes *el = item(mb, SEC_ELEM);
    b_u32(el, 0);
    i32c(el, 0);
    op(el, KILN_OP_END);
    b_u32(el, 1);
    b_u32(el, 4);
    expect_invalid(mb, "unknown function 4");
    builder_free(mb);
}

Test(validate_module, function_import_type_must_exist) {
    builder *mb = builder_new();
    add_import_func(mb, 2);
    expect_invalid(mb, "unknown type 2");
    builder_free(mb);
}

/* ---------------------------------------------------------------------
 * Resources. */

/* The first allocation is the own-global table, the second the
 * local-type expansion. */
Test(validate_resources, arena_exhaustion_is_reported_as_nomem) {
    for (size_t n = 1; n <= 2; n++) {
        bytes c = {.len = 0};
        op(&c, KILN_OP_END);
        builder *mb = one_func("i:", "I", &c);
        module_assemble(mb);
        mb->m = module_decode(mb->module.data, mb->module.len, NULL, &mb->err);
        cr_assert_not_null(mb->m);
        arena_fail_after(mb->m->arena, n);
        cr_assert_not(module_validate(mb->m, &mb->err), "allocation %zu", n);
        cr_assert_eq(mb->err.kind, KILN_ERR_NOMEM);
        cr_assert_not(mb->m->validated);
        builder_free(mb);
    }
}

Test(validate_resources, validating_twice_gives_the_same_annotations) {
    bytes c = {.len = 0};
    op_u(&c, KILN_OP_LOCAL_GET, 1);
    op(&c, KILN_OP_DROP);
    op(&c, KILN_OP_END);
    builder *mb = one_func("i:", "I", &c);
    expect_valid(mb);
    kiln_func *f = &mb->m->funcs[0];
    const uint8_t *locals = f->local_types;
    size_t used = arena_used(mb->m->arena);
    cr_assert(module_validate(mb->m, &mb->err));
    cr_assert_eq(f->local_types, locals);
    cr_assert_eq(arena_used(mb->m->arena), used);
    cr_assert_eq(f->local_types[1], KILN_I64);
    builder_free(mb);
}
