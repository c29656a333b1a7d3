/* main.c - kiln-spec: runs the official spec suite through kiln.
 *
 *   kiln-spec [options] (DIR | FILE.wast | FILE.json)...
 *
 * A directory holding converted scripts (*.json, the layout of the 3.0
 * suite: D/N/N.json) means every one of them, at any depth; any other
 * directory means its top-level *.wast files (the 2.0 core suite), and
 * --proposals adds the .wast files of each DIR/proposals/<name>.
 * Each file runs in a child process (up to -j at a time); results are
 * printed in file order:
 *     file.wast: passed N, failed M[, skipped K]
 * and the last line is the total, `N passed, M failed[, K skipped]`;
 * --by-feature adds the same counts per feature group (feature_of).
 * Failures listed in the known-failures file (`file.wast:LINE reason`,
 * or `file.wast:* reason` for a whole file; the name may be an fnmatch
 * glob) do not fail the run; listed entries that now pass are reported
 * so the list can shrink. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "feature_table.h"
#include "spec.h"

enum { MAX_RESTARTS = 20 };

typedef struct failure {
    int line;
    char *message;
} failure;

typedef struct file_result {
    char *path;     /* as given or found */
    char *rel;      /* name used in reports and known-failures.txt */
    pid_t pid;      /* while running */
    int resume_after; /* restarted after a crash or hang at this line */
    int restarts;
    bool done;
    int passed, failed, skipped, text, unsupported;
    failure *failures;
    int num_failures;
    char **notes;
    int num_notes;
} file_result;

typedef struct known_entry {
    char *rel;  /* a file name, or a glob (fnmatch, `*` also matches `/`) */
    int line;   /* 0 = the whole file (`*`) */
    char *reason;
    bool hit;
} known_entry;

typedef struct runner {
    spec_options opts;
    int jobs;
    bool proposals;
    bool by_feature;
    const char *known_path;
    file_result *files;
    int num_files;
    known_entry *known;
    int num_known;
    char report_dir[64];
} runner;

static void usage(FILE *out) {
    fprintf(out,
            "usage: kiln-spec [options] (DIR | FILE.wast | FILE.json)...\n\n"
            "Runs WebAssembly spec-suite scripts through kiln.  A .wast goes through\n"
            "wast2json; a .json is a script converted already (the 3.0 suite).  DIR means\n"
            "every *.json under it if it holds any (the 3.0 suite's layout), else its\n"
            "top-level *.wast files (the WebAssembly 2.0 core suite).\n\n"
            "options:\n"
            "  -j N              run N files at a time (default 2)\n"
            "  -O0 | -O1 | -O2 | -O3   optimisation level for compiled modules (default -O2)\n"
            "  --validate-only   stage 1: only check what decode + validate accept/reject\n"
            "  --guard-pages     compile memory accesses for guard pages (default: explicit\n"
            "                    bounds checks)\n"
            "  --cpu NAME        target CPU of compiled modules (default: generic; 'native'\n"
            "                    is this machine's, with its features)\n"
            "  --compile-jobs N  split every module with N or more functions into N\n"
            "                    partitions compiled by N threads (tests parallel compile)\n"
            "  --known FILE      known failures, lines `file.wast:LINE reason` (LINE may be\n"
            "                    `*`, the file name a glob)\n"
            "  --proposals       with a .wast DIR, also run the files under DIR/proposals/\n"
            "  --by-feature      also print the totals per feature group\n"
            "  --wast2json PATH  the wast2json program (default: from PATH)\n"
            "  --timeout SEC     time limit per command (default 60)\n"
            "  --disable-NAME    decode every script without feature NAME (kiln's\n"
            "                    features.def names: tail-call, relaxed-simd, ...)\n"
            "  --enable-NAME     give every .wast feature NAME (kiln and wast2json)\n"
            "  -v, --verbose     print known failures and kiln's rejection messages\n");
}

static void *xrealloc(void *p, size_t size) {
    p = realloc(p, size ? size : 1);
    if (!p) {
        fprintf(stderr, "kiln-spec: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s) {
    char *d = strdup(s);
    if (!d) exit(2);
    return d;
}

/* ---- the file list --------------------------------------------------------- */

/* The report name of a converted script is the testsuite's own path:
 * .../N/N.json is N.wast, prefixed with the legacy/ or custom/ folder or
 * the proposals/P/ folders above N/ ("legacy/throw.wast",
 * "proposals/threads/atomic.wast").  A folder named like the script is
 * dropped first, so the 3.0 suite's custom/custom.json (the core file
 * custom.wast) is "custom.wast" but custom/name_annot/name_annot.json is
 * "custom/name_annot.wast". */
static char *json_rel_name(const char *path) {
    char copy[4096], out[4096], *save = NULL;
    const char *seg[64];
    int n = 0;
    snprintf(copy, sizeof copy, "%.*s", (int)(strlen(path) - strlen(".json")), path);
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == 64) memmove(seg, seg + 1, sizeof seg - sizeof seg[0]), n--;
        seg[n++] = t;
    }
    if (n == 0) return xstrdup(path);
    const char *stem = seg[n - 1];
    int up = n - 2; /* the folder above the script */
    if (up >= 0 && strcmp(seg[up], stem) == 0) up--;
    if (up >= 1 && strcmp(seg[up - 1], "proposals") == 0)
        snprintf(out, sizeof out, "proposals/%s/%s.wast", seg[up], stem);
    else if (up >= 0 && (strcmp(seg[up], "legacy") == 0 || strcmp(seg[up], "custom") == 0))
        snprintf(out, sizeof out, "%s/%s.wast", seg[up], stem);
    else
        snprintf(out, sizeof out, "%s.wast", stem);
    return xstrdup(out);
}

/* The report name: for a .wast, from the `proposals/` segment on, else
 * the basename. */
static char *rel_name(const char *path) {
    if (spec_is_json(path)) return json_rel_name(path);
    const char *p = strstr(path, "proposals/");
    if (p && (p == path || p[-1] == '/')) return xstrdup(p);
    const char *slash = strrchr(path, '/');
    return xstrdup(slash ? slash + 1 : path);
}

static void file_add(runner *r, const char *path) {
    r->files = xrealloc(r->files, (size_t)(r->num_files + 1) * sizeof *r->files);
    file_result *f = &r->files[r->num_files++];
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    f->rel = rel_name(path);
}

static int name_compare(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds DIR's *.wast files (sorted); with `subdirs`, recurses one level
 * per call into each subdirectory instead. */
static void dir_scan(runner *r, const char *dir, bool subdirs) {
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(e->d_name);
        bool wast = len > 5 && strcmp(e->d_name + len - 5, ".wast") == 0;
        if (wast == subdirs) continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_compare);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (!subdirs) file_add(r, path);
        else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) dir_scan(r, path, false);
        free(names[i]);
    }
    free(names);
}

/* Adds every *.json under `dir`, depth first in name order; returns how
 * many. */
static int json_scan(runner *r, const char *dir, int depth) {
    DIR *d = depth < 8 ? opendir(dir) : NULL;
    if (!d) return 0;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        names = xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_compare);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) found += json_scan(r, path, depth + 1);
        else if (spec_is_json(names[i])) file_add(r, path), found++;
        free(names[i]);
    }
    free(names);
    return found;
}

static bool inputs_collect(runner *r, int argc, char **argv, int first) {
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "kiln-spec: %s: %s\n", argv[i], strerror(errno));
            return false;
        }
        if (!S_ISDIR(st.st_mode)) {
            file_add(r, argv[i]);
            continue;
        }
        if (json_scan(r, argv[i], 0) > 0) continue;
        dir_scan(r, argv[i], false);
        if (r->proposals) {
            char path[4096];
            snprintf(path, sizeof path, "%s/proposals", argv[i]);
            dir_scan(r, path, true);
        }
    }
    return true;
}

/* ---- known failures -------------------------------------------------------- */

/* One line `file.wast:LINE reason` (or `file.wast:* reason`); blank
 * lines and `#` comments are skipped (returns false). */
static bool known_parse(char *buf, known_entry *k) {
    buf[strcspn(buf, "\r\n")] = '\0';
    char *key = buf + strspn(buf, " \t");
    if (*key == '#' || *key == '\0') return false;
    char *reason = key + strcspn(key, " \t");
    if (*reason) *reason++ = '\0';
    reason += strspn(reason, " \t");
    char *colon = strrchr(key, ':');
    if (!colon) return false;
    *colon = '\0';
    k->rel = xstrdup(key);
    k->line = strcmp(colon + 1, "*") == 0 ? 0 : atoi(colon + 1);
    k->reason = xstrdup(reason);
    k->hit = false;
    return true;
}

static bool known_load(runner *r) {
    if (!r->known_path) return true;
    FILE *f = fopen(r->known_path, "r");
    if (!f) {
        fprintf(stderr, "kiln-spec: %s: %s\n", r->known_path, strerror(errno));
        return false;
    }
    char buf[1024];
    known_entry k;
    while (fgets(buf, sizeof buf, f)) {
        if (!known_parse(buf, &k)) continue;
        r->known = xrealloc(r->known, (size_t)(r->num_known + 1) * sizeof *r->known);
        r->known[r->num_known++] = k;
    }
    fclose(f);
    return true;
}

static bool known_covers(const known_entry *k, const char *rel) {
    return fnmatch(k->rel, rel, 0) == 0;
}

static known_entry *known_find(runner *r, const char *rel, int line) {
    for (int i = 0; i < r->num_known; i++) {
        known_entry *k = &r->known[i];
        if (known_covers(k, rel) && (k->line == 0 || k->line == line)) return k;
    }
    return NULL;
}

/* ---- running the children -------------------------------------------------- */

static void report_path(const runner *r, int index, char *out, size_t size) {
    snprintf(out, size, "%s/%d.txt", r->report_dir, index);
}

static void child_run(runner *r, int index) {
    char path[128];
    report_path(r, index, path, sizeof path);
    FILE *report = fopen(path, "w");
    if (!report) _exit(3);
    setvbuf(report, NULL, _IOLBF, 0);
    spec_options opts = r->opts;
    opts.resume_after = r->files[index].resume_after;
    int rc = script_run(r->files[index].path, r->files[index].rel, &opts, report);
    fclose(report);
    _exit(rc);
}

static void failure_add(file_result *f, int line, const char *message) {
    f->failures = xrealloc(f->failures, (size_t)(f->num_failures + 1) * sizeof *f->failures);
    f->failures[f->num_failures].line = line;
    f->failures[f->num_failures++].message = xstrdup(message);
    f->failed++;
}

static void note_add(file_result *f, const char *text) {
    f->notes = xrealloc(f->notes, (size_t)(f->num_notes + 1) * sizeof *f->notes);
    f->notes[f->num_notes++] = xstrdup(text);
}

/* Reads what the child reported; returns the line of the last `cmd`. */
static int report_read(const runner *r, int index, file_result *f) {
    char path[128], buf[2048];
    report_path(r, index, path, sizeof path);
    FILE *in = fopen(path, "r");
    int last = 0;
    if (!in) return 0;
    while (fgets(buf, sizeof buf, in)) {
        buf[strcspn(buf, "\n")] = '\0';
        char *arg = strchr(buf, ' ');
        if (!arg) continue;
        *arg++ = '\0';
        int line = atoi(arg);
        char *text = strchr(arg, ' ');
        text = text ? text + 1 : arg;
        if (strcmp(buf, "cmd") == 0) last = line;
        else if (strcmp(buf, "pass") == 0) f->passed++;
        else if (strcmp(buf, "skip") == 0) f->skipped++;
        else if (strcmp(buf, "text") == 0) f->text++, f->skipped++;
        else if (strcmp(buf, "unsup") == 0) f->unsupported++, f->skipped++, note_add(f, arg);
        else if (strcmp(buf, "fail") == 0) failure_add(f, line, text);
        else if (strcmp(buf, "error") == 0) failure_add(f, 0, arg);
        else if (strcmp(buf, "note") == 0) note_add(f, arg);
    }
    fclose(in);
    remove(path);
    return last;
}

static pid_t child_start(runner *r, int index) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) child_run(r, index);
    if (pid < 0) fprintf(stderr, "kiln-spec: fork: %s\n", strerror(errno));
    r->files[index].pid = pid;
    return pid;
}

/* After a crash or hang at `last`, a new child replays the commands that
 * build state (modules, registrations, actions) up to that line and goes
 * on from there, so one bad command costs one failure, not the file. */
static bool child_restart(runner *r, int index, int last) {
    file_result *f = &r->files[index];
    if (last <= f->resume_after || f->restarts >= MAX_RESTARTS) return false;
    f->resume_after = last;
    f->restarts++;
    return child_start(r, index) > 0;
}

/* Returns true when the file is finished (its job slot is free). */
static bool child_reaped(runner *r, int index, int status) {
    file_result *f = &r->files[index];
    int last = report_read(r, index, f);
    char msg[128];
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGALRM) snprintf(msg, sizeof msg, "timed out (over %us)", r->opts.timeout);
        else snprintf(msg, sizeof msg, "runner crashed: %s", strsignal(sig));
        failure_add(f, last, msg);
        if (child_restart(r, index, last)) return false;
        failure_add(f, last, "too many crashes; rest of file not run");
    } else if (WEXITSTATUS(status) != 0 && f->num_failures == 0) {
        snprintf(msg, sizeof msg, "runner exited with status %d", WEXITSTATUS(status));
        failure_add(f, last, msg);
    }
    f->done = true;
    return true;
}

static bool reap_one(runner *r) {
    int status;
    pid_t pid;
    while ((pid = wait(&status)) < 0 && errno == EINTR) continue;
    if (pid < 0) return true;
    for (int i = 0; i < r->num_files; i++)
        if (r->files[i].pid == pid && !r->files[i].done) return child_reaped(r, i, status);
    return false;
}

/* ---- feature groups (--by-feature) ------------------------------------------- */

/* The groups, in the order printed. */
static const char *const feature_names[] = {
    "core", "simd", "relaxed-simd", "tail-call", "exceptions", "memory64", "multi-memory",
    "function-references", "gc", "threads", "extended-const", "others",
};
enum { NUM_FEATURES = sizeof feature_names / sizeof feature_names[0] };

/* Report name -> group: the first pattern that matches (fnmatch, `*`
 * also matching `/`) wins; no match is "core".  The 2.0 suite keeps each
 * proposal in proposals/P/; the 3.0 suite has them among the core
 * scripts, named as below (their upstream proposal repositories' file
 * lists), plus legacy/ (exceptions) and custom/ (annotations).  The 3.0
 * suite has no script of extended-const's own: its tests were merged
 * into data, elem and global, which stay "core". */
static const struct {
    const char *pattern;
    const char *feature;
} feature_rules[] = {
    {"proposals/tail-call/*", "tail-call"},
    {"proposals/exception-handling/*", "exceptions"},
    {"proposals/memory64/*", "memory64"},
    {"proposals/multi-memory/*", "multi-memory"},
    {"proposals/extended-const/*", "extended-const"},
    {"proposals/relaxed-simd/*", "relaxed-simd"},
    {"proposals/function-references/*", "function-references"},
    {"proposals/gc/*", "gc"},
    {"proposals/threads/*", "threads"},
    {"proposals/*", "others"},
    {"custom/*", "others"},
    {"legacy/*", "exceptions"},
    {"*memory-multi.wast", "multi-memory"},
    {"memory_size_import.wast", "multi-memory"},
    {"*relaxed*", "relaxed-simd"},
    {"simd_*", "simd"},
    {"return_call*", "tail-call"},
    {"tag.wast", "exceptions"},
    {"throw.wast", "exceptions"},
    {"throw_ref.wast", "exceptions"},
    {"try_table.wast", "exceptions"},
    {"call_ref.wast", "function-references"},
    {"ref.wast", "function-references"},
    {"ref_as_non_null.wast", "function-references"},
    {"br_on_null.wast", "function-references"},
    {"br_on_non_null.wast", "function-references"},
    {"local_init.wast", "function-references"},
    {"array*", "gc"},
    {"struct.wast", "gc"},
    {"i31.wast", "gc"},
    {"ref_cast.wast", "gc"},
    {"ref_test.wast", "gc"},
    {"ref_eq.wast", "gc"},
    {"br_on_cast*", "gc"},
    {"extern.wast", "gc"},
    {"type-*.wast", "gc"},
    {"binary-gc.wast", "gc"},
    {"i64.wast", "core"},
    {"f64.wast", "core"},
    {"*64.wast", "memory64"},
    {"table_copy_mixed.wast", "memory64"},
    {"*[a-z_][0-9].wast", "multi-memory"}, /* address0, imports3, float_exprs1, ... */
};

static int feature_of(const char *rel) {
    const char *name = "core";
    for (size_t i = 0; i < sizeof feature_rules / sizeof feature_rules[0]; i++) {
        if (fnmatch(feature_rules[i].pattern, rel, 0) != 0) continue;
        name = feature_rules[i].feature;
        break;
    }
    for (int i = 0; i < NUM_FEATURES; i++)
        if (strcmp(feature_names[i], name) == 0) return i;
    return 0;
}

/* ---- output ------------------------------------------------------------------ */

typedef struct totals {
    long files, clean; /* scripts, and those without failures */
    long passed, failed, skipped, text, unsupported, unexpected, known;
} totals;

static void totals_add(totals *t, const totals *file) {
    t->files += file->files;
    t->clean += file->clean;
    t->passed += file->passed;
    t->failed += file->failed;
    t->skipped += file->skipped;
    t->text += file->text;
    t->unsupported += file->unsupported;
    t->unexpected += file->unexpected;
    t->known += file->known;
}

static void file_print(runner *r, const file_result *f, totals *t, totals *by_feature) {
    totals one = {.files = 1, .clean = f->failed == 0, .passed = f->passed, .failed = f->failed,
                  .skipped = f->skipped, .text = f->text, .unsupported = f->unsupported};
    printf("%s: passed %d, failed %d", f->rel, f->passed, f->failed);
    if (f->skipped) printf(", skipped %d", f->skipped);
    printf("\n");
    for (int i = 0; i < f->num_failures; i++) {
        known_entry *k = known_find(r, f->rel, f->failures[i].line);
        if (k) k->hit = true, one.known++;
        else one.unexpected++;
        if (!k || r->opts.verbose)
            printf("  %s %s:%d: %s\n", k ? "known" : "FAIL", f->rel, f->failures[i].line,
                   f->failures[i].message);
    }
    if (r->opts.verbose)
        for (int i = 0; i < f->num_notes; i++) printf("  note %s\n", f->notes[i]);
    totals_add(t, &one);
    totals_add(&by_feature[feature_of(f->rel)], &one);
    fflush(stdout);
}

static bool file_ran(const runner *r, const known_entry *k) {
    for (int i = 0; i < r->num_files; i++)
        if (known_covers(k, r->files[i].rel)) return true;
    return false;
}

static bool is_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* Known entries that no longer fail: whole entries, and the files a
 * pattern covers that now pass (narrow the pattern). */
static void now_passing_print(const runner *r) {
    for (int i = 0; i < r->num_known; i++) {
        const known_entry *k = &r->known[i];
        if (k->hit || !file_ran(r, k)) continue;
        if (k->line) printf("now passing (remove from known failures): %s:%d\n", k->rel, k->line);
        else printf("now passing (remove from known failures): %s:*\n", k->rel);
    }
    for (int i = 0; i < r->num_known; i++) {
        const known_entry *k = &r->known[i];
        if (!k->hit || k->line || !is_glob(k->rel)) continue;
        for (int j = 0; j < r->num_files; j++)
            if (r->files[j].failed == 0 && known_covers(k, r->files[j].rel))
                printf("now passing (narrow the known-failures pattern %s:*): %s\n", k->rel,
                       r->files[j].rel);
    }
}

static void features_print(const totals *by_feature) {
    printf("by feature (scripts without failures of all scripts; commands):\n");
    for (int i = 0; i < NUM_FEATURES; i++) {
        const totals *t = &by_feature[i];
        printf("  %-20s ", feature_names[i]);
        if (!t->files) {
            printf("no scripts\n");
            continue;
        }
        printf("%3ld of %3ld scripts clean: passed %ld, failed %ld (known %ld), skipped %ld\n",
               t->clean, t->files, t->passed, t->failed, t->known, t->skipped);
    }
}

static void summary_print(runner *r, const totals *t, const totals *by_feature) {
    now_passing_print(r);
    if (r->by_feature) features_print(by_feature);
    printf("known failures: %ld, unexpected failures: %ld\n", t->known, t->unexpected);
    printf("text-format modules skipped by design (the text parser's business): %ld\n", t->text);
    if (t->unsupported)
        printf("modules to reject that kiln rejected as \"not supported\" (skipped, not passed; "
               "-v lists them): %ld\n",
               t->unsupported);
    printf("%ld passed, %ld failed", t->passed, t->failed);
    if (t->skipped) printf(", %ld skipped", t->skipped);
    printf("\n");
}

/* Runs every file, printing each as soon as it and all before it are done. */
static int files_run(runner *r) {
    totals t = {0}, by_feature[NUM_FEATURES] = {{0}};
    int next = 0, printed = 0, running = 0;
    while (printed < r->num_files) {
        while (next < r->num_files && running < r->jobs) {
            if (child_start(r, next++) < 0) return 2;
            running++;
        }
        if (reap_one(r)) running--;
        while (printed < r->num_files && r->files[printed].done)
            file_print(r, &r->files[printed++], &t, by_feature);
    }
    summary_print(r, &t, by_feature);
    return t.unexpected ? 1 : 0;
}

/* ---- options ------------------------------------------------------------------ */

/* --disable-NAME (features.def): no script gets NAME, to check what kiln
 * says when a module uses a feature that is turned off.  --enable-NAME:
 * every .wast gets it (tests/regress/ scripts of 3.0 features). */
static bool feature_flag_parse(runner *r, const char *arg) {
    bool on = strncmp(arg, "--enable-", 9) == 0;
    if (!on && strncmp(arg, "--disable-", 10) != 0) return false;
    const kiln_feature_info *f = feature_by_name(arg + (on ? 9 : 10));
    if (f && on) r->opts.features_on |= f->bit;
    else if (f) r->opts.features_off |= f->bit;
    return f != NULL;
}

static int options_parse(runner *r, int argc, char **argv) {
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) usage(stdout), exit(0);
        else if (strcmp(a, "-j") == 0 && has_value) r->jobs = atoi(argv[++i]);
        else if (strncmp(a, "-j", 2) == 0 && a[2]) r->jobs = atoi(a + 2);
        else if (strncmp(a, "-O", 2) == 0 && a[2] >= '0' && a[2] <= '3' && !a[3])
            r->opts.opt_level = a[2] - '0';
        else if (strcmp(a, "--validate-only") == 0) r->opts.validate_only = true;
        else if (strcmp(a, "--guard-pages") == 0) r->opts.guard_pages = true;
        else if (strcmp(a, "--cpu") == 0 && has_value) r->opts.cpu = argv[++i];
        else if (strcmp(a, "--compile-jobs") == 0 && has_value)
            r->opts.compile_jobs = atoi(argv[++i]);
        else if (strcmp(a, "--known") == 0 && has_value) r->known_path = argv[++i];
        else if (strcmp(a, "--proposals") == 0) r->proposals = true;
        else if (strcmp(a, "--by-feature") == 0) r->by_feature = true;
        else if (strcmp(a, "--wast2json") == 0 && has_value) r->opts.wast2json = argv[++i];
        else if (strcmp(a, "--timeout") == 0 && has_value)
            r->opts.timeout = (unsigned)atoi(argv[++i]);
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) r->opts.verbose = true;
        else if (!feature_flag_parse(r, a)) return -1;
    }
    return i;
}

int main(int argc, char **argv) {
    runner r = {.jobs = 2, .opts = {.wast2json = "wast2json", .opt_level = 2, .timeout = 60}};
    int first = options_parse(&r, argc, argv);
    if (first < 0 || first >= argc) {
        usage(stderr);
        return 2;
    }
    if (r.jobs < 1) r.jobs = 1;
    if (!inputs_collect(&r, argc, argv, first) || !known_load(&r)) return 2;
    if (r.num_files == 0) {
        fprintf(stderr, "kiln-spec: no .wast or .json scripts found\n");
        return 2;
    }
    snprintf(r.report_dir, sizeof r.report_dir, "/tmp/kiln-spec-run-XXXXXX");
    if (!mkdtemp(r.report_dir)) {
        fprintf(stderr, "kiln-spec: mkdtemp: %s\n", strerror(errno));
        return 2;
    }
    int rc = files_run(&r);
    rmdir(r.report_dir);
    return rc;
}
