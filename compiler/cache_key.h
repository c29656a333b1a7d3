/* cache_key.h - what every compile-cache key starts with, and where the
 * caches live.
 *
 * Two caches share one store ($XDG_CACHE_HOME/kiln, default
 * ~/.cache/kiln): load.c's whole shared libraries for `kiln run` and the
 * wasm-c-api, and part_cache.c's objects of single partitions for
 * incremental recompiles.  Both keys begin with cache_key_options: the
 * kiln version, the identity of the file holding the compiler (size and
 * mtime, so a rebuilt compiler never reuses stale code), every compile
 * option that changes the code, and the CPU as LLVM will see it. */
#ifndef KILN_CACHE_KEY_H
#define KILN_CACHE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile.h"
#include "sha256.h"

void cache_key_options(sha256 *s, const kiln_compile_options *c, uint32_t features);

/* The store's directory (created, with its parents), or false when there
 * is no home to put it in. */
bool cache_dir_default(char *out, size_t cap);
/* The same path, made by nobody. */
bool cache_dir_path(char *out, size_t cap);

/* mkdir -p; true if the directory exists afterwards. */
bool cache_dir_make(char *path);

/* Scratch directories PARENT/NAMEXXXXXX (mkdtemp) and their removal with
 * the files in them (no subdirectories are ever made): what load.c and
 * part_cache.c use when their caller gives no signal-safe ones of its own. */
bool cache_scratch_make_plain(const char *parent, const char *name, char *out, size_t cap);
void cache_scratch_remove_plain(const char *path);

#endif
