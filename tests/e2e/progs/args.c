// e2e-args: one "two words" "" --flag=x -- last
// The program's own arguments (argv[0] differs between builds, so skip it).
#include <stdio.h>

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=\"%s\"\n", i, argv[i]);
    return 0;
}
