/* test_instance.c - instance lifetimes (runtime/group.c, instance.c,
 * linker.c): an instance is freed only with its group, when nothing that
 * could still reach one of its function references remains.
 *
 * tests/unit/wat/owner.wat exports only a table and a global holding its
 * $f, which reads its memory and global; owner_user.wat calls $f through
 * both.  Until 6 December the importer held the table alone: after the
 * host freed the exporter, the call read freed memory (and crashed).
 *
 * stash.wat stores its own $f into a table and a global that keeper.wat
 * or the host defined (element segment, table.set, global.set), and the
 * host moves stash's $f into keeper (kiln_table_set, kiln_global_set, an
 * argument of kiln_call, the result of a host function).  Until the
 * groups, nothing kept stash alive after the host freed it, and the call
 * through keeper ran $f on freed memory. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <llvm-c/Core.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "instance_fixture.h"
#include "kiln.h"
#include "runtime.h"
#include "wasm_fixture.h"

static compiled_so build(const char *name) {
    loaded l = wasm_load_named(name);
    kiln_compile_options opts = {.opt_level = 0, .prefix = name, .explicit_bounds = true};
    compiled_so c = compiled_open(&l, &opts);
    loaded_free(&l);
    return c;
}

static kiln_func_ref *export_func(kiln_instance *inst, const char *name) {
    kiln_extern e;
    cr_assert(kiln_instance_export(inst, name, &e), "no export %s", name);
    cr_assert_eq(e.kind, KILN_EXTERNKIND_FUNC, "%s is no function", name);
    return e.of.func;
}

/* Calls `f` with `arg` as its parameter, if it has one; returns its i32
 * result, if it has one. */
static int32_t call_ref(kiln_instance *inst, const kiln_func_ref *f, kiln_val arg) {
    kiln_val v[1] = {arg};
    cr_assert_eq(kiln_call(inst, f, v), KILN_TRAP_NONE, "%s", kiln_trap_message());
    return v[0].i32;
}

/* Calls export `name` (no parameters; an i32 result or none). */
static int32_t call(kiln_instance *inst, const char *name) {
    return call_ref(inst, export_func(inst, name), (kiln_val){.i32 = 0});
}

Test(instance, an_imported_table_or_global_keeps_its_owner) {
    compiled_so ca = build("owner"), cb = build("owner_user");
    kiln_linker *linker = kiln_linker_new();
    kiln_instance *a = instance_or_fail(ca.desc, linker);
    cr_assert(kiln_linker_define_instance(linker, "a", a));
    kiln_instance *b = instance_or_fail(cb.desc, linker);
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
    kiln_instance *a = instance_or_fail(ca.desc, linker);
    cr_assert(kiln_linker_define_instance(linker, "a", a));
    kiln_instance_free(a); /* the linker still names a's table and global */
    void **spray = heap_spray();
    kiln_instance *b = instance_or_fail(cb.desc, linker);
    cr_expect_eq(call(b, "through_global"), 1311);
    cr_expect_eq(call(b, "through_table"), 1311);
    heap_spray_free(spray);
    kiln_instance_free(b);
    kiln_linker_free(linker);
    compiled_close(&ca), compiled_close(&cb);
}

/* ---- groups: references stored into another instance's reach ------------------ */

static void count_one(kiln_vmctx *ctx, uintptr_t counter) {
    (void)ctx;
    (*(int *)counter)++;
}

/* Instances not yet freed (the runtime's registry of live instances). */
static int live_instances(void) {
    int n = 0;
    instance_each(count_one, (uintptr_t)&n);
    return n;
}

/* keeper.wat's "host" "give": returns the reference *env points at. */
static uint32_t host_give(void *env, kiln_instance *caller, const kiln_val *args,
                          kiln_val *results) {
    (void)caller, (void)args;
    results[0].ref = *(kiln_func_ref **)env;
    return KILN_TRAP_NONE;
}

/* A linker for keeper.wat, its "host" "give" bound to `give` and `env`. */
static kiln_linker *keeper_linker_with(kiln_host_callback give, void *env) {
    static const uint8_t funcref[] = {KILN_FUNCREF};
    kiln_signature sig = {0, 1, NULL, funcref};
    kiln_linker *l = kiln_linker_new();
    cr_assert(kiln_linker_define_func(l, "host", "give", &sig, give, env));
    return l;
}

static kiln_linker *keeper_linker(kiln_func_ref **given) { return keeper_linker_with(host_give, given); }

/* A funcref table and a mutable funcref global the host makes, defined as
 * stash.wat's imports "b" "t" and "b" "g". */
static void host_objects_define(kiln_linker *l, kiln_table **t, kiln_global_inst **g) {
    *t = kiln_table_new(KILN_FUNCREF, 4, 4, true);
    *g = kiln_global_new(KILN_FUNCREF, true, (kiln_val){.ref = NULL});
    cr_assert(*t && *g);
    kiln_extern te = {.kind = KILN_EXTERNKIND_TABLE, .of.table = *t};
    kiln_extern ge = {.kind = KILN_EXTERNKIND_GLOBAL, .of.global = *g};
    cr_assert(kiln_linker_define(l, "b", "t", te) && kiln_linker_define(l, "b", "g", ge));
}

/* Calls keeper's "call_at" with table index `at`. */
static int32_t call_at(kiln_instance *keeper, int32_t at) {
    return call_ref(keeper, export_func(keeper, "call_at"), (kiln_val){.i32 = at});
}

/* The host frees stash, reuses the heap, and calls stash's $f through
 * keeper's table at `at` (none if negative) and its global (if
 * `global`); then frees keeper, which takes stash with it. */
static void calls_outlive_stash(kiln_instance *stash, kiln_instance *keeper, int32_t at,
                                bool global, int live_before) {
    kiln_instance_free(stash);
    cr_expect_eq(live_instances(), live_before + 2, "stash is still reachable: it must live");
    void **spray = heap_spray();
    for (int i = 0; i < 3; i++) {
        if (at >= 0) cr_expect_eq(call_at(keeper, at), 1311);
        if (global) cr_expect_eq(call(keeper, "call_global"), 1311);
    }
    heap_spray_free(spray);
    kiln_instance_free(keeper);
    cr_expect_eq(live_instances(), live_before, "the group goes with its last handle");
}

Test(instance, a_reference_stored_into_an_imported_table_or_global_keeps_its_instance) {
    compiled_so cs = build("stash"), ck = build("keeper");
    for (int how = 0; how < 2; how++) { /* element segment; table.set and global.set */
        int live = live_instances();
        kiln_func_ref *given = NULL;
        kiln_linker *linker = keeper_linker(&given);
        kiln_instance *keeper = instance_or_fail(ck.desc, linker);
        cr_assert(kiln_linker_define_instance(linker, "b", keeper));
        kiln_instance *stash = instance_or_fail(cs.desc, linker);
        kiln_linker_free(linker);
        if (how == 1) call(stash, "stash");
        calls_outlive_stash(stash, keeper, how, how == 1, live);
    }
    compiled_close(&cs), compiled_close(&ck);
}

/* stash links against a table and a global the host made, so it shares
 * no group with keeper until the host moves its $f there. */
static kiln_instance *stash_on_host_objects(const compiled_so *cs) {
    kiln_linker *l = kiln_linker_new();
    kiln_table *t;
    kiln_global_inst *g;
    host_objects_define(l, &t, &g);
    kiln_table_free(t);
    kiln_global_free(g);
    kiln_instance *stash = instance_or_fail(cs->desc, l);
    kiln_linker_free(l);
    return stash;
}

Test(instance, a_reference_the_host_moves_into_another_instance_keeps_its_instance) {
    compiled_so cs = build("stash"), ck = build("keeper");
    enum { BY_TABLE_SET, BY_TABLE_GROW, BY_ARGUMENT, BY_HOST_RESULT, BY_GLOBAL_SET, HOW_COUNT };
    for (int how = 0; how < HOW_COUNT; how++) {
        int live = live_instances();
        kiln_func_ref *given = NULL;
        kiln_linker *linker = keeper_linker(&given);
        kiln_instance *keeper = instance_or_fail(ck.desc, linker);
        kiln_linker_free(linker);
        kiln_instance *stash = stash_on_host_objects(&cs);
        kiln_func_ref *f = export_func(stash, "f");
        kiln_val arg = {.ref = f};
        kiln_extern t, g;
        cr_assert(kiln_instance_export(keeper, "t", &t) && kiln_instance_export(keeper, "g", &g));
        switch (how) {
        case BY_TABLE_SET: cr_assert(kiln_table_set(t.of.table, 2, f)); break;
        case BY_TABLE_GROW: cr_assert_eq(kiln_table_grow(t.of.table, 1, f), 4); break;
        case BY_ARGUMENT: call_ref(keeper, export_func(keeper, "keep"), arg); break;
        case BY_HOST_RESULT: given = f, call(keeper, "take"); break;
        default: cr_assert(kiln_global_set(g.of.global, (kiln_val){.ref = f})); break;
        }
        int32_t at = how == BY_GLOBAL_SET ? -1 : how == BY_TABLE_GROW ? 4 : 2;
        calls_outlive_stash(stash, keeper, at, how == BY_GLOBAL_SET, live);
    }
    compiled_close(&cs), compiled_close(&ck);
}

Test(instance, a_table_the_host_made_keeps_the_instances_whose_references_it_holds) {
    compiled_so cs = build("stash");
    int live = live_instances();
    kiln_linker *l = kiln_linker_new();
    kiln_table *t;
    kiln_global_inst *g;
    host_objects_define(l, &t, &g);
    kiln_instance *stash = instance_or_fail(cs.desc, l);
    kiln_linker_free(l);
    call(stash, "stash");
    kiln_instance_free(stash); /* the host still holds the table and the global */
    void **spray = heap_spray();
    void *ref = NULL;
    cr_assert(kiln_table_get(t, 0, &ref) && ref);
    cr_expect_eq(call_ref(NULL, ref, (kiln_val){.i32 = 0}), 1311);
    cr_expect_eq(call_ref(NULL, kiln_global_get(g).ref, (kiln_val){.i32 = 0}), 1311);
    heap_spray_free(spray);
    kiln_table_free(t);
    cr_expect_eq(live_instances(), live + 1, "the global still holds stash's $f");
    kiln_global_free(g);
    cr_expect_eq(live_instances(), live);
    compiled_close(&cs);
}

/* Before the groups such an instance was kept for the rest of the
 * process; now it goes with the table it wrote into. */
Test(instance, an_instance_whose_start_trapped_lives_as_long_as_the_table_it_wrote) {
    compiled_so ct = build("stash_trap"), ck = build("keeper");
    int live = live_instances();
    kiln_func_ref *given = NULL;
    kiln_linker *linker = keeper_linker(&given);
    kiln_instance *keeper = instance_or_fail(ck.desc, linker);
    cr_assert(kiln_linker_define_instance(linker, "b", keeper));
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(ct.desc, linker, &err));
    cr_expect_eq(err.kind, KILN_INST_TRAP);
    kiln_linker_free(linker);
    void **spray = heap_spray();
    cr_expect_eq(call_at(keeper, 0), 1311);
    heap_spray_free(spray);
    cr_expect_eq(live_instances(), live + 2);
    kiln_instance_free(keeper);
    cr_expect_eq(live_instances(), live);
    compiled_close(&ct), compiled_close(&ck);
}

/* keeper.wat's "host" "give" for the next test: drops the host's only
 * handle on its caller, notes how many instances live, returns null. */
static uint32_t host_free_caller(void *env, kiln_instance *caller, const kiln_val *args,
                                 kiln_val *results) {
    (void)args;
    kiln_instance_free(caller);
    void **spray = heap_spray();
    *(int *)env = live_instances();
    heap_spray_free(spray);
    results[0].ref = NULL;
    return KILN_TRAP_NONE;
}

/* keeper's "take" stores what "give" returned into its own table after
 * the host function returns: before, that write went to freed memory. */
Test(instance, an_instance_freed_during_a_call_into_it_goes_when_the_call_returns) {
    compiled_so ck = build("keeper");
    int live = live_instances(), inside = -1;
    kiln_linker *linker = keeper_linker_with(host_free_caller, &inside);
    kiln_instance *keeper = instance_or_fail(ck.desc, linker);
    kiln_linker_free(linker);
    call_ref(NULL, export_func(keeper, "take"), (kiln_val){.i32 = 0});
    cr_expect_eq(inside, live + 1, "freed while its code runs: it waits for the call");
    cr_expect_eq(live_instances(), live, "and goes when the call returns");
    compiled_close(&ck);
}
