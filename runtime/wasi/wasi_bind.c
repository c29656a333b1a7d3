/* wasi_bind.c - binds the core functions to the linker as the
 * "wasi_snapshot_preview1" module: one small adapter per function unpacks
 * the argument slots, hands the caller's memory 0 to the core function
 * and stores the errno it returns.  A guest without a memory gets an
 * empty one, so every pointer it passes fails with EFAULT.
 *
 * Each function's binding is an object of its own,
 * kiln_wasi_binding_NAME, so that a static program can name only the
 * ones its module imports (kiln_wasi_define_list): with the libraries
 * built with -ffunction-sections and a --gc-sections link, the code of
 * the others is left out (`kiln build`, docs/benchmarks.md). */
#define _GNU_SOURCE
#include <stdio.h>

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

/* Names in place rather than pointers: in a position-independent
 * program each pointer is a relocation (24 bytes) besides itself. */
struct kiln_wasi_binding {
    kiln_host_callback fn;
    char name[24];       /* the longest, path_filestat_set_times, and its NUL */
    char params[10];     /* as letters, i = i32, I = i64; path_open has 9 */
    uint8_t num_results; /* one i32 (the errno or thread id), or none (proc_exit) */
    bool threads;        /* "wasi"."thread-spawn"; else a wasi_snapshot_preview1 function */
};

#define BINDING_FITS(f, letters)                                                         \
    _Static_assert(sizeof #f <= sizeof((kiln_wasi_binding *)0)->name &&                  \
                       sizeof letters <= sizeof((kiln_wasi_binding *)0)->params,         \
                   #f " fits")

/* proc_exit does not return to the guest: the runtime unwinds to the host. */
static uint32_t bind_proc_exit(void *env, kiln_instance *caller, const kiln_val *a, kiln_val *r) {
    wasi_proc_exit(env, u32(a[0]));
    return KILN_TRAP_EXIT;
}
const kiln_wasi_binding kiln_wasi_binding_proc_exit = {bind_proc_exit, "proc_exit", "i", 0, false};

/* One adapter per function: unpack the argument slots (u32/u64 above),
 * pass the caller's memory 0 and store the returned errno; and its
 * binding.  As a macro each function is one line whose argument list can
 * be checked against its signature letters at a glance. */
#define BIND(name, params, ...)                                                          \
    static uint32_t bind_##name(void *env, kiln_instance *caller, const kiln_val *a,     \
                                kiln_val *r) {                                           \
        wasi_mem m = caller_mem(caller);                                                 \
        bool locked = wasi_lock(env);                                                    \
        uint16_t e = wasi_##name(env, &m, __VA_ARGS__);                                  \
        wasi_unlock(env, locked);                                                        \
        return done(r, e);                                                               \
    }                                                                                    \
    BINDING_FITS(name, params);                                                          \
    const kiln_wasi_binding kiln_wasi_binding_##name = {bind_##name, #name, params, 1, false};

BIND(args_get, "ii", u32(a[0]), u32(a[1]))
BIND(args_sizes_get, "ii", u32(a[0]), u32(a[1]))
BIND(environ_get, "ii", u32(a[0]), u32(a[1]))
BIND(environ_sizes_get, "ii", u32(a[0]), u32(a[1]))
BIND(clock_res_get, "ii", u32(a[0]), u32(a[1]))
BIND(clock_time_get, "iIi", u32(a[0]), u64(a[1]), u32(a[2]))
BIND(fd_advise, "iIIi", u32(a[0]), u64(a[1]), u64(a[2]), u32(a[3]))
BIND(fd_allocate, "iII", u32(a[0]), u64(a[1]), u64(a[2]))
BIND(fd_close, "i", u32(a[0]))
BIND(fd_datasync, "i", u32(a[0]))
BIND(fd_fdstat_get, "ii", u32(a[0]), u32(a[1]))
BIND(fd_fdstat_set_flags, "ii", u32(a[0]), u32(a[1]))
BIND(fd_fdstat_set_rights, "iII", u32(a[0]), u64(a[1]), u64(a[2]))
BIND(fd_filestat_get, "ii", u32(a[0]), u32(a[1]))
BIND(fd_filestat_set_size, "iI", u32(a[0]), u64(a[1]))
BIND(fd_filestat_set_times, "iIIi", u32(a[0]), u64(a[1]), u64(a[2]), u32(a[3]))
BIND(fd_pread, "iiiIi", u32(a[0]), u32(a[1]), u32(a[2]), u64(a[3]), u32(a[4]))
BIND(fd_prestat_get, "ii", u32(a[0]), u32(a[1]))
BIND(fd_prestat_dir_name, "iii", u32(a[0]), u32(a[1]), u32(a[2]))
BIND(fd_pwrite, "iiiIi", u32(a[0]), u32(a[1]), u32(a[2]), u64(a[3]), u32(a[4]))
BIND(fd_read, "iiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]))
BIND(fd_readdir, "iiiIi", u32(a[0]), u32(a[1]), u32(a[2]), u64(a[3]), u32(a[4]))
BIND(fd_renumber, "ii", u32(a[0]), u32(a[1]))
BIND(fd_seek, "iIii", u32(a[0]), (int64_t)u64(a[1]), u32(a[2]), u32(a[3]))
BIND(fd_sync, "i", u32(a[0]))
BIND(fd_tell, "ii", u32(a[0]), u32(a[1]))
BIND(fd_write, "iiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]))
BIND(path_create_directory, "iii", u32(a[0]), u32(a[1]), u32(a[2]))
BIND(path_filestat_get, "iiiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]))
BIND(path_filestat_set_times, "iiiiIIi", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u64(a[4]),
     u64(a[5]), u32(a[6]))
BIND(path_link, "iiiiiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]),
     u32(a[6]))
BIND(path_open, "iiiiiIIii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u64(a[5]),
     u64(a[6]), u32(a[7]), u32(a[8]))
BIND(path_readlink, "iiiiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]))
BIND(path_remove_directory, "iii", u32(a[0]), u32(a[1]), u32(a[2]))
BIND(path_rename, "iiiiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]))
BIND(path_symlink, "iiiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]))
BIND(path_unlink_file, "iii", u32(a[0]), u32(a[1]), u32(a[2]))
BIND(poll_oneoff, "iiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]))
BIND(proc_raise, "i", u32(a[0]))

static uint32_t bind_sched_yield(void *env, kiln_instance *caller, const kiln_val *a, kiln_val *r) {
    (void)a;
    wasi_mem m = caller_mem(caller);
    return done(r, wasi_sched_yield(env, &m));
}
const kiln_wasi_binding kiln_wasi_binding_sched_yield = {bind_sched_yield, "sched_yield", "", 1,
                                                         false};

/* "wasi"."thread-spawn": the new thread's id, or a negative errno. */
static uint32_t bind_thread_spawn(void *env, kiln_instance *caller, const kiln_val *a,
                                  kiln_val *r) {
    (void)caller;
    r[0].i32 = wasi_thread_spawn(env, u32(a[0]));
    return KILN_TRAP_NONE;
}
const kiln_wasi_binding kiln_wasi_binding_thread_spawn = {bind_thread_spawn, "thread-spawn", "i", 1,
                                                          true};

BIND(random_get, "ii", u32(a[0]), u32(a[1]))
BIND(sock_accept, "iii", u32(a[0]), u32(a[1]), u32(a[2]))
BIND(sock_recv, "iiiiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]), u32(a[5]))
BIND(sock_send, "iiiii", u32(a[0]), u32(a[1]), u32(a[2]), u32(a[3]), u32(a[4]))
BIND(sock_shutdown, "ii", u32(a[0]), u32(a[1]))

/* Every binding, in the order kiln_wasi_define defines them. */
const kiln_wasi_binding *const kiln_wasi_bindings_all[] = {
    &kiln_wasi_binding_args_get,
    &kiln_wasi_binding_args_sizes_get,
    &kiln_wasi_binding_clock_res_get,
    &kiln_wasi_binding_clock_time_get,
    &kiln_wasi_binding_environ_get,
    &kiln_wasi_binding_environ_sizes_get,
    &kiln_wasi_binding_fd_advise,
    &kiln_wasi_binding_fd_allocate,
    &kiln_wasi_binding_fd_close,
    &kiln_wasi_binding_fd_datasync,
    &kiln_wasi_binding_fd_fdstat_get,
    &kiln_wasi_binding_fd_fdstat_set_flags,
    &kiln_wasi_binding_fd_fdstat_set_rights,
    &kiln_wasi_binding_fd_filestat_get,
    &kiln_wasi_binding_fd_filestat_set_size,
    &kiln_wasi_binding_fd_filestat_set_times,
    &kiln_wasi_binding_fd_pread,
    &kiln_wasi_binding_fd_prestat_dir_name,
    &kiln_wasi_binding_fd_prestat_get,
    &kiln_wasi_binding_fd_pwrite,
    &kiln_wasi_binding_fd_read,
    &kiln_wasi_binding_fd_readdir,
    &kiln_wasi_binding_fd_renumber,
    &kiln_wasi_binding_fd_seek,
    &kiln_wasi_binding_fd_sync,
    &kiln_wasi_binding_fd_tell,
    &kiln_wasi_binding_fd_write,
    &kiln_wasi_binding_path_create_directory,
    &kiln_wasi_binding_path_filestat_get,
    &kiln_wasi_binding_path_filestat_set_times,
    &kiln_wasi_binding_path_link,
    &kiln_wasi_binding_path_open,
    &kiln_wasi_binding_path_readlink,
    &kiln_wasi_binding_path_remove_directory,
    &kiln_wasi_binding_path_rename,
    &kiln_wasi_binding_path_symlink,
    &kiln_wasi_binding_path_unlink_file,
    &kiln_wasi_binding_poll_oneoff,
    &kiln_wasi_binding_proc_exit,
    &kiln_wasi_binding_proc_raise,
    &kiln_wasi_binding_random_get,
    &kiln_wasi_binding_sched_yield,
    &kiln_wasi_binding_sock_accept,
    &kiln_wasi_binding_sock_recv,
    &kiln_wasi_binding_sock_send,
    &kiln_wasi_binding_sock_shutdown,
    &kiln_wasi_binding_thread_spawn,
    NULL,
};

static const char *binding_module(const kiln_wasi_binding *b) {
    return b->threads ? "wasi" : "wasi_snapshot_preview1";
}

static bool binding_define(kiln_wasi *w, kiln_linker *l, const kiln_wasi_binding *b) {
    static const uint8_t result_i32[] = {KILN_I32};
    uint8_t params[16];
    uint32_t n = (uint32_t)strlen(b->params);
    for (uint32_t i = 0; i < n; i++)
        params[i] = b->params[i] == 'I' ? KILN_I64 : KILN_I32;
    kiln_signature sig = {
        .num_params = n, .num_results = b->num_results, .params = params, .results = result_i32};
    return kiln_linker_define_func(l, binding_module(b), b->name, &sig, b->fn, w);
}

bool kiln_wasi_define_list(kiln_wasi *w, kiln_linker *l, const kiln_wasi_binding *const *list) {
    for (; *list; list++)
        if (!binding_define(w, l, *list))
            return false;
    return true;
}

bool kiln_wasi_define(kiln_wasi *w, kiln_linker *l) {
    return kiln_wasi_define_list(w, l, kiln_wasi_bindings_all);
}

/* The binding's symbol is its name with '-' as '_' (thread-spawn). */
bool kiln_wasi_binding_symbol(const char *module, size_t module_len, const char *name,
                              size_t name_len, char *buf, size_t cap) {
    for (const kiln_wasi_binding *const *b = kiln_wasi_bindings_all; *b; b++) {
        const char *m = binding_module(*b);
        if (strlen(m) != module_len || memcmp(m, module, module_len) != 0 ||
            strlen((*b)->name) != name_len || memcmp((*b)->name, name, name_len) != 0)
            continue;
        int n = snprintf(buf, cap, "kiln_wasi_binding_%s", (*b)->name);
        if (n < 0 || (size_t)n >= cap) return false;
        for (char *c = buf; *c; c++)
            if (*c == '-') *c = '_';
        return true;
    }
    return false;
}
