/* test_cli_validate.c - `kiln validate` (compiler/cli_validate.c and the
 * helpers in compiler/main.c): exit codes and the exact error lines. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* main.c holds the helpers under test next to main(); Criterion brings
 * its own main, so the driver's is renamed. */
int kiln_cli_main(int argc, char **argv);
#define main kiln_cli_main
#include "main.c"
#undef main

static char dir[] = "/tmp/kiln-test-cli-XXXXXX";

static void dir_make(void) { cr_assert_not_null(mkdtemp(dir)); }

static void dir_clean(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Writes `n` bytes to DIR/name and returns the path (static buffer per slot). */
static const char *file_put(int slot, const char *name, const void *bytes, size_t n) {
    static char paths[4][256];
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    FILE *f = fopen(paths[slot], "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
    return paths[slot];
}

static int validate(int n, const char **files) {
    char *argv[8] = {"validate"};
    for (int i = 0; i < n; i++) argv[i + 1] = (char *)files[i];
    return cli_validate(n + 1, argv);
}

/* (module (func (result i32) i32.const 0)) */
static const unsigned char valid_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00,
    0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b,
};

TestSuite(cli_validate, .init = dir_make, .fini = dir_clean);

Test(cli_validate, valid_module_exits_zero_silently, .init = cr_redirect_stderr) {
    const char *f = file_put(0, "ok.wasm", valid_module, sizeof valid_module);
    cr_assert_eq(validate(1, &f), CLI_OK);
    fflush(stderr);
    cr_assert_stderr_eq_str("");
}

Test(cli_validate, truncated_module_prints_offset_line, .init = cr_redirect_stderr) {
    /* Cut inside the code section: decode fails past the last whole byte. */
    const char *f = file_put(0, "cut.wasm", valid_module, sizeof valid_module - 3);
    cr_assert_eq(validate(1, &f), CLI_FAIL);
    fflush(stderr);
    char expected[512], got[512] = "";
    FILE *err = cr_get_redirected_stderr();
    cr_assert_not_null(fgets(got, sizeof got, err));
    snprintf(expected, sizeof expected, "%s:0x", f);
    cr_assert(strncmp(got, expected, strlen(expected)) == 0, "line: %s", got);
    cr_assert(strstr(got, ": error: "), "line: %s", got);
}

Test(cli_validate, type_error_is_invalid, .init = cr_redirect_stderr) {
    unsigned char bad[sizeof valid_module];
    memcpy(bad, valid_module, sizeof bad);
    bad[24] = 0x42; /* i64.const 0: the function must return i32 */
    const char *f = file_put(0, "type.wasm", bad, sizeof bad);
    cr_assert_eq(validate(1, &f), CLI_FAIL);
    fflush(stderr);
    FILE *err = cr_get_redirected_stderr();
    char got[512] = "";
    cr_assert_not_null(fgets(got, sizeof got, err));
    cr_assert(strstr(got, "type mismatch"), "line: %s", got);
}

Test(cli_validate, empty_file_is_malformed_not_a_crash, .init = cr_redirect_stderr) {
    const char *f = file_put(0, "empty.wasm", "", 0);
    cr_assert_eq(validate(1, &f), CLI_FAIL);
    fflush(stderr);
    char expected[512];
    snprintf(expected, sizeof expected, "%s:0x0: error: unexpected end\n", f);
    cr_assert_stderr_eq_str(expected);
}

Test(cli_validate, missing_file_is_an_io_error, .init = cr_redirect_stderr) {
    char path[300];
    snprintf(path, sizeof path, "%s/nonexistent.wasm", dir);
    const char *f = path;
    cr_assert_eq(validate(1, &f), CLI_USAGE);
    fflush(stderr);
    char expected[512];
    snprintf(expected, sizeof expected, "%s: error: cannot read: No such file or directory\n", f);
    cr_assert_stderr_eq_str(expected);
}

Test(cli_validate, directory_is_an_io_error, .init = cr_redirect_stderr) {
    const char *f = dir;
    cr_assert_eq(validate(1, &f), CLI_USAGE);
}

Test(cli_validate, io_error_outranks_invalid_and_all_files_are_checked,
     .init = cr_redirect_stderr) {
    const char *files[3] = {
        file_put(0, "empty.wasm", "", 0),
        "/nonexistent/x.wasm",
        file_put(1, "ok.wasm", valid_module, sizeof valid_module),
    };
    cr_assert_eq(validate(3, files), CLI_USAGE);
}

Test(cli_validate, usage_errors_exit_two, .init = cr_redirect_stderr) {
    char *no_files[] = {"validate"};
    cr_assert_eq(cli_validate(1, no_files), CLI_USAGE);
    char *bad_flag[] = {"validate", "--bogus", "x.wasm"};
    cr_assert_eq(cli_validate(3, bad_flag), CLI_USAGE);
}

Test(cli_validate, describe_lists_exports, .init = cr_redirect_stdout) {
    /* valid_module plus an export section: (export "f" (func 0)) */
    unsigned char with_export[sizeof valid_module + 7];
    memcpy(with_export, valid_module, 19);
    const unsigned char export_section[] = {0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00};
    memcpy(with_export + 19, export_section, sizeof export_section);
    memcpy(with_export + 26, valid_module + 19, sizeof valid_module - 19);
    const char *f = file_put(0, "exp.wasm", with_export, sizeof with_export);
    char *argv[] = {"validate", "--describe", (char *)f};
    cr_assert_eq(cli_validate(3, argv), CLI_OK);
    fflush(stdout);
    FILE *out = cr_get_redirected_stdout();
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, out);
    buf[n] = '\0';
    cr_assert(strstr(buf, "export func   \"f\" = func 0 : () -> (i32)"), "got: %s", buf);
}

Test(cli_validate, feature_flags_parse) {
    uint32_t features = features_default();
    cr_assert(features & KILN_FEATURE_TAIL_CALL, "3.0 features are on by default");
    cr_assert(cli_feature_flag("--disable-tail-call", &features));
    cr_assert_eq(features, features_default() & ~KILN_FEATURE_TAIL_CALL);
    cr_assert(cli_feature_flag("--enable-tail-call", &features));
    cr_assert_eq(features, features_default());
    cr_assert(cli_feature_flag("--disable-all", &features));
    cr_assert_eq(features, 0);
    cr_assert(cli_feature_flag("--enable-all", &features));
    cr_assert_eq(features, features_implemented(), "--enable-all adds nothing that does not work");
    cr_assert(features & KILN_FEATURE_WIDE_ARITHMETIC, "a proposal that works is in --enable-all");
    cr_assert_not(features_default() & KILN_FEATURE_WIDE_ARITHMETIC, "proposals are off by default");
    cr_assert_not(features & KILN_FEATURE_GC, "--enable-all adds nothing that does not work");
    cr_assert_not(cli_feature_flag("--enable-nonsense", &features));
    cr_assert_not(cli_feature_flag("--disable-", &features));
    cr_assert_not(cli_feature_flag("--tail-call", &features));
}

Test(cli_validate, feature_table_names) {
    for (int i = 0; i < KILN_FEATURE_COUNT; i++) {
        const kiln_feature_info *f = &kiln_feature_table[i];
        cr_assert_eq(feature_by_name(f->name), f, "%s", f->name);
        cr_assert_eq(feature_by_bit(f->bit), f, "%s", f->name);
        cr_assert_eq(f->bit, 1u << i);
    }
    cr_assert_null(feature_by_name("all"), "'all' is the -all flags' word, not a feature");
}
