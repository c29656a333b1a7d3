/* wasi_shim.c - see wasi_shim.h.
 *
 * Every pointer the module hands over is an offset into its linear memory
 * and is checked against the memory's current size before use, so a buggy
 * module gets EFAULT rather than corrupting the host.  Multi-byte values in
 * linear memory are little-endian; memcpy into them is right on x86-64 and
 * the other little-endian hosts wasm2c targets here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasi_shim.h"

typedef struct Z_wasi_snapshot_preview1_instance_t wasi_t;

/* WASI errno values (preview1). */
#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_EFAULT 21
#define WASI_EIO 29
#define WASI_ESPIPE 70

#define WASI_FILETYPE_UNKNOWN 0
#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_RIGHT_FD_SEEK (UINT64_C(1) << 2)
#define WASI_RIGHT_FD_TELL (UINT64_C(1) << 5)
#define WASI_RIGHTS_ALL ((UINT64_C(1) << 29) - 1)

/* Prototypes matching what wasm2c declares for the imports (u32 = uint32_t,
 * u64 = uint64_t); the generated header is not included here so the shim
 * does not depend on any one module. */
uint32_t Z_wasi_snapshot_preview1Z_args_get(wasi_t *, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_args_sizes_get(wasi_t *, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_close(wasi_t *, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(wasi_t *, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_seek(wasi_t *, uint32_t, uint64_t, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_write(wasi_t *, uint32_t, uint32_t, uint32_t, uint32_t);
void Z_wasi_snapshot_preview1Z_proc_exit(wasi_t *, uint32_t);

/* The host address of [offset, offset + len) in linear memory, or NULL. */
static uint8_t *mem_range(const wasi_t *w, uint32_t offset, uint64_t len)
{
    if ((uint64_t)offset + len > w->memory->size)
        return NULL;
    return w->memory->data + offset;
}

static int mem_store_u32(const wasi_t *w, uint32_t offset, uint32_t value)
{
    uint8_t *p = mem_range(w, offset, sizeof value);
    if (p == NULL)
        return 0;
    memcpy(p, &value, sizeof value);
    return 1;
}

static int fd_is_stdio(uint32_t fd)
{
    return fd <= 2;
}

uint32_t Z_wasi_snapshot_preview1Z_args_sizes_get(wasi_t *w, uint32_t argc_out, uint32_t size_out)
{
    uint64_t size = 0;
    for (int i = 0; i < w->argc; i++)
        size += strlen(w->argv[i]) + 1;
    if (size > UINT32_MAX)
        return WASI_EFAULT;
    if (!mem_store_u32(w, argc_out, (uint32_t)w->argc) || !mem_store_u32(w, size_out, (uint32_t)size))
        return WASI_EFAULT;
    return WASI_ESUCCESS;
}

/* argv_out receives argc pointers (offsets), buf_out the strings. */
uint32_t Z_wasi_snapshot_preview1Z_args_get(wasi_t *w, uint32_t argv_out, uint32_t buf_out)
{
    uint32_t at = buf_out;
    for (int i = 0; i < w->argc; i++) {
        size_t len = strlen(w->argv[i]) + 1;
        uint8_t *dst = mem_range(w, at, len);
        if (dst == NULL || !mem_store_u32(w, argv_out + 4u * (uint32_t)i, at))
            return WASI_EFAULT;
        memcpy(dst, w->argv[i], len);
        at += (uint32_t)len;
    }
    return WASI_ESUCCESS;
}

/* The standard streams are borrowed from the host and never really closed. */
uint32_t Z_wasi_snapshot_preview1Z_fd_close(wasi_t *w, uint32_t fd)
{
    (void)w;
    return fd_is_stdio(fd) ? WASI_ESUCCESS : WASI_EBADF;
}

/* struct fdstat: u8 filetype @0, u16 flags @2, u64 rights_base @8,
 * u64 rights_inheriting @16.  A terminal is reported as a character device
 * without seek/tell rights, which is how wasi-libc's isatty() recognises it
 * (and then line-buffers stdout). */
uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(wasi_t *w, uint32_t fd, uint32_t out)
{
    if (!fd_is_stdio(fd))
        return WASI_EBADF;
    uint8_t *p = mem_range(w, out, 24);
    if (p == NULL)
        return WASI_EFAULT;
    int tty = isatty((int)fd);
    uint64_t rights = WASI_RIGHTS_ALL;
    if (tty)
        rights &= ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
    memset(p, 0, 24);
    p[0] = tty ? WASI_FILETYPE_CHARACTER_DEVICE : WASI_FILETYPE_UNKNOWN;
    memcpy(p + 8, &rights, sizeof rights);
    memcpy(p + 16, &rights, sizeof rights);
    return WASI_ESUCCESS;
}

uint32_t Z_wasi_snapshot_preview1Z_fd_seek(wasi_t *w, uint32_t fd, uint64_t offset, uint32_t whence,
                                           uint32_t out)
{
    (void)w, (void)offset, (void)whence, (void)out;
    return fd_is_stdio(fd) ? WASI_ESPIPE : WASI_EBADF;
}

/* Gathers the iovecs ({u32 buf, u32 len} each) and writes them in order;
 * *nwritten_out is the number of bytes the host accepted. */
uint32_t Z_wasi_snapshot_preview1Z_fd_write(wasi_t *w, uint32_t fd, uint32_t iovs, uint32_t iovs_len,
                                            uint32_t nwritten_out)
{
    if (fd != 1 && fd != 2)
        return WASI_EBADF;
    uint8_t *vec = mem_range(w, iovs, (uint64_t)iovs_len * 8);
    if (vec == NULL)
        return WASI_EFAULT;
    uint32_t total = 0;
    for (uint32_t i = 0; i < iovs_len; i++) {
        uint32_t buf, len;
        memcpy(&buf, vec + 8 * i, 4);
        memcpy(&len, vec + 8 * i + 4, 4);
        const uint8_t *data = mem_range(w, buf, len);
        if (data == NULL)
            return WASI_EFAULT;
        while (len > 0) {
            ssize_t n = write((int)fd, data, len);
            if (n < 0)
                return WASI_EIO;
            data += n;
            len -= (uint32_t)n;
            total += (uint32_t)n;
        }
    }
    return mem_store_u32(w, nwritten_out, total) ? WASI_ESUCCESS : WASI_EFAULT;
}

/* Nothing is buffered on the host side (fd_write writes through), so the
 * process can end right here, from inside wasm code. */
void Z_wasi_snapshot_preview1Z_proc_exit(wasi_t *w, uint32_t code)
{
    (void)w;
    _exit((int)code);
}
