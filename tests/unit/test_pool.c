/* test_pool.c - the pooling instance allocator (runtime/pool.c) on
 * tests/unit/wat/pool.wat, compiled with guard pages and with explicit
 * bounds checks: a reused slot shows nothing of its previous instance
 * (memory, table, global), traps leave the pool usable, exhaustion and
 * oversized minimums are clear errors, memory.grow works up to the
 * module's (or the pool's) maximum and is undone, 10,000 live instances. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <llvm-c/Core.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"
#include "wasm_fixture.h"

typedef compiled_so guest;

static guest guest_build(bool explicit_bounds) {
    loaded l = wasm_load_named("pool");
    char prefix[32];
    snprintf(prefix, sizeof prefix, "pool_%c", explicit_bounds ? 'e' : 'g');
    kiln_compile_options opts = {.opt_level = 1, .prefix = prefix, .explicit_bounds = explicit_bounds};
    guest g = compiled_open(&l, &opts);
    loaded_free(&l);
    return g;
}

static void guest_close(guest *g) { compiled_close(g); }

static kiln_instance *pooled(kiln_pool *p, const guest *g) {
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_pool_instantiate(p, g->desc, NULL, NULL, &err);
    cr_assert(inst, "instantiate: %s", err.message);
    return inst;
}

/* Calls an export taking up to two i32s: its i32 result (0 if none), or
 * -1000 - trap kind. */
static int64_t call2(kiln_instance *inst, const char *name, int32_t a, int32_t b) {
    kiln_extern e;
    kiln_signature sig;
    cr_assert(kiln_instance_export(inst, name, &e), "no export %s", name);
    cr_assert(kiln_func_signature(e.of.func, &sig));
    kiln_val s[2] = {{.i32 = a}, {.i32 = b}};
    uint32_t trap = kiln_call(inst, e.of.func, s);
    if (trap) return -1000 - (int64_t)trap;
    return sig.num_results ? s[0].i32 : 0;
}

static kiln_extern export_of(kiln_instance *inst, const char *name) {
    kiln_extern e;
    cr_assert(kiln_instance_export(inst, name, &e), "no export %s", name);
    return e;
}

/* Every byte of a fresh instance's memory, table and global is as the
 * module says: the two active segments over zeros, 2 pages. */
static void expect_initial_state(kiln_instance *inst) {
    kiln_memory *m = export_of(inst, "memory").of.memory;
    cr_assert_eq(kiln_memory_size(m), 2 * 65536);
    static uint8_t want[2 * 65536];
    memset(want, 0, sizeof want);
    memcpy(want + 100, "initial image", 13);
    memcpy(want + 70000, "second page", 11);
    const uint8_t *got = kiln_memory_data(m);
    for (size_t i = 0; i < sizeof want; i++)
        cr_assert_eq(got[i], want[i], "memory byte %zu is 0x%02x, expected 0x%02x", i, got[i], want[i]);
    kiln_table *t = export_of(inst, "table").of.table;
    cr_assert_eq(kiln_table_size(t), 2);
    void *ref;
    cr_assert(kiln_table_get(t, 0, &ref) && ref != NULL, "element segment applied");
    cr_assert(kiln_table_get(t, 1, &ref) && ref == NULL, "table slot 1 left over");
    cr_assert_eq(kiln_global_get(export_of(inst, "g").of.global).i32, 5);
}

/* Writes a secret everywhere, grows memory and table, then frees. */
static void leave_secrets(kiln_instance *inst) {
    cr_assert_eq(call2(inst, "grow", 1, 0), 2);
    cr_assert_eq(call2(inst, "table_grow", 3, 0), 2);
    cr_assert_eq(call2(inst, "write_secret", 0x5A, 0), 0);
    cr_assert_eq(call2(inst, "load", 3 * 65536 - 4, 0), 0x5A5A5A5A);
    kiln_instance_free(inst);
}

static void slot_reuse_leaks_nothing(bool explicit_bounds) {
    guest g = guest_build(explicit_bounds);
    kiln_pool_config cfg = {.max_instances = 1};
    kiln_pool *p = kiln_pool_new(&cfg);
    cr_assert(p);
    for (int round = 0; round < 3; round++) {
        kiln_instance *inst = pooled(p, &g);
        expect_initial_state(inst);
        leave_secrets(inst);
    }
    /* The same slot, one page written without growth: restored page by page. */
    kiln_instance *inst = pooled(p, &g);
    cr_assert_eq(call2(inst, "store", 65536 + 4096, 77), 0);
    cr_assert_eq(call2(inst, "store", 104, 77), 0);
    kiln_instance_free(inst);
    inst = pooled(p, &g);
    expect_initial_state(inst);
    kiln_instance_free(inst);
    kiln_pool_free(p);
    guest_close(&g);
}

Test(pool, reused_slot_leaks_no_byte_guard) { slot_reuse_leaks_nothing(false); }
Test(pool, reused_slot_leaks_no_byte_explicit) { slot_reuse_leaks_nothing(true); }

Test(pool, a_trap_leaves_the_pool_usable) {
    guest g = guest_build(false);
    kiln_pool_config cfg = {.max_instances = 1};
    kiln_pool *p = kiln_pool_new(&cfg);
    kiln_instance *inst = pooled(p, &g);
    cr_expect_eq(call2(inst, "trap", 0, 0), -1000 - (int64_t)KILN_TRAP_UNREACHABLE);
    cr_expect_eq(call2(inst, "load", 2 * 65536, 0), -1000 - (int64_t)KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    cr_expect_eq(call2(inst, "write_secret", 1, 0), 0, "the instance still runs after traps");
    kiln_instance_free(inst);
    inst = pooled(p, &g);
    expect_initial_state(inst);
    cr_expect_eq(call2(inst, "load", 2 * 65536 - 4, 0), 0);
    kiln_instance_free(inst);
    kiln_pool_free(p);
    guest_close(&g);
}

Test(pool, exhaustion_is_a_clear_error) {
    guest g = guest_build(false);
    kiln_pool_config cfg = {.max_instances = 2, .max_tables = 1};
    kiln_pool *p = kiln_pool_new(&cfg);
    kiln_instantiate_error err;
    kiln_instance *a = pooled(p, &g);
    cr_expect_null(kiln_pool_instantiate(p, g.desc, NULL, NULL, &err));
    cr_expect_eq(err.kind, KILN_INST_POOL_EXHAUSTED);
    cr_expect_str_eq(err.message, "pool exhausted: all 1 table slots are in use");
    kiln_instance_free(a);
    a = pooled(p, &g);
    kiln_pool_config small = {.max_instances = 1};
    kiln_pool *q = kiln_pool_new(&small);
    kiln_instance *b = pooled(q, &g);
    cr_expect_null(kiln_pool_instantiate(q, g.desc, NULL, NULL, &err));
    cr_expect_eq(err.kind, KILN_INST_POOL_EXHAUSTED);
    cr_expect_str_eq(err.message, "pool exhausted: all 1 instance slots are in use");
    kiln_instance_free(a);
    kiln_instance_free(b);
    kiln_pool_free(p);
    kiln_pool_free(q);
    guest_close(&g);
}

Test(pool, minimums_larger_than_the_slots_and_guard_modules_in_small_slots_are_refused) {
    guest g = guest_build(false), e = guest_build(true);
    kiln_instantiate_error err;
    kiln_pool_config one_page = {.max_memory_pages = 1};
    kiln_pool *p = kiln_pool_new(&one_page);
    cr_expect_null(kiln_pool_instantiate(p, g.desc, NULL, NULL, &err));
    cr_expect_eq(err.kind, KILN_INST_LIMIT);
    cr_expect(strstr(err.message, "exceeds the pool's memory slots of 1 pages"), "%s", err.message);
    kiln_pool_config small_slots = {.memory_reservation = 4 * 65536};
    kiln_pool *q = kiln_pool_new(&small_slots);
    cr_expect_null(kiln_pool_instantiate(q, g.desc, NULL, NULL, &err));
    cr_expect_eq(err.kind, KILN_INST_LIMIT);
    cr_expect(strstr(err.message, "guard pages"), "%s", err.message);
    kiln_instance *inst = pooled(q, &e); /* explicit bounds: fine in 4 pages */
    cr_expect_eq(call2(inst, "grow", 2, 0), 2);
    cr_expect_eq(call2(inst, "load", 4 * 65536, 0), -1000 - (int64_t)KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    kiln_instance_free(inst);
    kiln_pool_free(p);
    kiln_pool_free(q);
    guest_close(&g);
    guest_close(&e);
}

Test(pool, memory_grow_reaches_the_maximum_and_is_undone) {
    for (int explicit_bounds = 0; explicit_bounds < 2; explicit_bounds++) {
        guest g = guest_build(explicit_bounds);
        kiln_pool_config cfg = {.max_instances = 1};
        kiln_pool *p = kiln_pool_new(&cfg);
        kiln_instance *inst = pooled(p, &g);
        cr_expect_eq(call2(inst, "grow", 2, 0), 2, "to the module's maximum of 4");
        cr_expect_eq(call2(inst, "grow", 1, 0), -1);
        cr_expect_eq(call2(inst, "store", 4 * 65536 - 4, 9), 0);
        cr_expect_eq(call2(inst, "load", 4 * 65536 - 4, 0), 9);
        kiln_instance_free(inst);
        inst = pooled(p, &g);
        cr_expect_eq(call2(inst, "load", 2 * 65536, 0), -1000 - (int64_t)KILN_TRAP_MEMORY_OUT_OF_BOUNDS,
                     "grown pages are inaccessible again");
        cr_expect_eq(call2(inst, "grow", 2, 0), 2);
        cr_expect_eq(call2(inst, "load", 4 * 65536 - 4, 0), 0, "and zero when grown again");
        kiln_instance_free(inst);
        kiln_pool_free(p);
        kiln_pool_config three = {.max_instances = 1, .max_memory_pages = 3};
        p = kiln_pool_new(&three);
        inst = pooled(p, &g);
        cr_expect_eq(call2(inst, "grow", 2, 0), -1, "the pool's slot is smaller than the maximum");
        cr_expect_eq(call2(inst, "grow", 1, 0), 2);
        kiln_instance_free(inst);
        kiln_pool_free(p);
        guest_close(&g);
    }
}

Test(pool, passive_segments_still_work) {
    guest g = guest_build(false);
    kiln_pool *p = kiln_pool_new(NULL);
    for (int round = 0; round < 2; round++) {
        kiln_instance *inst = pooled(p, &g);
        cr_expect_eq(call2(inst, "init_passive", 200, 0), 0);
        uint8_t *mem = kiln_memory_data(export_of(inst, "memory").of.memory);
        cr_expect(memcmp(mem + 200, "passive!", 8) == 0);
        kiln_instance_free(inst);
    }
    kiln_pool_free(p);
    guest_close(&g);
}

/* `cfg` with 10,000 instance slots, each instance written and read back. */
static void live_instances(bool explicit_bounds, kiln_pool_config cfg) {
    guest g = guest_build(explicit_bounds);
    enum { LIVE = 10000 };
    cfg.max_instances = LIVE;
    kiln_pool *p = kiln_pool_new(&cfg);
    if (!p && !explicit_bounds) cr_skip_test("no room for 10,000 slots of 8 GiB (80 TiB) here");
    cr_assert(p);
    static kiln_instance *insts[LIVE];
    for (int i = 0; i < LIVE; i++) {
        insts[i] = pooled(p, &g);
        cr_assert_eq(call2(insts[i], "store", 65536, i), 0);
    }
    for (int i = 0; i < LIVE; i++) cr_assert_eq(call2(insts[i], "load", 65536, 0), i);
    for (int i = 0; i < LIVE; i++) kiln_instance_free(insts[i]);
    kiln_pool_free(p);
    guest_close(&g);
}

/* 80 TiB of the 128 TiB a 47-bit address space has: whether the largest
 * hole is that large depends on where the loader put things. */
Test(pool, ten_thousand_live_instances_guard) { live_instances(false, (kiln_pool_config){0}); }

Test(pool, ten_thousand_live_instances_explicit_small_slots) {
    live_instances(true, (kiln_pool_config){.memory_reservation = 4 * 65536});
}
