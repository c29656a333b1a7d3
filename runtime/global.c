/* global.c - global cells.
 *
 * Every global, defined or imported, is one heap cell; vmctx->globals[i]
 * points at it.  An import shares the exporter's cell, so a mutable
 * global written by one instance is seen by every importer. */
#include <stdlib.h>

#include "runtime.h"

kiln_global_inst *global_create(kiln_globaltype type, kiln_val value) {
    kiln_global_inst *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->cell = value;
    g->type = type;
    g->ref = rt_reftype_abi(type.valtype);
    g->refcount = 1;
    return g;
}

void global_retain(kiln_global_inst *g) { g->refcount++; }

void global_release(kiln_global_inst *g) {
    if (g && --g->refcount == 0) free(g);
}

/* As kiln_table_new: a global of references gets a group node of its own,
 * held by the host's handle, and joins the group of its first value. */
kiln_global_inst *kiln_global_new(uint8_t valtype, bool is_mutable, kiln_val value) {
    kiln_global_inst *g = global_create((kiln_globaltype){valtype, is_mutable}, value);
    if (!g || !code_names_instance(valtype)) return g;
    if (!(g->group = group_new(NULL))) {
        global_release(g);
        return NULL;
    }
    group_join_ref(g->group, valtype, value.ref);
    return g;
}

/* As kiln_table_free. */
void kiln_global_free(kiln_global_inst *g) {
    kiln_group *group = g ? g->group : NULL;
    global_release(g);
    group_release(group);
}
kiln_val kiln_global_get(kiln_global_inst *g) { return g->cell; }
/* A reference of another type is refused: wasm code trusts a (ref $t)
 * global to hold a function of type $t (call_ref checks only null).  One
 * of another group joins the groups, as kiln_table_set does. */
bool kiln_global_set(kiln_global_inst *g, kiln_val value) {
    if (valtype_is_ref(g->type.valtype) && !rt_ref_fits(g->ref, value.ref)) return false;
    group_join_ref(g->group, g->type.valtype, value.ref);
    g->cell = value;
    return true;
}
