/* fault_writev.c - a host bug for test_signals_faults.c's `kiln build`
 * executable.  Linked in front of libc (CMakeLists.txt passes it to
 * `kiln build` inside $CC), it replaces writev, which WASI's fd_write
 * calls with iovecs that point into linear memory; before writing it
 * reads 1 GiB past its first buffer: inside the memory's 8 GiB
 * reservation, past the committed pages.  The executable must die of
 * SIGSEGV, not report a wasm trap. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum { FAULT_DISTANCE = 1 << 30 };

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    if (fd == STDOUT_FILENO && iovcnt > 0)
        (void)*((const volatile char *)iov[0].iov_base + FAULT_DISTANCE);
    return syscall(SYS_writev, fd, iov, iovcnt);
}
