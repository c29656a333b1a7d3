/* test_wasi_shim.c - the wasm2c WASI shim (wasi_shim.c) against a fake
 * linear memory: argument passing, stdout writes, and EFAULT/EBADF for
 * guest pointers and descriptors it must refuse. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wasi_shim.h"

typedef struct Z_wasi_snapshot_preview1_instance_t wasi_t;
uint32_t Z_wasi_snapshot_preview1Z_args_get(wasi_t *, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_args_sizes_get(wasi_t *, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_close(wasi_t *, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_fdstat_get(wasi_t *, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_seek(wasi_t *, uint32_t, uint64_t, uint32_t, uint32_t);
uint32_t Z_wasi_snapshot_preview1Z_fd_write(wasi_t *, uint32_t, uint32_t, uint32_t, uint32_t);

#define MEM_SIZE 4096u
#define EBADF 8u
#define EFAULT 21u
#define ESPIPE 70u

static uint8_t bytes[MEM_SIZE];
static wasm_rt_memory_t memory;
static char *args[] = { "kernel.wasm", "quick" };
static wasi_t wasi;

static void setup(void)
{
    memset(bytes, 0xAA, sizeof bytes);
    memory.data = bytes;
    memory.size = MEM_SIZE;
    wasi = (wasi_t){ &memory, 2, args };
}

static uint32_t load_u32(uint32_t at)
{
    uint32_t v;
    memcpy(&v, bytes + at, 4);
    return v;
}

static void store_iovec(uint32_t at, uint32_t buf, uint32_t len)
{
    memcpy(bytes + at, &buf, 4);
    memcpy(bytes + at + 4, &len, 4);
}

TestSuite(wasi_shim, .init = setup);

Test(wasi_shim, args_sizes_count_the_terminating_nuls)
{
    cr_assert_eq(Z_wasi_snapshot_preview1Z_args_sizes_get(&wasi, 0, 4), 0);
    cr_assert_eq(load_u32(0), 2);
    cr_assert_eq(load_u32(4), strlen("kernel.wasm") + 1 + strlen("quick") + 1);
}

Test(wasi_shim, args_get_writes_pointers_and_strings)
{
    cr_assert_eq(Z_wasi_snapshot_preview1Z_args_get(&wasi, 100, 200), 0);
    cr_assert_eq(load_u32(100), 200);
    cr_assert_eq(load_u32(104), 200 + strlen("kernel.wasm") + 1);
    cr_assert_str_eq((char *)bytes + load_u32(100), "kernel.wasm");
    cr_assert_str_eq((char *)bytes + load_u32(104), "quick");
}

Test(wasi_shim, args_get_refuses_a_buffer_past_the_memory_end)
{
    cr_assert_eq(Z_wasi_snapshot_preview1Z_args_get(&wasi, 0, MEM_SIZE - 4), EFAULT);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_args_sizes_get(&wasi, MEM_SIZE - 2, 0), EFAULT);
}

/* fd_write to stdout is redirected into a pipe to read back what the shim
 * wrote, gathering two iovecs in order. */
Test(wasi_shim, fd_write_gathers_iovecs_in_order)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    fflush(stdout);
    int saved = dup(1);
    dup2(fds[1], 1);
    memcpy(bytes + 300, "check", 5);
    memcpy(bytes + 400, "sum\n", 4);
    store_iovec(16, 300, 5);
    store_iovec(24, 400, 4);
    uint32_t rc = Z_wasi_snapshot_preview1Z_fd_write(&wasi, 1, 16, 2, 32);
    dup2(saved, 1);
    close(saved);
    close(fds[1]);
    char got[16] = { 0 };
    cr_assert_eq(read(fds[0], got, sizeof got - 1), 9);
    close(fds[0]);
    cr_assert_eq(rc, 0);
    cr_assert_str_eq(got, "checksum\n");
    cr_assert_eq(load_u32(32), 9);
}

Test(wasi_shim, fd_write_refuses_data_outside_memory_and_other_fds)
{
    store_iovec(16, MEM_SIZE - 2, 8);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_write(&wasi, 1, 16, 1, 32), EFAULT);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_write(&wasi, 1, MEM_SIZE - 4, 1, 32), EFAULT);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_write(&wasi, 0, 16, 0, 32), EBADF);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_write(&wasi, 3, 16, 0, 32), EBADF);
}

Test(wasi_shim, fdstat_of_a_pipe_is_not_a_terminal)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    int saved = dup(1);
    dup2(fds[1], 1);
    uint32_t rc = Z_wasi_snapshot_preview1Z_fd_fdstat_get(&wasi, 1, 64);
    dup2(saved, 1);
    close(saved);
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(rc, 0);
    cr_assert_neq(bytes[64], 2, "a pipe reported as a character device");
    uint64_t rights;
    memcpy(&rights, bytes + 72, 8);
    cr_assert(rights & (1u << 2), "a non-terminal keeps the fd_seek right");
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_fdstat_get(&wasi, 1, MEM_SIZE - 8), EFAULT);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_fdstat_get(&wasi, 9, 64), EBADF);
}

Test(wasi_shim, stdio_cannot_seek_and_unknown_fds_are_bad)
{
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_seek(&wasi, 1, 0, 0, 64), ESPIPE);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_seek(&wasi, 7, 0, 0, 64), EBADF);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_close(&wasi, 2), 0);
    cr_assert_eq(Z_wasi_snapshot_preview1Z_fd_close(&wasi, 7), EBADF);
}
