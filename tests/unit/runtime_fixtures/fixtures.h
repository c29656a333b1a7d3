/* fixtures.h - hand-"compiled" modules for the runtime's unit tests.
 *
 * Each fixture is what kiln would emit for the .wat file of the same
 * name: typed functions taking the vmctx first (written by hand in C,
 * with the bounds and stack checks generated code makes), a trampoline
 * per signature, import thunks, and a descriptor whose module image is
 * made from the .wat at build time (image_gen.c, CMakeLists.txt).  They
 * let the runtime be tested without the compiler's back end. */
#ifndef KILN_RUNTIME_FIXTURES_H
#define KILN_RUNTIME_FIXTURES_H

#include "kiln.h"

extern const kiln_module_desc fixture_basic;    /* basic.wat    */
extern const kiln_module_desc fixture_importer; /* importer.wat */
extern const kiln_module_desc fixture_oob_elem; /* oob_elem.wat */
extern const kiln_module_desc fixture_oob_data; /* oob_data.wat */
extern const kiln_module_desc fixture_start;    /* start.wat    */

/* Trampolines, one per signature: defined functions take the vmctx (typed,
 * so that UBSan sees the exact function type).  Static, so that each
 * fixture file holds its own copies next to its functions, as generated
 * code does: a guard-page module's code must form a region of its
 * functions, trampolines and thunks alone, or instantiation refuses it
 * (runtime/signals.c). */
static inline void tramp_v_v(void *code, void *ctx, kiln_val *s) {
    (void)s;
    ((void (*)(kiln_vmctx *))code)(ctx);
}

static inline void tramp_v_i(void *code, void *ctx, kiln_val *s) {
    s[0].i32 = ((int32_t(*)(kiln_vmctx *))code)(ctx);
}

static inline void tramp_i_v(void *code, void *ctx, kiln_val *s) {
    ((void (*)(kiln_vmctx *, int32_t))code)(ctx, s[0].i32);
}

static inline void tramp_i_i(void *code, void *ctx, kiln_val *s) {
    s[0].i32 = ((int32_t(*)(kiln_vmctx *, int32_t))code)(ctx, s[0].i32);
}

static inline void tramp_ii_i(void *code, void *ctx, kiln_val *s) {
    s[0].i32 = ((int32_t(*)(kiln_vmctx *, int32_t, int32_t))code)(ctx, s[0].i32, s[1].i32);
}

static inline void tramp_iii_i(void *code, void *ctx, kiln_val *s) {
    s[0].i32 = ((int32_t(*)(kiln_vmctx *, int32_t, int32_t, int32_t))code)(ctx, s[0].i32, s[1].i32,
                                                                       s[2].i32);
}

#endif
