/* linker.c - the names imports are resolved against.
 *
 * A flat list of (module, name) -> value entries; a host function entry
 * keeps its callback and canonical type id until some module imports it
 * (only then does it get a funcref: the code of a host funcref is the
 * importing module's typed import thunk).  The linker holds a reference
 * on every object it names, and a handle on its group (group.c): a table
 * or global may hold its definer's function references. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct kiln_linker {
    link_entry *entries;
    uint32_t count, cap;
    /* Open addressing over (module, name): entry position + 1, 0 empty; a
     * power of two at least twice `count`.  Until 6 December every lookup
     * scanned the entries: registering an instance of 100,000 exports and
     * linking a module of 20,000 imports against it took 50 s of host code
     * in kiln-spec. */
    uint32_t *index;
    uint32_t index_cap;
};

kiln_linker *kiln_linker_new(void) { return calloc(1, sizeof(kiln_linker)); }

/* The group an entry's object belongs to (NULL: a memory, or a table or
 * global that holds no function or exception references): each entry is
 * one of the group's handles. */
static kiln_group *extern_group(const kiln_extern *e) {
    switch (e->kind) {
    case KILN_EXTERN_FUNC: return funcref_owner(e->of.func)->group;
    case KILN_EXTERN_TABLE: return e->of.table->group;
    case KILN_EXTERN_GLOBAL: return e->of.global->group;
    case KILN_EXTERN_TAG: return e->of.tag->owner->group;
    default: return NULL;
    }
}

static void extern_retain(const kiln_extern *e) {
    group_retain(extern_group(e));
    switch (e->kind) {
    case KILN_EXTERN_TABLE: table_retain(e->of.table); break;
    case KILN_EXTERN_MEMORY: memory_retain(e->of.memory); break;
    case KILN_EXTERN_GLOBAL: global_retain(e->of.global); break;
    default: break; /* functions and tags live in their instance */
    }
}

/* The group is read first: releasing the object may free it. */
static void extern_release(const kiln_extern *e) {
    kiln_group *g = extern_group(e);
    switch (e->kind) {
    case KILN_EXTERN_TABLE: table_release(e->of.table); break;
    case KILN_EXTERN_MEMORY: memory_release(e->of.memory); break;
    case KILN_EXTERN_GLOBAL: global_release(e->of.global); break;
    default: break;
    }
    group_release(g);
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
    free(l->index);
    free(l);
}

static bool name_is(const kiln_name *a, const kiln_name *b) {
    return a->len == b->len && memcmp(a->chars, b->chars, a->len) == 0;
}

static uint64_t name_hash(uint64_t h, const kiln_name *n) {
    h = (h ^ n->len) * 1099511628211ull;
    for (uint32_t i = 0; i < n->len; i++) h = (h ^ (uint8_t)n->chars[i]) * 1099511628211ull;
    return h;
}

static uint32_t entry_slot_of(const kiln_linker *l, const kiln_name *module, const kiln_name *name) {
    return hash_slot(name_hash(name_hash(1469598103934665603ull, module), name), l->index_cap);
}

static void index_put(kiln_linker *l, uint32_t pos) {
    uint32_t at = entry_slot_of(l, &l->entries[pos].module, &l->entries[pos].name);
    while (l->index[at]) at = (at + 1) & (l->index_cap - 1);
    l->index[at] = pos + 1;
}

static void index_refill(kiln_linker *l) {
    memset(l->index, 0, sizeof *l->index * l->index_cap);
    for (uint32_t i = 0; i < l->count; i++) index_put(l, i);
}

/* Makes room in the index for `count` entries: at least twice as many slots. */
static bool index_reserve(kiln_linker *l, uint32_t count) {
    if ((uint64_t)count * 2 <= l->index_cap) return true;
    uint32_t cap = l->index_cap ? l->index_cap : 32;
    while ((uint64_t)count * 2 > cap) cap *= 2;
    uint32_t *index = calloc(cap, sizeof *index);
    if (!index) return false;
    free(l->index);
    l->index = index;
    l->index_cap = cap;
    index_refill(l);
    return true;
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
    if (!l || !l->index_cap) return NULL;
    for (uint32_t at = entry_slot_of(l, module, name); l->index[at]; at = (at + 1) & (l->index_cap - 1)) {
        const link_entry *e = &l->entries[l->index[at] - 1];
        if (name_is(&e->module, module) && name_is(&e->name, name)) return e;
    }
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
    if (!e && !index_reserve(l, l->count + 1)) return NULL;
    if (!e && l->count == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 16;
        link_entry *bigger = realloc(l->entries, sizeof *bigger * cap);
        if (!bigger) return NULL;
        l->entries = bigger;
        l->cap = cap;
    }
    bool added = !e;
    if (added) e = &l->entries[l->count++];
    *e = (link_entry){.is_host = true}; /* nothing to release yet */
    if (!name_copy(&e->module, module) || !name_copy(&e->name, name)) {
        free((char *)e->module.chars);
        *e = l->entries[--l->count];
        index_refill(l); /* the last entry moved into this one's place */
        return NULL;
    }
    if (added) index_put(l, (uint32_t)(e - l->entries));
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

bool linker_define_host(kiln_linker *l, const kiln_name *module, const kiln_name *name,
                        link_host_func host) {
    link_entry *e = entry_slot(l, module, name);
    if (!e) return false;
    e->is_host = true;
    e->host = host;
    return true;
}

bool kiln_linker_define_func(kiln_linker *l, const char *module, const char *name,
                             const kiln_signature *sig, kiln_host_callback callback, void *env) {
    uint32_t id = type_intern(sig->num_params, sig->params, sig->num_results, sig->results);
    kiln_name m = name_of(module), n = name_of(name);
    return id && linker_define_host(l, &m, &n, (link_host_func){callback, env, id, sig->num_params});
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
        instance_export_at(inst, i, &value); /* by index: export names are unique */
        if (!define_named(l, &mod, &m->exports[i].name, value)) return false;
    }
    return true;
}
