// Formatted output: integers, floating point, strings, padding.
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    printf("[%d] [%5d] [%-5d] [%05d] [%+d]\n", 42, 42, 42, 42, 42);
    printf("[%x] [%X] [%#x] [%o] [%u]\n", 48879, 48879, 48879, 8, 4000000000u);
    printf("[%lld] [%llu] [%llx]\n", -9000000000000000000ll, 18000000000000000000ull,
           0xdeadbeefcafebabeull);
    printf("[%f] [%.2f] [%10.3f] [%-10.1f] [%e] [%g] [%g]\n", 3.14159, 2.71828, -1.5, 0.25,
           12345.678, 0.0001, 1e20);
    printf("[%.17g] [%.17g] [%g] [%g]\n", 0.1, 1.0 / 3.0, 1.0 / 0.0, -1.0 / 0.0);
    printf("[%s] [%10s] [%-10s] [%.3s] [%c] [%%]\n", "str", "right", "left", "truncate", 'c');
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%d-%s-%.1f", 7, "x", 9.95);
    printf("snprintf: %s (%d)\n", buf, n);
    return 0;
}
