/* cross.h - targets other than the machine kiln runs on.
 *
 * `kiln build --target TRIPLE` links with Debian's cross driver
 * (`TRIPLE-gcc`, package gcc-TRIPLE, with its libc from libc6-dev-ARCH-cross)
 * against a kiln runtime built for TRIPLE by cmake/KilnCross.cmake, which
 * lives next to the host runtime in DIR/kiln-cross/TRIPLE/.  A partitioned
 * `kiln compile --target TRIPLE` joins its parts with the same driver (the
 * host's ld cannot read foreign objects).
 *
 * A target is named by its Debian triple (aarch64-linux-gnu,
 * riscv64-linux-gnu); other spellings of the same Linux target
 * (aarch64-unknown-linux-gnu, arm64-linux-gnu) map to it.  No LLVM here:
 * link.c and this file are also built into the cross spec runner. */
#ifndef KILN_CROSS_H
#define KILN_CROSS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cross_target {
    const char *arch;     /* the triple's first component, as LLVM spells it */
    const char *triple;   /* Debian's: the driver's prefix, the runtime's directory */
    const char *packages; /* the Debian packages that provide TRIPLE-gcc and its libc */
    bool guard_default;   /* `kiln build --target` defaults to guard pages */
} cross_target;

/* The Linux target `triple` names (any vendor, arm64 = aarch64), or NULL. */
const cross_target *cross_target_find(const char *triple);

/* True if `triple` is NULL or names the machine kiln itself runs on. */
bool cross_is_host(const char *triple);

/* The linker driver for `triple` into buf: NULL for the host (link.c then
 * uses $CC), else `TRIPLE-gcc` with Debian's spelling of a known target. */
const char *cross_driver(const char *triple, char *buf, size_t cap);

/* True if `name` is an executable file in a directory of $PATH. */
bool cross_program_found(const char *name);

#endif
