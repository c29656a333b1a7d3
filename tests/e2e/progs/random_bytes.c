// Random bytes: getentropy fills the buffer, and two draws differ.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    printf("getentropy: %d %d\n", getentropy(a, sizeof a), getentropy(b, sizeof b));
    int zeros = 0, bits = 0;
    for (int i = 0; i < 64; i++) {
        zeros += a[i] == 0;
        for (int k = 0; k < 8; k++)
            bits += (a[i] >> k) & 1;
    }
    printf("draws differ: %d\n", memcmp(a, b, sizeof a) != 0);
    printf("few zero bytes: %d\n", zeros < 8);
    printf("plausible bit count: %d\n", bits > 160 && bits < 352);
    return 0;
}
