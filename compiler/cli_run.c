/* cli_run.c - `kiln run FILE.wasm --invoke NAME [ARG...] [options]`
 *
 * decode -> validate -> compile to a shared library (cached) -> dlopen ->
 * instantiate -> call.  The compiled library calls kiln_rt_* entry points
 * that it resolves from this executable (built with ENABLE_EXPORTS).
 *
 * The cache (content addressed, in $XDG_CACHE_HOME/kiln) is load.c's.
 *
 * Values on the command line and in the output are `TYPE:VALUE`:
 *   i32:-7  i64:42  f32:0x1.8p+1  f64:-0x1p-2  (also decimal, inf, nan)
 *   f32:nan:0x7fc00000  f64:nan:0x7ff8000000000001   NaN with its bits
 *   v128:0x<32 hex digits, bytes in memory order>
 *   funcref:null  externref:null  externref:N
 * WASI preview1 imports are always bound (arguments after `--` are the
 * program's); without --invoke the module's `_start` runs, and kiln exits
 * with the program's status. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "compile.h"
#include "kiln.h"
#include "kiln_wasi.h"
#include "load.h"
#include "module.h"
#include "module_image.h"
#include "progress.h"

#define RUN_PREFIX "kiln_run"

enum { MAX_INVOKES = 64 };
/* A program that called proc_exit(0) during an --invoke: stop, status 0. */
enum { INVOKE_EXITED = -1 };

typedef struct invoke {
    const char *name;
    int argc;
    char **argv;
} invoke;

typedef struct run_args {
    const char *input;
    kiln_compile_options opts;
    uint32_t features;
    bool no_cache;
    cli_unknown_imports unknown_imports;
    int num_invokes;
    invoke invokes[MAX_INVOKES];
    kiln_wasi_options wasi; /* --dir, --env, --inherit-env, --no-openat2, --max-threads */
    int prog_argc; /* after `--` */
    char **prog_argv;
    double timeout; /* seconds; 0: none */
    size_t stack_size; /* --stack-size, bytes; 0: the runtime's default */
    kiln_instance_limits limits;
} run_args;

static void run_usage(FILE *out) {
    fprintf(out,
            "usage: kiln run FILE.wasm [options] [--invoke NAME [ARG...]]... [-- PROGRAM-ARGS]\n\n"
            "Compiles the module (cached), instantiates it and calls the export NAME\n"
            "on a fresh instance for each --invoke, printing each result on its own line.\n"
            "Without --invoke, runs `_start` with WASI and exits with its status.\n"
            "Imports are checked first: if WASI preview1 cannot satisfy some, they are\n"
            "all named in one message and nothing is compiled (status 1), unless\n"
            "--trap-unknown-imports or --default-values-unknown-imports stands in for the\n"
            "functions among them.\n\n"
            "values (arguments and results): i32:-7 i64:9 f32:0x1.8p+1 f64:2.5 f32:nan:0x7fc00000\n"
            "  v128:0x<32 hex digits in memory order> funcref:null externref:null externref:N\n\n"
            "options:\n"
            "  --invoke NAME ARG...  call export NAME with the given arguments\n"
            "  -O0 -O1 -O2 -O3       optimisation level (default -O2)\n"
            "  -j N, --jobs N        compile threads (default: one per CPU kiln may use)\n"
            "  --cpu NAME            target CPU (default: native, this machine's CPU and\n"
            "                        features; 'generic' for code that runs on any CPU)\n"
            "  --dir HOST[::GUEST]   WASI: preopen a host directory\n"
            "  --env NAME=VALUE      WASI: give the program a variable (repeatable)\n"
            "  --inherit-env         WASI: give it the whole host environment too\n"
            "  --max-threads N       WASI: spawned threads running at once (default 1024)\n"
            "  --no-cache            compile into a temporary directory, keep nothing\n"
            "  --trap-unknown-imports  define every function import WASI does not provide\n"
            "                        as a function that traps when called, naming the\n"
            "                        import (as wasmtime's flag; other imports still fail)\n"
            "  --default-values-unknown-imports  the same, but as functions that do nothing\n"
            "                        and return zeros (0, +0.0, null): for optional host\n"
            "                        hooks, as wasmtime's flag\n"
            "  --timeout SECONDS     stop the program after this long (start function and\n"
            "                        host calls included): trap \"interrupted\", status 134\n"
            "  --stack-size SIZE     stack budget of wasm code: bytes, or with a K, M or G\n"
            "                        suffix, up to 16G (default 1M); deeper recursion traps\n"
            "                        \"call stack exhausted\", status 134\n"
            "  --max-memory-pages N  cap the memories at N pages (64 KiB each), each and all\n"
            "                        together, and the exceptions kept as exnrefs at\n"
            "                        N x 64 KiB (default 256 MiB): trap \"too many live\n"
            "                        exceptions\"\n"
            "  --max-table-elements N  cap the tables at N elements, each and all together\n"
            "  --bounds-checks=explicit|guard  compare every access, or rely on guard\n"
            "                        pages around an 8 GiB reservation (default: "
            CLI_DEFAULT_BOUNDS_NAME ")\n"
            "  --disable-NAME        turn WebAssembly feature NAME off (see below)\n"
            "  --enable-NAME         turn proposal NAME on (see below)\n"
            "  -q, --quiet           no warnings, no progress line (errors still print)\n"
            "  -v, --verbose         print each phase (decode, validate, check imports,\n"
            "                        load or compile) with its time and peak memory\n"
            "  -h, --help            this text\n\n"
            "On a terminal, a compile that runs for more than a second shows a progress\n"
            "line on stderr, erased before the program runs.\n"
            "The cache lives in $XDG_CACHE_HOME/kiln (default ~/.cache/kiln): whole\n"
            "libraries, and the partitions of big modules (parts/), so that a module in\n"
            "which a few functions changed recompiles only the partitions holding them.\n"
            "exit status: 0 success, 1 invalid module or link error, 2 usage or I/O error,\n"
            "134 trap (the trap and a backtrace of wasm functions go to stderr);\n"
            "a WASI program's own status when it calls proc_exit\n");
    cli_features_usage(out);
    cli_usage_footer(out, "run");
}

/* Every option that takes a value (a missing one is named as such). */
static const char *const run_value_options[] = {
    "--invoke", "-j", "--jobs", "--partitions", "--cpu", "--dir", "--env", "--max-threads", "--timeout", "--stack-size",
    "--max-memory-pages", "--max-table-elements", "--bounds-checks", NULL,
};

/* The value types of --invoke arguments and results, for hints. */
#define RUN_VALUE_TYPES "i32 i64 f32 f64 v128 funcref externref"

/* ---- arguments ------------------------------------------------------------ */

/* A whole number or float with no TYPE: prefix (`1`, `-7`, `2.5`). */
static bool is_untyped_number(const char *arg) {
    char *end;
    strtod(arg, &end);
    return end != arg && !*end;
}

/* argv[*i] is --invoke, and not the last argument (run_value_options). */
static int invoke_parse(run_args *a, int argc, char **argv, int *i) {
    if (a->num_invokes == MAX_INVOKES) return fprintf(stderr, "kiln run: too many --invoke\n"), CLI_USAGE;
    invoke *v = &a->invokes[a->num_invokes++];
    v->name = argv[++*i];
    v->argv = argv + *i + 1;
    /* Values are TYPE:VALUE and never start with '-': anything else (an
     * option, the input file) ends the list. */
    while (*i + 1 < argc && argv[*i + 1][0] != '-' && strchr(argv[*i + 1], ':')) ++*i, v->argc++;
    if (*i + 1 < argc && is_untyped_number(argv[*i + 1]))
        return fprintf(stderr, "kiln run: --invoke %s: argument '%s' needs its type: TYPE:VALUE, "
                               "e.g. i32:%s (types: " RUN_VALUE_TYPES ")\n",
                       v->name, argv[*i + 1], argv[*i + 1]), CLI_USAGE;
    return 0;
}

/* --timeout S, --stack-size SIZE, --max-memory-pages N, --max-table-elements N;
 * never the last argument (run_value_options). */
static int limit_parse(run_args *a, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    const char *v = argv[++*i];
    char *end;
    errno = 0;
    if (strcmp(arg, "--timeout") == 0) {
        a->timeout = strtod(v, &end);
        if (*end || errno || !(a->timeout > 0) || a->timeout > 1e9)
            return fprintf(stderr, "kiln run: bad --timeout '%s'\n", v), CLI_USAGE;
        return 0;
    }
    if (strcmp(arg, "--stack-size") == 0) {
        if (!kiln_stack_size_parse(v, &a->stack_size))
            return fprintf(stderr, "kiln run: bad --stack-size '%s' (want bytes, or a number "
                                   "with K, M or G, from 1 to 16G)\n", v),
                   CLI_USAGE;
        return 0;
    }
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || errno || !*v || v[0] == '-')
        return fprintf(stderr, "kiln run: bad %s '%s'\n", arg, v), CLI_USAGE;
    /* Each memory (table) and all of them together: a multi-memory module
     * may define 100,000. */
    if (strcmp(arg, "--max-memory-pages") == 0)
        a->limits.max_memory_pages = a->limits.max_total_memory_pages = n;
    else
        a->limits.max_table_elements = a->limits.max_total_table_elements = n;
    return 0;
}

static bool is_limit_flag(const char *arg) {
    return strcmp(arg, "--timeout") == 0 || strcmp(arg, "--stack-size") == 0 ||
           strcmp(arg, "--max-memory-pages") == 0 || strcmp(arg, "--max-table-elements") == 0;
}

/* The WASI options go through the parser that executables made by `kiln
 * build` use, so both accept the same spellings.  1: consumed, 0: not one. */
static int wasi_option_parse(run_args *a, int argc, char **argv, int *i) {
    char why[256];
    int r = kiln_wasi_options_parse(&a->wasi, argc, argv, i, why, sizeof why);
    if (r < 0) fprintf(stderr, "kiln run: %s\n", why);
    return r;
}

/* An argument that fits nowhere; after an --invoke, most likely one of its
 * values written without TYPE:. */
static int unexpected_argument(const run_args *a, const char *arg) {
    fprintf(stderr, "kiln run: unexpected argument '%s'", arg);
    if (a->num_invokes)
        fprintf(stderr, " (arguments of --invoke are TYPE:VALUE, e.g. i32:1; types: "
                        RUN_VALUE_TYPES ")");
    fputc('\n', stderr);
    return CLI_USAGE;
}

static int args_parse_one(run_args *a, int argc, char **argv, int *i) {
    const char *arg = argv[*i];
    if (cli_option_lacks_value("run", argc, argv, *i, run_value_options)) return CLI_USAGE;
    int wasi = wasi_option_parse(a, argc, argv, i);
    if (wasi) return wasi < 0 ? CLI_USAGE : 0;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return run_usage(stdout), -1;
    int jobs = cli_jobs_flag("run", argc, argv, i, &a->opts);
    if (jobs) return jobs < 0 ? CLI_USAGE : 0;
    int bounds = cli_bounds_flag("run", argc, argv, i, &a->opts.explicit_bounds);
    if (bounds) return bounds < 0 ? CLI_USAGE : 0;
    int unknown = cli_unknown_imports_flag("run", arg, &a->unknown_imports);
    if (unknown) return unknown < 0 ? CLI_USAGE : 0;
    const char *v;
    if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && !arg[3])
        a->opts.opt_level = arg[2] - '0';
    else if ((v = cli_option_value(argc, argv, i, "--cpu"))) a->opts.cpu = v;
    else if (strcmp(arg, "--invoke") == 0) return invoke_parse(a, argc, argv, i);
    else if (is_limit_flag(arg)) return limit_parse(a, argc, argv, i);
    else if (strcmp(arg, "--no-cache") == 0) a->no_cache = true;
    else if (cli_feature_flag(arg, &a->features) || cli_verbosity_flag(arg)) return 0;
    else if (arg[0] == '-' && arg[1]) return fprintf(stderr, "kiln run: unknown option '%s'\n", arg), CLI_USAGE;
    else if (!a->input) a->input = arg;
    else return unexpected_argument(a, arg);
    return 0;
}

static int args_parse(run_args *a, int argc, char **argv) {
    memset(a, 0, sizeof *a);
    a->features = features_default();
    a->opts.opt_level = 2;
    a->opts.explicit_bounds = CLI_DEFAULT_EXPLICIT_BOUNDS;
    a->opts.prefix = RUN_PREFIX;
    /* The code never leaves this machine: use all of its CPU. */
    a->opts.cpu = "native";
    a->opts.jobs = cli_jobs_default();
    a->limits.max_memory_pages = KILN_NO_LIMIT;
    a->limits.max_table_elements = KILN_NO_LIMIT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            a->prog_argc = argc - i - 1;
            a->prog_argv = argv + i + 1;
            break;
        }
        int r = args_parse_one(a, argc, argv, &i);
        if (r) return r;
    }
    if (!a->input) return run_usage(stderr), CLI_USAGE;
    if (!cli_cpu_valid("run", NULL, a->opts.cpu)) return CLI_USAGE;
    /* Partitions go to the same store as whole libraries: a module that
     * changed a little recompiles only the partitions that did. */
    if (!a->no_cache) cli_run_cache_set(&a->opts);
    cli_features_warn();
    return 0;
}

/* ---- the compiled library (load.c: compiled, cached, dlopen'ed) -------------- */

/* An I/O or link failure names its file; a failed compile is the module's. */
static int load_failure_report(const run_args *a, const loaded_library *lib,
                               const kiln_error *err) {
    if (!lib->failed_path[0]) {
        cli_error_print(a->input, err);
        return CLI_FAIL;
    }
    cli_path_error(lib->failed_path, "%s", err->message);
    return err->kind == KILN_ERR_IO ? CLI_USAGE : CLI_FAIL;
}

static load_options load_options_of(const run_args *a) {
    return (load_options){
        .compile = &a->opts,
        .features = a->features,
        .no_cache = a->no_cache,
        .dir_make = cli_temp_dir_make,
        .dir_remove = cli_temp_dir_remove,
    };
}

static bool module_load(const run_args *a, const kiln_module *m, const uint8_t *bytes,
                        size_t size, loaded_library *out, kiln_error *err) {
    load_options o = load_options_of(a);
    return library_compile_load(m, bytes, size, &o, out, err);
}

/* The library the cache already holds for `bytes`, and the module its
 * own image describes (what instantiation reads too), or NULL. */
static kiln_module *cached_module_load(const run_args *a, const uint8_t *bytes, size_t size,
                                       loaded_library *lib) {
    load_options o = load_options_of(a);
    if (!library_cached_load(bytes, size, &o, lib) || lib->desc->abi_version != KILN_ABI_VERSION)
        return NULL;
    kiln_error err;
    return module_image_read(lib->desc->image, lib->desc->image_size, &err);
}

/* ---- values -------------------------------------------------------------------- */

static bool hex_bytes(const char *s, uint8_t *out, size_t n) {
    if (strncmp(s, "0x", 2) != 0 || strlen(s + 2) != 2 * n) return false;
    for (size_t i = 0; i < n; i++) {
        char byte[3] = {s[2 + 2 * i], s[3 + 2 * i], 0}, *end;
        out[i] = (uint8_t)strtoul(byte, &end, 16);
        if (*end) return false;
    }
    return true;
}

static bool int_parse(const char *s, int bits, int64_t *out) {
    char *end;
    errno = 0;
    if (*s == '-') *out = strtoll(s, &end, 0);
    else *out = (int64_t)strtoull(s, &end, 0);
    if (errno || !*s || *end) return false;
    if (bits == 32 && (*out < INT32_MIN || *out > (int64_t)UINT32_MAX)) return false;
    return true;
}

/* "nan:0xBITS" keeps the exact pattern; anything else goes to strtod. */
static bool float_parse(const char *s, bool is64, kiln_val *v) {
    char *end;
    if (strncmp(s, "nan:0x", 6) == 0 || strncmp(s, "-nan:0x", 7) == 0) {
        uint64_t bits = strtoull(strchr(s, ':') + 1, &end, 16);
        if (*end) return false;
        if (is64) memcpy(&v->f64, &bits, 8);
        else {
            uint32_t b32 = (uint32_t)bits;
            memcpy(&v->f32, &b32, 4);
        }
        return true;
    }
    if (is64) v->f64 = strtod(s, &end);
    else v->f32 = strtof(s, &end);
    return *s && !*end;
}

static bool value_parse(const char *text, uint8_t type, kiln_val *v) {
    const char *colon = strchr(text, ':');
    if (!colon || strlen(valtype_name(type)) != (size_t)(colon - text) ||
        strncmp(text, valtype_name(type), (size_t)(colon - text)) != 0)
        return false;
    const char *s = colon + 1;
    int64_t n;
    memset(v, 0, sizeof *v);
    switch (type) {
    case KILN_I32: return int_parse(s, 32, &n) && ((v->i32 = (int32_t)(uint32_t)n), true);
    case KILN_I64: return int_parse(s, 64, &n) && ((v->i64 = n), true);
    case KILN_F32: return float_parse(s, false, v);
    case KILN_F64: return float_parse(s, true, v);
    case KILN_V128: return hex_bytes(s, v->v128, 16);
    case KILN_FUNCREF: return strcmp(s, "null") == 0;
    case KILN_EXTERNREF:
        if (strcmp(s, "null") == 0) return true;
        /* externref N is carried as the pointer value N + 1 (0 is null). */
        return int_parse(s, 64, &n) && n >= 0 && ((v->ref = (void *)(uintptr_t)(n + 1)), true);
    default: return false;
    }
}

static void float_print(const char *name, double d, uint64_t bits, int hex_digits) {
    if (isnan(d)) printf("%s:nan:0x%0*" PRIx64 "\n", name, hex_digits, bits);
    else printf("%s:%a\n", name, d);
}

static void value_print(uint8_t type, const kiln_val *v) {
    uint32_t b32;
    uint64_t b64;
    switch (type) {
    case KILN_I32: printf("i32:%" PRId32 "\n", v->i32); break;
    case KILN_I64: printf("i64:%" PRId64 "\n", v->i64); break;
    case KILN_F32: memcpy(&b32, &v->f32, 4); float_print("f32", v->f32, b32, 8); break;
    case KILN_F64: memcpy(&b64, &v->f64, 8); float_print("f64", v->f64, b64, 16); break;
    case KILN_V128:
        printf("v128:0x");
        for (int i = 0; i < 16; i++) printf("%02x", v->v128[i]);
        printf("\n");
        break;
    case KILN_FUNCREF: printf("funcref:%s\n", v->ref ? "nonnull" : "null"); break;
    case KILN_EXTERNREF:
        if (!v->ref) printf("externref:null\n");
        else printf("externref:%" PRIuPTR "\n", (uintptr_t)v->ref - 1);
        break;
    default: printf("%s:?\n", valtype_name(type)); break;
    }
}

/* ---- instantiate and call --------------------------------------------------------- */

/* "kiln: trap: MESSAGE", then the wasm backtrace (docs/wasi.md).  Every
 * trap, whatever the mode, exits with one status: 134, as a built
 * executable and wasmtime do. */
static int trap_report(const char *message) {
    fprintf(stderr, "kiln: trap: %s\n", message);
    const kiln_backtrace *bt = kiln_trap_backtrace();
    size_t n = kiln_backtrace_format(bt, NULL, 0);
    char *text = malloc(n + 1);
    if (text) {
        kiln_backtrace_format(bt, text, n + 1);
        fputs(text, stderr);
        free(text);
    }
    return KILN_WASI_EXIT_TRAP;
}

/* One payload value of an uncaught exception, as --invoke prints results. */
static void payload_print(uint8_t type, const kiln_val *v) {
    switch (type) {
    case KILN_I32: fprintf(stderr, " i32:%d", v->i32); break;
    case KILN_I64: fprintf(stderr, " i64:%lld", (long long)v->i64); break;
    case KILN_F32: fprintf(stderr, " f32:%.9g", (double)v->f32); break;
    case KILN_F64: fprintf(stderr, " f64:%.17g", v->f64); break;
    default: fprintf(stderr, " %s", valtype_name(type)); break;
    }
}

/* "kiln: uncaught exception" and its payload: no trap, but the call did
 * not return either, so the status is a trap's. */
static int exception_report(void) {
    const kiln_tag_inst *tag;
    const kiln_val *values;
    uint32_t count = 0;
    kiln_signature sig = {0};
    fputs("kiln: uncaught exception", stderr);
    if (kiln_exception(&tag, &values, &count) && kiln_tag_signature(tag, &sig) && count) {
        fputs(", payload:", stderr);
        for (uint32_t i = 0; i < count && i < sig.num_params; i++) payload_print(sig.params[i], &values[i]);
    }
    fputc('\n', stderr);
    return KILN_WASI_EXIT_TRAP;
}

static int call_failed(uint32_t trap) {
    return trap == KILN_TRAP_EXCEPTION ? exception_report() : trap_report(kiln_trap_message());
}

/* Imports were checked before compiling (cli_imports_unresolved), so a
 * link error here would be news. */
static int instantiate_failed(const kiln_instantiate_error *err) {
    if (err->kind == KILN_INST_TRAP) return trap_report(err->message);
    fprintf(stderr, "kiln: error: %s\n", err->message);
    return CLI_FAIL;
}

static int args_to_slots(const invoke *v, const kiln_signature *sig, kiln_val *slots) {
    if ((uint32_t)v->argc != sig->num_params) {
        fprintf(stderr, "kiln run: %s takes %u argument(s), %d given\n", v->name,
                sig->num_params, v->argc);
        return CLI_USAGE;
    }
    for (uint32_t i = 0; i < sig->num_params; i++)
        if (!value_parse(v->argv[i], sig->params[i], &slots[i])) {
            fprintf(stderr, "kiln run: argument %u of %s: '%s' is not a %s value\n", i + 1,
                    v->name, v->argv[i], valtype_name(sig->params[i]));
            return CLI_USAGE;
        }
    return CLI_OK;
}

/* ---- --timeout: a watchdog thread interrupts the thread that runs wasm -------- */

/* At the deadline the watchdog interrupts the thread that runs wasm
 * (kiln's thread interrupt, not an instance's: it also stops a start
 * function, and every later entry into wasm traps at once).  If the
 * thread is still inside wasm a grace period later, it is blocked in a
 * host function (a WASI sleep or read, say) that no signal can end: the
 * watchdog reports the same trap and exits.  It holds stderr's lock while
 * it decides, so that thread cannot print a second report meanwhile. */
enum { TIMEOUT_GRACE_NS = 100 * 1000 * 1000 };

typedef struct watch {
    double seconds;
    kiln_thread *runner;
} watch;

static void seconds_sleep(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static void *watchdog(void *arg) {
    const watch *w = arg;
    seconds_sleep(w->seconds);
    kiln_thread_interrupt(w->runner);
    seconds_sleep(TIMEOUT_GRACE_NS / 1e9);
    flockfile(stderr);
    if (kiln_thread_in_wasm(w->runner)) {
        fputs("kiln: trap: interrupted\n", stderr);
        _exit(KILN_WASI_EXIT_TRAP);
    }
    funlockfile(stderr);
    return NULL;
}

/* The whole run (every --invoke, or _start) shares one deadline; the
 * clock starts after compilation, before instantiation.  Called on the
 * thread that runs wasm. */
static void watchdog_start(const run_args *a) {
    static watch w;
    if (a->timeout <= 0) return;
    w.seconds = a->timeout;
    w.runner = kiln_thread_current();
    pthread_t t;
    if (w.runner && pthread_create(&t, NULL, watchdog, &w) == 0) pthread_detach(t);
}

static int invoke_call(kiln_instance *inst, const invoke *v, const kiln_wasi *w) {
    kiln_extern e;
    kiln_signature sig;
    if (!kiln_instance_export(inst, v->name, &e) || e.kind != KILN_EXTERN_FUNC ||
        !kiln_func_signature(e.of.func, &sig)) {
        fprintf(stderr, "kiln run: no exported function '%s'\n", v->name);
        return CLI_USAGE;
    }
    uint32_t n = sig.num_params > sig.num_results ? sig.num_params : sig.num_results;
    kiln_val *slots = calloc(n ? n : 1, sizeof *slots);
    int rc = slots ? args_to_slots(v, &sig, slots) : CLI_FAIL;
    if (rc == CLI_OK) {
        uint32_t trap = kiln_call(inst, e.of.func, slots);
        if (trap == KILN_TRAP_EXIT) {
            rc = kiln_wasi_exit_code(w);
            if (rc == 0) rc = INVOKE_EXITED;
        } else if (trap != KILN_TRAP_NONE) {
            rc = call_failed(trap);
        }
        for (uint32_t i = 0; rc == CLI_OK && i < sig.num_results; i++)
            value_print(sig.results[i], &slots[i]);
        fflush(stdout);
    }
    free(slots);
    return rc;
}

static int invokes_run(const run_args *a, const kiln_module *m, const kiln_module_desc *desc,
                       kiln_linker *l, const kiln_wasi *w) {
    for (int i = 0; i < a->num_invokes; i++) {
        kiln_instantiate_error err;
        kiln_instance *inst = kiln_instantiate_limited(desc, l, &a->limits, &err);
        if (!inst && err.kind == KILN_INST_TRAP && err.trap == KILN_TRAP_EXIT)
            return kiln_wasi_exit_code(w);
        if (!inst) return instantiate_failed(&err);
        int rc = invoke_call(inst, &a->invokes[i], w);
        kiln_instance_free(inst);
        if (rc) return rc == INVOKE_EXITED ? CLI_OK : rc;
    }
    return CLI_OK;
}

/* ---- WASI programs ------------------------------------------------------------------ */

static kiln_wasi *wasi_create(const run_args *a) {
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    const char **argv = calloc((size_t)a->prog_argc + 2, sizeof *argv);
    if (!argv) return NULL;
    argv[0] = a->input;
    for (int i = 0; i < a->prog_argc; i++) argv[i + 1] = a->prog_argv[i];
    char why[256] = "";
    cfg.argc = a->prog_argc + 1;
    cfg.argv = argv;
    kiln_wasi_options_apply(&a->wasi, &cfg);
    cfg.error = why;
    cfg.error_size = sizeof why;
    kiln_wasi *w = kiln_wasi_new(&cfg);
    if (!w) fprintf(stderr, "kiln run: %s\n", why[0] ? why : "cannot set up WASI");
    free(argv);
    return w;
}

static int start_run(const run_args *a, const kiln_module *m, const kiln_module_desc *desc,
                     kiln_linker *l, kiln_wasi *w) {
    kiln_instantiate_error err;
    kiln_wasi_threads_bind(w, desc, l);
    kiln_wasi_threads_limit(w, &a->limits);
    kiln_instance *inst = kiln_instantiate_limited(desc, l, &a->limits, &err);
    if (!inst) {
        if (err.kind == KILN_INST_TRAP && err.trap == KILN_TRAP_EXIT)
            return kiln_wasi_exit_code(w);
        return instantiate_failed(&err);
    }
    kiln_extern e;
    int rc = CLI_OK;
    if (kiln_instance_export(inst, "_start", &e) && e.kind == KILN_EXTERN_FUNC) {
        kiln_val none[1];
        uint32_t trap = kiln_call(inst, e.of.func, none);
        fflush(stdout);
        if (trap == KILN_TRAP_EXIT) rc = kiln_wasi_exit_code(w);
        else if (trap != KILN_TRAP_NONE) rc = call_failed(trap);
        kiln_wasi_threads_end(w, rc, NULL);
    } else if (!m->has_start) {
        fprintf(stderr, "kiln run: the module exports no _start (use --invoke NAME)\n");
        rc = CLI_USAGE;
    }
    kiln_instance_free(inst);
    return rc;
}

/* ---- a last line of defence ------------------------------------------------------------ */

/* Every wasm trap is delivered by kiln_rt_trap, so a fault signal means a
 * bug in kiln (or in a host function).  Say so and exit 1 rather than die
 * on the signal.  Runs on its own stack so a host stack overflow is
 * reported too. */
static void fatal_signal(int sig) {
    static const char head[] = "kiln: fatal: ";
    static const char tail[] = " while running the module (a bug in kiln)\n";
    const char *name = sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS"
                     : sig == SIGFPE ? "SIGFPE" : "SIGILL";
    ssize_t ignored = write(2, head, sizeof head - 1);
    ignored += write(2, name, strlen(name));
    ignored += write(2, tail, sizeof tail - 1);
    (void)ignored;
    _exit(CLI_FAIL);
}

static void fatal_signals_catch(void) {
    static char alt_stack[64 * 1024];
    stack_t ss = {.ss_sp = alt_stack, .ss_size = sizeof alt_stack};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fatal_signal;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
}

/* ---- the command ----------------------------------------------------------------------- */

/* What the module is linked against: WASI preview1 and nothing else
 * (with --trap-unknown-imports or --default-values-unknown-imports,
 * stand-ins for the other function imports, defined in
 * module_check_load_run).
 * WASI is bound in both modes, so exports of a wasm32-wasi program can be
 * invoked directly too.  Made before compiling: a bad --dir and imports
 * nobody provides are found in a moment, not after minutes of LLVM. */
typedef struct run_host {
    kiln_wasi *wasi;
    kiln_linker *linker;
} run_host;

static void run_host_free(run_host *h) {
    kiln_linker_free(h->linker);
    kiln_wasi_free(h->wasi);
}

static bool run_host_make(const run_args *a, const kiln_module *m, run_host *h) {
    h->wasi = wasi_create(a);
    h->linker = h->wasi ? kiln_linker_new() : NULL;
    if (h->linker && kiln_wasi_define(h->wasi, h->linker) && cli_imports_memory_define(h->linker, m))
        return true;
    if (h->wasi) fprintf(stderr, "kiln run: out of memory\n");
    run_host_free(h);
    return false;
}

static int module_run(const run_args *a, const kiln_module *m, const kiln_module_desc *desc,
                      run_host *h) {
    return a->num_invokes ? invokes_run(a, m, desc, h->linker, h->wasi)
                          : start_run(a, m, desc, h->linker, h->wasi);
}

typedef struct run_job {
    const run_args *a;
    const kiln_module *m;
    const kiln_module_desc *desc;
    run_host *host;
    int rc;
} run_job;

static void run_job_go(void *arg) {
    run_job *job = arg;
    watchdog_start(job->a);
    job->rc = module_run(job->a, job->m, job->desc, job->host);
}

/* The stack budget is per thread: the module runs, and is watched by
 * --timeout, on a thread that has it (a new one with a stack big enough
 * when the main thread's cannot hold it). */
static int module_run_budgeted(const run_args *a, const kiln_module *m,
                               const kiln_module_desc *desc, run_host *host) {
    run_job job = {a, m, desc, host, CLI_FAIL};
    int err = kiln_run_with_stack_budget(a->stack_size, run_job_go, &job);
    if (err)
        fprintf(stderr, "kiln run: cannot make a thread with a %zu-byte stack: %s\n",
                a->stack_size, strerror(err));
    return job.rc;
}

/* The library: `cached` when the cache had it, else compiled (or found
 * in the cache after all: another process may have put it there). */
static bool library_get(const run_args *a, const kiln_module *m, const uint8_t *bytes,
                        size_t size, const loaded_library *cached, loaded_library *lib,
                        kiln_error *err) {
    if (cached) {
        *lib = *cached;
        return true;
    }
    progress_phase_begin(a->opts.progress, "load (cached or compiled)");
    bool loaded = module_load(a, m, bytes, size, lib, err);
    progress_phase_end(a->opts.progress);
    return loaded;
}

/* Every import resolved (or the module is not run), then the compile or
 * the cached library, then the run. */
static int module_check_load_run(const run_args *a, const kiln_module *m, const uint8_t *bytes,
                                 size_t size, const loaded_library *cached) {
    run_host host;
    if (!run_host_make(a, m, &host)) return CLI_FAIL;
    if (!cli_imports_stand_ins_define(host.linker, m, a->unknown_imports)) {
        run_host_free(&host);
        return CLI_FAIL;
    }
    progress_phase_begin(a->opts.progress, "check imports");
    size_t unresolved = cli_imports_unresolved(host.linker, m, a->input, a->unknown_imports);
    progress_phase_end(a->opts.progress);
    if (unresolved) {
        run_host_free(&host);
        return CLI_FAIL;
    }
    loaded_library lib;
    kiln_error err;
    error_clear(&err);
    bool loaded = library_get(a, m, bytes, size, cached, &lib, &err);
    progress_finish(a->opts.progress); /* the program's own output comes next */
    int rc;
    if (!loaded) {
        rc = load_failure_report(a, &lib, &err);
    } else {
        fatal_signals_catch();
        rc = module_run_budgeted(a, m, lib.desc, &host);
    }
    /* The library stays loaded: instances that trapped while
     * instantiating may still be referenced until exit. */
    run_host_free(&host);
    return rc;
}

/* A module whose library the cache holds is not decoded nor validated
 * again: that library was made from the same bytes, by this compiler,
 * with these options (the key names them all), and the module read from
 * its image answers the import check and the run.  A cached run of
 * clang's 75 MB module took 3.7 CPU-s and 956 MB that way, 1.4 CPU-s and
 * 306 MB this way (docs/wasi.md, *Real applications*). */
static int run_bytes(const run_args *a, const uint8_t *bytes, size_t size) {
    loaded_library cached;
    progress_phase_begin(a->opts.progress, "load from the cache");
    kiln_module *m = cached_module_load(a, bytes, size, &cached);
    progress_phase_end(a->opts.progress);
    if (m) {
        int rc = module_check_load_run(a, m, bytes, size, &cached);
        module_free(m);
        return rc;
    }
    m = cli_module_decode(a->input, bytes, size, a->features, a->opts.progress);
    if (!m) return CLI_FAIL;
    int rc = module_check_load_run(a, m, bytes, size, NULL);
    module_free(m);
    return rc;
}

int cli_run(int argc, char **argv) {
    run_args a;
    int rc = args_parse(&a, argc, argv);
    if (rc) return kiln_wasi_options_free(&a.wasi), rc < 0 ? CLI_OK : rc;
    uint8_t *bytes;
    size_t size;
    if (!cli_input_read(a.input, &bytes, &size)) {
        kiln_wasi_options_free(&a.wasi);
        return CLI_USAGE;
    }
    a.opts.progress = cli_progress_new();
    rc = run_bytes(&a, bytes, size);
    progress_free(a.opts.progress);
    free(bytes);
    kiln_wasi_options_free(&a.wasi);
    return rc;
}
