/* part_cache.c - compiled partitions cached by content (part_cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_key.h"
#include "part_cache.h"

static void hash_u64(sha256 *s, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    sha_update(s, b, sizeof b);
}

/* Where a body lies does not matter: without -g generated code records
 * no module offsets, so a function that grows leaves the partitions
 * after it valid (with -g every byte is hashed: the DWARF lines follow
 * each body's position). */

/* Custom sections go unless the code reads them: "name" (the descriptor
 * carries it) always, the rest (DWARF) only for -g. */
static bool custom_skipped(const kiln_custom_section *c, bool debug_info) {
    return !debug_info && !(c->name.len == 4 && memcmp(c->name.chars, "name", 4) == 0);
}

/* bytes[from, to) minus the skipped custom sections (which lie wholly
 * inside or outside it, being sections themselves). */
static void skeleton_range_hash(sha256 *s, const kiln_module *m, const uint8_t *bytes, size_t from,
                                size_t to, bool debug_info) {
    size_t at = from;
    for (uint32_t i = 0; i < m->num_customs; i++) {
        const kiln_custom_section *c = &m->customs[i];
        size_t start = c->offset_in_module, end = (size_t)c->data_offset + c->size;
        if (start < at || end > to || !custom_skipped(c, debug_info)) continue;
        sha_update(s, bytes + at, start - at);
        at = end;
    }
    sha_update(s, bytes + at, to - at);
}

/* Which opcodes occur anywhere, as a bitmap. */
static bool opcodes_used_hash(sha256 *s, const kiln_module *m) {
    uint8_t used[(KILN_OP_COUNT + 7) / 8];
    memset(used, 0, sizeof used);
    for (uint32_t f = m->num_imported_funcs; f < m->num_funcs; f++)
        for (uint32_t i = 0; i < m->funcs[f].num_insns; i++) {
            uint16_t op = m->funcs[f].insns[i].op;
            used[op / 8] |= (uint8_t)(1u << (op % 8));
        }
    sha_update(s, used, sizeof used);
    return true;
}

static bool tables_written_hash(sha256 *s, const kiln_module *m) {
    bool *written = calloc(m->num_tables + 1, sizeof *written);
    if (!written) return false;
    lower_tables_written(m, written);
    for (uint32_t t = 0; t < m->num_tables; t++) {
        uint8_t w = written[t];
        sha_update(s, &w, 1);
    }
    free(written);
    return true;
}

/* The code section's id byte: its size (which any edit of a body
 * changes) is a LEB128 ending just before the contents, whose other bytes
 * all have the top bit set. */
static size_t code_section_start(const kiln_module *m, const uint8_t *bytes) {
    size_t at = m->code_offset;
    if (at == 0) return 0;
    at--; /* the size's last byte */
    while (at > 0 && (bytes[at - 1] & 0x80)) at--;
    return at > 0 ? at - 1 : 0;
}

bool part_cache_begin(part_cache *c, const kiln_module *m, const uint8_t *bytes, size_t size,
                      const kiln_compile_options *o) {
    c->dir = o->cache_dir;
    c->opts = o;
    atomic_init(&c->written, 0);
    sha_init(&c->base);
    sha_update(&c->base, "kiln partition 1", 17);
    cache_key_options(&c->base, o, m->features);
    size_t code_from = code_section_start(m, bytes), code_to = (size_t)m->code_offset + m->code_size;
    if (m->num_funcs == m->num_imported_funcs || code_to > size) code_from = code_to = size;
    if (o->debug_info) {
        sha_update(&c->base, bytes, size); /* DWARF lines follow every body */
    } else {
        skeleton_range_hash(&c->base, m, bytes, 0, code_from, false);
        skeleton_range_hash(&c->base, m, bytes, code_to, size, false);
    }
    if (!opcodes_used_hash(&c->base, m) || !tables_written_hash(&c->base, m)) return false;
    char dir[4096];
    bool made = snprintf(dir, sizeof dir, "%s", c->dir) < (int)sizeof dir && cache_dir_make(dir);
    if (!made || !(o->cache_scratch_make ? o->cache_scratch_make : cache_scratch_make_plain)(
                     c->dir, "tmp-", c->scratch, sizeof c->scratch))
        c->scratch[0] = 0;
    return true;
}

/* Where the bodies of functions [first, end) lie in the module. */
static void bodies_range(const kiln_module *m, uint32_t first, uint32_t end, size_t *from,
                         size_t *to) {
    *from = m->funcs[first].body_offset;
    *to = end < m->num_funcs ? m->funcs[end].body_offset
                             : (size_t)m->code_offset + m->code_size;
}

void part_cache_key(const part_cache *c, const kiln_module *m, const uint8_t *bytes, size_t size,
                    const lower_partition *part, char key[65]) {
    sha256 s = c->base;
    uint32_t first = part ? part->first : m->num_imported_funcs;
    uint32_t end = part ? part->end : m->num_funcs;
    hash_u64(&s, part ? part->index : 0);
    hash_u64(&s, part ? part->count : 1);
    hash_u64(&s, first);
    hash_u64(&s, end);
    if (first < end) {
        size_t from, to;
        bodies_range(m, first, end, &from, &to);
        if (from <= to && to <= size) sha_update(&s, bytes + from, to - from);
    }
    sha_hex(&s, key);
}

static void entry_path(const part_cache *c, const char key[65], char *out, size_t cap) {
    snprintf(out, cap, "%s/%s.o", c->dir, key);
}

bool part_cache_get(const part_cache *c, const char key[65], LLVMMemoryBufferRef *out) {
    char path[4200];
    entry_path(c, key, path, sizeof path);
    char *msg = NULL;
    if (LLVMCreateMemoryBufferWithContentsOfFile(path, out, &msg) == 0) return true;
    LLVMDisposeMessage(msg);
    *out = NULL;
    return false;
}

void part_cache_end(part_cache *c) {
    if (c->scratch[0])
        (c->opts->cache_scratch_remove ? c->opts->cache_scratch_remove : cache_scratch_remove_plain)(c->scratch);
}

void part_cache_put(part_cache *c, const char key[65], const void *data, size_t n) {
    if (!c->scratch[0]) return;
    char path[4200], tmp[4300];
    entry_path(c, key, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s/%u.o", c->scratch, atomic_fetch_add(&c->written, 1));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return;
    bool ok = true;
    for (size_t done = 0; ok && done < n;) {
        ssize_t w = write(fd, (const char *)data + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        ok = w > 0;
        if (ok) done += (size_t)w;
    }
    if (close(fd) != 0) ok = false;
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
}
