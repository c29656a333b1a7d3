/* wasi_run.c - running a WASI command module, and the command-line
 * options every kiln front end (kiln run, kiln build's executables) uses
 * to grant it capabilities. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_internal.h"

static int run_fail(char *why, size_t why_size, int status, const char *msg) {
    if (why && why_size)
        snprintf(why, why_size, "%s", msg);
    return status;
}

/* The status of a finished _start call. */
static int run_status(kiln_wasi *w, uint32_t trap, char *why, size_t why_size) {
    if (trap == KILN_TRAP_EXIT)
        return kiln_wasi_exit_code(w);
    if (trap == KILN_TRAP_NONE)
        return 0;
    char msg[540]; /* kiln_trap_message() holds up to 511 bytes */
    snprintf(msg, sizeof msg, "wasm trap: %s", kiln_trap_message());
    return run_fail(why, why_size, KILN_WASI_EXIT_TRAP, msg);
}

/* The entry point must take nothing; an i32 it returns is the status. */
static bool entry_find(kiln_instance *inst, const char *name, kiln_extern *out, bool *returns_i32) {
    kiln_signature sig;
    if (!kiln_instance_export(inst, name, out) || out->kind != KILN_EXTERNKIND_FUNC ||
        !kiln_func_signature(out->of.func, &sig) || sig.num_params != 0 || sig.num_results > 1 ||
        (sig.num_results == 1 && sig.results[0] != KILN_I32))
        return false;
    *returns_i32 = sig.num_results == 1;
    return true;
}

/* A WASI reactor is initialised by its `_initialize` export, if any,
 * before any other export is called. */
static uint32_t reactor_initialize(kiln_instance *inst, const char *entry) {
    kiln_extern init;
    bool returns_i32;
    if (strcmp(entry, "_start") == 0 || strcmp(entry, "_initialize") == 0 ||
        !entry_find(inst, "_initialize", &init, &returns_i32))
        return KILN_TRAP_NONE;
    return kiln_call(inst, init.of.func, (kiln_val[1]){{0}});
}

static int entry_run(kiln_wasi *w, kiln_instance *inst, const char *entry, char *why,
                     size_t why_size) {
    kiln_extern e;
    bool returns_i32;
    if (!entry_find(inst, entry, &e, &returns_i32)) {
        char msg[300];
        snprintf(msg, sizeof msg, "the module exports no function %.200s taking no arguments%s",
                 entry, strcmp(entry, "_start") == 0 ? "" : " (and returning nothing or an i32)");
        return run_fail(why, why_size, KILN_WASI_EXIT_ERROR, msg);
    }
    uint32_t trap = reactor_initialize(inst, entry);
    if (trap != KILN_TRAP_NONE) return run_status(w, trap, why, why_size);
    kiln_val result[1] = {{0}};
    trap = kiln_call(inst, e.of.func, result);
    if (trap == KILN_TRAP_NONE && returns_i32) return result[0].i32;
    return run_status(w, trap, why, why_size);
}

int kiln_wasi_run_linked(kiln_wasi *w, kiln_linker *l, const kiln_module_desc *desc,
                         const char *entry, char *why, size_t why_size) {
    kiln_wasi_threads_bind(w, desc, l);
    kiln_instantiate_error ie = {0};
    kiln_instance *inst = kiln_instantiate(desc, l, &ie);
    int status;
    if (!inst && ie.kind == KILN_INST_TRAP) /* a start function that traps or exits */
        status = run_status(w, ie.trap, why, why_size);
    else if (!inst)
        status = run_fail(why, why_size, KILN_WASI_EXIT_ERROR, ie.message);
    else
        status = entry_run(w, inst, entry, why, why_size);
    kiln_wasi_threads_end(w, status, why);
    kiln_instance_free(inst);
    return status;
}

int kiln_wasi_run_list(kiln_wasi *w, const kiln_wasi_binding *const *list,
                       const kiln_module_desc *desc, const char *entry, char *why, size_t why_size) {
    kiln_linker *l = kiln_linker_new();
    if (!l || !kiln_wasi_define_list(w, l, list)) {
        kiln_linker_free(l);
        return run_fail(why, why_size, KILN_WASI_EXIT_ERROR, "out of memory");
    }
    kiln_memory_import mi;
    if (kiln_module_memory_import(desc, &mi) && mi.shared && !kiln_wasi_define_memory(l, &mi)) {
        kiln_linker_free(l);
        return run_fail(why, why_size, KILN_WASI_EXIT_ERROR, "cannot make the imported memory");
    }
    int status = kiln_wasi_run_linked(w, l, desc, entry, why, why_size);
    kiln_linker_free(l);
    return status;
}

int kiln_wasi_run_export(kiln_wasi *w, const kiln_module_desc *desc, const char *entry, char *why,
                         size_t why_size) {
    return kiln_wasi_run_list(w, kiln_wasi_bindings_all, desc, entry, why, why_size);
}

int kiln_wasi_run_start(kiln_wasi *w, const kiln_module_desc *desc, char *why, size_t why_size) {
    return kiln_wasi_run_export(w, desc, "_start", why, why_size);
}

/* ---- options --------------------------------------------------------------------- */

static const char *option_value(int argc, char **argv, int *i, const char *name, bool *matched) {
    size_t n = strlen(name);
    *matched = strncmp(argv[*i], name, n) == 0 && (argv[*i][n] == '\0' || argv[*i][n] == '=');
    if (!*matched)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static bool list_push(const char ***list, size_t count, const char *item) {
    const char **grown = realloc(*list, (count + 1) * sizeof *grown);
    if (!grown)
        return false;
    grown[count] = item;
    *list = grown;
    return true;
}

int kiln_wasi_options_parse(kiln_wasi_options *o, int argc, char **argv, int *i, char *why,
                            size_t why_size) {
    bool matched;
    const char *v;
    if (strcmp(argv[*i], "--inherit-env") == 0) {
        o->inherit_env = true;
        return 1;
    }
    if (strcmp(argv[*i], "--no-openat2") == 0) {
        o->no_openat2 = true;
        return 1;
    }
    if ((v = option_value(argc, argv, i, "--dir", &matched)) || matched) {
        if (!v || !*v)
            return run_fail(why, why_size, -1, "--dir needs HOST[::GUEST]");
        if (!list_push(&o->dirs, o->num_dirs++, v))
            return run_fail(why, why_size, -1, "out of memory");
        return 1;
    }
    if ((v = option_value(argc, argv, i, "--max-threads", &matched)) || matched) {
        char *end;
        errno = 0;
        unsigned long n = v ? strtoul(v, &end, 10) : 0;
        if (!v || !*v || *end || errno || v[0] == '-' || n == 0 || n > UINT32_MAX)
            return run_fail(why, why_size, -1, "--max-threads needs a number of threads, 1 or more");
        o->max_threads = (uint32_t)n;
        return 1;
    }
    if ((v = option_value(argc, argv, i, "--env", &matched)) || matched) {
        if (!v || !strchr(v, '=') || v[0] == '=')
            return run_fail(why, why_size, -1, "--env needs NAME=VALUE");
        size_t n = (size_t)o->num_env++;
        return list_push(&o->env, n, v) ? 1 : run_fail(why, why_size, -1, "out of memory");
    }
    return 0;
}

void kiln_wasi_options_apply(const kiln_wasi_options *o, kiln_wasi_config *cfg) {
    cfg->preopens = o->dirs;
    cfg->num_preopens = o->num_dirs;
    cfg->env = o->env;
    cfg->envc = o->num_env;
    cfg->inherit_env = o->inherit_env;
    cfg->no_openat2 = o->no_openat2;
    cfg->max_threads = o->max_threads;
}

void kiln_wasi_options_free(kiln_wasi_options *o) {
    free(o->dirs);
    free(o->env);
    memset(o, 0, sizeof *o);
}
