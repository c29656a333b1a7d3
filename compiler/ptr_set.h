/* ptr_set.h - a set of pointers (LLVM values, blocks): open addressing,
 * linear probing, grown at half full.  Zero-initialise; ptr_set_free. */
#ifndef KILN_PTR_SET_H
#define KILN_PTR_SET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ptr_set {
    const void **slots;
    size_t cap, count;
} ptr_set;

bool ptr_set_has(const ptr_set *s, const void *p);
bool ptr_set_add(ptr_set *s, const void *p); /* false: out of memory */
void ptr_set_remove(ptr_set *s, const void *p);
void ptr_set_free(ptr_set *s);

#endif
