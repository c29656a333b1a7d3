/* exec.c - stage 2 of kiln-spec: compile, instantiate and run (exec.h).
 *
 * Each module becomes DIR/mN.o (module_compile_object, symbol prefix
 * spec_mN) and DIR/mN.so (link_shared_library), which is dlopen'ed into
 * the runner; its `kiln_rt_*` references resolve against the runner
 * itself (built with ENABLE_EXPORTS).  One kiln_linker per script holds
 * `spectest` and every registered instance.  A `module_definition` (3.0
 * suite) is compiled and loaded but not instantiated; each
 * `module_instance` of it is a new instance (instantiation is
 * generative). */
#include "exec.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "kiln.h"
#include "spectest.h"
#include "values.h"

enum { MAX_SLOTS = 64 };

typedef struct loaded {
    char *name; /* "$M" from the script, or NULL */
    kiln_instance *inst;
} loaded;

typedef struct definition {
    char *name; /* "$M" from the script, or NULL */
    const kiln_module_desc *desc;
} definition;

struct exec_session {
    const spec_options *opts;
    const char *dir;
    kiln_linker *linker;
    spectest host;
    loaded *instances;
    int num_instances;
    definition *definitions;
    int num_definitions;
    void **libraries;
    int num_libraries;
    kiln_instance *current;
};

exec_session *exec_session_new(const spec_options *opts, const char *dir, uint32_t features) {
    exec_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->opts = opts;
    s->dir = dir;
    s->linker = kiln_linker_new();
    if (!s->linker || !spectest_define(&s->host, s->linker)) {
        exec_session_free(s);
        return NULL;
    }
    return s;
}

void exec_session_free(exec_session *s) {
    if (!s) return;
    for (int i = s->num_instances - 1; i >= 0; i--) {
        kiln_instance_free(s->instances[i].inst);
        free(s->instances[i].name);
    }
    free(s->instances);
    for (int i = 0; i < s->num_definitions; i++) free(s->definitions[i].name);
    free(s->definitions);
    if (s->linker) kiln_linker_free(s->linker);
    spectest_free(&s->host);
    /* Code goes last: nothing may point into a library any more. */
    for (int i = 0; i < s->num_libraries; i++) dlclose(s->libraries[i]);
    free(s->libraries);
    free(s);
}

/* ---- modules ------------------------------------------------------------------ */

static bool list_push(void **array, int *count, size_t elem_size) {
    void *bigger = realloc(*array, (size_t)(*count + 1) * elem_size);
    if (!bigger) return false;
    *array = bigger;
    (*count)++;
    return true;
}

/* Compiles, links and loads `m`; returns its descriptor or NULL. */
static const kiln_module_desc *module_load_native(exec_session *s, const kiln_module *m,
                                                  const uint8_t *bytes, size_t size, char *msg,
                                                  size_t msg_size) {
    int n = s->num_libraries;
    char prefix[32], obj[4096], lib[4096];
    snprintf(prefix, sizeof prefix, "spec_m%d", n);
    snprintf(obj, sizeof obj, "%s/m%d.o", s->dir, n);
    snprintf(lib, sizeof lib, "%s/m%d.so", s->dir, n);
    kiln_compile_options copts = {.opt_level = s->opts->opt_level, .prefix = prefix,
                                  .cpu = s->opts->cpu,
                                  .explicit_bounds = !s->opts->guard_pages,
                                  .jobs = s->opts->compile_jobs,
                                  .partitions = s->opts->compile_jobs};
    kiln_error err;
    error_clear(&err);
    if (!module_compile_object(m, bytes, size, &copts, obj, &err) ||
        !link_shared_library(obj, lib, &err)) {
        snprintf(msg, msg_size, "compile failed: 0x%llx: %s", (unsigned long long)err.offset,
                 err.message);
        return NULL;
    }
    void *handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!handle || !list_push((void **)&s->libraries, &s->num_libraries, sizeof(void *))) {
        snprintf(msg, msg_size, "dlopen: %s", handle ? "out of memory" : dlerror());
        return NULL;
    }
    s->libraries[n] = handle;
    char symbol[64];
    snprintf(symbol, sizeof symbol, "%s_module", prefix);
    const kiln_module_desc *desc = dlsym(handle, symbol);
    if (!desc) snprintf(msg, msg_size, "dlsym %s: %s", symbol, dlerror());
    return desc;
}

static bool instance_keep(exec_session *s, const char *name, kiln_instance *inst) {
    if (!list_push((void **)&s->instances, &s->num_instances, sizeof(loaded))) return false;
    loaded *l = &s->instances[s->num_instances - 1];
    l->name = name ? strdup(name) : NULL;
    l->inst = inst;
    return true;
}

/* Keeps a module_definition's descriptor for later module_instance. */
static bool definition_keep(exec_session *s, const char *name, const kiln_module_desc *desc,
                            char *msg, size_t msg_size) {
    if (!list_push((void **)&s->definitions, &s->num_definitions, sizeof(definition))) {
        snprintf(msg, msg_size, "out of memory");
        return false;
    }
    definition *d = &s->definitions[s->num_definitions - 1];
    d->name = name ? strdup(name) : NULL;
    d->desc = desc;
    return true;
}

/* The definition named `name`, or the latest one when `name` is NULL. */
static const kiln_module_desc *definition_find(const exec_session *s, const char *name) {
    for (int i = s->num_definitions - 1; i >= 0; i--)
        if (!name || (s->definitions[i].name && strcmp(s->definitions[i].name, name) == 0))
            return s->definitions[i].desc;
    return NULL;
}

/* What the command expects of kiln_instantiate. */
static int expected_outcome(const char *type) {
    if (strcmp(type, "assert_unlinkable") == 0) return KILN_INST_LINK;
    if (strcmp(type, "assert_uninstantiable") == 0) return KILN_INST_TRAP;
    return KILN_INST_OK;
}

bool exec_module(exec_session *s, const json_value *cmd, const char *type, kiln_module *m,
                 const uint8_t *bytes, size_t size, char *msg, size_t msg_size) {
    const kiln_module_desc *desc = module_load_native(s, m, bytes, size, msg, msg_size);
    module_free(m);
    if (strcmp(type, "module_definition") == 0)
        return desc && definition_keep(s, json_get_string(cmd, "name"), desc, msg, msg_size);
    int want = expected_outcome(type);
    if (want == KILN_INST_OK) s->current = NULL; /* a failed load leaves no current module */
    if (!desc) return false;
    kiln_instantiate_error ierr = {0};
    kiln_instance *inst = kiln_instantiate(desc, s->linker, &ierr);
    if (inst && !instance_keep(s, json_get_string(cmd, "name"), inst)) {
        kiln_instance_free(inst);
        inst = NULL;
        ierr.kind = KILN_INST_NOMEM;
    }
    if (want == KILN_INST_OK && inst) s->current = inst;
    if ((int)ierr.kind == want) return true;
    const char *expected = json_get_string(cmd, "text");
    snprintf(msg, msg_size, "instantiation: got %s, expected %s%s%s",
             inst ? "success" : ierr.message, want == KILN_INST_OK ? "success" : "failure",
             expected ? " " : "", expected ? expected : "");
    return false;
}

void exec_module_rejected(exec_session *s, const char *type) {
    if (strcmp(type, "module") == 0) s->current = NULL;
}

/* ---- actions ------------------------------------------------------------------ */

static kiln_instance *instance_find(exec_session *s, const char *name) {
    if (!name) return s->current;
    for (int i = s->num_instances - 1; i >= 0; i--)
        if (s->instances[i].name && strcmp(s->instances[i].name, name) == 0)
            return s->instances[i].inst;
    return NULL;
}

static int action_fail(char *msg, size_t msg_size, const char *what, const char *field) {
    snprintf(msg, msg_size, "%s \"%s\"", what, field ? field : "?");
    return EXEC_FAIL;
}

static int args_load(const json_value *args, const kiln_signature *sig, kiln_val *slots,
                     char *msg, size_t msg_size) {
    uint32_t i = 0;
    for (const json_value *a = args ? args->first : NULL; a; a = a->next, i++)
        if (i >= MAX_SLOTS || !value_parse(a, &slots[i], msg, msg_size)) return EXEC_FAIL;
    if (i != sig->num_params) {
        snprintf(msg, msg_size, "%u arguments for %u parameters", i, sig->num_params);
        return EXEC_FAIL;
    }
    return EXEC_PASS;
}

/* Runs an invoke or get; on success the results are in slots[] and
 * *trap is the trap kind (KILN_TRAP_NONE if none). */
static int action_run(exec_session *s, const json_value *action, kiln_val *slots,
                      uint32_t *num_results, uint32_t *trap, char *msg, size_t msg_size) {
    const char *type = json_get_string(action, "type");
    const char *field = json_get_string(action, "field");
    kiln_instance *inst = instance_find(s, json_get_string(action, "module"));
    kiln_extern ext;
    *trap = KILN_TRAP_NONE;
    if (!inst) return action_fail(msg, msg_size, "no instance for", field);
    /* Export names may hold NUL bytes (names.wast): look up by length. */
    const json_value *fv = json_get(action, "field");
    if (!type || !field || !kiln_instance_export_len(inst, field, fv->string_len, &ext))
        return action_fail(msg, msg_size, "no export", field);
    if (strcmp(type, "get") == 0) {
        if (ext.kind != 3) return action_fail(msg, msg_size, "not a global:", field);
        slots[0] = kiln_global_get(ext.of.global);
        *num_results = 1;
        return EXEC_PASS;
    }
    kiln_signature sig;
    if (ext.kind != 0 || !kiln_func_signature(ext.of.func, &sig))
        return action_fail(msg, msg_size, "not a function:", field);
    if (sig.num_results > MAX_SLOTS) return action_fail(msg, msg_size, "too many results:", field);
    if (args_load(json_get(action, "args"), &sig, slots, msg, msg_size) != EXEC_PASS)
        return EXEC_FAIL;
    *trap = kiln_call(inst, ext.of.func, slots);
    *num_results = sig.num_results;
    return EXEC_PASS;
}

static int results_check(const json_value *expected, const kiln_val *slots, uint32_t n,
                         const char *field, char *msg, size_t msg_size) {
    uint32_t i = 0;
    for (const json_value *e = expected ? expected->first : NULL; e; e = e->next, i++) {
        if (i >= n) break;
        const char *unsupported = value_unsupported(e);
        if (unsupported) {
            snprintf(msg, msg_size, "\"%s\" result %u: cannot check %s", field, i, unsupported);
            return EXEC_FAIL;
        }
        if (value_matches(e, &slots[i])) continue;
        char got[96], want[256];
        value_format(e, &slots[i], got, sizeof got);
        value_describe(e, want, sizeof want);
        snprintf(msg, msg_size, "\"%s\" result %u: got %s, expected %s", field, i, got, want);
        return EXEC_FAIL;
    }
    size_t count = expected ? expected->count : 0;
    if (count == n) return EXEC_PASS;
    snprintf(msg, msg_size, "\"%s\": %u results, expected %zu", field, n, count);
    return EXEC_FAIL;
}

/* wabt's wast2json writes the pattern (either V1 V2 ...) of a function
 * with one result as "either": [V1, V2, ...] beside the command. */
static int either_check(const json_value *alts, const kiln_val *slots, uint32_t n,
                        const char *field, char *msg, size_t msg_size) {
    if (n != 1 || !alts->first) {
        snprintf(msg, msg_size, "\"%s\": %u results, expected 1", field, n);
        return EXEC_FAIL;
    }
    for (const json_value *a = alts->first; a; a = a->next) {
        const char *unsupported = value_unsupported(a);
        if (unsupported) {
            snprintf(msg, msg_size, "\"%s\": cannot check %s", field, unsupported);
            return EXEC_FAIL;
        }
        if (value_matches(a, &slots[0])) return EXEC_PASS;
    }
    char got[96], want[256];
    value_format(alts->first, &slots[0], got, sizeof got);
    value_describe(alts->first, want, sizeof want);
    snprintf(msg, msg_size, "\"%s\": got %s, expected one of %zu results, the first %s", field,
             got, alts->count, want);
    return EXEC_FAIL;
}

/* assert_return, action, assert_trap, assert_exhaustion, assert_exception. */
static int action_command(exec_session *s, const json_value *cmd, const char *type, char *msg,
                          size_t msg_size) {
    const json_value *action = json_get(cmd, "action");
    const char *field = json_get_string(action, "field");
    kiln_val slots[MAX_SLOTS];
    uint32_t n = 0, trap;
    memset(slots, 0, sizeof slots);
    if (action_run(s, action, slots, &n, &trap, msg, msg_size) != EXEC_PASS) return EXEC_FAIL;
    if (strcmp(type, "assert_exception") == 0) {
        if (trap == KILN_TRAP_EXCEPTION) return EXEC_PASS;
        snprintf(msg, msg_size, "\"%s\": %s, expected an uncaught exception", field,
                 trap ? kiln_trap_message() : "returned normally");
        return EXEC_FAIL;
    }
    bool wants_trap = strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0;
    if (!wants_trap && trap != KILN_TRAP_NONE) {
        snprintf(msg, msg_size, "\"%s\" trapped: %s", field, kiln_trap_message());
        return EXEC_FAIL;
    }
    if (wants_trap) {
        const char *text = json_get_string(cmd, "text");
        bool exhaustion = strcmp(type, "assert_exhaustion") == 0;
        /* An uncaught exception is not a trap. */
        if (trap != KILN_TRAP_NONE && trap != KILN_TRAP_EXCEPTION &&
            exhaustion == (trap == KILN_TRAP_CALL_STACK_EXHAUSTED))
            return EXEC_PASS;
        snprintf(msg, msg_size, "\"%s\": %s, expected trap \"%s\"", field,
                 trap ? kiln_trap_message() : "returned normally", text ? text : "?");
        return EXEC_FAIL;
    }
    if (strcmp(type, "action") == 0) return EXEC_PASS;
    const json_value *either = json_get(cmd, "either");
    if (either && either->type == JSON_ARRAY && !json_get(cmd, "expected"))
        return either_check(either, slots, n, field, msg, msg_size);
    return results_check(json_get(cmd, "expected"), slots, n, field, msg, msg_size);
}

static int register_command(exec_session *s, const json_value *cmd, char *msg,
                            size_t msg_size) {
    const char *as = json_get_string(cmd, "as");
    kiln_instance *inst = instance_find(s, json_get_string(cmd, "name"));
    if (!as || !inst) return snprintf(msg, msg_size, "nothing to register"), EXEC_FAIL;
    if (kiln_linker_define_instance(s->linker, as, inst)) return EXEC_PASS;
    snprintf(msg, msg_size, "register \"%s\" failed", as);
    return EXEC_FAIL;
}

/* module_instance: a new instance of a definition (the named one, else
 * the latest); it becomes the current module. */
static int instance_command(exec_session *s, const json_value *cmd, char *msg, size_t msg_size) {
    const char *module = json_get_string(cmd, "module");
    const kiln_module_desc *desc = definition_find(s, module);
    s->current = NULL;
    if (!desc) {
        snprintf(msg, msg_size, "no (loaded) module definition %s", module ? module : "before it");
        return EXEC_FAIL;
    }
    kiln_instantiate_error ierr = {0};
    kiln_instance *inst = kiln_instantiate(desc, s->linker, &ierr);
    if (!inst) {
        snprintf(msg, msg_size, "instantiation failed: %s", ierr.message);
        return EXEC_FAIL;
    }
    if (!instance_keep(s, json_get_string(cmd, "instance"), inst)) {
        kiln_instance_free(inst);
        snprintf(msg, msg_size, "out of memory");
        return EXEC_FAIL;
    }
    s->current = inst;
    return EXEC_PASS;
}

int exec_command(exec_session *s, const json_value *cmd, const char *type, char *msg,
                 size_t msg_size) {
    if (strcmp(type, "register") == 0) return register_command(s, cmd, msg, msg_size);
    if (strcmp(type, "module_instance") == 0) return instance_command(s, cmd, msg, msg_size);
    if (strcmp(type, "assert_return") == 0 || strcmp(type, "action") == 0 ||
        strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0 ||
        strcmp(type, "assert_exception") == 0)
        return action_command(s, cmd, type, msg, msg_size);
    snprintf(msg, msg_size, "unknown command type \"%s\"", type);
    return EXEC_FAIL;
}
