/* part_cache.h - compiled partitions cached by content, so that
 * recompiling a module in which a few functions changed re-emits only
 * the partitions holding them (kiln compile/build --cache, kiln run).
 *
 * A partition's object depends on the module's skeleton (every section
 * but the code, and custom sections other than "name" unless -g), the
 * compile options, the partition's place (index, count and function
 * range; not where its bodies lie in the file: without -g the code
 * records no module offsets), the bodies in it, and two facts about the other
 * bodies that lowering reads: which tables some function writes
 * (lower_tables_written) and which opcodes the module uses at all (so a
 * module-wide decision keyed on an instruction's presence is covered).
 * The key hashes all of these; anything new that lowering learns from
 * bodies outside the partition must be added here too.
 *
 * Entries are <dir>/<key>.o, written in a scratch directory of the
 * compile's own (kiln_compile_options.cache_scratch_make) and renamed
 * into place, so racing compiles see a whole object or none, and a killed
 * one leaves nothing behind.  The cache is best effort: an entry that
 * cannot be read or written is compiled again. */
#ifndef KILN_PART_CACHE_H
#define KILN_PART_CACHE_H

#include <llvm-c/Core.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lower_internal.h"
#include "sha256.h"

typedef struct part_cache {
    const char *dir;
    const kiln_compile_options *opts;
    char scratch[4200]; /* "" when it could not be made: nothing is stored */
    atomic_uint written; /* names the entries in scratch */
    sha256 base; /* options + skeleton + module-wide facts, not finished */
} part_cache;

/* false (and no cache) when the facts cannot be gathered (out of memory);
 * otherwise part_cache_end must follow. */
bool part_cache_begin(part_cache *c, const kiln_module *m, const uint8_t *bytes, size_t size,
                      const kiln_compile_options *o);
void part_cache_end(part_cache *c);
/* part NULL: the whole module as one partition. */
void part_cache_key(const part_cache *c, const kiln_module *m, const uint8_t *bytes, size_t size,
                    const lower_partition *part, char key[65]);
/* The cached object, or false. */
bool part_cache_get(const part_cache *c, const char key[65], LLVMMemoryBufferRef *out);
void part_cache_put(part_cache *c, const char key[65], const void *data, size_t n);

#endif
