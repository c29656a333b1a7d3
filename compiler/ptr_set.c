/* ptr_set.c - a set of pointers (see ptr_set.h). */
#include <stdint.h>
#include <stdlib.h>

#include "ptr_set.h"

static size_t slot_of(const ptr_set *s, const void *v) {
    uintptr_t h = (uintptr_t)v;
    h ^= h >> 17, h *= 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 20) & (s->cap - 1);
    while (s->slots[i] && s->slots[i] != v) i = (i + 1) & (s->cap - 1);
    return i;
}

bool ptr_set_has(const ptr_set *s, const void *v) {
    return s->cap && s->slots[slot_of(s, v)] == v;
}

static bool set_grow(ptr_set *s) {
    ptr_set bigger = {calloc(s->cap ? s->cap * 2 : 64, sizeof *s->slots), s->cap ? s->cap * 2 : 64, 0};
    if (!bigger.slots) return false;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i]) bigger.slots[slot_of(&bigger, s->slots[i])] = s->slots[i], bigger.count++;
    free(s->slots);
    *s = bigger;
    return true;
}

bool ptr_set_add(ptr_set *s, const void *v) {
    if ((s->count + 1) * 2 > s->cap && !set_grow(s)) return false;
    size_t i = slot_of(s, v);
    if (!s->slots[i]) s->slots[i] = v, s->count++;
    return true;
}

/* Removal by re-insertion of the run that follows (linear probing). */
void ptr_set_remove(ptr_set *s, const void *v) {
    if (!ptr_set_has(s, v)) return;
    size_t i = slot_of(s, v);
    s->slots[i] = NULL, s->count--;
    for (size_t j = (i + 1) & (s->cap - 1); s->slots[j]; j = (j + 1) & (s->cap - 1)) {
        const void *moved = s->slots[j];
        s->slots[j] = NULL;
        s->slots[slot_of(s, moved)] = moved;
    }
}

void ptr_set_free(ptr_set *s) {
    free(s->slots);
    *s = (ptr_set){0};
}
