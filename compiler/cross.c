/* cross.c - targets other than the host (cross.h). */
#include "cross.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Guard pages by default where LLVM keeps guarded loads in registers
 * (lower_memory.c pins them); on riscv64 they would be volatile loads,
 * so explicit checks stay the default there. */
static const cross_target targets[] = {
    {"x86_64", "x86_64-linux-gnu", "gcc-x86-64-linux-gnu libc6-dev-amd64-cross", true},
    {"aarch64", "aarch64-linux-gnu", "gcc-aarch64-linux-gnu libc6-dev-arm64-cross", true},
    {"riscv64", "riscv64-linux-gnu", "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross", false},
};

#if defined(__x86_64__)
#define CROSS_HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define CROSS_HOST_ARCH "aarch64"
#elif defined(__riscv) && __riscv_xlen == 64
#define CROSS_HOST_ARCH "riscv64"
#else
#define CROSS_HOST_ARCH ""
#endif

/* The triple's architecture, `arm64` spelled as LLVM does, into buf. */
static const char *triple_arch(const char *triple, char *buf, size_t cap) {
    size_t n = strcspn(triple, "-");
    snprintf(buf, cap, "%.*s", (int)n, triple);
    if (strcmp(buf, "arm64") == 0) snprintf(buf, cap, "aarch64");
    return buf;
}

const cross_target *cross_target_find(const char *triple) {
    char arch[32];
    if (!triple || !strstr(triple, "-linux")) return NULL;
    triple_arch(triple, arch, sizeof arch);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        if (strcmp(arch, targets[i].arch) == 0) return &targets[i];
    return NULL;
}

bool cross_is_host(const char *triple) {
    char arch[32];
    return !triple || (strstr(triple, "-linux") &&
                       strcmp(triple_arch(triple, arch, sizeof arch), CROSS_HOST_ARCH) == 0);
}

const char *cross_driver(const char *triple, char *buf, size_t cap) {
    if (cross_is_host(triple)) return NULL;
    const cross_target *t = cross_target_find(triple);
    snprintf(buf, cap, "%s-gcc", t ? t->triple : triple);
    return buf;
}

bool cross_program_found(const char *name) {
    const char *path = getenv("PATH");
    char file[4096];
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        if (snprintf(file, sizeof file, "%.*s/%s", (int)n, n ? p : ".", name) < (int)sizeof file &&
            access(file, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}
