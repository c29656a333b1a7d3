// e2e-dir
// e2e-expect: wasi_conformance.expected
// WASI preview1 conformance, case by case, through the raw __wasi_*
// calls (libc would hide the errno or add its own checks).  Each case
// prints one line, "name: ok" or what it got and what would be accepted.
// The accepted sets are those of the preview1 spec (witx) and of the
// public wasi-testsuite, which accepts several errnos where hosts differ
// (e.g. a file operation on a directory: ISDIR, BADF or NOTCAPABLE).
// The sandbox cases (paths that would resolve outside the preopen) come
// first; they must fail with NOTCAPABLE or PERM, and must not touch the
// host outside.  Needs no native run (natively there is no WASI).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

/* Clean-up calls whose result does not matter. */
#pragma clang diagnostic ignored "-Wunused-result"

#define ROOT 3 /* the preopen (kiln: --dir D::.) */
#define END 0xffff

/* path_open with an explicit length, to pass a path with a NUL in it. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) extern int32_t
raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags,
              int64_t base, int64_t inheriting, int32_t fdflags, int32_t out);

static int failures;

/* Reports a case: `got` must be one of the errnos after it (END-terminated). */
static void check(const char *name, int got, ...) {
    va_list ap;
    va_start(ap, got);
    int ok = 0;
    char want[128] = "";
    for (int e = va_arg(ap, int); e != END; e = va_arg(ap, int)) {
        ok |= e == got;
        snprintf(want + strlen(want), sizeof want - strlen(want), " %d", e);
    }
    va_end(ap);
    if (ok)
        printf("%s: ok\n", name);
    else
        printf("%s: got %d, want one of%s\n", name, got, want), failures++;
}

static void truth(const char *name, int cond) {
    printf("%s: %s\n", name, cond ? "ok" : "FALSE");
    failures += !cond;
}

#define OK __WASI_ERRNO_SUCCESS
#define E(x) __WASI_ERRNO_##x
#define R(x) __WASI_RIGHTS_##x

static __wasi_fd_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path,
                           __wasi_oflags_t of, __wasi_rights_t base, __wasi_errno_t *err) {
    __wasi_fd_t fd = (__wasi_fd_t)-1;
    *err = __wasi_path_open(dir, lf, path, of, base, base, 0, &fd);
    return fd;
}

static int open_err(__wasi_fd_t dir, __wasi_lookupflags_t lf, const char *path,
                    __wasi_oflags_t of, __wasi_rights_t base) {
    __wasi_errno_t err;
    __wasi_fd_t fd = open_at(dir, lf, path, of, base, &err);
    if (!err)
        __wasi_fd_close(fd);
    return err;
}

static void make_file(__wasi_fd_t dir, const char *name) {
    __wasi_errno_t err;
    __wasi_fd_t fd = open_at(dir, 0, name, __WASI_OFLAGS_CREAT, 0, &err);
    if (err)
        printf("cannot create %s: %d\n", name, err), exit(1);
    __wasi_fd_close(fd);
}

/* What the wasi-testsuite requires a preopen to have and hand down. */
#define DIR_RIGHTS                                                                          \
    (R(PATH_CREATE_DIRECTORY) | R(PATH_CREATE_FILE) | R(PATH_LINK_SOURCE) |                 \
     R(PATH_LINK_TARGET) | R(PATH_OPEN) | R(FD_READDIR) | R(PATH_READLINK) |                \
     R(PATH_RENAME_SOURCE) | R(PATH_RENAME_TARGET) | R(PATH_SYMLINK) |                      \
     R(PATH_REMOVE_DIRECTORY) | R(PATH_UNLINK_FILE) | R(PATH_FILESTAT_GET) |                \
     R(PATH_FILESTAT_SET_TIMES) | R(FD_FILESTAT_GET) | R(FD_FILESTAT_SET_TIMES))
#define FILE_RIGHTS                                                                         \
    (R(FD_DATASYNC) | R(FD_READ) | R(FD_SEEK) | R(FD_FDSTAT_SET_FLAGS) | R(FD_SYNC) |       \
     R(FD_TELL) | R(FD_WRITE) | R(FD_ADVISE) | R(FD_ALLOCATE) | R(FD_FILESTAT_GET) |        \
     R(FD_FILESTAT_SET_SIZE) | R(FD_FILESTAT_SET_TIMES) | R(POLL_FD_READWRITE))

/* A scratch directory, opened as the wasi-testsuite opens its own. */
static __wasi_fd_t scratch(const char *name) {
    __wasi_path_create_directory(ROOT, name);
    __wasi_rights_t base = DIR_RIGHTS | R(PATH_FILESTAT_SET_SIZE);
    __wasi_rights_t inh = DIR_RIGHTS | FILE_RIGHTS;
    __wasi_fd_t fd;
    __wasi_errno_t err = __wasi_path_open(ROOT, 0, name, __WASI_OFLAGS_DIRECTORY, base, inh, 0, &fd);
    if (err)
        printf("cannot open scratch %s: %d\n", name, err), exit(1);
    return fd;
}

/* ---- sandbox: nothing may resolve outside the preopen ---------------------------- */

static void test_escapes(void) {
    __wasi_fd_t d = scratch("esc");
    __wasi_filestat_t st;
    check("escape: open ..", open_err(ROOT, 0, "..", 0, 0), E(NOTCAPABLE), E(PERM), END);
    check("escape: open ../", open_err(ROOT, 0, "../", 0, 0), E(NOTCAPABLE), E(PERM), END);
    check("escape: open a/../..", open_err(d, 0, "../..", 0, 0), E(NOTCAPABLE), E(PERM), END);
    check("escape: open absolute", open_err(ROOT, 0, "/etc/passwd", 0, 0), E(NOTCAPABLE),
          E(PERM), END);
    check("escape: mkdir ../x", __wasi_path_create_directory(ROOT, "../x"), E(NOTCAPABLE),
          E(PERM), END);
    check("escape: rmdir ..", __wasi_path_remove_directory(ROOT, ".."), E(NOTCAPABLE), E(PERM),
          E(BUSY), E(INVAL), END);
    check("escape: unlink ../x", __wasi_path_unlink_file(ROOT, "../x"), E(NOTCAPABLE), E(PERM),
          END);
    check("escape: stat ..", __wasi_path_filestat_get(ROOT, 0, "..", &st), E(NOTCAPABLE),
          E(PERM), END);
    make_file(d, "f");
    check("escape: rename to ../../x", __wasi_path_rename(d, "f", d, "../../x"), E(NOTCAPABLE),
          E(PERM), END);
    check("escape: link to ../../x", __wasi_path_link(d, 0, "f", d, "../../x"), E(NOTCAPABLE),
          E(PERM), END);
    check("escape: symlink at ../../x", __wasi_path_symlink("f", d, "../../x"), E(NOTCAPABLE),
          E(PERM), END);
    /* Links that point out may exist (planted by the host, or relative ones
     * made by the guest) but are never followed out. */
    int made = __wasi_path_symlink("../..", d, "up") == OK;
    check("escape: follow ../.. link", open_err(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up",
                                                __WASI_OFLAGS_DIRECTORY, 0),
          made ? E(NOTCAPABLE) : E(NOENT), E(PERM), END);
    check("escape: through ../.. link", open_err(d, 0, "up/esc/f", 0, 0),
          made ? E(NOTCAPABLE) : E(NOENT), E(PERM), END);
    check("escape: stat through ../.. link",
          __wasi_path_filestat_get(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up", &st),
          made ? E(NOTCAPABLE) : E(NOENT), E(PERM), END);
    check("escape: mkdir through ../.. link", __wasi_path_create_directory(d, "up/x"),
          made ? E(NOTCAPABLE) : E(NOENT), E(PERM), END);
    check("escape: rename into ../.. link", __wasi_path_rename(d, "f", d, "up/x"),
          made ? E(NOTCAPABLE) : E(NOENT), E(PERM), END);
    check("escape: times through ../.. link",
          __wasi_path_filestat_set_times(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "up", 0, 0,
                                         __WASI_FSTFLAGS_MTIM_NOW),
          made ? E(NOTCAPABLE) : E(NOENT), E(PERM), END);
    int abs = __wasi_path_symlink("/etc", d, "abs");
    check("escape: absolute symlink", abs == OK ? open_err(d, 0, "abs/passwd", 0, 0) : abs,
          E(NOTCAPABLE), E(PERM), E(NOENT), END);
    __wasi_path_symlink("loop2", d, "loop1");
    __wasi_path_symlink("loop1", d, "loop2");
    check("escape: symlink loop", open_err(d, 0, "loop1/x", 0, 0), E(LOOP), END);
    /* "up" is removed as a link, never followed to remove its target. */
    check("escape: unlink a link to ../..", __wasi_path_unlink_file(d, "up"),
          made ? OK : E(NOENT), END);
    __wasi_path_unlink_file(d, "abs");
    __wasi_path_unlink_file(d, "loop1");
    __wasi_path_unlink_file(d, "loop2");
    __wasi_path_unlink_file(d, "f");
    __wasi_fd_close(d);
    __wasi_path_remove_directory(ROOT, "esc");
}

/* ---- operations on the wrong kind of descriptor ---------------------------------- */

static void test_dir_fd_ops(void) {
    __wasi_fd_t d = scratch("dirops");
    uint8_t buf[16];
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_ciovec_t ciov = {buf, sizeof buf};
    __wasi_size_t n;
    __wasi_filesize_t pos;
#define DIRERR E(ISDIR), E(BADF), E(NOTCAPABLE)
    check("dir fd: fd_read", __wasi_fd_read(d, &iov, 1, &n), DIRERR, END);
    check("dir fd: fd_pread", __wasi_fd_pread(d, &iov, 1, 0, &n), DIRERR, END);
    check("dir fd: fd_write", __wasi_fd_write(d, &ciov, 1, &n), DIRERR, END);
    check("dir fd: fd_pwrite", __wasi_fd_pwrite(d, &ciov, 1, 0, &n), DIRERR, END);
    check("dir fd: fd_seek cur", __wasi_fd_seek(d, 0, __WASI_WHENCE_CUR, &pos), DIRERR, END);
    check("dir fd: fd_seek set", __wasi_fd_seek(d, 0, __WASI_WHENCE_SET, &pos), DIRERR, END);
    check("dir fd: fd_seek end", __wasi_fd_seek(d, 0, __WASI_WHENCE_END, &pos), DIRERR, END);
    check("dir fd: fd_tell", __wasi_fd_tell(d, &pos), DIRERR, END);
    check("dir fd: fd_allocate", __wasi_fd_allocate(d, 0, 1), DIRERR, END);
    check("dir fd: fd_filestat_set_size", __wasi_fd_filestat_set_size(d, 0), DIRERR, E(INVAL),
          END);
    uint8_t name[8];
    check("prestat_dir_name len 0", __wasi_fd_prestat_dir_name(ROOT, name, 0), E(NAMETOOLONG),
          E(INVAL), END);
    __wasi_errno_t err;
    __wasi_fd_t f = open_at(d, 0, "file", __WASI_OFLAGS_CREAT, R(FD_READ), &err);
    check("file fd: path_open", open_err(f, 0, "x", __WASI_OFLAGS_CREAT, 0), E(NOTDIR),
          E(NOTCAPABLE), END);
    check("file fd: fd_readdir", __wasi_fd_readdir(f, buf, sizeof buf, 0, &n), E(NOTDIR),
          E(BADF), E(NOTCAPABLE), END);
    check("file fd: sock_shutdown", __wasi_sock_shutdown(f, __WASI_SDFLAGS_RD), E(NOTSOCK), END);
    check("bad fd: sock_shutdown", __wasi_sock_shutdown(77, __WASI_SDFLAGS_RD), E(BADF), END);
    __wasi_fd_close(f);
    /* A directory opened with the seek right gets no seek right. */
    __wasi_fdstat_t fs;
    __wasi_fd_t sub = open_at(ROOT, 0, "dirops", __WASI_OFLAGS_DIRECTORY, R(FD_SEEK), &err);
    check("dir open with FD_SEEK", err, OK, END);
    __wasi_fd_fdstat_get(sub, &fs);
    truth("dir has no FD_SEEK right", !(fs.fs_rights_base & R(FD_SEEK)));
    __wasi_fd_close(sub);
    __wasi_fd_fdstat_get(d, &fs);
    truth("dir fdstat flags 0", fs.fs_flags == 0);
    truth("dir has no FD_FILESTAT_SET_SIZE", !(fs.fs_rights_base & R(FD_FILESTAT_SET_SIZE)));
    __wasi_path_unlink_file(d, "file");
    __wasi_fd_close(d);
    __wasi_path_remove_directory(ROOT, "dirops");
}

/* ---- the preopen ----------------------------------------------------------------- */

static void test_preopen(void) {
    __wasi_fdstat_t fs;
    __wasi_fd_fdstat_get(ROOT, &fs);
    __wasi_rights_t dir = DIR_RIGHTS, file = FILE_RIGHTS;
    truth("preopen base rights", (fs.fs_rights_base & dir) == dir);
    truth("preopen inheriting rights", (fs.fs_rights_inheriting & (dir | file)) == (dir | file));
    __wasi_fd_t fd;
    check("open . with the preopen's rights",
          __wasi_path_open(ROOT, 0, ".", 0, fs.fs_rights_base, fs.fs_rights_inheriting, 0, &fd),
          OK, END);
    __wasi_fd_close(fd);
    check("open . no rights", open_err(ROOT, 0, ".", 0, 0), OK, END);
    check("open . directory", open_err(ROOT, 0, ".", __WASI_OFLAGS_DIRECTORY, 0), OK, END);
    check("open . directory read",
          open_err(ROOT, 0, ".", __WASI_OFLAGS_DIRECTORY, R(FD_READ)), OK, END);
    check("open . directory read+write",
          open_err(ROOT, 0, ".", __WASI_OFLAGS_DIRECTORY, R(FD_READ) | R(FD_WRITE)), E(ISDIR),
          END);
    __wasi_fd_t nb;
    check("open . nonblock", __wasi_path_open(ROOT, 0, ".", 0, 0, 0, __WASI_FDFLAGS_NONBLOCK, &nb),
          OK, END);
    __wasi_fd_close(nb);
}

/* ---- path shapes: "..", NUL, trailing slashes ------------------------------------ */

static void test_interesting_paths(void) {
    __wasi_fd_t d = scratch("paths");
    __wasi_path_create_directory(d, "dir");
    __wasi_path_create_directory(d, "dir/nested");
    make_file(d, "dir/nested/file");
    check("path: absolute", open_err(d, 0, "/dir/nested/file", 0, 0), E(NOTCAPABLE), E(PERM),
          END);
    check("path: dots and ..", open_err(d, 0, "dir/.//nested/../../dir/nested/../nested///./file",
                                        0, 0),
          OK, END);
    static const char nul[] = "dir/nested/file\0";
    __wasi_fd_t fd;
    check("path: embedded NUL",
          raw_path_open(d, 0, (int32_t)nul, sizeof nul - 1, 0, 0, 0, 0, (int32_t)&fd), E(INVAL),
          E(ILSEQ), E(NOENT), END);
    check("path: file/", open_err(d, 0, "dir/nested/file/", 0, 0), E(NOTDIR), E(NOENT), END);
    check("path: file///", open_err(d, 0, "dir/nested/file///", 0, 0), E(NOTDIR), E(NOENT), END);
    check("path: dir/", open_err(d, 0, "dir/nested/", 0, 0), OK, END);
    check("path: dir///", open_err(d, 0, "dir/nested///", 0, 0), OK, END);
    check("path: climbing out", open_err(d, 0, "dir/nested/../../../dir/nested/file", 0, 0),
          E(NOTCAPABLE), E(PERM), END);
    check("path: empty", open_err(d, 0, "", 0, 0), E(NOENT), END);
    check("path: missing", open_err(d, 0, "nope", 0, 0), E(NOENT), END);
    check("path: creat excl existing",
          open_err(d, 0, "dir/nested/file", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0),
          E(EXIST), END);
    check("path: directory flag on file",
          open_err(d, 0, "dir/nested/file", __WASI_OFLAGS_DIRECTORY, 0), E(NOTDIR), END);
    check("path: creat file/", open_err(d, 0, "newfile/", __WASI_OFLAGS_CREAT, R(FD_WRITE)),
          E(ISDIR), E(NOTDIR), E(NOENT), E(INVAL), END);
    check("path: file/ was not created", open_err(d, 0, "newfile", 0, 0), E(NOENT), END);
    check("unlink file/", __wasi_path_unlink_file(d, "dir/nested/file/"), E(NOTDIR), END);
    check("rmdir file", __wasi_path_remove_directory(d, "dir/nested/file"), E(NOTDIR), END);
    check("rmdir file/", __wasi_path_remove_directory(d, "dir/nested/file/"), E(NOTDIR), END);
    check("unlink dir", __wasi_path_unlink_file(d, "dir/nested"), E(ISDIR), END);
    check("unlink dir/", __wasi_path_unlink_file(d, "dir/nested/"), E(ISDIR), END);
    check("rmdir nonempty", __wasi_path_remove_directory(d, "dir"), E(NOTEMPTY), END);
    check("unlink file", __wasi_path_unlink_file(d, "dir/nested/file"), OK, END);
    int r = __wasi_path_remove_directory(d, "dir/nested/");
    check("rmdir dir/", r, OK, E(ACCES), E(INVAL), END);
    if (r)
        __wasi_path_remove_directory(d, "dir/nested");
    check("rmdir dir", __wasi_path_remove_directory(d, "dir"), OK, END);
    __wasi_fd_close(d);
    __wasi_path_remove_directory(ROOT, "paths");
}

/* ---- symlinks ---------------------------------------------------------------------- */

static void test_symlinks(void) {
    __wasi_fd_t d = scratch("links");
    const __wasi_lookupflags_t F = __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW;
    __wasi_path_create_directory(d, "target");
    __wasi_path_symlink("target", d, "symlink");
    check("nofollow dir link, O_DIRECTORY",
          open_err(d, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0), E(LOOP), E(NOTDIR), END);
    check("nofollow dir link", open_err(d, 0, "symlink", 0, 0), E(LOOP), E(ACCES), END);
    check("follow dir link, O_DIRECTORY", open_err(d, F, "symlink", __WASI_OFLAGS_DIRECTORY, 0),
          OK, END);
    __wasi_path_unlink_file(d, "symlink");
    __wasi_path_remove_directory(d, "target");
    make_file(d, "target");
    __wasi_path_symlink("target", d, "symlink");
    check("nofollow file link, O_DIRECTORY",
          open_err(d, 0, "symlink", __WASI_OFLAGS_DIRECTORY, 0), E(LOOP), E(NOTDIR), END);
    check("nofollow file link", open_err(d, 0, "symlink", 0, 0), E(LOOP), END);
    check("follow file link", open_err(d, F, "symlink", 0, 0), OK, END);
    check("follow file link, O_DIRECTORY", open_err(d, F, "symlink", __WASI_OFLAGS_DIRECTORY, 0),
          E(NOTDIR), END);
    /* readlink: truncated to the buffer, the rest untouched. */
    uint8_t buf[10] = {0};
    __wasi_size_t n = 0;
    check("readlink", __wasi_path_readlink(d, "symlink", buf, sizeof buf, &n), OK, END);
    truth("readlink content", n == 6 && !memcmp(buf, "target\0\0\0\0", 10));
    uint8_t small[4];
    check("readlink short buffer", __wasi_path_readlink(d, "symlink", small, 4, &n), OK, END);
    truth("readlink truncated", n == 4 && !memcmp(small, "targ", 4));
    check("readlink of a file", __wasi_path_readlink(d, "target", buf, sizeof buf, &n), E(INVAL),
          END);
    /* stat and times: the link itself unless told to follow. */
    __wasi_filestat_t fst, lst, st;
    __wasi_path_filestat_get(d, 0, "target", &fst);
    __wasi_path_filestat_get(d, 0, "symlink", &lst);
    truth("stat nofollow is the link", lst.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
    __wasi_path_filestat_get(d, F, "symlink", &st);
    truth("stat follow is the file", st.filetype == __WASI_FILETYPE_REGULAR_FILE);
    check("set times on the link",
          __wasi_path_filestat_set_times(d, 0, "symlink", 0, lst.mtim - 200, __WASI_FSTFLAGS_MTIM),
          OK, END);
    __wasi_path_filestat_get(d, 0, "symlink", &st);
    truth("link mtim changed", st.mtim == lst.mtim - 200);
    __wasi_path_filestat_get(d, 0, "target", &st);
    truth("file mtim unchanged", st.mtim == fst.mtim);
    __wasi_path_filestat_set_times(d, F, "symlink", 0, fst.mtim - 300, __WASI_FSTFLAGS_MTIM);
    __wasi_path_filestat_get(d, 0, "target", &st);
    truth("follow sets the file's mtim", st.mtim == fst.mtim - 300);
    __wasi_path_unlink_file(d, "symlink");
    /* Trailing slashes on the new link's name. */
    check("symlink at missing/", __wasi_path_symlink("source", d, "new/"), E(NOENT), E(NOTDIR),
          END);
    check("symlink at missing/ made nothing", open_err(d, 0, "new", 0, 0), E(NOENT), END);
    check("symlink at file/", __wasi_path_symlink("source", d, "target/"), E(NOTDIR), E(EXIST),
          END);
    check("symlink at file", __wasi_path_symlink("source", d, "target"), E(EXIST), END);
    __wasi_path_create_directory(d, "dir");
    check("symlink at dir/", __wasi_path_symlink("source", d, "dir/"), E(EXIST), END);
    check("symlink at dir", __wasi_path_symlink("source", d, "dir"), E(EXIST), END);
    __wasi_path_remove_directory(d, "dir");
    /* Dangling links and loops. */
    __wasi_path_symlink("missing", d, "dangling");
    check("dangling, O_DIRECTORY", open_err(d, 0, "dangling", __WASI_OFLAGS_DIRECTORY, 0),
          E(NOTDIR), E(LOOP), END);
    check("dangling", open_err(d, 0, "dangling", 0, 0), E(LOOP), END);
    check("dangling, follow", open_err(d, F, "dangling", 0, 0), E(NOENT), END);
    __wasi_path_symlink("self", d, "self");
    check("self loop", open_err(d, 0, "self", 0, 0), E(LOOP), END);
    check("self loop, follow", open_err(d, F, "self", 0, 0), E(LOOP), END);
    /* Hard links. */
    check("link to dangling link", __wasi_path_link(d, 0, "dangling", d, "hl"), OK, END);
    __wasi_path_unlink_file(d, "hl");
    check("link to looping link", __wasi_path_link(d, 0, "self", d, "hl"), OK, END);
    __wasi_path_unlink_file(d, "hl");
    check("link onto a dangling link", __wasi_path_link(d, 0, "target", d, "dangling"), E(EXIST),
          END);
    check("link following a dangling link", __wasi_path_link(d, F, "dangling", d, "hl"), E(INVAL),
          E(NOENT), END);
    check("link onto itself", __wasi_path_link(d, 0, "target", d, "target"), E(EXIST), END);
    check("link at name/", __wasi_path_link(d, 0, "target", d, "hl/"), E(NOENT), E(NOTDIR), END);
    check("link at name/ made nothing", open_err(d, 0, "hl", 0, 0), E(NOENT), END);
    __wasi_path_create_directory(d, "dir");
    check("link onto a dir", __wasi_path_link(d, 0, "target", d, "dir"), E(EXIST), END);
    check("link of a dir", __wasi_path_link(d, 0, "dir", d, "hl"), E(PERM), E(ACCES), END);
    check("link of file/", __wasi_path_link(d, 0, "target/", d, "hl"), E(NOTDIR), E(NOENT), END);
    __wasi_path_remove_directory(d, "dir");
    __wasi_path_unlink_file(d, "self");
    __wasi_path_unlink_file(d, "dangling");
    __wasi_path_unlink_file(d, "target");
    __wasi_fd_close(d);
    __wasi_path_remove_directory(ROOT, "links");
}

/* ---- rename ------------------------------------------------------------------------ */

static void test_rename(void) {
    __wasi_fd_t d = scratch("ren");
    __wasi_path_create_directory(d, "source");
    check("rename dir/ to name", __wasi_path_rename(d, "source/", d, "target"), OK, END);
    check("rename name to dir/", __wasi_path_rename(d, "target", d, "source/"), OK, END);
    check("rename dir/ to dir/", __wasi_path_rename(d, "source/", d, "target/"), OK, END);
    check("rename dir back", __wasi_path_rename(d, "target", d, "source"), OK, END);
    __wasi_path_create_directory(d, "empty");
    check("rename dir over empty dir", __wasi_path_rename(d, "source", d, "empty"), OK, END);
    __wasi_path_create_directory(d, "source");
    make_file(d, "empty/file");
    check("rename dir over nonempty dir", __wasi_path_rename(d, "source", d, "empty"),
          E(NOTEMPTY), E(EXIST), END);
    check("rename dir over file", __wasi_path_rename(d, "source", d, "empty/file"), E(NOTDIR),
          END);
    make_file(d, "a");
    make_file(d, "b");
    check("rename file over file", __wasi_path_rename(d, "a", d, "b"), OK, END);
    check("renamed file is gone", open_err(d, 0, "a", 0, 0), E(NOENT), END);
    check("rename file over dir", __wasi_path_rename(d, "b", d, "source"), E(ISDIR), END);
    check("rename file/", __wasi_path_rename(d, "b/", d, "c"), E(NOTDIR), END);
    check("rename file to name/", __wasi_path_rename(d, "b", d, "c/"), E(NOTDIR), E(NOENT), END);
    check("rename file to name/ kept it", open_err(d, 0, "b", 0, 0), OK, END);
    check("rename missing", __wasi_path_rename(d, "zz", d, "c"), E(NOENT), END);
    __wasi_path_unlink_file(d, "b");
    __wasi_path_unlink_file(d, "empty/file");
    __wasi_path_remove_directory(d, "empty");
    __wasi_path_remove_directory(d, "source");
    __wasi_fd_close(d);
    __wasi_path_remove_directory(ROOT, "ren");
}

/* ---- file descriptors: flags, seek, times, sizes, rights ------------------------- */

static __wasi_size_t put(__wasi_fd_t fd, uint8_t byte, size_t len) {
    uint8_t buf[100];
    memset(buf, byte, sizeof buf);
    __wasi_ciovec_t v = {buf, len};
    __wasi_size_t n = 0;
    __wasi_fd_write(fd, &v, 1, &n);
    return n;
}

static void test_file_fds(void) {
    __wasi_fd_t d = scratch("files");
    __wasi_errno_t err;
    __wasi_fd_t f;
    err = __wasi_path_open(d, 0, "app", __WASI_OFLAGS_CREAT,
                           R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL) |
                               R(FD_FDSTAT_SET_FLAGS),
                           0, __WASI_FDFLAGS_APPEND, &f);
    check("open append", err, OK, END);
    __wasi_filesize_t pos;
    put(f, 0, 100);
    __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos);
    put(f, 1, 100); /* appends */
    check("clear append", __wasi_fd_fdstat_set_flags(f, 0), OK, END);
    __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos);
    put(f, 2, 100); /* overwrites */
    __wasi_fd_tell(f, &pos);
    truth("tell after write", pos == 100);
    check("seek before 0", __wasi_fd_seek(f, -2000, __WASI_WHENCE_CUR, &pos), E(INVAL), END);
    check("seek bad whence", __wasi_fd_seek(f, 0, 3, &pos), E(INVAL), END);
    check("seek past end", __wasi_fd_seek(f, 1000, __WASI_WHENCE_CUR, &pos), OK, END);
    truth("seek past end position", pos == 1100);
    __wasi_fd_close(f);
    __wasi_filestat_t st;
    __wasi_path_filestat_get(d, 0, "app", &st);
    truth("append then overwrite: size 200", st.size == 200);
    check("fd_close twice", __wasi_fd_close(f), E(BADF), END);
    __wasi_fdstat_t fs;
    check("fdstat of closed fd", __wasi_fd_fdstat_get(f, &fs), E(BADF), END);

    /* Open modes follow the rights. */
    __wasi_fd_t ro = open_at(d, 0, "app", 0, R(FD_READ), &err);
    check("write read-only", put(ro, 0, 1) ? 0 : E(BADF), E(BADF), END);
    __wasi_fd_close(ro);
    __wasi_fd_t wo = open_at(d, 0, "app", 0, R(FD_WRITE), &err);
    uint8_t b[4];
    __wasi_iovec_t iv = {b, 4};
    __wasi_size_t n;
    check("read write-only", __wasi_fd_read(wo, &iv, 1, &n), E(BADF), E(NOTCAPABLE), E(ACCES),
          END);
    __wasi_fd_close(wo);

    /* Times and sizes. */
    f = open_at(d, 0, "t", __WASI_OFLAGS_CREAT,
                R(FD_READ) | R(FD_WRITE) | R(FD_FILESTAT_GET) | R(FD_FILESTAT_SET_SIZE) |
                    R(FD_FILESTAT_SET_TIMES) | R(FD_ADVISE) | R(FD_ALLOCATE),
                &err);
    check("set size", __wasi_fd_filestat_set_size(f, 100), OK, END);
    __wasi_fd_filestat_get(f, &st);
    truth("size 100", st.size == 100);
    check("advise", __wasi_fd_advise(f, 10, 50, __WASI_ADVICE_NORMAL), OK, END);
    check("advise bad", __wasi_fd_advise(f, 10, 50, 6), E(INVAL), END);
    check("allocate within", __wasi_fd_allocate(f, 10, 10), OK, E(NOTSUP), END);
    check("allocate beyond", __wasi_fd_allocate(f, 90, 20), OK, E(NOTSUP), END);
    __wasi_filestat_t st2;
    __wasi_fd_filestat_get(f, &st2);
    truth("allocate grew to 110", st2.size == 110);
    check("times mtim", __wasi_fd_filestat_set_times(f, 0, st.mtim - 100, __WASI_FSTFLAGS_MTIM),
          OK, END);
    __wasi_fd_filestat_get(f, &st2);
    truth("mtim set, atim kept", st2.mtim == st.mtim - 100 && st2.atim == st.atim);
    check("times mtim+now", __wasi_fd_filestat_set_times(f, 100, 200,
                                                         __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
          E(INVAL), END);
    check("times atim+now", __wasi_fd_filestat_set_times(f, 100, 200,
                                                         __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
          E(INVAL), END);
    check("path times mtim+now",
          __wasi_path_filestat_set_times(d, 0, "t", 0, 0, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
          E(INVAL), END);
    check("times bad flag", __wasi_fd_filestat_set_times(f, 0, 0, 16), E(INVAL), END);
    __wasi_fd_close(f);

    /* Rights only shrink; dropped rights are enforced. */
    f = open_at(d, 0, "t", 0, R(FD_READ) | R(FD_WRITE) | R(FD_SEEK) | R(FD_TELL), &err);
    __wasi_fd_fdstat_get(f, &fs);
    check("drop rights", __wasi_fd_fdstat_set_rights(f, fs.fs_rights_base & ~(R(FD_READ) | R(FD_WRITE)),
                                                     fs.fs_rights_inheriting),
          OK, END);
    check("read after drop", __wasi_fd_read(f, &iv, 1, &n), E(BADF), E(NOTCAPABLE), END);
    check("regain rights", __wasi_fd_fdstat_set_rights(f, fs.fs_rights_base, fs.fs_rights_inheriting),
          E(NOTCAPABLE), END);
    __wasi_fd_close(f);

    /* O_TRUNC needs PATH_FILESTAT_SET_SIZE on the directory. */
    check("trunc with the right", open_err(d, 0, "t", __WASI_OFLAGS_TRUNC, 0), OK, END);
    __wasi_fd_fdstat_get(d, &fs);
    __wasi_fd_fdstat_set_rights(d, fs.fs_rights_base & ~R(PATH_FILESTAT_SET_SIZE),
                                fs.fs_rights_inheriting);
    check("trunc without the right", open_err(d, 0, "t", __WASI_OFLAGS_TRUNC, 0), E(NOTCAPABLE),
          E(PERM), END);

    /* renumber */
    __wasi_fd_t a = open_at(d, 0, "a", __WASI_OFLAGS_CREAT, R(FD_READ) | R(FD_WRITE), &err);
    __wasi_fd_t c = open_at(d, 0, "c", __WASI_OFLAGS_CREAT, R(FD_READ) | R(FD_WRITE), &err);
    __wasi_fdstat_t fa, fc;
    __wasi_fd_fdstat_get(a, &fa);
    check("renumber", __wasi_fd_renumber(a, c), OK, END);
    check("renumber: source closed", __wasi_fd_fdstat_get(a, &fs), E(BADF), END);
    __wasi_fd_fdstat_get(c, &fc);
    truth("renumber: same fdstat", !memcmp(&fa, &fc, sizeof fa));
    check("renumber from closed", __wasi_fd_renumber(a, c), E(BADF), END);
    check("renumber to closed", __wasi_fd_renumber(c, a), E(BADF), END);
    check("renumber to itself", __wasi_fd_renumber(c, c), OK, END);
    __wasi_fd_close(c);
    __wasi_path_unlink_file(d, "a");
    __wasi_path_unlink_file(d, "c");
    __wasi_path_unlink_file(d, "t");
    __wasi_path_unlink_file(d, "app");
    __wasi_fd_close(d);
    __wasi_path_remove_directory(ROOT, "files");
}

/* ---- fd_readdir ---------------------------------------------------------------------- */

typedef struct {
    int count;
    __wasi_dircookie_t last_next;
    int eof;
    int dot_ok;
} listing;

/* One fd_readdir call with a 256-byte buffer, counting whole entries. */
static listing read_some(__wasi_fd_t d, __wasi_dircookie_t cookie, __wasi_inode_t ino) {
    uint8_t buf[256];
    __wasi_size_t used = 0;
    listing l = {0};
    if (__wasi_fd_readdir(d, buf, sizeof buf, cookie, &used))
        return l;
    l.eof = used < sizeof buf;
    for (size_t at = 0; at + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t e;
        memcpy(&e, buf + at, sizeof e);
        if (at + sizeof e + e.d_namlen > used)
            break;
        const char *name = (const char *)buf + at + sizeof e;
        if (e.d_namlen == 1 && name[0] == '.')
            l.dot_ok = e.d_ino == ino && e.d_type == __WASI_FILETYPE_DIRECTORY;
        l.count++;
        l.last_next = e.d_next;
        at += sizeof e + e.d_namlen;
    }
    return l;
}

static void test_readdir(void) {
    __wasi_fd_t d = scratch("rd");
    __wasi_filestat_t st;
    __wasi_fd_filestat_get(d, &st);
    listing l = read_some(d, 0, st.ino);
    truth("readdir empty: . and ..", l.eof && l.count == 2 && l.dot_ok);
    char name[16];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        make_file(d, name);
    }
    int total = 0;
    __wasi_dircookie_t cookie = 0;
    for (int calls = 0; calls < 100; calls++) {
        l = read_some(d, cookie, st.ino);
        total += l.count;
        if (l.eof)
            break;
        cookie = l.last_next;
    }
    truth("readdir 100 files in pieces", total == 102);
    l = read_some(d, 1000, st.ino);
    truth("readdir past the end", l.eof && l.count == 0);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "file.%d", i);
        __wasi_path_unlink_file(d, name);
    }
    __wasi_fd_close(d);
    __wasi_path_remove_directory(ROOT, "rd");
}

/* ---- clocks, poll, random, args -------------------------------------------------------- */

static void test_misc(void) {
    __wasi_timestamp_t t, t2;
    for (__wasi_clockid_t c = 0; c < 4; c++) {
        char what[40];
        snprintf(what, sizeof what, "clock %u res", (unsigned)c);
        check(what, __wasi_clock_res_get(c, &t), OK, END);
        snprintf(what, sizeof what, "clock %u time", (unsigned)c);
        check(what, __wasi_clock_time_get(c, 1, &t), OK, END);
    }
    check("clock 4 res", __wasi_clock_res_get(4, &t), E(INVAL), END);
    check("clock 4 time", __wasi_clock_time_get(4, 0, &t), E(INVAL), END);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t);
    __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t2);
    truth("monotonic", t <= t2);

    __wasi_subscription_t sub[2];
    __wasi_event_t ev[2];
    __wasi_size_t n = 99;
    check("poll zero subscriptions", __wasi_poll_oneoff(sub, ev, 0, &n), E(INVAL), END);
    memset(sub, 0, sizeof sub);
    sub[0].userdata = 0x12345678;
    sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
    sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub[0].u.u.clock.timeout = 1000000; /* 1 ms */
    check("poll clock", __wasi_poll_oneoff(sub, ev, 1, &n), OK, END);
    truth("poll clock event", n == 1 && ev[0].userdata == 0x12345678 && ev[0].error == 0 &&
                                  ev[0].type == __WASI_EVENTTYPE_CLOCK);
    __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 0, &t);
    sub[0].u.u.clock.id = __WASI_CLOCKID_REALTIME;
    sub[0].u.u.clock.timeout = t - 1000000000ull;
    sub[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
    check("poll absolute clock in the past", __wasi_poll_oneoff(sub, ev, 1, &n), OK, END);
    sub[0].u.u.clock.id = 9;
    sub[0].u.u.clock.flags = 0;
    int r = __wasi_poll_oneoff(sub, ev, 1, &n);
    truth("poll bad clock id", r == E(INVAL) || (r == OK && n == 1 && ev[0].error == E(INVAL)));
    sub[1].userdata = 7;
    sub[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    sub[1].u.u.fd_write.file_descriptor = 1;
    sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub[0].u.u.clock.timeout = 200000000;
    check("poll stdout writable", __wasi_poll_oneoff(sub, ev, 2, &n), OK, END);
    truth("poll stdout event", n >= 1 && ev[0].userdata == 7 && ev[0].error == 0 &&
                                   ev[0].type == __WASI_EVENTTYPE_FD_WRITE);
    sub[1].u.u.fd_write.file_descriptor = 99;
    r = __wasi_poll_oneoff(sub, ev, 2, &n);
    truth("poll bad fd", r == E(BADF) || (r == OK && n >= 1 && ev[0].userdata == 7 &&
                                          ev[0].error == E(BADF)));

    uint8_t rnd[1024] = {0};
    check("random_get", __wasi_random_get(rnd, sizeof rnd), OK, END);
    int any = 0;
    for (size_t i = 0; i < sizeof rnd; i++)
        any |= rnd[i];
    truth("random not all zero", any != 0);
    check("random_get empty", __wasi_random_get(rnd, 0), OK, END);
    check("sched_yield", __wasi_sched_yield(), OK, END);

    __wasi_size_t argc, argsz, envc, envsz;
    check("args_sizes_get", __wasi_args_sizes_get(&argc, &argsz), OK, END);
    check("environ_sizes_get", __wasi_environ_sizes_get(&envc, &envsz), OK, END);
    char **argv = calloc(argc + 1, sizeof *argv);
    char *abuf = malloc(argsz);
    check("args_get", __wasi_args_get((uint8_t **)argv, (uint8_t *)abuf), OK, END);
    size_t sum = 0;
    for (size_t i = 0; i < argc; i++)
        sum += strlen(argv[i]) + 1;
    truth("args sizes add up", sum == argsz && argc >= 1);
    free(argv);
    free(abuf);
}

/* Last: the preopen itself can be closed, and renumbered over. */
static void test_close_preopen(void) {
    __wasi_fd_t d = scratch("pre");
    __wasi_filestat_t before, after;
    __wasi_fd_filestat_get(d, &before);
    check("renumber over the preopen", __wasi_fd_renumber(d, ROOT), OK, END);
    __wasi_fd_filestat_get(ROOT, &after);
    truth("preopen slot is the new dir", before.ino == after.ino && before.dev == after.dev);
    __wasi_prestat_t ps;
    check("renumbered dir is no preopen", __wasi_fd_prestat_get(ROOT, &ps), E(BADF), END);
    check("close it", __wasi_fd_close(ROOT), OK, END);
    __wasi_fdstat_t fs;
    check("closed preopen", __wasi_fd_fdstat_get(ROOT, &fs), E(BADF), END);
}

int main(void) {
    test_escapes();
    test_dir_fd_ops();
    test_preopen();
    test_interesting_paths();
    test_symlinks();
    test_rename();
    test_file_fds();
    test_readdir();
    test_misc();
    test_close_preopen();
    printf("%d failures\n", failures);
    return 0;
}
