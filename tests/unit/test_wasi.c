/* test_wasi.c - WASI preview1 core functions on a fake guest memory.
 *
 * Every test builds a context with a fresh temporary directory preopened
 * as guest fd 3, calls the core functions of runtime/wasi/ directly, and
 * checks results against the host file system.  Path tests run with both
 * resolvers (openat2 and the component walk). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wasi_internal.h"

#define MEM_SIZE 65536u
#define PRE 3u /* the preopened temp dir */

/* Scratch addresses in guest memory. */
enum { A_PATH = 1024, A_PATH2 = 2048, A_IOV = 3072, A_OUT = 3200, A_OUT2 = 3208, A_BUF = 8192 };

static uint8_t *mem_bytes;
static wasi_mem mem;
static char tmpdir[PATH_MAX];
static char outside[PATH_MAX];

static void setup(void) {
    mem_bytes = calloc(1, MEM_SIZE);
    mem = (wasi_mem){mem_bytes, MEM_SIZE};
    strcpy(tmpdir, "/tmp/kiln-wasi-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    strcpy(outside, "/tmp/kiln-wasi-out-XXXXXX");
    cr_assert_not_null(mkdtemp(outside));
}

static void teardown(void) {
    char cmd[2 * PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmpdir, outside);
    cr_assert_eq(system(cmd), 0);
    free(mem_bytes);
}

TestSuite(wasi, .init = setup, .fini = teardown);

static kiln_wasi *ctx_new(bool walk) {
    char spec[PATH_MAX + 16];
    snprintf(spec, sizeof spec, "%s::/sandbox", tmpdir);
    const char *pre[] = {spec};
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.num_preopens = 1;
    cfg.preopens = pre;
    cfg.no_openat2 = walk;
    kiln_wasi *w = kiln_wasi_new(&cfg);
    cr_assert_not_null(w);
    return w;
}

static uint32_t put_str(uint32_t at, const char *s) {
    memcpy(mem_bytes + at, s, strlen(s));
    return (uint32_t)strlen(s);
}

static void host_path(char *out, const char *base, const char *rel) {
    int n = snprintf(out, PATH_MAX, "%s/%s", base, rel);
    cr_assert(n > 0 && n < PATH_MAX);
}

static void host_write(const char *rel, const char *text) {
    char p[PATH_MAX];
    host_path(p, tmpdir, rel);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static bool host_exists(const char *base, const char *rel) {
    char p[PATH_MAX];
    struct stat st;
    host_path(p, base, rel);
    return lstat(p, &st) == 0;
}

static void host_symlink(const char *target, const char *rel) {
    char p[PATH_MAX];
    host_path(p, tmpdir, rel);
    cr_assert_eq(symlink(target, p), 0);
}

/* Opens `path` under the preopen; returns the errno, the new fd in *fd. */
static uint16_t open_path(kiln_wasi *w, const char *path, uint32_t oflags, uint64_t rights,
                          uint32_t lookup, uint32_t *fd) {
    uint32_t len = put_str(A_PATH, path);
    uint16_t err = wasi_path_open(w, &mem, PRE, lookup, A_PATH, len, oflags, rights,
                                  WASI_RIGHTS_ALL, 0, A_OUT);
    *fd = mem_ld32(&mem, A_OUT);
    return err;
}

static void set_iov(uint32_t at, uint32_t buf, uint32_t len) {
    mem_st32(&mem, at, buf);
    mem_st32(&mem, at + 4, len);
}

/* ---- args and environment ---------------------------------------------------------- */

Test(wasi, args_are_laid_out_as_pointer_array_and_nul_ended_strings) {
    const char *argv[] = {"prog", "", "two words"};
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.argc = 3;
    cfg.argv = argv;
    kiln_wasi *w = kiln_wasi_new(&cfg);
    cr_assert_eq(wasi_args_sizes_get(w, &mem, A_OUT, A_OUT2), WASI_ESUCCESS);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 3);
    cr_assert_eq(mem_ld32(&mem, A_OUT2), 5 + 1 + 10);
    cr_assert_eq(wasi_args_get(w, &mem, A_IOV, A_BUF), WASI_ESUCCESS);
    for (int i = 0; i < 3; i++) {
        uint32_t p = mem_ld32(&mem, A_IOV + 4 * (uint32_t)i);
        cr_assert(p >= A_BUF && p < A_BUF + 16);
        cr_assert_str_eq((char *)mem_bytes + p, argv[i]);
    }
    kiln_wasi_free(w);
}

Test(wasi, environment_is_not_inherited_unless_asked) {
    setenv("KILN_WASI_TEST_SECRET", "x", 1);
    const char *env[] = {"A=1", "B=two"};
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.envc = 2;
    cfg.env = env;
    kiln_wasi *w = kiln_wasi_new(&cfg);
    cr_assert_eq(wasi_environ_sizes_get(w, &mem, A_OUT, A_OUT2), WASI_ESUCCESS);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 2);
    cr_assert_eq(mem_ld32(&mem, A_OUT2), 4 + 6);
    cr_assert_eq(wasi_environ_get(w, &mem, A_IOV, A_BUF), WASI_ESUCCESS);
    cr_assert_str_eq((char *)mem_bytes + mem_ld32(&mem, A_IOV + 4), "B=two");
    kiln_wasi_free(w);

    cfg.inherit_env = true;
    w = kiln_wasi_new(&cfg);
    cr_assert_eq(wasi_environ_sizes_get(w, &mem, A_OUT, A_OUT2), WASI_ESUCCESS);
    uint32_t n = mem_ld32(&mem, A_OUT);
    cr_assert_gt(n, 2);
    cr_assert_lt(mem_ld32(&mem, A_OUT2), MEM_SIZE - A_BUF, "host environment too big for test");
    cr_assert_eq(wasi_environ_get(w, &mem, A_IOV, A_BUF), WASI_ESUCCESS);
    bool found = false;
    for (uint32_t i = 0; i < n; i++)
        found |= strcmp((char *)mem_bytes + mem_ld32(&mem, A_IOV + 4 * i),
                        "KILN_WASI_TEST_SECRET=x") == 0;
    cr_assert(found);
    kiln_wasi_free(w);
}

Test(wasi, args_get_with_array_past_memory_end_is_efault) {
    const char *argv[] = {"a", "b"};
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.argc = 2;
    cfg.argv = argv;
    kiln_wasi *w = kiln_wasi_new(&cfg);
    cr_assert_eq(wasi_args_get(w, &mem, MEM_SIZE - 4, A_BUF), WASI_EFAULT);
    cr_assert_eq(wasi_args_get(w, &mem, A_IOV, MEM_SIZE - 3), WASI_EFAULT);
    cr_assert_eq(wasi_args_sizes_get(w, &mem, UINT32_MAX - 1, A_OUT2), WASI_EFAULT);
    kiln_wasi_free(w);
}

/* ---- stdio -------------------------------------------------------------------------------- */

static kiln_wasi *ctx_with_stdout(int fd) {
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.stdout_fd = fd;
    return kiln_wasi_new(&cfg);
}

Test(wasi, fd_write_gathers_iovecs_into_a_pipe) {
    int p[2];
    cr_assert_eq(pipe(p), 0);
    kiln_wasi *w = ctx_with_stdout(p[1]);
    put_str(A_BUF, "hello, ");
    put_str(A_BUF + 100, "world\n");
    set_iov(A_IOV, A_BUF, 7);
    set_iov(A_IOV + 8, A_BUF + 100, 6);
    cr_assert_eq(wasi_fd_write(w, &mem, 1, A_IOV, 2, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 13);
    char got[32] = {0};
    cr_assert_eq(read(p[0], got, sizeof got), 13);
    cr_assert_str_eq(got, "hello, world\n");
    kiln_wasi_free(w);
    close(p[0]);
    close(p[1]);
}

Test(wasi, fd_write_with_bad_pointers_is_efault_and_writes_nothing) {
    int p[2];
    cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
    kiln_wasi *w = ctx_with_stdout(p[1]);
    set_iov(A_IOV, MEM_SIZE - 4, 8); /* buffer runs past the end */
    cr_assert_eq(wasi_fd_write(w, &mem, 1, A_IOV, 1, A_OUT), WASI_EFAULT);
    set_iov(A_IOV, UINT32_MAX, 2); /* would wrap in 32 bits */
    cr_assert_eq(wasi_fd_write(w, &mem, 1, A_IOV, 1, A_OUT), WASI_EFAULT);
    set_iov(A_IOV, A_BUF, 4);
    cr_assert_eq(wasi_fd_write(w, &mem, 1, MEM_SIZE - 4, 1, A_OUT), WASI_EFAULT);
    cr_assert_eq(wasi_fd_write(w, &mem, 1, A_IOV, 0x20000000u, A_OUT), WASI_EFAULT);
    cr_assert_eq(wasi_fd_write(w, &mem, 1, A_IOV, 1, MEM_SIZE - 2), WASI_EFAULT);
    char got[8];
    cr_assert_eq(read(p[0], got, sizeof got), -1);
    cr_assert_eq(errno, EAGAIN);
    kiln_wasi_free(w);
    close(p[0]);
    close(p[1]);
}

Test(wasi, closed_and_unknown_fds_are_ebadf) {
    kiln_wasi *w = ctx_new(false);
    cr_assert_eq(wasi_fd_close(w, &mem, PRE), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_close(w, &mem, PRE), WASI_EBADF);
    cr_assert_eq(wasi_fd_fdstat_get(w, &mem, 99, A_OUT), WASI_EBADF);
    set_iov(A_IOV, A_BUF, 1);
    cr_assert_eq(wasi_fd_write(w, &mem, UINT32_MAX, A_IOV, 1, A_OUT), WASI_EBADF);
    kiln_wasi_free(w);
}

/* ---- preopens --------------------------------------------------------------------------- */

Test(wasi, preopen_is_announced_with_its_guest_name) {
    kiln_wasi *w = ctx_new(false);
    cr_assert_eq(wasi_fd_prestat_get(w, &mem, PRE, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_bytes[A_OUT], WASI_PREOPENTYPE_DIR);
    cr_assert_eq(mem_ld32(&mem, A_OUT + 4), strlen("/sandbox"));
    cr_assert_eq(wasi_fd_prestat_dir_name(w, &mem, PRE, A_BUF, 8), WASI_ESUCCESS);
    cr_assert_eq(memcmp(mem_bytes + A_BUF, "/sandbox", 8), 0);
    cr_assert_eq(wasi_fd_prestat_get(w, &mem, PRE + 1, A_OUT), WASI_EBADF);
    cr_assert_eq(wasi_fd_prestat_get(w, &mem, 1, A_OUT), WASI_EBADF);
    cr_assert_eq(wasi_fd_fdstat_get(w, &mem, PRE, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_bytes[A_OUT], WASI_FILETYPE_DIRECTORY);
    kiln_wasi_free(w);
}

Test(wasi, missing_preopen_directory_fails_with_a_message) {
    char err[256] = "";
    const char *pre[] = {"/nonexistent/kiln/dir::/x"};
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.num_preopens = 1;
    cfg.preopens = pre;
    cfg.error = err;
    cfg.error_size = sizeof err;
    cr_assert_null(kiln_wasi_new(&cfg));
    cr_assert(strstr(err, "/nonexistent/kiln/dir") != NULL, "message: %s", err);
}

/* ---- files ----------------------------------------------------------------------------- */

#define RW_RIGHTS (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_SEEK | \
                   WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_FILESTAT_GET)

static void check_create_write_read(bool walk) {
    kiln_wasi *w = ctx_new(walk);
    uint32_t fd;
    cr_assert_eq(open_path(w, "new.txt", WASI_OFLAG_CREAT | WASI_OFLAG_EXCL, RW_RIGHTS, 0, &fd),
                 WASI_ESUCCESS);
    cr_assert_gt(fd, PRE);
    put_str(A_BUF, "abcdef");
    set_iov(A_IOV, A_BUF, 6);
    cr_assert_eq(wasi_fd_write(w, &mem, fd, A_IOV, 1, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_seek(w, &mem, fd, 2, WASI_WHENCE_SET, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_ld64(&mem, A_OUT), 2);
    set_iov(A_IOV, A_BUF + 100, 10);
    cr_assert_eq(wasi_fd_read(w, &mem, fd, A_IOV, 1, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 4);
    cr_assert_eq(memcmp(mem_bytes + A_BUF + 100, "cdef", 4), 0);
    cr_assert_eq(wasi_fd_filestat_get(w, &mem, fd, A_BUF), WASI_ESUCCESS);
    cr_assert_eq(mem_bytes[A_BUF + 16], WASI_FILETYPE_REGULAR_FILE);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 32), 6);
    cr_assert(host_exists(tmpdir, "new.txt"));
    uint32_t again;
    cr_assert_eq(open_path(w, "new.txt", WASI_OFLAG_CREAT | WASI_OFLAG_EXCL, RW_RIGHTS, 0,
                           &again), WASI_EEXIST);
    host_symlink("dangling-target", "dangling");
    cr_assert_eq(open_path(w, "dangling", WASI_OFLAG_CREAT | WASI_OFLAG_EXCL, RW_RIGHTS,
                           WASI_LOOKUP_SYMLINK_FOLLOW, &again), WASI_EEXIST);
    cr_assert(!host_exists(tmpdir, "dangling-target"), "O_EXCL must not create through a link");
    cr_assert_eq(wasi_fd_close(w, &mem, fd), WASI_ESUCCESS);
    kiln_wasi_free(w);
}

Test(wasi, file_create_write_seek_read_openat2) { check_create_write_read(false); }
Test(wasi, file_create_write_seek_read_walk) { check_create_write_read(true); }

static void check_rename_unlink(bool walk) {
    kiln_wasi *w = ctx_new(walk);
    host_write("a.txt", "data");
    cr_assert_eq(mkdir(strcat(strcpy((char[PATH_MAX]){0}, tmpdir), "/sub"), 0777), 0);
    uint32_t l1 = put_str(A_PATH, "a.txt"), l2 = put_str(A_PATH2, "sub/b.txt");
    cr_assert_eq(wasi_path_rename(w, &mem, PRE, A_PATH, l1, PRE, A_PATH2, l2), WASI_ESUCCESS);
    cr_assert(!host_exists(tmpdir, "a.txt"));
    cr_assert(host_exists(tmpdir, "sub/b.txt"));
    cr_assert_eq(wasi_path_filestat_get(w, &mem, PRE, 0, A_PATH, l1, A_BUF), WASI_ENOENT);
    cr_assert_eq(wasi_path_filestat_get(w, &mem, PRE, 0, A_PATH2, l2, A_BUF), WASI_ESUCCESS);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 32), 4);
    cr_assert_eq(wasi_path_unlink_file(w, &mem, PRE, A_PATH2, l2), WASI_ESUCCESS);
    cr_assert(!host_exists(tmpdir, "sub/b.txt"));
    cr_assert_eq(wasi_path_unlink_file(w, &mem, PRE, A_PATH2, l2), WASI_ENOENT);
    uint32_t l3 = put_str(A_PATH, "sub");
    cr_assert_eq(wasi_path_unlink_file(w, &mem, PRE, A_PATH, l3), WASI_EISDIR);
    cr_assert_eq(wasi_path_remove_directory(w, &mem, PRE, A_PATH, l3), WASI_ESUCCESS);
    cr_assert(!host_exists(tmpdir, "sub"));
    cr_assert_eq(wasi_path_create_directory(w, &mem, PRE, A_PATH, l3), WASI_ESUCCESS);
    cr_assert(host_exists(tmpdir, "sub"));
    kiln_wasi_free(w);
}

Test(wasi, rename_unlink_mkdir_rmdir_openat2) { check_rename_unlink(false); }
Test(wasi, rename_unlink_mkdir_rmdir_walk) { check_rename_unlink(true); }

/* Reads the whole directory with a buffer of `bufsize`, following
 * cookies; returns the names seen, '\n'-separated, sorted by the host. */
static int names_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void readdir_all(kiln_wasi *w, uint32_t fd, uint32_t bufsize, char *out) {
    char *names[64];
    int n = 0;
    uint64_t cookie = 0;
    for (int rounds = 0; rounds < 100; rounds++) {
        cr_assert_eq(wasi_fd_readdir(w, &mem, fd, A_BUF, bufsize, cookie, A_OUT), 0);
        uint32_t used = mem_ld32(&mem, A_OUT), at = 0;
        while (at + WASI_SIZEOF_DIRENT <= used) {
            uint32_t namlen = mem_ld32(&mem, A_BUF + at + 16);
            if (at + WASI_SIZEOF_DIRENT + namlen > used)
                break; /* truncated: read again from the last cookie */
            cr_assert_lt(n, 64);
            names[n++] = strndup((char *)mem_bytes + A_BUF + at + WASI_SIZEOF_DIRENT, namlen);
            cookie = mem_ld64(&mem, A_BUF + at);
            at += WASI_SIZEOF_DIRENT + namlen;
        }
        if (used < bufsize)
            break;
    }
    qsort(names, (size_t)n, sizeof names[0], names_cmp);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(strcat(out, names[i]), "\n");
        free(names[i]);
    }
}

Test(wasi, readdir_lists_every_entry_with_any_buffer_size) {
    kiln_wasi *w = ctx_new(false);
    host_write("x", "1");
    host_write("yy", "2");
    host_write("a-rather-long-file-name.txt", "3");
    char big[1024], small[1024];
    readdir_all(w, PRE, 4096, big);
    cr_assert_str_eq(big, ".\n..\na-rather-long-file-name.txt\nx\nyy\n");
    readdir_all(w, PRE, 60, small); /* forces truncated entries and re-reads */
    cr_assert_str_eq(small, big);
    kiln_wasi_free(w);
}

Test(wasi, readdir_reports_file_types) {
    kiln_wasi *w = ctx_new(false);
    host_write("f", "1");
    host_symlink("f", "l");
    cr_assert_eq(wasi_fd_readdir(w, &mem, PRE, A_BUF, 4096, 0, A_OUT), 0);
    uint32_t used = mem_ld32(&mem, A_OUT), at = 0;
    int seen = 0;
    while (at < used) {
        uint32_t namlen = mem_ld32(&mem, A_BUF + at + 16);
        const char *name = (char *)mem_bytes + A_BUF + at + WASI_SIZEOF_DIRENT;
        uint8_t type = mem_bytes[A_BUF + at + 20];
        if (namlen == 1 && name[0] == 'f') {
            cr_assert_eq(type, WASI_FILETYPE_REGULAR_FILE);
            seen++;
        }
        if (namlen == 1 && name[0] == 'l') {
            cr_assert_eq(type, WASI_FILETYPE_SYMBOLIC_LINK);
            seen++;
        }
        at += WASI_SIZEOF_DIRENT + namlen;
    }
    cr_assert_eq(seen, 2);
    kiln_wasi_free(w);
}

Test(wasi, rights_are_checked_per_fd) {
    kiln_wasi *w = ctx_new(false);
    host_write("ro.txt", "read only");
    uint32_t fd;
    cr_assert_eq(open_path(w, "ro.txt", 0, WASI_RIGHT_FD_READ, 0, &fd), WASI_ESUCCESS);
    set_iov(A_IOV, A_BUF, 4);
    cr_assert_eq(wasi_fd_write(w, &mem, fd, A_IOV, 1, A_OUT), WASI_ENOTCAPABLE);
    cr_assert_eq(wasi_fd_seek(w, &mem, fd, 1, WASI_WHENCE_SET, A_OUT), WASI_ENOTCAPABLE);
    cr_assert_eq(wasi_fd_fdstat_set_rights(w, &mem, fd, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE,
                                           0), WASI_ENOTCAPABLE);
    cr_assert_eq(wasi_fd_read(w, &mem, fd, A_IOV, 1, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_fdstat_set_rights(w, &mem, fd, 0, 0), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_read(w, &mem, fd, A_IOV, 1, A_OUT), WASI_ENOTCAPABLE);
    cr_assert_eq(wasi_fd_fdstat_get(w, &mem, fd, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_ld64(&mem, A_OUT + 8), 0);
    kiln_wasi_free(w);
}

Test(wasi, renumber_moves_a_descriptor) {
    kiln_wasi *w = ctx_new(false);
    host_write("a", "A");
    host_write("b", "B");
    uint32_t fa, fb;
    cr_assert_eq(open_path(w, "a", 0, WASI_RIGHT_FD_READ, 0, &fa), 0);
    cr_assert_eq(open_path(w, "b", 0, WASI_RIGHT_FD_READ, 0, &fb), 0);
    cr_assert_eq(wasi_fd_renumber(w, &mem, fa, fb), WASI_ESUCCESS);
    set_iov(A_IOV, A_BUF, 1);
    cr_assert_eq(wasi_fd_read(w, &mem, fb, A_IOV, 1, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_bytes[A_BUF], 'A');
    cr_assert_eq(wasi_fd_read(w, &mem, fa, A_IOV, 1, A_OUT), WASI_EBADF);
    kiln_wasi_free(w);
}

Test(wasi, symlink_readlink_and_hard_link_stay_inside) {
    kiln_wasi *w = ctx_new(false);
    host_write("target", "T");
    uint32_t lt = put_str(A_PATH, "target"), ll = put_str(A_PATH2, "link");
    cr_assert_eq(wasi_path_symlink(w, &mem, A_PATH, lt, PRE, A_PATH2, ll), WASI_ESUCCESS);
    cr_assert_eq(wasi_path_readlink(w, &mem, PRE, A_PATH2, ll, A_BUF, 64, A_OUT), 0);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 6);
    cr_assert_eq(memcmp(mem_bytes + A_BUF, "target", 6), 0);
    uint32_t la = put_str(A_PATH, "/etc/passwd");
    cr_assert_eq(wasi_path_symlink(w, &mem, A_PATH, la, PRE, A_PATH2, ll), WASI_ENOTCAPABLE);
    lt = put_str(A_PATH, "target");
    uint32_t lh = put_str(A_PATH2, "hard");
    cr_assert_eq(wasi_path_link(w, &mem, PRE, 0, A_PATH, lt, PRE, A_PATH2, lh), 0);
    cr_assert_eq(wasi_path_filestat_get(w, &mem, PRE, 0, A_PATH, lt, A_BUF), 0);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 24), 2); /* nlink */
    kiln_wasi_free(w);
}

/* A trailing '/' says "a directory": on a file it is ENOTDIR and nothing
 * happens (unlink, rename, link, symlink, open, stat); on a link it
 * is followed only where POSIX follows it (open, stat), and then
 * through the sandboxed resolver, so a link planted to point outside
 * stays closed. */
static uint16_t at1(uint16_t (*fn)(kiln_wasi *, wasi_mem *, uint32_t, uint32_t, uint32_t),
                    kiln_wasi *w, const char *path) {
    return fn(w, &mem, PRE, A_PATH, put_str(A_PATH, path));
}

static uint16_t rename2(kiln_wasi *w, const char *from, const char *to) {
    uint32_t l1 = put_str(A_PATH, from), l2 = put_str(A_PATH2, to);
    return wasi_path_rename(w, &mem, PRE, A_PATH, l1, PRE, A_PATH2, l2);
}

static void check_trailing_slashes(bool walk) {
    kiln_wasi *w = ctx_new(walk);
    host_write("f", "x");
    cr_assert_eq(mkdir(strcat(strcpy((char[PATH_MAX]){0}, tmpdir), "/d"), 0777), 0);
    host_symlink("d", "l");
    host_symlink(outside, "out");
    host_symlink("..", "up");
    uint32_t fd;
    cr_assert_eq(open_path(w, "f/", 0, WASI_RIGHT_FD_READ, 0, &fd), WASI_ENOTDIR);
    cr_assert_eq(open_path(w, "d/", 0, WASI_RIGHT_FD_READ, 0, &fd), WASI_ESUCCESS);
    cr_assert_eq(open_path(w, "l/", 0, WASI_RIGHT_FD_READ, 0, &fd), WASI_ESUCCESS);
    cr_assert_eq(open_path(w, "out/", 0, WASI_RIGHT_FD_READ, 0, &fd), WASI_ENOTCAPABLE);
    cr_assert_eq(open_path(w, "up/", 0, WASI_RIGHT_FD_READ, 0, &fd), WASI_ENOTCAPABLE);
    cr_assert_eq(open_path(w, "new/", WASI_OFLAG_CREAT, WASI_RIGHT_FD_WRITE, 0, &fd), WASI_EISDIR);
    cr_assert(!host_exists(tmpdir, "new"));
    cr_assert_eq(wasi_path_filestat_get(w, &mem, PRE, 0, A_PATH, put_str(A_PATH, "f/"), A_BUF),
                 WASI_ENOTDIR);
    cr_assert_eq(wasi_path_filestat_get(w, &mem, PRE, 0, A_PATH, put_str(A_PATH, "out/"), A_BUF),
                 WASI_ENOTCAPABLE);
    cr_assert_eq(at1(wasi_path_unlink_file, w, "f/"), WASI_ENOTDIR);
    cr_assert_eq(at1(wasi_path_unlink_file, w, "out/"), WASI_ENOTDIR);
    cr_assert(host_exists(tmpdir, "f") && host_exists(tmpdir, "out"));
    cr_assert_eq(at1(wasi_path_remove_directory, w, "out/"), WASI_ENOTDIR);
    cr_assert(host_exists(tmpdir, "out") && access(outside, F_OK) == 0);
    cr_assert_eq(rename2(w, "f/", "g"), WASI_ENOTDIR);
    cr_assert_eq(rename2(w, "f", "g/"), WASI_ENOTDIR);
    cr_assert_eq(rename2(w, "out/", "g"), WASI_ENOTDIR);
    cr_assert(host_exists(tmpdir, "f") && !host_exists(tmpdir, "g"));
    cr_assert_eq(rename2(w, "d/", "e/"), WASI_ESUCCESS);
    uint32_t lt = put_str(A_PATH, "f"), ln = put_str(A_PATH2, "new/");
    cr_assert_eq(wasi_path_symlink(w, &mem, A_PATH, lt, PRE, A_PATH2, ln), WASI_ENOENT);
    cr_assert_eq(wasi_path_link(w, &mem, PRE, 0, A_PATH, lt, PRE, A_PATH2, ln), WASI_ENOENT);
    ln = put_str(A_PATH2, "e/");
    cr_assert_eq(wasi_path_symlink(w, &mem, A_PATH, lt, PRE, A_PATH2, ln), WASI_EEXIST);
    cr_assert(!host_exists(tmpdir, "new"));
    kiln_wasi_free(w);
}

Test(wasi, trailing_slash_means_a_directory_openat2) { check_trailing_slashes(false); }
Test(wasi, trailing_slash_means_a_directory_walk) { check_trailing_slashes(true); }

Test(wasi, directory_opened_with_fd_write_is_eisdir) {
    kiln_wasi *w = ctx_new(false);
    uint32_t fd;
    cr_assert_eq(open_path(w, ".", WASI_OFLAG_DIRECTORY, WASI_RIGHT_FD_READ, 0, &fd), 0);
    cr_assert_eq(open_path(w, ".", WASI_OFLAG_DIRECTORY,
                           WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE, 0, &fd),
                 WASI_EISDIR);
    /* Other writing rights (asked for by some libcs) do not count. */
    cr_assert_eq(open_path(w, ".", WASI_OFLAG_DIRECTORY,
                           WASI_RIGHT_FD_READ | WASI_RIGHT_FD_DATASYNC, 0, &fd),
                 WASI_ESUCCESS);
    kiln_wasi_free(w);
}

Test(wasi, socket_calls_on_a_file_are_enotsock_not_enotcapable) {
    kiln_wasi *w = ctx_new(false);
    host_write("f", "x");
    uint32_t fd;
    cr_assert_eq(open_path(w, "f", 0, WASI_RIGHT_FD_READ, 0, &fd), 0);
    cr_assert_eq(wasi_sock_shutdown(w, &mem, fd, WASI_SDFLAG_RD), WASI_ENOTSOCK);
    cr_assert_eq(wasi_sock_accept(w, &mem, fd, 0, A_OUT), WASI_ENOTSOCK);
    cr_assert_eq(wasi_sock_shutdown(w, &mem, 99, WASI_SDFLAG_RD), WASI_EBADF);
    kiln_wasi_free(w);
}

Test(wasi, filestat_set_times_sets_mtime) {
    kiln_wasi *w = ctx_new(false);
    host_write("f", "x");
    uint32_t l = put_str(A_PATH, "f");
    uint64_t t = 1000000000ull * 1234567;
    cr_assert_eq(wasi_path_filestat_set_times(w, &mem, PRE, 0, A_PATH, l, 0, t,
                                              WASI_FSTFLAG_MTIM), WASI_ESUCCESS);
    char p[PATH_MAX];
    struct stat st;
    host_path(p, tmpdir, "f");
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_mtim.tv_sec, 1234567);
    cr_assert_eq(wasi_path_filestat_set_times(w, &mem, PRE, 0, A_PATH, l, 0, t,
                                              WASI_FSTFLAG_MTIM | WASI_FSTFLAG_MTIM_NOW),
                 WASI_EINVAL);
    /* Flags beyond the four defined ones are invalid, not ignored. */
    cr_assert_eq(wasi_path_filestat_set_times(w, &mem, PRE, 0, A_PATH, l, 0, t, 16), WASI_EINVAL);
    kiln_wasi_free(w);
}

Test(wasi, path_pointer_outside_memory_is_efault) {
    kiln_wasi *w = ctx_new(false);
    cr_assert_eq(wasi_path_create_directory(w, &mem, PRE, MEM_SIZE - 2, 4), WASI_EFAULT);
    cr_assert_eq(wasi_path_create_directory(w, &mem, PRE, UINT32_MAX, UINT32_MAX), WASI_EFAULT);
    uint32_t fd;
    put_str(A_PATH, "x");
    cr_assert_eq(wasi_path_open(w, &mem, PRE, 0, A_PATH, 1, WASI_OFLAG_CREAT, RW_RIGHTS, 0, 0,
                                MEM_SIZE), WASI_EFAULT);
    cr_assert(!host_exists(tmpdir, "x"), "nothing may be created before the check");
    (void)fd;
    kiln_wasi_free(w);
}

/* ---- escapes ------------------------------------------------------------------------------ */

static void check_escapes(bool walk) {
    kiln_wasi *w = ctx_new(walk);
    char p[PATH_MAX];
    host_path(p, outside, "secret");
    FILE *f = fopen(p, "w");
    fputs("s", f);
    fclose(f);
    host_path(p, tmpdir, "sub");
    cr_assert_eq(mkdir(p, 0777), 0);
    host_write("inside.txt", "ok");
    host_symlink("/etc", "abs");                 /* absolute target */
    host_symlink("..", "up");                    /* relative, climbs out */
    host_symlink("c1", "chain");                 /* chain ending outside */
    host_symlink("c2", "c1");
    host_symlink("sub/../..", "c2");
    host_symlink("sub", "tosub");                /* harmless, but `..` after it climbs */
    host_symlink("loop", "loop");
    host_symlink(outside, "out");
    uint32_t fd;
    const char *escapes[] = {
        "..", "../", "../secret", "/etc/passwd", "sub/../../x", "abs/passwd",
        "up/secret", "chain/etc/passwd", "tosub/../../etc", "out/secret", "./sub/./../..",
    };
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        uint16_t err =
            open_path(w, escapes[i], 0, WASI_RIGHT_FD_READ, WASI_LOOKUP_SYMLINK_FOLLOW, &fd);
        cr_assert_eq(err, WASI_ENOTCAPABLE, "%s: %s gave %u", walk ? "walk" : "openat2",
                     escapes[i], err);
    }
    /* a final symlink that is followed must stay inside too */
    cr_assert_eq(open_path(w, "abs", 0, WASI_RIGHT_FD_READ, WASI_LOOKUP_SYMLINK_FOLLOW, &fd),
                 WASI_ENOTCAPABLE);
    cr_assert_eq(open_path(w, "loop", 0, WASI_RIGHT_FD_READ, WASI_LOOKUP_SYMLINK_FOLLOW, &fd),
                 WASI_ELOOP);
    cr_assert_eq(open_path(w, "abs", 0, WASI_RIGHT_FD_READ, 0, &fd), WASI_ELOOP);
    uint32_t l = put_str(A_PATH, "../created");
    cr_assert_eq(wasi_path_create_directory(w, &mem, PRE, A_PATH, l), WASI_ENOTCAPABLE);
    l = put_str(A_PATH, "out/secret");
    cr_assert_eq(wasi_path_unlink_file(w, &mem, PRE, A_PATH, l), WASI_ENOTCAPABLE);
    cr_assert(host_exists(outside, "secret"));
    l = put_str(A_PATH, "up");
    cr_assert_eq(wasi_path_filestat_get(w, &mem, PRE, WASI_LOOKUP_SYMLINK_FOLLOW, A_PATH, l,
                                        A_BUF), WASI_ENOTCAPABLE);
    cr_assert_eq(wasi_path_filestat_get(w, &mem, PRE, 0, A_PATH, l, A_BUF), WASI_ESUCCESS);
    cr_assert_eq(mem_bytes[A_BUF + 16], WASI_FILETYPE_SYMBOLIC_LINK);
    /* legitimate paths through links and `..` that stay inside still work */
    const char *fine[] = {"inside.txt", "tosub/../inside.txt", "sub/../inside.txt", "./inside.txt"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        cr_assert_eq(open_path(w, fine[i], 0, WASI_RIGHT_FD_READ, WASI_LOOKUP_SYMLINK_FOLLOW, &fd),
                     WASI_ESUCCESS, "%s", fine[i]);
        cr_assert_eq(wasi_fd_close(w, &mem, fd), WASI_ESUCCESS);
    }
    kiln_wasi_free(w);
}

Test(wasi, no_path_escapes_the_preopen_openat2) { check_escapes(false); }
Test(wasi, no_path_escapes_the_preopen_walk) { check_escapes(true); }

/* A second thread keeps replacing a symlink (atomically, by rename)
 * between a directory inside and the outside directory, absolute and
 * relative, while the guest opens a path through it: whatever it gets
 * must never be the outside file. */
typedef struct swapper {
    volatile bool stop;
    char targets[3][PATH_MAX];
} swapper;

static void *swap_links(void *arg) {
    swapper *s = arg;
    char link[PATH_MAX], tmp[PATH_MAX];
    host_path(link, tmpdir, "swing");
    host_path(tmp, tmpdir, "swing.tmp");
    for (unsigned i = 0; !s->stop; i++) {
        unlink(tmp);
        if (symlink(s->targets[i % 3], tmp) == 0)
            rename(tmp, link);
    }
    return NULL;
}

static void check_symlink_race(bool walk) {
    kiln_wasi *w = ctx_new(walk);
    char p[PATH_MAX];
    struct stat secret;
    host_path(p, outside, "secret");
    FILE *f = fopen(p, "w");
    fputs("s", f);
    fclose(f);
    cr_assert_eq(stat(p, &secret), 0);
    host_path(p, tmpdir, "sub");
    cr_assert_eq(mkdir(p, 0777), 0);
    host_write("sub/secret", "inside");
    swapper s = {.stop = false};
    strcpy(s.targets[0], "sub");
    strcpy(s.targets[1], outside);
    snprintf(s.targets[2], PATH_MAX, "../%s", strrchr(outside, '/') + 1);
    host_symlink("sub", "swing");
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, swap_links, &s), 0);
    int opened = 0;
    /* at least 3000 opens, and on until one went through the inside link */
    for (int i = 0; i < 3000 || (opened == 0 && i < 200000); i++) {
        uint32_t fd;
        if (open_path(w, "swing/secret", 0, WASI_RIGHT_FD_READ, WASI_LOOKUP_SYMLINK_FOLLOW,
                      &fd) != WASI_ESUCCESS)
            continue;
        struct stat st;
        cr_assert_eq(fstat(w->fds[fd].host_fd, &st), 0);
        cr_assert(st.st_ino != secret.st_ino || st.st_dev != secret.st_dev,
                  "opened the file outside the preopen");
        opened++;
        wasi_fd_close(w, &mem, fd);
    }
    s.stop = true;
    pthread_join(t, NULL);
    cr_assert_gt(opened, 0, "the inside target should have been reachable sometimes");
    kiln_wasi_free(w);
}

Test(wasi, racing_symlink_swaps_never_escape_openat2) { check_symlink_race(false); }
Test(wasi, racing_symlink_swaps_never_escape_walk) { check_symlink_race(true); }

Test(wasi, environment_variable_forces_the_walk) {
    setenv("KILN_WASI_NO_OPENAT2", "1", 1);
    kiln_wasi *w = ctx_new(false);
    unsetenv("KILN_WASI_NO_OPENAT2");
    cr_assert(!w->use_openat2);
    kiln_wasi_free(w);
}

/* ---- clocks, random, poll, exit ----------------------------------------------------------- */

Test(wasi, monotonic_clock_never_goes_back_and_realtime_is_now) {
    kiln_wasi *w = ctx_new(false);
    uint64_t prev = 0;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(wasi_clock_time_get(w, &mem, WASI_CLOCK_MONOTONIC, 1, A_OUT), 0);
        cr_assert_geq(mem_ld64(&mem, A_OUT), prev);
        prev = mem_ld64(&mem, A_OUT);
    }
    cr_assert_eq(wasi_clock_time_get(w, &mem, WASI_CLOCK_REALTIME, 1, A_OUT), 0);
    int64_t secs = (int64_t)(mem_ld64(&mem, A_OUT) / 1000000000ull);
    cr_assert_lt(llabs(secs - (int64_t)time(NULL)), 2);
    for (uint32_t id = 0; id < 4; id++) {
        cr_assert_eq(wasi_clock_res_get(w, &mem, id, A_OUT), 0);
        cr_assert_gt(mem_ld64(&mem, A_OUT), 0);
    }
    cr_assert_eq(wasi_clock_time_get(w, &mem, 4, 1, A_OUT), WASI_EINVAL);
    cr_assert_eq(wasi_clock_time_get(w, &mem, 0, 1, MEM_SIZE - 7), WASI_EFAULT);
    kiln_wasi_free(w);
}

Test(wasi, random_get_fills_the_buffer_and_checks_it) {
    kiln_wasi *w = ctx_new(false);
    cr_assert_eq(wasi_random_get(w, &mem, A_BUF, 64), 0);
    cr_assert_eq(wasi_random_get(w, &mem, A_BUF + 64, 64), 0);
    cr_assert_neq(memcmp(mem_bytes + A_BUF, mem_bytes + A_BUF + 64, 64), 0);
    int zeros = 0;
    for (int i = 0; i < 128; i++)
        zeros += mem_bytes[A_BUF + i] == 0;
    cr_assert_lt(zeros, 16);
    cr_assert_eq(wasi_random_get(w, &mem, MEM_SIZE - 10, 11), WASI_EFAULT);
    cr_assert_eq(wasi_random_get(w, &mem, MEM_SIZE, 0), WASI_ESUCCESS);
    kiln_wasi_free(w);
}

static void sub_clock_at(uint32_t at, uint64_t userdata, uint64_t timeout_ns) {
    memset(mem_bytes + at, 0, WASI_SIZEOF_SUBSCRIPTION);
    mem_st64(&mem, at, userdata);
    mem_bytes[at + 8] = WASI_EVENTTYPE_CLOCK;
    mem_st32(&mem, at + 16, WASI_CLOCK_MONOTONIC);
    mem_st64(&mem, at + 24, timeout_ns);
}

Test(wasi, poll_oneoff_sleeps_for_a_relative_clock) {
    kiln_wasi *w = ctx_new(false);
    sub_clock_at(A_BUF, 77, 20 * 1000000ull);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cr_assert_eq(wasi_poll_oneoff(w, &mem, A_BUF, A_BUF + 1024, 1, A_OUT), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    cr_assert_geq(ms, 19.0);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 1);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 1024), 77);
    cr_assert_eq(mem_bytes[A_BUF + 1024 + 10], WASI_EVENTTYPE_CLOCK);
    kiln_wasi_free(w);
}

Test(wasi, poll_oneoff_reports_a_readable_pipe_before_the_timeout) {
    int p[2];
    cr_assert_eq(pipe(p), 0);
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.stdin_fd = p[0];
    kiln_wasi *w = kiln_wasi_new(&cfg);
    cr_assert_eq(write(p[1], "abc", 3), 3);
    sub_clock_at(A_BUF, 1, 5000 * 1000000ull);
    memset(mem_bytes + A_BUF + 48, 0, 48);
    mem_st64(&mem, A_BUF + 48, 2);
    mem_bytes[A_BUF + 48 + 8] = WASI_EVENTTYPE_FD_READ;
    mem_st32(&mem, A_BUF + 48 + 16, 0);
    cr_assert_eq(wasi_poll_oneoff(w, &mem, A_BUF, A_BUF + 1024, 2, A_OUT), 0);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 1);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 1024), 2);
    cr_assert_eq(mem_ld16(&mem, A_BUF + 1024 + 8), 0);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 1024 + 16), 3);
    kiln_wasi_free(w);
    close(p[0]);
    close(p[1]);
}

Test(wasi, poll_oneoff_with_bad_fd_reports_ebadf_in_the_event) {
    kiln_wasi *w = ctx_new(false);
    memset(mem_bytes + A_BUF, 0, 48);
    mem_bytes[A_BUF + 8] = WASI_EVENTTYPE_FD_WRITE;
    mem_st32(&mem, A_BUF + 16, 42);
    cr_assert_eq(wasi_poll_oneoff(w, &mem, A_BUF, A_BUF + 1024, 1, A_OUT), 0);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 1);
    cr_assert_eq(mem_ld16(&mem, A_BUF + 1024 + 8), WASI_EBADF);
    cr_assert_eq(wasi_poll_oneoff(w, &mem, A_BUF, A_BUF + 1024, 0, A_OUT), WASI_EINVAL);
    cr_assert_eq(wasi_poll_oneoff(w, &mem, MEM_SIZE - 40, A_BUF, 1, A_OUT), WASI_EFAULT);
    kiln_wasi_free(w);
}

Test(wasi, proc_exit_records_the_code) {
    kiln_wasi *w = ctx_new(false);
    cr_assert(!kiln_wasi_exited(w));
    cr_assert_eq(kiln_wasi_exit_code(w), 0);
    wasi_proc_exit(w, 42);
    cr_assert(kiln_wasi_exited(w));
    cr_assert_eq(kiln_wasi_exit_code(w), 42);
    cr_assert_eq(wasi_proc_raise(w, &mem, 9), WASI_ENOSYS);
    kiln_wasi_free(w);
}

Test(wasi, host_errno_maps_to_wasi_numbering) {
    cr_assert_eq(errno_to_wasi(ENOENT), 44);
    cr_assert_eq(errno_to_wasi(EFAULT), 21);
    cr_assert_eq(errno_to_wasi(EACCES), 2);
    cr_assert_eq(errno_to_wasi(ENOTEMPTY), 55);
    cr_assert_eq(errno_to_wasi(EXDEV), 75);
    cr_assert_eq(errno_to_wasi(ELOOP), 32);
    cr_assert_eq(errno_to_wasi(12345), WASI_EIO);
}

Test(wasi, define_binds_every_preview1_function) {
    kiln_wasi *w = ctx_new(false);
    kiln_linker *l = kiln_linker_new();
    cr_assert(kiln_wasi_define(w, l));
    const char *names[] = {"fd_write", "path_open", "proc_exit", "poll_oneoff", "sock_shutdown",
                           "args_get", "random_get", "fd_readdir"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        cr_assert(kiln_linker_contains(l, "wasi_snapshot_preview1", names[i]), "%s", names[i]);
    kiln_linker_free(l);
    kiln_wasi_free(w);
}

/* ---- more descriptor operations ------------------------------------------------------ */

Test(wasi, positional_io_tell_truncate_and_sync_on_a_file) {
    kiln_wasi *w = ctx_new(false);
    host_write("p.txt", "0123456789");
    uint32_t fd;
    cr_assert_eq(open_path(w, "p.txt", 0, WASI_RIGHTS_FILE, 0, &fd), WASI_ESUCCESS);
    put_str(A_BUF, "AB");
    set_iov(A_IOV, A_BUF, 2);
    cr_assert_eq(wasi_fd_pwrite(w, &mem, fd, A_IOV, 1, 4, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_tell(w, &mem, fd, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_ld64(&mem, A_OUT), 0, "pwrite must not move the offset");
    set_iov(A_IOV, A_BUF + 100, 6);
    cr_assert_eq(wasi_fd_pread(w, &mem, fd, A_IOV, 1, 2, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(memcmp(mem_bytes + A_BUF + 100, "23AB67", 6), 0);
    cr_assert_eq(wasi_fd_filestat_set_size(w, &mem, fd, 3), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_allocate(w, &mem, fd, 0, 100), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_advise(w, &mem, fd, 0, 0, 2), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_advise(w, &mem, fd, 0, 0, 6), WASI_EINVAL);
    cr_assert_eq(wasi_fd_datasync(w, &mem, fd), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_sync(w, &mem, fd), WASI_ESUCCESS);
    char p[PATH_MAX];
    struct stat st;
    host_path(p, tmpdir, "p.txt");
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(st.st_size, 100);
    cr_assert_eq(wasi_fd_seek(w, &mem, fd, 0, 3, A_OUT), WASI_EINVAL);
    cr_assert_eq(wasi_fd_seek(w, &mem, fd, -1, WASI_WHENCE_SET, A_OUT), WASI_EINVAL);
    kiln_wasi_free(w);
}

Test(wasi, append_flag_and_truncating_open) {
    kiln_wasi *w = ctx_new(true);
    host_write("log", "one\n");
    uint32_t fd;
    cr_assert_eq(open_path(w, "log", 0, RW_RIGHTS | WASI_RIGHT_FD_FDSTAT_SET_FLAGS, 0, &fd), 0);
    cr_assert_eq(wasi_fd_fdstat_set_flags(w, &mem, fd, WASI_FDFLAG_APPEND), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_fdstat_get(w, &mem, fd, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_ld16(&mem, A_OUT + 2), WASI_FDFLAG_APPEND);
    cr_assert_eq(wasi_fd_fdstat_set_flags(w, &mem, fd, WASI_FDFLAG_SYNC), WASI_ENOTSUP);
    put_str(A_BUF, "two\n");
    set_iov(A_IOV, A_BUF, 4);
    cr_assert_eq(wasi_fd_write(w, &mem, fd, A_IOV, 1, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_filestat_get(w, &mem, fd, A_BUF), WASI_ESUCCESS);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 32), 8);
    uint32_t fd2;
    cr_assert_eq(open_path(w, "log", WASI_OFLAG_TRUNC, RW_RIGHTS, 0, &fd2), WASI_ESUCCESS);
    cr_assert_eq(wasi_fd_filestat_get(w, &mem, fd2, A_BUF), WASI_ESUCCESS);
    cr_assert_eq(mem_ld64(&mem, A_BUF + 32), 0);
    cr_assert_eq(open_path(w, "log", WASI_OFLAG_DIRECTORY, WASI_RIGHT_FD_READDIR, 0, &fd2),
                 WASI_ENOTDIR);
    kiln_wasi_free(w);
}

Test(wasi, opened_subdirectory_can_be_listed_and_used_as_a_base) {
    kiln_wasi *w = ctx_new(false);
    char p[PATH_MAX];
    host_path(p, tmpdir, "d");
    cr_assert_eq(mkdir(p, 0777), 0);
    host_write("d/inner", "i");
    uint32_t dfd;
    cr_assert_eq(open_path(w, "d", WASI_OFLAG_DIRECTORY, WASI_RIGHTS_DIR, 0, &dfd), 0);
    char names[256];
    readdir_all(w, dfd, 256, names);
    cr_assert_str_eq(names, ".\n..\ninner\n");
    /* the subdirectory is a root of its own: `..` from it is refused */
    uint32_t l = put_str(A_PATH, "../d/inner");
    cr_assert_eq(wasi_path_open(w, &mem, dfd, 0, A_PATH, l, 0, WASI_RIGHT_FD_READ, 0, 0, A_OUT),
                 WASI_ENOTCAPABLE);
    l = put_str(A_PATH, "inner");
    cr_assert_eq(wasi_path_open(w, &mem, dfd, 0, A_PATH, l, 0, WASI_RIGHT_FD_READ, 0, 0, A_OUT),
                 WASI_ESUCCESS);
    kiln_wasi_free(w);
}

Test(wasi, sockets_passed_as_stdio_send_receive_and_shut_down) {
    int sv[2], p[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(pipe(p), 0);
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    cfg.stdin_fd = p[0];
    cfg.stdout_fd = sv[0];
    cfg.stderr_fd = p[1];
    kiln_wasi *w = kiln_wasi_new(&cfg);
    put_str(A_BUF, "ping");
    set_iov(A_IOV, A_BUF, 4);
    cr_assert_eq(wasi_sock_send(w, &mem, 1, A_IOV, 1, 0, A_OUT), WASI_ESUCCESS);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 4);
    char got[8] = {0};
    cr_assert_eq(read(sv[1], got, sizeof got), 4);
    cr_assert_str_eq(got, "ping");
    cr_assert_eq(write(sv[1], "pong", 4), 4);
    set_iov(A_IOV, A_BUF + 100, 16);
    cr_assert_eq(wasi_sock_recv(w, &mem, 1, A_IOV, 1, 0, A_OUT, A_OUT2), WASI_ESUCCESS);
    cr_assert_eq(mem_ld32(&mem, A_OUT), 4);
    cr_assert_eq(memcmp(mem_bytes + A_BUF + 100, "pong", 4), 0);
    cr_assert_eq(wasi_sock_shutdown(w, &mem, 1, WASI_SDFLAG_WR), WASI_ESUCCESS);
    cr_assert_eq(read(sv[1], got, sizeof got), 0, "peer sees end of stream");
    cr_assert_eq(wasi_sock_recv(w, &mem, 0, A_IOV, 1, 0, A_OUT, A_OUT2), WASI_ENOTSOCK);
    cr_assert_eq(wasi_sock_accept(w, &mem, 2, 0, A_OUT), WASI_ENOTSOCK);
    cr_assert_eq(wasi_sched_yield(w, &mem), WASI_ESUCCESS);
    kiln_wasi_free(w);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

/* ---- command-line options -------------------------------------------------------------- */

static int parse_all(kiln_wasi_options *o, int argc, char **argv, char *why) {
    int rc = 0;
    for (int i = 0; i < argc && rc >= 0; i++)
        rc = kiln_wasi_options_parse(o, argc, argv, &i, why, 256);
    return rc;
}

Test(wasi, options_parse_dirs_env_and_refuse_malformed_ones) {
    char why[256];
    kiln_wasi_options o = {0};
    char *ok[] = {"--dir", "/a::/b", "--env=X=1", "--env", "Y=", "--inherit-env", "--dir=/c"};
    cr_assert_eq(parse_all(&o, 7, ok, why), 1);
    cr_assert_eq(o.num_dirs, 2);
    cr_assert_str_eq(o.dirs[0], "/a::/b");
    cr_assert_str_eq(o.dirs[1], "/c");
    cr_assert_eq(o.num_env, 2);
    cr_assert_str_eq(o.env[1], "Y=");
    cr_assert(o.inherit_env);
    kiln_wasi_config cfg;
    kiln_wasi_config_init(&cfg);
    kiln_wasi_options_apply(&o, &cfg);
    cr_assert_eq(cfg.num_preopens, 2);
    cr_assert_eq(cfg.envc, 2);
    kiln_wasi_options_free(&o);

    char *bad_env[] = {"--env", "NOEQUALS"};
    cr_assert_eq(parse_all(&o, 2, bad_env, why), -1);
    cr_assert(strstr(why, "NAME=VALUE") != NULL);
    char *no_value[] = {"--dir"};
    cr_assert_eq(parse_all(&o, 1, no_value, why), -1);
    int i = 0;
    char *other[] = {"--directory"};
    cr_assert_eq(kiln_wasi_options_parse(&o, 1, other, &i, why, sizeof why), 0);
    kiln_wasi_options_free(&o);
}
