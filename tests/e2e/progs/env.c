// e2e-env: E2E_A=1 "E2E_B=hello world" E2E_EMPTY=
// Only the variables given are visible: nothing is inherited.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static void show(const char *name) {
    const char *v = getenv(name);
    printf("%s=%s\n", name, v ? v : "(unset)");
}

int main(void) {
    show("E2E_A");
    show("E2E_B");
    show("E2E_EMPTY");
    show("HOME");
    show("PATH");
    int n = 0;
    for (char **e = environ; *e; e++)
        n++;
    printf("environ entries: %d\n", n);
    setenv("E2E_NEW", "set inside", 1);
    show("E2E_NEW");
    return 0;
}
