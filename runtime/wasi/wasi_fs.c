/* wasi_fs.c - the path_* functions.  Each one checks the directory fd's
 * rights, copies the guest path out, resolves it beneath that directory
 * (wasi_path.c) and acts on the final name with an *at() call that does
 * not follow symlinks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi_internal.h"

typedef struct resolved {
    int dirfd;
    char name[NAME_MAX + 1];
    wasi_fd *base; /* the guest directory the path was relative to */
    bool slash;    /* the path ended in '/': the final name must be a directory */
} resolved;

/* How path_at treats a final symlink: followed always, or only when the
 * path ends in '/' (POSIX: "link/" names what the link points to; the
 * operations that act on a name itself - unlink, rename, link - leave
 * it, and then fail on the link as on any non-directory). */
enum { LOOKUP_FOLLOW = 1, LOOKUP_FOLLOW_SLASH = 2 };

static bool ends_in_slash(const char *p) {
    size_t n = strlen(p);
    return n > 1 && p[n - 1] == '/';
}

static uint16_t path_at(kiln_wasi *w, const wasi_mem *m, uint32_t fd, uint64_t need,
                        uint32_t path, uint32_t len, unsigned lookup, resolved *r) {
    char *p = NULL;
    uint16_t err = fd_lookup(w, fd, need, &r->base);
    if (!err)
        err = path_copy(m, path, len, &p);
    if (!err) {
        r->slash = ends_in_slash(p);
        bool follow = (lookup & LOOKUP_FOLLOW) || (r->slash && (lookup & LOOKUP_FOLLOW_SLASH));
        err = path_resolve(w, r->base->host_fd, p, follow, &r->dirfd, r->name);
    }
    free(p);
    return err;
}

/* The resolver drops a trailing '/' (the kernel would follow a final
 * symlink through it, outside our checks), so its meaning is enforced
 * here: an existing final name that is not a directory is ENOTDIR. */
static uint16_t slash_check(const resolved *r) {
    struct stat st;
    if (r->slash && fstatat(r->dirfd, r->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISDIR(st.st_mode))
        return WASI_ENOTDIR;
    return WASI_ESUCCESS;
}

/* A new link's name ending in '/' can only name a directory, which a
 * link never is: EEXIST if a directory is there, ENOTDIR if something
 * else is, ENOENT if nothing is (as Linux's symlink and link). */
static uint16_t slash_new_name(const resolved *r) {
    struct stat st;
    if (!r->slash)
        return WASI_ESUCCESS;
    if (fstatat(r->dirfd, r->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return WASI_ENOENT;
    return S_ISDIR(st.st_mode) ? WASI_EEXIST : WASI_ENOTDIR;
}

/* Closes the resolved directory when a check failed. */
static uint16_t check_or_close(uint16_t err, resolved *r) {
    if (err)
        close(r->dirfd);
    return err;
}

static uint16_t result_of(int rc, resolved *r) {
    uint16_t err = rc < 0 ? errno_to_wasi(errno) : WASI_ESUCCESS;
    close(r->dirfd);
    return err;
}

uint16_t wasi_path_create_directory(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                                    uint32_t path_len) {
    resolved r;
    uint16_t err = path_at(w, m, fd, WASI_RIGHT_PATH_CREATE_DIRECTORY, path, path_len, 0, &r);
    return err ? err : result_of(mkdirat(r.dirfd, r.name, 0777), &r);
}

uint16_t wasi_path_remove_directory(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                                    uint32_t path_len) {
    resolved r;
    uint16_t err = path_at(w, m, fd, WASI_RIGHT_PATH_REMOVE_DIRECTORY, path, path_len, 0, &r);
    return err ? err : result_of(unlinkat(r.dirfd, r.name, AT_REMOVEDIR), &r);
}

uint16_t wasi_path_unlink_file(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                               uint32_t path_len) {
    resolved r;
    uint16_t err = path_at(w, m, fd, WASI_RIGHT_PATH_UNLINK_FILE, path, path_len, 0, &r);
    if (!err)
        err = check_or_close(slash_check(&r), &r);
    return err ? err : result_of(unlinkat(r.dirfd, r.name, 0), &r);
}

/* Guest lookupflags -> path_at's: following a final link on request, and
 * on a trailing '/' as POSIX does. */
static unsigned lookup_of(uint32_t flags) {
    return (flags & WASI_LOOKUP_SYMLINK_FOLLOW ? LOOKUP_FOLLOW : 0) | LOOKUP_FOLLOW_SLASH;
}

uint16_t wasi_path_filestat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags,
                                uint32_t path, uint32_t path_len, uint32_t out) {
    if (!mem_ok(m, out, WASI_SIZEOF_FILESTAT))
        return WASI_EFAULT;
    resolved r;
    uint16_t err = path_at(w, m, fd, WASI_RIGHT_PATH_FILESTAT_GET, path, path_len,
                           lookup_of(flags), &r);
    if (!err)
        err = check_or_close(slash_check(&r), &r);
    if (err)
        return err;
    struct stat st;
    if ((err = result_of(fstatat(r.dirfd, r.name, &st, AT_SYMLINK_NOFOLLOW), &r)))
        return err;
    return filestat_store(m, out, &st);
}

uint16_t wasi_path_filestat_set_times(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags,
                                      uint32_t path, uint32_t path_len, uint64_t atim,
                                      uint64_t mtim, uint32_t fstflags) {
    struct timespec ts[2];
    uint16_t err = times_from_flags(atim, mtim, fstflags, ts);
    if (err)
        return err;
    resolved r;
    err = path_at(w, m, fd, WASI_RIGHT_PATH_FILESTAT_SET_TIMES, path, path_len, lookup_of(flags),
                  &r);
    if (!err)
        err = check_or_close(slash_check(&r), &r);
    return err ? err : result_of(utimensat(r.dirfd, r.name, ts, AT_SYMLINK_NOFOLLOW), &r);
}

uint16_t wasi_path_readlink(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                            uint32_t path_len, uint32_t buf, uint32_t buf_len,
                            uint32_t bufused) {
    if (!mem_ok(m, buf, buf_len) || !mem_ok(m, bufused, 4))
        return WASI_EFAULT;
    resolved r;
    uint16_t err = path_at(w, m, fd, WASI_RIGHT_PATH_READLINK, path, path_len, 0, &r);
    if (err)
        return err;
    char target[PATH_MAX];
    ssize_t n = readlinkat(r.dirfd, r.name, target, sizeof target);
    if ((err = result_of((int)n, &r)))
        return err;
    uint32_t len = (uint64_t)n < buf_len ? (uint32_t)n : buf_len; /* truncates, like readlink */
    memcpy(m->base + buf, target, len);
    mem_st32(m, bufused, len);
    return WASI_ESUCCESS;
}

uint16_t wasi_path_symlink(kiln_wasi *w, wasi_mem *m, uint32_t old_path, uint32_t old_len,
                           uint32_t fd, uint32_t new_path, uint32_t new_len) {
    char *target = NULL;
    uint16_t err = path_copy(m, old_path, old_len, &target);
    /* An absolute target could never be followed inside the sandbox; refuse
     * it rather than plant a link that host tools would follow outside. */
    if (!err && target[0] == '/')
        err = WASI_ENOTCAPABLE;
    resolved r;
    if (!err)
        err = path_at(w, m, fd, WASI_RIGHT_PATH_SYMLINK, new_path, new_len, 0, &r);
    if (!err)
        err = check_or_close(slash_new_name(&r), &r);
    if (!err)
        err = result_of(symlinkat(target, r.dirfd, r.name), &r);
    free(target);
    return err;
}

static uint16_t path_pair(kiln_wasi *w, wasi_mem *m, uint32_t fd1, uint64_t need1,
                          unsigned lookup1, uint32_t p1, uint32_t l1, uint32_t fd2, uint64_t need2,
                          uint32_t p2, uint32_t l2, resolved *a, resolved *b) {
    uint16_t err = path_at(w, m, fd1, need1, p1, l1, lookup1, a);
    if (err)
        return err;
    if ((err = path_at(w, m, fd2, need2, p2, l2, 0, b)))
        close(a->dirfd);
    return err;
}

static uint16_t pair_close(uint16_t err, resolved *a, resolved *b) {
    if (err) {
        close(a->dirfd);
        close(b->dirfd);
    }
    return err;
}

uint16_t wasi_path_link(kiln_wasi *w, wasi_mem *m, uint32_t old_fd, uint32_t old_flags,
                        uint32_t old_path, uint32_t old_len, uint32_t new_fd, uint32_t new_path,
                        uint32_t new_len) {
    resolved a, b;
    uint16_t err = path_pair(w, m, old_fd, WASI_RIGHT_PATH_LINK_SOURCE,
                             old_flags & WASI_LOOKUP_SYMLINK_FOLLOW ? LOOKUP_FOLLOW : 0,
                             old_path, old_len, new_fd, WASI_RIGHT_PATH_LINK_TARGET, new_path,
                             new_len, &a, &b);
    if (!err) {
        uint16_t bad = slash_check(&a);
        err = pair_close(bad ? bad : slash_new_name(&b), &a, &b);
    }
    if (err)
        return err;
    int rc = linkat(a.dirfd, a.name, b.dirfd, b.name, 0);
    close(a.dirfd);
    return result_of(rc, &b);
}

uint16_t wasi_path_rename(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t old_path,
                          uint32_t old_len, uint32_t new_fd, uint32_t new_path,
                          uint32_t new_len) {
    resolved a, b;
    uint16_t err = path_pair(w, m, fd, WASI_RIGHT_PATH_RENAME_SOURCE, 0, old_path, old_len,
                             new_fd, WASI_RIGHT_PATH_RENAME_TARGET, new_path, new_len, &a, &b);
    if (!err) {
        /* A '/' at the end of either name says the source is a directory. */
        a.slash |= b.slash;
        err = pair_close(slash_check(&a), &a, &b);
    }
    if (err)
        return err;
    int rc = renameat(a.dirfd, a.name, b.dirfd, b.name);
    close(a.dirfd);
    return result_of(rc, &b);
}

/* ---- path_open --------------------------------------------------------------------- */

#define RIGHTS_READING (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_READDIR)
#define RIGHTS_WRITING                                                                   \
    (WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_ALLOCATE |             \
     WASI_RIGHT_FD_FILESTAT_SET_SIZE)

/* The access mode follows the rights asked for: wasi-libc turns O_RDONLY,
 * O_WRONLY and O_RDWR into exactly these rights. */
static int open_flags(uint32_t oflags, uint64_t rights, uint32_t fdflags) {
    int fl = O_CLOEXEC | O_NOFOLLOW;
    bool dir = oflags & WASI_OFLAG_DIRECTORY;
    /* A directory asked for with FD_WRITE is refused by the kernel (EISDIR),
     * as by wasmtime and the wasi-testsuite; the other writing rights do
     * not make a directory open for writing (some libcs ask for them). */
    bool wr = rights & (dir ? WASI_RIGHT_FD_WRITE : RIGHTS_WRITING), rd = rights & RIGHTS_READING;
    fl |= dir ? O_DIRECTORY : 0;
    fl |= wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
    fl |= oflags & WASI_OFLAG_CREAT ? O_CREAT : 0;
    fl |= oflags & WASI_OFLAG_EXCL ? O_EXCL : 0;
    fl |= oflags & WASI_OFLAG_TRUNC ? O_TRUNC : 0;
    fl |= fdflags & WASI_FDFLAG_APPEND ? O_APPEND : 0;
    fl |= fdflags & WASI_FDFLAG_NONBLOCK ? O_NONBLOCK : 0;
    fl |= fdflags & WASI_FDFLAG_DSYNC ? O_DSYNC : 0;
    fl |= fdflags & (WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC) ? O_SYNC : 0;
    return fl;
}

static uint64_t open_needs(uint32_t oflags, uint32_t fdflags) {
    uint64_t need = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_OFLAG_CREAT)
        need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_OFLAG_TRUNC)
        need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    return need;
}

uint16_t wasi_path_open(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t dirflags, uint32_t path,
                        uint32_t path_len, uint32_t oflags, uint64_t rights_base,
                        uint64_t rights_inheriting, uint32_t fdflags, uint32_t out_fd) {
    if (!mem_ok(m, out_fd, 4))
        return WASI_EFAULT;
    /* O_CREAT|O_EXCL never follows a final symlink (POSIX): it fails on it. */
    bool excl = (oflags & WASI_OFLAG_CREAT) && (oflags & WASI_OFLAG_EXCL);
    unsigned lookup = excl ? 0 : lookup_of(dirflags);
    resolved r;
    uint16_t err = path_at(w, m, fd, open_needs(oflags, fdflags), path, path_len, lookup, &r);
    /* "name/" can only be a directory, which O_CREAT never makes (EISDIR,
     * as Linux's open). */
    if (!err)
        err = check_or_close(r.slash && (oflags & WASI_OFLAG_CREAT) ? WASI_EISDIR
                                                                    : slash_check(&r),
                             &r);
    if (err)
        return err;
    /* New descriptors never get more than the directory may hand down. */
    rights_base &= r.base->rights_inheriting;
    rights_inheriting &= r.base->rights_inheriting;
    int hfd = openat(r.dirfd, r.name, open_flags(oflags, rights_base, fdflags), 0666);
    if ((err = result_of(hfd, &r)))
        return err;
    struct stat st;
    uint8_t type = fstat(hfd, &st) == 0 ? filetype_from_mode(st.st_mode) : WASI_FILETYPE_UNKNOWN;
    if (type == WASI_FILETYPE_DIRECTORY) {
        rights_base &= WASI_RIGHTS_DIR;
    } else {
        rights_base &= WASI_RIGHTS_FILE | WASI_RIGHTS_STREAM;
        rights_inheriting = 0;
    }
    uint32_t num;
    if ((err = fd_insert(w, hfd, type, rights_base, rights_inheriting, &num))) {
        close(hfd);
        return err;
    }
    mem_st32(m, out_fd, num);
    return WASI_ESUCCESS;
}
