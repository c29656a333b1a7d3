/* wasi_main.c - the main() of executables made by `kiln build`.
 *
 * `kiln build` compiles the module with the symbol prefix kiln_program
 * and links this file in front of the kiln_wasi and kiln_rt libraries.
 * The executable takes WASI options first, then the program's own
 * arguments:
 *     PROGRAM [--dir HOST[::GUEST]]... [--env NAME=VALUE]... [--inherit-env]
 *             [--timeout SECONDS] [--stack-size SIZE] [--max-threads N] [--] ARGS...
 * Options end at `--` or at the first word that is not one of them.  The
 * program runs on a thread whose stack holds the --stack-size budget (the
 * main thread, or a new one when that is too small).  The
 * guest's argv[0] is the executable's own argv[0]; its exit status is the
 * program's, or 134 when it traps (as `kiln run`): the trap message and
 * the backtrace of wasm functions go to stderr. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kiln_wasi.h"

extern const kiln_module_desc kiln_program_module;
/* `kiln build --entry NAME` links in a definition of this (the export to
 * call instead of _start); otherwise it stays undefined, so NULL. */
extern const char kiln_program_entry[] __attribute__((weak));
/* The WASI functions the module imports, NULL-terminated: `kiln build`
 * links in a list of just those (kiln_wasi_define_list), so that the
 * executable holds no other WASI code; a program linked without one gets
 * wasi_main_all.c's, every function. */
extern const kiln_wasi_binding *const *const kiln_program_wasi;
/* `kiln build --trap-unknown-imports` links in a definition of this
 * (true): function imports nothing here provides are defined as functions
 * that trap when called, naming the import. */
extern const bool kiln_program_trap_unknown_imports __attribute__((weak));
/* `kiln build --default-values-unknown-imports`: the same, as functions
 * that return zeros. */
extern const bool kiln_program_default_unknown_imports __attribute__((weak));

/* ---- --timeout SECONDS, as `kiln run --timeout` (docs/cli.md) ----------------------- */

/* At the deadline the thread that runs wasm is interrupted (a start
 * function too); still inside wasm a grace period later means it is
 * blocked in a host call no signal ends, so the watchdog reports the trap
 * and exits.  It holds stderr's lock meanwhile, so that thread cannot
 * print a second report. */
enum { TIMEOUT_GRACE_NS = 100 * 1000 * 1000 };

static double timeout_seconds;
static size_t stack_size; /* --stack-size; 0: the runtime's default */
static const char *program_name;
static kiln_thread *runner;

static int timeout_parse(int argc, char **argv, int *i) {
    char *end;
    if (*i + 1 >= argc)
        return -1;
    timeout_seconds = strtod(argv[++*i], &end);
    return *end || !(timeout_seconds > 0) || timeout_seconds > 1e9 ? -1 : 1;
}

static void seconds_sleep(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void *watchdog(void *unused) {
    (void)unused;
    seconds_sleep(timeout_seconds);
    kiln_thread_interrupt(runner);
    seconds_sleep(TIMEOUT_GRACE_NS / 1e9);
    flockfile(stderr);
    if (kiln_thread_in_wasm(runner)) {
        fprintf(stderr, "%s: wasm trap: interrupted\n", program_name);
        _exit(KILN_WASI_EXIT_TRAP);
    }
    funlockfile(stderr);
    return NULL;
}

/* Called on the thread that runs wasm. */
static void watchdog_start(const char *name) {
    pthread_t t;
    program_name = name;
    runner = kiln_thread_current();
    if (timeout_seconds > 0 && runner && pthread_create(&t, NULL, watchdog, NULL) == 0)
        pthread_detach(t);
}

/* ---- --stack-size SIZE, as `kiln run --stack-size` ---------------------------------- */

static int stack_size_parse(int argc, char **argv, int *i, char *why, size_t why_size) {
    if (*i + 1 >= argc) {
        snprintf(why, why_size, "--stack-size needs a value");
        return -1;
    }
    const char *v = argv[++*i];
    if (kiln_stack_size_parse(v, &stack_size))
        return 1;
    snprintf(why, why_size, "bad --stack-size '%.64s' (want bytes, or a number with K, M or G, "
                            "from 1 to 16G)", v);
    return -1;
}

/* ---- main ------------------------------------------------------------------------- */

static int options_parse(kiln_wasi_options *o, int argc, char **argv, int *first_arg) {
    char why[256];
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        int rc;
        if (strcmp(argv[i], "--timeout") == 0) {
            rc = timeout_parse(argc, argv, &i);
            snprintf(why, sizeof why, "--timeout needs a number of seconds");
        } else if (strcmp(argv[i], "--stack-size") == 0) {
            rc = stack_size_parse(argc, argv, &i, why, sizeof why);
        } else
            rc = kiln_wasi_options_parse(o, argc, argv, &i, why, sizeof why);
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", argv[0], why);
            return -1;
        }
        if (rc == 0)
            break;
    }
    *first_arg = i;
    return 0;
}

/* The wasm frames of the trap that ended the program (docs/wasi.md). */
static void backtrace_print(void) {
    const kiln_backtrace *bt = kiln_trap_backtrace();
    size_t n = kiln_backtrace_format(bt, NULL, 0);
    char *text = malloc(n + 1);
    if (!text)
        return;
    kiln_backtrace_format(bt, text, n + 1);
    fputs(text, stderr);
    free(text);
}

/* ---- imports -------------------------------------------------------------------- */

static void problem_print(void *ctx, const char *problem) {
    (void)ctx;
    fprintf(stderr, "  %s\n", problem);
}

/* What the program is linked against: the WASI functions it imports, the
 * memory a threads program imports, and with --trap-unknown-imports (or
 * --default-values-unknown-imports) a stand-in that traps (or returns
 * zeros) for every other function import.  NULL when out of
 * memory (said). */
static kiln_linker *program_linker(kiln_wasi *w, const char *name) {
    kiln_linker *l = kiln_linker_new();
    bool traps = &kiln_program_trap_unknown_imports && kiln_program_trap_unknown_imports;
    bool defaults = &kiln_program_default_unknown_imports && kiln_program_default_unknown_imports;
    if (!l || !kiln_wasi_define_list(w, l, kiln_program_wasi)) {
        kiln_linker_free(l);
        fprintf(stderr, "%s: error: out of memory\n", name);
        return NULL;
    }
    kiln_memory_import mi;
    if (kiln_module_memory_import(&kiln_program_module, &mi) && mi.shared)
        kiln_wasi_define_memory(l, &mi); /* if it fails, the check names the import */
    /* If this fails, the check names the imports it did not define. */
    if (traps) kiln_linker_define_unknown_imports_as_traps(l, &kiln_program_module);
    if (defaults) kiln_linker_define_unknown_imports_as_defaults(l, &kiln_program_module);
    return l;
}

/* Every import this runtime cannot satisfy, named at once before the
 * program starts (instantiation would stop at the first). */
static bool imports_resolved(const kiln_linker *l, const char *name) {
    size_t n = kiln_linker_check(l, &kiln_program_module, NULL, NULL);
    if (n == SIZE_MAX)
        fprintf(stderr, "%s: error: the program's module descriptor is unusable:\n", name);
    else if (n)
        fprintf(stderr, "%s: error: %zu import%s cannot be resolved; this program's runtime "
                        "provides WASI preview1 (\"wasi_snapshot_preview1\") and nothing else:\n",
                name, n, n == 1 ? "" : "s");
    if (n) kiln_linker_check(l, &kiln_program_module, problem_print, NULL);
    return n == 0;
}

/* Everything that must happen on the thread that runs wasm: the trap
 * message and backtrace are that thread's. */
typedef struct program_run {
    kiln_wasi *wasi;
    kiln_linker *linker;
    const char *name;
    int status;
} program_run;

static void program_run_go(void *arg) {
    program_run *run = arg;
    char why[600] = ""; /* a trap message is up to 511 bytes */
    watchdog_start(run->name);
    const char *entry = kiln_program_entry ? kiln_program_entry : "_start";
    run->status = kiln_wasi_run_linked(run->wasi, run->linker, &kiln_program_module, entry, why,
                                       sizeof why);
    if (why[0])
        fprintf(stderr, "%s: %s\n", run->name, why);
    /* A trap, not a program that chose to exit with 134 (why stays empty). */
    if (why[0] && run->status == KILN_WASI_EXIT_TRAP)
        backtrace_print();
}

int main(int argc, char **argv) {
    kiln_wasi_options opts = {0};
    int first;
    if (options_parse(&opts, argc, argv, &first) < 0)
        return 2;
    /* The guest sees argv[0] followed by everything after the options. */
    argv[first - 1] = argv[0];
    char why[512] = "";
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    kiln_wasi_options_apply(&opts, &cfg);
    cfg.argc = argc - first + 1;
    cfg.argv = (const char *const *)(argv + first - 1);
    cfg.error = why;
    cfg.error_size = sizeof why;
    kiln_wasi *w = kiln_wasi_new(&cfg);
    if (!w) {
        fprintf(stderr, "%s: %s\n", argv[0], why);
        kiln_wasi_options_free(&opts);
        return 2;
    }
    kiln_linker *l = program_linker(w, argv[0]);
    if (!l || !imports_resolved(l, argv[0])) {
        kiln_linker_free(l);
        kiln_wasi_free(w);
        kiln_wasi_options_free(&opts);
        return KILN_WASI_EXIT_ERROR;
    }
    program_run run = {w, l, argv[0], KILN_WASI_EXIT_ERROR};
    int err = kiln_run_with_stack_budget(stack_size, program_run_go, &run);
    if (err)
        fprintf(stderr, "%s: cannot make a thread with a %zu-byte stack: %s\n", argv[0],
                stack_size, strerror(err));
    kiln_linker_free(l);
    kiln_wasi_free(w);
    kiln_wasi_options_free(&opts);
    return run.status;
}
