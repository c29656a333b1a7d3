/* dwarf_line.h - a DWARF line-table reader (.debug_line, versions 2-5,
 * 32-bit DWARF format).
 *
 * Programs built with `clang -g --target=wasm32-wasi` carry DWARF whose
 * addresses are byte offsets into the wasm Code section's contents;
 * `kiln compile -g` (compiler/debug_info.c) turns them into LLVM debug
 * locations.  The reader knows nothing of wasm or LLVM: it turns the
 * sections' bytes into one table of rows sorted by address, and is
 * written for untrusted input (every read bounds-checked, every count
 * bounded by the bytes that hold it), so a malformed table is an error
 * value with the byte offset where it went wrong, never a crash. */
#ifndef KILN_DWARF_LINE_H
#define KILN_DWARF_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "module.h"

/* One source file of the table: its directory (may be "") and its name
 * as the producer wrote it (relative to the directory unless absolute). */
typedef struct dwarf_file {
    const char *dir, *name;
} dwarf_file;

enum { DWARF_ROW_END = 1, DWARF_ROW_STMT = 2 };

/* The code at [addr, next row's addr) comes from file:line:column.  A
 * row flagged DWARF_ROW_END ends a sequence: the bytes from its address
 * on have no line until the next sequence starts.  Line 0 means "no
 * source line" (compiler-generated code). */
typedef struct dwarf_row {
    uint64_t addr;
    uint32_t file; /* index into dwarf_lines.files */
    uint32_t line;
    uint16_t column;
    uint8_t flags;
} dwarf_row;

typedef struct dwarf_lines {
    dwarf_row *rows; /* sorted by addr; a sequence's end before a start at the same addr */
    size_t num_rows;
    dwarf_file *files;
    uint32_t num_files;
    char *strings; /* the files' directories and names */
    size_t strings_used, strings_cap;
    size_t rows_cap;
    uint32_t files_cap;
} dwarf_lines;

/* The sections a line table reads.  line_str and str may be NULL (size
 * 0) when the table does not refer to them.  Sequences that start at
 * address 0 or reach beyond `max_addr` are dropped: that is where
 * wasm-ld leaves the code of functions it discarded (its "tombstone"
 * addresses), and 0 is never the start of a wasm function body. */
typedef struct dwarf_sections {
    const uint8_t *line, *line_str, *str;
    size_t line_size, line_str_size, str_size;
    uint64_t max_addr;
} dwarf_sections;

/* Parses every line program of .debug_line into *out (which
 * dwarf_lines_free releases, also after a failure).  On malformed input
 * returns false with err->offset the byte offset in .debug_line. */
bool dwarf_lines_parse(const dwarf_sections *s, dwarf_lines *out, kiln_error *err);

/* The row whose range holds `addr`, or NULL if no sequence covers it. */
const dwarf_row *dwarf_lines_find(const dwarf_lines *l, uint64_t addr);

void dwarf_lines_free(dwarf_lines *l);

/* The line table of a decoded wasm module: its .debug_line (with
 * .debug_line_str and .debug_str), addresses relative to the Code
 * section's contents.  Returns false with err->kind KILN_OK when the
 * module has no .debug_line, or with an error (offset in the module)
 * when it is malformed. */
bool dwarf_lines_from_module(const kiln_module *m, dwarf_lines *out, kiln_error *err);

#endif
