/* json.h - a small JSON reader for wast2json's output.
 *
 * The whole document lives in one arena; values are a tree whose
 * children are linked lists (arrays and objects are walked in order,
 * never indexed at random, by the spec runner).  Strings are decoded
 * (escapes, \u surrogate pairs to UTF-8) and NUL-terminated, but may
 * contain NULs: use the length.  Nesting deeper than JSON_MAX_DEPTH is
 * rejected, so hostile input cannot exhaust the stack. */
#ifndef KILN_SPEC_JSON_H
#define KILN_SPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum { JSON_MAX_DEPTH = 64 };

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    const char *key;  /* member name when the parent is an object, else NULL */
    size_t key_len;
    json_value *next; /* next element or member of the parent */
    bool boolean;
    double number;
    const char *string; /* decoded text (JSON_STRING), or the number's text */
    size_t string_len;
    json_value *first;  /* first child (arrays and objects) */
    size_t count;       /* number of children */
};

typedef struct json_doc json_doc;

/* Parses `len` bytes.  On error returns NULL and writes a message with
 * the byte offset into `err`. */
json_doc *json_parse(const char *text, size_t len, char *err, size_t err_size);
void json_doc_free(json_doc *doc);
const json_value *json_root(const json_doc *doc);

/* Member `key` of an object (NULL if absent or `obj` is no object). */
const json_value *json_get(const json_value *obj, const char *key);
/* The string value of member `key`, or NULL if absent or not a string. */
const char *json_get_string(const json_value *obj, const char *key);
/* The numeric value of member `key`, or `fallback`. */
double json_get_number(const json_value *obj, const char *key, double fallback);

#endif
