/* main.c - host program for one wasm2c-translated WASI module.
 *
 * The module must be translated with `wasm2c -n kernel`, so that its C
 * symbols are Z_kernel_*; the harness compiles this file together with the
 * generated kernel.c, wasi_shim.c and wabt's wasm-rt-impl.c.
 */
#include <stdio.h>

#include "kernel.h"
#include "wasi_shim.h"
#include "wasm-rt-impl.h"

int main(int argc, char **argv)
{
    static Z_kernel_instance_t instance;
    struct Z_wasi_snapshot_preview1_instance_t wasi = { NULL, argc, argv };

    wasm_rt_init();
    Z_kernel_init_module();
    Z_kernel_instantiate(&instance, &wasi);
    wasi.memory = Z_kernelZ_memory(&instance);

    wasm_rt_trap_t trap = (wasm_rt_trap_t)wasm_rt_impl_try();
    if (trap == WASM_RT_TRAP_NONE)
        Z_kernelZ__start(&instance);
    if (trap != WASM_RT_TRAP_NONE) {
        fprintf(stderr, "wasm trap: %s\n", wasm_rt_strerror(trap));
        return 134;
    }
    Z_kernel_free(&instance);
    wasm_rt_free();
    return 0;
}
