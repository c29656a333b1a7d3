/* kiln_diff.c - the kiln side of the differential runner (run.py).
 *
 * Mirrors binaryen's --fuzz-exec: ONE instance, every exported function
 * called in export order with zero arguments, state carried from call to
 * call, the hang limit reset before each call, and the "fuzzing-support"
 * log imports printing what they get.
 * Output is one line per event, already in run.py's normal form:
 *
 *   call NAME            before each export call
 *   log V...             a log-* import (i64 as low and high i32, like binaryen)
 *   result NAME V        values of a call (several as "(a, b)")
 *   trap                 the call trapped (messages differ between engines)
 *
 * Floats print as the exact double (%.17g); run.py canonicalises numbers.
 *
 *   kiln-diff [--sigs | --sigs-out FILE] [--work DIR] [-O N] [--bounds-checks=guard|explicit]
 *             [--canonical-nans] M.wasm
 * The bounds mode defaults to guard pages, kiln's default; run.py passes it
 * explicitly so CI covers both lowerings.
 * --canonical-nans compiles with kiln_compile_options.canonical_nans: SIMD
 * float results that are NaN become the canonical NaN binaryen's
 * interpreter gives, so run.py can tell a difference in NaN bits (which
 * the spec leaves open) from a wrong value.
 * --sigs prints "sig NAME P1,P2 R1" per exported function instead, for the
 * node runner (JS cannot see wasm signatures without type reflection);
 * --sigs-out FILE writes those lines to FILE before running the exports, so
 * run.py compiles each module once instead of twice.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "kiln.h"
#include "module.h"

static const char *type_text(uint8_t t) {
    switch (t) {
    case KILN_I32: return "i32";
    case KILN_I64: return "i64";
    case KILN_F32: return "f32";
    case KILN_F64: return "f64";
    case KILN_V128: return "v128";
    case KILN_FUNCREF: return "funcref";
    default: return "externref";
    }
}

static void value_print(uint8_t type, const kiln_val *v) {
    switch (type) {
    case KILN_I32: printf("%" PRId32, v->i32); break;
    case KILN_I64: printf("%" PRId64, v->i64); break;
    case KILN_F32: printf("%.17g", (double)v->f32); break;
    case KILN_F64: printf("%.17g", v->f64); break;
    case KILN_V128: {
        uint32_t w[4];
        memcpy(w, v->v128, 16);
        printf("i32x4 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32, w[0], w[1], w[2], w[3]);
        break;
    }
    default: printf("%s", type_text(type)); break;
    }
}

static uint32_t log_value(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *res) {
    uint8_t type = (uint8_t)(uintptr_t)env;
    printf("log ");
    if (type == KILN_I64)
        printf("%" PRId32 " %" PRId32, (int32_t)(uint32_t)args[0].i64,
               (int32_t)(uint32_t)((uint64_t)args[0].i64 >> 32));
    else
        value_print(type, &args[0]);
    printf("\n");
    return KILN_TRAP_NONE;
}

static void imports_define(kiln_linker *l) {
    static const uint8_t types[] = {KILN_I32, KILN_I64, KILN_F32, KILN_F64, KILN_V128};
    static const char *names[] = {"log-i32", "log-i64", "log-f32", "log-f64", "log-v128"};
    for (int i = 0; i < 5; i++) {
        kiln_signature sig = {1, 0, &types[i], NULL};
        kiln_linker_define_func(l, "fuzzing-support", names[i], &sig, log_value,
                                (void *)(uintptr_t)types[i]);
    }
}

static uint8_t *file_read(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Compiles to DIR/kd<pid>.so and loads it; NULL after printing why. */
static const kiln_module_desc *module_load(const char *path, const char *work,
                                           kiln_compile_options *opts, kiln_module **out) {
    size_t size;
    uint8_t *bytes = file_read(path, &size);
    if (!bytes) return fprintf(stderr, "kiln-diff: cannot read %s\n", path), NULL;
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = 0};
    kiln_module *m = module_decode(bytes, size, &dopts, &err);
    char obj[512], lib[512];
    snprintf(obj, sizeof obj, "%s/kd%d.o", work, (int)getpid());
    snprintf(lib, sizeof lib, "%s/kd%d.so", work, (int)getpid());
    bool ok = m && module_validate(m, &err) && module_compile_object(m, bytes, size, opts, obj, &err) &&
              link_shared_library(obj, lib, &err);
    free(bytes);
    if (!ok) return fprintf(stderr, "kiln-diff: compile: %s\n", err.message), NULL;
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    unlink(obj);
    unlink(lib);
    if (!h) return fprintf(stderr, "kiln-diff: dlopen: %s\n", dlerror()), NULL;
    *out = m;
    return dlsym(h, "kd_module");
}

/* binaryen's -ttf modules count loop iterations and calls down from a
 * global and trap at zero; fuzz-exec resets that budget through the
 * "hangLimitInitializer" export before every export call, so do we. */
static void hang_limit_reset(kiln_instance *inst) {
    kiln_extern init;
    kiln_val slots[1];
    if (kiln_instance_export(inst, "hangLimitInitializer", &init) && init.kind == 0)
        kiln_call(inst, init.of.func, slots);
}

static void export_call(kiln_instance *inst, const char *name, const kiln_func_ref *f) {
    kiln_signature sig;
    hang_limit_reset(inst);
    kiln_func_signature(f, &sig);
    kiln_val slots[64];
    memset(slots, 0, sizeof slots);
    printf("call %s\n", name);
    fflush(stdout);
    if (kiln_call(inst, f, slots)) {
        printf("trap\n");
        return;
    }
    if (sig.num_results == 0) return;
    printf("result %s ", name);
    if (sig.num_results > 1) printf("(");
    for (uint32_t i = 0; i < sig.num_results; i++) {
        if (i) printf(", ");
        value_print(sig.results[i], &slots[i]);
    }
    printf(sig.num_results > 1 ? ")\n" : "\n");
}

static void signature_print(FILE *out, const char *name, const kiln_func_ref *f) {
    kiln_signature sig;
    kiln_func_signature(f, &sig);
    fprintf(out, "sig %s ", name);
    for (uint32_t i = 0; i < sig.num_params; i++)
        fprintf(out, "%s%s", i ? "," : "", type_text(sig.params[i]));
    fprintf(out, sig.num_params ? " " : "- ");
    for (uint32_t i = 0; i < sig.num_results; i++)
        fprintf(out, "%s%s", i ? "," : "", type_text(sig.results[i]));
    fprintf(out, sig.num_results ? "\n" : "-\n");
}

/* Each exported function in the module's export order: its signature to
 * `sigs` if given, else the call itself. */
static void exports_each(kiln_instance *inst, const kiln_module *m, FILE *sigs) {
    for (uint32_t i = 0; i < m->num_exports; i++) {
        const kiln_export *e = &m->exports[i];
        kiln_extern x;
        if (e->kind != 0 || !kiln_instance_export_len(inst, e->name.chars, e->name.len, &x)) continue;
        if (sigs) signature_print(sigs, e->name.chars, x.of.func);
        else export_call(inst, e->name.chars, x.of.func);
        fflush(stdout);
    }
}

int main(int argc, char **argv) {
    const char *path = NULL, *work = "/tmp", *sigs_out = NULL;
    bool sigs = false;
    kiln_compile_options opts = {.opt_level = 2, .prefix = "kd"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sigs") == 0) sigs = true;
        else if (strcmp(argv[i], "--sigs-out") == 0 && i + 1 < argc) sigs_out = argv[++i];
        else if (strcmp(argv[i], "--work") == 0 && i + 1 < argc) work = argv[++i];
        else if (strcmp(argv[i], "-O") == 0 && i + 1 < argc) opts.opt_level = atoi(argv[++i]);
        else if (strcmp(argv[i], "--bounds-checks=explicit") == 0) opts.explicit_bounds = true;
        else if (strcmp(argv[i], "--bounds-checks=guard") == 0) opts.explicit_bounds = false;
        else if (strcmp(argv[i], "--canonical-nans") == 0) opts.canonical_nans = true;
        else path = argv[i];
    }
    if (!path)
        return fprintf(stderr, "usage: kiln-diff [--sigs | --sigs-out FILE] [--work DIR] [-O N] "
                               "[--bounds-checks=guard|explicit] [--canonical-nans] M.wasm\n"), 2;
    kiln_module *m = NULL;
    const kiln_module_desc *desc = module_load(path, work, &opts, &m);
    if (!desc) return 3;
    kiln_linker *l = kiln_linker_new();
    imports_define(l);
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(desc, l, &err);
    if (!inst) return fprintf(stderr, "kiln-diff: instantiate: %s\n", err.message), 4;
    /* Export order is the module's: read it from the decoded module. */
    if (sigs_out) {
        FILE *f = fopen(sigs_out, "w");
        if (!f) return fprintf(stderr, "kiln-diff: cannot write %s\n", sigs_out), 2;
        exports_each(inst, m, f);
        fclose(f);
    }
    exports_each(inst, m, sigs ? stdout : NULL);
    return 0;
}
