// 64-bit and mixed-width integer arithmetic: wrap-around, division,
// shifts, bit counting, and a 64-bit hash.
#include <stdint.h>
#include <stdio.h>

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int main(void) {
    uint64_t s = 1;
    uint64_t acc = 0;
    int64_t sacc = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t a = splitmix(&s), b = splitmix(&s) | 1;
        acc += a / b + a % b + (a << (i % 64)) + (a >> (i % 63));
        sacc += (int64_t)a / (int64_t)(b | 0x100) - (int64_t)a % 1000003;
        acc ^= (uint64_t)__builtin_popcountll(a) << (i % 57);
        acc += (uint64_t)__builtin_clzll(b) + (uint64_t)__builtin_ctzll(a | 1ull << 63);
    }
    printf("acc %llu sacc %lld\n", (unsigned long long)acc, (long long)sacc);
    uint32_t u = 0xffffffffu;
    int32_t m = INT32_MIN;
    printf("wrap: %u %u %d\n", u + 1, u * u, (int32_t)((uint32_t)m - 1));
    printf("mixed: %lld %llu\n", (long long)(int32_t)-5 * 3000000000ll,
           (unsigned long long)(uint32_t)-1 * 2ull);
    printf("signed div: %d %d %d %d\n", -7 / 2, -7 % 2, 7 / -2, 7 % -2);
    return 0;
}
