// atexit handlers run in reverse order; main's return value is the status.
#include <stdio.h>
#include <stdlib.h>

static void first(void) { printf("atexit: first registered, runs last\n"); }
static void second(void) { printf("atexit: second registered, runs first\n"); }

int main(void) {
    atexit(first);
    atexit(second);
    printf("main returns 7\n");
    return 7;
}
