/* load.h - a module compiled in-process to a shared library, cached and
 * dlopen'ed: how `kiln run` (cli_run.c) and the wasm-c-api library
 * (wasm-c-api/) get native code for a module they were handed as bytes.
 *
 * The cache is content addressed: $XDG_CACHE_HOME/kiln (default
 * ~/.cache/kiln)/<sha256>.so, the key hashing the module bytes, the kiln
 * version, the identity of the file holding the compiler (the kiln binary
 * or the library it is linked into: size and mtime, so a rebuilt compiler
 * never reuses stale code), every compile flag and the CPU (for
 * --cpu native, this machine's CPU name and LLVM feature string).  A
 * library is written under a temporary name and renamed into place, so
 * racing processes each see either nothing or a complete file.
 *
 * The loaded library resolves the kiln_rt_* entry points from the process
 * (the kiln binary is built with ENABLE_EXPORTS; libkiln_wasm.so exports
 * them). */
#ifndef KILN_LOAD_H
#define KILN_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"
#include "error.h"
#include "kiln_abi.h"
#include "module.h"

typedef struct load_options {
    const kiln_compile_options *compile; /* its prefix names the descriptor */
    uint32_t features;                   /* decode features: part of the cache key */
    bool no_cache;                       /* compile in a temporary directory, keep nothing */
    /* Scratch directories (PARENT/NAMEXXXXXX, removed with every file in
     * them).  NULL: mkdtemp and a plain removal; the CLI passes its own,
     * which also go on signals. */
    bool (*dir_make)(const char *parent, const char *name, char *out, size_t cap);
    void (*dir_remove)(const char *path);
    /* Also return the library's bytes (loaded_library.image). */
    bool want_image;
} load_options;

typedef struct loaded_library {
    void *handle;
    const kiln_module_desc *desc;
    uint8_t *image; /* malloc'ed copy of the shared object, when asked for */
    size_t image_size;
    /* After a failure: the file it concerns (an I/O or link error), or
     * empty when the module itself did not compile. */
    char failed_path[4096];
} loaded_library;

/* From the cache, or compiled into it (decoded and validated `m` of
 * `bytes`); with no cache, into a temporary directory that goes once the
 * library is loaded.  The library stays loaded (dlclose it yourself, when
 * no instance of it can be alive any more). */
bool library_compile_load(const kiln_module *m, const uint8_t *bytes, size_t size,
                          const load_options *o, loaded_library *out, kiln_error *err);

/* The library of `bytes` only if the cache already holds it: true when it
 * is there and loaded.  False on a miss (nothing is reported: the caller
 * goes on to decode and library_compile_load, which says what fails), so
 * a cached module is run without being decoded or validated again (its
 * library was made from the same bytes by the same compiler with the same
 * options, which the key names).  Always false without a cache. */
bool library_cached_load(const uint8_t *bytes, size_t size, const load_options *o,
                         loaded_library *out);

/* Loads a shared object given as bytes (one that library_compile_load
 * made, with the same prefix): written to the cache under the hash of its
 * bytes (or a temporary directory) and dlopen'ed.  It is native code:
 * only load bytes you trust as much as the program itself. */
bool library_image_load(const uint8_t *image, size_t size, const load_options *o,
                        loaded_library *out, kiln_error *err);

#endif
