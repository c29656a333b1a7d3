/* header.c - the C header `kiln compile --header` writes.
 *
 * For a module compiled with prefix P it declares the descriptor
 * P_module and gives the host typed access to both sides:
 *
 *   imports  each function import "m" "n" becomes a prototype
 *                uint32_t P_import_m_n(void *env, kiln_instance *caller,
 *                                      params..., results *...)
 *            that the host implements, an adapter P_callback_m_n (a
 *            kiln_host_callback) and P_define_import_m_n(linker, env),
 *            which defines it; P_define_imports(linker, env) defines them
 *            all.  Other imports are listed for kiln_linker_define.
 *   exports  P_exports holds the function exports of one instance,
 *            resolved once (name and signature) by P_bind(inst, &x);
 *                uint32_t P_<export>(const P_exports *, params..., results *...)
 *            calls one.  P_export_<export>(inst) is the lookup alone, and
 *            P_call_<export>(inst, ...) a call that looks up every time.
 *
 * Calls return KILN_TRAP_NONE, the trap kind, or KILN_EXPORT_MISSING.
 * Names become C identifiers (other bytes -> '_'); a suffix _<index>
 * keeps names that sanitise alike apart, and keeps P_<export> off the
 * identifiers above. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "kiln.h"

/* kiln.h's public kinds are the compiler's own. */
_Static_assert((int)KILN_EXTERNKIND_FUNC == (int)KILN_EXTERN_FUNC, "kiln_externkind drifted");
_Static_assert((int)KILN_EXTERNKIND_TABLE == (int)KILN_EXTERN_TABLE, "kiln_externkind drifted");
_Static_assert((int)KILN_EXTERNKIND_MEMORY == (int)KILN_EXTERN_MEMORY, "kiln_externkind drifted");
_Static_assert((int)KILN_EXTERNKIND_GLOBAL == (int)KILN_EXTERN_GLOBAL, "kiln_externkind drifted");
_Static_assert((int)KILN_EXTERNKIND_TAG == (int)KILN_EXTERN_TAG, "kiln_externkind drifted");
_Static_assert(KILN_EXPORT_MISSING >= KILN_TRAP_KIND_COUNT, "KILN_EXPORT_MISSING is a trap kind");

static const char *c_type(uint8_t vt) {
    switch (vt) {
    case KILN_I32: return "int32_t";
    case KILN_I64: return "int64_t";
    case KILN_F32: return "float";
    case KILN_F64: return "double";
    case KILN_V128: return "kiln_val"; /* .v128 holds the 16 bytes */
    default: return "void *";
    }
}

static const char *valtype_const(uint8_t vt) {
    switch (vt) {
    case KILN_I32: return "KILN_I32";
    case KILN_I64: return "KILN_I64";
    case KILN_F32: return "KILN_F32";
    case KILN_F64: return "KILN_F64";
    case KILN_V128: return "KILN_V128";
    case KILN_FUNCREF: return "KILN_FUNCREF";
    case KILN_EXNREF: return "KILN_EXNREF";
    default: return "KILN_EXTERNREF";
    }
}

/* `array[i]` as the C value of type vt: a member of the slot, or the
 * whole slot for v128. */
static void slot_put(FILE *f, const char *array, uint32_t i, uint8_t vt) {
    switch (vt) {
    case KILN_I32: fprintf(f, "%s[%u].i32", array, i); break;
    case KILN_I64: fprintf(f, "%s[%u].i64", array, i); break;
    case KILN_F32: fprintf(f, "%s[%u].f32", array, i); break;
    case KILN_F64: fprintf(f, "%s[%u].f64", array, i); break;
    case KILN_V128: fprintf(f, "%s[%u]", array, i); break;
    default: fprintf(f, "%s[%u].ref", array, i); break;
    }
}

/* Writes `n` as a C string literal body. */
static void c_string_put(FILE *f, const kiln_name *n) {
    for (uint32_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->chars[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '?') fprintf(f, "\\%03o", c);
        else fputc(c, f);
    }
}

/* Comments must not contain "*" "/": print names safely there too. */
static void comment_name_put(FILE *f, const kiln_name *n) {
    fputc('"', f);
    for (uint32_t i = 0; i < n->len; i++) {
        unsigned char c = (unsigned char)n->chars[i];
        fputc(c >= 0x20 && c < 0x7f && c != '*' && c != '/' ? c : '_', f);
    }
    fputc('"', f);
}

static void functype_put(FILE *f, const kiln_functype *t) {
    fputs("(", f);
    for (uint32_t i = 0; i < t->num_params; i++) fprintf(f, "%s%s", i ? ", " : "", valtype_name(t->params[i]));
    fputs(") -> (", f);
    for (uint32_t i = 0; i < t->num_results; i++) fprintf(f, "%s%s", i ? ", " : "", valtype_name(t->results[i]));
    fputs(")", f);
}

/* ", int32_t a0, ..., int64_t *r0, ...": the typed tail of every wrapper,
 * import prototype and callback call. */
static void typed_params_put(FILE *f, const kiln_functype *t) {
    for (uint32_t i = 0; i < t->num_params; i++) {
        const char *ty = c_type(t->params[i]);
        fprintf(f, ", %s%sa%u", ty, ty[strlen(ty) - 1] == '*' ? "" : " ", i);
    }
    for (uint32_t i = 0; i < t->num_results; i++) fprintf(f, ", %s *r%u", c_type(t->results[i]), i);
}

/* The local `sig` (a kiln_signature) of type t, for a function body. */
static void signature_put(FILE *f, const kiln_functype *t) {
    const uint8_t *types[2] = {t->params, t->results};
    uint32_t counts[2] = {t->num_params, t->num_results};
    static const char *const names[2] = {"params", "results"};
    for (int k = 0; k < 2; k++) {
        if (!counts[k]) continue;
        fprintf(f, "    static const uint8_t %s[] = {", names[k]);
        for (uint32_t i = 0; i < counts[k]; i++) fprintf(f, "%s%s", i ? ", " : "", valtype_const(types[k][i]));
        fputs("};\n", f);
    }
    fprintf(f, "    const kiln_signature sig = {%u, %u, %s, %s};\n", t->num_params, t->num_results,
            t->num_params ? "params" : "NULL", t->num_results ? "results" : "NULL");
}

/* ---- identifiers ------------------------------------------------------------ *
 *
 * Computed once for the whole header: sorting finds the names that
 * sanitise alike, so a module with many exports costs O(n log n). */

typedef struct header_names {
    char **exports; /* per export: the sanitised name; NULL unless a function */
    char **bound;   /* per export: the same, off the names the header reserves */
    char **imports; /* per import: <module>_<name>; NULL unless typed helpers */
} header_names;

typedef struct header {
    FILE *f;
    const kiln_module *m;
    const char *prefix;
    header_names names;
} header;

enum { IDENT_CAP = 200 };

/* Appends `n` to out[0..k) as identifier characters (other bytes -> '_'). */
static size_t ident_append(char *out, size_t k, const kiln_name *n) {
    for (uint32_t i = 0; i < n->len && i < IDENT_CAP; i++) {
        char c = n->chars[i];
        out[k++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
    }
    return k;
}

/* A malloc'ed identifier: `a`, or `a`_`b` when b is not NULL. */
static char *ident_new(const kiln_name *a, const kiln_name *b) {
    char *out = malloc(2 * IDENT_CAP + 2);
    if (!out) return NULL;
    size_t k = ident_append(out, 0, a);
    if (b) {
        out[k++] = '_';
        k = ident_append(out, k, b);
    }
    out[k] = 0;
    return out;
}

static bool ident_suffix(char **id, uint32_t index) {
    size_t k = strlen(*id);
    char *grown = realloc(*id, k + 12);
    if (!grown) return false;
    snprintf(grown + k, 12, "_%u", index);
    *id = grown;
    return true;
}

typedef struct ident_ref {
    const char *id;
    uint32_t index;
} ident_ref;

static int ident_ref_order(const void *a, const void *b) {
    const ident_ref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* The ids[] that are not NULL, with their indices, sorted by id, then
 * index; *n of them.  NULL when out of memory. */
static ident_ref *idents_sorted(char *const *ids, uint32_t count, uint32_t *n) {
    ident_ref *refs = malloc((count ? count : 1) * sizeof *refs);
    if (!refs) return NULL;
    *n = 0;
    for (uint32_t i = 0; i < count; i++)
        if (ids[i]) refs[(*n)++] = (ident_ref){ids[i], i};
    qsort(refs, *n, sizeof *refs, ident_ref_order);
    return refs;
}

/* Of the ids[] (NULL ones skipped) that are equal, all but the first get
 * _<their index>. */
static bool idents_unique(char **ids, uint32_t count) {
    uint32_t n;
    ident_ref *refs = idents_sorted(ids, count, &n);
    if (!refs) return false;
    bool ok = true;
    for (uint32_t k = 1, head = 0; k < n && ok; k++) {
        if (strcmp(refs[k].id, refs[head].id) != 0) head = k;
        else ok = ident_suffix(&ids[refs[k].index], refs[k].index);
    }
    free(refs);
    return ok;
}

/* P_<export> shares P_ with every other name the header defines. */
static bool ident_reserved(const char *id) {
    static const char *const whole[] = {"module", "exports", "bind", "define_imports"};
    static const char *const starts[] = {"call_", "export_", "import_", "define_import_", "callback_"};
    for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
        if (strcmp(id, whole[i]) == 0) return true;
    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++)
        if (strncmp(id, starts[i], strlen(starts[i])) == 0) return true;
    return false;
}

static bool export_names_make(const kiln_module *m, header_names *h) {
    for (uint32_t e = 0; e < m->num_exports; e++) {
        if (m->exports[e].kind != KILN_EXTERN_FUNC) continue;
        if (!(h->exports[e] = ident_new(&m->exports[e].name, NULL))) return false;
    }
    if (!idents_unique(h->exports, m->num_exports)) return false;
    for (uint32_t e = 0; e < m->num_exports; e++) {
        if (!h->exports[e]) continue;
        if (!(h->bound[e] = strdup(h->exports[e]))) return false;
        if (ident_reserved(h->bound[e]) && !ident_suffix(&h->bound[e], e)) return false;
    }
    return true;
}

/* Function imports get typed helpers, except a repeat of an earlier
 * (module, name), which one linker definition serves, and names with NUL
 * bytes, which kiln_linker_define_func cannot take.  keys[i] is
 * "<module length>:<module><name>", equal exactly when both names are. */
static bool import_names_make(const kiln_module *m, header_names *h) {
    char **keys = calloc(m->num_imports + 1, sizeof *keys);
    bool ok = keys != NULL;
    for (uint32_t i = 0; ok && i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        if (imp->kind != KILN_EXTERN_FUNC || memchr(imp->module.chars, 0, imp->module.len) ||
            memchr(imp->name.chars, 0, imp->name.len))
            continue;
        size_t size = (size_t)imp->module.len + imp->name.len + 16;
        ok = (keys[i] = malloc(size)) != NULL;
        if (ok) snprintf(keys[i], size, "%u:%s%s", imp->module.len, imp->module.chars, imp->name.chars);
    }
    uint32_t n = 0;
    ident_ref *refs = ok ? idents_sorted(keys, m->num_imports, &n) : NULL;
    ok = refs != NULL;
    for (uint32_t k = 0; ok && k < n; k++) {
        if (k && strcmp(refs[k].id, refs[k - 1].id) == 0) continue;
        const kiln_import *imp = &m->imports[refs[k].index];
        ok = (h->imports[refs[k].index] = ident_new(&imp->module, &imp->name)) != NULL;
    }
    free(refs);
    for (uint32_t i = 0; keys && i < m->num_imports; i++) free(keys[i]);
    free(keys);
    return ok && idents_unique(h->imports, m->num_imports);
}

static void header_names_free(header_names *h, const kiln_module *m) {
    for (uint32_t e = 0; h->exports && e < m->num_exports; e++) free(h->exports[e]);
    for (uint32_t e = 0; h->bound && e < m->num_exports; e++) free(h->bound[e]);
    for (uint32_t i = 0; h->imports && i < m->num_imports; i++) free(h->imports[i]);
    free(h->exports);
    free(h->bound);
    free(h->imports);
}

static bool header_names_make(const kiln_module *m, header_names *h) {
    h->exports = calloc(m->num_exports + 1, sizeof *h->exports);
    h->bound = calloc(m->num_exports + 1, sizeof *h->bound);
    h->imports = calloc(m->num_imports + 1, sizeof *h->imports);
    return h->exports && h->bound && h->imports && export_names_make(m, h) && import_names_make(m, h);
}

/* ---- imports ------------------------------------------------------------------- */

static void import_desc_put(FILE *f, const kiln_module *m, const kiln_import *imp) {
    fprintf(f, " *   %s ", module_extern_kind_name(imp->kind));
    comment_name_put(f, &imp->module);
    fputc(' ', f);
    comment_name_put(f, &imp->name);
    fputs(": ", f);
    if (imp->kind == KILN_EXTERN_FUNC) functype_put(f, &m->types[imp->desc.type_index]);
    else if (imp->kind == KILN_EXTERN_TAG) functype_put(f, &m->types[imp->desc.tag_type]);
    else if (imp->kind == KILN_EXTERN_GLOBAL)
        fprintf(f, "%s%s", imp->desc.global.is_mutable ? "mut " : "", valtype_name(imp->desc.global.valtype));
    else {
        const kiln_limits *l = imp->kind == KILN_EXTERN_TABLE ? &imp->desc.table.limits : &imp->desc.memory.limits;
        fprintf(f, "min %llu", (unsigned long long)l->min);
        if (l->has_max) fprintf(f, " max %llu", (unsigned long long)l->max);
    }
    fputc('\n', f);
}

static void imports_list_put(const header *h) {
    FILE *f = h->f;
    if (h->m->num_imports == 0) {
        fputs("/* The module has no imports. */\n\n", f);
        return;
    }
    fprintf(f, "/* Imports the host must define in its kiln_linker before kiln_instantiate.\n"
               " * Implement each function import as %s_import_<module>_<name> (below)\n"
               " * and define it with %s_define_import_<module>_<name>(linker, env), or\n"
               " * all of them with %s_define_imports(linker, env); the others take\n"
               " * kiln_linker_define (WASI's: kiln_wasi_define):\n",
            h->prefix, h->prefix, h->prefix);
    for (uint32_t i = 0; i < h->m->num_imports; i++) import_desc_put(f, h->m, &h->m->imports[i]);
    fputs(" */\n\n", f);
}

/* The adapter from kiln_val slots to the host's typed function. */
static void import_callback_put(const header *h, const char *id, const kiln_functype *t) {
    FILE *f = h->f;
    fprintf(f, "static inline uint32_t %s_callback_%s(void *env, kiln_instance *caller, "
               "const kiln_val *args, kiln_val *results) {\n",
            h->prefix, id);
    if (!t->num_params) fputs("    (void)args;\n", f);
    if (!t->num_results) fputs("    (void)results;\n", f);
    fprintf(f, "    return %s_import_%s(env, caller", h->prefix, id);
    for (uint32_t i = 0; i < t->num_params; i++) {
        fputs(", ", f);
        slot_put(f, "args", i, t->params[i]);
    }
    for (uint32_t i = 0; i < t->num_results; i++) {
        fputs(", &", f);
        slot_put(f, "results", i, t->results[i]);
    }
    fputs(");\n}\n", f);
}

static void import_typed_put(const header *h, uint32_t i) {
    FILE *f = h->f;
    const kiln_import *imp = &h->m->imports[i];
    const kiln_functype *t = &h->m->types[imp->desc.type_index];
    const char *id = h->names.imports[i];
    fputs("/* import ", f);
    comment_name_put(f, &imp->module);
    fputc(' ', f);
    comment_name_put(f, &imp->name);
    fputs(": ", f);
    functype_put(f, t);
    fprintf(f, " */\nuint32_t %s_import_%s(void *env, kiln_instance *caller", h->prefix, id);
    typed_params_put(f, t);
    fputs(");\n", f);
    import_callback_put(h, id, t);
    fprintf(f, "static inline bool %s_define_import_%s(kiln_linker *l, void *env) {\n", h->prefix, id);
    signature_put(f, t);
    fputs("    return kiln_linker_define_func(l, \"", f);
    c_string_put(f, &imp->module);
    fputs("\", \"", f);
    c_string_put(f, &imp->name);
    fprintf(f, "\", &sig, %s_callback_%s, env);\n}\n\n", h->prefix, id);
}

static void define_imports_put(const header *h) {
    FILE *f = h->f;
    fprintf(f, "/* Defines every function import above, each with `env`. */\n"
               "static inline bool %s_define_imports(kiln_linker *l, void *env) {\n",
            h->prefix);
    bool any = false;
    for (uint32_t i = 0; i < h->m->num_imports; i++) {
        if (!h->names.imports[i]) continue;
        fprintf(f, "%s%s_define_import_%s(l, env)", any ? " &&\n           " : "    return ", h->prefix,
                h->names.imports[i]);
        any = true;
    }
    fputs(any ? ";\n}\n\n" : "    (void)l;\n    (void)env;\n    return true;\n}\n\n", f);
}

static void imports_put(const header *h) {
    imports_list_put(h);
    for (uint32_t i = 0; i < h->m->num_imports; i++)
        if (h->names.imports[i]) import_typed_put(h, i);
    define_imports_put(h);
}

/* ---- exports ------------------------------------------------------------------- */

static uint32_t func_exports_count(const kiln_module *m) {
    uint32_t n = 0;
    for (uint32_t e = 0; e < m->num_exports; e++) n += m->exports[e].kind == KILN_EXTERN_FUNC;
    return n;
}

static void exports_struct_put(const header *h) {
    FILE *f = h->f;
    uint32_t n = func_exports_count(h->m);
    fprintf(f, "/* The function exports of one instance, resolved once by %s_bind();\n"
               " * plain data afterwards, valid while the instance lives. */\n"
               "typedef struct %s_exports {\n    kiln_instance *instance;\n",
            h->prefix, h->prefix);
    for (uint32_t e = 0, j = 0; e < h->m->num_exports; e++) {
        if (!h->names.exports[e]) continue;
        fprintf(f, "    /* func[%u]: ", j++);
        comment_name_put(f, &h->m->exports[e].name);
        fputs(" */\n", f);
    }
    fprintf(f, "    const kiln_func_ref *func[%u]; /* NULL: the instance lacks it */\n} %s_exports;\n\n",
            n ? n : 1, h->prefix);
}

/* P_export_<export>(inst): the lookup, name and signature. */
static void export_lookup_put(const header *h, uint32_t e, const kiln_functype *t) {
    FILE *f = h->f;
    const kiln_export *ex = &h->m->exports[e];
    fputs("/* export ", f);
    comment_name_put(f, &ex->name);
    fputs(": ", f);
    functype_put(f, t);
    fprintf(f, " */\nstatic inline const kiln_func_ref *%s_export_%s(kiln_instance *inst) {\n", h->prefix,
            h->names.exports[e]);
    signature_put(f, t);
    fputs("    return kiln_instance_export_func(inst, \"", f);
    c_string_put(f, &ex->name);
    fprintf(f, "\", %u, &sig);\n}\n", ex->name.len);
}

/* P_<export>(x, ...): the call through the resolved func[j]. */
static void export_bound_put(const header *h, uint32_t e, const kiln_functype *t, uint32_t j) {
    FILE *f = h->f;
    uint32_t n = t->num_params > t->num_results ? t->num_params : t->num_results;
    fprintf(f, "static inline uint32_t %s_%s(const %s_exports *x", h->prefix, h->names.bound[e], h->prefix);
    typed_params_put(f, t);
    fprintf(f, ") {\n    if (!x->func[%u]) return KILN_EXPORT_MISSING;\n    kiln_val slots[%u];\n", j,
            n ? n : 1);
    for (uint32_t i = 0; i < t->num_params; i++) {
        fputs("    ", f);
        slot_put(f, "slots", i, t->params[i]);
        fprintf(f, " = a%u;\n", i);
    }
    fprintf(f, "    uint32_t trap = kiln_call(x->instance, x->func[%u], slots);\n", j);
    for (uint32_t i = 0; i < t->num_results; i++) {
        fprintf(f, "    if (trap == KILN_TRAP_NONE && r%u) *r%u = ", i, i);
        slot_put(f, "slots", i, t->results[i]);
        fputs(";\n", f);
    }
    fputs("    return trap;\n}\n", f);
}

/* P_call_<export>(inst, ...): a lookup, then the bound call. */
static void export_by_name_put(const header *h, uint32_t e, const kiln_functype *t, uint32_t j) {
    FILE *f = h->f;
    const char *id = h->names.exports[e];
    fprintf(f, "static inline uint32_t %s_call_%s(kiln_instance *inst", h->prefix, id);
    typed_params_put(f, t);
    fprintf(f, ") {\n    %s_exports x = {inst, {NULL}};\n    x.func[%u] = %s_export_%s(inst);\n"
               "    return %s_%s(&x",
            h->prefix, j, h->prefix, id, h->prefix, h->names.bound[e]);
    for (uint32_t i = 0; i < t->num_params; i++) fprintf(f, ", a%u", i);
    for (uint32_t i = 0; i < t->num_results; i++) fprintf(f, ", r%u", i);
    fputs(");\n}\n\n", f);
}

static void bind_put(const header *h) {
    FILE *f = h->f;
    fprintf(f, "/* Resolves every function export of `inst` into *x: KILN_TRAP_NONE, or\n"
               " * KILN_EXPORT_MISSING if some export is missing or has another signature\n"
               " * (its func[] entry is NULL and calls to it return KILN_EXPORT_MISSING). */\n"
               "static inline uint32_t %s_bind(kiln_instance *inst, %s_exports *x) {\n"
               "    uint32_t status = KILN_TRAP_NONE;\n    x->instance = inst;\n",
            h->prefix, h->prefix);
    if (func_exports_count(h->m) == 0) fputs("    x->func[0] = NULL;\n", f);
    for (uint32_t e = 0, j = 0; e < h->m->num_exports; e++) {
        if (!h->names.exports[e]) continue;
        fprintf(f, "    if (!(x->func[%u] = %s_export_%s(inst))) status = KILN_EXPORT_MISSING;\n", j++,
                h->prefix, h->names.exports[e]);
    }
    fputs("    return status;\n}\n\n", f);
}

static void exports_put(const header *h) {
    exports_struct_put(h);
    for (uint32_t e = 0, j = 0; e < h->m->num_exports; e++) {
        if (!h->names.exports[e]) continue;
        const kiln_functype *t = module_func_type(h->m, h->m->exports[e].index);
        export_lookup_put(h, e, t);
        export_bound_put(h, e, t, j);
        export_by_name_put(h, e, t, j);
        j++;
    }
    bind_put(h);
}

static void header_put(const header *h, const char *source) {
    FILE *f = h->f;
    const char *p = h->prefix;
    fprintf(f, "/* %s.h - generated by `kiln compile --header` from %s.  Do not edit.\n"
               " *\n"
               " *   %s_bind(inst, &x) resolves the exports once; %s_<export>(&x, ...)\n"
               " *   calls one and returns KILN_TRAP_NONE, the trap kind, or\n"
               " *   KILN_EXPORT_MISSING.  The host implements %s_import_<module>_<name>\n"
               " *   and defines those imports with %s_define_imports(linker, env). */\n",
            p, source, p, p, p, p);
    fprintf(f, "#ifndef KILN_MODULE_%s_H\n#define KILN_MODULE_%s_H\n\n", p, p);
    fputs("#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n#include \"kiln.h\"\n\n"
          "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", f);
    fprintf(f, "/* Pass to kiln_instantiate(). */\nextern const kiln_module_desc %s_module;\n\n", p);
    imports_put(h);
    exports_put(h);
    fputs("#ifdef __cplusplus\n}\n#endif\n#endif\n", f);
}

bool header_write(const kiln_module *m, const char *prefix, const char *source,
                  const char *header_path, kiln_error *err) {
    header h = {NULL, m, prefix, {NULL, NULL, NULL}};
    if (!header_names_make(m, &h.names)) {
        header_names_free(&h.names, m);
        return error_set(err, KILN_ERR_NOMEM, 0, "out of memory writing %s", header_path);
    }
    h.f = fopen(header_path, "w");
    if (!h.f) {
        header_names_free(&h.names, m);
        return error_set(err, KILN_ERR_IO, 0, "cannot write %s: %s", header_path, strerror(errno));
    }
    header_put(&h, source);
    header_names_free(&h.names, m);
    bool ok = !ferror(h.f);
    if (fclose(h.f) != 0) ok = false;
    if (!ok) return error_set(err, KILN_ERR_IO, 0, "cannot write %s", header_path);
    return true;
}
