/* script.c - the child side of kiln-spec: one script.
 *
 * A .wast goes through wast2json, which writes JSON plus one .wasm (or
 * .wat) file per module into a temporary directory; a .json is a script
 * converted already (the 3.0 suite, whose README documents the format's
 * extensions) and its module files lie next to it.  Each command is then
 * checked in order.  Stage 1 checks what decode + validate decide: every
 * module the script loads or defines is accepted, every binary
 * assert_malformed / assert_invalid module is rejected.  Commands that
 * need execution are handed to exec.c when the runner is built with the
 * back end (KILN_SPEC_EXEC), and reported as skipped otherwise.  A command
 * type the runner does not know is a failure, never a silent pass. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "json.h"
#include "module.h"
#include "spec.h"

extern char **environ;

typedef struct script {
    const spec_options *opts;
    spec_features features;
    const char *dir;         /* scratch directory (wast2json's output, objects) */
    const char *module_dir;  /* where the script's module files are */
    /* A rejection kiln words as "not supported" proves nothing about an
     * assert_invalid / assert_malformed module when the script's features
     * include what kiln lacks: the 3.0 suite (.json) and proposals/. */
    bool unsupported_unproven;
    FILE *report;
    exec_session *exec; /* NULL in stage 1 */
} script;

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool spec_is_json(const char *path) { return ends_with(path, ".json"); }

/* Adds --enable-NAME for every bit of `bits` to wast2json's flags. */
static void wast2json_flags_add(spec_features *out, uint32_t bits) {
    int n = 0;
    while (out->wast2json[n]) n++;
    for (int i = 0; i < KILN_FEATURE_COUNT && n < SPEC_MAX_FLAGS; i++) {
        if (!(bits & kiln_feature_table[i].bit)) continue;
        snprintf(out->flags[n], sizeof out->flags[n], "--enable-%s", kiln_feature_table[i].name);
        out->wast2json[n] = out->flags[n];
        n++;
    }
}

void spec_features_for(const char *rel_path, bool is_json, const spec_options *opts,
                       spec_features *out) {
    /* The 2.0 suite's proposals/ folders and the feature each tests. */
    static const struct {
        const char *dir;
        uint32_t kiln;
    } table[] = {
        {"proposals/tail-call/", KILN_FEATURE_TAIL_CALL},
        {"proposals/extended-const/", KILN_FEATURE_EXTENDED_CONST},
        {"proposals/multi-memory/", KILN_FEATURE_MULTI_MEMORY},
        {"proposals/memory64/", KILN_FEATURE_MEMORY64},
        {"proposals/exception-handling/", KILN_FEATURE_EXCEPTIONS},
        {"proposals/threads/", KILN_FEATURE_THREADS},
        {"threads-", KILN_FEATURE_THREADS}, /* tests/regress/threads-*.wast */
        /* tests/regress/calls-*.wast: exceptions for calls-through-memory's
         * handlers that a return_call leaves */
        {"calls-", KILN_FEATURE_TAIL_CALL | KILN_FEATURE_EXCEPTIONS},
    };
    memset(out, 0, sizeof *out);
    /* kiln's own scripts about exception handling (tests/regress). */
    const char *base = strrchr(rel_path, '/');
    if (!is_json && strncmp(base ? base + 1 : rel_path, "exceptions", 10) == 0) {
        out->kiln = KILN_FEATURE_EXCEPTIONS;
        out->wast2json[0] = "--enable-exceptions";
        return;
    }
    if (is_json) {
        /* The threads proposal's scripts are 2.0 plus threads: with
         * multi-memory on, their "multiple memories" and "multiple tables"
         * modules would be valid. */
        if (strstr(rel_path, "proposals/threads/")) {
            out->kiln = KILN_FEATURE_THREADS & ~opts->features_off;
            return;
        }
        out->kiln = features_all() & ~opts->features_off;
        return;
    }
    /* kiln's own scripts about 64-bit memories and tables
     * (tests/regress/memory64-*.wast): wabt 1.0.32 parses memory64 text
     * but neither table64 nor offsets of 2^32 and more, which those
     * scripts write as binary modules.  Threads too, for atomics on
     * 64-bit and non-zero memories (memory64-atomics.wast). */
    if (strncmp(base ? base + 1 : rel_path, "memory64-", 9) == 0) {
        out->kiln = (KILN_FEATURE_MEMORY64 | KILN_FEATURE_MULTI_MEMORY | KILN_FEATURE_THREADS) &
                    ~opts->features_off;
        out->wast2json[0] = "--enable-memory64";
        out->wast2json[1] = "--enable-multi-memory";
        out->wast2json[2] = "--enable-threads";
        return;
    }
    uint32_t bits = opts->features_on;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strncmp(rel_path, table[i].dir, strlen(table[i].dir)) == 0) bits |= table[i].kiln;
    out->kiln = bits & ~opts->features_off;
    wast2json_flags_add(out, bits);
    /* As wabt's own test/spec does for this one file. */
    if (strcmp(rel_path, "proposals/memory64/binary.wast") == 0) {
        int n = 0;
        while (out->wast2json[n]) n++;
        out->wast2json[n] = "--disable-reference-types";
    }
}

static int path_remove(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    return remove(path);
}

static void dir_remove(const char *dir) { nftw(dir, path_remove, 8, FTW_DEPTH | FTW_PHYS); }

/* Runs wast2json; its diagnostics go to DIR/wast2json.log. */
static bool wast2json_run(const script *s, const char *wast, const char *json) {
    const char *argv[SPEC_MAX_FLAGS + 8];
    int n = 0;
    argv[n++] = s->opts->wast2json;
    for (int i = 0; s->features.wast2json[i]; i++) argv[n++] = s->features.wast2json[i];
    argv[n++] = wast;
    argv[n++] = "-o";
    argv[n++] = json;
    argv[n] = NULL;
    char log[4096];
    snprintf(log, sizeof log, "%s/wast2json.log", s->dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(s->report, "error cannot run %s: %s\n", argv[0], strerror(rc));
        return false;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    fprintf(s->report, "error wast2json failed on %s (see its log)\n", wast);
    return false;
}

static char *file_slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, len = 0, n;
    do {
        if (len == cap) {
            char *bigger = realloc(buf, cap = cap ? cap * 2 : 65536);
            if (!bigger) break;
            buf = bigger;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    *size = len;
    return buf;
}

/* The module a command names, read, decoded and validated. */
typedef struct module_file {
    uint8_t *bytes;
    size_t size;
    kiln_module *m; /* NULL: rejected or unreadable, `err` says why */
    kiln_error err;
} module_file;

/* Loads the command's module into `out`.  Returns false, having reported
 * `text`, when it is a text-format module (the text parser's business):
 * then nothing is loaded. */
static bool module_file_load(const script *s, const json_value *cmd, int line, module_file *out) {
    const char *filename = json_get_string(cmd, "filename");
    const char *module_type = json_get_string(cmd, "module_type");
    memset(out, 0, sizeof *out);
    if (!filename || ends_with(filename, ".wat") ||
        (module_type && strcmp(module_type, "text") == 0)) {
        fprintf(s->report, "text %d\n", line);
        return false;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->module_dir, filename);
    out->bytes = (uint8_t *)file_slurp(path, &out->size);
    if (!out->bytes) {
        error_set(&out->err, KILN_ERR_IO, 0, "cannot read %s", path);
        return true;
    }
    kiln_decode_options dopts = {.features = s->features.kiln};
    out->m = module_decode(out->bytes, out->size, &dopts, &out->err);
    if (out->m && !module_validate(out->m, &out->err)) {
        module_free(out->m);
        out->m = NULL;
    }
    return true;
}

static void module_file_free(module_file *f) {
    if (f->m) module_free(f->m);
    free(f->bytes);
}

/* `module`, `module_definition`, and the module of assert_unlinkable /
 * assert_uninstantiable: decode + validate must accept it; stage 2 then
 * compiles it and (but for a definition) instantiates it. */
static void command_module(script *s, const json_value *cmd, int line, const char *type) {
    module_file f;
    if (!module_file_load(s, cmd, line, &f)) {
        if (s->exec) exec_module_rejected(s->exec, type);
        return;
    }
    if (!f.m) {
        fprintf(s->report, "fail %d %s: valid module rejected: 0x%llx: %s\n", line, type,
                (unsigned long long)f.err.offset, f.err.message);
        if (s->exec) exec_module_rejected(s->exec, type);
    } else if (!s->exec) {
        fprintf(s->report, "pass %d\n", line);
    } else {
        char msg[512];
        bool ok = exec_module(s->exec, cmd, type, f.m, f.bytes, f.size, msg, sizeof msg);
        if (ok) fprintf(s->report, "pass %d\n", line);
        else fprintf(s->report, "fail %d %s: %s\n", line, type, msg);
        f.m = NULL; /* the session owns it now */
    }
    module_file_free(&f);
}

/* assert_malformed / assert_invalid: the binary module must be rejected. */
static void command_reject(script *s, const json_value *cmd, int line, const char *type) {
    module_file f;
    if (!module_file_load(s, cmd, line, &f)) return;
    const char *expected = json_get_string(cmd, "text");
    if (!expected) expected = "?";
    if (f.m) {
        fprintf(s->report, "fail %d %s: module accepted, expected \"%s\"\n", line, type, expected);
    } else if (f.err.kind == KILN_ERR_IO) {
        fprintf(s->report, "fail %d %s: %s\n", line, type, f.err.message);
    } else if (s->unsupported_unproven && strstr(f.err.message, "not support")) {
        fprintf(s->report, "unsup %d %s: rejected as unsupported, expected \"%s\": %s\n", line,
                type, expected, f.err.message);
    } else {
        fprintf(s->report, "pass %d\n", line);
        if (s->opts->verbose)
            fprintf(s->report, "note %d %s: expected \"%s\", kiln: \"%s\"\n", line, type, expected,
                    f.err.message);
    }
    module_file_free(&f);
}

/* assert_malformed_custom / assert_invalid_custom (3.0 suite): the error
 * is in a custom section (name or branch-hint annotations), which kiln
 * ignores as the spec allows, so the binary module must be accepted. */
static void command_custom(script *s, const json_value *cmd, int line, const char *type) {
    module_file f;
    if (!module_file_load(s, cmd, line, &f)) return;
    if (f.m) fprintf(s->report, "pass %d\n", line);
    else
        fprintf(s->report, "fail %d %s: module rejected for a custom-section error: 0x%llx: %s\n",
                line, type, (unsigned long long)f.err.offset, f.err.message);
    module_file_free(&f);
}

static void command_dispatch(script *s, const json_value *cmd, const char *type, int line);

/* Commands whose effects later commands may depend on. */
static bool builds_state(const char *type) {
    return strcmp(type, "module") == 0 || strcmp(type, "register") == 0 ||
           strcmp(type, "action") == 0 || strcmp(type, "module_definition") == 0 ||
           strcmp(type, "module_instance") == 0;
}

/* Commands only stage 2 can check (exec_command). */
static bool needs_exec(const char *type) {
    static const char *const types[] = {"register",          "action",
                                        "assert_return",     "assert_trap",
                                        "assert_exhaustion", "assert_exception",
                                        "module_instance"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(type, types[i]) == 0) return true;
    return false;
}

/* Replays a state-building command silently (its result was reported
 * by the child that crashed later on). */
static void command_replay(script *s, const json_value *cmd, const char *type, int line) {
    FILE *real = s->report;
    s->report = fopen("/dev/null", "w");
    if (s->report) command_dispatch(s, cmd, type, line);
    if (s->report) fclose(s->report);
    s->report = real;
}

static void command_run(script *s, const json_value *cmd) {
    const char *type = json_get_string(cmd, "type");
    int line = (int)json_get_number(cmd, "line", 0);
    if (!type) return;
    if (line <= s->opts->resume_after) {
        /* The command that crashed is not run again. */
        if (line < s->opts->resume_after && builds_state(type)) command_replay(s, cmd, type, line);
        return;
    }
    fprintf(s->report, "cmd %d\n", line);
    /* A hang (an infinite loop in compiled code) ends this child; the
     * parent reports it at this line. */
    alarm(s->opts->timeout);
    command_dispatch(s, cmd, type, line);
}

static void command_dispatch(script *s, const json_value *cmd, const char *type, int line) {
    if (strcmp(type, "module") == 0 || strcmp(type, "module_definition") == 0 ||
        strcmp(type, "assert_unlinkable") == 0 || strcmp(type, "assert_uninstantiable") == 0) {
        command_module(s, cmd, line, type);
    } else if (strcmp(type, "assert_malformed") == 0 || strcmp(type, "assert_invalid") == 0) {
        command_reject(s, cmd, line, type);
    } else if (strcmp(type, "assert_malformed_custom") == 0 ||
               strcmp(type, "assert_invalid_custom") == 0) {
        command_custom(s, cmd, line, type);
    } else if (!needs_exec(type)) {
        fprintf(s->report, "fail %d unknown command type \"%s\"\n", line, type);
    } else if (!s->exec) {
        fprintf(s->report, "skip %d %s needs execution (stage 1)\n", line, type);
    } else {
        char msg[512];
        int r = exec_command(s->exec, cmd, type, msg, sizeof msg);
        if (r == EXEC_PASS) fprintf(s->report, "pass %d\n", line);
        else if (r == EXEC_SKIP) fprintf(s->report, "skip %d %s\n", line, msg);
        else fprintf(s->report, "fail %d %s: %s\n", line, type, msg);
    }
}

static int commands_run(script *s, const char *json_path) {
    size_t size;
    char *text = file_slurp(json_path, &size);
    if (!text) {
        fprintf(s->report, "error cannot read %s\n", json_path);
        return 1;
    }
    char err[256];
    json_doc *doc = json_parse(text, size, err, sizeof err);
    const json_value *cmds = doc ? json_get(json_root(doc), "commands") : NULL;
    if (!cmds || cmds->type != JSON_ARRAY) {
        fprintf(s->report, "error bad script JSON %s: %s\n", json_path, doc ? "no commands" : err);
        json_doc_free(doc);
        free(text);
        return 1;
    }
    for (const json_value *c = cmds->first; c; c = c->next) command_run(s, c);
    json_doc_free(doc);
    free(text);
    return 0;
}

/* The directory part of `path` ("." if none) into `out`. */
static void dir_name(const char *path, char *out, size_t size) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, size, ".");
    else snprintf(out, size, "%.*s", (int)(slash == path ? 1 : slash - path), path);
}

int script_run(const char *path, const char *rel_path, const spec_options *opts, FILE *report) {
    char dir[] = "/tmp/kiln-spec-XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(report, "error mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    bool is_json = spec_is_json(path);
    char module_dir[4096], json[4096];
    if (is_json) {
        dir_name(path, module_dir, sizeof module_dir);
        snprintf(json, sizeof json, "%s", path);
    } else {
        snprintf(module_dir, sizeof module_dir, "%s", dir);
        snprintf(json, sizeof json, "%s/script.json", dir);
    }
    script s = {.opts = opts, .dir = dir, .module_dir = module_dir, .report = report,
                .unsupported_unproven = is_json || strncmp(rel_path, "proposals/", 10) == 0};
    spec_features_for(rel_path, is_json, opts, &s.features);
    int rc = 1;
    if (is_json || wast2json_run(&s, path, json)) {
        if (!opts->validate_only) s.exec = exec_session_new(opts, dir, s.features.kiln);
        rc = commands_run(&s, json);
        exec_session_free(s.exec);
    }
    dir_remove(dir);
    return rc;
}
