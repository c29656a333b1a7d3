/* cli_validate.c - `kiln validate [--describe] [--disable-NAME] FILE...`
 *
 * Decodes and validates each file.  Exit 0 when every file is valid, 1
 * when at least one is malformed or invalid (one `FILE:0xOFFSET: error:
 * MESSAGE` line each), 2 on usage or I/O errors.  --describe prints a
 * summary of every valid module (types, imports, exports, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "module.h"

typedef struct validate_options {
    bool describe;
    uint32_t features;
} validate_options;

static void validate_usage(FILE *out) {
    fprintf(out,
            "usage: kiln validate [options] FILE...\n\n"
            "Checks that each FILE is a well-formed and valid WebAssembly binary module\n"
            "(WebAssembly 2.0 and the 3.0 features listed below).\n\n"
            "options:\n"
            "  -d, --describe            print a summary of each valid module\n"
            "  --disable-NAME            turn WebAssembly feature NAME off (see below)\n"
            "  --enable-NAME             turn proposal NAME on (see below)\n"
            "  -h, --help                this text\n\n"
            "exit status: 0 all valid, 1 some file malformed or invalid, 2 usage or I/O error\n");
    cli_features_usage(out);
    cli_usage_footer(out, "validate");
}

/* The type of entity `index` of the given kind (module.c spells it). */
static void extern_type_print(const kiln_module *m, uint8_t kind, uint32_t index) {
    char *text = malloc(MODULE_TYPE_TEXT_SIZE);
    if (!text) return;
    module_extern_type_text(m, kind, index, text, MODULE_TYPE_TEXT_SIZE);
    fputs(text, stdout);
    free(text);
}

static void name_print(const kiln_name *n) {
    size_t cap = module_name_text_size(n);
    char *text = malloc(cap);
    if (!text) return;
    module_name_text(n, text, cap);
    fputs(text, stdout);
    free(text);
}

static void imports_print(const kiln_module *m) {
    for (uint32_t i = 0; i < m->num_imports; i++) {
        const kiln_import *imp = &m->imports[i];
        printf("  import %-6s ", module_extern_kind_name(imp->kind));
        name_print(&imp->module);
        printf(" ");
        name_print(&imp->name);
        printf(" : ");
        extern_type_print(m, imp->kind, imp->index);
        printf("\n");
    }
}

static void exports_print(const kiln_module *m) {
    for (uint32_t i = 0; i < m->num_exports; i++) {
        const kiln_export *e = &m->exports[i];
        printf("  export %-6s ", module_extern_kind_name(e->kind));
        name_print(&e->name);
        printf(" = %s %u : ", module_extern_kind_name(e->kind), e->index);
        extern_type_print(m, e->kind, e->index);
        printf("\n");
    }
}

static uint64_t code_bytes(const kiln_module *m, uint64_t *insns) {
    uint64_t bytes = 0;
    *insns = 0;
    for (uint32_t i = m->num_imported_funcs; i < m->num_funcs; i++) {
        bytes += m->funcs[i].body_size;
        *insns += m->funcs[i].num_insns;
    }
    return bytes;
}

static void module_describe(const char *path, const kiln_module *m, size_t size) {
    uint64_t insns, body = code_bytes(m, &insns);
    printf("%s: valid, %zu bytes\n", path, size);
    printf("  types %u, imports %u, functions %u (%u imported), tables %u, memories %u, "
           "globals %u, exports %u\n",
           m->num_types, m->num_imports, m->num_funcs, m->num_imported_funcs, m->num_tables,
           m->num_memories, m->num_globals, m->num_exports);
    printf("  code: %llu bytes, %llu instructions; data segments %u, element segments %u, "
           "custom sections %u\n",
           (unsigned long long)body, (unsigned long long)insns, m->num_datas, m->num_elems,
           m->num_customs);
    imports_print(m);
    exports_print(m);
    if (m->has_start) printf("  start: func %u\n", m->start);
}

/* Returns CLI_OK, CLI_FAIL (malformed/invalid) or CLI_USAGE (I/O). */
static int file_validate(const char *path, const validate_options *opts) {
    uint8_t *bytes;
    size_t size;
    if (!cli_input_read(path, &bytes, &size)) return CLI_USAGE;
    kiln_error err;
    error_clear(&err);
    kiln_decode_options dopts = {.features = opts->features};
    kiln_module *m = module_decode(bytes, size, &dopts, &err);
    int status = CLI_OK;
    if (!m || !module_validate(m, &err)) {
        cli_error_print(path, &err);
        status = CLI_FAIL;
    } else if (opts->describe) {
        module_describe(path, m, size);
    }
    module_free(m);
    free(bytes);
    return status;
}

/* Parses options; returns the index of the first file, or -1 on a
 * usage error, or 0 when --help was handled. */
static int options_parse(int argc, char **argv, validate_options *opts) {
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) return i + 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            validate_usage(stdout);
            return 0;
        }
        if (strcmp(a, "-d") == 0 || strcmp(a, "--describe") == 0) opts->describe = true;
        else if (!cli_feature_flag(a, &opts->features)) {
            fprintf(stderr, "kiln validate: unknown option '%s'\n", a);
            return -1;
        }
    }
    return i;
}

int cli_validate(int argc, char **argv) {
    validate_options opts = {.features = features_default()};
    int first = options_parse(argc, argv, &opts);
    if (first == 0) return CLI_OK;
    cli_features_warn();
    if (first < 0 || first >= argc) {
        if (first >= argc) fprintf(stderr, "kiln validate: no input files\n");
        validate_usage(stderr);
        return CLI_USAGE;
    }
    int worst = CLI_OK;
    for (int i = first; i < argc; i++) {
        int status = file_validate(argv[i], &opts);
        /* I/O and usage problems (2) outrank invalid modules (1). */
        if (status > worst) worst = status;
    }
    return worst;
}
