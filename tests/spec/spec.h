/* spec.h - kiln-spec, the spec-suite runner.
 *
 * main.c finds the .wast files, runs each in its own child process (so
 * a crash or hang in one file is a reported failure, not the end of the
 * run), collects what the children report, applies known-failures.txt
 * and prints the totals.  script.c is the child side: wast2json into a
 * temporary directory, then every command of the script in order. */
#ifndef KILN_SPEC_H
#define KILN_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct spec_options {
    const char *wast2json; /* program name or path */
    int opt_level;         /* -O level for stage 2 */
    bool guard_pages;      /* compile for guard pages instead of explicit checks */
    int compile_jobs;      /* >1: force that many partitions and threads per module */
    bool validate_only;    /* stage 1: decode/validate checks only */
    bool verbose;
    unsigned timeout;      /* seconds per command */
    int resume_after;      /* only replay state-building commands up to this line */
} spec_options;

/* The proposal a file belongs to, from its path. */
typedef struct spec_features {
    uint32_t kiln;           /* KILN_FEATURE_* for module_decode */
    const char *wast2json[3]; /* extra wast2json flags, NULL-terminated */
} spec_features;

void spec_features_for(const char *rel_path, spec_features *out);

/* Child side: runs one .wast and writes one line per event to `report`
 * (flushed after each, so a crash loses nothing):
 *     cmd LINE            about to run the command at LINE
 *     pass LINE
 *     fail LINE MESSAGE
 *     skip LINE REASON    not checked (yet)
 *     text LINE           a text-format module: the text parser's job
 *     error MESSAGE       the file as a whole could not be run
 * Returns 0, or 1 when the file could not be run at all. */
int script_run(const char *wast_path, const char *rel_path, const spec_options *opts,
               FILE *report);

#endif
