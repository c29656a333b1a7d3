/* wasi_sock.c - sock_recv/send/shutdown/accept on socket descriptors the
 * host handed in (as stdio).  Preview1 cannot create or connect sockets,
 * so a program only ever has the sockets it was given. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi_internal.h"

/* The kind of descriptor is checked before its rights: a file has no
 * socket rights, and what is wrong with it is that it is not a socket
 * (ENOTSOCK, as the wasi-testsuite expects of shutdown on stdout). */
static uint16_t sock_lookup(kiln_wasi *w, uint32_t fd, uint64_t need, wasi_fd **e) {
    uint16_t err = fd_lookup(w, fd, 0, e);
    if (!err && (*e)->filetype != WASI_FILETYPE_SOCKET_STREAM &&
        (*e)->filetype != WASI_FILETYPE_SOCKET_DGRAM)
        return WASI_ENOTSOCK;
    return err ? err : fd_lookup(w, fd, need, e);
}

uint16_t wasi_sock_recv(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint32_t riflags, uint32_t nread,
                        uint32_t roflags) {
    wasi_fd *e;
    uint16_t err = sock_lookup(w, fd, WASI_RIGHT_FD_READ, &e);
    if (err)
        return err;
    if (!mem_ok(m, nread, 4) || !mem_ok(m, roflags, 2))
        return WASI_EFAULT;
    struct iovec iov[WASI_MAX_IOVS];
    struct msghdr msg = {.msg_iov = iov};
    int n;
    if ((err = iovs_load(m, iovs, iovs_len, iov, &n)))
        return err;
    msg.msg_iovlen = (size_t)n;
    int fl = (riflags & WASI_RIFLAG_PEEK ? MSG_PEEK : 0) |
             (riflags & WASI_RIFLAG_WAITALL ? MSG_WAITALL : 0);
    ssize_t got = recvmsg(e->host_fd, &msg, fl);
    if (got < 0)
        return errno_to_wasi(errno);
    mem_st32(m, nread, (uint32_t)got);
    mem_st16(m, roflags, msg.msg_flags & MSG_TRUNC ? WASI_ROFLAG_DATA_TRUNCATED : 0);
    return WASI_ESUCCESS;
}

uint16_t wasi_sock_send(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t iovs,
                        uint32_t iovs_len, uint32_t siflags, uint32_t nwritten) {
    wasi_fd *e;
    uint16_t err = sock_lookup(w, fd, WASI_RIGHT_FD_WRITE, &e);
    if (err)
        return err;
    if (!mem_ok(m, nwritten, 4))
        return WASI_EFAULT;
    struct iovec iov[WASI_MAX_IOVS];
    struct msghdr msg = {.msg_iov = iov};
    int n;
    if ((err = iovs_load(m, iovs, iovs_len, iov, &n)))
        return err;
    msg.msg_iovlen = (size_t)n;
    ssize_t sent = sendmsg(e->host_fd, &msg, MSG_NOSIGNAL);
    if (sent < 0)
        return errno_to_wasi(errno);
    mem_st32(m, nwritten, (uint32_t)sent);
    return WASI_ESUCCESS;
}

uint16_t wasi_sock_shutdown(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t how) {
    wasi_fd *e;
    uint16_t err = sock_lookup(w, fd, WASI_RIGHT_SOCK_SHUTDOWN, &e);
    if (err)
        return err;
    bool rd = how & WASI_SDFLAG_RD, wr = how & WASI_SDFLAG_WR;
    if (!rd && !wr)
        return WASI_EINVAL;
    int h = rd && wr ? SHUT_RDWR : rd ? SHUT_RD : SHUT_WR;
    return shutdown(e->host_fd, h) < 0 ? errno_to_wasi(errno) : WASI_ESUCCESS;
}

uint16_t wasi_sock_accept(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t flags,
                          uint32_t out_fd) {
    wasi_fd *e;
    uint16_t err = sock_lookup(w, fd, WASI_RIGHT_SOCK_ACCEPT, &e);
    if (err)
        return err;
    if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
        return WASI_EINVAL;
    if (!mem_ok(m, out_fd, 4))
        return WASI_EFAULT;
    int c = accept4(e->host_fd, NULL, NULL,
                    SOCK_CLOEXEC | (flags & WASI_FDFLAG_NONBLOCK ? SOCK_NONBLOCK : 0));
    if (c < 0)
        return errno_to_wasi(errno);
    uint32_t num;
    if ((err = fd_insert(w, c, WASI_FILETYPE_SOCKET_STREAM, WASI_RIGHTS_STREAM, 0, &num))) {
        close(c);
        return err;
    }
    mem_st32(m, out_fd, num);
    return WASI_ESUCCESS;
}
