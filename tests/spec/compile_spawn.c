/* compile_spawn.c - module_compile_object for kiln-spec built for another
 * target (cmake/cross/, KILN_CROSS_TRIPLE).  That runner runs under
 * qemu-user, without LLVM, so each module is compiled by the host's kiln,
 * a host program that qemu-user lets the guest spawn and that runs
 * natively:
 *     $KILN_SPEC_KILN compile OBJ.wasm -o OBJ --target TRIPLE --prefix P
 *         -ON --bounds-checks=MODE [--partitions N]
 * (the runner has validated the module with its own features already).
 * exec.c then links OBJ with link_shared_library, i.e. $CC, which must be
 * TRIPLE-gcc, and dlopens it in the emulated process. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile.h"

extern char **environ;

static bool wasm_write(const char *path, const uint8_t *bytes, size_t size, kiln_error *err) {
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(bytes, 1, size, f) == size;
    if (f && fclose(f) != 0) ok = false;
    return ok ? true : error_set(err, KILN_ERR_IO, 0, "cannot write %s", path);
}

static bool kiln_spawn(const char *const *argv, kiln_error *err) {
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ);
    if (rc != 0) return error_set(err, KILN_ERR_IO, 0, "cannot run %s: %s", argv[0], strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return error_set(err, KILN_ERR_IO, 0, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
    return error_set(err, KILN_ERR_LOWER, 0, "%s compile --target %s failed (status %d)", argv[0],
                     KILN_CROSS_TRIPLE, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

bool module_compile_object(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, const char *object_path,
                           kiln_error *err) {
    (void)m;
    const char *kiln = getenv("KILN_SPEC_KILN");
    if (!kiln || !*kiln)
        return error_set(err, KILN_ERR_IO, 0, "KILN_SPEC_KILN (the host's kiln) is not set");
    char wasm[4096], level[8], partitions[16];
    snprintf(wasm, sizeof wasm, "%s.wasm", object_path);
    snprintf(level, sizeof level, "-O%d", opts->opt_level);
    snprintf(partitions, sizeof partitions, "%d", opts->partitions > 1 ? opts->partitions : 1);
    const char *argv[] = {kiln, "compile", wasm, "-o", object_path, "--target", KILN_CROSS_TRIPLE,
                          "--prefix", opts->prefix, level,
                          opts->explicit_bounds ? "--bounds-checks=explicit" : "--bounds-checks=guard",
                          "--partitions", partitions, NULL};
    bool ok = wasm_write(wasm, bytes, size, err) && kiln_spawn(argv, err);
    unlink(wasm);
    return ok;
}
