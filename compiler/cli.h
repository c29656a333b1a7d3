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
 * Errors in a module are printed to stderr as `FILE:0xOFFSET: error:
 * MESSAGE`; errors about a file as `PATH: error: MESSAGE` (status 2 for
 * I/O). */
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
/* cli_compile.c: after a command, shuts LLVM down when KILN_LLVM_OPTIONS
 * is set, so that -time-passes also prints the code generator's report
 * (LLVM prints it only then; docs/architecture.md, *Measuring a
 * compile*). */
void cli_llvm_finish(void);

/* main.c: malloc keeps what it frees for the rest of the process
 * instead of handing it back to the kernel (glibc; elsewhere nothing).
 * For the commands that compile and exit (compile, build): each
 * partition's LLVM context and object are freed before the next
 * partition allocates as much again, and pages returned to the kernel
 * come back as page faults on zeroed pages.  Not for `kiln run`, whose
 * program would keep the compile's memory while it runs. */
void cli_malloc_keep_freed(void);

/* main.c: reads a whole file into a malloc'ed buffer (never NULL on
 * success, even for an empty file).  On failure returns false and
 * writes the reason (strerror text, or "is a directory") into `why`. */
bool cli_file_read(const char *path, uint8_t **bytes, size_t *size, char *why, size_t why_size);

/* main.c: cli_file_read, printing `PATH: error: cannot read: REASON` on
 * failure (the caller exits CLI_USAGE). */
bool cli_input_read(const char *path, uint8_t **bytes, size_t *size);

/* main.c: prints `FILE:0xOFFSET: error: MESSAGE` to stderr. */
void cli_error_print(const char *path, const kiln_error *err);

/* main.c: prints `PATH: error: MESSAGE` to stderr: every error that is
 * about a file (or a program) rather than a place in a module. */
void cli_path_error(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* main.c: reports a failed compile of `input` into `output`: an I/O
 * error as `OUTPUT: error: MESSAGE` (status CLI_USAGE; the message names
 * the file, a temporary one perhaps), anything else as a module error
 * (status CLI_FAIL).  Returns the status. */
int cli_compile_failed(const char *input, const char *output, const kiln_error *err);

/* main.c: whether a file can be created at `path` (its directory exists
 * and is writable, and `path` is no directory); if not, prints
 * `PATH: error: cannot write: REASON`.  Checked before compiling, so a
 * bad -o costs no compile time and is blamed on the right file. */
bool cli_output_check(const char *path);

/* main.c: the directory part of `path` ("." for a bare file name). */
void cli_dir_of(const char *path, char *out, size_t cap);

/* main.c: how much the compiling commands say besides errors: -q/--quiet
 * (nothing: no warnings, no progress), the default (warnings, and a
 * progress line on a terminal), -v/--verbose (also every phase with its
 * time and peak memory).  Errors are printed whatever the level. */
typedef enum cli_verbosity_level { CLI_QUIET = -1, CLI_NORMAL = 0, CLI_VERBOSE = 1 } cli_verbosity_level;
extern cli_verbosity_level cli_verbosity;
/* main.c: -q, --quiet, -v, --verbose; true if `arg` is one (it then sets
 * cli_verbosity: the last one given wins). */
bool cli_verbosity_flag(const char *arg);
/* main.c: `PATH: warning: MESSAGE` on stderr, unless -q. */
void cli_warning(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* main.c: the last lines of every `--help`: where the full description is.
 * `command` NULL: the top-level usage. */
void cli_usage_footer(FILE *out, const char *command);

/* main.c: the value of option `name` at argv[*i], written `NAME VALUE`
 * (*i then skips the value) or `NAME=VALUE`; NULL if argv[*i] is not
 * that option or the value is missing. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name);

/* main.c: true, after printing `kiln CMD: option 'NAME' needs a value`,
 * when argv[i] is the last argument and one of `value_options` (a
 * NULL-terminated list of the command's options that take a value).
 * Checked before anything else, so a dangling `-o` is never "unknown". */
bool cli_option_lacks_value(const char *cmd, int argc, char **argv, int i,
                            const char *const *value_options);

/* main.c: `--bounds-checks=explicit|guard` (or with the value apart).
 * 1: consumed, 0: not this flag, -1: bad value (message printed). */
int cli_bounds_flag(const char *cmd, int argc, char **argv, int *i, bool *explicit_bounds);

/* main.c: applies a feature flag (features.def: --disable-NAME,
 * --enable-NAME, --disable-all, --enable-all) to a KILN_FEATURE_* mask
 * that starts as features_default().  Returns false if `arg` is not such
 * a flag. */
bool cli_feature_flag(const char *arg, uint32_t *features);
/* main.c: after the options are parsed (so that -q counts wherever it
 * is): a warning for each --enable-NAME of a feature not supported yet,
 * unless -q. */
void cli_features_warn(void);
/* main.c: the feature section of every command's --help. */
void cli_features_usage(FILE *out);

/* main.c: the default symbol prefix of a module: its file name without
 * directory and extension, as a C identifier ("my-mod.wasm" -> my_mod). */
void cli_prefix_from_path(const char *path, char *out, size_t cap);
bool cli_prefix_valid(const char *prefix);
/* Whether --cpu names a CPU LLVM knows for the target (native and generic
 * always); if not, says so for `kiln COMMAND` (exit CLI_USAGE). */
bool cli_cpu_valid(const char *command, const char *triple, const char *cpu);

/* main.c: private scratch directories.  cli_temp_dir_make creates
 * PARENT/NAMEXXXXXX and registers it; cli_temp_dir_remove deletes it and
 * every file in it.  Registered directories are also removed on exit()
 * and on SIGHUP, SIGINT, SIGQUIT and SIGTERM (the signal is then
 * re-raised).  False with errno set if the directory cannot be made. */
const char *cli_temp_parent(void); /* $TMPDIR, default /tmp */
bool cli_temp_dir_make(const char *parent, const char *name, char *out, size_t cap);
void cli_temp_dir_remove(const char *path);

/* cli_imports.c: the imports of `m` that `l` (kiln run's WASI host)
 * cannot satisfy, every one in a single error on stderr (`PATH: error:
 * N imports cannot be resolved ...`, then one indented line per import);
 * returns how many (0: none, nothing printed). */
struct kiln_module;
struct kiln_linker;
/* What kiln run and kiln build's executables do with function imports
 * nothing provides. */
typedef enum cli_unknown_imports {
    CLI_UNKNOWN_FAIL, /* name them all and stop (the default) */
    CLI_UNKNOWN_TRAP, /* --trap-unknown-imports: stand-ins that trap when called */
    CLI_UNKNOWN_DEFAULT, /* --default-values-unknown-imports: stand-ins returning zeros */
} cli_unknown_imports;
/* cli_imports.c: parses --trap-unknown-imports and
 * --default-values-unknown-imports for `command`: 1 if `arg` is one
 * (*u set), 0 if not, -1 if it contradicts the other (said). */
int cli_unknown_imports_flag(const char *command, const char *arg, cli_unknown_imports *u);
size_t cli_imports_unresolved(const struct kiln_linker *l, const struct kiln_module *m,
                              const char *path, cli_unknown_imports u);
/* cli_imports.c: unless `u` is CLI_UNKNOWN_FAIL, defines in `l` a stand-in
 * (runtime/import_trap.c) for every function import of `m` that `l` has
 * nothing for; false (said) when out of memory.  `u` in the other calls:
 * which flag was given (without one they say what the flags would do). */
bool cli_imports_stand_ins_define(struct kiln_linker *l, const struct kiln_module *m,
                                  cli_unknown_imports u);
/* cli_imports.c: defines in `l` the shared memory `m` imports, if any,
 * made with the import's limits (a wasm32-wasip1-threads program imports
 * its memory); false when it cannot be made.  Other memory imports stay
 * unresolved: WASI provides no memory. */
bool cli_imports_memory_define(struct kiln_linker *l, const struct kiln_module *m);
/* cli_imports.c: unless -q, a warning listing every import that the WASI
 * runtime of `kiln build`'s executables will not provide. */
void cli_imports_warn_wasi(const struct kiln_module *m, const char *path, cli_unknown_imports u);

/* cli_compile.c: parses `-j N`, `-jN`, `--jobs N` or `--jobs=N` (compile
 * threads, 1..256) and `--partitions N` (force that many, 1..4096) into
 * opts->jobs / opts->partitions for the commands that compile.
 * 1: consumed, 0: not such a flag, -1: bad or missing value (message
 * printed, prefixed by `cmd`). */
struct kiln_compile_options;
int cli_jobs_flag(const char *cmd, int argc, char **argv, int *i,
                  struct kiln_compile_options *opts);
/* cli_compile.c: `--cache` (the partition cache in the common store,
 * cache_key.h) or `--cache-dir DIR` (created if need be) into
 * opts->cache_dir; 1: consumed, 0: not such a flag, -1: the directory
 * cannot be made (message printed).  cli_run_cache_set: the store's, for
 * `kiln run` (false: no home for it, no partition cache then). */
int cli_cache_flag(const char *cmd, int argc, char **argv, int *i,
                   struct kiln_compile_options *opts);
bool cli_run_cache_set(struct kiln_compile_options *opts);
/* cli_compile.c: the default number of compile threads: the CPUs kiln
 * may run on (sched_getaffinity: the online ones, fewer under taskset or
 * a cpuset), at most CLI_JOBS_MAX_DEFAULT, the most threads emit.c's
 * pool starts. */
enum { CLI_JOBS_MAX_DEFAULT = 64 };
int cli_jobs_default(void);

/* cli_compile.c: the progress reporter of a compiling command
 * (progress.h): a progress line when stderr is a terminal (not with -q),
 * phase lines with -v; NULL when neither. */
struct kiln_progress;
struct kiln_progress *cli_progress_new(void);
/* cli_compile.c: decodes and validates `bytes` (timed as the phases
 * "decode" and "validate"); NULL after printing the module's error. */
struct kiln_module *cli_module_decode(const char *path, const uint8_t *bytes, size_t size,
                                      uint32_t features, struct kiln_progress *progress);

/* cli_compile.c: for -g, a warning (cli_warning: not with -q) when the
 * module's DWARF line table is missing or malformed (the compile goes on
 * without it). */
struct kiln_module;
void cli_debug_lines_warn(const char *input, const struct kiln_module *m);

#endif
