/* wasm_fixture.h - loads a test module converted from tests/unit/wat/
 * (KILN_TEST_WASM_DIR) and decodes + validates it, for the unit tests that
 * drive the back end directly (test_emit.c, test_lower_memory.c). */
#ifndef KILN_TEST_WASM_FIXTURE_H
#define KILN_TEST_WASM_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "module.h"

#ifndef KILN_TEST_WASM_DIR
#error "KILN_TEST_WASM_DIR must name the directory of the converted .wat files"
#endif

typedef struct loaded {
    uint8_t *bytes;
    size_t size;
    kiln_module *m;
} loaded;

/* `name` without directory or extension, e.g. "guard" for guard.wasm. */
static inline loaded wasm_load_named(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", KILN_TEST_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    loaded l = {malloc(1 << 16), 0, NULL};
    l.size = fread(l.bytes, 1, 1 << 16, f);
    fclose(f);
    kiln_error err;
    error_clear(&err);
    kiln_decode_options opts = {0};
    l.m = module_decode(l.bytes, l.size, &opts, &err);
    cr_assert(l.m, "decode %s: %s", path, err.message);
    cr_assert(module_validate(l.m, &err), "validate %s: %s", path, err.message);
    return l;
}

static inline void loaded_free(loaded *l) {
    module_free(l->m);
    free(l->bytes);
}

#endif
