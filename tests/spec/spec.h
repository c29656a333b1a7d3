/* spec.h - kiln-spec, the spec-suite runner.
 *
 * main.c finds the scripts, runs each in its own child process (so a
 * crash or hang in one file is a reported failure, not the end of the
 * run), collects what the children report, applies the known-failures
 * file and prints the totals.  script.c is the child side: a .wast goes
 * through wast2json into a temporary directory, a .json (the converted
 * 3.0 suite, ../shared/testsuite-3.0) is read where it lies; then every
 * command of the script runs in order. */
#ifndef KILN_SPEC_H
#define KILN_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct spec_options {
    const char *wast2json; /* program name or path */
    int opt_level;         /* -O level for stage 2 */
    const char *cpu;       /* --cpu: NULL generic, "native" this machine's */
    bool guard_pages;      /* compile for guard pages instead of explicit checks */
    int compile_jobs;      /* >1: force that many partitions and threads per module */
    bool validate_only;    /* stage 1: decode/validate checks only */
    bool verbose;
    unsigned timeout;      /* seconds per command */
    int resume_after;      /* only replay state-building commands up to this line */
    uint32_t features_off; /* KILN_FEATURE_* bits no script gets (--disable-NAME) */
    uint32_t features_on;  /* ... and bits every .wast gets (--enable-NAME) */
} spec_options;

enum { SPEC_MAX_FLAGS = 8 };

/* The features a file's modules are decoded with. */
typedef struct spec_features {
    uint32_t kiln;           /* KILN_FEATURE_* for module_decode */
    const char *wast2json[SPEC_MAX_FLAGS + 2]; /* extra wast2json flags, NULL-terminated */
    char flags[SPEC_MAX_FLAGS][48];           /* --enable-NAME (the names are wabt's) */
} spec_features;

/* A .wast of the 2.0 suite gets the flags of its proposals/ directory; a
 * .json script is WebAssembly 3.0 (and the suite's proposals/), so it
 * gets every bit kiln has, those of features not supported yet too (the
 * known-failures list says what they lack).  Plus, for a .wast, what the
 * run turned on (kiln-spec --enable-NAME, also given to wast2json), minus
 * what it turned off (--disable-NAME). */
void spec_features_for(const char *rel_path, bool is_json, const spec_options *opts,
                       spec_features *out);

/* True if `path` names a converted script (.json) rather than a .wast. */
bool spec_is_json(const char *path);

/* Child side: runs one script (.wast or .json) and writes one line per
 * event to `report` (flushed after each, so a crash loses nothing):
 *     cmd LINE            about to run the command at LINE
 *     pass LINE
 *     fail LINE MESSAGE
 *     skip LINE REASON    not checked (yet)
 *     text LINE           a text-format module: the text parser's job
 *     unsup LINE MESSAGE  an assert_invalid / assert_malformed module that
 *                         kiln rejected as "not supported": a skip, not a
 *                         pass, where the script's features include it
 *     error MESSAGE       the file as a whole could not be run
 * Returns 0, or 1 when the file could not be run at all. */
int script_run(const char *path, const char *rel_path, const spec_options *opts,
               FILE *report);

#endif
