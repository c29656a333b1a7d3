/* wasi_path.c - resolving guest paths beneath a directory descriptor.
 *
 * The result of a resolution is always (directory fd, final name): the
 * directory has been reached without ever leaving the root, and every
 * operation then acts on the single final name with *at() calls that do
 * not follow a final symlink.  A final symlink that should be followed is
 * expanded here, by text, and resolved again; so a link swapped in after
 * we looked can at worst be acted on as a link, never followed outside.
 *
 * Two resolvers reach the directory:
 *   - openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): the kernel walks
 *     and refuses any escape (EXDEV), atomically;
 *   - a component walk: each component opened with O_NOFOLLOW, symlinks
 *     read and spliced into the remaining path, `..` popping a stack of
 *     opened directories that may never go below the root.
 * Both give ENOTCAPABLE for an escape and for absolute paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi_internal.h"

#define SYMLINK_MAX_FOLLOWS 40
#define WALK_MAX_DEPTH 256

uint16_t path_copy(const wasi_mem *m, uint32_t ptr, uint32_t len, char **out) {
    if (!mem_ok(m, ptr, len))
        return WASI_EFAULT;
    if (memchr(m->base + ptr, '\0', len))
        return WASI_EILSEQ; /* a NUL would silently cut the path short */
    if (len >= PATH_MAX)
        return WASI_ENAMETOOLONG;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return WASI_ENOMEM;
    memcpy(s, m->base + ptr, len);
    s[len] = '\0';
    *out = s;
    return WASI_ESUCCESS;
}

/* ---- the openat2 resolver ------------------------------------------------------ */

static int openat2_beneath(int root, const char *path) {
    struct open_how how = {
        .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    for (int tries = 0; tries < 16; tries++) {
        long fd = syscall(SYS_openat2, root, path, &how, sizeof how);
        /* EAGAIN: a concurrent rename made the kernel give up; retry. */
        if (fd >= 0 || errno != EAGAIN)
            return (int)fd;
    }
    return -1;
}

/* Splits "a/b/c" into dir "a/b" and name "c"; "c" gives dir "."; "a/"
 * gives name "a"; "/" gives name ".".  A final ".." moves into the dir
 * part (name ".") so that the name never escapes a resolved directory. */
static uint16_t path_split(char *path, char **dir, char *name) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        path[--len] = '\0';
    char *slash = strrchr(path, '/');
    const char *last = slash ? slash + 1 : path;
    if (strlen(last) > NAME_MAX)
        return WASI_ENAMETOOLONG;
    if (strcmp(last, "..") == 0 || *last == '\0') {
        strcpy(name, ".");
        *dir = path; /* "x/.." or "/": resolve it all as a directory */
        return WASI_ESUCCESS;
    }
    strcpy(name, last);
    if (slash) {
        slash[slash == path ? 1 : 0] = '\0'; /* "/x" keeps "/" so it is refused */
        *dir = path;
    } else {
        *dir = ".";
    }
    return WASI_ESUCCESS;
}

/* ---- the component walk ---------------------------------------------------------- */

typedef struct walk {
    int fds[WALK_MAX_DEPTH]; /* fds[0] is the root (not owned) */
    int depth;
    char *rest; /* malloc'ed remaining path */
    int follows;
} walk;

static const char *walk_next(walk *wk, char *comp, bool *last) {
    char *p = wk->rest;
    while (*p == '/')
        p++;
    size_t n = strcspn(p, "/");
    if (n > NAME_MAX)
        return NULL;
    memcpy(comp, p, n);
    comp[n] = '\0';
    p += n;
    while (*p == '/')
        p++;
    *last = *p == '\0';
    memmove(wk->rest, p, strlen(p) + 1);
    return comp;
}

/* Replaces the component just taken by the link's target. */
static uint16_t walk_splice(walk *wk, const char *target) {
    if (++wk->follows > SYMLINK_MAX_FOLLOWS)
        return WASI_ELOOP;
    if (target[0] == '/')
        return WASI_ENOTCAPABLE;
    size_t tl = strlen(target), rl = strlen(wk->rest);
    if (tl + rl + 2 > PATH_MAX)
        return WASI_ENAMETOOLONG;
    char *joined = malloc(tl + rl + 2);
    if (!joined)
        return WASI_ENOMEM;
    memcpy(joined, target, tl);
    joined[tl] = '/';
    memcpy(joined + tl + 1, wk->rest, rl + 1);
    free(wk->rest);
    wk->rest = joined;
    return WASI_ESUCCESS;
}

/* If `comp` in the current directory is a symlink, splices it; *was_link
 * tells the caller whether it was one. */
static uint16_t walk_try_link(walk *wk, const char *comp, bool *was_link) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(wk->fds[wk->depth], comp, target, sizeof target - 1);
    *was_link = n >= 0;
    if (n < 0)
        return WASI_ESUCCESS;
    target[n] = '\0';
    return walk_splice(wk, target);
}

static uint16_t walk_enter(walk *wk, const char *comp) {
    if (wk->depth + 1 >= WALK_MAX_DEPTH)
        return WASI_ENAMETOOLONG;
    int fd = openat(wk->fds[wk->depth], comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        wk->fds[++wk->depth] = fd;
        return WASI_ESUCCESS;
    }
    int saved = errno;
    bool was_link = false;
    uint16_t err = (saved == ENOTDIR || saved == ELOOP) ? walk_try_link(wk, comp, &was_link) : 0;
    if (err)
        return err;
    return was_link ? WASI_ESUCCESS : errno_to_wasi(saved);
}

static uint16_t walk_step(walk *wk, char *comp, bool last, bool follow_final, bool *done) {
    *done = false;
    if (strcmp(comp, ".") == 0 || comp[0] == '\0') {
        *done = last;
        strcpy(comp, ".");
        return WASI_ESUCCESS;
    }
    if (strcmp(comp, "..") == 0) {
        if (wk->depth == 0)
            return WASI_ENOTCAPABLE;
        close(wk->fds[wk->depth--]);
        *done = last;
        strcpy(comp, ".");
        return WASI_ESUCCESS;
    }
    if (last) {
        bool was_link = false;
        uint16_t err = follow_final ? walk_try_link(wk, comp, &was_link) : 0;
        *done = !was_link;
        return err;
    }
    return walk_enter(wk, comp);
}

static uint16_t resolve_walk(int root, const char *path, bool follow_final, int *dirfd,
                             char *name) {
    if (path[0] == '/')
        return WASI_ENOTCAPABLE;
    walk wk = {.depth = 0, .rest = strdup(path)};
    if (!wk.rest)
        return WASI_ENOMEM;
    wk.fds[0] = root;
    uint16_t err = WASI_ESUCCESS;
    bool done = false, last = false;
    while (!err && !done) {
        if (!walk_next(&wk, name, &last))
            err = WASI_ENAMETOOLONG;
        else
            err = walk_step(&wk, name, last, follow_final, &done);
    }
    if (!err) {
        *dirfd = wk.depth ? dup(wk.fds[wk.depth]) : openat(root, ".", O_PATH | O_CLOEXEC);
        if (*dirfd < 0)
            err = errno_to_wasi(errno);
    }
    while (wk.depth > 0)
        close(wk.fds[wk.depth--]);
    free(wk.rest);
    return err;
}

/* ---- entry point ------------------------------------------------------------------ */

/* Joins the directory part of a path and a relative symlink target. */
static char *path_join(const char *dir, const char *target) {
    size_t need = strlen(dir) + strlen(target) + 2;
    char *s = malloc(need);
    if (s)
        snprintf(s, need, "%s/%s", dir, target);
    return s;
}

/* With openat2, a final symlink to follow is expanded by text and the
 * result resolved again, so the kernel checks the target too. */
static uint16_t resolve_kernel(int root, const char *path, bool follow_final, int *dirfd,
                               char *name) {
    char *cur = strdup(path), *dir;
    for (int follows = 0; cur; follows++) {
        uint16_t err = follows > SYMLINK_MAX_FOLLOWS ? WASI_ELOOP : path_split(cur, &dir, name);
        int fd = err ? -1 : openat2_beneath(root, dir);
        if (!err && fd < 0)
            err = errno == EXDEV ? WASI_ENOTCAPABLE : errno_to_wasi(errno);
        char target[PATH_MAX];
        ssize_t n = err || !follow_final ? -1 : readlinkat(fd, name, target, sizeof target - 1);
        if (n < 0) {
            free(cur);
            *dirfd = fd;
            return err;
        }
        close(fd);
        target[n] = '\0';
        char *next = target[0] == '/' ? NULL : path_join(dir, target);
        free(cur);
        if (!next)
            return target[0] == '/' ? WASI_ENOTCAPABLE : WASI_ENOMEM;
        cur = next;
    }
    return WASI_ENOMEM;
}

uint16_t path_resolve(kiln_wasi *w, int root_fd, const char *path, bool follow_final,
                      int *dirfd, char *name) {
    if (path[0] == '\0')
        return WASI_ENOENT;
    if (w->use_openat2) {
        uint16_t err = resolve_kernel(root_fd, path, follow_final, dirfd, name);
        if (err != WASI_ENOSYS)
            return err;
        w->use_openat2 = false; /* older kernel: walk from now on */
    }
    return resolve_walk(root_fd, path, follow_final, dirfd, name);
}
