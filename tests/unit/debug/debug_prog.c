/* debug_prog.c - the program of test_debug_info.sh, built with
 * `clang -g -O0 --target=wasm32-wasi`.  The test finds its lines by the
 * `debug-line:` markers, so they may move. */
#include <stdio.h>
#include <stdlib.h>

static int square(int x) {
    int y = x * x; /* debug-line: square */
    return y;
}

static int divide(int a, int b) {
    return a / b; /* debug-line: divide */
}

int main(int argc, char **argv) {
    int s = 0;
    for (int i = 0; i < 4; i++)
        s += square(i); /* debug-line: loop */
    printf("%d\n", s);
    if (argc > 1) printf("%d\n", divide(s, atoi(argv[1]))); /* debug-line: call-divide */
    return 0;
}
