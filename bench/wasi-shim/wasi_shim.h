/* wasi_shim.h - the minimal WASI preview1 host for the benchmark kernels
 * when they are translated to C by wasm2c.
 *
 * It implements exactly the imports the kernels' wasm32-wasi builds have
 * (args_get, args_sizes_get, fd_close, fd_fdstat_get, fd_seek, fd_write,
 * proc_exit), for the standard streams only.  A module that imports anything
 * else fails to link, which is the intended signal to extend this file.
 */
#ifndef WASI_SHIM_H
#define WASI_SHIM_H

#include "wasm-rt.h"

/* wasm2c passes a pointer to this struct as the first argument of every
 * imported function of the "wasi_snapshot_preview1" module. */
struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *memory; /* set after instantiation, before _start */
    int argc;
    char **argv;
};

#endif
