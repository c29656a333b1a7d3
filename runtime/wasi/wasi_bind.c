/* wasi_bind.c - binds the core functions to the linker as the
 * "wasi_snapshot_preview1" module: one small adapter per function unpacks
 * the argument slots, hands the caller's memory 0 to the core function
 * and stores the errno it returns.  A guest without a memory gets an
 * empty one, so every pointer it passes fails with EFAULT. */
#define _GNU_SOURCE
#include "kiln.h"
#include "wasi_internal.h"

static wasi_mem caller_mem(kiln_instance *caller) {
    kiln_memory *mem = caller ? kiln_instance_memory(caller, 0) : NULL;
    wasi_mem m = {NULL, 0};
    if (mem) {
        m.base = kiln_memory_data(mem);
        m.size = kiln_memory_size(mem);
    }
    return m;
}

/* Once a program has spawned a thread, its WASI calls run one at a time
 * (the descriptor table and the rest of the context are not thread-safe);
 * a single-threaded program never takes the lock. */
static bool wasi_lock(kiln_wasi *w) {
    if (!__atomic_load_n(&w->threaded, __ATOMIC_SEQ_CST))
        return false;
    pthread_mutex_lock(&w->lock);
    return true;
}

static void wasi_unlock(kiln_wasi *w, bool locked) {
    if (locked)
        pthread_mutex_unlock(&w->lock);
}

static uint32_t u32(kiln_val v) { return (uint32_t)v.i32; }
static uint64_t u64(kiln_val v) { return (uint64_t)v.i64; }

static uint32_t done(kiln_val *results, uint16_t errno_value) {
    results[0].i32 = errno_value;
    return KILN_TRAP_NONE;
}

/* proc_exit does not return to the guest: the runtime unwinds to the host. */
static uint32_t bind_proc_exit(void *env, kiln_instance *caller, const kiln_val *a, kiln_val *r) {
    wasi_proc_exit(env, u32(a[0]));
    return KILN_TRAP_EXIT;
}

/* One adapter per function: unpack the argument slots (u32/u64 above),
 * pass the caller's memory 0 and store the returned errno.  As a macro
 * each adapter is one line whose argument list can be checked against
 * the signature letters in `bindings` below at a glance. */
#define BIND(name, ...)                                                                  \
    static uint32_t bind_##name(void *env, kiln_instance *caller, const kiln_val *a,     \
                                kiln_val *r) {                                           \
        wasi_mem m = caller_mem(caller);                                                 \
        bool locked = wasi_lock(env);                                                    \
        uint16_t e = wasi_##name(env, &m, __VA_ARGS__);                                  \
        wasi_unlock(env, locked);                                                        \
        return done(r, e);                                                               \
    }

BIND(args_get, u32(a[0]), u32(a[1]))
BIND(args_sizes_get, u32(a[0]), u32(a[1]))
BIND(environ_get, u32(a[0]), u32(a[1]))
BIND(environ_sizes_get, u32(a[0]), u32(a[1]))
BIND(clock_res_get, u32(a[0]), u32(a[1]))
BIND(clock_time_get, u32(a[0]), u64(a[1]), u32(a[2]))
BIND(fd_advise, u32(a[0]), u64(a[1]), u64(a[2]), u32(a[3]))
BIND(fd_allocate, u32(a[0]), u64(a[1]), u64(a[2]))
BIND(fd_close, u32(a[0]))
BIND(fd_datasync, u32(a[0]))
BIND(fd_fdstat_get, u32(a[0]), u32(a[1]))
BIND(fd_fdstat_set_flags, u32(a[0]), u32(a[1]))
BIND(fd_fdstat_set_rights, u32(a[0]), u64(a[1]), u64(a[2]))
BIND(fd_filestat_get, u32(a[0]), u32(a[1]))
BIND(fd_filestat_set_size, u32(a[0]), u64(a[1]))
BIND(fd_filestat_set_times, u32(a[0]), u64(a[1]), u64(a[2]), u32(a[3]))
BIND(fd_pread, u32(a[0]), u32(a[1]), u32(a[2]), u64(a[3]), u32(a[4]))
BIND(fd_prestat_get, u32(a[0]), u32(a[1]))
BIND(fd_prestat_dir_name, u32(a[0]), u32(a[1]), u32(a[2]))
BIND(fd_pwrite, u32(a[0]), u32(a[1]), u32(a[2]), u64(a[3]), u32(a[4]))
BIND(fd_read, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]))
BIND(fd_readdir, u32(a[0]), u32(a[1]), u32(a[2]), u64(a[3]), u32(a[4]))
BIND(fd_renumber, u32(a[0]), u32(a[1]))
BIND(fd_seek, u32(a[0]), (int64_t)u64(a[1]), u32(a[2]), u32(a[3]))
BIND(fd_sync, u32(a[0]))
BIND(fd_tell, u32(a[0]), u32(a[1]))
BIND(fd_write, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]))
BIND(path_create_directory, u32(a[0]), u32(a[1]), u32(a[2]))
BIND(path_filestat_get, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]))
BIND(path_filestat_set_times, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u64(a[4]), u64(a[5]),
     u32(a[6]))
BIND(path_link, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]), u32(a[6]))
BIND(path_open, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u64(a[5]), u64(a[6]),
     u32(a[7]), u32(a[8]))
BIND(path_readlink, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]))
BIND(path_remove_directory, u32(a[0]), u32(a[1]), u32(a[2]))
BIND(path_rename, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]))
BIND(path_symlink, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]))
BIND(path_unlink_file, u32(a[0]), u32(a[1]), u32(a[2]))
BIND(poll_oneoff, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]))
BIND(proc_raise, u32(a[0]))

static uint32_t bind_sched_yield(void *env, kiln_instance *caller, const kiln_val *a, kiln_val *r) {
    (void)a;
    wasi_mem m = caller_mem(caller);
    return done(r, wasi_sched_yield(env, &m));
}

/* "wasi"."thread-spawn": the new thread's id, or a negative errno. */
static uint32_t bind_thread_spawn(void *env, kiln_instance *caller, const kiln_val *a,
                                  kiln_val *r) {
    (void)caller;
    r[0].i32 = wasi_thread_spawn(env, u32(a[0]));
    return KILN_TRAP_NONE;
}

BIND(random_get, u32(a[0]), u32(a[1]))
BIND(sock_accept, u32(a[0]), u32(a[1]), u32(a[2]))
BIND(sock_recv, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]))
BIND(sock_send, u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]))
BIND(sock_shutdown, u32(a[0]), u32(a[1]))

/* Parameter types as letters: i = i32, I = i64.  Every function but
 * proc_exit returns one i32 errno. */
static const struct binding {
    const char *name;
    const char *params;
    kiln_host_callback fn;
} bindings[] = {
    {"args_get", "ii", bind_args_get},
    {"args_sizes_get", "ii", bind_args_sizes_get},
    {"clock_res_get", "ii", bind_clock_res_get},
    {"clock_time_get", "iIi", bind_clock_time_get},
    {"environ_get", "ii", bind_environ_get},
    {"environ_sizes_get", "ii", bind_environ_sizes_get},
    {"fd_advise", "iIIi", bind_fd_advise},
    {"fd_allocate", "iII", bind_fd_allocate},
    {"fd_close", "i", bind_fd_close},
    {"fd_datasync", "i", bind_fd_datasync},
    {"fd_fdstat_get", "ii", bind_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", bind_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", bind_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", bind_fd_filestat_get},
    {"fd_filestat_set_size", "iI", bind_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", bind_fd_filestat_set_times},
    {"fd_pread", "iiiIi", bind_fd_pread},
    {"fd_prestat_dir_name", "iii", bind_fd_prestat_dir_name},
    {"fd_prestat_get", "ii", bind_fd_prestat_get},
    {"fd_pwrite", "iiiIi", bind_fd_pwrite},
    {"fd_read", "iiii", bind_fd_read},
    {"fd_readdir", "iiiIi", bind_fd_readdir},
    {"fd_renumber", "ii", bind_fd_renumber},
    {"fd_seek", "iIii", bind_fd_seek},
    {"fd_sync", "i", bind_fd_sync},
    {"fd_tell", "ii", bind_fd_tell},
    {"fd_write", "iiii", bind_fd_write},
    {"path_create_directory", "iii", bind_path_create_directory},
    {"path_filestat_get", "iiiii", bind_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", bind_path_filestat_set_times},
    {"path_link", "iiiiiii", bind_path_link},
    {"path_open", "iiiiiIIii", bind_path_open},
    {"path_readlink", "iiiiii", bind_path_readlink},
    {"path_remove_directory", "iii", bind_path_remove_directory},
    {"path_rename", "iiiiii", bind_path_rename},
    {"path_symlink", "iiiii", bind_path_symlink},
    {"path_unlink_file", "iii", bind_path_unlink_file},
    {"poll_oneoff", "iiii", bind_poll_oneoff},
    {"proc_exit", "i", bind_proc_exit},
    {"proc_raise", "i", bind_proc_raise},
    {"random_get", "ii", bind_random_get},
    {"sched_yield", "", bind_sched_yield},
    {"sock_accept", "iii", bind_sock_accept},
    {"sock_recv", "iiiiii", bind_sock_recv},
    {"sock_send", "iiiii", bind_sock_send},
    {"sock_shutdown", "ii", bind_sock_shutdown},

};

static bool binding_define(kiln_wasi *w, kiln_linker *l, const struct binding *b) {
    static const uint8_t result_i32[] = {KILN_I32};
    uint8_t params[16];
    uint32_t n = (uint32_t)strlen(b->params);
    for (uint32_t i = 0; i < n; i++)
        params[i] = b->params[i] == 'I' ? KILN_I64 : KILN_I32;
    bool no_result = b->fn == bind_proc_exit;
    kiln_signature sig = {
        .num_params = n, .num_results = no_result ? 0 : 1, .params = params, .results = result_i32};
    return kiln_linker_define_func(l, "wasi_snapshot_preview1", b->name, &sig, b->fn, w);
}

bool kiln_wasi_define(kiln_wasi *w, kiln_linker *l) {
    for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++)
        if (!binding_define(w, l, &bindings[i]))
            return false;
    static const uint8_t i32[] = {KILN_I32};
    kiln_signature spawn = {.num_params = 1, .num_results = 1, .params = i32, .results = i32};
    return kiln_linker_define_func(l, "wasi", "thread-spawn", &spawn, bind_thread_spawn, w);
}
