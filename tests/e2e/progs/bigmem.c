// Growing memory: 64 MiB in steps with realloc, touched and checksummed.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    size_t size = 1 << 16;
    uint8_t *p = malloc(size);
    memset(p, 1, size);
    while (size < (64u << 20)) {
        size_t next = size * 2;
        p = realloc(p, next);
        if (!p) {
            printf("realloc failed at %zu\n", next);
            return 1;
        }
        for (size_t i = size; i < next; i++)
            p[i] = (uint8_t)(i * 31 + 7);
        size = next;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < size; i += 4093)
        sum = sum * 31 + p[i];
    printf("size %zu MiB checksum %llu\n", size >> 20, (unsigned long long)sum);
    free(p);
    void *blocks[1000];
    for (int i = 0; i < 1000; i++)
        blocks[i] = malloc((size_t)(i % 50 + 1) * 1000);
    for (int i = 0; i < 1000; i += 2)
        free(blocks[i]);
    for (int i = 1; i < 1000; i += 2)
        free(blocks[i]);
    printf("many blocks ok\n");
    return 0;
}
