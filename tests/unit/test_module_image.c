/* test_module_image.c - the module image (compiler/image_write.c,
 * runtime/image_read.c): a decoded module written and read back equals
 * the original in everything the runtime uses, and a truncated or
 * corrupted image fails cleanly with an offset, never crashes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module_image.h"

#ifndef KILN_TEST_WASM_DIR
#error "KILN_TEST_WASM_DIR must name the directory of the converted .wat files"
#endif

typedef struct fixture {
    uint8_t *wasm, *image;
    size_t wasm_size, image_size;
    kiln_module *m;
} fixture;

static fixture fixture_load(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", KILN_TEST_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fixture x = {.wasm = malloc(1 << 20)};
    x.wasm_size = fread(x.wasm, 1, 1 << 20, f);
    fclose(f);
    kiln_error err;
    kiln_decode_options opts = {.features = features_all()};
    x.m = module_decode(x.wasm, x.wasm_size, &opts, &err);
    cr_assert(x.m, "decode %s: %s", path, err.message);
    cr_assert(module_validate(x.m, &err), "validate %s: %s", path, err.message);
    cr_assert(module_image_write(x.m, x.wasm, x.wasm_size, &x.image, &x.image_size, &err), "%s",
              err.message);
    return x;
}

static void fixture_free(fixture *x) {
    module_free(x->m);
    free(x->wasm);
    free(x->image);
}

static void name_eq(const kiln_name *a, const kiln_name *b) {
    cr_assert_eq(a->len, b->len);
    cr_assert(a->len == 0 || memcmp(a->chars, b->chars, a->len) == 0);
    cr_assert_eq(b->chars[b->len], 0, "names are NUL-terminated");
}

static void limits_eq(const kiln_limits *a, const kiln_limits *b) {
    cr_assert(a->min == b->min && a->max == b->max && a->has_max == b->has_max);
}

/* The same instructions: opcode and the immediate the evaluator reads. */
static void expr_eq(const kiln_expr *a, const kiln_expr *b) {
    cr_assert_eq(a->count, b->count);
    for (uint32_t i = 0; i < a->count; i++) {
        cr_assert_eq(a->insns[i].op, b->insns[i].op, "instruction %u", i);
        if (a->insns[i].op == KILN_OP_REF_NULL) continue; /* heap type: not needed */
        cr_assert(memcmp(&a->insns[i].imm, &b->insns[i].imm, 16) == 0, "immediate %u", i);
    }
}

static void types_eq(const kiln_module *a, const kiln_module *b) {
    cr_assert_eq(a->num_types, b->num_types);
    for (uint32_t i = 0; i < a->num_types; i++) {
        const kiln_functype *x = &a->types[i], *y = &b->types[i];
        cr_assert(x->num_params == y->num_params && x->num_results == y->num_results);
        cr_assert(x->num_params == 0 || memcmp(x->params, y->params, x->num_params) == 0);
        cr_assert(x->num_results == 0 || memcmp(x->results, y->results, x->num_results) == 0);
    }
    cr_assert_eq(a->num_reftypes, b->num_reftypes);
    for (uint32_t i = 0; i < a->num_reftypes; i++)
        cr_assert(a->reftypes[i].heap == b->reftypes[i].heap &&
                  a->reftypes[i].nullable == b->reftypes[i].nullable &&
                  a->reftypes[i].type_index == b->reftypes[i].type_index);
}

static void imports_eq(const kiln_module *a, const kiln_module *b) {
    cr_assert_eq(a->num_imports, b->num_imports);
    for (uint32_t i = 0; i < a->num_imports; i++) {
        const kiln_import *x = &a->imports[i], *y = &b->imports[i];
        name_eq(&x->module, &y->module);
        name_eq(&x->name, &y->name);
        cr_assert(x->kind == y->kind && x->index == y->index, "import %u", i);
    }
    cr_assert_eq(a->num_imported_funcs, b->num_imported_funcs);
    cr_assert_eq(a->num_imported_tables, b->num_imported_tables);
    cr_assert_eq(a->num_imported_memories, b->num_imported_memories);
    cr_assert_eq(a->num_imported_globals, b->num_imported_globals);
    cr_assert_eq(a->num_imported_tags, b->num_imported_tags);
}

static void spaces_eq(const kiln_module *a, const kiln_module *b) {
    cr_assert_eq(a->num_funcs, b->num_funcs);
    for (uint32_t i = 0; i < a->num_funcs; i++) {
        cr_assert_eq(a->funcs[i].type_index, b->funcs[i].type_index);
        cr_assert_eq(a->funcs[i].imported, b->funcs[i].imported);
        cr_assert_eq(a->funcs[i].import_index, b->funcs[i].import_index);
    }
    cr_assert_eq(a->num_tables, b->num_tables);
    for (uint32_t i = 0; i < a->num_tables; i++) {
        cr_assert(a->tables[i].elem_type == b->tables[i].elem_type &&
                  a->tables[i].is64 == b->tables[i].is64);
        limits_eq(&a->tables[i].limits, &b->tables[i].limits);
        if (i >= a->num_imported_tables) expr_eq(&a->table_inits[i], &b->table_inits[i]);
    }
    cr_assert_eq(a->num_memories, b->num_memories);
    for (uint32_t i = 0; i < a->num_memories; i++) {
        cr_assert(a->memories[i].is64 == b->memories[i].is64 &&
                  a->memories[i].shared == b->memories[i].shared);
        limits_eq(&a->memories[i].limits, &b->memories[i].limits);
    }
    cr_assert_eq(a->num_globals, b->num_globals);
    for (uint32_t i = 0; i < a->num_globals; i++) {
        const kiln_global *x = &a->globals[i], *y = &b->globals[i];
        cr_assert(x->type.valtype == y->type.valtype && x->type.is_mutable == y->type.is_mutable);
        cr_assert(x->imported == y->imported && x->import_index == y->import_index);
        if (!x->imported) expr_eq(&x->init, &y->init);
        /* where generated code and the runtime put the global's cell */
        cr_assert_eq(a->global_slots[i], b->global_slots[i], "global %u", i);
    }
    cr_assert_eq(a->num_own_globals, b->num_own_globals);
    cr_assert_eq(a->num_tags, b->num_tags);
    for (uint32_t i = 0; i < a->num_tags; i++)
        cr_assert(a->tags[i].type_index == b->tags[i].type_index &&
                  a->tags[i].imported == b->tags[i].imported);
}

static void segments_eq(const kiln_module *a, const kiln_module *b) {
    cr_assert_eq(a->num_elems, b->num_elems);
    for (uint32_t i = 0; i < a->num_elems; i++) {
        const kiln_elem *x = &a->elems[i], *y = &b->elems[i];
        cr_assert(x->mode == y->mode && x->elem_type == y->elem_type && x->count == y->count);
        if (x->mode == KILN_SEGMENT_ACTIVE) {
            cr_assert_eq(x->table_index, y->table_index);
            expr_eq(&x->offset, &y->offset);
        }
        cr_assert_eq(x->func_indices == NULL, y->func_indices == NULL);
        for (uint32_t k = 0; k < x->count; k++) {
            if (x->func_indices) cr_assert_eq(x->func_indices[k], y->func_indices[k]);
            else expr_eq(&x->exprs[k], &y->exprs[k]);
        }
    }
    cr_assert_eq(a->num_datas, b->num_datas);
    for (uint32_t i = 0; i < a->num_datas; i++) {
        const kiln_data *x = &a->datas[i], *y = &b->datas[i];
        cr_assert(x->mode == y->mode && x->size == y->size);
        cr_assert(x->size == 0 || memcmp(x->bytes, y->bytes, x->size) == 0);
        if (x->mode == KILN_SEGMENT_ACTIVE) {
            cr_assert_eq(x->memory_index, y->memory_index);
            expr_eq(&x->offset, &y->offset);
        }
    }
}

static void exports_names_eq(const kiln_module *a, const kiln_module *b) {
    cr_assert_eq(a->num_exports, b->num_exports);
    for (uint32_t i = 0; i < a->num_exports; i++) {
        name_eq(&a->exports[i].name, &b->exports[i].name);
        cr_assert(a->exports[i].kind == b->exports[i].kind &&
                  a->exports[i].index == b->exports[i].index);
    }
    cr_assert(a->has_start == b->has_start && (!a->has_start || a->start == b->start));
    name_eq(&a->module_name, &b->module_name);
    cr_assert_eq(a->num_func_names, b->num_func_names);
    for (uint32_t i = 0; i < a->num_func_names; i++) {
        cr_assert_eq(a->func_names[i].func_index, b->func_names[i].func_index);
        name_eq(&a->func_names[i].name, &b->func_names[i].name);
    }
}

static void round_trip(const char *name) {
    fixture x = fixture_load(name);
    kiln_error err;
    kiln_module *r = module_image_read(x.image, x.image_size, &err);
    cr_assert(r, "%s: %s", name, err.message);
    types_eq(x.m, r);
    imports_eq(x.m, r);
    spaces_eq(x.m, r);
    segments_eq(x.m, r);
    exports_names_eq(x.m, r);
    module_free(r);
    fixture_free(&x);
}

Test(module_image, round_trip_every_kind) { round_trip("image"); }

/* image.wat: two imported globals, $c and $f exported, six own ones. */
Test(module_image, own_globals_are_the_defined_unexported_ones) {
    static const uint32_t want[] = {MODULE_GLOBAL_SHARED, MODULE_GLOBAL_SHARED,
                                    MODULE_GLOBAL_SHARED, 0, 1, MODULE_GLOBAL_SHARED, 2, 3, 4, 5};
    fixture x = fixture_load("image");
    kiln_error err;
    kiln_module *r = module_image_read(x.image, x.image_size, &err);
    cr_assert(r, "%s", err.message);
    cr_assert_eq(r->num_globals, sizeof want / sizeof want[0]);
    cr_assert_eq(r->num_own_globals, 6);
    for (uint32_t i = 0; i < r->num_globals; i++)
        cr_assert_eq(r->global_slots[i], want[i], "global %u: %u", i, r->global_slots[i]);
    module_free(r);
    fixture_free(&x);
}
Test(module_image, round_trip_imports) { round_trip("imports"); }
Test(module_image, round_trip_tags) { round_trip("exceptions"); }
Test(module_image, round_trip_memory) { round_trip("memory"); }

Test(module_image, names_and_constants) {
    fixture x = fixture_load("image");
    kiln_error err;
    kiln_module *r = module_image_read(x.image, x.image_size, &err);
    cr_assert(r);
    cr_assert_str_eq(r->module_name.chars, "image_test");
    cr_assert_str_eq(module_func_name(r, 2), "other");
    /* $x = g0 + 4 * 3: global.get, i32.const, i32.const, i32.mul, i32.add, end */
    const kiln_expr *e = &r->globals[r->num_globals - 1].init;
    cr_assert_eq(e->count, 6);
    cr_assert_eq(e->insns[3].op, KILN_OP_I32_MUL);
    cr_assert_eq(e->insns[4].op, KILN_OP_I32_ADD);
    cr_assert_eq(e->insns[5].op, KILN_OP_END);
    module_free(r);
    fixture_free(&x);
}

/* Every proper prefix is refused with an offset inside the image. */
Test(module_image, truncated_images_fail_cleanly) {
    fixture x = fixture_load("image");
    for (size_t n = 0; n < x.image_size; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees overreads */
        memcpy(copy, x.image, n);
        kiln_error err;
        kiln_module *r = module_image_read(copy, n, &err);
        cr_assert_null(r, "a %zu-byte prefix was accepted", n);
        cr_assert_eq(err.kind, KILN_ERR_MALFORMED);
        cr_assert_leq(err.offset, n);
        cr_assert(strstr(err.message, "corrupt module image") != NULL, "%s", err.message);
        free(copy);
    }
    fixture_free(&x);
}

/* Any byte changed to a few telling values: either refused or a module
 * whose indices still fit (the reader checks them), never a crash. */
Test(module_image, corrupted_images_never_crash) {
    static const uint8_t values[] = {0x00, 0x01, 0x7F, 0x80, 0xFF};
    fixture x = fixture_load("image");
    uint8_t *copy = malloc(x.image_size);
    for (size_t at = 0; at < x.image_size; at++) {
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(copy, x.image, x.image_size);
            copy[at] = values[v];
            kiln_error err;
            kiln_module *r = module_image_read(copy, x.image_size, &err);
            if (!r) {
                cr_assert_leq(err.offset, x.image_size);
                continue;
            }
            for (uint32_t i = 0; i < r->num_funcs; i++)
                cr_assert_lt(r->funcs[i].type_index, r->num_types);
            for (uint32_t i = 0; i < r->num_exports; i++)
                cr_assert_lt(r->exports[i].kind, 5);
            module_free(r);
        }
    }
    free(copy);
    fixture_free(&x);
}

Test(module_image, wrong_magic_version_and_trailing_bytes) {
    fixture x = fixture_load("imports");
    kiln_error err;
    uint8_t *copy = malloc(x.image_size + 1);
    memcpy(copy, x.image, x.image_size);
    copy[0] = 'X';
    cr_assert_null(module_image_read(copy, x.image_size, &err));
    cr_assert(strstr(err.message, "bad magic"), "%s", err.message);
    memcpy(copy, x.image, x.image_size);
    copy[4] = KILN_IMAGE_VERSION + 1;
    cr_assert_null(module_image_read(copy, x.image_size, &err));
    cr_assert(strstr(err.message, "unknown version"), "%s", err.message);
    memcpy(copy, x.image, x.image_size);
    copy[x.image_size] = 0;
    cr_assert_null(module_image_read(copy, x.image_size + 1, &err));
    cr_assert(strstr(err.message, "bytes after the end"), "%s", err.message);
    cr_assert_null(module_image_read(NULL, 0, &err));
    free(copy);
    fixture_free(&x);
}
