/* fuzz_decode.c - libFuzzer target for the front end: decode + validate,
 * and the DWARF line-table reader (dwarf_line.c) of `kiln compile -g`.
 *
 * Every input is decoded twice, once with the WebAssembly 2.0 feature set
 * and once with every proposal on, so both the plain and the proposal
 * paths of the decoder and validator see it.  Besides the sanitizers
 * (built with -fsanitize=fuzzer,address,undefined), it checks the error
 * contract: a rejection carries a message and an offset inside the input.
 *
 *   make fuzz FUZZ_TIME=1800        (see docs/architecture.md, "Fuzzing")
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dwarf_line.h"
#include "module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract_check(bool ok, const kiln_error *err, size_t size) {
    if (ok) return;
    /* Errors are values with a place: never empty, never past the end. */
    if (err->message[0] == '\0' || err->offset > size || err->kind == KILN_OK) abort();
}

static void front_run(const uint8_t *data, size_t size, uint32_t features) {
    kiln_error err;
    error_clear(&err);
    kiln_decode_options opts = {.features = features};
    kiln_module *m = module_decode(data, size, &opts, &err);
    contract_check(m != NULL, &err, size);
    if (!m) return;
    dwarf_lines lines;
    bool has_lines = dwarf_lines_from_module(m, &lines, &err);
    if (!has_lines && err.kind != KILN_OK) contract_check(false, &err, size);
    dwarf_lines_free(&lines);
    error_clear(&err);
    bool valid = module_validate(m, &err);
    contract_check(valid, &err, size);
    if (valid && !m->validated) abort();
    module_free(m);
}

/* The input as a .debug_line section itself: few mutated modules keep
 * one, and its reader must survive anything as well. */
static void dwarf_line_run(const uint8_t *data, size_t size) {
    dwarf_sections s = {data, data, data, size, size, size, UINT32_MAX};
    dwarf_lines lines;
    kiln_error err;
    error_clear(&err);
    bool ok = dwarf_lines_parse(&s, &lines, &err);
    contract_check(ok, &err, size);
    for (size_t i = 0; i < lines.num_rows; i++)
        if (lines.rows[i].file >= lines.num_files) abort();
    dwarf_lines_free(&lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dwarf_line_run(data, size);
    front_run(data, size, 0);
    front_run(data, size, features_all());
    return 0;
}
