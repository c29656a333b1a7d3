/* segments.c - the code of oob_elem.wat, oob_data.wat and start.wat. */
#include "fixtures.h"
#include "oob_data.meta.h"
#include "oob_elem.meta.h"
#include "start.meta.h"

static int32_t f_seven(kiln_vmctx *ctx) {
    (void)ctx;
    return 7;
}

static void *const oob_elem_code[] = {(void *)f_seven};
static const kiln_trampoline oob_elem_trampolines[] = {tramp_v_i};

const kiln_module_desc fixture_oob_elem = {
    .abi_version = KILN_ABI_VERSION,
    .metadata = oob_elem_metadata,
    .metadata_size = sizeof oob_elem_metadata,
    .num_defined_funcs = 1,
    .func_code = oob_elem_code,
    .func_trampolines = oob_elem_trampolines,
};

const kiln_module_desc fixture_oob_data = {
    .abi_version = KILN_ABI_VERSION,
    .metadata = oob_data_metadata,
    .metadata_size = sizeof oob_data_metadata,
};

enum { GLOBAL_G = 1 }; /* global 0 is the imported pi */

static void f_bump(kiln_vmctx *ctx) { ctx->globals[GLOBAL_G]->i32 += 1; }

static void *const start_code[] = {(void *)f_bump};
static const kiln_trampoline start_trampolines[] = {tramp_v_v};

const kiln_module_desc fixture_start = {
    .abi_version = KILN_ABI_VERSION,
    .metadata = start_metadata,
    .metadata_size = sizeof start_metadata,
    .num_defined_funcs = 1,
    .func_code = start_code,
    .func_trampolines = start_trampolines,
};
