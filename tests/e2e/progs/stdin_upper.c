// e2e-stdin: input/lorem.txt
// Line-by-line stdin processing with fgets; numbered, upper-cased output.
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, stdin)) {
        for (char *p = line; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        printf("%3d: %s", ++n, line);
    }
    printf("total %d lines\n", n);
    return 0;
}
