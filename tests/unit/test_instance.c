/* test_instance.c - instance lifetimes (runtime/instance.c, linker.c):
 * a table or global an instance exports may hold that instance's own
 * function references, so whoever holds the object (an importing
 * instance, a linker) must keep the instance alive.  tests/unit/wat/
 * owner.wat exports only a table and a global holding its $f, which
 * reads its memory and global; owner_user.wat calls $f through both.
 * Until 6 December the importer held the table alone: after the host
 * freed the exporter, the call read freed memory (and crashed). */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <llvm-c/Core.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"
#include "wasm_fixture.h"

static compiled_so build(const char *name) {
    loaded l = wasm_load_named(name);
    kiln_compile_options opts = {.opt_level = 0, .prefix = name, .explicit_bounds = true};
    compiled_so c = compiled_open(&l, &opts);
    loaded_free(&l);
    return c;
}

static kiln_instance *instantiate(const compiled_so *c, kiln_linker *l) {
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(c->desc, l, &err);
    cr_assert(inst, "instantiate: %s", err.message);
    return inst;
}

/* Calls export `name` (no parameters, an i32 result). */
static int32_t call(kiln_instance *inst, const char *name) {
    kiln_extern e;
    cr_assert(kiln_instance_export(inst, name, &e), "no export %s", name);
    kiln_val v[1] = {{.i32 = 0}};
    cr_assert_eq(kiln_call(inst, e.of.func, v), KILN_TRAP_NONE, "%s: %s", name,
                 kiln_trap_message());
    return v[0].i32;
}

Test(instance, an_imported_table_or_global_keeps_its_owner) {
    compiled_so ca = build("owner"), cb = build("owner_user");
    kiln_linker *linker = kiln_linker_new();
    kiln_instance *a = instantiate(&ca, linker);
    cr_assert(kiln_linker_define_instance(linker, "a", a));
    kiln_instance *b = instantiate(&cb, linker);
    kiln_linker_free(linker);
    cr_expect_eq(call(b, "through_table"), 1311);

    kiln_instance_free(a); /* the host is done with a; b still uses its table */
    void **spray = heap_spray();
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(call(b, "through_table"), 1311);
        cr_expect_eq(call(b, "through_global"), 1311);
    }
    heap_spray_free(spray);
    kiln_instance_free(b);
    compiled_close(&ca), compiled_close(&cb);
}

Test(instance, a_linker_keeps_the_owner_of_a_table_it_names) {
    compiled_so ca = build("owner"), cb = build("owner_user");
    kiln_linker *linker = kiln_linker_new();
    kiln_instance *a = instantiate(&ca, linker);
    cr_assert(kiln_linker_define_instance(linker, "a", a));
    kiln_instance_free(a); /* the linker still names a's table and global */
    void **spray = heap_spray();
    kiln_instance *b = instantiate(&cb, linker);
    cr_expect_eq(call(b, "through_global"), 1311);
    cr_expect_eq(call(b, "through_table"), 1311);
    heap_spray_free(spray);
    kiln_instance_free(b);
    kiln_linker_free(linker);
    compiled_close(&ca), compiled_close(&cb);
}
