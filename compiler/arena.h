/* arena.h - bump allocation with one owner and one free.
 *
 * Every module owns one arena: decoded sections, instruction arrays,
 * names and validator annotations all live in it, and module_free() is
 * one arena_destroy().  Allocation failure returns NULL (callers turn it
 * into a kiln_error); nothing here aborts. */
#ifndef KILN_ARENA_H
#define KILN_ARENA_H

#include <stddef.h>

typedef struct arena arena;

arena *arena_create(void);
void arena_destroy(arena *a);
/* Aligned to 16 bytes.  Returns NULL when memory runs out or size is absurd. */
void *arena_alloc(arena *a, size_t size);
void *arena_zalloc(arena *a, size_t size);
/* Allocates count*size bytes, checking the multiplication for overflow. */
void *arena_array(arena *a, size_t count, size_t size);
/* Bytes handed out so far (for statistics and tests). */
size_t arena_used(const arena *a);
/* Test hook: make the Nth allocation from now on fail (0 disables). */
void arena_fail_after(arena *a, size_t n);

#endif
