/* load.c - compile a module in-process to a shared library, cache it and
 * dlopen it (load.h): `kiln run` and libkiln_wasm. */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_key.h"
#include "load.h"
#include "progress.h"

/* ---- scratch directories --------------------------------------------------- */

static const char *temp_parent(void) {
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

static bool scratch_make(const load_options *o, const char *parent, const char *name, char *out,
                         size_t cap) {
    return (o->dir_make ? o->dir_make : cache_scratch_make_plain)(parent, name, out, cap);
}

static void scratch_remove(const load_options *o, const char *path) {
    (o->dir_remove ? o->dir_remove : cache_scratch_remove_plain)(path);
}

/* ---- the compile cache -------------------------------------------------------- */

static void cache_key(const load_options *o, const uint8_t *bytes, size_t size, char out[65]) {
    sha256 s;
    sha_init(&s);
    cache_key_options(&s, o->compile, o->features);
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

static bool cache_dir(const load_options *o, char *out, size_t cap) {
    return !o->no_cache && cache_dir_default(out, cap);
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

bool library_cached_load(const uint8_t *bytes, size_t size, const load_options *o,
                         loaded_library *out) {
    char dir[3072], key[65], lib[4096];
    kiln_error err;
    memset(out, 0, sizeof *out);
    if (!cache_dir(o, dir, sizeof dir)) return false;
    cache_key(o, bytes, size, key);
    snprintf(lib, sizeof lib, "%s/%s.so", dir, key);
    return access(lib, R_OK) == 0 && library_open(lib, o, out, &err);
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
