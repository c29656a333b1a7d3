/* dwarf_line.c - .debug_line -> a sorted table of (address, file, line,
 * column) rows; see dwarf_line.h.
 *
 * DWARF 5, section 6.2.  Each line program (one per compile unit) is a
 * header (format, version, opcode parameters, directory and file tables)
 * followed by byte-coded instructions for a state machine that emits
 * rows.  Everything is read through a cursor that refuses to move past
 * its end, so a lying length or count ends in "unexpected end" at its
 * offset; counts are bounded by the bytes left (each entry takes at
 * least one byte), so no input makes the reader allocate more than a
 * small multiple of its size.  VLIW op indices (max_ops_per_inst > 1),
 * the 64-bit DWARF format and string forms that need .debug_str_offsets
 * are refused with a message that says so: no wasm producer emits them. */
#include "dwarf_line.h"

#include <stdlib.h>
#include <string.h>

#include "leb128.h"

/* ---- a bounds-checked cursor ---------------------------------------------- */

typedef struct cursor {
    const uint8_t *base; /* .debug_line, for error offsets */
    const uint8_t *p, *end;
    kiln_error *err;
    bool failed;
} cursor;

static bool cur_fail(cursor *c, const uint8_t *at, const char *what) {
    if (!c->failed) error_set(c->err, KILN_ERR_MALFORMED, (uint64_t)(at - c->base), "%s", what);
    c->failed = true;
    return false;
}

static size_t cur_left(const cursor *c) { return (size_t)(c->end - c->p); }

static bool cur_need(cursor *c, size_t n) {
    return cur_left(c) >= n || cur_fail(c, c->p, "DWARF line table: unexpected end");
}

/* Little-endian, as every wasm (and x86-64, aarch64, riscv64) object is. */
static uint64_t cur_fixed(cursor *c, unsigned n) {
    if (!cur_need(c, n)) return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint8_t cur_u8(cursor *c) { return (uint8_t)cur_fixed(c, 1); }

static uint64_t cur_uleb(cursor *c) {
    const uint8_t *at = c->p;
    uint64_t v = 0;
    if (c->failed) return 0;
    if (leb_read_u64(&c->p, c->end, &v) != LEB_OK) cur_fail(c, at, "DWARF line table: bad LEB128");
    return v;
}

static int64_t cur_sleb(cursor *c) {
    const uint8_t *at = c->p;
    int64_t v = 0;
    if (c->failed) return 0;
    if (leb_read_signed(&c->p, c->end, 64, &v) != LEB_OK)
        cur_fail(c, at, "DWARF line table: bad LEB128");
    return v;
}

/* A NUL-terminated string inside the cursor's bytes. */
static const char *cur_cstr(cursor *c, size_t *len) {
    if (c->failed) return NULL;
    const uint8_t *nul = memchr(c->p, 0, cur_left(c));
    if (!nul) return cur_fail(c, c->p, "DWARF line table: unterminated string"), NULL;
    const char *s = (const char *)c->p;
    *len = (size_t)(nul - c->p);
    c->p = nul + 1;
    return s;
}

/* A string at `offset` of another section (.debug_line_str, .debug_str). */
static const char *section_str(cursor *c, const uint8_t *at, const uint8_t *sec, size_t size,
                               uint64_t offset, size_t *len) {
    if (!sec || offset >= size) return cur_fail(c, at, "DWARF line table: string offset out of bounds"), NULL;
    const uint8_t *nul = memchr(sec + offset, 0, size - offset);
    if (!nul) return cur_fail(c, at, "DWARF line table: unterminated string"), NULL;
    *len = (size_t)(nul - (sec + offset));
    return (const char *)sec + offset;
}

/* ---- the output tables ------------------------------------------------------ */

static bool grow(void **array, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t cap2 = *cap ? *cap * 2 : 64;
    while (cap2 < need) cap2 *= 2;
    void *p = realloc(*array, cap2 * elem);
    if (!p) return false;
    *array = p;
    *cap = cap2;
    return true;
}

/* Strings are kept as offsets while the pool may move; files_fixup()
 * turns them into pointers once parsing is over. */
static bool string_add(dwarf_lines *l, const char *s, size_t len, size_t *at) {
    if (!grow((void **)&l->strings, &l->strings_cap, l->strings_used + len + 1, 1)) return false;
    memcpy(l->strings + l->strings_used, s, len);
    l->strings[l->strings_used + len] = 0;
    *at = l->strings_used;
    l->strings_used += len + 1;
    return true;
}

static bool row_add(dwarf_lines *l, const dwarf_row *r) {
    if (!grow((void **)&l->rows, &l->rows_cap, l->num_rows + 1, sizeof *l->rows)) return false;
    l->rows[l->num_rows++] = *r;
    return true;
}

/* ---- the header ---------------------------------------------------------- */

/* What one line program's header says. */
typedef struct lp_header {
    uint16_t version;
    uint8_t min_inst_length, default_is_stmt, line_range, opcode_base;
    int8_t line_base;
    const uint8_t *std_lengths; /* [opcode_base - 1] */
    uint32_t first_file;        /* this unit's file 0 (v5) or 1 (v2-4) in l->files */
    uint32_t num_files;
    size_t *dir_at;              /* string offsets of the directories */
    uint64_t num_dirs;
} lp_header;

enum {
    DW_LNCT_path = 1, DW_LNCT_directory_index = 2,
    DW_FORM_block = 0x09, DW_FORM_data1 = 0x0b, DW_FORM_data2 = 0x05, DW_FORM_data4 = 0x06,
    DW_FORM_data8 = 0x07, DW_FORM_data16 = 0x1e, DW_FORM_string = 0x08, DW_FORM_strp = 0x0e,
    DW_FORM_udata = 0x0f, DW_FORM_line_strp = 0x1f,
};

/* One attribute value of a v5 directory or file entry: a string (*s) or
 * a number (*v). */
static void form_read(cursor *c, const dwarf_sections *s, uint64_t form, const char **str,
                      size_t *len, uint64_t *v) {
    const uint8_t *at = c->p;
    *str = NULL;
    *v = 0;
    switch (form) {
    case DW_FORM_string: *str = cur_cstr(c, len); return;
    case DW_FORM_line_strp:
        *str = section_str(c, at, s->line_str, s->line_str_size, cur_fixed(c, 4), len);
        return;
    case DW_FORM_strp: *str = section_str(c, at, s->str, s->str_size, cur_fixed(c, 4), len); return;
    case DW_FORM_udata: *v = cur_uleb(c); return;
    case DW_FORM_data1: *v = cur_fixed(c, 1); return;
    case DW_FORM_data2: *v = cur_fixed(c, 2); return;
    case DW_FORM_data4: *v = cur_fixed(c, 4); return;
    case DW_FORM_data8: *v = cur_fixed(c, 8); return;
    case DW_FORM_data16: cur_fixed(c, 8), cur_fixed(c, 8); return;
    case DW_FORM_block: {
        uint64_t n = cur_uleb(c);
        if (!c->failed && cur_need(c, n)) c->p += n;
        return;
    }
    default: cur_fail(c, at, "DWARF line table: unsupported attribute form");
    }
}

typedef struct entry_format {
    uint64_t count;
    uint64_t type[8], form[8];
} entry_format;

static void entry_format_read(cursor *c, entry_format *f) {
    const uint8_t *at = c->p;
    f->count = cur_u8(c);
    if (f->count > 8) return (void)cur_fail(c, at, "DWARF line table: too many entry attributes");
    for (uint64_t i = 0; i < f->count; i++) {
        f->type[i] = cur_uleb(c);
        f->form[i] = cur_uleb(c);
    }
}

/* One v5 entry: its path and directory index (0 when absent). */
static void entry_read(cursor *c, const dwarf_sections *s, const entry_format *f,
                       const char **path, size_t *path_len, uint64_t *dir) {
    *path = NULL;
    *dir = 0;
    for (uint64_t i = 0; i < f->count && !c->failed; i++) {
        const char *str;
        size_t len = 0;
        uint64_t v;
        form_read(c, s, f->form[i], &str, &len, &v);
        if (f->type[i] == DW_LNCT_path && str) *path = str, *path_len = len;
        if (f->type[i] == DW_LNCT_directory_index) *dir = v;
    }
    if (!c->failed && !*path) cur_fail(c, c->p, "DWARF line table: entry without a path");
}

/* Entries take at least one byte each, which bounds the arrays. */
static bool count_read(cursor *c, uint64_t *n) {
    const uint8_t *at = c->p;
    *n = cur_uleb(c);
    return !c->failed && (*n <= cur_left(c) || cur_fail(c, at, "DWARF line table: count out of bounds"));
}

static bool nomem(cursor *c) {
    if (!c->failed) error_set(c->err, KILN_ERR_NOMEM, 0, "out of memory");
    c->failed = true;
    return false;
}

static bool dir_add(cursor *c, dwarf_lines *l, lp_header *h, const char *s, size_t len) {
    return string_add(l, s, len, &h->dir_at[h->num_dirs++]) || nomem(c);
}

static bool file_add(cursor *c, dwarf_lines *l, lp_header *h, const uint8_t *at, const char *name,
                     size_t len, uint64_t dir) {
    if (dir >= h->num_dirs && !(h->version < 5 && dir == 0))
        return cur_fail(c, at, "DWARF line table: directory index out of range");
    size_t name_at, files_cap = l->files_cap;
    if (!string_add(l, name, len, &name_at) ||
        !grow((void **)&l->files, &files_cap, (size_t)l->num_files + 1, sizeof *l->files))
        return nomem(c);
    l->files_cap = (uint32_t)files_cap;
    /* Offsets into l->strings, made pointers by files_fixup(); v2-4's
     * directory 0 is the compile unit's directory, which only .debug_info
     * knows: SIZE_MAX stands for "". */
    size_t dir_at = dir < h->num_dirs ? h->dir_at[dir] : SIZE_MAX;
    l->files[l->num_files++] = (dwarf_file){(const char *)(uintptr_t)dir_at,
                                            (const char *)(uintptr_t)name_at};
    h->num_files++;
    return true;
}

static bool tables_v5_read(cursor *c, const dwarf_sections *s, dwarf_lines *l, lp_header *h) {
    entry_format f;
    uint64_t n;
    entry_format_read(c, &f);
    if (!count_read(c, &n)) return false;
    h->dir_at = malloc((n + 1) * sizeof *h->dir_at);
    if (!h->dir_at) return nomem(c);
    for (uint64_t i = 0; i < n && !c->failed; i++) {
        const char *path;
        size_t len = 0;
        uint64_t dir;
        entry_read(c, s, &f, &path, &len, &dir);
        if (!c->failed) dir_add(c, l, h, path, len);
    }
    entry_format_read(c, &f);
    if (!count_read(c, &n)) return false;
    for (uint64_t i = 0; i < n && !c->failed; i++) {
        const uint8_t *at = c->p;
        const char *path;
        size_t len = 0;
        uint64_t dir;
        entry_read(c, s, &f, &path, &len, &dir);
        if (!c->failed) file_add(c, l, h, at, path, len, dir);
    }
    return !c->failed;
}

/* v2-4: include_directories (strings, then an empty one), file_names
 * (name, directory, mtime, length; then a 0 byte).  Directory 0 is the
 * compile unit's own, so the listed ones count from 1. */
static bool tables_v4_read(cursor *c, dwarf_lines *l, lp_header *h) {
    h->dir_at = malloc((cur_left(c) + 2) * sizeof *h->dir_at);
    if (!h->dir_at) return nomem(c);
    h->dir_at[h->num_dirs++] = SIZE_MAX;
    for (;;) {
        size_t len = 0;
        const char *d = cur_cstr(c, &len);
        if (!d) return false;
        if (!len) break;
        if (!dir_add(c, l, h, d, len)) return false;
    }
    for (;;) {
        const uint8_t *at = c->p;
        size_t len = 0;
        const char *name = cur_cstr(c, &len);
        if (!name) return false;
        if (!len) break;
        uint64_t dir = cur_uleb(c);
        cur_uleb(c), cur_uleb(c); /* modification time, length */
        if (c->failed || !file_add(c, l, h, at, name, len, dir)) return false;
    }
    return true;
}

/* Reads the header up to the first instruction; `c` covers the unit. */
static bool header_read(cursor *c, const dwarf_sections *s, dwarf_lines *l, lp_header *h) {
    const uint8_t *at = c->p;
    h->version = (uint16_t)cur_fixed(c, 2);
    if (!c->failed && (h->version < 2 || h->version > 5))
        return cur_fail(c, at, "DWARF line table: unsupported version");
    if (h->version >= 5) {
        uint8_t address_size = cur_u8(c), seg_size = cur_u8(c);
        if (!c->failed && ((address_size != 4 && address_size != 8) || seg_size != 0))
            return cur_fail(c, at, "DWARF line table: unsupported address size");
    }
    const uint8_t *len_at = c->p;
    uint64_t header_length = cur_fixed(c, 4);
    if (c->failed || header_length > cur_left(c))
        return cur_fail(c, len_at, "DWARF line table: header length out of bounds");
    cursor hc = *c;
    hc.end = c->p + header_length;
    c->p = hc.end;
    h->min_inst_length = cur_u8(&hc);
    if (h->version >= 4 && cur_u8(&hc) != 1 && !hc.failed)
        cur_fail(&hc, hc.p - 1, "DWARF line table: VLIW operations are not supported");
    h->default_is_stmt = cur_u8(&hc);
    h->line_base = (int8_t)cur_u8(&hc);
    h->line_range = cur_u8(&hc);
    h->opcode_base = cur_u8(&hc);
    if (!hc.failed && (h->line_range == 0 || h->opcode_base == 0))
        cur_fail(&hc, hc.p - 1, "DWARF line table: line_range or opcode_base is 0");
    if (!hc.failed && cur_need(&hc, h->opcode_base - 1u)) {
        h->std_lengths = hc.p;
        hc.p += h->opcode_base - 1u;
    }
    h->first_file = l->num_files;
    if (!hc.failed) (h->version >= 5 ? tables_v5_read(&hc, s, l, h) : tables_v4_read(&hc, l, h));
    c->failed = hc.failed;
    return !c->failed;
}

/* ---- the line-number program ----------------------------------------------- */

typedef struct lp_state {
    uint64_t addr;
    uint64_t file;
    int64_t line;
    uint64_t column;
    bool is_stmt;
    size_t seq_start; /* l->num_rows when the current sequence began */
    bool seq_bad;     /* the sequence touches a tombstone address */
} lp_state;

static void state_reset(lp_state *st, const lp_header *h, const dwarf_lines *l) {
    *st = (lp_state){.file = 1, .line = 1, .is_stmt = h->default_is_stmt != 0,
                     .seq_start = l->num_rows};
}

static bool row_emit(cursor *c, dwarf_lines *l, const lp_header *h, lp_state *st, bool end,
                     const uint8_t *at) {
    uint64_t index = h->version >= 5 ? st->file : st->file - 1;
    if (st->file == 0 && h->version < 5) index = UINT64_MAX;
    if (index >= h->num_files) return cur_fail(c, at, "DWARF line table: file index out of range");
    dwarf_row r = {.addr = st->addr, .file = h->first_file + (uint32_t)index,
                   .line = st->line < 0 || st->line > INT32_MAX ? 0 : (uint32_t)st->line,
                   .column = st->column > UINT16_MAX ? 0 : (uint16_t)st->column,
                   .flags = (uint8_t)((end ? DWARF_ROW_END : 0) | (st->is_stmt ? DWARF_ROW_STMT : 0))};
    return row_add(l, &r) || nomem(c);
}

static void addr_advance(lp_state *st, const lp_header *h, uint64_t ops, const dwarf_sections *s) {
    st->addr += ops * h->min_inst_length;
    if (st->addr > s->max_addr) st->seq_bad = true;
}

/* A sequence at address 0 or past the code is a discarded function's. */
static void sequence_end(dwarf_lines *l, lp_state *st, const dwarf_sections *s) {
    const dwarf_row *first = &l->rows[st->seq_start];
    if (st->seq_bad || first->addr == 0 || st->addr > s->max_addr) l->num_rows = st->seq_start;
}

/* DW_LNE_*: 0, length, sub-opcode, operands. */
static void extended_op(cursor *c, dwarf_lines *l, const lp_header *h, lp_state *st,
                        const dwarf_sections *s, const uint8_t *at) {
    uint64_t len = cur_uleb(c);
    if (c->failed || !cur_need(c, len) || len == 0) {
        if (!c->failed) cur_fail(c, at, "DWARF line table: empty extended opcode");
        return;
    }
    cursor op = *c;
    op.end = c->p + len;
    c->p = op.end;
    switch (cur_u8(&op)) {
    case 1: /* end_sequence */
        if (row_emit(c, l, h, st, true, at)) sequence_end(l, st, s);
        state_reset(st, h, l);
        return;
    case 2: /* set_address */
        if (len != 5 && len != 9) return (void)cur_fail(c, at, "DWARF line table: bad address size");
        st->addr = cur_fixed(&op, (unsigned)len - 1);
        if (st->addr > s->max_addr || st->addr == 0) st->seq_bad = true;
        return;
    default: return; /* define_file (v2-4), set_discriminator, vendor ones: not needed */
    }
}

/* DW_LNS_*, the ones whose operands the state machine uses. */
static void standard_op(cursor *c, dwarf_lines *l, const lp_header *h, lp_state *st,
                        const dwarf_sections *s, uint8_t op, const uint8_t *at) {
    switch (op) {
    case 1: row_emit(c, l, h, st, false, at); return;           /* copy */
    case 2: addr_advance(st, h, cur_uleb(c), s); return;        /* advance_pc */
    case 3: st->line += cur_sleb(c); return;                    /* advance_line */
    case 4: st->file = cur_uleb(c); return;                     /* set_file */
    case 5: st->column = cur_uleb(c); return;                   /* set_column */
    case 6: st->is_stmt = !st->is_stmt; return;                 /* negate_stmt */
    case 8: addr_advance(st, h, (255u - h->opcode_base) / h->line_range, s); return;
    case 9: st->addr += cur_fixed(c, 2); addr_advance(st, h, 0, s); return; /* fixed_advance_pc */
    default: /* basic_block, prologue_end, epilogue_begin, isa, and unknown ones */
        for (unsigned i = 0; i < h->std_lengths[op - 1] && !c->failed; i++) cur_uleb(c);
    }
}

static void program_run(cursor *c, dwarf_lines *l, const lp_header *h, const dwarf_sections *s) {
    lp_state st;
    state_reset(&st, h, l);
    while (c->p < c->end && !c->failed) {
        const uint8_t *at = c->p;
        uint8_t op = cur_u8(c);
        if (op >= h->opcode_base) {
            uint8_t adjusted = (uint8_t)(op - h->opcode_base);
            addr_advance(&st, h, adjusted / h->line_range, s);
            st.line += h->line_base + adjusted % h->line_range;
            row_emit(c, l, h, &st, false, at);
        } else if (op == 0) {
            extended_op(c, l, h, &st, s, at);
        } else {
            standard_op(c, l, h, &st, s, op, at);
        }
    }
    l->num_rows = st.seq_start; /* rows of a sequence that never ended */
}

/* One unit: length, header, program.  *next is where the next one starts. */
static bool unit_read(cursor *c, const dwarf_sections *s, dwarf_lines *l) {
    const uint8_t *at = c->p;
    uint64_t length = cur_fixed(c, 4);
    if (c->failed) return false;
    if (length >= 0xfffffff0u)
        return cur_fail(c, at, length == 0xffffffffu
                                   ? "DWARF line table: the 64-bit DWARF format is not supported"
                                   : "DWARF line table: reserved unit length");
    if (length > cur_left(c)) return cur_fail(c, at, "DWARF line table: unit length out of bounds");
    cursor uc = *c;
    uc.end = c->p + length;
    c->p = uc.end;
    lp_header h = {0};
    if (header_read(&uc, s, l, &h)) program_run(&uc, l, &h, s);
    free(h.dir_at);
    c->failed = uc.failed;
    return !c->failed;
}

/* ---- the table ------------------------------------------------------------- */

static int row_compare(const void *a, const void *b) {
    const dwarf_row *x = a, *y = b;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return (y->flags & DWARF_ROW_END) - (x->flags & DWARF_ROW_END); /* ends first */
}

static void files_fixup(dwarf_lines *l) {
    for (uint32_t i = 0; i < l->num_files; i++) {
        uintptr_t dir = (uintptr_t)l->files[i].dir, name = (uintptr_t)l->files[i].name;
        l->files[i].dir = dir == SIZE_MAX ? "" : l->strings + dir;
        l->files[i].name = l->strings + name;
    }
}

bool dwarf_lines_parse(const dwarf_sections *s, dwarf_lines *out, kiln_error *err) {
    memset(out, 0, sizeof *out);
    cursor c = {s->line, s->line, s->line + s->line_size, err, false};
    while (c.p < c.end && unit_read(&c, s, out)) {
    }
    files_fixup(out);
    if (c.failed) return false;
    /* Rows within a sequence ascend, but sequences come in any order;
     * a stable order for equal addresses is not needed beyond ends first. */
    if (out->num_rows) qsort(out->rows, out->num_rows, sizeof *out->rows, row_compare);
    return true;
}

const dwarf_row *dwarf_lines_find(const dwarf_lines *l, uint64_t addr) {
    size_t lo = 0, hi = l->num_rows; /* first row with addr > `addr` */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->rows[mid].addr <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return NULL;
    const dwarf_row *r = &l->rows[lo - 1];
    return r->flags & DWARF_ROW_END ? NULL : r;
}

void dwarf_lines_free(dwarf_lines *l) {
    free(l->rows);
    free(l->files);
    free(l->strings);
    memset(l, 0, sizeof *l);
}

/* ---- a wasm module's sections ------------------------------------------------- */

static const kiln_custom_section *custom_find(const kiln_module *m, const char *name) {
    size_t n = strlen(name);
    for (uint32_t i = 0; i < m->num_customs; i++)
        if (m->customs[i].name.len == n && memcmp(m->customs[i].name.chars, name, n) == 0)
            return &m->customs[i];
    return NULL;
}

bool dwarf_lines_from_module(const kiln_module *m, dwarf_lines *out, kiln_error *err) {
    memset(out, 0, sizeof *out);
    error_clear(err);
    const kiln_custom_section *line = custom_find(m, ".debug_line");
    const kiln_custom_section *line_str = custom_find(m, ".debug_line_str");
    const kiln_custom_section *str = custom_find(m, ".debug_str");
    if (!line) return false;
    dwarf_sections s = {line->bytes, line_str ? line_str->bytes : NULL, str ? str->bytes : NULL,
                        line->size, line_str ? line_str->size : 0, str ? str->size : 0,
                        m->code_size};
    if (dwarf_lines_parse(&s, out, err)) return true;
    if (err->kind == KILN_ERR_MALFORMED) err->offset += line->data_offset;
    dwarf_lines_free(out);
    return false;
}
