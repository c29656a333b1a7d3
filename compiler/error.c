/* error.c - see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool error_set(kiln_error *err, kiln_error_kind kind, uint64_t offset, const char *fmt, ...) {
    if (!err) return false;
    err->kind = kind;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return false;
}

void error_clear(kiln_error *err) {
    memset(err, 0, sizeof *err);
    err->func_index = KILN_NO_FUNC;
}
