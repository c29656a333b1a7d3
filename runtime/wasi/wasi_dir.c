/* wasi_dir.c - fd_readdir.
 *
 * A directory fd keeps one open DIR stream (on a dup of its descriptor)
 * and the cookie it is positioned at.  Cookies are entry counts: 0 is the
 * start, and entry i carries d_next = i + 1.  Reading on from the cookie
 * we stopped at is the common case; any other cookie rewinds and skips. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "wasi_internal.h"

static uint8_t filetype_from_dirent(DIR *d, const struct dirent *ent) {
    switch (ent->d_type) {
    case DT_REG: return WASI_FILETYPE_REGULAR_FILE;
    case DT_DIR: return WASI_FILETYPE_DIRECTORY;
    case DT_LNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case DT_CHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case DT_BLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case DT_SOCK: return WASI_FILETYPE_SOCKET_STREAM;
    case DT_UNKNOWN: {
        struct stat st;
        if (fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            return filetype_from_mode(st.st_mode);
        return WASI_FILETYPE_UNKNOWN;
    }
    default: return WASI_FILETYPE_UNKNOWN;
    }
}

static uint16_t dir_open_at(wasi_fd *e, uint64_t cookie) {
    if (!e->dir) {
        int fd = dup(e->host_fd);
        if (fd < 0)
            return errno_to_wasi(errno);
        if (!(e->dir = fdopendir(fd))) {
            close(fd);
            return errno_to_wasi(errno);
        }
        rewinddir(e->dir); /* the dup shares an offset that may not be 0 */
        e->dir_pos = 0;
    }
    if (cookie == e->dir_pos)
        return WASI_ESUCCESS;
    rewinddir(e->dir);
    for (e->dir_pos = 0; e->dir_pos < cookie; e->dir_pos++)
        if (!readdir(e->dir))
            break; /* a cookie past the end reads as the end */
    return WASI_ESUCCESS;
}

/* Writes one dirent (header + name), cut short at the end of the buffer as
 * preview1 specifies: a full buffer tells the caller to read again. */
static uint32_t dirent_store(wasi_mem *m, uint32_t at, uint32_t room, uint64_t next,
                             const struct dirent *ent, uint8_t type) {
    uint8_t rec[WASI_SIZEOF_DIRENT] = {0};
    uint32_t namlen = (uint32_t)strlen(ent->d_name);
    uint64_t ino = ent->d_ino;
    memcpy(rec + 0, &next, 8);
    memcpy(rec + 8, &ino, 8);
    memcpy(rec + 16, &namlen, 4);
    rec[20] = type;
    uint32_t n = room < WASI_SIZEOF_DIRENT ? room : WASI_SIZEOF_DIRENT;
    memcpy(m->base + at, rec, n);
    uint32_t name_room = room - n;
    uint32_t k = name_room < namlen ? name_room : namlen;
    memcpy(m->base + at + n, ent->d_name, k);
    return n + k;
}

uint16_t wasi_fd_readdir(kiln_wasi *w, wasi_mem *m, uint32_t fd, uint32_t buf, uint32_t buf_len,
                         uint64_t cookie, uint32_t bufused) {
    wasi_fd *e;
    uint16_t err = fd_lookup(w, fd, WASI_RIGHT_FD_READDIR, &e);
    if (err)
        return err;
    if (!mem_ok(m, buf, buf_len) || !mem_ok(m, bufused, 4))
        return WASI_EFAULT;
    if ((err = dir_open_at(e, cookie)))
        return err;
    uint32_t used = 0;
    while (used < buf_len) {
        long loc = telldir(e->dir);
        errno = 0;
        struct dirent *ent = readdir(e->dir);
        if (!ent) {
            if (errno)
                return errno_to_wasi(errno);
            break;
        }
        uint32_t room = buf_len - used;
        uint32_t size = WASI_SIZEOF_DIRENT + (uint32_t)strlen(ent->d_name);
        used += dirent_store(m, buf + used, room, e->dir_pos + 1, ent,
                             filetype_from_dirent(e->dir, ent));
        if (size > room) {
            seekdir(e->dir, loc); /* not consumed: the next call starts here */
            break;
        }
        e->dir_pos++;
    }
    mem_st32(m, bufused, used);
    return WASI_ESUCCESS;
}
