/* segments.c - the code of oob_elem.wat, oob_data.wat and start.wat. */
#include "fixtures.h"
#include "oob_data.image.h"
#include "oob_elem.image.h"
#include "start.image.h"

static int32_t f_seven(kiln_vmctx *ctx) {
    (void)ctx;
    return 7;
}

static void *const oob_elem_code[] = {(void *)f_seven};
static const kiln_trampoline oob_elem_trampolines[] = {tramp_v_i};

const kiln_module_desc fixture_oob_elem = {
    .abi_version = KILN_ABI_VERSION,
    .image = oob_elem_image,
    .image_size = sizeof oob_elem_image,
    .num_defined_funcs = 1,
    .func_code = oob_elem_code,
    .func_trampolines = oob_elem_trampolines,
};

const kiln_module_desc fixture_oob_data = {
    .abi_version = KILN_ABI_VERSION,
    .image = oob_data_image,
    .image_size = sizeof oob_data_image,
};

enum { GLOBAL_G = 1 }; /* global 0 is the imported pi */

static void f_bump(kiln_vmctx *ctx) { ctx->globals[GLOBAL_G]->i32 += 1; }

static void *const start_code[] = {(void *)f_bump};
static const kiln_trampoline start_trampolines[] = {tramp_v_v};

const kiln_module_desc fixture_start = {
    .abi_version = KILN_ABI_VERSION,
    .image = start_image,
    .image_size = sizeof start_image,
    .num_defined_funcs = 1,
    .func_code = start_code,
    .func_trampolines = start_trampolines,
};
