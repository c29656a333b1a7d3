/* basic.c - the hand-written code of basic.wat (see fixtures.h). */
#include <string.h>

#include "fixtures.h"
#include "basic.image.h"

enum { TYPE_II_I = 1 }; /* basic.wat's type index of (i32 i32) -> i32 */

/* What generated code does at every function entry (always inlined: the
 * file holds nothing but the module's own functions, see fixtures.h). */
static inline __attribute__((always_inline)) void stack_check(kiln_vmctx *ctx) {
    if ((uintptr_t)__builtin_frame_address(0) < kiln_rt_stack_limit)
        kiln_rt_trap(ctx, KILN_TRAP_CALL_STACK_EXHAUSTED);
}

static int32_t f_add(kiln_vmctx *ctx, int32_t a, int32_t b) {
    stack_check(ctx);
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static void f_trap(kiln_vmctx *ctx) { kiln_rt_trap(ctx, KILN_TRAP_UNREACHABLE); }

/* call $double: function 0 is imported, so the call goes through funcs[0]. */
static int32_t f_call_double(kiln_vmctx *ctx, int32_t x) {
    stack_check(ctx);
    const kiln_func_ref *f = ctx->funcs[0];
    return ((int32_t(*)(void *, int32_t))f->code)(f->ctx, x);
}

/* i32.load with the explicit bounds check. */
static int32_t f_load(kiln_vmctx *ctx, int32_t addr) {
    uint64_t a = (uint32_t)addr;
    if (a + 4 > ctx->mem0_size) kiln_rt_trap(ctx, KILN_TRAP_MEMORY_OUT_OF_BOUNDS);
    int32_t v;
    memcpy(&v, ctx->mem0_base + a, 4);
    return v;
}

static int32_t f_grow(kiln_vmctx *ctx, int32_t delta) {
    return kiln_rt_memory_grow(ctx, 0, (uint32_t)delta);
}

/* Recurses n deep, through a volatile pointer so that no compiler can
 * turn it into a loop: the stack check must end it. */
static int32_t f_recurse(kiln_vmctx *ctx, int32_t n);
static int32_t (*volatile recurse_ptr)(kiln_vmctx *, int32_t) = f_recurse;
static int32_t f_recurse(kiln_vmctx *ctx, int32_t n) {
    stack_check(ctx);
    volatile char frame[128];
    frame[n & 127] = (char)n;
    if (n <= 0) return 0;
    return 1 + recurse_ptr(ctx, n - 1) + frame[n & 127] - (char)n;
}

/* call_indirect (type $ii_i) on table 0, as generated code checks it. */
static int32_t f_call_at(kiln_vmctx *ctx, int32_t index, int32_t a, int32_t b) {
    stack_check(ctx);
    const kiln_table_rt *t = ctx->tables[0];
    if ((uint32_t)index >= t->size) kiln_rt_trap(ctx, KILN_TRAP_UNDEFINED_ELEMENT);
    const kiln_func_ref *f = t->elems[(uint32_t)index];
    if (!f) kiln_rt_trap(ctx, KILN_TRAP_UNINITIALIZED_ELEMENT);
    if (f->type_id != ctx->type_ids[TYPE_II_I])
        kiln_rt_trap(ctx, KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    return ((int32_t(*)(kiln_vmctx *, int32_t, int32_t))f->code)(f->ctx, a, b);
}

/* The import thunk of host.double: slots in, kiln_rt_call_host, slots out. */
static int32_t thunk_double(void *closure, int32_t x) {
    kiln_val slots[1];
    slots[0].i32 = x;
    kiln_rt_call_host(closure, slots);
    return slots[0].i32;
}

static void *const basic_code[] = {
    (void *)f_add,  (void *)f_trap,    (void *)f_call_double, (void *)f_load,
    (void *)f_grow, (void *)f_recurse, (void *)f_call_at,
};
static const kiln_trampoline basic_trampolines[] = {
    tramp_ii_i, tramp_v_v, tramp_i_i, tramp_i_i, tramp_i_i, tramp_i_i, tramp_iii_i,
};
static void *const basic_thunks[] = {(void *)thunk_double};

const kiln_module_desc fixture_basic = {
    .abi_version = KILN_ABI_VERSION,
    .flags = KILN_DESC_EXPLICIT_BOUNDS,
    .image = basic_image,
    .image_size = sizeof basic_image,
    .num_imported_funcs = 1,
    .num_defined_funcs = 7,
    .func_code = basic_code,
    .func_trampolines = basic_trampolines,
    .import_thunks = basic_thunks,
};
