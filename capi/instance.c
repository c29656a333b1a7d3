/* instance.c - instances: imports given in order are bound by the names
 * the module gives them (a kiln linker made for the call), the start
 * function's trap comes back as a wasm_trap_t, exports in module order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi.h"

/* `fmt` names the import's module and name with two %s. */
static wasm_trap_t *import_trap(wasm_store_t *store, const char *fmt, const kiln_import *imp) {
    char text[512];
    snprintf(text, sizeof text, fmt, imp->module.chars, imp->name.chars);
    return trap_text(store, text);
}

static bool externs_equal(const wasm_extern_t *a, const wasm_extern_t *b) {
    kiln_extern x = extern_to_kiln(a), y = extern_to_kiln(b);
    return x.kind == y.kind && x.of.func == y.of.func;
}

static bool names_equal(const kiln_name *a, const kiln_name *b) {
    return a->len == b->len && memcmp(a->chars, b->chars, a->len) == 0;
}

/* kiln binds imports by name: two imports with one name must be given
 * one value. */
static bool import_clashes(const kiln_module *m, const wasm_extern_vec_t *imports, uint32_t i) {
    const kiln_import *imp = &m->imports[i];
    for (uint32_t j = 0; j < i; j++)
        if (names_equal(&m->imports[j].module, &imp->module) &&
            names_equal(&m->imports[j].name, &imp->name) &&
            !externs_equal(imports->data[j], imports->data[i]))
            return true;
    return false;
}

/* Why import `i` cannot be defined (a printf format for its module and
 * name), or NULL once it is. */
static const char *import_define(kiln_linker *l, const kiln_module *m,
                                 const wasm_extern_vec_t *imports, uint32_t i) {
    const kiln_import *imp = &m->imports[i];
    const wasm_extern_t *e = imports->data[i];
    if (!e) return "import \"%s\".\"%s\" is missing";
    if (wasm_extern_kind(e) != externkind_from_kiln(imp->kind))
        return "incompatible import type \"%s\".\"%s\": another kind of extern";
    if (strlen(imp->module.chars) != imp->module.len || strlen(imp->name.chars) != imp->name.len)
        return "import \"%s\".\"%s\": names with NUL bytes are not supported";
    if (import_clashes(m, imports, i))
        return "imports \"%s\".\"%s\" given different values: kiln binds imports by name";
    if (!kiln_linker_define(l, imp->module.chars, imp->name.chars, extern_to_kiln(e)))
        return "import \"%s\".\"%s\": out of memory";
    return NULL;
}

static kiln_linker *linker_make(wasm_store_t *store, const kiln_module *m,
                                const wasm_extern_vec_t *imports, wasm_trap_t **trap) {
    if (!imports || imports->size < m->num_imports) {
        *trap = trap_text(store, "the module has more imports than were given");
        return NULL;
    }
    kiln_linker *l = kiln_linker_new();
    for (uint32_t i = 0; l && i < m->num_imports; i++) {
        const char *why = import_define(l, m, imports, i);
        if (!why) continue;
        *trap = import_trap(store, why, &m->imports[i]);
        kiln_linker_free(l);
        return NULL;
    }
    return l;
}

static wasm_instance_t *instance_wrap(wasm_store_t *store, const wasm_module_t *module,
                                      kiln_instance *inst) {
    wasm_instance_t *i = malloc(sizeof *i);
    if (!i) {
        kiln_instance_free(inst);
        return NULL;
    }
    obj_init(&i->obj, CAPI_INSTANCE, store);
    i->inst = inst;
    i->c = module->c;
    atomic_fetch_add(&i->c->refs, 1);
    return i;
}

wasm_instance_t *wasm_instance_new(wasm_store_t *store, const wasm_module_t *module,
                                   const wasm_extern_vec_t *imports, wasm_trap_t **trap) {
    wasm_trap_t *why = NULL;
    kiln_linker *l = linker_make(store, module->c->m, imports, &why);
    kiln_instance *inst = NULL;
    kiln_instantiate_error err;
    if (l) {
        inst = kiln_instantiate(module->c->lib.desc, l, &err);
        if (!inst && err.kind == KILN_INST_TRAP)
            why = trap_from_kiln(store, err.message, module->c->lib.desc, NULL);
        else if (!inst)
            why = trap_text(store, err.message);
        kiln_linker_free(l);
    }
    if (trap) *trap = why;
    else wasm_trap_delete(why);
    return inst ? instance_wrap(store, module, inst) : NULL;
}

void instance_drop(wasm_instance_t *i) {
    kiln_instance_free(i->inst);
    compiled_release(i->c);
}

void wasm_instance_exports(const wasm_instance_t *instance, wasm_extern_vec_t *out) {
    const kiln_module *m = instance->c->m;
    wasm_extern_vec_new_uninitialized(out, m->num_exports);
    for (size_t i = 0; i < out->size; i++) {
        const kiln_export *ex = &m->exports[i];
        kiln_extern value;
        if (kiln_instance_export_len(instance->inst, ex->name.chars, ex->name.len, &value))
            out->data[i] = extern_from_export((wasm_instance_t *)instance, m, ex, value);
    }
}
