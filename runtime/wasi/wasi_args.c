/* wasi_args.c - args_* and environ_*: the strings the host chose to give,
 * laid out as an array of guest pointers into one buffer of NUL-ended
 * strings. */
#define _GNU_SOURCE
#include "wasi_internal.h"

static uint16_t strings_sizes(wasi_mem *m, uint32_t count, uint32_t bytes, uint32_t count_ptr,
                              uint32_t size_ptr) {
    if (!mem_ok(m, count_ptr, 4) || !mem_ok(m, size_ptr, 4))
        return WASI_EFAULT;
    mem_st32(m, count_ptr, count);
    mem_st32(m, size_ptr, bytes);
    return WASI_ESUCCESS;
}

static uint16_t strings_get(wasi_mem *m, char *const *list, uint32_t count, uint32_t bytes,
                            uint32_t array, uint32_t buf) {
    if (!mem_ok(m, array, (uint64_t)count * 4) || !mem_ok(m, buf, bytes))
        return WASI_EFAULT;
    uint32_t at = buf;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t len = (uint32_t)strlen(list[i]) + 1;
        mem_st32(m, array + i * 4, at);
        memcpy(m->base + at, list[i], len);
        at += len;
    }
    return WASI_ESUCCESS;
}

uint16_t wasi_args_sizes_get(kiln_wasi *w, wasi_mem *m, uint32_t count_ptr, uint32_t size_ptr) {
    return strings_sizes(m, w->num_args, w->args_bytes, count_ptr, size_ptr);
}

uint16_t wasi_args_get(kiln_wasi *w, wasi_mem *m, uint32_t argv, uint32_t buf) {
    return strings_get(m, w->args, w->num_args, w->args_bytes, argv, buf);
}

uint16_t wasi_environ_sizes_get(kiln_wasi *w, wasi_mem *m, uint32_t count_ptr,
                                uint32_t size_ptr) {
    return strings_sizes(m, w->num_env, w->env_bytes, count_ptr, size_ptr);
}

uint16_t wasi_environ_get(kiln_wasi *w, wasi_mem *m, uint32_t environ, uint32_t buf) {
    return strings_get(m, w->env, w->num_env, w->env_bytes, environ, buf);
}
