/* vec.c - the wasm_xxx_vec_t functions of every element type.
 *
 * A vector owns its elements: copy copies each one (a reference type's
 * copy takes a reference), delete deletes each one. */
#include <stdlib.h>
#include <string.h>

#include "capi.h"

bool ptr_push(void ***items, size_t *count, size_t *cap, void *item) {
    if (*count == *cap) {
        size_t bigger = *cap ? *cap * 2 : 16;
        void **grown = realloc(*items, bigger * sizeof *grown);
        if (!grown) return false;
        *items = grown;
        *cap = bigger;
    }
    (*items)[(*count)++] = item;
    return true;
}

/* new_empty, new_uninitialized (zeroed: NULL pointers), new (adopts the
 * elements), copy and delete, given how one element is copied and freed. */
#define VEC_DEFINE(name, T, COPY_ELEM, DELETE_ELEM)                                           \
    void wasm_##name##_vec_new_empty(wasm_##name##_vec_t *out) {                              \
        out->size = 0;                                                                        \
        out->data = NULL;                                                                     \
    }                                                                                         \
    void wasm_##name##_vec_new_uninitialized(wasm_##name##_vec_t *out, size_t n) {            \
        out->data = n ? calloc(n, sizeof(T)) : NULL;                                          \
        out->size = out->data ? n : 0;                                                        \
    }                                                                                         \
    void wasm_##name##_vec_new(wasm_##name##_vec_t *out, size_t n, T const data[]) {          \
        wasm_##name##_vec_new_uninitialized(out, n);                                          \
        if (out->size) memcpy(out->data, data, n * sizeof(T));                                \
    }                                                                                         \
    void wasm_##name##_vec_copy(wasm_##name##_vec_t *out, const wasm_##name##_vec_t *in) {    \
        wasm_##name##_vec_new_uninitialized(out, in->size);                                   \
        for (size_t i = 0; i < out->size; i++) COPY_ELEM(&out->data[i], &in->data[i]);        \
    }                                                                                         \
    void wasm_##name##_vec_delete(wasm_##name##_vec_t *v) {                                   \
        for (size_t i = 0; v->data && i < v->size; i++) DELETE_ELEM(&v->data[i]);             \
        free(v->data);                                                                        \
        v->data = NULL;                                                                       \
        v->size = 0;                                                                          \
    }

#define BYTE_COPY(dst, src) (*(dst) = *(src))
#define BYTE_DELETE(e) ((void)(e))
VEC_DEFINE(byte, wasm_byte_t, BYTE_COPY, BYTE_DELETE)
VEC_DEFINE(val, wasm_val_t, wasm_val_copy, wasm_val_delete)

/* Vectors of owned pointers to `name` objects. */
#define PTR_VEC_DEFINE(name)                                                                  \
    static void name##_elem_copy(wasm_##name##_t **dst, wasm_##name##_t *const *src) {        \
        *dst = *src ? wasm_##name##_copy(*src) : NULL;                                        \
    }                                                                                         \
    static void name##_elem_delete(wasm_##name##_t **e) {                                     \
        if (*e) wasm_##name##_delete(*e);                                                     \
    }                                                                                         \
    VEC_DEFINE(name, wasm_##name##_t *, name##_elem_copy, name##_elem_delete)

PTR_VEC_DEFINE(valtype)
PTR_VEC_DEFINE(functype)
PTR_VEC_DEFINE(globaltype)
PTR_VEC_DEFINE(tabletype)
PTR_VEC_DEFINE(memorytype)
PTR_VEC_DEFINE(externtype)
PTR_VEC_DEFINE(importtype)
PTR_VEC_DEFINE(exporttype)
PTR_VEC_DEFINE(frame)
PTR_VEC_DEFINE(extern)
