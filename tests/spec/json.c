/* json.c - see json.h.  A recursive-descent reader bounded in depth. */
#include "json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct json_doc {
    arena *arena;
    json_value *root;
};

typedef struct json_parser {
    const char *text;
    size_t len;
    size_t pos;
    arena *arena;
    char *err;
    size_t err_size;
} json_parser;

static json_value *value_parse(json_parser *p, int depth);

static bool parse_fail(json_parser *p, const char *what) {
    snprintf(p->err, p->err_size, "offset %zu: %s", p->pos, what);
    return false;
}

static void space_skip(json_parser *p) {
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static bool literal_match(json_parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0) return false;
    p->pos += n;
    return true;
}

static json_value *value_new(json_parser *p, json_type type) {
    json_value *v = arena_zalloc(p->arena, sizeof *v);
    if (!v) parse_fail(p, "out of memory");
    else v->type = type;
    return v;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape (p->pos is just after the 'u'). */
static bool hex4_read(json_parser *p, uint32_t *out) {
    if (p->len - p->pos < 4) return parse_fail(p, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p->text[p->pos + (size_t)i]);
        if (d < 0) return parse_fail(p, "bad hex digit in \\u escape");
        v = v << 4 | (uint32_t)d;
    }
    p->pos += 4;
    *out = v;
    return true;
}

static size_t utf8_put(char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A \u escape, joining a surrogate pair when one follows.  A lone
 * surrogate is kept as its own (WTF-8) bytes rather than rejected. */
static bool unicode_escape(json_parser *p, char *out, size_t *n) {
    uint32_t cp;
    if (!hex4_read(p, &cp)) return false;
    if (cp >= 0xD800 && cp < 0xDC00 && p->len - p->pos >= 6 && p->text[p->pos] == '\\' &&
        p->text[p->pos + 1] == 'u') {
        size_t save = p->pos;
        uint32_t low;
        p->pos += 2;
        if (hex4_read(p, &low) && low >= 0xDC00 && low < 0xE000)
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        else
            p->pos = save;
    }
    *n += utf8_put(out + *n, cp);
    return true;
}

static bool escape_read(json_parser *p, char *out, size_t *n) {
    if (p->pos >= p->len) return parse_fail(p, "unterminated string");
    char c = p->text[p->pos++];
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = c ? strchr(from, c) : NULL;
    if (hit) {
        out[(*n)++] = to[hit - from];
        return true;
    }
    if (c == 'u') return unicode_escape(p, out, n);
    return parse_fail(p, "bad escape");
}

/* Decodes a string starting at the opening quote.  The decoded text is
 * never longer than the source, so one allocation of the source's
 * remaining length bound would do; we size by a scan for the end. */
static bool string_read(json_parser *p, const char **chars, size_t *len) {
    size_t start = ++p->pos, end = start;
    while (end < p->len && p->text[end] != '"') end += p->text[end] == '\\' ? 2 : 1;
    if (end >= p->len) return parse_fail(p, "unterminated string");
    char *out = arena_alloc(p->arena, end - start + 1);
    if (!out) return parse_fail(p, "out of memory");
    size_t n = 0;
    while (p->text[p->pos] != '"') {
        char c = p->text[p->pos++];
        if ((unsigned char)c < 0x20) return parse_fail(p, "control character in string");
        if (c != '\\') out[n++] = c;
        else if (!escape_read(p, out, &n)) return false;
    }
    p->pos++;
    out[n] = '\0';
    *chars = out;
    *len = n;
    return true;
}

static json_value *number_parse(json_parser *p) {
    size_t start = p->pos;
    while (p->pos < p->len && strchr("+-0123456789.eE", p->text[p->pos]) && p->text[p->pos])
        p->pos++;
    if (p->pos == start) return parse_fail(p, "unexpected character"), NULL;
    json_value *v = value_new(p, JSON_NUMBER);
    char *copy = arena_alloc(p->arena, p->pos - start + 1);
    if (!v || !copy) return NULL;
    memcpy(copy, p->text + start, p->pos - start);
    copy[p->pos - start] = '\0';
    char *end;
    v->number = strtod(copy, &end);
    if (*end != '\0') return parse_fail(p, "bad number"), NULL;
    v->string = copy;
    v->string_len = p->pos - start;
    return v;
}

/* Parses `[ v, v ]` or `{ "k": v, ... }` (p->pos at the bracket). */
static json_value *container_parse(json_parser *p, int depth, bool is_object) {
    json_value *c = value_new(p, is_object ? JSON_OBJECT : JSON_ARRAY);
    if (!c) return NULL;
    char close = is_object ? '}' : ']';
    json_value **tail = &c->first;
    p->pos++;
    space_skip(p);
    if (p->pos < p->len && p->text[p->pos] == close) {
        p->pos++;
        return c;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        if (is_object) {
            space_skip(p);
            if (p->pos >= p->len || p->text[p->pos] != '"')
                return parse_fail(p, "expected member name"), NULL;
            if (!string_read(p, &key, &key_len)) return NULL;
            space_skip(p);
            if (p->pos >= p->len || p->text[p->pos] != ':')
                return parse_fail(p, "expected ':'"), NULL;
            p->pos++;
        }
        json_value *item = value_parse(p, depth + 1);
        if (!item) return NULL;
        item->key = key;
        item->key_len = key_len;
        *tail = item;
        tail = &item->next;
        c->count++;
        space_skip(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->text[p->pos] == close) {
            p->pos++;
            return c;
        }
        return parse_fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'"), NULL;
    }
}

static json_value *value_parse(json_parser *p, int depth) {
    if (depth > JSON_MAX_DEPTH) return parse_fail(p, "nesting too deep"), NULL;
    space_skip(p);
    if (p->pos >= p->len) return parse_fail(p, "unexpected end"), NULL;
    char c = p->text[p->pos];
    if (c == '{' || c == '[') return container_parse(p, depth, c == '{');
    if (c == '"') {
        json_value *v = value_new(p, JSON_STRING);
        return v && string_read(p, &v->string, &v->string_len) ? v : NULL;
    }
    if (literal_match(p, "null")) return value_new(p, JSON_NULL);
    bool truth = literal_match(p, "true");
    if (truth || literal_match(p, "false")) {
        json_value *v = value_new(p, JSON_BOOL);
        if (v) v->boolean = truth;
        return v;
    }
    return number_parse(p);
}

json_doc *json_parse(const char *text, size_t len, char *err, size_t err_size) {
    json_doc *doc = calloc(1, sizeof *doc);
    arena *a = arena_create();
    if (!doc || !a) {
        snprintf(err, err_size, "out of memory");
        free(doc);
        arena_destroy(a);
        return NULL;
    }
    json_parser p = {.text = text, .len = len, .arena = a, .err = err, .err_size = err_size};
    doc->arena = a;
    doc->root = value_parse(&p, 0);
    if (doc->root) {
        space_skip(&p);
        if (p.pos != p.len) doc->root = NULL, parse_fail(&p, "trailing characters");
    }
    if (!doc->root) {
        json_doc_free(doc);
        return NULL;
    }
    return doc;
}

void json_doc_free(json_doc *doc) {
    if (!doc) return;
    arena_destroy(doc->arena);
    free(doc);
}

const json_value *json_root(const json_doc *doc) { return doc->root; }

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (const json_value *m = obj->first; m; m = m->next)
        if (m->key_len == n && memcmp(m->key, key, n) == 0) return m;
    return NULL;
}

const char *json_get_string(const json_value *obj, const char *key) {
    const json_value *v = json_get(obj, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

double json_get_number(const json_value *obj, const char *key, double fallback) {
    const json_value *v = json_get(obj, key);
    return v && v->type == JSON_NUMBER ? v->number : fallback;
}
