/* fuzz_compile.c - libFuzzer target for the whole compile path:
 * decode -> validate -> lower -> optimise -> emit (module_compile_memory).
 *
 * fuzz_decode.c covers the front end alone; this target only gets
 * interesting once an input validates, so seed it with valid modules (the
 * spec suite's, binaryen's `wasm-opt -ttf` output).  Every valid module is
 * compiled at -O0, and inputs whose size is a multiple of 4 also at -O2,
 * so optimisation passes see the IR too without halving throughput.  The
 * size's low bits also pick the bounds mode (explicit checks or guard
 * pages, kiln's default), so both lowerings are fuzzed at both levels.
 * Besides the sanitizers it checks the back end's contract: a valid
 * module either compiles to a non-empty object or fails with a message.
 *
 *   make fuzz-compile FUZZ_TIME=1800
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "compile.h"
#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compile_at(const kiln_module *m, const uint8_t *data, size_t size, int level,
                       bool explicit_bounds) {
    kiln_compile_options opts = {.opt_level = level, .prefix = "fuzz", .explicit_bounds = explicit_bounds};
    kiln_error err;
    error_clear(&err);
    uint8_t *object = NULL;
    size_t object_size = 0;
    bool ok = module_compile_memory(m, data, size, &opts, &object, &object_size, &err);
    if (ok && (!object || object_size == 0)) abort();
    if (!ok && err.message[0] == '\0') abort();
    free(object);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = 0};
    kiln_module *m = module_decode(data, size, &dopts, &err);
    if (!m) return 0;
    if (module_validate(m, &err)) {
        /* Mutations change sizes freely, so each combination keeps coming up. */
        compile_at(m, data, size, 0, size % 2 == 0);
        if (size % 4 == 0) compile_at(m, data, size, 2, size % 8 == 0);
    }
    module_free(m);
    return 0;
}
