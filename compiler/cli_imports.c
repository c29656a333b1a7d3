/* cli_imports.c - the imports of a module that kiln's WASI host cannot
 * satisfy, all named in one message before the long part: before
 * `kiln run` compiles (or loads a cached library), and as a warning when
 * `kiln build` makes an executable that would stop at start-up.
 *
 * The answer comes from the runtime's own check (kiln_linker_check_module,
 * runtime/import_check.c), against a linker that defines exactly what the
 * program will get, so it cannot disagree with instantiation.  With
 * --trap-unknown-imports the function imports nothing provides are first
 * defined as functions that trap when called, with
 * --default-values-unknown-imports as functions that return zeros
 * (runtime/import_trap.c); without either, the message says how many
 * --trap-unknown-imports would define. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kiln.h"
#include "kiln_wasi.h"
#include "module.h"

#define WASI_MODULE_NAME "wasi_snapshot_preview1"

static void problem_print(void *ctx, const char *problem) {
    (void)ctx;
    fprintf(stderr, "  %s\n", problem);
}

static const char *imports_noun(size_t n) { return n == 1 ? "import" : "imports"; }

int cli_unknown_imports_flag(const char *command, const char *arg, cli_unknown_imports *u) {
    cli_unknown_imports flag;
    if (strcmp(arg, "--trap-unknown-imports") == 0) flag = CLI_UNKNOWN_TRAP;
    else if (strcmp(arg, "--default-values-unknown-imports") == 0) flag = CLI_UNKNOWN_DEFAULT;
    else return 0;
    if (*u != CLI_UNKNOWN_FAIL && *u != flag) {
        fprintf(stderr, "kiln %s: --trap-unknown-imports and --default-values-unknown-imports "
                        "exclude each other\n", command);
        return -1;
    }
    *u = flag;
    return 1;
}

bool cli_imports_memory_define(kiln_linker *l, const kiln_module *m) {
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_MEMORY || !imp->desc.memory.shared) continue;
        const kiln_memtype *t = &imp->desc.memory;
        kiln_memory_import mi = {.min_pages = t->limits.min, .max_pages = t->limits.max,
                                 .has_max = t->limits.has_max, .shared = t->shared,
                                 .is64 = t->is64};
        snprintf(mi.module, sizeof mi.module, "%.*s", (int)imp->module.len, imp->module.chars);
        snprintf(mi.name, sizeof mi.name, "%.*s", (int)imp->name.len, imp->name.chars);
        return kiln_wasi_define_memory(l, &mi);
    }
    return true;
}

/* Function imports `l` has nothing for: what --trap-unknown-imports
 * would define. */
static size_t unknown_funcs(const kiln_linker *l, const kiln_module *m) {
    size_t n = 0;
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_FUNC) continue;
        char *module = malloc(imp->module.len + 1), *name = malloc(imp->name.len + 1);
        if (module && name) {
            snprintf(module, imp->module.len + 1, "%.*s", (int)imp->module.len, imp->module.chars);
            snprintf(name, imp->name.len + 1, "%.*s", (int)imp->name.len, imp->name.chars);
            n += !kiln_linker_contains(l, module, name);
        }
        free(module);
        free(name);
    }
    return n;
}

/* After the list, unless the flag was given: what it would do. */
static void traps_hint(const kiln_linker *l, const kiln_module *m, const char *command) {
    size_t n = unknown_funcs(l, m);
    if (n == 1)
        fprintf(stderr, "  (%s --trap-unknown-imports defines the unknown function as a function "
                        "that traps when called)\n", command);
    else if (n)
        fprintf(stderr, "  (%s --trap-unknown-imports defines the %zu unknown functions as "
                        "functions that trap when called)\n", command, n);
}

size_t cli_imports_unresolved(const kiln_linker *l, const kiln_module *m, const char *path,
                              cli_unknown_imports u) {
    size_t n = kiln_linker_check_module(l, m, NULL, NULL);
    if (!n) return 0;
    cli_path_error(path, "%zu %s cannot be resolved; kiln run provides WASI preview1 "
                         "(\"" WASI_MODULE_NAME "\") and nothing else; nothing was compiled:",
                   n, imports_noun(n));
    kiln_linker_check_module(l, m, problem_print, NULL);
    if (u == CLI_UNKNOWN_FAIL) traps_hint(l, m, "kiln run");
    return n;
}

bool cli_imports_stand_ins_define(kiln_linker *l, const kiln_module *m, cli_unknown_imports u) {
    size_t defined = 0;
    if (u == CLI_UNKNOWN_TRAP) defined = kiln_linker_define_unknown_imports_as_traps_module(l, m);
    if (u == CLI_UNKNOWN_DEFAULT) defined = kiln_linker_define_unknown_imports_as_defaults_module(l, m);
    if (defined != SIZE_MAX) return true;
    fprintf(stderr, "kiln: error: out of memory\n");
    return false;
}

/* A linker as a built executable's main() makes it: WASI and nothing
 * else.  The WASI context is never called, only named. */
void cli_imports_warn_wasi(const kiln_module *m, const char *path, cli_unknown_imports u) {
    if (cli_verbosity == CLI_QUIET || m->num_imports == 0) return;
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    kiln_wasi *w = kiln_wasi_new(&cfg);
    kiln_linker *l = kiln_linker_new();
    bool defined = w && l && kiln_wasi_define(w, l);
    if (defined) cli_imports_memory_define(l, m); /* if it fails, the check names the import */
    if (defined) defined = cli_imports_stand_ins_define(l, m, u);
    size_t n = defined ? kiln_linker_check_module(l, m, NULL, NULL) : 0;
    if (n) {
        cli_warning(path, "%zu %s will not be resolved: executables made by kiln build provide "
                          "WASI preview1 (\"" WASI_MODULE_NAME "\") and nothing else, so this one "
                          "will stop at start-up:", n, imports_noun(n));
        kiln_linker_check_module(l, m, problem_print, NULL);
        if (u == CLI_UNKNOWN_FAIL) traps_hint(l, m, "kiln build");
    }
    kiln_linker_free(l);
    kiln_wasi_free(w);
}
