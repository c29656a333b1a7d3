/* wasi_main.c - the main() of executables made by `kiln build`.
 *
 * `kiln build` compiles the module with the symbol prefix kiln_program
 * and links this file in front of the kiln_wasi and kiln_rt libraries.
 * The executable takes WASI options first, then the program's own
 * arguments:
 *     PROGRAM [--dir HOST[::GUEST]]... [--env NAME=VALUE]... [--inherit-env] [--] ARGS...
 * Options end at `--` or at the first word that is not one of them.  The
 * guest's argv[0] is the executable's own argv[0]; its exit status is the
 * program's (134 when it traps). */
#include <stdio.h>
#include <string.h>

#include "kiln_wasi.h"

extern const kiln_module_desc kiln_program_module;

static int options_parse(kiln_wasi_options *o, int argc, char **argv, int *first_arg) {
    char why[256];
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        int rc = kiln_wasi_options_parse(o, argc, argv, &i, why, sizeof why);
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
    int status = kiln_wasi_run_start(w, &kiln_program_module, why, sizeof why);
    if (why[0])
        fprintf(stderr, "%s: %s\n", argv[0], why);
    kiln_wasi_free(w);
    kiln_wasi_options_free(&opts);
    return status;
}
