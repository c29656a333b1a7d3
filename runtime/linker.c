/* linker.c - the names imports are resolved against.
 *
 * A flat list of (module, name) -> value entries; a host function entry
 * keeps its callback and canonical type id until some module imports it
 * (only then does it get a funcref: the code of a host funcref is the
 * importing module's typed import thunk).  The linker holds a reference
 * on every object it names. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct kiln_linker {
    link_entry *entries;
    uint32_t count, cap;
};

kiln_linker *kiln_linker_new(void) { return calloc(1, sizeof(kiln_linker)); }

static void extern_retain(const kiln_extern *e) {
    switch (e->kind) {
    case KILN_EXTERN_FUNC: instance_retain(funcref_owner(e->of.func)); break;
    case KILN_EXTERN_TABLE: table_retain(e->of.table); break;
    case KILN_EXTERN_MEMORY: memory_retain(e->of.memory); break;
    case KILN_EXTERN_GLOBAL: global_retain(e->of.global); break;
    case KILN_EXTERN_TAG: instance_retain(e->of.tag->owner); break;
    }
}

static void extern_release(const kiln_extern *e) {
    switch (e->kind) {
    case KILN_EXTERN_FUNC: kiln_instance_free(funcref_owner(e->of.func)); break;
    case KILN_EXTERN_TABLE: table_release(e->of.table); break;
    case KILN_EXTERN_MEMORY: memory_release(e->of.memory); break;
    case KILN_EXTERN_GLOBAL: global_release(e->of.global); break;
    case KILN_EXTERN_TAG: kiln_instance_free(e->of.tag->owner); break;
    }
}

static void entry_clear(link_entry *e) {
    if (!e->is_host) extern_release(&e->value);
    free((char *)e->module.chars);
    free((char *)e->name.chars);
}

void kiln_linker_free(kiln_linker *l) {
    if (!l) return;
    for (uint32_t i = 0; i < l->count; i++) entry_clear(&l->entries[i]);
    free(l->entries);
    free(l);
}

static bool name_is(const kiln_name *a, const kiln_name *b) {
    return a->len == b->len && memcmp(a->chars, b->chars, a->len) == 0;
}

static kiln_name name_of(const char *s) { return (kiln_name){s, (uint32_t)strlen(s)}; }

static bool name_copy(kiln_name *out, const kiln_name *in) {
    char *chars = malloc((size_t)in->len + 1);
    if (!chars) return false;
    memcpy(chars, in->chars, in->len);
    chars[in->len] = 0;
    *out = (kiln_name){chars, in->len};
    return true;
}

const link_entry *linker_find(const kiln_linker *l, const kiln_name *module,
                              const kiln_name *name) {
    if (!l) return NULL;
    for (uint32_t i = 0; i < l->count; i++)
        if (name_is(&l->entries[i].module, module) && name_is(&l->entries[i].name, name))
            return &l->entries[i];
    return NULL;
}

bool kiln_linker_contains(const kiln_linker *l, const char *module, const char *name) {
    kiln_name m = name_of(module), n = name_of(name);
    return linker_find(l, &m, &n) != NULL;
}

/* Finds the entry for (module, name), or adds an empty one.  An entry
 * being redefined is cleared first. */
static link_entry *entry_slot(kiln_linker *l, const kiln_name *module, const kiln_name *name) {
    link_entry *e = (link_entry *)linker_find(l, module, name);
    if (e) entry_clear(e);
    if (!e && l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        link_entry *bigger = realloc(l->entries, sizeof *bigger * cap);
        if (!bigger) return NULL;
        l->entries = bigger;
        l->cap = cap;
    }
    if (!e) e = &l->entries[l->count++];
    *e = (link_entry){.is_host = true}; /* nothing to release yet */
    if (!name_copy(&e->module, module) || !name_copy(&e->name, name)) {
        free((char *)e->module.chars);
        *e = l->entries[--l->count];
        return NULL;
    }
    return e;
}

static bool define_named(kiln_linker *l, const kiln_name *module, const kiln_name *name,
                         kiln_extern value) {
    if (value.kind > KILN_EXTERN_TAG || !value.of.func) return false;
    link_entry *e = entry_slot(l, module, name);
    if (!e) return false;
    e->is_host = false;
    e->value = value;
    extern_retain(&value);
    return true;
}

bool kiln_linker_define_func(kiln_linker *l, const char *module, const char *name,
                             const kiln_signature *sig, kiln_host_callback callback, void *env) {
    uint32_t id = type_intern(sig->num_params, sig->params, sig->num_results, sig->results);
    kiln_name m = name_of(module), n = name_of(name);
    if (!id) return false;
    link_entry *e = entry_slot(l, &m, &n);
    if (!e) return false;
    e->is_host = true;
    e->host = (link_host_func){callback, env, id, sig->num_params};
    return true;
}

bool kiln_linker_define(kiln_linker *l, const char *module, const char *name, kiln_extern value) {
    kiln_name m = name_of(module), n = name_of(name);
    return define_named(l, &m, &n, value);
}

bool kiln_linker_define_instance(kiln_linker *l, const char *module, kiln_instance *inst) {
    const kiln_module *m = inst->module;
    kiln_name mod = name_of(module);
    for (uint32_t i = 0; i < m->num_exports; i++) {
        kiln_extern value;
        const kiln_name *name = &m->exports[i].name;
        if (!kiln_instance_export_len(inst, name->chars, name->len, &value) ||
            !define_named(l, &mod, name, value))
            return false;
    }
    return true;
}
