/* cli_build.c - `kiln build FILE.wasm [-o PROGRAM] [options]`
 *
 * decode -> validate -> check that the module is a WASI command (it
 * exports _start) -> compile to an object in a private temporary
 * directory (symbol prefix --prefix, by default the file name) -> link
 * with the bundled WASI main (runtime/wasi/wasi_main.c, which calls the
 * descriptor kiln_program_module: the link makes that an alias) and the
 * static kiln_wasi, kiln_rt and kiln_ir libraries into one native
 * executable, with a small generated C file (program_source_write: the
 * WASI functions the module imports, --entry, --trap-unknown-imports)
 * and --gc-sections, so that the executable holds only the runtime code
 * it can reach.  The temporary
 * directory goes on every exit path, signals included (main.c).
 *
 * The libraries are looked for in $KILN_LIB_DIR, then next to the kiln
 * binary itself (the build tree), then in the install layout relative to
 * it (BIN/../KILN_INSTALL_LIBDIR), so an installed or unpacked kiln works
 * wherever its prefix was put. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compile.h"
#include "cross.h"
#include "kiln_wasi.h"
#include "module.h"
#include "progress.h"

#ifndef KILN_INSTALL_LIBDIR
#define KILN_INSTALL_LIBDIR "lib"
#endif

/* In link order: main first, then what it needs. */
static const char *const build_libs[] = {
    "libkiln_wasi_main.a", "libkiln_wasi.a", "libkiln_rt.a", "libkiln_ir.a",
};
enum { BUILD_NUM_LIBS = sizeof build_libs / sizeof build_libs[0] };

typedef struct build_args {
    const char *input, *output;
    kiln_compile_options opts;
    uint32_t features;
    bool keep_object;
    cli_unknown_imports unknown_imports;
    const char *entry; /* --entry: the export main() calls instead of _start */
    char prefix_buf[128];
    bool bounds_given; /* else the target's default (--target) */
} build_args;

static void build_usage(FILE *out) {
    fprintf(out,
            "usage: kiln build FILE.wasm [-o PROGRAM] [options]\n\n"
            "Compiles a WASI command module (one exporting _start; others are refused)\n"
            "into a native executable.  The executable takes WASI options before its\n"
            "own arguments:\n"
            "  PROGRAM [--dir HOST[::GUEST]]... [--env NAME=VALUE]... [--inherit-env]\n"
            "          [--timeout SECONDS] [--stack-size SIZE] [--max-threads N] [--] ARGS...\n"
            "and exits with the program's status (134 if it traps; --timeout stops it\n"
            "with the trap \"interrupted\", as `kiln run --timeout`).  Its runtime provides\n"
            "WASI preview1 and nothing else: other imports are all named in a warning\n"
            "now, and the executable stops at start-up naming them again (status 1),\n"
            "unless --trap-unknown-imports or --default-values-unknown-imports stands in\n"
            "for the functions among them.\n\n"
            "options:\n"
            "  -o PROGRAM        output executable (default: FILE without .wasm)\n"
            "  -O0 -O1 -O2 -O3   optimisation level (default -O2)\n"
            "  -j N, --jobs N    compile threads (default: one per CPU kiln may use)\n"
            "  --partitions N    split into exactly N partitions, as for `kiln compile`\n"
            "  --target TRIPLE   build for another machine: aarch64-linux-gnu or\n"
            "                    riscv64-linux-gnu (needs its cross gcc; docs/cli.md)\n"
            "  --cpu NAME        target CPU; 'native' = this machine (default: generic)\n"
            "  --prefix NAME     symbol prefix: the object's descriptor is NAME_module\n"
            "                    (default: the file name as a C identifier)\n"
            "  --keep-object     leave the compiled object next to PROGRAM (PROGRAM.o)\n"
            "  --trap-unknown-imports  the executable defines every function import WASI\n"
            "                    does not provide as a function that traps when called,\n"
            "                    naming the import (as wasmtime's flag; others still fail)\n"
            "  --default-values-unknown-imports  the same, but as functions that do nothing\n"
            "                    and return zeros (0, +0.0, null), as wasmtime's flag\n"
            "  --cache, --cache-dir DIR  reuse compiled partitions, as for `kiln compile`\n"
            "  --entry NAME      the executable calls export NAME (no parameters; nothing\n"
            "                    or an i32, the exit status, as result) instead of _start,\n"
            "                    after _initialize if exported: for library modules (reactors)\n"
            "  -g                source-level debug info from the module's DWARF line table\n"
            "                    (clang -g): file:line for gdb, perf and trap backtraces\n"
            "  --bounds-checks=explicit|guard  compare every access, or rely on guard\n"
            "                    pages around an 8 GiB reservation (default: "
            CLI_DEFAULT_BOUNDS_NAME ")\n"
            "  --disable-NAME    turn WebAssembly feature NAME off (see below)\n"
            "  --enable-NAME     turn proposal NAME on (see below)\n"
            "  -q, --quiet       no warnings, no progress line (errors still print)\n"
            "  -v, --verbose     print each phase with its time and peak memory\n"
            "  -h, --help        this text\n\n"
            "On a terminal, a compile that runs for more than a second shows a progress\n"
            "line on stderr (never when stderr is not a terminal).\n"
            "environment: KILN_LIB_DIR (where libkiln_rt.a etc. live), CC (the linker driver)\n"
            "exit status: 0 success, 1 invalid module or failed build, 2 usage or I/O error\n");
    cli_features_usage(out);
    cli_usage_footer(out, "build");
}

/* Every option that takes a value (a missing one is named as such). */
static const char *const build_value_options[] = {
    "-o", "-j", "--jobs", "--partitions", "--target", "--cpu", "--prefix", "--entry",
    "--bounds-checks", "--cache-dir", NULL,
};

static int args_parse_one(build_args *a, int argc, char **argv, int *i) {
    const char *arg = argv[*i], *v;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        build_usage(stdout);
        return -1;
    }
    if (cli_option_lacks_value("build", argc, argv, *i, build_value_options))
        return CLI_USAGE;
    int jobs = cli_jobs_flag("build", argc, argv, i, &a->opts);
    if (jobs)
        return jobs < 0 ? CLI_USAGE : 0;
    int cache = cli_cache_flag("build", argc, argv, i, &a->opts);
    if (cache)
        return cache < 0 ? CLI_USAGE : 0;
    int unknown = cli_unknown_imports_flag("build", arg, &a->unknown_imports);
    if (unknown)
        return unknown < 0 ? CLI_USAGE : 0;
    if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && !arg[3])
        a->opts.opt_level = arg[2] - '0';
    else if (strcmp(arg, "-o") == 0 && *i + 1 < argc)
        a->output = argv[++*i];
    else if ((v = cli_option_value(argc, argv, i, "--cpu")))
        a->opts.cpu = v;
    else if ((v = cli_option_value(argc, argv, i, "--prefix")))
        a->opts.prefix = v;
    else if ((v = cli_option_value(argc, argv, i, "--entry")))
        a->entry = v;
    else if ((v = cli_option_value(argc, argv, i, "--target")))
        a->opts.target_triple = v;
    else if (strcmp(arg, "--keep-object") == 0)
        a->keep_object = true;
    else if (strcmp(arg, "-g") == 0)
        a->opts.debug_info = true;
    else if (strcmp(arg, "--bounds-checks=explicit") == 0 ||
             strcmp(arg, "--bounds-checks=guard") == 0) {
        a->opts.explicit_bounds = strcmp(arg, "--bounds-checks=explicit") == 0;
        a->bounds_given = true;
    }
    else if (cli_feature_flag(arg, &a->features) || cli_verbosity_flag(arg))
        return 0;
    else if (arg[0] == '-' && arg[1]) {
        fprintf(stderr, "kiln build: unknown option '%s'\n", arg);
        return CLI_USAGE;
    } else if (!a->input)
        a->input = arg;
    else {
        fprintf(stderr, "kiln build: one input file only\n");
        return CLI_USAGE;
    }
    return 0;
}

/* FILE.wasm -> FILE (into buf). */
static const char *output_default(const char *input, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", input);
    size_t n = strlen(buf);
    if (n > 5 && strcmp(buf + n - 5, ".wasm") == 0)
        buf[n - 5] = '\0';
    else
        snprintf(buf + n, cap - n, ".out");
    return buf;
}

static int args_parse(build_args *a, int argc, char **argv, char *out_buf, size_t cap) {
    memset(a, 0, sizeof *a);
    a->features = features_default();
    a->opts.opt_level = 2;
    a->opts.explicit_bounds = CLI_DEFAULT_EXPLICIT_BOUNDS;
    a->opts.jobs = cli_jobs_default();
    a->opts.executable = true; /* linked with libkiln_rt.a (build_link) */
    for (int i = 1; i < argc; i++) {
        int r = args_parse_one(a, argc, argv, &i);
        if (r)
            return r;
    }
    if (!a->input) {
        build_usage(stderr);
        return CLI_USAGE;
    }
    if (!cli_cpu_valid("build", a->opts.target_triple, a->opts.cpu))
        return CLI_USAGE;
    cli_features_warn();
    if (!a->output)
        a->output = output_default(a->input, out_buf, cap);
    if (!a->opts.prefix) {
        cli_prefix_from_path(a->input, a->prefix_buf, sizeof a->prefix_buf);
        a->opts.prefix = a->prefix_buf;
    }
    if (!cli_prefix_valid(a->opts.prefix)) {
        fprintf(stderr, "kiln build: prefix '%s' is not a C identifier\n", a->opts.prefix);
        return CLI_USAGE;
    }
    const cross_target *t = cross_target_find(a->opts.target_triple);
    if (t && !a->bounds_given)
        a->opts.explicit_bounds = !t->guard_default;
    return 0;
}

/* ---- finding the runtime libraries ---------------------------------------------------- */

static bool libs_in(const char *dir) {
    char path[PATH_MAX];
    for (int i = 0; i < BUILD_NUM_LIBS; i++) {
        if (snprintf(path, sizeof path, "%s/%s", dir, build_libs[i]) >= (int)sizeof path ||
            access(path, R_OK) != 0)
            return false;
    }
    return true;
}

static bool lib_dir_find(char *dir, size_t cap) {
    const char *env = getenv("KILN_LIB_DIR");
    if (env && *env) {
        snprintf(dir, cap, "%s", env);
        return libs_in(dir);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(dir, cap, "%s", exe);
    if (libs_in(dir))
        return true;
    int len = snprintf(dir, cap, "%.*s/../%s", (int)(cap / 2), exe, KILN_INSTALL_LIBDIR);
    return len > 0 && (size_t)len < cap && libs_in(dir);
}

/* ---- --target: another machine's runtime and linker (cross.h) --------------------------- */

/* The runtime for a --target that is not the host, DIR/kiln-cross/TRIPLE next
 * to the host's, and its driver; false after saying what is missing. */
static bool target_runtime_find(const build_args *a, char *dir, size_t cap, char *driver,
                                size_t driver_cap) {
    const cross_target *t = cross_target_find(a->opts.target_triple);
    if (!t) {
        fprintf(stderr, "kiln build: no kiln runtime for target '%s' (there is one for "
                        "aarch64-linux-gnu and riscv64-linux-gnu)\n", a->opts.target_triple);
        return false;
    }
    cross_driver(t->triple, driver, driver_cap);
    if (!cross_program_found(driver)) {
        fprintf(stderr, "kiln build: cannot link for %s: %s is not installed "
                        "(Debian: apt-get install %s)\n", t->triple, driver, t->packages);
        return false;
    }
    char host[PATH_MAX];
    if (lib_dir_find(host, sizeof host) &&
        snprintf(dir, cap, "%s/kiln-cross/%s", host, t->triple) < (int)cap && libs_in(dir))
        return true;
    fprintf(stderr, "kiln build: no kiln runtime for %s (%s/kiln-cross/%s/%s); kiln's build "
                    "makes it when %s is installed (Debian: apt-get install %s), then rebuild kiln\n",
            t->triple, host, t->triple, build_libs[0], driver, t->packages);
    return false;
}

/* ---- the build ------------------------------------------------------------------------- */

/* The bundled main() calls the descriptor kiln_program_module; the object
 * names it <prefix>_module, so the link defines the one as the other.
 * False when no alias is needed. */
static bool descriptor_alias(const build_args *a, char *flag, size_t cap) {
    if (strcmp(a->opts.prefix, "kiln_program") == 0)
        return false;
    snprintf(flag, cap, "-Wl,--defsym=kiln_program_module=%s_module", a->opts.prefix);
    return true;
}

/* The driver has printed its own messages; say in kiln's words what
 * failed.  An unwritable PROGRAM never gets here (cli_output_check). */
static int link_failed(const build_args *a, const char *lib_dir, const kiln_error *err) {
    cli_path_error(a->output, "cannot link the executable: %s", err->message);
    if (err->kind == KILN_ERR_IO) {
        fprintf(stderr, "  kiln build links with a C compiler driver: set CC to one (default: cc)\n");
        return CLI_USAGE;
    }
    fprintf(stderr, "  the linker's own messages are above; it linked the module with the kiln\n"
                    "  runtime libraries in %s (KILN_LIB_DIR chooses others)\n", lib_dir);
    return CLI_FAIL;
}

/* `source`: the program's C part (program_source_write). */
static int build_link(const build_args *a, const char *object, const char *source,
                      const char *staged) {
    char dir[PATH_MAX], libs[BUILD_NUM_LIBS][PATH_MAX + 64], driver[128];
    bool cross = !cross_is_host(a->opts.target_triple);
    if (cross && !target_runtime_find(a, dir, sizeof dir, driver, sizeof driver))
        return CLI_USAGE;
    if (!cross && !lib_dir_find(dir, sizeof dir)) {
        cli_path_error(dir[0] ? dir : ".", "no kiln runtime libraries here (%s, ...); "
                       "set KILN_LIB_DIR to the directory that holds them", build_libs[0]);
        return CLI_USAGE;
    }
    /* --gc-sections: only what the program reaches (the libraries have a
     * section per function, CMakeLists.txt). */
    const char *paths[4 + BUILD_NUM_LIBS] = {object, source, "-Wl,--gc-sections"};
    size_t count = 3;
    for (int i = 0; i < BUILD_NUM_LIBS; i++) {
        snprintf(libs[i], sizeof libs[i], "%s/%s", dir, build_libs[i]);
        paths[count++] = libs[i];
    }
    char alias[192];
    if (descriptor_alias(a, alias, sizeof alias))
        paths[count++] = alias;
    kiln_error err;
    error_clear(&err);
    if (!link_executable_with(cross ? driver : NULL, paths, count, staged, &err))
        return link_failed(a, dir, &err);
    if (rename(staged, a->output) != 0) {
        cli_path_error(a->output, "cannot write: %s", strerror(errno));
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* The type of exported function `name`, or NULL if there is none. */
static const kiln_functype *export_func_type(const kiln_module *m, const char *name) {
    size_t n = strlen(name);
    for (uint32_t i = 0; i < m->num_exports; i++) {
        const kiln_export *e = &m->exports[i];
        if (e->kind == KILN_EXTERN_FUNC && e->name.len == n && memcmp(e->name.chars, name, n) == 0)
            return module_func_type(m, e->index);
    }
    return NULL;
}

static int not_a_command(const char *input) {
    cli_path_error(input, "the module exports no _start function: it is not a WASI command");
    fprintf(stderr,
            "  kiln build makes executables of WASI commands (programs with a main(), built\n"
            "  for wasm32-wasi); for a library module (a reactor), name the export the\n"
            "  executable should call with --entry NAME, or compile it with `kiln compile`\n"
            "  and link it into a C host (docs/embedding.md), or call its exports with\n"
            "  `kiln run %s --invoke NAME ARG...`\n", input);
    return CLI_USAGE;
}

/* The bundled main() runs _start, or the --entry export: without it the
 * executable could only fail at run time.  CLI_OK or the status. */
static int entry_check(const build_args *a, const kiln_module *m) {
    const kiln_functype *t = export_func_type(m, a->entry ? a->entry : "_start");
    if (!a->entry) return t ? CLI_OK : not_a_command(a->input);
    if (!t) {
        cli_path_error(a->input, "--entry %s: the module exports no function %s", a->entry, a->entry);
        return CLI_USAGE;
    }
    if (t->num_params == 0 && (t->num_results == 0 || (t->num_results == 1 && t->results[0] == KILN_I32)))
        return CLI_OK;
    cli_path_error(a->input, "--entry %s: the function must take no parameters and return "
                             "nothing or an i32 (the exit status)", a->entry);
    return CLI_USAGE;
}

/* ---- the program's own C part, compiled by the link's driver --------------------------- */

/* --entry: the name wasi_main.c calls, every byte octal-escaped. */
static void entry_write(FILE *f, const char *entry) {
    fprintf(f, "const char kiln_program_entry[] = \"");
    for (const unsigned char *p = (const unsigned char *)entry; *p; p++) fprintf(f, "\\%03o", *p);
    fprintf(f, "\";\n");
}

enum { WASI_LIST_MAX = 64, WASI_SYMBOL_MAX = 64 };

/* The symbols of the WASI functions the module imports, each once.  An
 * import of another kind by a function's name counts too, so that the
 * executable's message names the function it is not ("not a global"). */
static size_t wasi_symbols(const kiln_module *m, char (*syms)[WASI_SYMBOL_MAX]) {
    size_t n = 0;
    for (uint32_t i = 0; i < m->num_imports && n < WASI_LIST_MAX; i++) {
        const kiln_import *imp = &m->imports[i];
        if (!kiln_wasi_binding_symbol(imp->module.chars, imp->module.len, imp->name.chars,
                                      imp->name.len, syms[n], WASI_SYMBOL_MAX))
            continue;
        size_t j = 0;
        while (j < n && strcmp(syms[j], syms[n]) != 0) j++;
        n += j == n;
    }
    return n;
}

/* The list wasi_main.c defines in its linker (kiln_wasi_define_list):
 * only these functions' code is linked.  An import kiln does not provide
 * is not in it, and the executable names it at start-up, as before. */
static void wasi_list_write(FILE *f, const kiln_module *m) {
    char syms[WASI_LIST_MAX][WASI_SYMBOL_MAX];
    size_t n = wasi_symbols(m, syms);
    fprintf(f, "struct kiln_wasi_binding;\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "extern const struct kiln_wasi_binding %s;\n", syms[i]);
    fprintf(f, "static const struct kiln_wasi_binding *const wasi[] = {\n");
    for (size_t i = 0; i < n; i++) fprintf(f, "    &%s,\n", syms[i]);
    fprintf(f, "    NULL,\n};\n"
               "const struct kiln_wasi_binding *const *const kiln_program_wasi = wasi;\n");
}

/* What the executable needs besides the module and the libraries:
 * --entry's name, the WASI list, the unknown-imports flag, and without -g no DWARF line reader
 * (runtime.h, kiln_rt_line_reader: such an executable has no lines for
 * it to read).  Only what is named here is linked (--gc-sections). */
static bool program_source_write(const build_args *a, const kiln_module *m, const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return false;
    fprintf(f, "/* made by kiln build */\n#include <stdbool.h>\n#include <stddef.h>\n"
               "#include <stdint.h>\n\n");
    if (a->entry) entry_write(f, a->entry);
    wasi_list_write(f, m);
    if (a->unknown_imports == CLI_UNKNOWN_TRAP)
        fprintf(f, "const bool kiln_program_trap_unknown_imports = true;\n");
    if (a->unknown_imports == CLI_UNKNOWN_DEFAULT)
        fprintf(f, "const bool kiln_program_default_unknown_imports = true;\n");
    if (!a->opts.debug_info)
        fprintf(f, "bool (*const kiln_rt_line_reader)(uintptr_t, const char **, uint32_t *) "
                   "= NULL;\n");
    bool ok = !ferror(f);
    return fclose(f) == 0 && ok;
}

/* The module's object, and the program's C part (program_source_write). */
static int build_object(const build_args *a, const uint8_t *bytes, size_t size,
                        const char *object, const char *source) {
    kiln_module *m = cli_module_decode(a->input, bytes, size, a->features, a->opts.progress);
    if (!m) return CLI_FAIL;
    kiln_error err;
    error_clear(&err);
    int rc = entry_check(a, m);
    if (rc == CLI_OK) {
        if (a->opts.debug_info) cli_debug_lines_warn(a->input, m);
        cli_imports_warn_wasi(m, a->input, a->unknown_imports);
        if (!module_compile_object(m, bytes, size, &a->opts, object, &err))
            rc = cli_compile_failed(a->input, object, &err);
    }
    if (rc == CLI_OK && !program_source_write(a, m, source)) {
        cli_path_error(source, "cannot write: %s", strerror(errno));
        rc = CLI_USAGE;
    }
    module_free(m);
    return rc;
}

/* --keep-object: the object becomes PROGRAM.o, by a rename within one
 * file system (the temporary directory is next to PROGRAM). */
static int object_keep(const build_args *a, const char *object) {
    char kept[PATH_MAX + 8];
    snprintf(kept, sizeof kept, "%s.o", a->output);
    if (rename(object, kept) == 0)
        return CLI_OK;
    cli_path_error(kept, "cannot write: %s", strerror(errno));
    return CLI_USAGE;
}

/* Every file the build writes (the object, the compiler's and the
 * linker's temporaries, and the program itself until it is complete)
 * goes to a private directory next to PROGRAM, removed whatever happens;
 * the linked program is then renamed into place, so PROGRAM is never
 * half-written, whatever ends kiln or the linker. */
static int build_in_temp_dir(const build_args *a, const uint8_t *bytes, size_t size) {
    char parent[PATH_MAX], work[PATH_MAX], object[PATH_MAX + 160];
    cli_dir_of(a->output, parent, sizeof parent);
    if (!cli_temp_dir_make(parent, "kiln-build-", work, sizeof work)) {
        cli_path_error(parent, "cannot create a temporary directory: %s", strerror(errno));
        return CLI_USAGE;
    }
    snprintf(object, sizeof object, "%s/%s.o", work, a->opts.prefix);
    char source[PATH_MAX + 16], staged[PATH_MAX + 16];
    snprintf(source, sizeof source, "%s/program.c", work);
    snprintf(staged, sizeof staged, "%s/program", work);
    int rc = build_object(a, bytes, size, object, source);
    if (rc == CLI_OK) {
        progress_phase_begin(a->opts.progress, "link executable");
        rc = build_link(a, object, source, staged);
        progress_phase_end(a->opts.progress);
    }
    if (rc == CLI_OK && a->keep_object)
        rc = object_keep(a, object);
    cli_temp_dir_remove(work);
    return rc;
}

int cli_build(int argc, char **argv) {
    build_args a;
    char out_buf[PATH_MAX];
    int rc = args_parse(&a, argc, argv, out_buf, sizeof out_buf);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    char cross_dir[PATH_MAX], cross_cc[128]; /* fail before the compile, not after */
    if (!cross_is_host(a.opts.target_triple) &&
        !target_runtime_find(&a, cross_dir, sizeof cross_dir, cross_cc, sizeof cross_cc))
        return CLI_USAGE;
    cli_malloc_keep_freed();
    uint8_t *bytes;
    size_t size;
    if (!cli_input_read(a.input, &bytes, &size))
        return CLI_USAGE;
    a.opts.progress = cli_progress_new();
    rc = cli_output_check(a.output) ? build_in_temp_dir(&a, bytes, size) : CLI_USAGE;
    progress_free(a.opts.progress);
    free(bytes);
    return rc;
}
