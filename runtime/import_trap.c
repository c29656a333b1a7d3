/* import_trap.c - host functions that stand in for function imports
 * nobody provides and trap when called, naming the import (wasmtime's
 * `--trap-unknown-imports`, kiln run's and kiln build's flag of that
 * name): a program that imports a host API it never calls on the path
 * being run (CRuby's JavaScript host, for a script that does not touch
 * JS) can still run under plain WASI.
 *
 * Each is a host entry whose callback is import_trap_call.  instance.c
 * binds it with the importing module's kiln_import as its env, so the
 * message comes from the names of the module that made the call, which
 * live as long as its instance, and the linker owns nothing new. */
#include <stdio.h>
#include <stdlib.h>

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

size_t kiln_linker_define_unknown_imports_as_traps_module(kiln_linker *l, const kiln_module *m) {
    uint32_t *type_ids = calloc(m->num_types ? m->num_types : 1, sizeof *type_ids);
    if (!type_ids || !types_intern_module(m, type_ids)) {
        free(type_ids);
        return SIZE_MAX;
    }
    size_t defined = 0;
    for (uint32_t i = 0; i < m->num_imports && defined != SIZE_MAX; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_FUNC || linker_find(l, &imp->module, &imp->name)) continue;
        kiln_signature sig;
        uint32_t id = type_ids[imp->desc.type_index];
        link_host_func trap = {import_trap_call, NULL, id, 0};
        if (type_lookup(id, &sig)) trap.num_params = sig.num_params;
        defined = linker_define_host(l, &imp->module, &imp->name, trap) ? defined + 1 : SIZE_MAX;
    }
    free(type_ids);
    return defined;
}

size_t kiln_linker_define_unknown_imports_as_traps(kiln_linker *l, const kiln_module_desc *desc) {
    kiln_instantiate_error err;
    kiln_module *m = desc_module_read(desc, &err);
    if (!m) return SIZE_MAX;
    size_t defined = kiln_linker_define_unknown_imports_as_traps_module(l, m);
    module_free(m);
    return defined;
}
