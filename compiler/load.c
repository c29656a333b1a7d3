/* load.c - compile a module in-process to a shared library, cache it and
 * dlopen it (load.h): `kiln run` and libkiln_wasm. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"
#include "progress.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.1.0"
#endif

/* ---- SHA-256 (FIPS 180-4), for cache keys ------------------------------- */

typedef struct sha256 {
    uint32_t h[8];
    uint8_t block[64];
    uint64_t length;
    size_t used;
} sha256;

static const uint32_t SHA_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha_block(sha256 *s) {
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)s->block[4 * i] << 24 | (uint32_t)s->block[4 * i + 1] << 16 |
               (uint32_t)s->block[4 * i + 2] << 8 | s->block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, s->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
                      ((v[4] & v[5]) ^ (~v[4] & v[6])) + SHA_K[i] + w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++) s->h[i] += v[i];
}

static void sha_init(sha256 *s) {
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memset(s, 0, sizeof *s);
    memcpy(s->h, H0, sizeof H0);
}

static void sha_update(sha256 *s, const void *data, size_t n) {
    const uint8_t *p = data;
    s->length += n;
    while (n--) {
        s->block[s->used++] = *p++;
        if (s->used == 64) sha_block(s), s->used = 0;
    }
}

static void sha_hex(sha256 *s, char out[65]) {
    uint64_t bits = s->length * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    sha_update(s, &pad, 1);
    while (s->used != 56) sha_update(s, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(s, len, 8);
    for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08" PRIx32, s->h[i]);
}

/* ---- scratch directories --------------------------------------------------- */

static const char *temp_parent(void) {
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

static bool plain_dir_make(const char *parent, const char *name, char *out, size_t cap) {
    if (snprintf(out, cap, "%s/%sXXXXXX", parent, name) >= (int)cap) return errno = ENAMETOOLONG, false;
    return mkdtemp(out) != NULL;
}

/* The directory and the files in it (no subdirectories are ever made). */
static void plain_dir_remove(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    char file[PATH_MAX];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        unlink(file);
    }
    closedir(d);
    rmdir(path);
}

static bool scratch_make(const load_options *o, const char *parent, const char *name, char *out,
                         size_t cap) {
    return (o->dir_make ? o->dir_make : plain_dir_make)(parent, name, out, cap);
}

static void scratch_remove(const load_options *o, const char *path) {
    (o->dir_remove ? o->dir_remove : plain_dir_remove)(path);
}

/* ---- the compile cache -------------------------------------------------------- */

/* The file the compiler's code was loaded from: the kiln binary, or the
 * library (libkiln_wasm.so) it is linked into. */
static void compiler_identity(struct stat *self) {
    Dl_info info;
    if (dladdr((void *)module_compile_object, &info) && info.dli_fname &&
        strchr(info.dli_fname, '/') && stat(info.dli_fname, self) == 0)
        return;
    if (stat("/proc/self/exe", self) != 0) memset(self, 0, sizeof *self);
}

/* The CPU the code is compiled for, as LLVM will see it: for "native"
 * this machine's CPU name and feature string (emit.c asks LLVM the same
 * way), so a cache shared between machines (a home directory on NFS)
 * never hands one machine's code to another. */
static void cpu_key_add(sha256 *s, const kiln_compile_options *c) {
    if (!c->cpu || strcmp(c->cpu, "native") != 0) {
        const char *cpu = c->cpu ? c->cpu : "generic";
        sha_update(s, cpu, strlen(cpu) + 1);
        return;
    }
    char *name = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
    sha_update(s, name, strlen(name) + 1);
    sha_update(s, features, strlen(features) + 1);
    LLVMDisposeMessage(name);
    LLVMDisposeMessage(features);
}

static void cache_key(const load_options *o, const uint8_t *bytes, size_t size, char out[65]) {
    sha256 s;
    sha_init(&s);
    char flags[256];
    const kiln_compile_options *c = o->compile;
    struct stat self;
    compiler_identity(&self);
    snprintf(flags, sizeof flags, "kiln %s exe %lld.%09ld/%lld O%d features %u bounds %d prefix %s",
             KILN_VERSION, (long long)self.st_mtim.tv_sec, self.st_mtim.tv_nsec,
             (long long)self.st_size, c->opt_level, o->features, c->explicit_bounds, c->prefix);
    sha_update(&s, flags, strlen(flags) + 1);
    cpu_key_add(&s, c);
    sha_update(&s, bytes, size);
    sha_hex(&s, out);
}

/* The key of a shared object given as bytes: they are the whole content. */
static void image_key(const uint8_t *image, size_t size, char out[65]) {
    sha256 s;
    sha_init(&s);
    sha_update(&s, "kiln image", 11);
    sha_update(&s, image, size);
    sha_hex(&s, out);
}

/* mkdir -p; true if the directory exists afterwards. */
static bool dir_make(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(path, 0755);
        *p = '/';
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST;
}

static bool cache_dir(const load_options *o, char *out, size_t cap) {
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (o->no_cache) return false;
    if (xdg && xdg[0] == '/') snprintf(out, cap, "%s/kiln", xdg);
    else if (home && *home) snprintf(out, cap, "%s/.cache/kiln", home);
    else return false;
    return dir_make(out);
}

static void failed_path_set(loaded_library *out, const char *path) {
    snprintf(out->failed_path, sizeof out->failed_path, "%s", path);
}

static bool load_failed(loaded_library *out, const char *path, kiln_error *err, const char *what) {
    failed_path_set(out, path);
    return error_set(err, KILN_ERR_IO, 0, "%s", what);
}

static bool errno_failed(loaded_library *out, const char *path, kiln_error *err,
                         const char *doing) {
    char what[256];
    snprintf(what, sizeof what, "%s: %s", doing, strerror(errno));
    return load_failed(out, path, err, what);
}

static bool temp_dir_failed(loaded_library *out, const char *parent, kiln_error *err) {
    return errno_failed(out, parent, err, "cannot create a temporary directory");
}

static bool rename_into_place(const char *from, const char *to, loaded_library *out,
                              kiln_error *err) {
    return rename(from, to) == 0 || errno_failed(out, to, err, "cannot write");
}

/* Compiles and links in a private directory inside `dir` (so that the
 * final rename stays on one file system; racing processes each see
 * either no library or a whole one) and renames the library to
 * `lib_path`.  The directory goes whatever happens. */
static bool library_build(const kiln_module *m, const uint8_t *bytes, size_t size,
                          const load_options *o, const char *dir, const char *lib_path,
                          loaded_library *out, kiln_error *err) {
    char work[3072], obj[3100], lib[3100];
    if (!scratch_make(o, dir, "tmp-", work, sizeof work)) return temp_dir_failed(out, dir, err);
    snprintf(obj, sizeof obj, "%s/module.o", work);
    snprintf(lib, sizeof lib, "%s/module.so", work);
    bool ok = module_compile_object(m, bytes, size, o->compile, obj, err);
    if (!ok && err->kind == KILN_ERR_IO) failed_path_set(out, obj);
    if (ok) {
        progress_phase_begin(o->compile->progress, "link shared library");
        if (!(ok = link_shared_library(obj, lib, err))) failed_path_set(out, lib);
        progress_phase_end(o->compile->progress);
    }
    ok = ok && rename_into_place(lib, lib_path, out, err);
    scratch_remove(o, work);
    return ok;
}

/* The same for bytes that already are a shared object. */
static bool image_write(const uint8_t *image, size_t size, const load_options *o,
                        const char *dir, const char *lib_path, loaded_library *out,
                        kiln_error *err) {
    char work[3072], lib[3100];
    if (!scratch_make(o, dir, "tmp-", work, sizeof work)) return temp_dir_failed(out, dir, err);
    snprintf(lib, sizeof lib, "%s/module.so", work);
    FILE *f = fopen(lib, "wb");
    bool ok = f && fwrite(image, 1, size, f) == size;
    if (f && fclose(f) != 0) ok = false;
    ok = ok ? rename_into_place(lib, lib_path, out, err) : errno_failed(out, lib, err, "cannot write");
    scratch_remove(o, work);
    return ok;
}

static bool image_read(const char *lib, loaded_library *out, kiln_error *err) {
    FILE *f = fopen(lib, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !(out->image = malloc((size_t)st.st_size + 1))) {
        if (f) fclose(f);
        return errno_failed(out, lib, err, "cannot read");
    }
    out->image_size = fread(out->image, 1, (size_t)st.st_size, f);
    fclose(f);
    return out->image_size == (size_t)st.st_size || errno_failed(out, lib, err, "cannot read");
}

static bool library_open(const char *lib, const load_options *o, loaded_library *out,
                         kiln_error *err) {
    char what[512], symbol[256];
    if (o->want_image && !image_read(lib, out, err)) return false;
    out->handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!out->handle) {
        snprintf(what, sizeof what, "cannot load: %s", dlerror());
        return load_failed(out, lib, err, what);
    }
    snprintf(symbol, sizeof symbol, "%s_module", o->compile->prefix);
    out->desc = dlsym(out->handle, symbol);
    if (!out->desc) {
        snprintf(what, sizeof what, "cannot load: %s", dlerror());
        return load_failed(out, lib, err, what);
    }
    return true;
}

/* The directory the library goes in: the cache, or a temporary one
 * (`temp`, removed by the caller) when there is no cache. */
static bool library_dir(const load_options *o, char *dir, size_t cap, char *temp, size_t temp_cap,
                        loaded_library *out, kiln_error *err) {
    memset(out, 0, sizeof *out);
    temp[0] = 0;
    if (cache_dir(o, dir, cap)) return true;
    if (!scratch_make(o, temp_parent(), "kiln-run-", temp, temp_cap))
        return temp_dir_failed(out, temp_parent(), err);
    snprintf(dir, cap, "%s", temp);
    return true;
}

bool library_compile_load(const kiln_module *m, const uint8_t *bytes, size_t size,
                          const load_options *o, loaded_library *out, kiln_error *err) {
    char dir[3072], key[65], lib[4096], temp[3072];
    if (!library_dir(o, dir, sizeof dir, temp, sizeof temp, out, err)) return false;
    cache_key(o, bytes, size, key);
    snprintf(lib, sizeof lib, "%s/%s.so", dir, key);
    bool ok = access(lib, R_OK) == 0 || library_build(m, bytes, size, o, dir, lib, out, err);
    ok = ok && library_open(lib, o, out, err);
    if (temp[0]) scratch_remove(o, temp);
    return ok;
}

bool library_image_load(const uint8_t *image, size_t size, const load_options *o,
                        loaded_library *out, kiln_error *err) {
    char dir[3072], key[65], lib[4096], temp[3072];
    if (!library_dir(o, dir, sizeof dir, temp, sizeof temp, out, err)) return false;
    image_key(image, size, key);
    snprintf(lib, sizeof lib, "%s/%s.so", dir, key);
    bool ok = access(lib, R_OK) == 0 || image_write(image, size, o, dir, lib, out, err);
    ok = ok && library_open(lib, o, out, err);
    if (temp[0]) scratch_remove(o, temp);
    return ok;
}
