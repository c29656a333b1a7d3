// The string functions of libc: tokenising, searching, conversions.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char text[] = "The quick brown fox, jumps over; the lazy dog";
    int n = 0;
    for (char *t = strtok(text, " ,;"); t; t = strtok(NULL, " ,;"))
        printf("token %d: %s (%zu)\n", ++n, t, strlen(t));
    const char *hay = "abracadabra";
    printf("strstr: %ld\n", strstr(hay, "cad") - hay);
    printf("strchr: %ld strrchr: %ld\n", strchr(hay, 'b') - hay, strrchr(hay, 'b') - hay);
    printf("strspn: %zu strcspn: %zu\n", strspn(hay, "abr"), strcspn(hay, "cd"));
    printf("strcmp: %d %d %d\n", strcmp("a", "b") < 0, strcmp("b", "a") > 0, strcmp("x", "x"));
    printf("strncmp: %d memcmp: %d\n", strncmp("abcdef", "abcxyz", 3),
           memcmp("abc", "abd", 3) < 0);
    char *end;
    printf("strtol: %ld %ld %ld\n", strtol("  -12345xyz", &end, 10), strtol("ff", NULL, 16),
           strtol("0755", NULL, 0));
    printf("rest: '%s'\n", end);
    printf("strtoull: %llu\n", strtoull("18446744073709551615", NULL, 10));
    printf("strtod: %.6f %.3e\n", strtod("3.14159rest", NULL), strtod("-1.5e-7", NULL));
    printf("atoi: %d\n", atoi("  42abc"));
    char buf[64];
    strcpy(buf, "concat");
    strcat(buf, "-enated");
    strncat(buf, "-and-cut-off", 4);
    printf("strcat: %s\n", buf);
    memmove(buf + 2, buf, 6);
    printf("memmove: %s\n", buf);
    char *dup = strdup("Mixed Case 123");
    for (char *p = dup; *p; p++)
        *p = (char)(isupper((unsigned char)*p) ? tolower((unsigned char)*p)
                                               : toupper((unsigned char)*p));
    printf("swapcase: %s\n", dup);
    free(dup);
    return 0;
}
