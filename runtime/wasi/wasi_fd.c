/* wasi_fd.c - operations on open descriptors: I/O, seeking, flags,
 * rights, metadata, and the table operations close/renumber/prestat.
 * Every guest pointer is range-checked before the host is touched, so a
 * bad pointer fails with EFAULT and no I/O happens. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_internal.h"

/* More than WASI_MAX_IOVS buffers are cut to the first ones: reads and
 * writes may be short anyway, and callers loop. */
uint16_t iovs_load(const wasi_mem *m, uint32_t iovs, uint32_t count, struct iovec *out,
                   int *out_count) {
    if (!mem_ok(m, iovs, (uint64_t)count * WASI_SIZEOF_IOVEC))
        return WASI_EFAULT;
    uint32_t n = count < WASI_MAX_IOVS ? count : WASI_MAX_IOVS;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf = mem_ld32(m, iovs + i * WASI_SIZEOF_IOVEC);
        uint32_t len = mem_ld32(m, iovs + i * WASI_SIZEOF_IOVEC + 4);
        if (!mem_ok(m, buf, len))
            return WASI_EFAULT;
        out[i].iov_base = m->base + buf;
        out[i].iov_len = len;
    }
    *out_count = (int)n;
    return WASI_ESUCCESS;
}

/* The shared shape of read/write/pread/pwrite: look up, check, transfer. */
typedef ssize_t (*io_fn)(int fd, const struct iovec *iov, int n, off_t off);

static ssize_t io_readv(int fd, const struct iovec *iov, int n, off_t off) {
    return readv(fd, iov, n);
}
static ssize_t io_writev(int fd, const struct iovec *iov, int n, off_t off) {
    return writev(fd, iov, n);
}
static ssize_t io_preadv(int fd, const struct iovec *iov, int n, off_t off) {
    return preadv(fd, iov, n, off);
}
static ssize_t io_pwritev(int fd, const struct iovec *iov, int n, off_t off) {
    return pwritev(fd, iov, n, off);
}

static uint16_t fd_io(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t need, uint32_t iovs,
                      uint32_t iovs_len, uint64_t offset, uint32_t result, io_fn fn) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, need, &e);
    if (err)
        return err;
    if (!mem_ok(m, result, 4))
        return WASI_EFAULT;
    if (offset > INT64_MAX)
        return WASI_EINVAL;
    struct iovec iov[WASI_MAX_IOVS];
    int n;
    if ((err = iovs_load(m, iovs, iovs_len, iov, &n)))
        return err;
    ssize_t done = fn(e->host_fd, iov, n, (off_t)offset);
    if (done < 0)
        return errno_to_wasi(errno);
    mem_st32(m, result, (uint32_t)done);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_read(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                      uint32_t nread) {
    return fd_io(w, m, fd, WASI_RIGHT_FD_READ, iovs, iovs_len, 0, nread, io_readv);
}

uint16_t wasi_fd_write(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint32_t nwritten) {
    return fd_io(w, m, fd, WASI_RIGHT_FD_WRITE, iovs, iovs_len, 0, nwritten, io_writev);
}

uint16_t wasi_fd_pread(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                       uint64_t offset, uint32_t nread) {
    return fd_io(w, m, fd, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK, iovs, iovs_len, offset,
                 nread, io_preadv);
}

uint16_t wasi_fd_pwrite(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint64_t offset, uint32_t nwritten) {
    return fd_io(w, m, fd, WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_SEEK, iovs, iovs_len, offset,
                 nwritten, io_pwritev);
}

uint16_t wasi_fd_seek(kiln_wasi *w, wasi_mem *m, uint32_t fd, int64_t offset, uint32_t whence,
                      uint32_t newoffset) {
    /* Asking where we are is a tell, which needs only FD_TELL. */
    bool tell = offset == 0 && whence == WASI_WHENCE_CUR;
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, tell ? WASI_RIGHT_FD_TELL : WASI_RIGHT_FD_SEEK, &e);
    if (err)
        return err;
    static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    if (whence > WASI_WHENCE_END)
        return WASI_EINVAL;
    if (!mem_ok(m, newoffset, 8))
        return WASI_EFAULT;
    off_t pos = lseek(e->host_fd, (off_t)offset, host_whence[whence]);
    if (pos < 0)
        return errno_to_wasi(errno);
    mem_st64(m, newoffset, (uint64_t)pos);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_tell(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_TELL, &e);
    if (err)
        return err;
    if (!mem_ok(m, out, 8))
        return WASI_EFAULT;
    off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
    if (pos < 0)
        return errno_to_wasi(errno);
    mem_st64(m, out, (uint64_t)pos);
    return WASI_ESUCCESS;
}

/* ---- flags and rights ------------------------------------------------------------ */

static uint16_t fdflags_from_host(int fl) {
    uint16_t f = 0;
    if (fl & O_APPEND)
        f |= WASI_FDFLAG_APPEND;
    if (fl & O_NONBLOCK)
        f |= WASI_FDFLAG_NONBLOCK;
    if ((fl & O_SYNC) == O_SYNC) /* O_SYNC includes the O_DSYNC bit on Linux */
        f |= WASI_FDFLAG_SYNC | WASI_FDFLAG_RSYNC;
    else if (fl & O_DSYNC)
        f |= WASI_FDFLAG_DSYNC;
    return f;
}

uint16_t wasi_fd_fdstat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, 0, &e);
    if (err)
        return err;
    if (!mem_ok(m, out, WASI_SIZEOF_FDSTAT))
        return WASI_EFAULT;
    int fl = fcntl(e->host_fd, F_GETFL);
    memset(m->base + out, 0, WASI_SIZEOF_FDSTAT);
    mem_st8(m, out, e->filetype);
    mem_st16(m, out + 2, fl < 0 ? 0 : fdflags_from_host(fl));
    mem_st64(m, out + 8, e->rights_base);
    mem_st64(m, out + 16, e->rights_inheriting);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_fdstat_set_flags(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &e);
    if (err)
        return err;
    if (flags & ~(uint32_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK))
        return WASI_ENOTSUP; /* Linux cannot change the sync modes of an open file */
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl < 0)
        return errno_to_wasi(errno);
    fl &= ~(O_APPEND | O_NONBLOCK);
    fl |= flags & WASI_FDFLAG_APPEND ? O_APPEND : 0;
    fl |= flags & WASI_FDFLAG_NONBLOCK ? O_NONBLOCK : 0;
    return fcntl(e->host_fd, F_SETFL, fl) < 0 ? errno_to_wasi(errno) : WASI_ESUCCESS;
}

/* Rights only ever shrink. */
uint16_t wasi_fd_fdstat_set_rights(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t base,
                                   uint64_t inheriting) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, 0, &e);
    if (err)
        return err;
    if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting))
        return WASI_ENOTCAPABLE;
    e->rights_base = base;
    e->rights_inheriting = inheriting;
    return WASI_ESUCCESS;
}

/* ---- metadata ---------------------------------------------------------------------- */

uint16_t wasi_fd_filestat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_FILESTAT_GET, &e);
    if (err)
        return err;
    struct stat st;
    if (!mem_ok(m, out, WASI_SIZEOF_FILESTAT))
        return WASI_EFAULT;
    if (fstat(e->host_fd, &st) < 0)
        return errno_to_wasi(errno);
    return filestat_store(m, out, &st);
}

uint16_t wasi_fd_filestat_set_size(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t size) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_FILESTAT_SET_SIZE, &e);
    if (err)
        return err;
    if (size > INT64_MAX)
        return WASI_EFBIG;
    return ftruncate(e->host_fd, (off_t)size) < 0 ? errno_to_wasi(errno) : WASI_ESUCCESS;
}

uint16_t times_from_flags(uint64_t atim, uint64_t mtim, uint32_t flags, struct timespec ts[2]) {
    const uint32_t known = WASI_FSTFLAG_ATIM | WASI_FSTFLAG_ATIM_NOW | WASI_FSTFLAG_MTIM |
                           WASI_FSTFLAG_MTIM_NOW;
    if ((flags & ~known) ||
        ((flags & WASI_FSTFLAG_ATIM) && (flags & WASI_FSTFLAG_ATIM_NOW)) ||
        ((flags & WASI_FSTFLAG_MTIM) && (flags & WASI_FSTFLAG_MTIM_NOW)))
        return WASI_EINVAL;
    const uint64_t t[2] = {atim, mtim};
    const uint32_t set[2] = {WASI_FSTFLAG_ATIM, WASI_FSTFLAG_MTIM};
    const uint32_t now[2] = {WASI_FSTFLAG_ATIM_NOW, WASI_FSTFLAG_MTIM_NOW};
    for (int i = 0; i < 2; i++) {
        ts[i].tv_sec = (time_t)(t[i] / 1000000000ull);
        ts[i].tv_nsec = (long)(t[i] % 1000000000ull);
        if (flags & now[i])
            ts[i].tv_nsec = UTIME_NOW;
        else if (!(flags & set[i]))
            ts[i].tv_nsec = UTIME_OMIT;
    }
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_filestat_set_times(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t atim,
                                    uint64_t mtim, uint32_t fstflags) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_FILESTAT_SET_TIMES, &e);
    if (err)
        return err;
    struct timespec ts[2];
    if ((err = times_from_flags(atim, mtim, fstflags, ts)))
        return err;
    return futimens(e->host_fd, ts) < 0 ? errno_to_wasi(errno) : WASI_ESUCCESS;
}

/* ---- advice, allocation, sync -------------------------------------------------------- */

uint16_t wasi_fd_advise(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t offset, uint64_t len,
                        uint32_t advice) {
    static const int host[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                               POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_ADVISE, &e);
    if (err)
        return err;
    if (advice >= sizeof host / sizeof host[0] || offset > INT64_MAX || len > INT64_MAX)
        return WASI_EINVAL;
    int rc = posix_fadvise(e->host_fd, (off_t)offset, (off_t)len, host[advice]);
    /* Advice on a pipe or tty is meaningless, not an error worth failing on. */
    return rc && rc != ESPIPE ? errno_to_wasi(rc) : WASI_ESUCCESS;
}

uint16_t wasi_fd_allocate(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint64_t offset, uint64_t len) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_ALLOCATE, &e);
    if (err)
        return err;
    if (offset > INT64_MAX || len > INT64_MAX || offset + len > INT64_MAX)
        return WASI_EFBIG;
    int rc = posix_fallocate(e->host_fd, (off_t)offset, (off_t)len);
    return rc ? errno_to_wasi(rc) : WASI_ESUCCESS;
}

uint16_t wasi_fd_datasync(kiln_wasi *w, wasi_mem *m, uint32_t fd) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_DATASYNC, &e);
    if (err)
        return err;
    return fdatasync(e->host_fd) < 0 ? errno_to_wasi(errno) : WASI_ESUCCESS;
}

uint16_t wasi_fd_sync(kiln_wasi *w, wasi_mem *m, uint32_t fd) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_SYNC, &e);
    if (err)
        return err;
    return fsync(e->host_fd) < 0 ? errno_to_wasi(errno) : WASI_ESUCCESS;
}

/* ---- the table ---------------------------------------------------------------------- */

uint16_t wasi_fd_close(kiln_wasi *w, wasi_mem *m, uint32_t fd) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, 0, &e);
    if (err)
        return err;
    fd_release(e);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_renumber(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t to) {
    wasi_fd *from, *dst;
    uint16_t err = fd_lookup(w, fd, 0, &from);
    if (!err)
        err = fd_lookup(w, to, 0, &dst);
    if (err || fd == to)
        return err;
    fd_release(dst);
    *dst = *from;
    memset(from, 0, sizeof *from);
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_prestat_get(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t out) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, 0, &e);
    if (err || !e->preopen_name)
        return err ? err : WASI_EBADF;
    if (!mem_ok(m, out, WASI_SIZEOF_PRESTAT))
        return WASI_EFAULT;
    memset(m->base + out, 0, WASI_SIZEOF_PRESTAT);
    mem_st8(m, out, WASI_PREOPENTYPE_DIR);
    mem_st32(m, out + 4, (uint32_t)strlen(e->preopen_name));
    return WASI_ESUCCESS;
}

uint16_t wasi_fd_prestat_dir_name(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t path,
                                  uint32_t path_len) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, 0, &e);
    if (err || !e->preopen_name)
        return err ? err : WASI_EBADF;
    size_t len = strlen(e->preopen_name);
    if (path_len < len)
        return WASI_ENAMETOOLONG;
    if (!mem_ok(m, path, len))
        return WASI_EFAULT;
    memcpy(m->base + path, e->preopen_name, len);
    return WASI_ESUCCESS;
}
