/* spectest.c - the `spectest` host module every spec script may import:
 * print functions (which print nothing: the runner's output is the
 * report), four globals holding 666, a funcref table of 10 (max 20), the
 * same with i64 indices as `table64` (3.0 suite) and a memory of 1 page
 * (max 2). */
#include "spectest.h"

#include <stdlib.h>

typedef struct print_func {
    const char *name;
    uint32_t num_params;
    uint8_t params[2];
} print_func;

static const print_func print_funcs[] = {
    {"print", 0, {0}},
    {"print_i32", 1, {KILN_I32}},
    {"print_i64", 1, {KILN_I64}},
    {"print_f32", 1, {KILN_F32}},
    {"print_f64", 1, {KILN_F64}},
    {"print_i32_f32", 2, {KILN_I32, KILN_F32}},
    {"print_f64_f64", 2, {KILN_F64, KILN_F64}},
};

static uint32_t print_callback(void *env, kiln_instance *caller, const kiln_val *args,
                               kiln_val *results) {
    return KILN_TRAP_NONE;
}

static bool funcs_define(kiln_linker *l) {
    for (size_t i = 0; i < sizeof print_funcs / sizeof print_funcs[0]; i++) {
        kiln_signature sig = {print_funcs[i].num_params, 0, print_funcs[i].params, NULL};
        if (!kiln_linker_define_func(l, "spectest", print_funcs[i].name, &sig, print_callback,
                                     NULL))
            return false;
    }
    return true;
}

static bool global_define(spectest *s, kiln_linker *l, int i, const char *name, uint8_t type,
                          kiln_val value) {
    s->globals[i] = kiln_global_new(type, false, value);
    kiln_extern e = {.kind = 3, .of.global = s->globals[i]};
    return s->globals[i] && kiln_linker_define(l, "spectest", name, e);
}

static bool globals_define(spectest *s, kiln_linker *l) {
    return global_define(s, l, 0, "global_i32", KILN_I32, (kiln_val){.i32 = 666}) &&
           global_define(s, l, 1, "global_i64", KILN_I64, (kiln_val){.i64 = 666}) &&
           global_define(s, l, 2, "global_f32", KILN_F32, (kiln_val){.f32 = 666.6f}) &&
           global_define(s, l, 3, "global_f64", KILN_F64, (kiln_val){.f64 = 666.6});
}

bool spectest_define(spectest *s, kiln_linker *l) {
    s->memory = kiln_memory_new(1, 2, true);
    s->shared_memory = kiln_memory_new_shared(1, 2);
    s->table = kiln_table_new(KILN_FUNCREF, 10, 20, true);
    s->table64 = kiln_table64_new(KILN_FUNCREF, 10, 20, true);
    if (!s->memory || !s->shared_memory || !s->table || !s->table64) return false;
    kiln_extern mem = {.kind = 2, .of.memory = s->memory};
    kiln_extern shared = {.kind = 2, .of.memory = s->shared_memory};
    kiln_extern tab = {.kind = 1, .of.table = s->table};
    kiln_extern tab64 = {.kind = 1, .of.table = s->table64};
    return kiln_linker_define(l, "spectest", "memory", mem) &&
           kiln_linker_define(l, "spectest", "shared_memory", shared) &&
           kiln_linker_define(l, "spectest", "table", tab) &&
           kiln_linker_define(l, "spectest", "table64", tab64) && globals_define(s, l) &&
           funcs_define(l);
}

void spectest_free(spectest *s) {
    if (s->memory) kiln_memory_free(s->memory);
    if (s->shared_memory) kiln_memory_free(s->shared_memory);
    if (s->table) kiln_table_free(s->table);
    if (s->table64) kiln_table_free(s->table64);
    for (int i = 0; i < 4; i++)
        if (s->globals[i]) kiln_global_free(s->globals[i]);
}
