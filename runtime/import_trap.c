/* import_trap.c - host functions that stand in for function imports
 * nobody provides: either they trap when called, naming the import
 * (wasmtime's `--trap-unknown-imports`, kiln run's and kiln build's flag
 * of that name), so that a program that imports a host API it never calls
 * on the path being run (CRuby's JavaScript host, for a script that does
 * not touch JS) can still run under plain WASI; or they do nothing and
 * return zeros (wasmtime's `--default-values-unknown-imports`), for
 * programs whose host hooks are optional, such as a benchmark's
 * "bench"."start"/"end" markers.
 *
 * Each is a host entry whose callback is import_trap_call.  instance.c
 * binds it with the importing module's kiln_import as its env, so the
 * message comes from the names of the module that made the call, which
 * live as long as its instance, and the linker owns nothing new. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* The names are cut (module_name_text) rather than the message lost. */
enum { IMPORT_TRAP_NAME_MAX = 240 };

uint32_t import_trap_call(void *env, kiln_instance *caller, const kiln_val *args,
                          kiln_val *results) {
    (void)caller, (void)args, (void)results;
    const kiln_import *imp = env;
    char module[IMPORT_TRAP_NAME_MAX], name[IMPORT_TRAP_NAME_MAX], message[2 * IMPORT_TRAP_NAME_MAX + 32];
    module_name_text(&imp->module, module, sizeof module);
    module_name_text(&imp->name, name, sizeof name);
    snprintf(message, sizeof message, "unknown import %s.%s called", module, name);
    kiln_host_trap_message(message);
    return KILN_TRAP_HOST;
}

/* env: the number of results, as the callback has no other way to know
 * it.  Zero bytes are every type's default: 0, +0.0, a null reference. */
uint32_t import_default_call(void *env, kiln_instance *caller, const kiln_val *args,
                             kiln_val *results) {
    (void)caller, (void)args;
    memset(results, 0, (size_t)(uintptr_t)env * sizeof *results);
    return KILN_TRAP_NONE;
}

/* The stand-in for one import of type `id`: a trap, or a function
 * returning defaults. */
static link_host_func stand_in_make(uint32_t id, bool defaults) {
    link_host_func f = {defaults ? import_default_call : import_trap_call, NULL, id, 0};
    kiln_signature sig;
    if (type_lookup(id, &sig)) {
        f.num_params = sig.num_params;
        if (defaults) f.env = (void *)(uintptr_t)sig.num_results;
    }
    return f;
}

static size_t unknown_imports_define(kiln_linker *l, const kiln_module *m, bool defaults) {
    uint32_t *type_ids = calloc(m->num_types ? m->num_types : 1, sizeof *type_ids);
    if (!type_ids || !types_intern_module(m, type_ids)) {
        free(type_ids);
        return SIZE_MAX;
    }
    size_t defined = 0;
    for (uint32_t i = 0; i < m->num_imports && defined != SIZE_MAX; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_FUNC || linker_find(l, &imp->module, &imp->name)) continue;
        link_host_func f = stand_in_make(type_ids[imp->desc.type_index], defaults);
        defined = linker_define_host(l, &imp->module, &imp->name, f) ? defined + 1 : SIZE_MAX;
    }
    free(type_ids);
    return defined;
}

static size_t unknown_imports_define_desc(kiln_linker *l, const kiln_module_desc *desc,
                                         bool defaults) {
    kiln_instantiate_error err;
    kiln_module *m = desc_module_read(desc, &err);
    if (!m) return SIZE_MAX;
    size_t defined = unknown_imports_define(l, m, defaults);
    module_free(m);
    return defined;
}

size_t kiln_linker_define_unknown_imports_as_traps_module(kiln_linker *l, const kiln_module *m) {
    return unknown_imports_define(l, m, false);
}

size_t kiln_linker_define_unknown_imports_as_traps(kiln_linker *l, const kiln_module_desc *desc) {
    return unknown_imports_define_desc(l, desc, false);
}

size_t kiln_linker_define_unknown_imports_as_defaults_module(kiln_linker *l,
                                                             const kiln_module *m) {
    return unknown_imports_define(l, m, true);
}

size_t kiln_linker_define_unknown_imports_as_defaults(kiln_linker *l,
                                                      const kiln_module_desc *desc) {
    return unknown_imports_define_desc(l, desc, true);
}
