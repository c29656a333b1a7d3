/* wasi.c - the WASI context: configuration, the descriptor table, and the
 * translation of host errors and file metadata into WASI terms. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "wasi_internal.h"

extern char **environ;

void kiln_wasi_config_init(kiln_wasi_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->stdin_fd = 0;
    cfg->stdout_fd = 1;
    cfg->stderr_fd = 2;
}

static void config_fail(const kiln_wasi_config *cfg, const char *fmt, ...) {
    if (!cfg->error || cfg->error_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cfg->error, cfg->error_size, fmt, ap);
    va_end(ap);
}

/* Copies `n` C strings into a NULL-terminated malloc'ed array and adds
 * their sizes (with NUL) to *bytes.  Guest sizes are 32-bit: refuse more. */
static bool strings_append(char ***list, uint32_t *count, uint32_t *bytes,
                           const char *const *src, size_t n) {
    if (n == 0)
        return true;
    char **grown = realloc(*list, (*count + n + 1) * sizeof *grown);
    if (!grown)
        return false;
    *list = grown;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(src[i]) + 1;
        if (len > UINT32_MAX - *bytes || !(grown[*count] = strdup(src[i])))
            return false;
        *bytes += (uint32_t)len;
        (*count)++;
        grown[*count] = NULL;
    }
    return true;
}

static void strings_free(char **list, uint32_t count) {
    for (uint32_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

static size_t environ_count(void) {
    size_t n = 0;
    while (environ && environ[n])
        n++;
    return n;
}

static bool context_strings(kiln_wasi *w, const kiln_wasi_config *cfg) {
    if (cfg->argc > 0 &&
        !strings_append(&w->args, &w->num_args, &w->args_bytes, cfg->argv, (size_t)cfg->argc))
        return false;
    if (cfg->envc > 0 &&
        !strings_append(&w->env, &w->num_env, &w->env_bytes, cfg->env, (size_t)cfg->envc))
        return false;
    if (cfg->inherit_env &&
        !strings_append(&w->env, &w->num_env, &w->env_bytes, (const char *const *)environ,
                        environ_count()))
        return false;
    return true;
}

/* The filetype of a host descriptor, and the rights that make sense on it. */
static void fd_classify(int host_fd, uint8_t *type, uint64_t *base, uint64_t *inheriting) {
    struct stat st;
    *type = fstat(host_fd, &st) == 0 ? filetype_from_mode(st.st_mode) : WASI_FILETYPE_UNKNOWN;
    *inheriting = 0;
    if (*type == WASI_FILETYPE_DIRECTORY) {
        *base = WASI_RIGHTS_DIR;
        *inheriting = WASI_RIGHTS_ALL;
    } else if (*type == WASI_FILETYPE_REGULAR_FILE || *type == WASI_FILETYPE_BLOCK_DEVICE) {
        *base = WASI_RIGHTS_FILE;
    } else {
        *base = WASI_RIGHTS_STREAM;
    }
}

static bool context_stdio(kiln_wasi *w, const kiln_wasi_config *cfg) {
    const int host[3] = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd};
    w->fds = calloc(3, sizeof *w->fds);
    if (!w->fds)
        return false;
    w->num_fds = 3;
    for (int i = 0; i < 3; i++) {
        wasi_fd *e = &w->fds[i];
        e->used = host[i] >= 0;
        e->host_fd = host[i];
        fd_classify(host[i], &e->filetype, &e->rights_base, &e->rights_inheriting);
    }
    return true;
}

/* "HOST" or "HOST::GUEST" (GUEST defaults to HOST). */
static bool context_preopen(kiln_wasi *w, const kiln_wasi_config *cfg, const char *spec) {
    const char *sep = strstr(spec, "::");
    size_t host_len = sep ? (size_t)(sep - spec) : strlen(spec);
    char *host = strndup(spec, host_len);
    char *guest = strdup(sep ? sep + 2 : spec);
    int fd = host ? open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    uint32_t num;
    if (fd < 0 || !guest) {
        config_fail(cfg, "cannot preopen directory '%s': %s", host ? host : spec,
                    strerror(host ? errno : ENOMEM));
        goto fail;
    }
    if (fd_insert(w, fd, WASI_FILETYPE_DIRECTORY, WASI_RIGHTS_DIR, WASI_RIGHTS_ALL, &num)) {
        config_fail(cfg, "out of memory");
        close(fd);
        goto fail;
    }
    w->fds[num].owned = true;
    w->fds[num].preopen_name = guest;
    free(host);
    return true;
fail:
    free(host);
    free(guest);
    return false;
}

static bool openat2_wanted(const kiln_wasi_config *cfg) {
    const char *force = getenv("KILN_WASI_NO_OPENAT2");
    return !cfg->no_openat2 && !(force && *force && strcmp(force, "0") != 0);
}

kiln_wasi *kiln_wasi_new(const kiln_wasi_config *cfg) {
    kiln_wasi *w = calloc(1, sizeof *w);
    if (w)
        pthread_mutex_init(&w->lock, NULL);
    if (!w || !context_strings(w, cfg) || !context_stdio(w, cfg)) {
        config_fail(cfg, "out of memory");
        kiln_wasi_free(w);
        return NULL;
    }
    w->use_openat2 = openat2_wanted(cfg);
    w->max_threads = cfg->max_threads ? cfg->max_threads : KILN_WASI_MAX_THREADS_DEFAULT;
    for (size_t i = 0; i < cfg->num_preopens; i++) {
        if (!context_preopen(w, cfg, cfg->preopens[i])) {
            kiln_wasi_free(w);
            return NULL;
        }
    }
    return w;
}

void kiln_wasi_free(kiln_wasi *w) {
    if (!w)
        return;
    /* A spawned thread still running may call WASI any time: the
     * context stays (the process is about to end; see wasi_threads.c). */
    if (wasi_threads_running(w))
        return;
    wasi_threads_free(w);
    pthread_mutex_destroy(&w->lock);
    for (uint32_t i = 0; i < w->num_fds; i++)
        if (w->fds[i].used)
            fd_release(&w->fds[i]);
    free(w->fds);
    strings_free(w->args, w->num_args);
    strings_free(w->env, w->num_env);
    free(w);
}

int kiln_wasi_exit_code(const kiln_wasi *w) { return w->exited ? w->exit_code : 0; }

bool kiln_wasi_exited(const kiln_wasi *w) { return w->exited; }

/* ---- descriptor table ---------------------------------------------------------- */

uint16_t fd_lookup(kiln_wasi *w, uint32_t fd, uint64_t need, wasi_fd **out) {
    if (fd >= w->num_fds || !w->fds[fd].used)
        return WASI_EBADF;
    if ((w->fds[fd].rights_base & need) != need)
        return WASI_ENOTCAPABLE;
    *out = &w->fds[fd];
    return WASI_ESUCCESS;
}

/* Guest descriptors are table indices; the table never shrinks, so a
 * program that opens and closes files reuses the lowest free numbers. */
uint16_t fd_insert(kiln_wasi *w, int host_fd, uint8_t filetype, uint64_t base,
                   uint64_t inheriting, uint32_t *out_fd) {
    uint32_t i = 3;
    while (i < w->num_fds && w->fds[i].used)
        i++;
    if (i >= w->num_fds) {
        if (w->num_fds >= (1u << 20))
            return WASI_EMFILE;
        wasi_fd *grown = realloc(w->fds, (w->num_fds + 8) * sizeof *grown);
        if (!grown)
            return WASI_ENOMEM;
        memset(grown + w->num_fds, 0, 8 * sizeof *grown);
        w->fds = grown;
        w->num_fds += 8;
    }
    w->fds[i] = (wasi_fd){.used = true, .owned = true, .filetype = filetype,
                          .host_fd = host_fd, .rights_base = base,
                          .rights_inheriting = inheriting};
    *out_fd = i;
    return WASI_ESUCCESS;
}

void fd_release(wasi_fd *e) {
    if (e->dir)
        closedir(e->dir); /* owns a dup of host_fd, not host_fd itself */
    if (e->owned)
        close(e->host_fd);
    free(e->preopen_name);
    memset(e, 0, sizeof *e);
}

/* ---- translation ---------------------------------------------------------------- */

uint8_t filetype_from_mode(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return WASI_FILETYPE_REGULAR_FILE;
    case S_IFDIR: return WASI_FILETYPE_DIRECTORY;
    case S_IFLNK: return WASI_FILETYPE_SYMBOLIC_LINK;
    case S_IFCHR: return WASI_FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return WASI_FILETYPE_BLOCK_DEVICE;
    case S_IFSOCK: return WASI_FILETYPE_SOCKET_STREAM;
    default: return WASI_FILETYPE_UNKNOWN; /* FIFOs have no WASI type */
    }
}

static uint64_t timespec_ns(struct timespec ts) {
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint16_t filestat_store(wasi_mem *m, uint32_t p, const struct stat *st) {
    if (!mem_ok(m, p, WASI_SIZEOF_FILESTAT))
        return WASI_EFAULT;
    memset(m->base + p, 0, WASI_SIZEOF_FILESTAT);
    mem_st64(m, p + 0, (uint64_t)st->st_dev);
    mem_st64(m, p + 8, (uint64_t)st->st_ino);
    mem_st8(m, p + 16, filetype_from_mode(st->st_mode));
    mem_st64(m, p + 24, (uint64_t)st->st_nlink);
    mem_st64(m, p + 32, (uint64_t)st->st_size);
    mem_st64(m, p + 40, timespec_ns(st->st_atim));
    mem_st64(m, p + 48, timespec_ns(st->st_mtim));
    mem_st64(m, p + 56, timespec_ns(st->st_ctim));
    return WASI_ESUCCESS;
}

uint16_t mem_put32(wasi_mem *m, uint32_t p, uint32_t v) {
    if (!mem_ok(m, p, 4))
        return WASI_EFAULT;
    mem_st32(m, p, v);
    return WASI_ESUCCESS;
}

uint16_t mem_put64(wasi_mem *m, uint32_t p, uint64_t v) {
    if (!mem_ok(m, p, 8))
        return WASI_EFAULT;
    mem_st64(m, p, v);
    return WASI_ESUCCESS;
}

/* Host errno -> WASI errno.  Both follow POSIX names, so this is a table
 * by name; anything unnamed becomes EIO rather than a wrong specific. */
uint16_t errno_to_wasi(int e) {
    static const struct { int host; uint16_t wasi; } map[] = {
        {E2BIG, WASI_E2BIG}, {EACCES, WASI_EACCES}, {EADDRINUSE, WASI_EADDRINUSE},
        {EADDRNOTAVAIL, WASI_EADDRNOTAVAIL}, {EAFNOSUPPORT, WASI_EAFNOSUPPORT},
        {EAGAIN, WASI_EAGAIN}, {EALREADY, WASI_EALREADY}, {EBADF, WASI_EBADF},
        {EBADMSG, WASI_EBADMSG}, {EBUSY, WASI_EBUSY}, {ECANCELED, WASI_ECANCELED},
        {ECHILD, WASI_ECHILD}, {ECONNABORTED, WASI_ECONNABORTED},
        {ECONNREFUSED, WASI_ECONNREFUSED}, {ECONNRESET, WASI_ECONNRESET},
        {EDEADLK, WASI_EDEADLK}, {EDESTADDRREQ, WASI_EDESTADDRREQ}, {EDOM, WASI_EDOM},
        {EDQUOT, WASI_EDQUOT}, {EEXIST, WASI_EEXIST}, {EFAULT, WASI_EFAULT},
        {EFBIG, WASI_EFBIG}, {EHOSTUNREACH, WASI_EHOSTUNREACH}, {EIDRM, WASI_EIDRM},
        {EILSEQ, WASI_EILSEQ}, {EINPROGRESS, WASI_EINPROGRESS}, {EINTR, WASI_EINTR},
        {EINVAL, WASI_EINVAL}, {EIO, WASI_EIO}, {EISCONN, WASI_EISCONN},
        {EISDIR, WASI_EISDIR}, {ELOOP, WASI_ELOOP}, {EMFILE, WASI_EMFILE},
        {EMLINK, WASI_EMLINK}, {EMSGSIZE, WASI_EMSGSIZE}, {EMULTIHOP, WASI_EMULTIHOP},
        {ENAMETOOLONG, WASI_ENAMETOOLONG}, {ENETDOWN, WASI_ENETDOWN},
        {ENETRESET, WASI_ENETRESET}, {ENETUNREACH, WASI_ENETUNREACH},
        {ENFILE, WASI_ENFILE}, {ENOBUFS, WASI_ENOBUFS}, {ENODEV, WASI_ENODEV},
        {ENOENT, WASI_ENOENT}, {ENOEXEC, WASI_ENOEXEC}, {ENOLCK, WASI_ENOLCK},
        {ENOLINK, WASI_ENOLINK}, {ENOMEM, WASI_ENOMEM}, {ENOMSG, WASI_ENOMSG},
        {ENOPROTOOPT, WASI_ENOPROTOOPT}, {ENOSPC, WASI_ENOSPC}, {ENOSYS, WASI_ENOSYS},
        {ENOTCONN, WASI_ENOTCONN}, {ENOTDIR, WASI_ENOTDIR}, {ENOTEMPTY, WASI_ENOTEMPTY},
        {ENOTRECOVERABLE, WASI_ENOTRECOVERABLE}, {ENOTSOCK, WASI_ENOTSOCK},
        {ENOTSUP, WASI_ENOTSUP}, {ENOTTY, WASI_ENOTTY}, {ENXIO, WASI_ENXIO},
        {EOVERFLOW, WASI_EOVERFLOW}, {EOWNERDEAD, WASI_EOWNERDEAD}, {EPERM, WASI_EPERM},
        {EPIPE, WASI_EPIPE}, {EPROTO, WASI_EPROTO},
        {EPROTONOSUPPORT, WASI_EPROTONOSUPPORT}, {EPROTOTYPE, WASI_EPROTOTYPE},
        {ERANGE, WASI_ERANGE}, {EROFS, WASI_EROFS}, {ESPIPE, WASI_ESPIPE},
        {ESRCH, WASI_ESRCH}, {ESTALE, WASI_ESTALE}, {ETIMEDOUT, WASI_ETIMEDOUT},
        {ETXTBSY, WASI_ETXTBSY}, {EXDEV, WASI_EXDEV},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].host == e)
            return map[i].wasi;
    return WASI_EIO;
}
