/* main.c - the kiln driver: `kiln <command> [options]`.
 *
 * main() only picks the command; every command lives in its own
 * cli_<command>.c.  The commands other than `validate` are declared weak
 * so that a build which does not (yet) contain the back end still links
 * and says plainly which commands it lacks. */
#include <errno.h>
#include <fcntl.h>
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
                 "       kiln <command> --help\n"
                 "       kiln --version\n\n"
                 "commands:\n");
    for (int i = 0; i < NUM_COMMANDS; i++) {
        const char *missing = commands[i].run ? "" : " (not in this build)";
        fprintf(out, "  %-10s %s%s\n", commands[i].name, commands[i].summary, missing);
    }
}

static const cli_command *command_find(const char *name) {
    for (int i = 0; i < NUM_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage_print(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage_print(stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("kiln %s (LLVM 19, WebAssembly 2.0)\n", KILN_VERSION);
        return CLI_OK;
    }
    const cli_command *cmd = command_find(name);
    if (!cmd) {
        fprintf(stderr, "kiln: unknown command '%s'\n\n", name);
        usage_print(stderr);
        return CLI_USAGE;
    }
    if (!cmd->run) {
        fprintf(stderr, "kiln: command '%s' is not part of this build\n", name);
        return CLI_USAGE;
    }
    return cmd->run(argc - 1, argv + 1);
}

/* ---- helpers shared by the commands -------------------------------------- */

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

typedef struct feature_name {
    const char *flag;
    uint32_t bit;
} feature_name;

static const feature_name feature_names[] = {
    {"--enable-tail-call", KILN_FEATURE_TAIL_CALL},
    {"--enable-extended-const", KILN_FEATURE_EXTENDED_CONST},
    {"--enable-multi-memory", KILN_FEATURE_MULTI_MEMORY},
    {"--enable-memory64", KILN_FEATURE_MEMORY64},
    {"--enable-exceptions", KILN_FEATURE_EXCEPTIONS},
    {"--enable-all", KILN_FEATURE_TAIL_CALL | KILN_FEATURE_EXTENDED_CONST |
                         KILN_FEATURE_MULTI_MEMORY | KILN_FEATURE_MEMORY64 |
                         KILN_FEATURE_EXCEPTIONS},
};

bool cli_feature_flag(const char *arg, uint32_t *features) {
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++) {
        if (strcmp(arg, feature_names[i].flag) == 0) {
            *features |= feature_names[i].bit;
            return true;
        }
    }
    return false;
}
