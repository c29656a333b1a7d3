/* cli_build.c - `kiln build FILE.wasm -o PROGRAM [options]`
 *
 * decode -> validate -> compile to a temporary object (symbol prefix
 * kiln_program, which the bundled main() expects) -> link with the
 * bundled WASI main (runtime/wasi/wasi_main.c) and the static kiln_wasi,
 * kiln_rt and kiln_front libraries into one native executable.
 *
 * The libraries are looked for in $KILN_LIB_DIR, then next to the kiln
 * binary itself (the build tree), then in the directory recorded at build
 * time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compile.h"
#include "module.h"

#ifndef KILN_LIB_DIR
#define KILN_LIB_DIR ""
#endif

/* In link order: main first, then what it needs. */
static const char *const build_libs[] = {
    "libkiln_wasi_main.a", "libkiln_wasi.a", "libkiln_rt.a", "libkiln_front.a",
};
enum { BUILD_NUM_LIBS = sizeof build_libs / sizeof build_libs[0] };

typedef struct build_args {
    const char *input, *output;
    kiln_compile_options opts;
    uint32_t features;
    bool keep_object;
} build_args;

static void build_usage(FILE *out) {
    fprintf(out,
            "usage: kiln build FILE.wasm -o PROGRAM [options]\n\n"
            "Compiles a WASI command module (one exporting _start) into a native\n"
            "executable.  The executable takes WASI options before its own arguments:\n"
            "  PROGRAM [--dir HOST[::GUEST]]... [--env NAME=VALUE]... [--inherit-env]\n"
            "          [--timeout SECONDS] [--] ARGS...\n"
            "and exits with the program's status (134 if it traps; --timeout stops it\n"
            "with the trap \"interrupted\", as `kiln run --timeout`).\n\n"
            "options:\n"
            "  -o PROGRAM        output executable (default: FILE without .wasm)\n"
            "  -O0 -O1 -O2 -O3   optimisation level (default -O2)\n"
            "  -j N, --jobs N    compile threads (default: online CPUs, at most 8)\n"
            "  --cpu NAME        target CPU; 'native' = this machine (default: generic)\n"
            "  --keep-object     leave the compiled object next to PROGRAM (PROGRAM.o)\n"
            "  --bounds-checks=explicit|guard  compare every access, or rely on guard\n"
            "                    pages around an 8 GiB reservation (default: "
            CLI_DEFAULT_BOUNDS_NAME ")\n"
            "  --enable-*        proposals, as for `kiln validate`\n"
            "  -h, --help        this text\n\n"
            "environment: KILN_LIB_DIR (where libkiln_rt.a etc. live), CC (the linker driver)\n"
            "exit status: 0 success, 1 invalid module or failed build, 2 usage or I/O error\n");
}

static const char *option_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != 0 || *i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int args_parse_one(build_args *a, int argc, char **argv, int *i) {
    const char *arg = argv[*i], *v;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        build_usage(stdout);
        return -1;
    }
    int jobs = cli_jobs_flag("build", argc, argv, i, &a->opts);
    if (jobs)
        return jobs < 0 ? CLI_USAGE : 0;
    if (arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3' && !arg[3])
        a->opts.opt_level = arg[2] - '0';
    else if (strcmp(arg, "-o") == 0 && *i + 1 < argc)
        a->output = argv[++*i];
    else if ((v = option_value(argc, argv, i, "--cpu")))
        a->opts.cpu = v;
    else if (strcmp(arg, "--keep-object") == 0)
        a->keep_object = true;
    else if (strcmp(arg, "--bounds-checks=explicit") == 0)
        a->opts.explicit_bounds = true;
    else if (strcmp(arg, "--bounds-checks=guard") == 0)
        a->opts.explicit_bounds = false;
    else if (cli_feature_flag(arg, &a->features))
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
    a->opts.opt_level = 2;
    a->opts.explicit_bounds = CLI_DEFAULT_EXPLICIT_BOUNDS;
    a->opts.prefix = "kiln_program";
    a->opts.jobs = cli_jobs_default();
    for (int i = 1; i < argc; i++) {
        int r = args_parse_one(a, argc, argv, &i);
        if (r)
            return r;
    }
    if (!a->input) {
        build_usage(stderr);
        return CLI_USAGE;
    }
    if (!a->output)
        a->output = output_default(a->input, out_buf, cap);
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
    ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
    if (n > 0) {
        dir[n] = '\0';
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        if (libs_in(dir))
            return true;
    }
    snprintf(dir, cap, "%s", KILN_LIB_DIR);
    return dir[0] && libs_in(dir);
}

/* ---- the build ------------------------------------------------------------------------- */

static int build_link(const build_args *a, const char *object) {
    char dir[PATH_MAX], libs[BUILD_NUM_LIBS][PATH_MAX + 64];
    if (!lib_dir_find(dir, sizeof dir)) {
        fprintf(stderr, "kiln build: cannot find the kiln runtime libraries (%s, ...); "
                        "set KILN_LIB_DIR\n", build_libs[0]);
        return CLI_USAGE;
    }
    const char *paths[1 + BUILD_NUM_LIBS] = {object};
    for (int i = 0; i < BUILD_NUM_LIBS; i++) {
        snprintf(libs[i], sizeof libs[i], "%s/%s", dir, build_libs[i]);
        paths[1 + i] = libs[i];
    }
    kiln_error err;
    error_clear(&err);
    if (!link_executable(paths, 1 + BUILD_NUM_LIBS, a->output, &err)) {
        cli_error_print(a->input, &err);
        return err.kind == KILN_ERR_IO ? CLI_USAGE : CLI_FAIL;
    }
    return CLI_OK;
}

static int build_object(const build_args *a, const uint8_t *bytes, size_t size,
                        const char *object) {
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = a->features};
    kiln_module *m = module_decode(bytes, size, &dopts, &err);
    int rc = CLI_OK;
    if (!m || !module_validate(m, &err) ||
        !module_compile_object(m, bytes, size, &a->opts, object, &err)) {
        cli_error_print(a->input, &err);
        rc = err.kind == KILN_ERR_IO ? CLI_USAGE : CLI_FAIL;
    }
    module_free(m);
    return rc;
}

/* The object goes next to the output when kept, else to a private temp file. */
static bool object_path(const build_args *a, char *path, size_t cap) {
    if (a->keep_object)
        return snprintf(path, cap, "%s.o", a->output) < (int)cap;
    const char *tmp = getenv("TMPDIR");
    snprintf(path, cap, "%s/kiln-build-XXXXXX.o", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(path, 2);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

int cli_build(int argc, char **argv) {
    build_args a;
    char out_buf[PATH_MAX], object[PATH_MAX + 8], why[256];
    int rc = args_parse(&a, argc, argv, out_buf, sizeof out_buf);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    uint8_t *bytes;
    size_t size;
    if (!cli_file_read(a.input, &bytes, &size, why, sizeof why)) {
        fprintf(stderr, "kiln build: cannot read %s: %s\n", a.input, why);
        return CLI_USAGE;
    }
    if (!object_path(&a, object, sizeof object)) {
        fprintf(stderr, "kiln build: cannot create a temporary object file\n");
        free(bytes);
        return CLI_USAGE;
    }
    rc = build_object(&a, bytes, size, object);
    free(bytes);
    if (rc == CLI_OK)
        rc = build_link(&a, object);
    if (!a.keep_object)
        unlink(object);
    return rc;
}
