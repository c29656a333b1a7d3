/* kiln_wasi.h - WASI preview1 (wasi_snapshot_preview1) for kiln hosts.
 *
 * Capability based: a program sees the arguments and environment it is
 * given (nothing is inherited unless asked for), its three stdio streams,
 * and the directories preopened for it.  No guest path, however written
 * (`..`, absolute, symlinks planted inside a preopen, concurrent renames),
 * resolves outside a preopen.
 *
 * Typical use:
 *     kiln_wasi_config cfg;
 *     kiln_wasi_config_init(&cfg);
 *     cfg.argc = argc; cfg.argv = argv;
 *     cfg.num_preopens = 1; cfg.preopens = (const char *[]){"/tmp/data::/data"};
 *     kiln_wasi *w = kiln_wasi_new(&cfg);
 *     kiln_wasi_define(w, linker);        // before kiln_instantiate
 *     ... kiln_call(inst, _start, NULL) == KILN_TRAP_EXIT -> kiln_wasi_exit_code(w)
 *     kiln_wasi_free(w);
 */
#ifndef KILN_WASI_H
#define KILN_WASI_H

#include <stdbool.h>
#include <stddef.h>

#include "kiln.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_wasi kiln_wasi;

typedef struct kiln_wasi_config {
    int argc;
    const char *const *argv;    /* argv[0] is the program name the guest sees */
    int envc;
    const char *const *env;     /* "NAME=VALUE" entries */
    bool inherit_env;           /* also pass the host's environ (after env[]) */
    size_t num_preopens;
    const char *const *preopens; /* "HOST" or "HOST::GUEST"; guest fds 3, 4, ... */
    int stdin_fd;               /* host descriptors for guest fds 0..2 (not closed) */
    int stdout_fd;
    int stderr_fd;
    /* Resolve paths with the portable component-by-component walk even
     * when the kernel has openat2 (tests use it to cover both resolvers).
     * The environment variable KILN_WASI_NO_OPENAT2=1 does the same. */
    bool no_openat2;
    /* Spawned threads (wasi-threads) that may run at once; thread-spawn
     * fails past it, as when the system can make no more threads.  0:
     * KILN_WASI_MAX_THREADS_DEFAULT. */
    uint32_t max_threads;
    /* Optional: where kiln_wasi_new explains a failure (a preopen that
     * cannot be opened, no memory).  At least 256 bytes, or NULL. */
    char *error;
    size_t error_size;
} kiln_wasi_config;

/* Each spawned thread is an OS thread with an 8 MiB stack and an instance
 * of its own: without a bound a guest could take every thread the system
 * (or the user's process limit) allows.  WAMR's default is 4. */
#define KILN_WASI_MAX_THREADS_DEFAULT 1024u

/* Zero everything and set stdio to the host's own 0, 1 and 2. */
void kiln_wasi_config_init(kiln_wasi_config *cfg);

/* NULL on failure (reason in cfg->error when given). */
kiln_wasi *kiln_wasi_new(const kiln_wasi_config *cfg);
void kiln_wasi_free(kiln_wasi *w);

/* Defines every wasi_snapshot_preview1 function in the linker; `w` must
 * outlive the instances linked against it. */
bool kiln_wasi_define(kiln_wasi *w, kiln_linker *l);

/* ---- Linking only the WASI functions a module imports ------------------
 * kiln_wasi_define names every function, so a static program holds the
 * code of all of them.  Each function's binding is also an object of its
 * own in libkiln_wasi.a, `kiln_wasi_binding_NAME` (NAME the function's
 * name with '-' as '_': kiln_wasi_binding_fd_write,
 * kiln_wasi_binding_thread_spawn for "wasi"."thread-spawn"); a program
 * that defines a NULL-terminated list of the ones its module imports and
 * is linked with --gc-sections (the libraries are built with
 * -ffunction-sections) holds only their code.  `kiln build` makes such a
 * list for every executable. */
typedef struct kiln_wasi_binding kiln_wasi_binding;
/* Defines the functions of `list` in the linker, as kiln_wasi_define
 * does all of them. */
bool kiln_wasi_define_list(kiln_wasi *w, kiln_linker *l, const kiln_wasi_binding *const *list);
/* The symbol of the binding of import MODULE.NAME (lengths given: wasm
 * names may hold NUL) into `buf`; false when kiln_wasi_define defines no
 * such function (or `buf` is too small). */
bool kiln_wasi_binding_symbol(const char *module, size_t module_len, const char *name,
                              size_t name_len, char *buf, size_t cap);

/* wasi-threads (wasm32-wasip1-threads).  kiln_wasi_define also defines
 * "wasi"."thread-spawn"; it starts threads only once kiln_wasi_threads_bind
 * has named the module and the linker its new instances use (the same
 * linker, which must outlive every thread), else it returns -1.  Each
 * spawned thread instantiates the module anew (sharing the imported
 * shared memory) and calls its export wasi_thread_start(tid, start_arg).
 * A trap or proc_exit in a spawned thread ends the whole process with
 * the trap's status (KILN_WASI_EXIT_TRAP, message on stderr) or the exit
 * code, as wasmtime does. */
void kiln_wasi_threads_bind(kiln_wasi *w, const kiln_module_desc *desc, kiln_linker *l);
/* After kiln_wasi_threads_bind: every spawned thread's instance is made
 * with these limits (kiln_instantiate_limited; copied), as the main
 * instance usually is.  NULL: none (the default). */
void kiln_wasi_threads_limit(kiln_wasi *w, const kiln_instance_limits *limits);
/* After the main thread's entry returned with `status`: interrupts every
 * spawned thread still running and waits for them (up to a second).  A
 * thread that does not stop (blocked in a host call) makes this end the
 * process with `status` (after printing `why`, if not empty, to stderr,
 * prefixed by the program's argv[0]).  Nothing to do for a program that
 * spawned none.  kiln_wasi_run_export calls it. */
void kiln_wasi_threads_end(kiln_wasi *w, int status, const char *why);
/* Defines the memory a module imports (kiln_module_memory_import), made
 * with the import's type: shared (kiln_memory_new_shared) or not. */
bool kiln_wasi_define_memory(kiln_linker *l, const kiln_memory_import *mi);

/* The code passed to proc_exit, or 0 if the program never called it. */
int kiln_wasi_exit_code(const kiln_wasi *w);
/* True once proc_exit has been called. */
bool kiln_wasi_exited(const kiln_wasi *w);

/* ---- running a WASI command ------------------------------------------------ */

/* Exit status when the program traps (as wasmtime: 128 + SIGABRT). */
#define KILN_WASI_EXIT_TRAP 134
/* Exit status when the module cannot be instantiated or has no _start. */
#define KILN_WASI_EXIT_ERROR 1

/* Links `desc` against WASI alone, instantiates it and calls `_start`.
 * Returns the process exit status: the proc_exit code (0 when _start
 * returns), KILN_WASI_EXIT_TRAP after a trap, KILN_WASI_EXIT_ERROR when
 * it could not run; for the last two `why` says what happened. */
int kiln_wasi_run_start(kiln_wasi *w, const kiln_module_desc *desc, char *why, size_t why_size);
/* The same with another entry point: export `entry`, a function taking
 * no arguments and returning nothing or an i32 (then the exit status,
 * unless the program called proc_exit).  A WASI reactor's
 * `_initialize`, if exported, is called first (unless `entry` is it, or
 * `_start`).  `kiln build --entry NAME` executables run this way. */
int kiln_wasi_run_export(kiln_wasi *w, const kiln_module_desc *desc, const char *entry, char *why,
                         size_t why_size);
/* kiln_wasi_run_export with only the functions of `list` defined (see
 * kiln_wasi_define_list): the main() of `kiln build` executables. */
int kiln_wasi_run_list(kiln_wasi *w, const kiln_wasi_binding *const *list,
                       const kiln_module_desc *desc, const char *entry, char *why, size_t why_size);
/* The same against a linker the caller made: WASI defined in it
 * (kiln_wasi_define or _define_list, and the imported memory of a
 * threads program) and whatever else the host adds, such as
 * kiln_linker_define_unknown_imports_as_traps' stand-ins (the main() of
 * `kiln build --trap-unknown-imports` executables).  `l` must outlive
 * every thread the program spawns. */
int kiln_wasi_run_linked(kiln_wasi *w, kiln_linker *l, const kiln_module_desc *desc,
                         const char *entry, char *why, size_t why_size);

/* Command-line options shared by `kiln run` and executables made by
 * `kiln build`:
 *     --dir HOST[::GUEST]   preopen a directory (repeatable)
 *     --env NAME=VALUE      give the program a variable (repeatable)
 *     --inherit-env         give it the whole host environment too
 *     --no-openat2          resolve paths with the portable walk
 *     --max-threads N       spawned threads running at once (1 or more;
 *                           default KILN_WASI_MAX_THREADS_DEFAULT)
 * Both "--opt VALUE" and "--opt=VALUE" are accepted. */
typedef struct kiln_wasi_options {
    const char **dirs;
    size_t num_dirs;
    const char **env;
    int num_env;
    bool inherit_env;
    bool no_openat2;
    uint32_t max_threads; /* 0: the default */
} kiln_wasi_options;

/* If argv[*i] is one of the options above, consumes it (and its value),
 * leaves *i on the last word consumed and returns 1; returns 0 if it is
 * not ours, -1 with a message in `why` if it is malformed. */
int kiln_wasi_options_parse(kiln_wasi_options *o, int argc, char **argv, int *i, char *why,
                            size_t why_size);
/* Points cfg's preopens and env at the options (which must outlive cfg). */
void kiln_wasi_options_apply(const kiln_wasi_options *o, kiln_wasi_config *cfg);
void kiln_wasi_options_free(kiln_wasi_options *o);

#ifdef __cplusplus
}
#endif
#endif
