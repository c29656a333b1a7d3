/* cli_compile.c - `kiln compile FILE.wasm -o FILE.o [options]`
 *
 * decode -> validate -> lower -> optimise -> emit, and optionally a C
 * header for hosts that link the object statically.  Errors print as
 * `FILE:0xOFFSET: error: MESSAGE`; exit 1 for a bad module or a failed
 * compile, 2 for usage and I/O errors. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity */
#endif
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Core.h>

#include "cache_key.h"
#include "cli.h"
#include "compile.h"
#include "module.h"
#include "pipeline.h"
#include "progress.h"

typedef struct compile_args {
    const char *input, *output, *header;
    kiln_compile_options opts;
    uint32_t features;
    bool emit_llvm;
    char prefix_buf[128];
    char output_buf[4096];
} compile_args;

static void compile_usage(FILE *out) {
    fprintf(out,
            "usage: kiln compile FILE.wasm [-o FILE.o] [options]\n\n"
            "Compiles a WebAssembly module to a relocatable native object that exports\n"
            "one symbol, <prefix>_module (a kiln_module_desc for the kiln runtime).\n\n"
            "options:\n"
            "  -o FILE           output object (default: FILE.wasm with .o)\n"
            "  -O0 -O1 -O2 -O3   optimisation level (default -O2)\n"
            "  -j N, --jobs N    compile threads (default: one per CPU kiln may use); a large\n"
            "                    module is split into partitions compiled in parallel; -j 1\n"
            "                    compiles it as one LLVM module\n"
            "  --partitions N    split into exactly N partitions (N > 1 even for small\n"
            "                    modules; for tests and tuning)\n"
            "  --target TRIPLE   target triple (default: the host's)\n"
            "  --cpu NAME        target CPU; 'native' = this machine (default: generic)\n"
            "  --prefix NAME     symbol prefix (default: the file name as a C identifier)\n"
            "  --header FILE.h   also write a C header with typed wrappers for the exports\n"
            "  --emit-llvm       write textual LLVM IR (after optimisation) instead of an object;\n"
            "                    with -O0, the IR the -O1..-O3 pipelines start from\n"
            "  --cache           reuse compiled partitions: a recompile after a few functions\n"
            "                    changed emits only the partitions holding them (the store is\n"
            "                    $XDG_CACHE_HOME/kiln/parts, default ~/.cache/kiln/parts)\n"
            "  --cache-dir DIR   the same, with the partitions kept in DIR\n"
            "  -g                source-level debug info from the module's DWARF line table\n"
            "                    (clang -g): file:line for gdb, perf and trap backtraces\n"
            "  --bounds-checks=explicit|guard  compare every access, or rely on guard\n"
            "                    pages around an 8 GiB reservation (default: "
            CLI_DEFAULT_BOUNDS_NAME ")\n"
            "  --disable-NAME    turn WebAssembly feature NAME off (see below)\n"
            "  --enable-NAME     turn proposal NAME on (see below)\n"
            "  -q, --quiet       no warnings, no progress line (errors still print)\n"
            "  -v, --verbose     print each phase (decode, validate, every partition's\n"
            "                    lower/optimise/emit, links) with its time and peak memory\n"
            "  -h, --help        this text\n\n"
            "On a terminal, a compile that runs for more than a second shows a progress\n"
            "line on stderr (never when stderr is not a terminal).\n"
            "exit status: 0 success, 1 invalid module or failed compile, 2 usage or I/O error\n");
    cli_features_usage(out);
    cli_usage_footer(out, "compile");
}

/* Every option that takes a value (a missing one is named as such). */
static const char *const compile_value_options[] = {
    "-o", "-j", "--jobs", "--partitions", "--target", "--cpu", "--prefix", "--header",
    "--bounds-checks", "--cache-dir", NULL,
};

static void output_from_path(const char *path, char *out, size_t cap) {
    snprintf(out, cap, "%s", path);
    char *dot = strrchr(out, '.');
    char *slash = strrchr(out, '/');
    if (dot && (!slash || dot > slash)) *dot = 0;
    size_t n = strlen(out);
    snprintf(out + n, cap - n, ".o");
}

/* The CPUs this process may run on: the online ones, fewer under taskset
 * or a container's cpuset. */
int cli_jobs_default(void) {
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                        : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > CLI_JOBS_MAX_DEFAULT ? CLI_JOBS_MAX_DEFAULT : (int)n;
}

kiln_progress *cli_progress_new(void) {
    return progress_new(cli_verbosity != CLI_QUIET && isatty(STDERR_FILENO),
                        cli_verbosity == CLI_VERBOSE);
}

kiln_module *cli_module_decode(const char *path, const uint8_t *bytes, size_t size,
                               uint32_t features, kiln_progress *progress) {
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = features};
    progress_phase_begin(progress, "decode");
    kiln_module *m = module_decode(bytes, size, &dopts, &err);
    progress_phase_end(progress);
    progress_phase_begin(progress, "validate");
    bool valid = m && module_validate(m, &err);
    progress_phase_end(progress);
    if (valid) return m;
    cli_error_print(path, &err);
    module_free(m);
    return NULL;
}

/* "-jN", "-j N", "NAME=N" or "NAME N"; NULL if `arg` is none of them. */
static const char *count_value(int argc, char **argv, int *i, const char *name, bool *missing) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    *missing = false;
    if (strcmp(name, "-j") == 0 && strncmp(arg, "-j", 2) == 0 && arg[2]) return arg + 2;
    if (strncmp(arg, name, n) != 0 || (arg[n] != 0 && arg[n] != '=')) return NULL;
    if (arg[n] == '=') return arg + n + 1;
    if (*i + 1 < argc) return argv[++*i];
    *missing = true;
    return NULL;
}

int cli_jobs_flag(const char *cmd, int argc, char **argv, int *i, kiln_compile_options *opts) {
    static const struct { const char *name; long max; } flags[] = {
        {"-j", 256}, {"--jobs", 256}, {"--partitions", 4096}};
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++) {
        bool missing;
        const char *v = count_value(argc, argv, i, flags[k].name, &missing);
        if (missing) return fprintf(stderr, "kiln %s: option '%s' needs a value\n", cmd, argv[*i]), -1;
        if (!v) continue;
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > flags[k].max)
            return fprintf(stderr, "kiln %s: bad %s '%s' (1..%ld)\n", cmd, flags[k].name, v,
                           flags[k].max), -1;
        *(k < 2 ? &opts->jobs : &opts->partitions) = (int)n;
        return 1;
    }
    return 0;
}

/* The partition cache's directory: <store>/parts, or --cache-dir's;
 * created now unless `later` (part_cache.c creates it when a compile
 * starts: `kiln run` of a module it never compiles makes nothing). */
static bool cache_dir_set(const char *cmd, const char *dir, bool later, kiln_compile_options *opts) {
    static char path[PATH_MAX];
    bool ok = dir ? snprintf(path, sizeof path, "%s", dir) < (int)sizeof path
                  : cache_dir_path(path, sizeof path - 8) && strcat(path, "/parts");
    ok = ok && (later || cache_dir_make(path));
    if (!ok && cmd)
        fprintf(stderr, "kiln %s: cannot use the cache directory %s: %s\n", cmd,
                dir ? dir : "(no $XDG_CACHE_HOME or $HOME)", strerror(errno));
    if (ok) {
        opts->cache_dir = path;
        opts->cache_scratch_make = cli_temp_dir_make;
        opts->cache_scratch_remove = cli_temp_dir_remove;
    }
    return ok;
}

int cli_cache_flag(const char *cmd, int argc, char **argv, int *i, kiln_compile_options *opts) {
    const char *arg = argv[*i], *dir;
    if (strcmp(arg, "--cache") == 0) return cache_dir_set(cmd, NULL, false, opts) ? 1 : -1;
    if (!(dir = cli_option_value(argc, argv, i, "--cache-dir"))) return 0;
    return cache_dir_set(cmd, dir, false, opts) ? 1 : -1;
}

bool cli_run_cache_set(kiln_compile_options *opts) {
    return cache_dir_set(NULL, NULL, true, opts); /* no cache is no error for `kiln run` */
}

static int args_parse_one(compile_args *a, int argc, char **argv, int *i) {
    const char *arg = argv[*i], *v;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return compile_usage(stdout), -1;
    if (cli_option_lacks_value("compile", argc, argv, *i, compile_value_options)) return CLI_USAGE;
    int jobs = cli_jobs_flag("compile", argc, argv, i, &a->opts);
    if (jobs) return jobs < 0 ? CLI_USAGE : 0;
    int bounds = cli_bounds_flag("compile", argc, argv, i, &a->opts.explicit_bounds);
    if (bounds) return bounds < 0 ? CLI_USAGE : 0;
    int cache = cli_cache_flag("compile", argc, argv, i, &a->opts);
    if (cache) return cache < 0 ? CLI_USAGE : 0;
    if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && !arg[3])
        a->opts.opt_level = arg[2] - '0';
    else if (strcmp(arg, "-o") == 0 && *i + 1 < argc) a->output = argv[++*i];
    else if ((v = cli_option_value(argc, argv, i, "--target"))) a->opts.target_triple = v;
    else if ((v = cli_option_value(argc, argv, i, "--cpu"))) a->opts.cpu = v;
    else if ((v = cli_option_value(argc, argv, i, "--prefix"))) a->opts.prefix = v;
    else if ((v = cli_option_value(argc, argv, i, "--header"))) a->header = v;
    else if (strcmp(arg, "--emit-llvm") == 0) a->emit_llvm = true;
    else if (strcmp(arg, "-g") == 0) a->opts.debug_info = true;
    else if (cli_feature_flag(arg, &a->features) || cli_verbosity_flag(arg)) return 0;
    else if (arg[0] == '-' && arg[1]) return fprintf(stderr, "kiln compile: unknown option '%s'\n", arg), CLI_USAGE;
    else if (!a->input) a->input = arg;
    else return fprintf(stderr, "kiln compile: one input file only\n"), CLI_USAGE;
    return 0;
}

/* Measuring aids, not options (architecture.md, *Measuring a compile*). */
static void dev_options_read(kiln_compile_options *opts) {
    const char *every = getenv("KILN_DEV_PARTITION_SAMPLE"), *dir = getenv("KILN_DEV_DUMP_IR");
    long n = every ? strtol(every, NULL, 10) : 0;
    opts->sample_every = n > 1 && n < 1000000 ? (uint32_t)n : 0;
    const char *list = getenv("KILN_DEV_PARTITIONS");
    opts->sample_list = list && *list ? list : NULL;
    opts->dump_ir_dir = dir && *dir ? dir : NULL;
}

static int args_parse(compile_args *a, int argc, char **argv) {
    memset(a, 0, sizeof *a);
    a->features = features_default();
    a->opts.opt_level = 2;
    a->opts.explicit_bounds = CLI_DEFAULT_EXPLICIT_BOUNDS;
    a->opts.jobs = cli_jobs_default();
    dev_options_read(&a->opts);
    for (int i = 1; i < argc; i++) {
        int r = args_parse_one(a, argc, argv, &i);
        if (r) return r;
    }
    if (!a->input) return compile_usage(stderr), CLI_USAGE;
    if (!cli_cpu_valid("compile", a->opts.target_triple, a->opts.cpu)) return CLI_USAGE;
    cli_features_warn();
    if (!a->opts.prefix) {
        cli_prefix_from_path(a->input, a->prefix_buf, sizeof a->prefix_buf);
        a->opts.prefix = a->prefix_buf;
    }
    if (!cli_prefix_valid(a->opts.prefix))
        return fprintf(stderr, "kiln compile: prefix '%s' is not a C identifier\n", a->opts.prefix), CLI_USAGE;
    if (!a->output) {
        output_from_path(a->input, a->output_buf, sizeof a->output_buf);
        a->output = a->output_buf;
    }
    return 0;
}

bool cli_cpu_valid(const char *command, const char *triple, const char *cpu) {
    if (!cpu || strcmp(cpu, "native") == 0 || strcmp(cpu, "generic") == 0) return true;
    if (compile_cpu_known(triple, cpu)) return true;
    if (triple)
        fprintf(stderr, "kiln %s: unknown CPU '%s' for %s (llc-19 -mtriple=%s -mcpu=help lists "
                        "the known ones)\n", command, cpu, triple, triple);
    else
        fprintf(stderr, "kiln %s: unknown CPU '%s' for this machine (llc-19 -mcpu=help lists "
                        "the known ones; 'native' is this machine's own)\n", command, cpu);
    return false;
}

void cli_debug_lines_warn(const char *input, const kiln_module *m) {
    kiln_error err;
    if (cli_verbosity == CLI_QUIET || module_debug_lines_check(m, &err)) return;
    if (err.kind == KILN_OK) {
        cli_warning(input, "-g: the module has no DWARF line table (.debug_line; build it with "
                           "clang -g): compiling without source lines");
        return;
    }
    char place[PATH_MAX + 32];
    snprintf(place, sizeof place, "%s:0x%llx", input, (unsigned long long)err.offset);
    cli_warning(place, "-g: %s: compiling without source lines", err.message);
}

static bool code_write(const compile_args *a, const kiln_module *m, const uint8_t *bytes,
                       size_t size, const char *path, kiln_error *err) {
    return a->emit_llvm ? module_compile_llvm_ir(m, bytes, size, &a->opts, path, err)
                        : module_compile_object(m, bytes, size, &a->opts, path, err);
}

/* The object (or IR) is written in a private directory next to the
 * output, then renamed into place: whatever ends kiln, neither a
 * half-written output nor the compiler's own temporaries stay behind. */
static int output_compile(const compile_args *a, const kiln_module *m, const uint8_t *bytes,
                          size_t size) {
    char dir[PATH_MAX], work[PATH_MAX], staged[PATH_MAX + 16];
    cli_dir_of(a->output, dir, sizeof dir);
    if (!cli_temp_dir_make(dir, "kiln-compile-", work, sizeof work)) {
        cli_path_error(a->output, "cannot write: %s", strerror(errno));
        return CLI_USAGE;
    }
    snprintf(staged, sizeof staged, "%s/output", work);
    kiln_error err;
    error_clear(&err);
    int rc = CLI_OK;
    if (!code_write(a, m, bytes, size, staged, &err)) {
        rc = cli_compile_failed(a->input, a->output, &err);
    } else if (rename(staged, a->output) != 0) {
        cli_path_error(a->output, "cannot write: %s", strerror(errno));
        rc = CLI_USAGE;
    }
    cli_temp_dir_remove(work);
    return rc;
}

/* The object (or IR), then the header: each failure is blamed on the
 * file it concerns. */
static int module_compile_files(const compile_args *a, const uint8_t *bytes, size_t size) {
    kiln_module *m = cli_module_decode(a->input, bytes, size, a->features, a->opts.progress);
    if (!m) return CLI_FAIL;
    if (a->opts.debug_info) cli_debug_lines_warn(a->input, m);
    int rc = output_compile(a, m, bytes, size);
    kiln_error err;
    error_clear(&err);
    if (rc == CLI_OK && a->header && !header_write(m, a->opts.prefix, a->input, a->header, &err))
        rc = cli_compile_failed(a->input, a->header, &err);
    module_free(m);
    return rc;
}

int cli_compile(int argc, char **argv) {
    compile_args a;
    int rc = args_parse(&a, argc, argv);
    if (rc) return rc < 0 ? CLI_OK : rc;
    cli_malloc_keep_freed();
    uint8_t *bytes;
    size_t size;
    if (!cli_input_read(a.input, &bytes, &size)) return CLI_USAGE;
    if (!cli_output_check(a.output) || (a.header && !cli_output_check(a.header))) {
        free(bytes);
        return CLI_USAGE;
    }
    a.opts.progress = cli_progress_new();
    rc = module_compile_files(&a, bytes, size);
    progress_free(a.opts.progress);
    free(bytes);
    return rc;
}

void cli_llvm_finish(void) {
    if (*pipeline_llvm_options()) LLVMShutdown();
}
