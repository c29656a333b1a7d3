/* sha256.h - SHA-256, for the content-addressed compile caches. */
#ifndef KILN_SHA256_H
#define KILN_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256 {
    uint32_t h[8];
    uint8_t block[64];
    uint64_t length;
    size_t used;
} sha256;

void sha_init(sha256 *s);
void sha_update(sha256 *s, const void *data, size_t n);
/* Finishes the hash (s is spent) and writes it as 64 hex digits + NUL. */
void sha_hex(sha256 *s, char out[65]);

#endif
