/* wasm_fixture.h - for the unit tests that drive the back end directly
 * (test_lower.c, test_lower_memory.c, test_emit.c, test_pool.c,
 * test_instance.c): load a test module converted from tests/unit/wat/
 * (KILN_TEST_WASM_DIR), decoded and validated, a target machine for the
 * host, the module compiled to a loaded shared object, and a heap spray
 * for use-after-free checks. */
#ifndef KILN_TEST_WASM_FIXTURE_H
#define KILN_TEST_WASM_FIXTURE_H

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "error.h"
#include "kiln.h"
#include "module.h"

#ifndef KILN_TEST_WASM_DIR
#error "KILN_TEST_WASM_DIR must name the directory of the converted .wat files"
#endif

typedef struct loaded {
    uint8_t *bytes;
    size_t size;
    kiln_module *m;
} loaded;

/* `name` without directory or extension, e.g. "guard" for guard.wasm. */
static inline loaded wasm_load_named(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", KILN_TEST_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    loaded l = {malloc(1 << 20), 0, NULL};
    l.size = fread(l.bytes, 1, 1 << 20, f);
    fclose(f);
    kiln_error err;
    error_clear(&err);
    kiln_decode_options opts = {.features = features_default()};
    l.m = module_decode(l.bytes, l.size, &opts, &err);
    cr_assert(l.m, "decode %s: %s", path, err.message);
    cr_assert(module_validate(l.m, &err), "validate %s: %s", path, err.message);
    return l;
}

static inline void loaded_free(loaded *l) {
    module_free(l->m);
    free(l->bytes);
}

/* The host's target machine, generic CPU, no code-generation
 * optimisation: what the tests compile and inspect IR with. */
static inline LLVMTargetMachineRef host_tm(void) {
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef t;
    cr_assert(!LLVMGetTargetFromTriple(triple, &t, NULL));
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(t, triple, "generic", "", LLVMCodeGenLevelNone,
                                                      LLVMRelocPIC, LLVMCodeModelDefault);
    LLVMDisposeMessage(triple);
    return tm;
}

/* A module compiled with `opts` to /tmp/kiln-test-PID-PREFIX.so and
 * loaded; `desc` is its PREFIX_module.  compiled_close unloads it and
 * removes the file. */
typedef struct compiled_so {
    void *so;
    const kiln_module_desc *desc;
    char path[128];
} compiled_so;

static inline compiled_so compiled_open(const loaded *l, const kiln_compile_options *opts) {
    compiled_so c = {0};
    char obj[128], sym[96];
    snprintf(obj, sizeof obj, "/tmp/kiln-test-%d-%s.o", (int)getpid(), opts->prefix);
    snprintf(c.path, sizeof c.path, "/tmp/kiln-test-%d-%s.so", (int)getpid(), opts->prefix);
    kiln_error err;
    error_clear(&err);
    cr_assert(module_compile_object(l->m, l->bytes, l->size, opts, obj, &err), "%s", err.message);
    cr_assert(link_shared_library(obj, c.path, &err), "%s", err.message);
    unlink(obj);
    c.so = dlopen(c.path, RTLD_NOW | RTLD_LOCAL);
    cr_assert(c.so, "dlopen: %s", dlerror());
    snprintf(sym, sizeof sym, "%s_module", opts->prefix);
    c.desc = dlsym(c.so, sym);
    cr_assert(c.desc, "no %s", sym);
    return c;
}

static inline void compiled_close(compiled_so *c) {
    dlclose(c->so);
    unlink(c->path);
}

/* Takes the heap the way freed instance arrays and exceptions would be
 * reused: 4096 blocks of 16 to 136 bytes filled with 0xa5, so that a use
 * after free reads the pattern.  heap_spray_free gives them back. */
enum { HEAP_SPRAY = 4096 };

static inline void **heap_spray(void) {
    void **spray = malloc(sizeof(void *) * HEAP_SPRAY);
    for (int i = 0; spray && i < HEAP_SPRAY; i++) {
        size_t size = 16 + (size_t)(i % 16) * 8;
        spray[i] = malloc(size);
        if (spray[i]) memset(spray[i], 0xa5, size);
    }
    return spray;
}

static inline void heap_spray_free(void **spray) {
    for (int i = 0; spray && i < HEAP_SPRAY; i++) free(spray[i]);
    free(spray);
}

#endif
