/* wasi_poll.c - poll_oneoff: clock subscriptions (relative or absolute,
 * on any supported clock) and fd read/write readiness, waited for with
 * one ppoll().  Subscriptions that fail (bad fd, missing right, unknown
 * clock) become events carrying the error and end the wait at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "wasi_internal.h"

#define POLL_MAX_SUBSCRIPTIONS 4096

typedef struct sub {
    uint64_t userdata;
    uint8_t type;
    uint16_t error;       /* non-zero: report at once */
    uint64_t deadline_ns; /* clocks: nanoseconds from the start of the wait */
    int pfd;              /* fds: index into the pollfd array, or -1 */
    wasi_fd *fd;
} sub;

static uint64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sub_clock(const wasi_mem *m, uint32_t at, sub *s) {
    clockid_t c;
    uint32_t id = mem_ld32(m, at + 16);
    uint64_t timeout = mem_ld64(m, at + 24);
    uint16_t flags = mem_ld16(m, at + 40);
    if (!clock_from_wasi(id, &c)) {
        s->error = WASI_EINVAL;
        return;
    }
    if (flags & WASI_SUBCLOCK_ABSTIME) {
        uint64_t now = now_ns(c);
        s->deadline_ns = timeout > now ? timeout - now : 0;
    } else {
        s->deadline_ns = timeout;
    }
}

static void sub_fd(kiln_wasi *w, const wasi_mem *m, uint32_t at, sub *s, struct pollfd *pfds,
                   int *npfds) {
    uint32_t fd = mem_ld32(m, at + 16);
    s->error = fd_lookup(w, fd, WASI_RIGHT_POLL_FD_READWRITE, &s->fd);
    if (s->error)
        return;
    s->pfd = (*npfds)++;
    pfds[s->pfd] = (struct pollfd){
        .fd = s->fd->host_fd,
        .events = s->type == WASI_EVENTTYPE_FD_READ ? POLLIN : POLLOUT,
    };
}

/* Reads every subscription; returns the earliest clock deadline (or
 * UINT64_MAX) and whether some subscription is already decided. */
static uint16_t subs_load(kiln_wasi *w, const wasi_mem *m, uint32_t in, uint32_t n, sub *subs,
                          struct pollfd *pfds, int *npfds, uint64_t *earliest, bool *immediate) {
    *earliest = UINT64_MAX;
    *immediate = false;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t at = in + i * WASI_SIZEOF_SUBSCRIPTION;
        sub *s = &subs[i];
        *s = (sub){.userdata = mem_ld64(m, at), .type = m->base[at + 8], .pfd = -1};
        if (s->type == WASI_EVENTTYPE_CLOCK)
            sub_clock(m, at, s);
        else if (s->type == WASI_EVENTTYPE_FD_READ || s->type == WASI_EVENTTYPE_FD_WRITE)
            sub_fd(w, m, at, s, pfds, npfds);
        else
            return WASI_EINVAL;
        if (s->error)
            *immediate = true;
        else if (s->type == WASI_EVENTTYPE_CLOCK && s->deadline_ns < *earliest)
            *earliest = s->deadline_ns;
    }
    return WASI_ESUCCESS;
}

static int wait_fds(struct pollfd *pfds, int npfds, uint64_t timeout_ns) {
    struct timespec ts = {.tv_sec = (time_t)(timeout_ns / 1000000000ull),
                          .tv_nsec = (long)(timeout_ns % 1000000000ull)};
    uint64_t start = now_ns(CLOCK_MONOTONIC);
    for (;;) {
        int rc = ppoll(pfds, (nfds_t)npfds, timeout_ns == UINT64_MAX ? NULL : &ts, NULL);
        if (rc >= 0 || errno != EINTR)
            return rc;
        if (timeout_ns != UINT64_MAX) {
            uint64_t spent = now_ns(CLOCK_MONOTONIC) - start;
            uint64_t left = spent < timeout_ns ? timeout_ns - spent : 0;
            ts = (struct timespec){(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
        }
    }
}

/* How many bytes a ready fd offers: what is buffered for pipes and
 * sockets, what is left before the end for files. */
static uint64_t fd_nbytes(const sub *s) {
    int avail = 0;
    if (s->type != WASI_EVENTTYPE_FD_READ)
        return 0;
    if (s->fd->filetype == WASI_FILETYPE_REGULAR_FILE) {
        struct stat st;
        off_t pos = lseek(s->fd->host_fd, 0, SEEK_CUR);
        if (fstat(s->fd->host_fd, &st) == 0 && pos >= 0 && st.st_size > pos)
            return (uint64_t)(st.st_size - pos);
        return 0;
    }
    return ioctl(s->fd->host_fd, FIONREAD, &avail) == 0 && avail > 0 ? (uint64_t)avail : 0;
}

static void event_store(wasi_mem *m, uint32_t at, const sub *s, uint16_t error, uint64_t nbytes,
                        uint16_t flags) {
    memset(m->base + at, 0, WASI_SIZEOF_EVENT);
    mem_st64(m, at, s->userdata);
    mem_st16(m, at + 8, error);
    mem_st8(m, at + 10, s->type);
    mem_st64(m, at + 16, nbytes);
    mem_st16(m, at + 24, flags);
}

/* Emits the events that happened, in subscription order. */
static uint32_t events_store(wasi_mem *m, uint32_t out, const sub *subs, uint32_t n,
                             const struct pollfd *pfds, uint64_t elapsed) {
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        const sub *s = &subs[i];
        uint32_t at = out + count * WASI_SIZEOF_EVENT;
        if (s->error) {
            event_store(m, at, s, s->error, 0, 0);
        } else if (s->type == WASI_EVENTTYPE_CLOCK) {
            if (s->deadline_ns > elapsed)
                continue;
            event_store(m, at, s, 0, 0, 0);
        } else {
            short re = pfds[s->pfd].revents;
            if (!re)
                continue;
            uint16_t err = re & POLLNVAL ? WASI_EBADF : re & POLLERR ? WASI_EIO : 0;
            event_store(m, at, s, err, fd_nbytes(s), re & POLLHUP ? WASI_EVENT_HANGUP : 0);
        }
        count++;
    }
    return count;
}

uint16_t wasi_poll_oneoff(kiln_wasi *w, wasi_mem *m, uint32_t in, uint32_t out,
                          uint32_t nsubscriptions, uint32_t nevents) {
    uint32_t n = nsubscriptions;
    if (n == 0 || n > POLL_MAX_SUBSCRIPTIONS)
        return WASI_EINVAL;
    if (!mem_ok(m, in, (uint64_t)n * WASI_SIZEOF_SUBSCRIPTION) ||
        !mem_ok(m, out, (uint64_t)n * WASI_SIZEOF_EVENT) || !mem_ok(m, nevents, 4))
        return WASI_EFAULT;
    sub *subs = calloc(n, sizeof *subs);
    struct pollfd *pfds = calloc(n, sizeof *pfds);
    int npfds = 0;
    uint64_t earliest = UINT64_MAX, start = now_ns(CLOCK_MONOTONIC);
    bool immediate = false;
    uint16_t err = subs && pfds ? WASI_ESUCCESS : WASI_ENOMEM;
    if (!err)
        err = subs_load(w, m, in, n, subs, pfds, &npfds, &earliest, &immediate);
    if (!err && wait_fds(pfds, npfds, immediate ? 0 : earliest) < 0)
        err = errno_to_wasi(errno);
    if (!err) {
        uint64_t elapsed = now_ns(CLOCK_MONOTONIC) - start;
        /* ppoll may wake a hair early by our clock; the earliest clock is due. */
        if (earliest != UINT64_MAX && elapsed < earliest && !immediate) {
            bool any_fd = false;
            for (int i = 0; i < npfds; i++)
                any_fd |= pfds[i].revents != 0;
            elapsed = any_fd ? elapsed : earliest;
        }
        mem_st32(m, nevents, events_store(m, out, subs, n, pfds, elapsed));
    }
    free(subs);
    free(pfds);
    return err;
}
