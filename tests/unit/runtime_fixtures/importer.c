/* importer.c - the hand-written code of importer.wat (see fixtures.h). */
#include "fixtures.h"
#include "importer.image.h"

enum { FUNC_ADD = 0 }; /* the imported basic.add */

static int32_t f_get_g(kiln_vmctx *ctx) { return ctx->globals[0]->i32; }

static void f_set_g(kiln_vmctx *ctx, int32_t v) { ctx->globals[0]->i32 = v; }

static int32_t f_grow(kiln_vmctx *ctx, int32_t delta) {
    return kiln_rt_memory_grow(ctx, 0, (uint32_t)delta);
}

/* memory.size reads the cached mem0_size: growth elsewhere must update it. */
static int32_t f_size(kiln_vmctx *ctx) { return (int32_t)(ctx->mem0_size / KILN_PAGE_SIZE); }

static int32_t f_call_add(kiln_vmctx *ctx, int32_t a, int32_t b) {
    const kiln_func_ref *f = ctx->funcs[FUNC_ADD];
    return ((int32_t(*)(kiln_vmctx *, int32_t, int32_t))f->code)(f->ctx, a, b);
}

static void *const importer_code[] = {
    (void *)f_get_g, (void *)f_set_g, (void *)f_grow, (void *)f_size, (void *)f_call_add,
};
static const kiln_trampoline importer_trampolines[] = {
    tramp_v_i, tramp_i_v, tramp_i_i, tramp_v_i, tramp_ii_i,
};
/* basic.add is a wasm function: its funcref is shared and this thunk never
 * runs, but generated code has one for every import all the same. */
static void thunk_add(void *closure, kiln_val *slots) { kiln_rt_call_host(closure, slots); }
static void *const importer_thunks[] = {(void *)thunk_add};

const kiln_module_desc fixture_importer = {
    .abi_version = KILN_ABI_VERSION,
    .flags = KILN_DESC_EXPLICIT_BOUNDS,
    .image = importer_image,
    .image_size = sizeof importer_image,
    .num_imported_funcs = 1,
    .num_defined_funcs = 5,
    .func_code = importer_code,
    .func_trampolines = importer_trampolines,
    .import_thunks = importer_thunks,
};
