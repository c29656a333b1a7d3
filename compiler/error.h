/* error.h - errors as values.
 *
 * Library code never prints or exits: a stage that fails fills a
 * kiln_error and returns false/NULL.  The CLI prints it as
 *     FILE:0xOFFSET: error: MESSAGE
 * Messages use the spec's own wording where the spec test suite has one
 * ("unexpected end", "type mismatch", "unknown function 7", ...). */
#ifndef KILN_ERROR_H
#define KILN_ERROR_H

#include <stdbool.h>
#include <stdint.h>

typedef enum kiln_error_kind {
    KILN_OK = 0,
    KILN_ERR_MALFORMED, /* the bytes are not a well-formed binary module */
    KILN_ERR_INVALID,   /* well formed, but fails validation             */
    KILN_ERR_LIMIT,     /* exceeds an implementation limit               */
    KILN_ERR_NOMEM,     /* allocation failed                             */
    KILN_ERR_LOWER,     /* code generation failed                        */
    KILN_ERR_IO,        /* reading or writing a file failed              */
} kiln_error_kind;

#define KILN_NO_FUNC UINT32_MAX

typedef struct kiln_error {
    kiln_error_kind kind;
    uint64_t offset;     /* byte offset in the module                     */
    uint32_t func_index; /* function being decoded/validated, or KILN_NO_FUNC */
    char message[256];
} kiln_error;

/* Fills err (printf-style message) and returns false, so callers can write
 * `return error_set(err, KILN_ERR_MALFORMED, off, "unexpected end");` */
bool error_set(kiln_error *err, kiln_error_kind kind, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void error_clear(kiln_error *err);

#endif
