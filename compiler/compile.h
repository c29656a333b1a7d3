/* compile.h - the back half of the pipeline: lower a validated module to
 * LLVM IR, optimise it, emit a native object; and link objects. */
#ifndef KILN_COMPILE_H
#define KILN_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "module.h"

typedef struct kiln_compile_options {
    int opt_level;              /* 0..3 */
    const char *target_triple;  /* NULL: the host */
    const char *cpu;            /* NULL: generic for the triple; "native": the host's */
    const char *prefix;         /* symbol prefix; the descriptor is <prefix>_module */
    bool explicit_bounds;       /* true: a check before every access */
    /* Parallel compilation (emit.c): threads, and partitions of the defined
     * functions (contiguous ranges, each its own LLVM context and object,
     * combined by a relocatable link).  jobs <= 1 with partitions <= 1 is
     * the single-module path; partitions 0 = chosen from jobs and the
     * module's size (small modules stay whole). */
    int jobs;
    int partitions;
    /* Largest native stack frame a function body may need, in bytes
     * (frames.c); 0 means KILN_FRAME_MAX, which is also the ceiling. */
    uint32_t max_frame_size;
    /* -g: the module's DWARF line table (.debug_line) becomes debug info
     * on the generated code (debug_info.c); ignored when the module has
     * none or a malformed one. */
    bool debug_info;
    /* progress.h: where each partition's steps are reported (the CLI's
     * progress line and -v); NULL: nowhere. */
    struct kiln_progress *progress;
    /* Partition cache directory (part_cache.h; it must exist): partitions
     * found there are not compiled again, the others are stored; big
     * modules are then cut where edits do not move the cuts.  NULL: none. */
    const char *cache_dir;
    /* Where new entries are written before they are renamed into
     * cache_dir: a scratch directory made in it by cache_scratch_make and
     * removed by cache_scratch_remove (the CLI's, which also go on
     * signals, so a killed compile leaves no half-written entry); NULL:
     * mkdtemp and rmdir. */
    bool (*cache_scratch_make)(const char *parent, const char *name, char *out, size_t cap);
    void (*cache_scratch_remove)(const char *path);
    /* Every NaN a SIMD float instruction computes (arithmetic, min/max,
     * sqrt and rounding, demote/promote) is the positive canonical NaN,
     * as binaryen's interpreter makes it.  The spec leaves these bits
     * open and kiln otherwise takes the hardware's; only the differential
     * runner sets this, to tell a NaN-bit difference from a wrong value
     * (tests/fuzz/differential/run.py).  Scalar NaNs are left alone. */
    bool canonical_nans;
    /* The object goes into an executable together with the kiln runtime
     * (kiln build): generated code reaches the runtime's thread-local
     * variables (the stack limit) at a fixed offset from the thread
     * pointer (local-exec TLS), with no load of the offset from the GOT.
     * Such an object cannot go into a shared library. */
    bool executable;
    /* Measuring aids for compile-time work (architecture.md, *Measuring a
     * compile*; the CLI sets them from KILN_DEV_* variables): compile only
     * every sample_every-th partition (0, N, 2N, ...; the others become
     * empty objects, so the output is incomplete and good for timing
     * only; no cache), or only those sample_list names (0-based indices,
     * comma-separated), and write each compiled partition's IR before the
     * pipeline as <dump_ir_dir>/pK.bc.  0 / NULL: off. */
    uint32_t sample_every;
    const char *sample_list;
    const char *dump_ir_dir;
} kiln_compile_options;

/* lower.c + emit.c: writes a relocatable object.  `bytes` is the original
 * module (its constant expressions go into the descriptor's module image). */
/* Whether LLVM knows CPU for TRIPLE (NULL: the host); call it before any
 * thread starts (it briefly redirects stderr).  emit.c. */
bool compile_cpu_known(const char *triple_or_null, const char *cpu);

bool module_compile_object(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, const char *object_path,
                           kiln_error *err);
/* Same, into a malloc'ed buffer (fuzzing, caching). */
bool module_compile_memory(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, uint8_t **object,
                           size_t *object_size, kiln_error *err);

/* Same, writing textual LLVM IR (after optimisation) instead. */
bool module_compile_llvm_ir(const kiln_module *m, const uint8_t *bytes, size_t size,
                            const kiln_compile_options *opts, const char *path, kiln_error *err);

/* debug_info.c: true if the module has a well-formed DWARF line table
 * for -g; false with err->kind KILN_OK if it has none, or with the
 * reason (and its offset) if it is malformed.  Either way the compile
 * succeeds, without source lines. */
bool module_debug_lines_check(const kiln_module *m, kiln_error *err);

/* link.c: drives the system C compiler driver. */
bool link_shared_library(const char *object_path, const char *output_path, kiln_error *err);
bool link_executable(const char *const *object_paths, size_t count, const char *output_path,
                     kiln_error *err);
/* One relocatable object from several (`cc -nostdlib -r`): how a
 * partitioned compile becomes the single object `kiln compile` promises. */
bool link_relocatable(const char *const *object_paths, size_t count, const char *output_path,
                      kiln_error *err);
/* The same two links with another driver (`driver` NULL: $CC); cross.h
 * names the one for a target triple. */
bool link_executable_with(const char *driver, const char *const *object_paths, size_t count,
                          const char *output_path, kiln_error *err);
bool link_relocatable_with(const char *driver, const char *const *object_paths, size_t count,
                           const char *output_path, kiln_error *err);

/* header.c: a C header for hosts that link the object: the descriptor's
 * declaration, typed wrappers for the exported functions (resolved once
 * per instance by <prefix>_bind) and typed helpers that define the
 * imported ones.  `source` is only named in a comment. */
bool header_write(const kiln_module *m, const char *prefix, const char *source,
                  const char *header_path, kiln_error *err);

#endif
