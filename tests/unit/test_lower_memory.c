/* test_lower_memory.c - guard-page memory mode (lower_memory.c), interrupt
 * (no checks in generated code; kiln_instance_interrupt) and instance limits
 * (kiln_instantiate_limited), on tests/unit/wat/guard.wat.
 *
 * IR properties are checked on the unoptimised IR; behaviour is checked by
 * compiling the module at -O0 and -O2, linking it into a shared library
 * and running it through the embedding API, so the optimiser had its
 * chance to delete the loads the trap depends on. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"
#include "lower_internal.h"
#include "wasm_fixture.h"


/* Function indices in guard.wat. */
enum { F_DEAD_LOAD, F_DEAD_LOCAL, F_LOAD, F_LOAD_MAX_OFF, F_STORE, F_GROW, F_TABLE_GROW, F_SUM,
       F_SPIN, F_LANE_LOAD, F_WRAP_LOAD };

static loaded wasm_load(void) { return wasm_load_named("guard"); }

/* ---- IR properties ------------------------------------------------------------ */

typedef struct ir {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMTargetMachineRef tm;
    loaded l;
} ir;

static ir ir_lower_at(bool explicit_bounds, int opt_level) {
    ir r = {LLVMContextCreate(), NULL, host_tm(), wasm_load()};
    kiln_compile_options opts = {.opt_level = opt_level, .prefix = "guard",
                                 .explicit_bounds = explicit_bounds};
    kiln_error err;
    error_clear(&err);
    r.mod = module_compile_ir(r.l.m, r.l.bytes, r.l.size, &opts, r.ctx, r.tm, opt_level > 0, &err);
    cr_assert(r.mod, "%s", err.message);
    return r;
}

static ir ir_lower(bool explicit_bounds) { return ir_lower_at(explicit_bounds, 0); }

static void ir_free(ir *r) {
    LLVMDisposeModule(r->mod);
    LLVMContextDispose(r->ctx);
    LLVMDisposeTargetMachine(r->tm);
    loaded_free(&r->l);
}

/* Symbols are guard.f<index>, optionally followed by the wasm name. */
static LLVMValueRef func_find(LLVMModuleRef mod, unsigned index) {
    char want[32];
    int n = snprintf(want, sizeof want, "guard.f%u", index);
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
        size_t len;
        const char *name = LLVMGetValueName2(fn, &len);
        if (strncmp(name, want, (size_t)n) == 0 && (name[n] == 0 || name[n] == '.')) return fn;
    }
    cr_assert_fail("no function %s", want);
    return NULL;
}

/* Linear-memory accesses are the only loads/stores with alignment 1. */
static bool is_memory_load(LLVMValueRef i) {
    return LLVMGetInstructionOpcode(i) == LLVMLoad && LLVMGetAlignment(i) == 1;
}

static bool is_pin_call(LLVMValueRef i) {
    return LLVMGetInstructionOpcode(i) == LLVMCall && LLVMIsAInlineAsm(LLVMGetCalledValue(i));
}

static bool is_sink_slot(LLVMValueRef p) {
    size_t len;
    const char *name = LLVMIsAAllocaInst(p) ? LLVMGetValueName2(p, &len) : NULL;
    return name && strncmp(name, "sink", 4) == 0;
}

/* True if `load`'s whole value (itself, or a zext/bitcast of it) is kept
 * by guard mode (lower_memory.c): the operand of a pin (an inline-asm
 * call), or xor-ed into a sink that is stored back to its slot. */
static bool is_pinned(LLVMValueRef load) {
    for (LLVMUseRef u = LLVMGetFirstUse(load); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        LLVMOpcode op = LLVMGetInstructionOpcode(user);
        if ((op == LLVMBitCast || op == LLVMZExt) && is_pinned(user)) return true;
        if (is_pin_call(user)) return true;
        if (op != LLVMXor) continue;
        for (LLVMUseRef x = LLVMGetFirstUse(user); x; x = LLVMGetNextUse(x)) {
            LLVMValueRef st = LLVMGetUser(x);
            if (LLVMIsAStoreInst(st) && is_sink_slot(LLVMGetOperand(st, 1))) return true;
        }
    }
    return false;
}

static LLVMValueRef first_memory_load(LLVMValueRef fn) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (is_memory_load(i)) return i;
    cr_assert_fail("no memory load");
    return NULL;
}

/* Inline-asm pins and xor instructions in `fn`. */
static int count_ops(LLVMValueRef fn, int *xors) {
    int pins = 0;
    *xors = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            pins += is_pin_call(i);
            *xors += LLVMGetInstructionOpcode(i) == LLVMXor;
        }
    return pins;
}

/* Counts the memory loads of `fn`, how many are volatile and how many
 * pinned. */
static int memory_loads(LLVMValueRef fn, int *volatile_count, int *pinned_count) {
    int n = 0;
    *volatile_count = *pinned_count = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (is_memory_load(i)) {
                n++;
                *volatile_count += LLVMGetVolatile(i) != 0;
                *pinned_count += is_pinned(i);
            }
    return n;
}

/* Calls of kiln_rt_trap(ctx, kind) in the whole module. */
static int trap_calls(LLVMModuleRef mod, uint32_t kind) {
    int n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
                if (LLVMGetInstructionOpcode(i) != LLVMCall) continue;
                size_t len;
                const char *callee = LLVMGetValueName2(LLVMGetCalledValue(i), &len);
                LLVMValueRef k = LLVMGetOperand(i, 1);
                n += strcmp(callee, "kiln_rt_trap") == 0 && LLVMIsAConstantInt(k) &&
                     LLVMConstIntGetZExtValue(k) == kind;
            }
    return n;
}

Test(guard_ir, guard_mode_has_no_bounds_check_explicit_mode_has_them) {
    ir g = ir_lower(false), e = ir_lower(true);
    cr_expect_eq(trap_calls(g.mod, KILN_TRAP_MEMORY_OUT_OF_BOUNDS), 0);
    cr_expect_geq(trap_calls(e.mod, KILN_TRAP_MEMORY_OUT_OF_BOUNDS), 6);
    ir_free(&g);
    ir_free(&e);
}

Test(guard_ir, loads_nothing_uses_are_pinned) {
    ir r = ir_lower(false);
    int vol, pin;
    cr_expect_eq(memory_loads(func_find(r.mod, F_DEAD_LOAD), &vol, &pin), 1);
    cr_expect_eq(pin, 1, "(drop (i32.load)) must stay");
    cr_expect_eq(memory_loads(func_find(r.mod, F_DEAD_LOCAL), &vol, &pin), 1);
    cr_expect_eq(pin, 1, "a load into a local nobody reads must stay");
    ir_free(&r);
}

Test(guard_ir, used_loads_are_pinned_and_stay_plain) {
    /* A used load can still lose its trap (x ^ x, x * 0, a constant
     * inlined into its only use), so it feeds the sink too; not volatile,
     * so a loop's loads stay optimisable. */
    ir r = ir_lower(false);
    int vol, pin, xors;
    cr_expect_eq(memory_loads(func_find(r.mod, F_LOAD), &vol, &pin), 1);
    cr_expect_eq(vol, 0);
    cr_expect_eq(pin, 1);
    cr_expect_eq(memory_loads(func_find(r.mod, F_SUM), &vol, &pin), 1);
    cr_expect_eq(vol, 0, "a loop's loads must stay optimisable");
    cr_expect_eq(pin, 1);
    cr_expect_geq(count_ops(func_find(r.mod, F_SUM), &xors), 1, "the sink is pinned at the return");
    ir_free(&r);
}

Test(guard_ir, optimised_code_keeps_dead_loads_and_drops_needless_sinks) {
    /* After -O2 and sink_trim: a load nothing uses is still there and
     * still pinned; the loop's load, whose value the sum needs, keeps no
     * xor in the loop (sink_trim.c). */
    ir r = ir_lower_at(false, 2);
    int vol, pin, xors;
    cr_expect_eq(memory_loads(func_find(r.mod, F_DEAD_LOAD), &vol, &pin), 1, "(drop (i32.load)) must stay");
    cr_expect_geq(count_ops(func_find(r.mod, F_DEAD_LOAD), &xors), 1);
    cr_expect_eq(memory_loads(func_find(r.mod, F_WRAP_LOAD), &vol, &pin), 1);
    cr_expect_eq(LLVMGetIntTypeWidth(LLVMTypeOf(first_memory_load(func_find(r.mod, F_WRAP_LOAD)))), 64,
                 "the i64 load must not be narrowed to its low half");
    cr_expect_geq(memory_loads(func_find(r.mod, F_SUM), &vol, &pin), 1);
    count_ops(func_find(r.mod, F_SUM), &xors);
    cr_expect_eq(xors, 0, "the sum's loads need no sink");
    ir_free(&r);
}

Test(guard_ir, partly_used_loads_are_pinned_whole) {
    /* The pin takes the whole value, so LLVM cannot narrow the load to
     * the bytes the program uses. */
    ir r = ir_lower(false);
    int vol, pin;
    cr_expect_eq(memory_loads(func_find(r.mod, F_LANE_LOAD), &vol, &pin), 1);
    cr_expect_eq(pin, 1, "one lane of a v128 load");
    cr_expect_eq(memory_loads(func_find(r.mod, F_WRAP_LOAD), &vol, &pin), 1);
    cr_expect_eq(pin, 1, "the low half of an i64 load");
    ir_free(&r);
}

Test(guard_ir, explicit_mode_pins_no_load) {
    ir r = ir_lower(true);
    int vol, pin;
    memory_loads(func_find(r.mod, F_DEAD_LOAD), &vol, &pin);
    cr_expect_eq(vol, 0);
    cr_expect_eq(pin, 0);
    ir_free(&r);
}

Test(guard_ir, generated_code_has_no_interrupt_check) {
    /* Interrupts arrive by signal (runtime/signals.c): no trap call for
     * them, and no volatile flag load to give loops a second exit. */
    for (int explicit_bounds = 0; explicit_bounds < 2; explicit_bounds++) {
        ir r = ir_lower(explicit_bounds);
        cr_expect_eq(trap_calls(r.mod, KILN_TRAP_INTERRUPTED), 0);
        int volatile_loads = 0;
        LLVMValueRef fn = func_find(r.mod, F_SUM);
        for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
            for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
                volatile_loads += LLVMGetInstructionOpcode(i) == LLVMLoad && LLVMGetVolatile(i);
        cr_expect_eq(volatile_loads, 0, "sum (bounds checks %s)", explicit_bounds ? "explicit" : "guard");
        ir_free(&r);
    }
}

/* ---- running ------------------------------------------------------------------------ */

typedef struct guest {
    compiled_so code;
    kiln_instance *inst;
} guest;

static guest guest_build(int opt, bool explicit_bounds) {
    loaded l = wasm_load();
    char prefix[32];
    snprintf(prefix, sizeof prefix, "guard_o%d_%c", opt, explicit_bounds ? 'e' : 'g');
    kiln_compile_options opts = {.opt_level = opt, .prefix = prefix, .explicit_bounds = explicit_bounds};
    guest g = {.code = compiled_open(&l, &opts)};
    loaded_free(&l);
    cr_expect_eq(g.code.desc->flags, explicit_bounds ? KILN_DESC_EXPLICIT_BOUNDS : KILN_DESC_GUARD_PAGES);
    return g;
}

static guest guest_open(int opt, bool explicit_bounds, const kiln_instance_limits *limits) {
    guest g = guest_build(opt, explicit_bounds);
    kiln_instantiate_error ierr;
    g.inst = kiln_instantiate_limited(g.code.desc, NULL, limits, &ierr);
    cr_assert(g.inst, "instantiate: %s", ierr.message);
    return g;
}

static void guest_close(guest *g) {
    kiln_instance_free(g->inst);
    compiled_close(&g->code);
}

/* Calls an export taking up to two i32s; its i32 result (0 if it has
 * none), or -1000 - trap kind. */
static int64_t call2(guest *g, const char *export, int32_t a, int32_t b) {
    kiln_extern e;
    kiln_signature sig;
    cr_assert(kiln_instance_export(g->inst, export, &e), "no export %s", export);
    cr_assert(kiln_func_signature(e.of.func, &sig));
    kiln_val s[2] = {{.i32 = a}, {.i32 = b}};
    uint32_t trap = kiln_call(g->inst, e.of.func, s);
    if (trap) return -1000 - (int64_t)trap;
    return sig.num_results ? s[0].i32 : 0;
}

#define OOB (-1000 - (int64_t)KILN_TRAP_MEMORY_OUT_OF_BOUNDS)
static const int opt_levels[] = {0, 2};

Test(guard_run, unused_loads_still_trap_after_optimisation) {
    for (int k = 0; k < 2; k++) {
        guest g = guest_open(opt_levels[k], false, NULL);
        cr_expect_eq(call2(&g, "dead_load", 65532, 0), 0, "-O%d", opt_levels[k]);
        cr_expect_eq(call2(&g, "dead_load", 65533, 0), OOB, "-O%d", opt_levels[k]);
        cr_expect_eq(call2(&g, "dead_load", -1, 0), OOB, "-O%d", opt_levels[k]);
        cr_expect_eq(call2(&g, "dead_local", 65520, 0), 0, "-O%d", opt_levels[k]);
        cr_expect_eq(call2(&g, "dead_local", 65521, 0), OOB, "-O%d", opt_levels[k]);
        cr_expect_str_eq(kiln_trap_message(), "out of bounds memory access");
        cr_expect_eq(call2(&g, "lane_load", 65520, 0), 0, "-O%d", opt_levels[k]);
        cr_expect_eq(call2(&g, "lane_load", 65521, 0), OOB, "-O%d", opt_levels[k]);
        cr_expect_eq(call2(&g, "wrap_load", 65528, 0), 0, "-O%d", opt_levels[k]);
        cr_expect_eq(call2(&g, "wrap_load", 65529, 0), OOB, "-O%d", opt_levels[k]);
        guest_close(&g);
    }
}

Test(guard_run, accesses_fault_at_the_exact_edge_and_the_largest_offset) {
    for (int k = 0; k < 2; k++) {
        guest g = guest_open(opt_levels[k], false, NULL);
        cr_expect_eq(call2(&g, "store", 65532, 0x01020304), 0);
        cr_expect_eq(call2(&g, "load", 65532, 0), 0x01020304);
        cr_expect_eq(call2(&g, "store", 65533, 7), OOB);
        cr_expect_eq(call2(&g, "load", 65532, 0), 0x01020304, "a faulting store writes nothing");
        cr_expect_eq(call2(&g, "load_max_off", 0, 0), OOB);
        cr_expect_eq(call2(&g, "load_max_off", -1, 0), OOB, "8 GiB - 2 is still reserved");
        cr_expect_eq(call2(&g, "load", 65536, 0), OOB);
        guest_close(&g);
    }
}

Test(guard_run, grow_commits_pages_in_place) {
    guest g = guest_open(2, false, NULL);
    cr_expect_eq(call2(&g, "grow", 1, 0), 1);
    cr_expect_eq(call2(&g, "store", 131068, 9), 0);
    cr_expect_eq(call2(&g, "load", 131068, 0), 9);
    cr_expect_eq(call2(&g, "load", 131069, 0), OOB);
    cr_expect_eq(call2(&g, "grow", 3, 0), -1, "past the declared maximum of 4");
    guest_close(&g);
}

/* ---- interrupts ------------------------------------------------------------------------ */

static _Atomic bool spin_returned;

/* An interrupt reaches only calls in progress: repeat it until one lands
 * (the call may not have started yet on a loaded machine). */
static void *interrupt_later(void *arg) {
    while (!atomic_load(&spin_returned)) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        kiln_instance_interrupt(arg);
    }
    return NULL;
}

Test(interrupt, an_endless_loop_is_interrupted_from_another_thread) {
    for (int k = 0; k < 4; k++) {
        guest g = guest_open(opt_levels[k % 2], k < 2, NULL);
        pthread_t t;
        atomic_store(&spin_returned, false);
        cr_assert_eq(pthread_create(&t, NULL, interrupt_later, g.inst), 0);
        int64_t result = call2(&g, "spin", 0, 0);
        atomic_store(&spin_returned, true);
        cr_expect_eq(result, -1000 - (int64_t)KILN_TRAP_INTERRUPTED);
        cr_expect_str_eq(kiln_trap_message(), "interrupted");
        pthread_join(t, NULL);
        guest_close(&g);
    }
}

Test(interrupt, an_interrupt_without_a_call_in_progress_changes_nothing) {
    guest g = guest_open(2, true, NULL);
    kiln_instance_interrupt(g.inst);
    cr_expect_eq(call2(&g, "store", 0, 5), 0, "the interrupt came before this call");
    cr_expect_eq(call2(&g, "load", 0, 0), 5);
    guest_close(&g);
}

/* ---- limits ------------------------------------------------------------------------------- */

Test(limits, memory_grow_stops_at_the_page_cap) {
    kiln_instance_limits lim = {2, KILN_NO_LIMIT};
    for (int mode = 0; mode < 2; mode++) {
        guest g = guest_open(2, mode == 0, &lim);
        cr_expect_eq(call2(&g, "grow", 1, 0), 1);
        cr_expect_eq(call2(&g, "grow", 1, 0), -1, "the module allows 4, the cap 2");
        cr_expect_eq(call2(&g, "grow", 0, 0), 2);
        guest_close(&g);
    }
}

Test(limits, table_grow_stops_at_the_element_cap) {
    kiln_instance_limits lim = {KILN_NO_LIMIT, 3};
    guest g = guest_open(2, true, &lim);
    cr_expect_eq(call2(&g, "table_grow", 2, 0), 1);
    cr_expect_eq(call2(&g, "table_grow", 1, 0), -1);
    cr_expect_eq(call2(&g, "table_grow", 0, 0), 3);
    guest_close(&g);
}

Test(limits, a_minimum_above_the_cap_fails_instantiation) {
    guest g = guest_build(0, true);
    kiln_instance_limits no_pages = {0, KILN_NO_LIMIT}, no_elems = {KILN_NO_LIMIT, 0};
    kiln_instantiate_error err;
    cr_expect_null(kiln_instantiate_limited(g.code.desc, NULL, &no_pages, &err));
    cr_expect_eq(err.kind, KILN_INST_LIMIT);
    cr_expect(strstr(err.message, "memory 0"), "%s", err.message);
    cr_expect_null(kiln_instantiate_limited(g.code.desc, NULL, &no_elems, &err));
    cr_expect_eq(err.kind, KILN_INST_LIMIT);
    cr_expect(strstr(err.message, "table 0"), "%s", err.message);
    kiln_instance_limits exact = {1, 1};
    g.inst = kiln_instantiate_limited(g.code.desc, NULL, &exact, &err);
    cr_expect(g.inst, "minimum == cap is allowed: %s", err.message);
    guest_close(&g);
}
