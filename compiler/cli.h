/* cli.h - the kiln command-line driver.
 *
 * `kiln <command> [options]`: main.c parses nothing but the command name
 * and hands the remaining arguments to one cli_<command>() function, each
 * in its own file (cli_validate.c, cli_compile.c, cli_run.c, ...).
 * argv[0] is the command name, so each command can use getopt-style
 * parsing from argv[1].
 *
 * Exit codes shared by every command:
 *   0  success
 *   1  the input is malformed or invalid (or the program trapped / failed)
 *   2  usage error, or a file could not be read or written
 * Errors are printed to stderr as `FILE:0xOFFSET: error: MESSAGE`. */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* The bounds-check mode `kiln compile`, `run` and `build` use unless told
 * otherwise: guard pages where the runtime turns faults into traps (Linux
 * on x86-64 and aarch64), explicit checks elsewhere.  The library's own
 * default (a zeroed kiln_compile_options) stays explicit. */
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define CLI_DEFAULT_EXPLICIT_BOUNDS false
#define CLI_DEFAULT_BOUNDS_NAME "guard"
#else
#define CLI_DEFAULT_EXPLICIT_BOUNDS true
#define CLI_DEFAULT_BOUNDS_NAME "explicit"
#endif

int cli_validate(int argc, char **argv);
int cli_compile(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_build(int argc, char **argv);

/* main.c: reads a whole file into a malloc'ed buffer (never NULL on
 * success, even for an empty file).  On failure returns false and
 * writes the reason (strerror text, or "is a directory") into `why`. */
bool cli_file_read(const char *path, uint8_t **bytes, size_t *size, char *why, size_t why_size);

/* main.c: prints `FILE:0xOFFSET: error: MESSAGE` to stderr. */
void cli_error_print(const char *path, const kiln_error *err);

/* main.c: parses a `--enable-<feature>` / `--enable-all` flag into a
 * KILN_FEATURE_* mask.  Returns false if `arg` is not such a flag. */
bool cli_feature_flag(const char *arg, uint32_t *features);

/* cli_compile.c: parses `-j N`, `-jN`, `--jobs N` or `--jobs=N` (compile
 * threads, 1..256) and `--partitions N` (force that many, 1..4096) into
 * opts->jobs / opts->partitions for the commands that compile.
 * 1: consumed, 0: not such a flag, -1: bad value (message printed,
 * prefixed by `cmd`). */
struct kiln_compile_options;
int cli_jobs_flag(const char *cmd, int argc, char **argv, int *i,
                  struct kiln_compile_options *opts);
/* cli_compile.c: the default number of compile threads: the online CPUs,
 * at most CLI_JOBS_MAX_DEFAULT. */
enum { CLI_JOBS_MAX_DEFAULT = 8 };
int cli_jobs_default(void);

#endif
