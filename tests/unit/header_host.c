/* header_host.c - run by tests/unit/test_header.sh: a host that uses the
 * headers `kiln compile --header` wrote for wat/header_types.wat (prefix
 * types) and wat/header_other.wat (prefix other).  Every value type goes
 * through the typed import types_import_host_mix and comes back through
 * the typed export wrappers; binding types.h to an instance of the other
 * module reports the missing and mistyped exports as KILN_EXPORT_MISSING. */
#include <stdio.h>
#include <string.h>

#include "other.h"
#include "types.h"

static int failures;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "header_host.c:%d: FAIL: %s\n", __LINE__, #cond);     \
            failures++;                                                            \
        }                                                                          \
    } while (0)

/* (i32 i64 f32 f64 v128 externref funcref) -> (f64 i32 v128 externref funcref i64 f32),
 * each result computed from one argument; a0 == -1 traps. */
uint32_t types_import_host_mix(void *env, kiln_instance *caller, int32_t a0, int64_t a1, float a2,
                               double a3, kiln_val a4, void *a5, void *a6, double *r0, int32_t *r1,
                               kiln_val *r2, void **r3, void **r4, int64_t *r5, float *r6) {
    ++*(int *)env;
    if (!caller) return KILN_TRAP_UNREACHABLE;
    if (a0 == -1) {
        kiln_host_trap_message("mix refuses -1");
        return KILN_TRAP_HOST;
    }
    *r0 = a3 * 2;
    *r1 = a0 + 1;
    for (int i = 0; i < 16; i++) r2->v128[i] = a4.v128[15 - i];
    *r3 = a5;
    *r4 = a6;
    *r5 = a1 * 3;
    *r6 = a2 + 0.5f;
    return KILN_TRAP_NONE;
}

static void types_check(kiln_instance *inst, int *mix_calls) {
    types_exports x;
    CHECK(types_bind(inst, &x) == KILN_TRAP_NONE);
    int32_t i;
    CHECK(types_inc(&x, 41, &i) == KILN_TRAP_NONE && i == 42);
    void *inc = NULL;
    CHECK(types_inc_ref(&x, &inc) == KILN_TRAP_NONE && inc == x.func[0]);
    kiln_val v;
    for (int k = 0; k < 16; k++) v.v128[k] = (uint8_t)k;
    int host_object;
    double r0;
    int32_t r1;
    kiln_val r2;
    void *r3, *r4;
    int64_t r5;
    float r6;
    CHECK(types_roundtrip(&x, 7, -5, 1.25f, 3.5, v, &host_object, inc, &r0, &r1, &r2, &r3, &r4, &r5,
                          &r6) == KILN_TRAP_NONE);
    CHECK(r0 == 7.0 && r1 == 8 && r2.v128[0] == 15 && r2.v128[15] == 0 && r3 == &host_object &&
          r4 == inc && r5 == -15 && r6 == 1.75f && *mix_calls == 1);
    CHECK(types_roundtrip(&x, -1, 0, 0, 0, v, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) ==
          KILN_TRAP_HOST);
    CHECK(strcmp(kiln_trap_message(), "mix refuses -1") == 0);
    CHECK(types_call_inc(inst, 1, &i) == KILN_TRAP_NONE && i == 2);
    CHECK(types_nothing(&x) == KILN_TRAP_NONE);
    kiln_extern e;
    CHECK(kiln_instance_export(inst, "inc", &e) && e.kind == KILN_EXTERNKIND_FUNC);
}

/* types.h bound to an instance of header_other.wat. */
static void missing_check(kiln_instance *other) {
    types_exports x;
    CHECK(types_bind(other, &x) == KILN_EXPORT_MISSING);
    int32_t i = 0;
    CHECK(types_inc(&x, 1, &i) == KILN_TRAP_NONE && i == 2);
    CHECK(types_nothing(&x) == KILN_TRAP_NONE);
    void *ref = &i;
    CHECK(types_inc_ref(&x, &ref) == KILN_EXPORT_MISSING && ref == &i);
    kiln_val v = {.i64 = 0};
    CHECK(types_roundtrip(&x, 0, 0, 0, 0, v, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) ==
          KILN_EXPORT_MISSING);
    CHECK(types_call_inc_ref(other, NULL) == KILN_EXPORT_MISSING);
    CHECK(types_call_inc(NULL, 1, &i) == KILN_EXPORT_MISSING);
    other_exports o;
    CHECK(other_bind(other, &o) == KILN_TRAP_NONE && other_call_inc(other, 5, &i) == KILN_TRAP_NONE &&
          i == 6);
}

int main(void) {
    int mix_calls = 0;
    kiln_linker *l = kiln_linker_new();
    CHECK(l && types_define_imports(l, &mix_calls) && other_define_imports(l, NULL));
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(&types_module, l, &err);
    kiln_instance *other = kiln_instantiate(&other_module, NULL, &err);
    CHECK(inst && other);
    if (inst) types_check(inst, &mix_calls);
    if (other) missing_check(other);
    if (inst) kiln_instance_free(inst);
    if (other) kiln_instance_free(other);
    kiln_linker_free(l);
    puts(failures ? "FAILED" : "ok");
    return failures != 0;
}
