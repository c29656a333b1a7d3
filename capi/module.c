/* module.c - modules: validation, compilation (load.c: kiln's compiler in
 * process, a shared library in the cache, dlopen), reflection,
 * serialization and sharing between threads.
 *
 * A serialized module is the compiled shared object together with the
 * module's own bytes (docs/embedding.md says why):
 *     "KILNWASM" | u32 format (1) | u32 KILN_ABI_VERSION
 *     | u64 n | n bytes of wasm | u64 m | m bytes of shared object
 * little-endian. */
#include <stdlib.h>
#include <string.h>

#include "capi.h"

enum { SERIAL_FORMAT = 1 };
static const char SERIAL_MAGIC[8] = {'K', 'I', 'L', 'N', 'W', 'A', 'S', 'M'};

/* ---- the compiled module, shared by module objects --------------------------- */

capi_compiled *compiled_decode(const uint8_t *bytes, size_t size) {
    capi_compiled *c = calloc(1, sizeof *c);
    if (!c || !(c->bytes = malloc(size ? size : 1))) {
        free(c);
        return NULL;
    }
    memcpy(c->bytes, bytes, size);
    c->size = size;
    atomic_init(&c->refs, 1);
    kiln_error err;
    error_clear(&err);
    /* wasm.h has no tag extern kind: exception handling stays off here
     * until the wasm-c-api can describe tags. */
    kiln_decode_options opts = {.features = features_default() & ~(uint32_t)KILN_FEATURE_EXCEPTIONS};
    c->m = module_decode(c->bytes, size, &opts, &err);
    if (!c->m || !module_validate(c->m, &err)) {
        compiled_release(c);
        return NULL;
    }
    return c;
}

/* The library stays loaded: instances of it may outlive every module
 * object (and dlopen counts repeated loads of one file anyway). */
void compiled_release(capi_compiled *c) {
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    module_free(c->m);
    free(c->lib.image);
    free(c->bytes);
    free(c);
}

static bool compiled_build(capi_compiled *c, const wasm_engine_t *e) {
    load_options o = engine_load_options(e);
    kiln_error err;
    error_clear(&err);
    return library_compile_load(c->m, c->bytes, c->size, &o, &c->lib, &err);
}

static wasm_module_t *module_wrap(wasm_store_t *store, capi_compiled *c) {
    wasm_module_t *mod = malloc(sizeof *mod);
    if (!mod) {
        compiled_release(c);
        return NULL;
    }
    obj_init(&mod->obj, CAPI_MODULE, store);
    mod->c = c;
    return mod;
}

bool wasm_module_validate(wasm_store_t *store, const wasm_byte_vec_t *binary) {
    capi_compiled *c = compiled_decode((const uint8_t *)binary->data, binary->size);
    compiled_release(c);
    return c != NULL;
}

wasm_module_t *wasm_module_new(wasm_store_t *store, const wasm_byte_vec_t *binary) {
    capi_compiled *c = compiled_decode((const uint8_t *)binary->data, binary->size);
    if (!c) return NULL;
    if (!compiled_build(c, store->engine)) {
        compiled_release(c);
        return NULL;
    }
    return module_wrap(store, c);
}

/* ---- reflection ---------------------------------------------------------------- */

static wasm_name_t name_of(const kiln_name *n) {
    wasm_name_t out;
    wasm_name_new(&out, n->len, n->chars);
    return out;
}

void wasm_module_imports(const wasm_module_t *mod, wasm_importtype_vec_t *out) {
    const kiln_module *m = mod->c->m;
    wasm_importtype_vec_new_uninitialized(out, m->num_imports);
    for (size_t i = 0; i < out->size; i++) {
        const kiln_import *imp = &m->imports[i];
        wasm_name_t module = name_of(&imp->module), name = name_of(&imp->name);
        out->data[i] = wasm_importtype_new(&module, &name,
                                           externtype_of_entity(m, imp->kind, imp->index));
    }
}

void wasm_module_exports(const wasm_module_t *mod, wasm_exporttype_vec_t *out) {
    const kiln_module *m = mod->c->m;
    wasm_exporttype_vec_new_uninitialized(out, m->num_exports);
    for (size_t i = 0; i < out->size; i++) {
        const kiln_export *ex = &m->exports[i];
        wasm_name_t name = name_of(&ex->name);
        out->data[i] = wasm_exporttype_new(&name, externtype_of_entity(m, ex->kind, ex->index));
    }
}

/* ---- serialization ------------------------------------------------------------------ */

static uint8_t *put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint8_t *put_blob(uint8_t *p, const uint8_t *bytes, size_t n) {
    p = put_u64(p, n);
    if (n) memcpy(p, bytes, n);
    return p + n;
}

void wasm_module_serialize(const wasm_module_t *mod, wasm_byte_vec_t *out) {
    const capi_compiled *c = mod->c;
    size_t total = 8 + 4 + 4 + 8 + c->size + 8 + c->lib.image_size;
    wasm_byte_vec_new_uninitialized(out, total);
    if (!out->data) return;
    uint8_t *p = (uint8_t *)out->data;
    memcpy(p, SERIAL_MAGIC, 8);
    put_u64(p + 8, SERIAL_FORMAT | (uint64_t)KILN_ABI_VERSION << 32);
    p = put_blob(p + 16, c->bytes, c->size);
    put_blob(p, c->lib.image, c->lib.image_size);
}

/* The blob at *p (advanced past it) if it fits before `end`. */
static bool get_blob(const uint8_t **p, const uint8_t *end, const uint8_t **bytes, size_t *n) {
    if (end - *p < 8) return false;
    uint64_t len = get_u64(*p);
    *p += 8;
    if (len > (uint64_t)(end - *p)) return false;
    *bytes = *p;
    *n = (size_t)len;
    *p += len;
    return true;
}

wasm_module_t *wasm_module_deserialize(wasm_store_t *store, const wasm_byte_vec_t *bytes) {
    const uint8_t *p = (const uint8_t *)bytes->data, *end = p + bytes->size, *wasm, *image;
    size_t wasm_size, image_size;
    if (bytes->size < 16 || memcmp(p, SERIAL_MAGIC, 8) != 0 ||
        get_u64(p + 8) != (SERIAL_FORMAT | (uint64_t)KILN_ABI_VERSION << 32))
        return NULL;
    p += 16;
    if (!get_blob(&p, end, &wasm, &wasm_size) || !get_blob(&p, end, &image, &image_size) ||
        p != end)
        return NULL;
    capi_compiled *c = compiled_decode(wasm, wasm_size);
    if (!c) return NULL;
    load_options o = engine_load_options(store->engine);
    kiln_error err;
    error_clear(&err);
    if (!library_image_load(image, image_size, &o, &c->lib, &err)) {
        compiled_release(c);
        return NULL;
    }
    return module_wrap(store, c);
}

/* ---- sharing between threads ------------------------------------------------------- */

wasm_shared_module_t *wasm_module_share(const wasm_module_t *mod) {
    wasm_shared_module_t *s = malloc(sizeof *s);
    if (!s) return NULL;
    atomic_fetch_add(&mod->c->refs, 1);
    s->c = mod->c;
    return s;
}

wasm_module_t *wasm_module_obtain(wasm_store_t *store, const wasm_shared_module_t *s) {
    atomic_fetch_add(&s->c->refs, 1);
    return module_wrap(store, s->c);
}

void wasm_shared_module_delete(wasm_shared_module_t *s) {
    if (!s) return;
    compiled_release(s->c);
    free(s);
}
