/* main.c - the kiln driver: `kiln <command> [options]`.
 *
 * main() only picks the command; every command lives in its own
 * cli_<command>.c.  The commands other than `validate` are declared weak
 * so that a build which does not (yet) contain the back end still links
 * and says plainly which commands it lacks.  Below main() are the helpers
 * every command shares, so that all of them word errors, options and
 * temporary files the same way. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "module.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.1.0"
#endif

#pragma weak cli_compile
#pragma weak cli_run
#pragma weak cli_build
#pragma weak cli_llvm_finish

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"validate", cli_validate, "check that .wasm files are well formed and valid"},
    {"compile", cli_compile, "compile a .wasm module to a native object and C header"},
    {"build", cli_build, "compile a .wasm module into a native executable"},
    {"run", cli_run, "compile (cached) and run a .wasm module"},
};
enum { NUM_COMMANDS = sizeof commands / sizeof commands[0] };

static void usage_print(FILE *out) {
    fprintf(out, "usage: kiln <command> [options] [FILE...]\n"
                 "       kiln <command> --help    (or: kiln help <command>)\n"
                 "       kiln --version\n\n"
                 "commands:\n");
    for (int i = 0; i < NUM_COMMANDS; i++) {
        const char *missing = commands[i].run ? "" : " (not in this build)";
        fprintf(out, "  %-10s %s%s\n", commands[i].name, commands[i].summary, missing);
    }
    cli_usage_footer(out, NULL);
}

/* The command called `name`, or NULL after saying why there is none. */
static const cli_command *command_resolve(const char *name) {
    for (int i = 0; i < NUM_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0) continue;
        if (commands[i].run) return &commands[i];
        fprintf(stderr, "kiln: command '%s' is not part of this build\n", name);
        return NULL;
    }
    fprintf(stderr, "kiln: unknown command '%s'\n\n", name);
    usage_print(stderr);
    return NULL;
}

/* `kiln help [COMMAND]`: the command's own --help, word for word. */
static int help_run(int argc, char **argv) {
    if (argc == 0) {
        usage_print(stdout);
        return CLI_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "kiln help: one command at a time\n");
        return CLI_USAGE;
    }
    const cli_command *cmd = command_resolve(argv[0]);
    if (!cmd) return CLI_USAGE;
    char help_flag[] = "--help";
    char *help_argv[] = {argv[0], help_flag, NULL};
    return cmd->run(2, help_argv);
}

/* The version line names the features that are on by default. */
static void version_print(void) {
    printf("kiln %s (LLVM 19, WebAssembly 2.0", KILN_VERSION);
    const char *sep = " + ";
    for (int i = 0; i < KILN_FEATURE_COUNT; i++) {
        if (kiln_feature_table[i].state != KILN_FEATURE_ON) continue;
        printf("%s%s", sep, kiln_feature_table[i].name);
        sep = ", ";
    }
    printf(")\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage_print(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage_print(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "help") == 0) return help_run(argc - 2, argv + 2);
    if (strcmp(name, "--version") == 0) {
        version_print();
        return CLI_OK;
    }
    const cli_command *cmd = command_resolve(name);
    if (!cmd) return CLI_USAGE;
    int status = cmd->run(argc - 1, argv + 1);
    if (cli_llvm_finish) cli_llvm_finish();
    return status;
}

/* ---- helpers shared by the commands -------------------------------------- */

/* The thresholds: no trim of the heap's top below 1 GiB (the default
 * moves between 128 KiB and 64 MiB), 16 MiB more than asked whenever
 * the heap grows, and blocks up to 32 MiB (glibc's most) from the heap
 * rather than from mmap, where every free is a munmap.  Peak RSS stays
 * what the largest partition needs: freed memory is reused by the next. */
void cli_malloc_keep_freed(void) {
#ifdef __GLIBC__
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 16 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

void cli_usage_footer(FILE *out, const char *command) {
    if (command)
        fprintf(out, "\nFull description: docs/cli.md, section \"kiln %s\".\n", command);
    else
        fprintf(out, "\nEvery command and option is described in docs/cli.md.\n");
}

static bool why_set(char *why, size_t why_size, const char *text) {
    snprintf(why, why_size, "%s", text);
    return false;
}

/* Reads with read() in a loop: the fstat size is only a hint (files can
 * change under us, and /proc or pipes report 0). */
static bool fd_read_all(int fd, size_t hint, uint8_t **bytes, size_t *size) {
    size_t cap = hint ? hint + 1 : 4096, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return false;
    for (;;) {
        if (len == cap) {
            uint8_t *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!bigger) break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n == 0) {
            *bytes = buf;
            *size = len;
            return true;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        len += (size_t)n;
    }
    int saved = errno;
    free(buf);
    errno = saved ? saved : ENOMEM;
    return false;
}

bool cli_file_read(const char *path, uint8_t **bytes, size_t *size, char *why, size_t why_size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return why_set(why, why_size, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return why_set(why, why_size, strerror(saved));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return why_set(why, why_size, strerror(EISDIR));
    }
    size_t hint = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
    bool ok = fd_read_all(fd, hint, bytes, size);
    int saved = errno;
    close(fd);
    return ok ? true : why_set(why, why_size, strerror(saved));
}

void cli_error_print(const char *path, const kiln_error *err) {
    fprintf(stderr, "%s:0x%llx: error: %s\n", path, (unsigned long long)err->offset,
            err->message);
}

/* `PATH: SEVERITY: MESSAGE`, one line on stderr. */
static void path_message(const char *path, const char *severity, const char *fmt, va_list ap) {
    fprintf(stderr, "%s: %s: ", path, severity);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_path_error(const char *path, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    path_message(path, "error", fmt, ap);
    va_end(ap);
}

int cli_compile_failed(const char *input, const char *output, const kiln_error *err) {
    if (err->kind != KILN_ERR_IO) {
        cli_error_print(input, err);
        return CLI_FAIL;
    }
    cli_path_error(output, "%s", err->message);
    return CLI_USAGE;
}

bool cli_input_read(const char *path, uint8_t **bytes, size_t *size) {
    char why[256];
    if (cli_file_read(path, bytes, size, why, sizeof why)) return true;
    cli_path_error(path, "cannot read: %s", why);
    return false;
}

void cli_dir_of(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(out, cap, ".");
    else if (slash == path) snprintf(out, cap, "/");
    else snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* Outputs are written by creating files in their directory (a temporary
 * name renamed into place, or the linker's own file), so what decides is
 * whether that directory exists and takes new files. */
static int output_problem(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return EISDIR;
    char dir[PATH_MAX];
    cli_dir_of(path, dir, sizeof dir);
    if (stat(dir, &st) != 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    return access(dir, W_OK) == 0 ? 0 : errno;
}

bool cli_output_check(const char *path) {
    int problem = output_problem(path);
    if (problem) cli_path_error(path, "cannot write: %s", strerror(problem));
    return problem == 0;
}

/* ---- options ----------------------------------------------------------------- */

const char *cli_option_value(int argc, char **argv, int *i, const char *name) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != 0 || *i + 1 >= argc) return NULL;
    return argv[++*i];
}

bool cli_option_lacks_value(const char *cmd, int argc, char **argv, int i,
                            const char *const *value_options) {
    if (i + 1 < argc) return false;
    for (; *value_options; value_options++) {
        if (strcmp(argv[i], *value_options) != 0) continue;
        fprintf(stderr, "kiln %s: option '%s' needs a value\n", cmd, argv[i]);
        return true;
    }
    return false;
}

int cli_bounds_flag(const char *cmd, int argc, char **argv, int *i, bool *explicit_bounds) {
    const char *v = cli_option_value(argc, argv, i, "--bounds-checks");
    if (!v) return 0;
    if (strcmp(v, "explicit") == 0 || strcmp(v, "guard") == 0) {
        *explicit_bounds = strcmp(v, "explicit") == 0;
        return 1;
    }
    fprintf(stderr, "kiln %s: bad --bounds-checks '%s' (explicit or guard)\n", cmd, v);
    return -1;
}

void cli_prefix_from_path(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = 0;
    if (isdigit((unsigned char)base[0]) || base[0] == '.' || base[0] == 0) out[n++] = '_';
    for (const char *p = base; *p && *p != '.' && n + 1 < cap; p++)
        out[n++] = isalnum((unsigned char)*p) ? *p : '_';
    out[n] = 0;
}

bool cli_prefix_valid(const char *p) {
    if (!*p || isdigit((unsigned char)*p)) return false;
    for (; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_') return false;
    return true;
}

/* The MISSING features named by --enable-NAME, for cli_features_warn. */
static uint32_t missing_asked;

bool cli_feature_flag(const char *arg, uint32_t *features) {
    const kiln_feature_info *row;
    if (!feature_flag_apply(arg, features, &row)) return false;
    if (row && row->state == KILN_FEATURE_MISSING && strncmp(arg, "--enable-", 9) == 0)
        missing_asked |= row->bit;
    return true;
}

/* A flag for a feature kiln lacks says so instead of being silently
 * accepted (the decoder names the feature when a module uses it). */
void cli_features_warn(void) {
    if (cli_verbosity == CLI_QUIET) return;
    for (int i = 0; i < KILN_FEATURE_COUNT; i++) {
        const kiln_feature_info *f = &kiln_feature_table[i];
        if (missing_asked & f->bit)
            fprintf(stderr, "kiln: warning: --enable-%s: %s: not supported yet\n", f->name, f->what);
    }
}

/* Printed from the table, so that the help lists exactly what the flags
 * accept and what works. */
void cli_features_usage(FILE *out) {
    fprintf(out, "\nWebAssembly 2.0 is always on.  These WebAssembly 3.0 features are on by\n"
                 "default; --disable-NAME turns one off (a module that uses it is refused),\n"
                 "--disable-all turns all of them off:\n");
    for (int i = 0; i < KILN_FEATURE_COUNT; i++) {
        const kiln_feature_info *f = &kiln_feature_table[i];
        if (f->state == KILN_FEATURE_ON) fprintf(out, "  %-20s %s\n", f->name, f->what);
    }
    fprintf(out, "Proposals that work but are off by default; --enable-NAME turns one on:\n");
    for (int i = 0; i < KILN_FEATURE_COUNT; i++) {
        const kiln_feature_info *f = &kiln_feature_table[i];
        if (f->state == KILN_FEATURE_OFF) fprintf(out, "  %-20s %s\n", f->name, f->what);
    }
    fprintf(out, "Not supported yet (modules that use them are refused):\n");
    for (int i = 0; i < KILN_FEATURE_COUNT; i++) {
        const kiln_feature_info *f = &kiln_feature_table[i];
        if (f->state == KILN_FEATURE_MISSING) fprintf(out, "  %-20s %s\n", f->name, f->what);
    }
    fprintf(out, "--enable-all turns on every feature that works; --enable-NAME of one not\n"
                 "supported yet is accepted for compatibility, with a warning.\n");
}

/* ---- verbosity ------------------------------------------------------------------ */

cli_verbosity_level cli_verbosity = CLI_NORMAL;

bool cli_verbosity_flag(const char *arg) {
    if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) cli_verbosity = CLI_QUIET;
    else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) cli_verbosity = CLI_VERBOSE;
    else return false;
    return true;
}

void cli_warning(const char *path, const char *fmt, ...) {
    if (cli_verbosity == CLI_QUIET) return;
    va_list ap;
    va_start(ap, fmt);
    path_message(path, "warning", fmt, ap);
    va_end(ap);
}

/* ---- temporary directories, removed on every exit path ----------------------- */

/* Scratch files live in private directories that are registered here.
 * A normal return removes them (cli_temp_dir_remove), exit() does through
 * atexit, and SIGHUP, SIGINT, SIGQUIT and SIGTERM through a handler that
 * then re-raises the signal, so the process still dies of it.  Whole
 * directories are removed, so files other code names itself (emit.c's
 * partition objects, say) go too. */
enum { TEMP_DIRS_MAX = 4 };

typedef struct temp_dir {
    char path[PATH_MAX];
    DIR *stream; /* opened when registered: the signal handler must not allocate */
    unsigned long made; /* order of registration */
    volatile sig_atomic_t live;
} temp_dir;

static temp_dir temp_dirs[TEMP_DIRS_MAX];
static unsigned long temp_dirs_made;
static const int temp_signals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
enum { TEMP_NUM_SIGNALS = sizeof temp_signals / sizeof temp_signals[0] };

/* Also runs in the signal handler: readdir() is not on POSIX's list of
 * async-signal-safe functions, but on a stream that nothing else reads it
 * neither allocates nor waits for a lock.  A file appearing meanwhile (a
 * compile thread still writing) makes rmdir fail; then go round again. */
static void temp_dir_empty_and_remove(temp_dir *t) {
    for (int round = 0; round < 3; round++) {
        rewinddir(t->stream);
        for (struct dirent *e; (e = readdir(t->stream));)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(t->stream), e->d_name, 0);
        if (rmdir(t->path) == 0 || errno != ENOTEMPTY) break;
    }
}

/* Newest first: a directory may hold a later one (`kiln run --no-cache`
 * builds in a directory inside its temporary cache). */
static void temp_dirs_remove_all(void) {
    bool removed[TEMP_DIRS_MAX] = {false};
    for (;;) {
        int newest = -1;
        for (int i = 0; i < TEMP_DIRS_MAX; i++)
            if (temp_dirs[i].live && !removed[i] &&
                (newest < 0 || temp_dirs[i].made > temp_dirs[newest].made))
                newest = i;
        if (newest < 0) return;
        removed[newest] = true;
        temp_dir_empty_and_remove(&temp_dirs[newest]);
    }
}

/* SA_RESETHAND has restored the default action; the raised signal stays
 * blocked until the handler returns, then ends the process. */
static void temp_signal(int sig) {
    temp_dirs_remove_all();
    raise(sig);
}

static void temp_cleanup_install(void) {
    static bool installed;
    if (installed) return;
    installed = true;
    atexit(temp_dirs_remove_all);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = temp_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < TEMP_NUM_SIGNALS; i++) sigaddset(&sa.sa_mask, temp_signals[i]);
    for (int i = 0; i < TEMP_NUM_SIGNALS; i++) {
        struct sigaction old;
        /* A signal the caller ignores (nohup, a background job) stays ignored. */
        if (sigaction(temp_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(temp_signals[i], &sa, NULL);
    }
}

static void temp_signals_block(bool block) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < TEMP_NUM_SIGNALS; i++) sigaddset(&set, temp_signals[i]);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

const char *cli_temp_parent(void) {
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

bool cli_temp_dir_make(const char *parent, const char *name, char *out, size_t cap) {
    temp_dir *t = NULL;
    for (int i = 0; i < TEMP_DIRS_MAX && !t; i++)
        if (!temp_dirs[i].live) t = &temp_dirs[i];
    if (!t) return errno = EMFILE, false;
    if (snprintf(t->path, sizeof t->path, "%s/%sXXXXXX", parent, name) >= (int)sizeof t->path)
        return errno = ENAMETOOLONG, false;
    temp_cleanup_install();
    temp_signals_block(true);
    bool made = mkdtemp(t->path) != NULL;
    bool ok = made && (t->stream = opendir(t->path)) != NULL;
    int saved = errno;
    if (ok) {
        t->made = ++temp_dirs_made;
        t->live = 1;
    } else if (made) {
        rmdir(t->path);
    }
    temp_signals_block(false);
    if (ok) snprintf(out, cap, "%s", t->path);
    errno = saved;
    return ok;
}

void cli_temp_dir_remove(const char *path) {
    temp_signals_block(true);
    for (int i = 0; i < TEMP_DIRS_MAX; i++) {
        temp_dir *t = &temp_dirs[i];
        if (!t->live || strcmp(t->path, path) != 0) continue;
        temp_dir_empty_and_remove(t);
        t->live = 0;
        closedir(t->stream);
    }
    temp_signals_block(false);
}
