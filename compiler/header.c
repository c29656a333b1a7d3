/* header.c - the C header `kiln compile --header` writes.
 *
 * It declares the descriptor, lists the imports the host must bind, and
 * gives every exported function a typed static inline wrapper:
 *     uint32_t <prefix>_call_<export>(kiln_instance *, params..., results*...)
 * that looks the export up, goes through kiln_call and returns the trap
 * kind (KILN_TRAP_NONE on success).  Export names become C identifiers
 * (other bytes -> '_', a numeric suffix when two names collide). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

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

static const char *slot_field(uint8_t vt) {
    switch (vt) {
    case KILN_I32: return "i32";
    case KILN_I64: return "i64";
    case KILN_F32: return "f32";
    case KILN_F64: return "f64";
    case KILN_V128: return NULL; /* whole slot */
    default: return "ref";
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

static void import_desc_put(FILE *f, const kiln_module *m, const kiln_import *imp) {
    static const char *const kinds[] = {"func", "table", "memory", "global"};
    fprintf(f, " *   %s ", imp->kind < 4 ? kinds[imp->kind] : "?");
    comment_name_put(f, &imp->module);
    fputc(' ', f);
    comment_name_put(f, &imp->name);
    fputs(": ", f);
    if (imp->kind == KILN_EXTERN_FUNC) functype_put(f, &m->types[imp->desc.type_index]);
    else if (imp->kind == KILN_EXTERN_GLOBAL)
        fprintf(f, "%s%s", imp->desc.global.is_mutable ? "mut " : "", valtype_name(imp->desc.global.valtype));
    else {
        const kiln_limits *l = imp->kind == KILN_EXTERN_TABLE ? &imp->desc.table.limits : &imp->desc.memory.limits;
        fprintf(f, "min %llu", (unsigned long long)l->min);
        if (l->has_max) fprintf(f, " max %llu", (unsigned long long)l->max);
    }
    fputc('\n', f);
}

static void imports_put(FILE *f, const kiln_module *m) {
    if (m->num_imports == 0) {
        fputs("/* The module has no imports. */\n\n", f);
        return;
    }
    fputs("/* Imports the host must provide through its kiln_linker before\n"
          " * kiln_instantiate (kiln_linker_define_func / kiln_linker_define):\n", f);
    for (uint32_t i = 0; i < m->num_imports; i++) import_desc_put(f, m, &m->imports[i]);
    fputs(" */\n\n", f);
}

/* <prefix>_call_<sanitised name>, with _<export index> if an earlier
 * export sanitises to the same identifier. */
static void wrapper_name(const kiln_module *m, uint32_t e, char *out, size_t cap) {
    const kiln_name *n = &m->exports[e].name;
    size_t k = 0;
    for (uint32_t i = 0; i < n->len && k + 12 < cap; i++) {
        char c = n->chars[i];
        out[k++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_';
    }
    out[k] = 0;
    for (uint32_t j = 0; j < e; j++) {
        if (m->exports[j].kind != KILN_EXTERN_FUNC) continue;
        char other[256];
        wrapper_name(m, j, other, sizeof other);
        if (strcmp(other, out) == 0) {
            snprintf(out + k, cap - k, "_%u", e);
            return;
        }
    }
}

static void wrapper_signature_put(FILE *f, const char *prefix, const char *name, const kiln_functype *t) {
    fprintf(f, "static inline uint32_t %s_call_%s(kiln_instance *inst", prefix, name);
    for (uint32_t i = 0; i < t->num_params; i++) {
        const char *ty = c_type(t->params[i]);
        fprintf(f, ", %s%sa%u", ty, ty[strlen(ty) - 1] == '*' ? "" : " ", i);
    }
    for (uint32_t i = 0; i < t->num_results; i++) fprintf(f, ", %s *r%u", c_type(t->results[i]), i);
    fputs(") {\n", f);
}

static void wrapper_body_put(FILE *f, const kiln_name *export_name, const kiln_functype *t) {
    uint32_t n = t->num_params > t->num_results ? t->num_params : t->num_results;
    fputs("    kiln_extern e;\n    if (!kiln_instance_export_len(inst, \"", f);
    c_string_put(f, export_name);
    fprintf(f, "\", %u, &e) || e.kind != 0) return KILN_TRAP_HOST;\n    kiln_val slots[%u];\n",
            export_name->len, n ? n : 1);
    for (uint32_t i = 0; i < t->num_params; i++) {
        const char *field = slot_field(t->params[i]);
        if (field) fprintf(f, "    slots[%u].%s = a%u;\n", i, field, i);
        else fprintf(f, "    slots[%u] = a%u;\n", i, i);
    }
    fputs("    uint32_t trap = kiln_call(inst, e.of.func, slots);\n", f);
    for (uint32_t i = 0; i < t->num_results; i++) {
        const char *field = slot_field(t->results[i]);
        fprintf(f, "    if (trap == KILN_TRAP_NONE && r%u) *r%u = slots[%u]%s%s;\n", i, i, i,
                field ? "." : "", field ? field : "");
    }
    fputs("    return trap;\n}\n\n", f);
}

static void exports_put(FILE *f, const kiln_module *m, const char *prefix) {
    for (uint32_t e = 0; e < m->num_exports; e++) {
        const kiln_export *ex = &m->exports[e];
        if (ex->kind != KILN_EXTERN_FUNC) continue;
        const kiln_functype *t = module_func_type(m, ex->index);
        fputs("/* export ", f);
        comment_name_put(f, &ex->name);
        fputs(": ", f);
        functype_put(f, t);
        fputs(" */\n", f);
        char name[256];
        wrapper_name(m, e, name, sizeof name);
        wrapper_signature_put(f, prefix, name, t);
        wrapper_body_put(f, &ex->name, t);
    }
}

static void header_put(FILE *f, const kiln_module *m, const char *prefix, const char *source) {
    fprintf(f, "/* %s.h - generated by `kiln compile --header` from %s.  Do not edit. */\n",
            prefix, source);
    fprintf(f, "#ifndef KILN_MODULE_%s_H\n#define KILN_MODULE_%s_H\n\n", prefix, prefix);
    fputs("#include <stdint.h>\n\n#include \"kiln.h\"\n\n"
          "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", f);
    fprintf(f, "/* Pass to kiln_instantiate(). */\nextern const kiln_module_desc %s_module;\n\n", prefix);
    imports_put(f, m);
    exports_put(f, m, prefix);
    fputs("#ifdef __cplusplus\n}\n#endif\n#endif\n", f);
}

bool header_write(const kiln_module *m, const char *prefix, const char *source,
                  const char *header_path, kiln_error *err) {
    FILE *f = fopen(header_path, "w");
    if (!f) return error_set(err, KILN_ERR_IO, 0, "cannot write %s: %s", header_path, strerror(errno));
    header_put(f, m, prefix, source);
    bool ok = !ferror(f);
    if (fclose(f) != 0) ok = false;
    if (!ok) return error_set(err, KILN_ERR_IO, 0, "cannot write %s", header_path);
    return true;
}
