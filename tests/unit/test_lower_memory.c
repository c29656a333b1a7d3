/* test_lower_memory.c - guard-page memory mode (lower_memory.c), interrupt
 * (no checks in generated code; kiln_instance_interrupt) and instance limits
 * (kiln_instantiate_limited), on tests/unit/wat/guard.wat; 64-bit memories
 * and tables (lower_memory.c, lower_table.c) on a module of bytes.
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
       F_SPIN, F_LANE_LOAD, F_WRAP_LOAD, F_BYTE_SIGN, F_LOOP_SHAPES };

static loaded wasm_load(void) { return wasm_load_named("guard"); }

/* ---- IR properties ------------------------------------------------------------ */

typedef struct ir {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMTargetMachineRef tm;
    loaded l;
} ir;

static ir ir_lower_with(bool explicit_bounds, int opt_level, bool optimize) {
    ir r = {LLVMContextCreate(), NULL, host_tm(), wasm_load()};
    kiln_compile_options opts = {.opt_level = opt_level, .prefix = "guard",
                                 .explicit_bounds = explicit_bounds};
    kiln_error err;
    error_clear(&err);
    r.mod = module_compile_ir(r.l.m, r.l.bytes, r.l.size, &opts, r.ctx, r.tm, optimize, &err);
    cr_assert(r.mod, "%s", err.message);
    return r;
}

static ir ir_lower_at(bool explicit_bounds, int opt_level) {
    return ir_lower_with(explicit_bounds, opt_level, opt_level > 0);
}

/* The IR the -O2 pipeline starts from (-O0 lowers guard-mode loads
 * differently: see O0_loads_are_volatile_without_sinks). */
static ir ir_lower(bool explicit_bounds) { return ir_lower_with(explicit_bounds, 2, false); }

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
 * call), or added into a sink that is stored back to its slot. */
static bool is_pinned(LLVMValueRef load) {
    for (LLVMUseRef u = LLVMGetFirstUse(load); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        LLVMOpcode op = LLVMGetInstructionOpcode(user);
        if ((op == LLVMBitCast || op == LLVMZExt) && is_pinned(user)) return true;
        if (is_pin_call(user)) return true;
        if (op != LLVMAdd) continue;
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

/* True if `v` flows into a pin or a sink slot, through the adds, phis
 * and selects a sink is made of (the program's own sums reach neither). */
static bool feeds_sink(LLVMValueRef v, int depth) {
    for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u);
        LLVMOpcode op = LLVMGetInstructionOpcode(user);
        if (is_pin_call(user)) return true;
        if (op == LLVMStore && is_sink_slot(LLVMGetOperand(user, 1))) return true;
        if (depth > 0 && (op == LLVMAdd || op == LLVMPHI || op == LLVMSelect) &&
            feeds_sink(user, depth - 1))
            return true;
    }
    return false;
}

/* Inline-asm pins and sink adds in `fn`. */
static int count_ops(LLVMValueRef fn, int *sink_adds) {
    int pins = 0;
    *sink_adds = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            pins += is_pin_call(i);
            *sink_adds += LLVMGetInstructionOpcode(i) == LLVMAdd && feeds_sink(i, 8);
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
     * sink add in the loop (sink_trim.c). */
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

/* Calls of llvm.bswap.* in `fn`. */
static int bswaps(LLVMValueRef fn) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (LLVMGetInstructionOpcode(i) != LLVMCall) continue;
            size_t len;
            const char *callee = LLVMGetValueName2(LLVMGetCalledValue(i), &len);
            n += strncmp(callee, "llvm.bswap.", 11) == 0;
        }
    return n;
}

/* The sink add of `load` (through its zext or bitcast): an add stored
 * back to a sink slot. */
static LLVMValueRef sink_add_of(LLVMValueRef load) {
    for (LLVMUseRef u = LLVMGetFirstUse(load); u; u = LLVMGetNextUse(u)) {
        LLVMValueRef user = LLVMGetUser(u), found = NULL;
        LLVMOpcode op = LLVMGetInstructionOpcode(user);
        if (op == LLVMZExt || op == LLVMBitCast) found = sink_add_of(user);
        if (found) return found;
        if (op != LLVMAdd) continue;
        for (LLVMUseRef x = LLVMGetFirstUse(user); x; x = LLVMGetNextUse(x))
            if (LLVMIsAStoreInst(LLVMGetUser(x)) && is_sink_slot(LLVMGetOperand(LLVMGetUser(x), 1)))
                return user;
    }
    return NULL;
}

static bool is_bswap_call(LLVMValueRef v) {
    size_t len;
    return LLVMIsACallInst(v) &&
           strncmp(LLVMGetValueName2(LLVMGetCalledValue(v), &len), "llvm.bswap.", 11) == 0;
}

Test(guard_ir, straight_line_sinks_swap_bytes_loops_keep_plain_adds) {
    /* Outside loops the accumulator is byte-swapped before each add, so
     * the SLP vectorizer finds no add chain to take for a reduction; a
     * loop's sink stays an add recurrence for the loop vectorizer; after
     * the pipeline sink_trim removes every bswap (lower_memory.c). */
    ir r = ir_lower(false);
    LLVMValueRef add = sink_add_of(first_memory_load(func_find(r.mod, F_LOAD)));
    cr_assert(add, "the load feeds a sink add");
    cr_expect(is_bswap_call(LLVMGetOperand(add, 0)), "straight-line code: bswap(acc) + v");
    add = sink_add_of(first_memory_load(func_find(r.mod, F_SUM)));
    cr_assert(add, "the loop's load feeds a sink add");
    cr_expect(!is_bswap_call(LLVMGetOperand(add, 0)) && !is_bswap_call(LLVMGetOperand(add, 1)),
              "in a loop: acc + v");
    ir_free(&r);
    ir o = ir_lower_at(false, 2);
    int funcs[] = {F_DEAD_LOAD, F_DEAD_LOCAL, F_LOAD, F_LOAD_MAX_OFF, F_SUM, F_LANE_LOAD, F_WRAP_LOAD};
    for (size_t k = 0; k < sizeof funcs / sizeof *funcs; k++)
        cr_expect_eq(bswaps(func_find(o.mod, funcs[k])), 0, "function %d: no bswap left", funcs[k]);
    ir_free(&o);
}

/* The memory load of `fn` whose value has type `ty`. */
static LLVMValueRef memory_load_of_type(LLVMValueRef fn, LLVMTypeRef ty) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
            if (is_memory_load(i) && LLVMTypeOf(i) == ty) return i;
    cr_assert_fail("no memory load of that type");
    return NULL;
}

Test(guard_ir, only_loads_on_a_cycle_keep_plain_adds) {
    /* A block inside a `loop` is on a cycle only if it can branch back:
     * not after the loop's last branch back, not in a loop nothing
     * branches back to; an inner loop's exit path is on the outer cycle. */
    ir r = ir_lower(false);
    LLVMValueRef fn = func_find(r.mod, F_LOOP_SHAPES);
    LLVMContextRef ctx = r.ctx;
    struct { LLVMTypeRef ty; bool on_cycle; const char *where; } loads[] = {
        {LLVMInt8TypeInContext(ctx), false, "before the loop"},
        {LLVMInt32TypeInContext(ctx), true, "before the loop's branch back"},
        {LLVMInt64TypeInContext(ctx), false, "after the loop's last branch back"},
        {LLVMInt16TypeInContext(ctx), false, "in a loop nothing branches back to"},
        {LLVMFloatTypeInContext(ctx), true, "after the inner loop's branch back, in the outer loop"},
    };
    for (size_t k = 0; k < sizeof loads / sizeof *loads; k++) {
        LLVMValueRef add = sink_add_of(memory_load_of_type(fn, loads[k].ty));
        cr_assert(add, "%s: the load feeds a sink add", loads[k].where);
        cr_expect_eq(is_bswap_call(LLVMGetOperand(add, 0)), !loads[k].on_cycle, "%s: %s", loads[k].where,
                     loads[k].on_cycle ? "acc + v" : "bswap(acc) + v");
    }
    ir_free(&r);
}

Test(guard_ir, a_byte_load_kept_by_its_sign_needs_no_sink) {
    /* A one-byte load cannot be narrowed: a sign test in its block needs
     * it as much as a whole-value use (sink_trim.c, byte_anchored). */
    ir r = ir_lower_at(false, 2);
    int vol, pin, adds;
    cr_expect_eq(memory_loads(func_find(r.mod, F_BYTE_SIGN), &vol, &pin), 1, "the byte load stays");
    count_ops(func_find(r.mod, F_BYTE_SIGN), &adds);
    cr_expect_eq(adds, 0, "its sink is dropped");
    cr_expect_eq(memory_loads(func_find(r.mod, F_WRAP_LOAD), &vol, &pin), 1);
    cr_expect_eq(pin, 1, "an i64 load whose low half alone is used keeps its sink");
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

Test(guard_ir, O0_loads_are_volatile_without_sinks) {
    /* At -O0 no optimiser can delete or narrow a load; instruction
     * selection would drop an unused one, which volatile prevents. */
    ir r = ir_lower_at(false, 0);
    int vol, pin, xors;
    int funcs[] = {F_DEAD_LOAD, F_DEAD_LOCAL, F_LOAD, F_SUM, F_WRAP_LOAD, F_LANE_LOAD};
    for (size_t k = 0; k < sizeof funcs / sizeof *funcs; k++) {
        int n = memory_loads(func_find(r.mod, funcs[k]), &vol, &pin);
        cr_expect_geq(n, 1, "function %d", funcs[k]);
        cr_expect_eq(vol, n, "function %d: every load volatile", funcs[k]);
        cr_expect_eq(pin, 0, "function %d: no sink", funcs[k]);
    }
    count_ops(func_find(r.mod, F_SUM), &xors);
    cr_expect_eq(xors, 0, "no sink adds");
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
    kiln_instance_limits lim = {.max_memory_pages = 2, .max_table_elements = KILN_NO_LIMIT};
    for (int mode = 0; mode < 2; mode++) {
        guest g = guest_open(2, mode == 0, &lim);
        cr_expect_eq(call2(&g, "grow", 1, 0), 1);
        cr_expect_eq(call2(&g, "grow", 1, 0), -1, "the module allows 4, the cap 2");
        cr_expect_eq(call2(&g, "grow", 0, 0), 2);
        guest_close(&g);
    }
}

Test(limits, table_grow_stops_at_the_element_cap) {
    kiln_instance_limits lim = {.max_memory_pages = KILN_NO_LIMIT, .max_table_elements = 3};
    guest g = guest_open(2, true, &lim);
    cr_expect_eq(call2(&g, "table_grow", 2, 0), 1);
    cr_expect_eq(call2(&g, "table_grow", 1, 0), -1);
    cr_expect_eq(call2(&g, "table_grow", 0, 0), 3);
    guest_close(&g);
}

Test(limits, a_minimum_above_the_cap_fails_instantiation) {
    guest g = guest_build(0, true);
    kiln_instance_limits no_pages = {.max_memory_pages = 0, .max_table_elements = KILN_NO_LIMIT};
    kiln_instance_limits no_elems = {.max_memory_pages = KILN_NO_LIMIT, .max_table_elements = 0};
    kiln_instantiate_error err;
    cr_expect_null(kiln_instantiate_limited(g.code.desc, NULL, &no_pages, &err));
    cr_expect_eq(err.kind, KILN_INST_LIMIT);
    cr_expect(strstr(err.message, "memory 0"), "%s", err.message);
    cr_expect_null(kiln_instantiate_limited(g.code.desc, NULL, &no_elems, &err));
    cr_expect_eq(err.kind, KILN_INST_LIMIT);
    cr_expect(strstr(err.message, "table 0"), "%s", err.message);
    kiln_instance_limits exact = {.max_memory_pages = 1, .max_table_elements = 1};
    g.inst = kiln_instantiate_limited(g.code.desc, NULL, &exact, &err);
    cr_expect(g.inst, "minimum == cap is allowed: %s", err.message);
    guest_close(&g);
}

/* The limits on all of an instance's memories and tables together. */
static guest budget_open(const kiln_instance_limits *limits, kiln_instantiate_error *err) {
    loaded l = wasm_load_named("budget");
    kiln_compile_options opts = {.opt_level = 2, .prefix = "budget", .explicit_bounds = true};
    guest g = {.code = compiled_open(&l, &opts)};
    loaded_free(&l);
    g.inst = kiln_instantiate_limited(g.code.desc, NULL, limits, err);
    return g;
}

Test(limits, memories_together_stop_at_the_total) {
    kiln_instance_limits lim = {.max_memory_pages = 5, .max_table_elements = KILN_NO_LIMIT,
                                .max_total_memory_pages = 5};
    kiln_instantiate_error err;
    guest g = budget_open(&lim, &err);
    cr_assert(g.inst, "%s", err.message);
    cr_expect_eq(call2(&g, "grow_a", 1, 0), 1, "3 + 1 pages");
    cr_expect_eq(call2(&g, "grow_b", 2, 0), -1, "3 + 1 + 2 is over 5, though b alone may have 3");
    cr_expect_eq(call2(&g, "grow_b", 1, 0), 1, "5 pages in all");
    cr_expect_eq(call2(&g, "grow_a", 1, 0), -1);
    cr_expect_eq(call2(&g, "grow_a", 0, 0), 2);
    cr_expect_eq(call2(&g, "store_c", 65535, 0), 0);
    guest_close(&g);
}

Test(limits, tables_together_stop_at_the_total) {
    kiln_instance_limits lim = {.max_memory_pages = KILN_NO_LIMIT, .max_table_elements = KILN_NO_LIMIT,
                                .max_total_table_elements = 7};
    kiln_instantiate_error err;
    guest g = budget_open(&lim, &err);
    cr_assert(g.inst, "%s", err.message);
    cr_expect_eq(call2(&g, "grow_t", 2, 0), 2, "2 + 2 + 2 elements");
    cr_expect_eq(call2(&g, "grow_u", 2, 0), -1, "8 is over 7");
    cr_expect_eq(call2(&g, "grow_u", 1, 0), 2, "7 in all");
    cr_expect_eq(call2(&g, "grow_t", 1, 0), -1);
    guest_close(&g);
}

Test(limits, minimums_over_the_total_fail_instantiation) {
    kiln_instance_limits pages = {.max_memory_pages = KILN_NO_LIMIT, .max_table_elements = KILN_NO_LIMIT,
                                  .max_total_memory_pages = 2};
    kiln_instantiate_error err;
    guest g = budget_open(&pages, &err);
    cr_expect_null(g.inst);
    cr_expect_eq(err.kind, KILN_INST_LIMIT);
    cr_expect(strstr(err.message, "memory 2: the instance's memories need more than its limit of 2 "
                                  "pages in all"), "%s", err.message);
    compiled_close(&g.code);
    kiln_instance_limits elems = {.max_memory_pages = KILN_NO_LIMIT, .max_table_elements = KILN_NO_LIMIT,
                                  .max_total_table_elements = 3};
    g = budget_open(&elems, &err);
    cr_expect_null(g.inst);
    cr_expect(strstr(err.message, "table 1: the instance's tables need more than its limit of 3"),
              "%s", err.message);
    compiled_close(&g.code);
    kiln_instance_limits none = {.max_memory_pages = KILN_NO_LIMIT, .max_table_elements = KILN_NO_LIMIT,
                                 .max_total_memory_pages = KILN_NO_LIMIT};
    g = budget_open(&none, &err);
    cr_expect(g.inst, "KILN_NO_LIMIT and 0 mean none: %s", err.message);
    guest_close(&g);
}

/* ---- 64-bit memories and tables ------------------------------------------------------- */

/* wabt 1.0.32 writes neither table64 nor i64 memory64 segments in text,
 * so this module is bytes:
 *   (type (func (param i64) (result i64)))
 *   (table $e i64 1 externref) (table $f i64 1 funcref) (memory i64 1)
 *   (elem (table $f) (i64.const 0) func $callee)
 *   "is_null" (ref.is_null (table.get $e (local.get 0))) as i64
 *   "grow"    (table.grow $e (ref.null extern) (local.get 0))
 *   "fill"    (table.fill $e (local.get 0) (ref.null extern) (i64.const 1)), 0
 *   "call"    (call_indirect $f (type 0) (i64.const 7) (local.get 0))
 *   $callee   (local.get 0)
 *   "size"    (table.size $e)
 *   "load"    (i64.load (local.get 0)) */
static const uint8_t m64_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7e, 0x01, 0x7e,                         /* type */
    0x03, 0x08, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* funcs */
    0x04, 0x07, 0x02, 0x6f, 0x04, 0x01, 0x70, 0x04, 0x01,                   /* tables */
    0x05, 0x03, 0x01, 0x04, 0x01,                                           /* memory */
    0x07, 0x2e, 0x06,                                                       /* exports */
    0x07, 'i', 's', '_', 'n', 'u', 'l', 'l', 0x00, 0x00,
    0x04, 'g', 'r', 'o', 'w', 0x00, 0x01,
    0x04, 'f', 'i', 'l', 'l', 0x00, 0x02,
    0x04, 'c', 'a', 'l', 'l', 0x00, 0x03,
    0x04, 's', 'i', 'z', 'e', 0x00, 0x05,
    0x04, 'l', 'o', 'a', 'd', 0x00, 0x06,
    0x09, 0x09, 0x01, 0x02, 0x01, 0x42, 0x00, 0x0b, 0x00, 0x01, 0x04,       /* elem */
    0x0a, 0x3f, 0x07,                                                       /* code */
    0x08, 0x00, 0x20, 0x00, 0x25, 0x00, 0xd1, 0xad, 0x0b,
    0x09, 0x00, 0xd0, 0x6f, 0x20, 0x00, 0xfc, 0x0f, 0x00, 0x0b,
    0x0d, 0x00, 0x20, 0x00, 0xd0, 0x6f, 0x42, 0x01, 0xfc, 0x11, 0x00, 0x42, 0x00, 0x0b,
    0x09, 0x00, 0x42, 0x07, 0x20, 0x00, 0x11, 0x00, 0x01, 0x0b,
    0x04, 0x00, 0x20, 0x00, 0x0b,
    0x05, 0x00, 0xfc, 0x10, 0x00, 0x0b,
    0x07, 0x00, 0x20, 0x00, 0x29, 0x03, 0x00, 0x0b,
};

static guest m64_open(int opt, bool explicit_bounds) {
    loaded l = {malloc(sizeof m64_module), sizeof m64_module, NULL};
    memcpy(l.bytes, m64_module, sizeof m64_module);
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = KILN_FEATURE_MEMORY64};
    l.m = module_decode(l.bytes, l.size, &dopts, &err);
    cr_assert(l.m, "decode: %s", err.message);
    cr_assert(module_validate(l.m, &err), "validate: %s", err.message);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "m64_o%d_%c", opt, explicit_bounds ? 'e' : 'g');
    kiln_compile_options opts = {.opt_level = opt, .prefix = prefix, .explicit_bounds = explicit_bounds};
    guest g = {.code = compiled_open(&l, &opts)};
    loaded_free(&l);
    kiln_instantiate_error ierr;
    g.inst = kiln_instantiate_limited(g.code.desc, NULL, NULL, &ierr);
    cr_assert(g.inst, "instantiate: %s", ierr.message);
    return g;
}

/* Calls an (i64) -> i64 export: its result, or -1000 - trap kind. */
static int64_t call64(guest *g, const char *export, uint64_t a) {
    kiln_extern e;
    cr_assert(kiln_instance_export(g->inst, export, &e), "no export %s", export);
    kiln_val s[1] = {{.i64 = (int64_t)a}};
    uint32_t trap = kiln_call(g->inst, e.of.func, s);
    return trap ? -1000 - (int64_t)trap : s[0].i64;
}

#define TABLE_OOB (-1000 - (int64_t)KILN_TRAP_TABLE_OUT_OF_BOUNDS)
#define UNDEFINED (-1000 - (int64_t)KILN_TRAP_UNDEFINED_ELEMENT)

/* An index that truncated to 32 bits would be 0 or 1, in bounds, must
 * trap; a delta that truncated would be small must fail to grow. */
Test(table64_run, indices_and_deltas_keep_all_64_bits) {
    for (int k = 0; k < 2; k++) {
        guest g = m64_open(opt_levels[k], k == 0);
        cr_expect_eq(call64(&g, "is_null", 0), 1);
        cr_expect_eq(call64(&g, "is_null", 1ull << 32), TABLE_OOB, "-O%d", opt_levels[k]);
        cr_expect_eq(call64(&g, "is_null", UINT64_MAX), TABLE_OOB);
        cr_expect_eq(call64(&g, "fill", 0), 0);
        cr_expect_eq(call64(&g, "fill", 1ull << 32), TABLE_OOB);
        cr_expect_eq(call64(&g, "grow", (1ull << 32) + 1), -1);
        cr_expect_eq(call64(&g, "grow", UINT64_MAX), -1);
        cr_expect_eq(call64(&g, "size", 0), 1);
        cr_expect_eq(call64(&g, "grow", 1), 1);
        cr_expect_eq(call64(&g, "size", 0), 2);
        cr_expect_eq(call64(&g, "call", 0), 7);
        cr_expect_eq(call64(&g, "call", 1ull << 32), UNDEFINED, "-O%d", opt_levels[k]);
        guest_close(&g);
    }
}

/* In guard mode too, a 64-bit address far past any reservation is
 * compared, not dereferenced: without the check this would fault outside
 * every reservation (a crash, not a trap). */
Test(table64_run, memory64_is_checked_in_guard_mode) {
    for (int k = 0; k < 2; k++) {
        guest g = m64_open(opt_levels[k], false);
        cr_expect_eq(call64(&g, "load", 65528), 0);
        cr_expect_eq(call64(&g, "load", 65529), OOB, "-O%d", opt_levels[k]);
        cr_expect_eq(call64(&g, "load", 1ull << 40), OOB, "-O%d", opt_levels[k]);
        cr_expect_eq(call64(&g, "load", UINT64_MAX - 3), OOB, "-O%d", opt_levels[k]);
        guest_close(&g);
    }
}
