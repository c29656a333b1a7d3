/* test_capi.c - the wasm-c-api (capi/) keeps an instance alive while
 * another instance can call its functions: capi_giver.wat's "f", stored
 * into capi_keeper.wat's table by wasm_table_set or as an argument of
 * wasm_func_call, after the host deleted the giver's function, instance
 * and module (runtime/group.c).  Before the instance groups the call read
 * the freed instance ("indirect call type mismatch" from reused heap). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

#ifndef KILN_TEST_WASM_DIR
#error "KILN_TEST_WASM_DIR must name the directory of the converted .wat files"
#endif

static wasm_instance_t *instance_of(wasm_store_t *store, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", KILN_TEST_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    wasm_byte_vec_t bytes;
    wasm_byte_vec_new_uninitialized(&bytes, 1 << 16);
    bytes.size = fread(bytes.data, 1, bytes.size, f);
    fclose(f);
    wasm_module_t *m = wasm_module_new(store, &bytes);
    wasm_byte_vec_delete(&bytes);
    cr_assert(m, "compile %s", name);
    wasm_extern_vec_t none = WASM_EMPTY_VEC;
    wasm_instance_t *inst = wasm_instance_new(store, m, &none, NULL);
    wasm_module_delete(m);
    cr_assert(inst, "instantiate %s", name);
    return inst;
}

/* Export `i` of `inst`, with a reference of its own. */
static wasm_extern_t *export_at(const wasm_instance_t *inst, size_t i) {
    wasm_extern_vec_t all;
    wasm_instance_exports(inst, &all);
    wasm_extern_t *e = wasm_extern_copy(all.data[i]);
    wasm_extern_vec_delete(&all);
    return e;
}

static int32_t call_i32(const wasm_func_t *f, wasm_val_t arg) {
    wasm_val_t args[1] = {arg}, results[1] = {WASM_INIT_VAL};
    wasm_val_vec_t av = WASM_ARRAY_VEC(args), rv = WASM_ARRAY_VEC(results);
    wasm_trap_t *trap = wasm_func_call(f, &av, &rv);
    if (trap) {
        wasm_message_t msg;
        wasm_trap_message(trap, &msg);
        cr_assert_fail("trap: %.*s", (int)msg.size, msg.data);
    }
    return results[0].of.i32;
}

Test(capi, a_function_stored_into_another_instance_outlives_its_deleted_instance) {
    wasm_engine_t *engine = wasm_engine_new();
    wasm_store_t *store = wasm_store_new(engine);
    for (int by_argument = 0; by_argument < 2; by_argument++) {
        wasm_instance_t *giver = instance_of(store, "capi_giver");
        wasm_instance_t *keeper = instance_of(store, "capi_keeper");
        wasm_extern_t *f = export_at(giver, 0), *t = export_at(keeper, 0);
        wasm_extern_t *call_at = export_at(keeper, 1), *keep = export_at(keeper, 2);
        wasm_ref_t *ref = wasm_func_as_ref(wasm_extern_as_func(f));
        if (by_argument) call_i32(wasm_extern_as_func(keep), (wasm_val_t)WASM_REF_VAL(ref));
        else cr_assert(wasm_table_set(wasm_extern_as_table(t), 1, ref));
        wasm_extern_delete(f); /* the host holds nothing of the giver now */
        wasm_instance_delete(giver);
        void *spray[4096];
        for (int i = 0; i < 4096; i++) memset(spray[i] = malloc(16 + i % 16 * 8), 0xa5, 16 + i % 16 * 8);
        for (int i = 0; i < 3; i++)
            cr_expect_eq(call_i32(wasm_extern_as_func(call_at), (wasm_val_t)WASM_I32_VAL(1)), 1311);
        for (int i = 0; i < 4096; i++) free(spray[i]);
        wasm_extern_delete(t), wasm_extern_delete(call_at), wasm_extern_delete(keep);
        wasm_instance_delete(keeper);
    }
    wasm_store_delete(store);
    wasm_engine_delete(engine);
}
