/* test_runtime.c - the runtime, tested without the compiler.
 *
 * The modules are the hand-"compiled" fixtures of runtime_fixtures/
 * (typed C functions + descriptors holding the real module's image), so every check here exercises the same paths compiled code
 * takes: instantiation from a descriptor, imports, traps, the stack
 * limit, memories, tables, globals and the segment rules. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kiln.h"
#include "module.h" /* kiln_extern_kind */
#include "runtime.h" /* type_intern */
#include "runtime_fixtures/fixtures.h"

/* ---- helpers ----------------------------------------------------------------- */

/* host.double: doubles its argument; -1 re-enters wasm (calls basic.trap
 * and expects its trap), other negatives trap with a custom message. */
static uint32_t host_double(void *env, kiln_instance *caller, const kiln_val *args,
                            kiln_val *results) {
    int *calls = env;
    ++*calls;
    if (args[0].i32 == -1) {
        kiln_extern trap;
        if (!kiln_instance_export(caller, "trap", &trap)) return KILN_TRAP_HOST;
        kiln_val none[1];
        uint32_t kind = kiln_call(caller, trap.of.func, none);
        results[0].i32 = kind == KILN_TRAP_UNREACHABLE ? 99 : -99;
        return KILN_TRAP_NONE;
    }
    if (args[0].i32 < 0) {
        kiln_host_trap_message("negative input");
        return KILN_TRAP_HOST;
    }
    results[0].i32 = args[0].i32 * 2;
    return KILN_TRAP_NONE;
}

static const uint8_t I32[] = {KILN_I32};
static const kiln_signature SIG_I_I = {1, 1, I32, I32};
static int host_calls;

static kiln_linker *basic_linker(void) {
    kiln_linker *l = kiln_linker_new();
    cr_assert(kiln_linker_define_func(l, "host", "double", &SIG_I_I, host_double, &host_calls));
    return l;
}

static kiln_instance *basic_new(kiln_linker *l) {
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(&fixture_basic, l, &err);
    cr_assert_not_null(inst, "instantiate failed: %s", err.message);
    return inst;
}

static kiln_func_ref *export_func(kiln_instance *inst, const char *name) {
    kiln_extern e;
    cr_assert(kiln_instance_export(inst, name, &e), "no export %s", name);
    cr_assert_eq(e.kind, KILN_EXTERN_FUNC);
    return e.of.func;
}

static uint32_t call3(kiln_instance *inst, const char *name, int32_t a, int32_t b, int32_t c,
                      int32_t *result) {
    kiln_val slots[3] = {{.i32 = a}, {.i32 = b}, {.i32 = c}};
    uint32_t kind = kiln_call(inst, export_func(inst, name), slots);
    if (result) *result = slots[0].i32;
    return kind;
}

static int32_t call_ok(kiln_instance *inst, const char *name, int32_t a, int32_t b) {
    int32_t r;
    uint32_t kind = call3(inst, name, a, b, 0, &r);
    cr_assert_eq(kind, KILN_TRAP_NONE, "%s trapped: %s", name, kiln_trap_message());
    return r;
}

static uint8_t *basic_mem(kiln_instance *inst) {
    return kiln_memory_data(kiln_instance_memory(inst, 0));
}

/* Runs `op(vmctx, slots)` as if it were a wasm function of `inst`, so it
 * can call kiln_rt_* entry points directly (they trap like wasm code). */
typedef void (*rt_op)(kiln_vmctx *ctx, kiln_val *slots);

static void tramp_op(void *code, void *ctx, kiln_val *slots) { ((rt_op)code)(ctx, slots); }

static uint32_t run_op(kiln_instance *inst, rt_op op, kiln_val *slots) {
    kiln_func_ref f = {(void *)op, export_func(inst, "add")->ctx, 0, 0, tramp_op};
    return kiln_call(inst, &f, slots);
}

/* ---- instantiation and linking ----------------------------------------------- */

Test(instantiate, missing_host_import_is_unknown_import) {
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&fixture_basic, NULL, &err));
    cr_assert_eq(err.kind, KILN_INST_LINK);
    cr_assert_str_eq(err.message, "unknown import \"host\".\"double\"");
}

Test(instantiate, host_function_with_other_signature_is_incompatible) {
    static const uint8_t I64[] = {KILN_I64};
    kiln_signature sig = {1, 1, I64, I64};
    kiln_linker *l = kiln_linker_new();
    kiln_linker_define_func(l, "host", "double", &sig, host_double, &host_calls);
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&fixture_basic, l, &err));
    cr_assert_eq(err.kind, KILN_INST_LINK);
    cr_assert(strncmp(err.message, "incompatible import type", 24) == 0, "%s", err.message);
    kiln_linker_free(l);
}

Test(instantiate, wrong_abi_version_is_a_bad_module) {
    kiln_module_desc desc = fixture_basic;
    desc.abi_version = KILN_ABI_VERSION + 1;
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&desc, NULL, &err));
    cr_assert_eq(err.kind, KILN_INST_BAD_MODULE);
}

Test(instantiate, descriptor_counts_must_match_image) {
    kiln_module_desc desc = fixture_basic;
    desc.num_defined_funcs = 3;
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&desc, NULL, &err));
    cr_assert_eq(err.kind, KILN_INST_BAD_MODULE);
}

/* A cut-off image (runtime/image_read.c) is a bad module, named as such. */
Test(instantiate, truncated_image_is_a_bad_module) {
    kiln_module_desc desc = fixture_basic;
    desc.image_size -= 5;
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&desc, NULL, &err));
    cr_assert_eq(err.kind, KILN_INST_BAD_MODULE);
    cr_assert(strstr(err.message, "corrupt module image"), "%s", err.message);
}

Test(instantiate, redefining_a_name_replaces_it) {
    static const uint8_t I64[] = {KILN_I64};
    kiln_signature wrong = {1, 1, I64, I64};
    kiln_linker *l = kiln_linker_new();
    kiln_linker_define_func(l, "host", "double", &wrong, host_double, &host_calls);
    kiln_linker_define_func(l, "host", "double", &SIG_I_I, host_double, &host_calls);
    cr_assert(kiln_linker_contains(l, "host", "double"));
    cr_assert_not(kiln_linker_contains(l, "host", "triple"));
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call_ok(inst, "call_double", 4, 0), 8);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(instantiate, start_function_runs_and_globals_read_imports) {
    kiln_linker *l = basic_linker();
    kiln_instance *basic = basic_new(l);
    kiln_linker_define_instance(l, "basic", basic);
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(&fixture_start, l, &err);
    cr_assert_not_null(inst, "%s", err.message);
    kiln_extern g, h;
    cr_assert(kiln_instance_export(inst, "g", &g) && kiln_instance_export(inst, "h", &h));
    cr_assert_eq(kiln_global_get(g.of.global).i32, 42);
    cr_assert_eq(kiln_global_get(h.of.global).f64, 3.5);
    kiln_instance_free(inst);
    kiln_instance_free(basic);
    kiln_linker_free(l);
}

typedef struct pair {
    kiln_linker *linker;
    kiln_instance *basic, *importer;
} pair;
static pair pair_new(void);
static void pair_free(pair *p);

/* ---- calls and traps ---------------------------------------------------------- */

Test(call, export_returns_its_result) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call_ok(inst, "add", 2, 3), 5);
    cr_assert_eq(call_ok(inst, "add", INT32_MAX, 1), INT32_MIN);
    kiln_signature sig;
    cr_assert(kiln_func_signature(export_func(inst, "add"), &sig));
    cr_assert_eq(sig.num_params, 2);
    cr_assert_eq(sig.num_results, 1);
    cr_assert_eq(sig.params[1], KILN_I32);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(call, export_names_compare_by_length_not_nul) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_extern e;
    cr_assert(kiln_instance_export_len(inst, "add\0x", 3, &e));
    cr_assert_eq(e.of.func, export_func(inst, "add"));
    cr_assert_not(kiln_instance_export_len(inst, "add\0x", 5, &e));
    cr_assert_not(kiln_instance_export(inst, "ad", &e));
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(call, unreachable_traps_and_the_next_call_works) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call3(inst, "trap", 0, 0, 0, NULL), KILN_TRAP_UNREACHABLE);
    cr_assert_str_eq(kiln_trap_message(), "unreachable");
    cr_assert_eq(call_ok(inst, "add", 1, 1), 2);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(call, host_import_is_called_with_its_arguments) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    int before = host_calls;
    cr_assert_eq(call_ok(inst, "call_double", 21, 0), 42);
    cr_assert_eq(host_calls, before + 1);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(call, host_trap_reaches_the_host_with_its_message) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call3(inst, "call_double", -5, 0, 0, NULL), KILN_TRAP_HOST);
    cr_assert_str_eq(kiln_trap_message(), "negative input");
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(call, host_can_reenter_wasm_and_catch_its_trap) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call_ok(inst, "call_double", -1, 0), 99);
    cr_assert_eq(call_ok(inst, "call_double", 5, 0), 10);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(call, null_funcref_is_a_null_reference_trap) {
    kiln_val slots[1];
    cr_assert_eq(kiln_call(NULL, NULL, slots), KILN_TRAP_NULL_REFERENCE);
}

/* ---- the stack limit ------------------------------------------------------------ */

Test(stack, moderate_recursion_fits_the_default_budget) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call_ok(inst, "recurse", 1000, 0), 1000);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(stack, unbounded_recursion_traps_and_recovers) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call3(inst, "recurse", 100000000, 0, 0, NULL), KILN_TRAP_CALL_STACK_EXHAUSTED);
    cr_assert_str_eq(kiln_trap_message(), "call stack exhausted");
    cr_assert_eq(call_ok(inst, "recurse", 10, 0), 10);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(stack, smaller_budget_traps_earlier) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_set_stack_budget(32 * 1024);
    cr_assert_eq(call3(inst, "recurse", 1000, 0, 0, NULL), KILN_TRAP_CALL_STACK_EXHAUSTED);
    kiln_set_stack_budget(0);
    cr_assert_eq(call_ok(inst, "recurse", 1000, 0), 1000);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

/* A budget larger than the thread's stack is clamped: still a trap, not
 * a crash. */
Test(stack, budget_beyond_the_thread_stack_still_traps) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_set_stack_budget((size_t)1 << 40);
    cr_assert_eq(call3(inst, "recurse", INT32_MAX, 0, 0, NULL), KILN_TRAP_CALL_STACK_EXHAUSTED);
    kiln_set_stack_budget(0);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

/* Another thread, with a stack much smaller than the default budget:
 * wasm still runs there, and exhaustion is still a trap. */
static void *small_stack_thread(void *arg) {
    kiln_instance *inst = arg;
    int32_t r = -1;
    uint32_t shallow = call3(inst, "recurse", 100, 0, 0, &r);
    uint32_t deep = call3(inst, "recurse", INT32_MAX, 0, 0, NULL);
    static uint32_t out[3];
    out[0] = shallow, out[1] = (uint32_t)r, out[2] = deep;
    return out;
}

Test(stack, small_thread_stacks_are_respected) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, &attr, small_stack_thread, inst), 0);
    uint32_t *out;
    pthread_join(t, (void **)&out);
    cr_assert_eq(out[0], KILN_TRAP_NONE);
    cr_assert_eq(out[1], 100);
    cr_assert_eq(out[2], KILN_TRAP_CALL_STACK_EXHAUSTED);
    pthread_attr_destroy(&attr);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

/* ---- memory ---------------------------------------------------------------------- */

Test(memory, active_data_segment_is_written) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call_ok(inst, "load", 16, 0), 42);
    cr_assert_eq(memcmp(basic_mem(inst) + 20, "hello", 5), 0);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(memory, load_past_the_end_traps) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call_ok(inst, "load", 65532, 0), 0);
    cr_assert_eq(call3(inst, "load", 65533, 0, 0, NULL), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    cr_assert_str_eq(kiln_trap_message(), "out of bounds memory access");
    cr_assert_eq(call3(inst, "load", -1, 0, 0, NULL), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(memory, grow_respects_the_maximum) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    cr_assert_eq(call_ok(inst, "grow", 1, 0), 1);
    cr_assert_eq(call_ok(inst, "load", 65536 + 65532, 0), 0);
    cr_assert_eq(call_ok(inst, "grow", 2, 0), -1);
    cr_assert_eq(call_ok(inst, "grow", 1, 0), 2);
    cr_assert_eq(call_ok(inst, "grow", 0, 0), 3);
    cr_assert_eq(call_ok(inst, "grow", 1, 0), -1);
    cr_assert_eq(call_ok(inst, "load", 16, 0), 42); /* contents survive growth */
    cr_assert_eq(kiln_memory_size(kiln_instance_memory(inst, 0)), 3u * KILN_PAGE_SIZE);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

Test(memory, standalone_memory_checks_limits) {
    cr_assert_null(kiln_memory_new(2, 1, true));
    cr_assert_null(kiln_memory_new(65537, 0, false));
    kiln_memory *m = kiln_memory_new(0, 2, true);
    cr_assert_not_null(m);
    cr_assert_eq(kiln_memory_size(m), 0);
    cr_assert_eq(kiln_memory_grow(m, 1), 0);
    kiln_memory_data(m)[65535] = 7;
    cr_assert_eq(kiln_memory_grow(m, 2), -1);
    cr_assert_eq(kiln_memory_grow(m, 1), 1);
    cr_assert_eq(kiln_memory_data(m)[65535], 7);
    kiln_memory_free(m);
}

Test(memory, guard_page_memory_grows_in_place) {
    kiln_module_desc desc = fixture_basic;
    desc.flags = KILN_DESC_GUARD_PAGES;
    kiln_linker *l = basic_linker();
    kiln_instance *inst = kiln_instantiate(&desc, l, NULL);
    cr_assert_not_null(inst);
    uint8_t *base = basic_mem(inst);
    cr_assert_eq(call_ok(inst, "load", 16, 0), 42);
    cr_assert_eq(call_ok(inst, "grow", 2, 0), 1);
    cr_assert_eq(basic_mem(inst), base);
    cr_assert_eq(call_ok(inst, "load", 3 * 65536 - 4, 0), 0);
    cr_assert_eq(call3(inst, "load", 3 * 65536 - 3, 0, 0, NULL), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

/* A fault that is not taken for a trap is a real crash.  Under
 * AddressSanitizer the chained handler is ASan's, which exits with 1. */
#if defined(__SANITIZE_ADDRESS__)
#define CRASH_EXPECTED .exit_code = 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CRASH_EXPECTED .exit_code = 1
#endif
#endif
#ifndef CRASH_EXPECTED
#define CRASH_EXPECTED .signal = SIGSEGV
#endif

/* What guard-page code does: no check, the reservation catches it. */
static void op_load_unchecked(kiln_vmctx *ctx, kiln_val *s) {
    s[0].i32 = *(volatile uint8_t *)(ctx->mem0_base + (uint32_t)s[0].i32);
}

/* A fault inside the reservation becomes a trap only in the module's own
 * generated code (runtime/signals.c).  op_load_unchecked is host code run
 * under kiln_call, so its fault is the host's: a crash, as without kiln.
 * The trap itself is tested with code the runtime has located:
 * test_signals.c, test_signals_faults.c and test_lower_memory.c. */
Test(memory, a_guard_page_fault_outside_the_module_code_is_not_a_trap, CRASH_EXPECTED) {
    kiln_module_desc desc = fixture_basic;
    desc.flags = KILN_DESC_GUARD_PAGES;
    kiln_linker *l = basic_linker();
    kiln_instance *inst = kiln_instantiate(&desc, l, NULL);
    cr_assert_not_null(inst);
    kiln_val in[1] = {{.i32 = 20}};
    cr_assert_eq(run_op(inst, op_load_unchecked, in), KILN_TRAP_NONE);
    cr_assert_eq(in[0].i32, 'h');
    kiln_val past[1] = {{.i32 = 65536}};
    run_op(inst, op_load_unchecked, past);
}

/* More instances over time than the reservation table holds at once. */
Test(memory, guard_reservations_are_released_with_their_memory) {
    kiln_module_desc desc = fixture_basic;
    desc.flags = KILN_DESC_GUARD_PAGES;
    kiln_linker *l = basic_linker();
    for (int i = 0; i < 5000; i++) {
        kiln_instance *inst = kiln_instantiate(&desc, l, NULL);
        cr_assert_not_null(inst, "instance %d", i);
        kiln_instance_free(inst);
    }
    kiln_linker_free(l);
}

static void op_null_deref(kiln_vmctx *ctx, kiln_val *s) {
    s[0].i32 = *(volatile int32_t *)(uintptr_t)(16 + (uint32_t)s[0].i32);
}

Test(memory, faults_elsewhere_are_not_swallowed, CRASH_EXPECTED) {
    kiln_module_desc desc = fixture_basic;
    desc.flags = KILN_DESC_GUARD_PAGES;
    kiln_linker *l = basic_linker();
    kiln_instance *inst = kiln_instantiate(&desc, l, NULL);
    cr_assert_not_null(inst);
    kiln_val zero[1] = {{.i32 = 0}};
    run_op(inst, op_null_deref, zero);
}

/* An explicit-bounds memory imported by a guard-page module moves into a
 * reservation; the exporter's cached base must follow it. */
Test(memory, importing_into_a_guard_page_module_moves_the_memory) {
    pair p = pair_new();
    kiln_module_desc desc = fixture_importer;
    desc.flags = KILN_DESC_GUARD_PAGES;
    kiln_instance *inst = kiln_instantiate(&desc, p.linker, NULL);
    cr_assert_not_null(inst);
    cr_assert_eq(call_ok(p.basic, "load", 16, 0), 42);
    cr_assert_eq(memcmp(basic_mem(p.basic), "xy", 2), 0);
    cr_assert_eq(call_ok(inst, "grow", 1, 0), 1);
    cr_assert_eq(call_ok(p.basic, "load", 2 * 65536 - 4, 0), 0);
    kiln_instance_free(inst);
    pair_free(&p);
}

static void op_fill(kiln_vmctx *ctx, kiln_val *s) {
    kiln_rt_memory_fill(ctx, 0, (uint32_t)s[0].i32, (uint32_t)s[1].i32, (uint32_t)s[2].i32);
}

Test(memory, fill_out_of_bounds_writes_nothing) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_val ok[3] = {{.i32 = 65536}, {.i32 = 'x'}, {.i32 = 0}};
    cr_assert_eq(run_op(inst, op_fill, ok), KILN_TRAP_NONE);
    kiln_val bad[3] = {{.i32 = 65530}, {.i32 = 'x'}, {.i32 = 7}};
    cr_assert_eq(run_op(inst, op_fill, bad), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    cr_assert_eq(basic_mem(inst)[65530], 0);
    kiln_val past[3] = {{.i32 = 65537}, {.i32 = 'x'}, {.i32 = 0}};
    cr_assert_eq(run_op(inst, op_fill, past), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

static void op_copy(kiln_vmctx *ctx, kiln_val *s) {
    kiln_rt_memory_copy(ctx, 0, 0, (uint32_t)s[0].i32, (uint32_t)s[1].i32, (uint32_t)s[2].i32);
}

Test(memory, copy_handles_overlap_and_bounds) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_val overlap[3] = {{.i32 = 21}, {.i32 = 20}, {.i32 = 5}};
    cr_assert_eq(run_op(inst, op_copy, overlap), KILN_TRAP_NONE);
    cr_assert_eq(memcmp(basic_mem(inst) + 20, "hhello", 6), 0);
    kiln_val bad[3] = {{.i32 = 0}, {.i32 = 65535}, {.i32 = 2}};
    cr_assert_eq(run_op(inst, op_copy, bad), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    cr_assert_eq(basic_mem(inst)[0], 0);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

enum { PASSIVE_DATA = 1, PASSIVE_ELEM = 1 }; /* segment indices in basic.wat */

static void op_init(kiln_vmctx *ctx, kiln_val *s) {
    kiln_rt_memory_init(ctx, 0, PASSIVE_DATA, (uint32_t)s[0].i32, (uint32_t)s[1].i32,
                        (uint32_t)s[2].i32);
}

static void op_data_drop(kiln_vmctx *ctx, kiln_val *s) { kiln_rt_data_drop(ctx, PASSIVE_DATA); }

Test(memory, init_from_a_passive_segment_and_after_drop) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_val whole[3] = {{.i32 = 100}, {.i32 = 0}, {.i32 = 7}};
    cr_assert_eq(run_op(inst, op_init, whole), KILN_TRAP_NONE);
    cr_assert_eq(memcmp(basic_mem(inst) + 100, "passive", 7), 0);
    kiln_val at_end[3] = {{.i32 = 0}, {.i32 = 7}, {.i32 = 0}};
    cr_assert_eq(run_op(inst, op_init, at_end), KILN_TRAP_NONE);
    kiln_val past[3] = {{.i32 = 0}, {.i32 = 8}, {.i32 = 0}};
    cr_assert_eq(run_op(inst, op_init, past), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    kiln_val none[3] = {{.i32 = 0}};
    cr_assert_eq(run_op(inst, op_data_drop, none), KILN_TRAP_NONE);
    kiln_val empty[3] = {{.i32 = 0}, {.i32 = 0}, {.i32 = 0}};
    cr_assert_eq(run_op(inst, op_init, empty), KILN_TRAP_NONE);
    kiln_val one[3] = {{.i32 = 0}, {.i32 = 0}, {.i32 = 1}};
    cr_assert_eq(run_op(inst, op_init, one), KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

/* ---- tables ----------------------------------------------------------------------- */

Test(table, call_indirect_through_the_element_segment) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    int32_t r;
    cr_assert_eq(call3(inst, "call_at", 0, 2, 3, &r), KILN_TRAP_NONE);
    cr_assert_eq(r, 5);
    cr_assert_eq(call3(inst, "call_at", 1, 2, 3, NULL), KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    cr_assert_str_eq(kiln_trap_message(), "indirect call type mismatch");
    cr_assert_eq(call3(inst, "call_at", 2, 2, 3, NULL), KILN_TRAP_UNDEFINED_ELEMENT);
    kiln_extern tab;
    cr_assert(kiln_instance_export(inst, "tab", &tab));
    cr_assert(kiln_table_set(tab.of.table, 0, NULL));
    cr_assert_eq(call3(inst, "call_at", 0, 2, 3, NULL), KILN_TRAP_UNINITIALIZED_ELEMENT);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

static void op_table_grow(kiln_vmctx *ctx, kiln_val *s) {
    s[0].i32 = kiln_rt_table_grow(ctx, 0, s[1].ref, (uint32_t)s[0].i32);
}

Test(table, grow_fills_new_slots_and_respects_the_maximum) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_func_ref *add = export_func(inst, "add");
    kiln_val s[2] = {{.i32 = 7}, {.ref = add}};
    cr_assert_eq(run_op(inst, op_table_grow, s), KILN_TRAP_NONE);
    cr_assert_eq(s[0].i32, 2);
    kiln_val over[2] = {{.i32 = 2}, {.ref = NULL}};
    cr_assert_eq(run_op(inst, op_table_grow, over), KILN_TRAP_NONE);
    cr_assert_eq(over[0].i32, -1);
    int32_t r;
    cr_assert_eq(call3(inst, "call_at", 8, 20, 3, &r), KILN_TRAP_NONE);
    cr_assert_eq(r, 23);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

/* Pages of [p, p + bytes) the kernel has backed with memory. */
static size_t resident_pages(const void *p, size_t bytes) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (bytes + page - 1) / page, count = 0;
    unsigned char *vec = malloc(n);
    cr_assert(vec && mincore((void *)p, n * page, vec) == 0);
    for (size_t i = 0; i < n; i++) count += vec[i] & 1;
    free(vec);
    return count;
}

/* A module can declare 100,000 tables of millions of elements in a few
 * bytes each; instantiating them must not cost that memory up front. */
Test(table, storage_is_resident_only_where_written) {
    kiln_table *t = kiln_table_new(KILN_EXTERNREF, 1000000, 10000000, true);
    cr_assert(t && t->mapped >= 1000000 * sizeof(void *));
    cr_expect_eq(resident_pages(t->rt.elems, t->mapped), 0);
    cr_assert(kiln_table_set(t, 500000, (void *)0x1234));
    cr_expect_eq(resident_pages(t->rt.elems, t->mapped), 1);
    void *ref = (void *)1;
    cr_expect(kiln_table_get(t, 500000, &ref) && ref == (void *)0x1234);
    cr_expect(kiln_table_get(t, 999999, &ref) && ref == NULL);
    cr_expect_eq(kiln_table_grow(t, 2000000, NULL), 1000000);
    cr_expect(kiln_table_get(t, 500000, &ref) && ref == (void *)0x1234, "kept across the move");
    cr_expect(kiln_table_get(t, 2999999, &ref) && ref == NULL);
    cr_expect_leq(resident_pages(t->rt.elems, t->mapped), 3, "a null grow writes nothing");
    kiln_table_free(t);
}

Test(table, grow_moves_a_small_table_into_a_mapping_and_keeps_its_elements) {
    kiln_table *t = kiln_table_new(KILN_EXTERNREF, 3, 0, false);
    cr_assert(t);
    cr_expect_eq(t->mapped, 0, "a few elements live on the heap");
    cr_assert(kiln_table_set(t, 2, (void *)0x22));
    cr_expect_eq(kiln_table_grow(t, 600, (void *)0x33), 3);
    cr_expect_neq(t->mapped, 0);
    void *ref = NULL;
    cr_expect(kiln_table_get(t, 2, &ref) && ref == (void *)0x22);
    cr_expect(kiln_table_get(t, 602, &ref) && ref == (void *)0x33, "a non-null grow writes");
    size_t capacity = t->mapped / sizeof(void *);
    cr_expect_eq(kiln_table_grow(t, (uint32_t)(capacity - 603), NULL), 603, "within the mapping");
    cr_expect(kiln_table_get(t, (uint32_t)capacity - 1, &ref) && ref == NULL);
    cr_expect(kiln_table_get(t, 3, &ref) && ref == (void *)0x33);
    kiln_table_free(t);
}

static void op_table_init(kiln_vmctx *ctx, kiln_val *s) {
    kiln_rt_table_init(ctx, 0, PASSIVE_ELEM, (uint32_t)s[0].i32, (uint32_t)s[1].i32,
                       (uint32_t)s[2].i32);
}

static void op_table_fill(kiln_vmctx *ctx, kiln_val *s) {
    kiln_rt_table_fill(ctx, 0, (uint32_t)s[0].i32, s[1].ref, (uint32_t)s[2].i32);
}

static void op_elem_drop(kiln_vmctx *ctx, kiln_val *s) { kiln_rt_elem_drop(ctx, PASSIVE_ELEM); }

Test(table, init_fill_and_drop_follow_the_bounds_rules) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_extern tab;
    cr_assert(kiln_instance_export(inst, "tab", &tab));
    kiln_val init[3] = {{.i32 = 1}, {.i32 = 0}, {.i32 = 1}};
    cr_assert_eq(run_op(inst, op_table_init, init), KILN_TRAP_NONE);
    void *ref;
    cr_assert(kiln_table_get(tab.of.table, 1, &ref));
    cr_assert_eq(ref, export_func(inst, "add"));
    kiln_val fill[3] = {{.i32 = 1}, {.ref = NULL}, {.i32 = 2}};
    cr_assert_eq(run_op(inst, op_table_fill, fill), KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    cr_assert_str_eq(kiln_trap_message(), "out of bounds table access");
    cr_assert(kiln_table_get(tab.of.table, 1, &ref) && ref != NULL);
    kiln_val none[3] = {{.i32 = 0}};
    cr_assert_eq(run_op(inst, op_elem_drop, none), KILN_TRAP_NONE);
    cr_assert_eq(run_op(inst, op_table_init, init), KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    kiln_val empty[3] = {{.i32 = 2}, {.i32 = 0}, {.i32 = 0}};
    cr_assert_eq(run_op(inst, op_table_init, empty), KILN_TRAP_NONE);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

static void op_table_copy(kiln_vmctx *ctx, kiln_val *s) {
    kiln_rt_table_copy(ctx, 0, 0, (uint32_t)s[0].i32, (uint32_t)s[1].i32, (uint32_t)s[2].i32);
}

Test(table, copy_overlaps_and_checks_both_ranges) {
    kiln_linker *l = basic_linker();
    kiln_instance *inst = basic_new(l);
    kiln_extern tab;
    cr_assert(kiln_instance_export(inst, "tab", &tab));
    void *add, *trap, *ref;
    kiln_table_get(tab.of.table, 0, &add);
    kiln_table_get(tab.of.table, 1, &trap);
    kiln_val fwd[3] = {{.i32 = 1}, {.i32 = 0}, {.i32 = 1}};
    cr_assert_eq(run_op(inst, op_table_copy, fwd), KILN_TRAP_NONE);
    cr_assert(kiln_table_get(tab.of.table, 1, &ref) && ref == add);
    kiln_val bad_src[3] = {{.i32 = 0}, {.i32 = 1}, {.i32 = 2}};
    cr_assert_eq(run_op(inst, op_table_copy, bad_src), KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    kiln_val bad_dst[3] = {{.i32 = 2}, {.i32 = 0}, {.i32 = 1}};
    cr_assert_eq(run_op(inst, op_table_copy, bad_dst), KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    kiln_val empty_at_end[3] = {{.i32 = 2}, {.i32 = 2}, {.i32 = 0}};
    cr_assert_eq(run_op(inst, op_table_copy, empty_at_end), KILN_TRAP_NONE);
    cr_assert(kiln_table_get(tab.of.table, 0, &ref) && ref == add);
    cr_assert_neq(trap, add);
    kiln_instance_free(inst);
    kiln_linker_free(l);
}

/* ---- sharing between instances ------------------------------------------------- */

static pair pair_new(void) {
    pair p = {basic_linker(), NULL, NULL};
    p.basic = basic_new(p.linker);
    cr_assert(kiln_linker_define_instance(p.linker, "basic", p.basic));
    kiln_instantiate_error err;
    p.importer = kiln_instantiate(&fixture_importer, p.linker, &err);
    cr_assert_not_null(p.importer, "%s", err.message);
    return p;
}

static void pair_free(pair *p) {
    kiln_instance_free(p->importer);
    kiln_instance_free(p->basic);
    kiln_linker_free(p->linker);
}

Test(sharing, importer_segments_write_the_shared_table_and_memory) {
    pair p = pair_new();
    int32_t r;
    cr_assert_eq(call3(p.basic, "call_at", 1, 4, 5, &r), KILN_TRAP_NONE);
    cr_assert_eq(r, 9);
    cr_assert_eq(memcmp(basic_mem(p.basic), "xy", 2), 0);
    cr_assert_eq(call_ok(p.importer, "call_add", 30, 12), 42);
    pair_free(&p);
}

Test(sharing, mutable_global_import_aliases_the_exporter) {
    pair p = pair_new();
    cr_assert_eq(call_ok(p.importer, "get_g", 0, 0), 42);
    call_ok(p.importer, "set_g", 7, 0);
    kiln_extern g;
    cr_assert(kiln_instance_export(p.basic, "g", &g));
    cr_assert_eq(kiln_global_get(g.of.global).i32, 7);
    kiln_global_set(g.of.global, (kiln_val){.i32 = -3});
    cr_assert_eq(call_ok(p.importer, "get_g", 0, 0), -3);
    pair_free(&p);
}

Test(sharing, growth_is_seen_by_every_instance) {
    pair p = pair_new();
    cr_assert_eq(call_ok(p.importer, "grow", 1, 0), 1);
    cr_assert_eq(call_ok(p.basic, "load", 65536 + 65532, 0), 0);
    cr_assert_eq(call_ok(p.basic, "grow", 1, 0), 2);
    cr_assert_eq(call_ok(p.importer, "size", 0, 0), 3);
    cr_assert_eq(call_ok(p.importer, "grow", 1, 0), -1);
    pair_free(&p);
}

Test(sharing, exporter_outlives_its_handle_while_imported) {
    pair p = pair_new();
    kiln_instance_free(p.basic);
    kiln_linker_free(p.linker);
    cr_assert_eq(call_ok(p.importer, "call_add", 1, 2), 3);
    cr_assert_eq(call_ok(p.importer, "size", 0, 0), 1);
    kiln_instance_free(p.importer);
}

static kiln_instantiate_error importer_with(const char *name, kiln_extern value) {
    pair p = pair_new();
    kiln_linker_define(p.linker, "basic", name, value);
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&fixture_importer, p.linker, &err));
    pair_free(&p);
    return err;
}

Test(sharing, import_type_mismatches_are_incompatible) {
    kiln_memory *small = kiln_memory_new(0, 1, true);
    kiln_extern mem = {.kind = KILN_EXTERN_MEMORY, .of.memory = small};
    cr_assert_eq(importer_with("mem", mem).kind, KILN_INST_LINK);
    kiln_table *ext = kiln_table_new(KILN_EXTERNREF, 2, 0, false);
    kiln_extern tab = {.kind = KILN_EXTERN_TABLE, .of.table = ext};
    cr_assert_eq(importer_with("tab", tab).kind, KILN_INST_LINK);
    kiln_global_inst *imm = kiln_global_new(KILN_I32, false, (kiln_val){.i32 = 1});
    kiln_extern glob = {.kind = KILN_EXTERN_GLOBAL, .of.global = imm};
    kiln_instantiate_error err = importer_with("g", glob);
    cr_assert_eq(err.kind, KILN_INST_LINK);
    cr_assert(strstr(err.message, "incompatible import type \"basic\".\"g\"") == err.message,
              "%s", err.message);
    kiln_memory_free(small);
    kiln_table_free(ext);
    kiln_global_free(imm);
}

Test(sharing, larger_objects_satisfy_smaller_imports) {
    kiln_memory *big = kiln_memory_new(2, 5, true);
    kiln_extern mem = {.kind = KILN_EXTERN_MEMORY, .of.memory = big};
    pair p = pair_new();
    kiln_linker_define(p.linker, "basic", "mem", mem);
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(&fixture_importer, p.linker, &err);
    cr_assert_not_null(inst, "%s", err.message);
    cr_assert_eq(call_ok(inst, "size", 0, 0), 2);
    cr_assert_eq(memcmp(kiln_memory_data(big), "xy", 2), 0);
    kiln_instance_free(inst);
    pair_free(&p);
    kiln_memory_free(big);
}

/* ---- segments that do not fit ---------------------------------------------------- */

Test(segments, element_trap_keeps_earlier_writes_and_skips_data) {
    pair p = pair_new();
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&fixture_oob_elem, p.linker, &err));
    cr_assert_eq(err.kind, KILN_INST_TRAP);
    cr_assert_eq(err.trap, KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    cr_assert_str_eq(err.message, "out of bounds table access");
    kiln_extern tab;
    cr_assert(kiln_instance_export(p.basic, "tab", &tab));
    void *seven;
    cr_assert(kiln_table_get(tab.of.table, 0, &seven) && seven);
    kiln_val slots[1];
    cr_assert_eq(kiln_call(NULL, seven, slots), KILN_TRAP_NONE);
    cr_assert_eq(slots[0].i32, 7);
    cr_assert_eq(memcmp(basic_mem(p.basic), "xy", 2), 0); /* not "zz" */
    pair_free(&p);
}

Test(segments, data_trap_keeps_earlier_segments) {
    pair p = pair_new();
    kiln_instantiate_error err;
    cr_assert_null(kiln_instantiate(&fixture_oob_data, p.linker, &err));
    cr_assert_eq(err.kind, KILN_INST_TRAP);
    cr_assert_eq(err.trap, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    cr_assert_eq(memcmp(basic_mem(p.basic) + 100, "ok", 2), 0);
    cr_assert_eq(basic_mem(p.basic)[65535], 0);
    pair_free(&p);
}

Test(trap_text, every_kind_and_the_missing_export_status_have_a_text) {
    for (uint32_t k = 0; k < KILN_TRAP_KIND_COUNT; k++)
        cr_expect_str_neq(kiln_trap_kind_text(k), "unknown trap", "trap kind %u", k);
    cr_expect_str_eq(kiln_trap_kind_text(KILN_EXPORT_MISSING),
                     "the instance has no such function export");
    cr_expect_str_eq(kiln_trap_kind_text(KILN_TRAP_KIND_COUNT + 7), "unknown trap");
}

/* ---- canonical signatures (runtime/types.c) ------------------------------- */

/* 300,000 distinct signatures (2 to 18 parameters, i32 or i64 each, the
 * bits of k), interned twice: every second lookup finds the first id.
 * Interning used to scan every signature so far: about 4.5e10 compares
 * here, minutes; by hash it is well under a second. */
Test(types, interning_many_signatures_stays_linear, .timeout = 30) {
    enum { N = 300000 };
    uint32_t *ids = malloc(sizeof *ids * N);
    cr_assert(ids);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t k = 0; k < N; k++) {
            uint8_t params[24];
            uint32_t np = 0;
            for (uint32_t bits = k + 2; bits > 1; bits >>= 1)
                params[np++] = bits & 1 ? KILN_I32 : KILN_I64;
            uint32_t id = type_intern(np, params, 0, NULL);
            cr_assert_neq(id, 0);
            if (pass == 0) ids[k] = id;
            else cr_assert_eq(id, ids[k], "signature %u: id %u, then %u", k, ids[k], id);
        }
    for (uint32_t k = 1; k < N; k++) cr_assert_neq(ids[k], ids[k - 1]);
    free(ids);
}

/* ---- the linker's index (runtime/linker.c) -------------------------------- */

/* 200,000 names defined, then each found, redefined (the count stays)
 * and found again.  Every lookup used to scan all entries: 2e10 name
 * compares for the definitions alone. */
Test(linker, many_names_stay_linear, .timeout = 30) {
    enum { N = 200000 };
    kiln_linker *l = kiln_linker_new();
    char name[32];
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t k = 0; k < N; k++) {
            snprintf(name, sizeof name, "f%u", k);
            cr_assert(kiln_linker_define_func(l, "m", name, &SIG_I_I, host_double, &host_calls));
        }
    for (uint32_t k = 0; k < N; k++) {
        snprintf(name, sizeof name, "f%u", k);
        cr_assert(kiln_linker_contains(l, "m", name), "%s", name);
        cr_assert_not(kiln_linker_contains(l, "n", name));
    }
    cr_assert_not(kiln_linker_contains(l, "m", "f200000"));
    kiln_linker_free(l);
}
