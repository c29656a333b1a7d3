/* freestanding.c - the driver for the wasm-interp variant.
 *
 * wabt's interpreter has no WASI, so this build links no libc at all: the
 * kernel's work is the exported function run() returning the checksum, and
 * the few libc functions the kernels use are defined here.  The module must
 * end up with zero imports (the harness checks with wasm-objdump).
 *
 * no_builtin keeps clang from turning these loops back into calls to the
 * very functions they define.
 */
#include "bench.h"

#define NB __attribute__((no_builtin))

void bench_fail(const char *why)
{
    (void)why;
    __builtin_trap();
}

/* The size is read through a volatile so that the optimizer cannot fold a
 * kernel for its one constant input. */
__attribute__((export_name("run"))) uint32_t run(void);
uint32_t run(void)
{
    volatile int n = bench_sizes.interp;
    return bench_run(n);
}

NB void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

NB void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

NB void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

NB int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

NB size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

NB int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

/* A size-class allocator: blocks of 2^k bytes (k >= 4) with an 8-byte
 * header holding k, freed blocks kept on one list per class.  Simple, but
 * it reuses memory the way a real malloc does, so malloc-heavy kernels stay
 * within a small heap. */
#define CLASS_MIN 4
#define CLASS_MAX 31
#define HEADER 8u

extern unsigned char __heap_base;
static uintptr_t heap_top;
static void *free_lists[CLASS_MAX + 1];

static void *heap_take(size_t bytes)
{
    if (heap_top == 0)
        heap_top = ((uintptr_t)&__heap_base + 15u) & ~(uintptr_t)15u;
    uintptr_t end = heap_top + bytes;
    uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        size_t pages = (end - have + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
            return NULL;
    }
    void *p = (void *)heap_top;
    heap_top = end;
    return p;
}

static unsigned size_class(size_t size)
{
    unsigned k = CLASS_MIN;
    while (((size_t)1 << k) < size + HEADER)
        k++;
    return k;
}

void *malloc(size_t size)
{
    unsigned k = size_class(size);
    if (k > CLASS_MAX)
        return NULL;
    unsigned char *block = free_lists[k];
    if (block != NULL) {
        memcpy(&free_lists[k], block + HEADER, sizeof(void *));
    } else {
        block = heap_take((size_t)1 << k);
        if (block == NULL)
            return NULL;
    }
    memcpy(block, &k, sizeof k);
    return block + HEADER;
}

void free(void *p)
{
    if (p == NULL)
        return;
    unsigned char *block = (unsigned char *)p - HEADER;
    unsigned k;
    memcpy(&k, block, sizeof k);
    memcpy(p, &free_lists[k], sizeof(void *));
    free_lists[k] = block;
}

void *calloc(size_t count, size_t size)
{
    if (size != 0 && count > (size_t)-1 / size)
        return NULL;
    void *p = malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

void *realloc(void *p, size_t size)
{
    if (p == NULL)
        return malloc(size);
    unsigned k;
    memcpy(&k, (unsigned char *)p - HEADER, sizeof k);
    size_t have = ((size_t)1 << k) - HEADER;
    if (size <= have)
        return p;
    void *q = malloc(size);
    if (q != NULL) {
        memcpy(q, p, have);
        free(p);
    }
    return q;
}
