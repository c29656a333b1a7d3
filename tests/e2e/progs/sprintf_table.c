// A text table built with snprintf into a growing buffer.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    size_t cap = 16, len = 0;
    char *out = malloc(cap);
    out[0] = 0;
    for (int i = 1; i <= 40; i++) {
        char row[96];
        int n = snprintf(row, sizeof row, "| %3d | %8.3f | %-10.*s | %08x |\n", i, 1.0 / i,
                         i % 10 + 1, "abcdefghijklmnop", (unsigned)(i * 2654435761u));
        while (len + (size_t)n + 1 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + len, row, (size_t)n + 1);
        len += (size_t)n;
    }
    fputs(out, stdout);
    printf("%zu bytes, capacity %zu\n", len, cap);
    free(out);
    return 0;
}
