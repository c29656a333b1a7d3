/* wasi_main_all.c - the list of WASI functions wasi_main.c defines when
 * the program brings none: every one.  It is a member of its own in
 * libkiln_wasi_main.a, so the linker takes it only when nothing defined
 * kiln_program_wasi before (`kiln build` always does, with the functions
 * the module imports: docs/benchmarks.md, "The runtime without the
 * decoder"). */
#include "kiln_wasi.h"
#include "wasi_internal.h"

const kiln_wasi_binding *const *const kiln_program_wasi = kiln_wasi_bindings_all;
