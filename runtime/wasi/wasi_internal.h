/* wasi_internal.h - shared by the files of runtime/wasi/ and its tests.
 *
 * Every preview1 function exists twice: a core function here, typed and
 * taking the guest memory as a plain (base, size) pair so that unit tests
 * can call it on a fake memory, and a linker callback in wasi_bind.c that
 * unpacks kiln_val slots and calls the core.  Core functions return a
 * WASI errno (never a host errno) and touch guest memory only through the
 * checked helpers below.
 *
 * Numbers and layouts follow the wasi_snapshot_preview1 witx definition
 * (the same as wasi-libc's <wasi/api.h>). */
#ifndef KILN_WASI_INTERNAL_H
#define KILN_WASI_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "kiln_wasi.h"

/* ---- errno (witx `errno`, u16) ------------------------------------------ */
enum {
    WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3,
    WASI_EADDRNOTAVAIL = 4, WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6, WASI_EALREADY = 7,
    WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10, WASI_ECANCELED = 11,
    WASI_ECHILD = 12, WASI_ECONNABORTED = 13, WASI_ECONNREFUSED = 14,
    WASI_ECONNRESET = 15, WASI_EDEADLK = 16, WASI_EDESTADDRREQ = 17, WASI_EDOM = 18,
    WASI_EDQUOT = 19, WASI_EEXIST = 20, WASI_EFAULT = 21, WASI_EFBIG = 22,
    WASI_EHOSTUNREACH = 23, WASI_EIDRM = 24, WASI_EILSEQ = 25, WASI_EINPROGRESS = 26,
    WASI_EINTR = 27, WASI_EINVAL = 28, WASI_EIO = 29, WASI_EISCONN = 30,
    WASI_EISDIR = 31, WASI_ELOOP = 32, WASI_EMFILE = 33, WASI_EMLINK = 34,
    WASI_EMSGSIZE = 35, WASI_EMULTIHOP = 36, WASI_ENAMETOOLONG = 37,
    WASI_ENETDOWN = 38, WASI_ENETRESET = 39, WASI_ENETUNREACH = 40, WASI_ENFILE = 41,
    WASI_ENOBUFS = 42, WASI_ENODEV = 43, WASI_ENOENT = 44, WASI_ENOEXEC = 45,
    WASI_ENOLCK = 46, WASI_ENOLINK = 47, WASI_ENOMEM = 48, WASI_ENOMSG = 49,
    WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51, WASI_ENOSYS = 52, WASI_ENOTCONN = 53,
    WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55, WASI_ENOTRECOVERABLE = 56,
    WASI_ENOTSOCK = 57, WASI_ENOTSUP = 58, WASI_ENOTTY = 59, WASI_ENXIO = 60,
    WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62, WASI_EPERM = 63, WASI_EPIPE = 64,
    WASI_EPROTO = 65, WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67,
    WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71,
    WASI_ESTALE = 72, WASI_ETIMEDOUT = 73, WASI_ETXTBSY = 74, WASI_EXDEV = 75,
    WASI_ENOTCAPABLE = 76,
};

/* ---- rights (u64 bit set) -------------------------------------------------- */
#define WASI_RIGHT_FD_DATASYNC (1ull << 0)
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define WASI_RIGHT_FD_SYNC (1ull << 4)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_FD_ADVISE (1ull << 7)
#define WASI_RIGHT_FD_ALLOCATE (1ull << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY (1ull << 9)
#define WASI_RIGHT_PATH_CREATE_FILE (1ull << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE (1ull << 11)
#define WASI_RIGHT_PATH_LINK_TARGET (1ull << 12)
#define WASI_RIGHT_PATH_OPEN (1ull << 13)
#define WASI_RIGHT_FD_READDIR (1ull << 14)
#define WASI_RIGHT_PATH_READLINK (1ull << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE (1ull << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET (1ull << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET (1ull << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define WASI_RIGHT_FD_FILESTAT_GET (1ull << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE (1ull << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES (1ull << 23)
#define WASI_RIGHT_PATH_SYMLINK (1ull << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY (1ull << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE (1ull << 26)
#define WASI_RIGHT_POLL_FD_READWRITE (1ull << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN (1ull << 28)
#define WASI_RIGHT_SOCK_ACCEPT (1ull << 29)
#define WASI_RIGHTS_ALL ((1ull << 30) - 1)

/* What makes sense on each kind of descriptor (fdstat reports these). */
#define WASI_RIGHTS_FILE                                                              \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |               \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |       \
     WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |            \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                   \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIR                                                               \
    (WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_ADVISE |     \
     WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                 \
     WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN | \
     WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE | \
     WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                   \
     WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |         \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES |                  \
     WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY |                     \
     WASI_RIGHT_PATH_UNLINK_FILE | WASI_RIGHT_POLL_FD_READWRITE)
/* Streams (ttys, pipes, sockets): no seeking, no sizes. */
#define WASI_RIGHTS_STREAM                                                            \
    (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |      \
     WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SYNC |        \
     WASI_RIGHT_FD_ADVISE | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN | \
     WASI_RIGHT_SOCK_ACCEPT)

/* ---- other enumerations ------------------------------------------------------ */
enum {
    WASI_FILETYPE_UNKNOWN = 0, WASI_FILETYPE_BLOCK_DEVICE = 1,
    WASI_FILETYPE_CHARACTER_DEVICE = 2, WASI_FILETYPE_DIRECTORY = 3,
    WASI_FILETYPE_REGULAR_FILE = 4, WASI_FILETYPE_SOCKET_DGRAM = 5,
    WASI_FILETYPE_SOCKET_STREAM = 6, WASI_FILETYPE_SYMBOLIC_LINK = 7,
};
enum { WASI_WHENCE_SET = 0, WASI_WHENCE_CUR = 1, WASI_WHENCE_END = 2 };
enum {
    WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4,
    WASI_FDFLAG_RSYNC = 8, WASI_FDFLAG_SYNC = 16,
};
enum { WASI_OFLAG_CREAT = 1, WASI_OFLAG_DIRECTORY = 2, WASI_OFLAG_EXCL = 4, WASI_OFLAG_TRUNC = 8 };
enum { WASI_LOOKUP_SYMLINK_FOLLOW = 1 };
enum {
    WASI_FSTFLAG_ATIM = 1, WASI_FSTFLAG_ATIM_NOW = 2, WASI_FSTFLAG_MTIM = 4,
    WASI_FSTFLAG_MTIM_NOW = 8,
};
enum {
    WASI_CLOCK_REALTIME = 0, WASI_CLOCK_MONOTONIC = 1, WASI_CLOCK_PROCESS_CPUTIME = 2,
    WASI_CLOCK_THREAD_CPUTIME = 3,
};
enum { WASI_EVENTTYPE_CLOCK = 0, WASI_EVENTTYPE_FD_READ = 1, WASI_EVENTTYPE_FD_WRITE = 2 };
enum { WASI_SUBCLOCK_ABSTIME = 1 };
enum { WASI_EVENT_HANGUP = 1 };
enum { WASI_SDFLAG_RD = 1, WASI_SDFLAG_WR = 2 };
enum { WASI_RIFLAG_PEEK = 1, WASI_RIFLAG_WAITALL = 2 };
enum { WASI_ROFLAG_DATA_TRUNCATED = 1 };
enum { WASI_PREOPENTYPE_DIR = 0 };

/* Struct sizes in guest memory (offsets are spelled where they are used). */
#define WASI_SIZEOF_IOVEC 8
#define WASI_SIZEOF_FDSTAT 24
#define WASI_SIZEOF_FILESTAT 64
#define WASI_SIZEOF_PRESTAT 8
#define WASI_SIZEOF_DIRENT 24
#define WASI_SIZEOF_SUBSCRIPTION 48
#define WASI_SIZEOF_EVENT 32

/* ---- guest memory ------------------------------------------------------------- */
typedef struct wasi_mem {
    uint8_t *base;
    uint64_t size;
} wasi_mem;

/* True if [ptr, ptr+len) lies inside memory; never overflows. */
static inline bool mem_ok(const wasi_mem *m, uint64_t ptr, uint64_t len) {
    return len <= m->size && ptr <= m->size - len;
}
/* Little-endian loads/stores; callers check the range first. */
static inline uint16_t mem_ld16(const wasi_mem *m, uint32_t p) {
    uint16_t v;
    memcpy(&v, m->base + p, 2);
    return v;
}
static inline uint32_t mem_ld32(const wasi_mem *m, uint32_t p) {
    uint32_t v;
    memcpy(&v, m->base + p, 4);
    return v;
}
static inline uint64_t mem_ld64(const wasi_mem *m, uint32_t p) {
    uint64_t v;
    memcpy(&v, m->base + p, 8);
    return v;
}
static inline void mem_st8(wasi_mem *m, uint32_t p, uint8_t v) { m->base[p] = v; }
static inline void mem_st16(wasi_mem *m, uint32_t p, uint16_t v) { memcpy(m->base + p, &v, 2); }
static inline void mem_st32(wasi_mem *m, uint32_t p, uint32_t v) { memcpy(m->base + p, &v, 4); }
static inline void mem_st64(wasi_mem *m, uint32_t p, uint64_t v) { memcpy(m->base + p, &v, 8); }
/* Checked single stores for result pointers: EFAULT when out of range. */
uint16_t mem_put32(wasi_mem *m, uint32_t p, uint32_t v);
uint16_t mem_put64(wasi_mem *m, uint32_t p, uint64_t v);

/* ---- the context ---------------------------------------------------------------- */
typedef struct wasi_fd {
    bool used;
    bool owned;       /* close host_fd when the guest closes this fd */
    uint8_t filetype; /* WASI_FILETYPE_* */
    int host_fd;
    uint64_t rights_base;
    uint64_t rights_inheriting;
    char *preopen_name; /* guest name, only for preopened directories */
    void *dir;          /* DIR* while fd_readdir is in progress */
    uint64_t dir_pos;   /* the cookie `dir` is positioned at */
} wasi_fd;

struct kiln_wasi {
    char **args;
    uint32_t num_args;
    uint32_t args_bytes; /* sum of strlen+1 */
    char **env;
    uint32_t num_env;
    uint32_t env_bytes;
    wasi_fd *fds;
    uint32_t num_fds;
    bool use_openat2;
    uint32_t max_threads; /* spawned threads running at once (wasi_threads.c) */
    bool exited;
    int exit_code;
    struct wasi_threads *threads; /* wasi_threads.c; NULL until bound */
    bool threaded;                /* a thread was spawned: WASI calls take `lock` */
    pthread_mutex_t lock;
};

/* wasi_threads.c */
typedef struct wasi_threads wasi_threads;
int32_t wasi_thread_spawn(kiln_wasi *w, uint32_t start_arg);
bool wasi_threads_running(kiln_wasi *w);
void wasi_threads_free(kiln_wasi *w);

/* wasi_bind.c: every function's binding, NULL-terminated (what
 * kiln_wasi_define defines). */
extern const kiln_wasi_binding *const kiln_wasi_bindings_all[];

/* wasi.c: descriptor table and errno mapping. */
uint16_t errno_to_wasi(int host_errno);
/* The entry for a guest fd if it is open and has every right in `need`. */
uint16_t fd_lookup(kiln_wasi *w, uint32_t fd, uint64_t need, wasi_fd **out);
/* Installs a host fd at the lowest free guest number. */
uint16_t fd_insert(kiln_wasi *w, int host_fd, uint8_t filetype, uint64_t base,
                   uint64_t inheriting, uint32_t *out_fd);
void fd_release(wasi_fd *e);
uint8_t filetype_from_mode(mode_t mode);
/* Host struct stat -> 64-byte WASI filestat at guest address p (checked). */
uint16_t filestat_store(wasi_mem *m, uint32_t p, const struct stat *st);

/* wasi_path.c: resolution beneath a directory fd.  On success *dirfd is a
 * new O_PATH descriptor of the directory that holds the final component
 * and `name` (at least NAME_MAX+1 bytes) that component, never containing
 * '/' and never "..".  With follow_final, a final symlink is expanded
 * (still beneath the root).  The caller closes *dirfd. */
uint16_t path_resolve(kiln_wasi *w, int root_fd, const char *path, bool follow_final,
                      int *dirfd, char *name);
/* Copies a guest path out of memory as a C string (EFAULT, EILSEQ on NUL). */
uint16_t path_copy(const wasi_mem *m, uint32_t ptr, uint32_t len, char **out);

/* ---- core functions (one per preview1 import) ------------------------------------ */
uint16_t wasi_args_get(kiln_wasi *w, wasi_mem *m, uint32_t argv, uint32_t buf);
uint16_t wasi_args_sizes_get(kiln_wasi *w, wasi_mem *m, uint32_t count_ptr, uint32_t size_ptr);
uint16_t wasi_environ_get(kiln_wasi *w, wasi_mem *m, uint32_t environ, uint32_t buf);
uint16_t wasi_environ_sizes_get(kiln_wasi *w, wasi_mem *m, uint32_t count_ptr,
                                uint32_t size_ptr);

/* wasi_clock.c: WASI clock id -> host clock (false if there is none). */
bool clock_from_wasi(uint32_t id, clockid_t *out);
uint16_t wasi_clock_res_get(kiln_wasi *w, wasi_mem *m, uint32_t id, uint32_t out);
uint16_t wasi_clock_time_get(kiln_wasi *w, wasi_mem *m, uint32_t id, uint64_t precision,
                             uint32_t out);

uint16_t wasi_fd_advise(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t offset, uint64_t len,
                        uint32_t advice);
uint16_t wasi_fd_allocate(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t offset, uint64_t len);
uint16_t wasi_fd_close(kiln_wasi *w, wasi_mem *m, uint32_t fd);
uint16_t wasi_fd_datasync(kiln_wasi *w, wasi_mem *m, uint32_t fd);
uint16_t wasi_fd_fdstat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out);
uint16_t wasi_fd_fdstat_set_flags(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags);
uint16_t wasi_fd_fdstat_set_rights(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t base,
                                   uint64_t inheriting);
uint16_t wasi_fd_filestat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out);
uint16_t wasi_fd_filestat_set_size(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t size);
uint16_t wasi_fd_filestat_set_times(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t atim,
                                    uint64_t mtim, uint32_t fstflags);
uint16_t wasi_fd_pread(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint64_t offset, uint32_t nread);
uint16_t wasi_fd_prestat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out);
uint16_t wasi_fd_prestat_dir_name(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                                  uint32_t path_len);
uint16_t wasi_fd_pwrite(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint64_t offset, uint32_t nwritten);
uint16_t wasi_fd_read(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                      uint32_t nread);
uint16_t wasi_fd_readdir(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t buf, uint32_t buf_len,
                         uint64_t cookie, uint32_t bufused);
uint16_t wasi_fd_renumber(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t to);
uint16_t wasi_fd_seek(kiln_wasi *w, wasi_mem *m, uint32_t fd, int64_t offset, uint32_t whence,
                      uint32_t newoffset);
uint16_t wasi_fd_sync(kiln_wasi *w, wasi_mem *m, uint32_t fd);
uint16_t wasi_fd_tell(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out);
uint16_t wasi_fd_write(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint32_t nwritten);

uint16_t wasi_path_create_directory(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                                    uint32_t path_len);
uint16_t wasi_path_filestat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags,
                                uint32_t path, uint32_t path_len, uint32_t out);
uint16_t wasi_path_filestat_set_times(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags,
                                      uint32_t path, uint32_t path_len, uint64_t atim,
                                      uint64_t mtim, uint32_t fstflags);
uint16_t wasi_path_link(kiln_wasi *w, wasi_mem *m, uint32_t old_fd, uint32_t old_flags,
                        uint32_t old_path, uint32_t old_len, uint32_t new_fd, uint32_t new_path,
                        uint32_t new_len);
uint16_t wasi_path_open(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t dirflags, uint32_t path,
                        uint32_t path_len, uint32_t oflags, uint64_t rights_base,
                        uint64_t rights_inheriting, uint32_t fdflags, uint32_t out_fd);
uint16_t wasi_path_readlink(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                            uint32_t path_len, uint32_t buf, uint32_t buf_len,
                            uint32_t bufused);
uint16_t wasi_path_remove_directory(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                                    uint32_t path_len);
uint16_t wasi_path_rename(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t old_path,
                          uint32_t old_len, uint32_t new_fd, uint32_t new_path,
                          uint32_t new_len);
uint16_t wasi_path_symlink(kiln_wasi *w, wasi_mem *m, uint32_t old_path, uint32_t old_len,
                           uint32_t fd, uint32_t new_path, uint32_t new_len);
uint16_t wasi_path_unlink_file(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                               uint32_t path_len);

uint16_t wasi_poll_oneoff(kiln_wasi *w, wasi_mem *m, uint32_t in, uint32_t out,
                          uint32_t nsubscriptions, uint32_t nevents);

/* proc_exit has no errno: it records the code; the binding then unwinds. */
void wasi_proc_exit(kiln_wasi *w, uint32_t code);
uint16_t wasi_proc_raise(kiln_wasi *w, wasi_mem *m, uint32_t sig);
uint16_t wasi_sched_yield(kiln_wasi *w, wasi_mem *m);
uint16_t wasi_random_get(kiln_wasi *w, wasi_mem *m, uint32_t buf, uint32_t len);

uint16_t wasi_sock_accept(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags,
                          uint32_t out_fd);
uint16_t wasi_sock_recv(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint32_t riflags, uint32_t nread,
                        uint32_t roflags);
uint16_t wasi_sock_send(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint32_t siflags, uint32_t nwritten);
uint16_t wasi_sock_shutdown(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t how);

/* wasi_fd.c: guest iovec array -> host iovecs (all buffers range-checked). */
struct iovec;
/* WASI (atim, mtim, fstflags) -> utimensat times (UTIME_NOW/UTIME_OMIT). */
uint16_t times_from_flags(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2]);
#define WASI_MAX_IOVS 128
uint16_t iovs_load(const wasi_mem *m, uint32_t iovs, uint32_t count, struct iovec *out,
                   int *out_count);

#endif
