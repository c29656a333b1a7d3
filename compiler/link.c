/* link.c - turns objects into a shared library, an executable or (for
 * partitioned compiles) one relocatable object by running the system C
 * compiler driver ($CC, default `cc`).
 *
 * The driver is spawned directly (no shell), so paths need no quoting;
 * $CC may hold several words ("ccache gcc"), split on spaces. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "compile.h"

extern char **environ;

enum { LINK_MAX_CC_WORDS = 16 };

typedef struct link_cmd {
    char *cc_copy;     /* $CC, split in place */
    const char **argv; /* NULL-terminated */
    size_t argc, cap;
} link_cmd;

static bool cmd_push(link_cmd *c, const char *arg) {
    if (c->argc + 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        const char **bigger = realloc(c->argv, cap * sizeof *bigger);
        if (!bigger) return false;
        c->argv = bigger;
        c->cap = cap;
    }
    c->argv[c->argc++] = arg;
    c->argv[c->argc] = NULL;
    return true;
}

/* `driver` NULL: $CC, default `cc`. */
static bool cmd_init(link_cmd *c, const char *driver) {
    memset(c, 0, sizeof *c);
    const char *cc = driver ? driver : getenv("CC");
    c->cc_copy = strdup(cc && *cc ? cc : "cc");
    if (!c->cc_copy) return false;
    size_t words = 0;
    for (char *save = NULL, *w = strtok_r(c->cc_copy, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        if (++words > LINK_MAX_CC_WORDS || !cmd_push(c, w)) return false;
    }
    return words > 0;
}

static void cmd_free(link_cmd *c) {
    free(c->cc_copy);
    free(c->argv);
}

/* Runs the command; false with a message naming the driver on failure. */
static bool cmd_run(link_cmd *c, kiln_error *err) {
    pid_t pid;
    int rc = posix_spawnp(&pid, c->argv[0], NULL, NULL, (char *const *)c->argv, environ);
    if (rc != 0) return error_set(err, KILN_ERR_IO, 0, "cannot run %s: %s", c->argv[0], strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return error_set(err, KILN_ERR_IO, 0, "waitpid: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    return error_set(err, KILN_ERR_LOWER, 0, "%s failed (status %d) while linking", c->argv[0],
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static bool link_run_driver(const char *driver, const char *const *pre, size_t npre,
                            const char *const *objs, size_t nobjs, const char *const *post,
                            size_t npost, kiln_error *err) {
    link_cmd c;
    bool ok = cmd_init(&c, driver);
    for (size_t i = 0; ok && i < npre; i++) ok = cmd_push(&c, pre[i]);
    for (size_t i = 0; ok && i < nobjs; i++) ok = cmd_push(&c, objs[i]);
    for (size_t i = 0; ok && i < npost; i++) ok = cmd_push(&c, post[i]);
    if (!ok) {
        cmd_free(&c);
        return error_set(err, KILN_ERR_NOMEM, 0, "cannot build the link command");
    }
    ok = cmd_run(&c, err);
    cmd_free(&c);
    return ok;
}

static bool link_run(const char *const *pre, size_t npre, const char *const *objs, size_t nobjs,
                     const char *const *post, size_t npost, kiln_error *err) {
    return link_run_driver(NULL, pre, npre, objs, nobjs, post, npost, err);
}

/* The object resolves kiln_rt_* from the process that dlopens it. */
bool link_shared_library(const char *object_path, const char *output_path, kiln_error *err) {
    const char *pre[] = {"-shared", "-o", output_path};
    return link_run(pre, 3, &object_path, 1, NULL, 0, err);
}

/* The objects must include the runtime and a main (kiln build adds them). */
bool link_executable(const char *const *object_paths, size_t count, const char *output_path,
                     kiln_error *err) {
    return link_executable_with(NULL, object_paths, count, output_path, err);
}

/* -nostdlib keeps the driver from adding start files and libraries;
 * hidden symbols of the parts stay hidden in the combined object. */
bool link_relocatable(const char *const *object_paths, size_t count, const char *output_path,
                      kiln_error *err) {
    return link_relocatable_with(NULL, object_paths, count, output_path, err);
}

/* ---- another target's driver (cross.h): `kiln build --target`, and the
 *      parts of a partitioned `kiln compile --target` ---------------------- */

bool link_executable_with(const char *driver, const char *const *object_paths, size_t count,
                          const char *output_path, kiln_error *err) {
    const char *pre[] = {"-o", output_path};
    const char *post[] = {"-lm", "-lpthread"};
    return link_run_driver(driver, pre, 2, object_paths, count, post, 2, err);
}

bool link_relocatable_with(const char *driver, const char *const *object_paths, size_t count,
                           const char *output_path, kiln_error *err) {
    const char *pre[] = {"-nostdlib", "-r", "-o", output_path};
    return link_run_driver(driver, pre, 4, object_paths, count, NULL, 0, err);
}
