/* values.c - see values.h. */
#include "values.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lane shapes of v128 values, by `lane_type`. */
typedef struct lane_shape {
    const char *name;
    unsigned bytes; /* per lane */
    bool is_float;
} lane_shape;

static const lane_shape lane_shapes[] = {
    {"i8", 1, false}, {"i16", 2, false}, {"i32", 4, false},
    {"i64", 8, false}, {"f32", 4, true},  {"f64", 8, true},
};

static const lane_shape *lane_shape_find(const char *name) {
    for (size_t i = 0; name && i < sizeof lane_shapes / sizeof lane_shapes[0]; i++)
        if (strcmp(lane_shapes[i].name, name) == 0) return &lane_shapes[i];
    return NULL;
}

void *value_extern_ref(unsigned long long n) {
    /* ref.extern 0 must differ from ref.null, so shift by one. */
    return (void *)(uintptr_t)(n + 1);
}

static bool number_parse(const char *s, uint64_t *out) {
    if (!s) return false;
    char *end;
    errno = 0;
    /* Negative numbers appear in hand-written scripts; take their bits. */
    *out = s[0] == '-' ? (uint64_t)strtoll(s, &end, 10) : strtoull(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

static void lane_store(uint8_t *v128, unsigned lane, unsigned bytes, uint64_t bits) {
    for (unsigned b = 0; b < bytes; b++) v128[lane * bytes + b] = (uint8_t)(bits >> (8 * b));
}

static uint64_t lane_load(const uint8_t *v128, unsigned lane, unsigned bytes) {
    uint64_t bits = 0;
    for (unsigned b = 0; b < bytes; b++) bits |= (uint64_t)v128[lane * bytes + b] << (8 * b);
    return bits;
}

static bool v128_parse(const json_value *v, uint8_t *out, char *msg, size_t msg_size) {
    const lane_shape *shape = lane_shape_find(json_get_string(v, "lane_type"));
    const json_value *lanes = json_get(v, "value");
    if (!shape || !lanes || lanes->type != JSON_ARRAY || lanes->count * shape->bytes != 16) {
        snprintf(msg, msg_size, "bad v128 value");
        return false;
    }
    unsigned i = 0;
    for (const json_value *l = lanes->first; l; l = l->next, i++) {
        uint64_t bits;
        if (l->type != JSON_STRING || !number_parse(l->string, &bits)) {
            snprintf(msg, msg_size, "bad v128 lane");
            return false;
        }
        lane_store(out, i, shape->bytes, bits);
    }
    return true;
}

/* Reference types of the JSON form.  A null of any of them is NULL in a
 * kiln_val.  Non-null ones exist in kiln only as funcref, externref and
 * exnref (a caught exception: a result, never an argument); for the
 * others `lacking` says what kiln lacks to produce one. */
typedef struct ref_type {
    const char *name;
    const char *lacking;
} ref_type;

static const char NO_GC[] = "kiln has no GC references";

static const ref_type ref_types[] = {
    {"funcref", NULL},        {"externref", NULL},   {"refnull", NULL},
    {"anyref", NO_GC},        {"eqref", NO_GC},      {"i31ref", NO_GC},
    {"structref", NO_GC},     {"arrayref", NO_GC},   {"hostref", NO_GC},
    {"nullref", NO_GC},       {"nullfuncref", NO_GC}, {"nullexternref", NO_GC},
    {"exnref", NULL},         {"nullexnref", NO_GC},
};

static const ref_type *ref_type_find(const char *name) {
    for (size_t i = 0; name && i < sizeof ref_types / sizeof ref_types[0]; i++)
        if (strcmp(ref_types[i].name, name) == 0) return &ref_types[i];
    return NULL;
}

static bool is_null(const char *text) { return text && strcmp(text, "null") == 0; }

static bool ref_parse(const ref_type *rt, const char *text, kiln_val *out, char *msg,
                      size_t msg_size) {
    uint64_t n;
    if (!text || is_null(text)) {
        out->ref = NULL;
        return true;
    }
    if (strcmp(rt->name, "externref") != 0 || !number_parse(text, &n)) {
        snprintf(msg, msg_size, "unsupported %s argument '%s'%s%s", rt->name, text,
                 rt->lacking ? ": " : "", rt->lacking ? rt->lacking : "");
        return false;
    }
    out->ref = value_extern_ref(n);
    return true;
}

bool value_parse(const json_value *v, kiln_val *out, char *msg, size_t msg_size) {
    const char *type = json_get_string(v, "type");
    const char *text = json_get_string(v, "value");
    uint64_t bits = 0;
    memset(out, 0, sizeof *out);
    if (!type) return snprintf(msg, msg_size, "value without type"), false;
    if (strcmp(type, "v128") == 0) return v128_parse(v, out->v128, msg, msg_size);
    const ref_type *rt = ref_type_find(type);
    if (rt) return ref_parse(rt, text, out, msg, msg_size);
    if (!number_parse(text, &bits)) {
        snprintf(msg, msg_size, "bad %s value '%s'", type, text ? text : "");
        return false;
    }
    if (strcmp(type, "i32") == 0 || strcmp(type, "f32") == 0) {
        uint32_t b32 = (uint32_t)bits;
        memcpy(out, &b32, 4);
    } else if (strcmp(type, "i64") == 0 || strcmp(type, "f64") == 0) {
        memcpy(out, &bits, 8);
    } else {
        snprintf(msg, msg_size, "unknown value type '%s'", type);
        return false;
    }
    return true;
}

/* Float bits against an expectation that may be a NaN pattern.
 * canonical: only the quiet bit set in the payload, either sign;
 * arithmetic: the quiet bit set, any payload, either sign. */
static bool float_matches(const char *expected, uint64_t got, unsigned bytes) {
    uint64_t quiet = bytes == 4 ? 0x7FC00000u : 0x7FF8000000000000u;
    uint64_t abs = got & (bytes == 4 ? 0x7FFFFFFFu : 0x7FFFFFFFFFFFFFFFu);
    if (strcmp(expected, "nan:canonical") == 0) return abs == quiet;
    if (strcmp(expected, "nan:arithmetic") == 0) return (got & quiet) == quiet;
    uint64_t bits;
    if (!number_parse(expected, &bits)) return false;
    return bytes == 4 ? (uint32_t)bits == (uint32_t)got : bits == got;
}

static bool v128_matches(const json_value *v, const uint8_t *got) {
    const lane_shape *shape = lane_shape_find(json_get_string(v, "lane_type"));
    const json_value *lanes = json_get(v, "value");
    if (!shape || !lanes || lanes->type != JSON_ARRAY || lanes->count * shape->bytes != 16)
        return false;
    uint64_t mask = shape->bytes == 8 ? ~0ull : (1ull << (8 * shape->bytes)) - 1;
    unsigned i = 0;
    for (const json_value *l = lanes->first; l; l = l->next, i++) {
        uint64_t bits = lane_load(got, i, shape->bytes), want;
        if (l->type != JSON_STRING) return false;
        if (shape->is_float) {
            if (!float_matches(l->string, bits, shape->bytes)) return false;
        } else if (!number_parse(l->string, &want) || (want & mask) != bits) {
            return false;
        }
    }
    return true;
}

/* Only what value_unsupported lets through gets here: a null pattern, or
 * a funcref / externref / exnref one. */
static bool ref_matches(const ref_type *rt, const char *text, const void *got) {
    uint64_t n;
    if (is_null(text)) return got == NULL; /* any null, as the reference interpreter */
    if (rt->lacking) return false;
    if (!text || strcmp(rt->name, "externref") != 0) return got != NULL; /* any non-null one */
    return number_parse(text, &n) && got == value_extern_ref(n);
}

static bool is_number_type(const char *type) {
    return strcmp(type, "i32") == 0 || strcmp(type, "i64") == 0 || strcmp(type, "f32") == 0 ||
           strcmp(type, "f64") == 0;
}

const char *value_unsupported(const json_value *v) {
    static char why[160];
    const char *type = json_get_string(v, "type");
    const char *text = json_get_string(v, "value");
    if (!type) return "a value without type";
    if (strcmp(type, "either") == 0) {
        const json_value *alts = json_get(v, "values");
        if (!alts || alts->type != JSON_ARRAY || alts->count == 0) return "an empty either";
        for (const json_value *a = alts->first; a; a = a->next) {
            const char *reason = value_unsupported(a);
            if (reason) return reason;
        }
        return NULL;
    }
    if (strcmp(type, "v128") == 0) return NULL;
    if (is_number_type(type)) return text ? NULL : "a result type, not a value";
    const ref_type *rt = ref_type_find(type);
    if (!rt) {
        snprintf(why, sizeof why, "value type \"%s\" (unknown to kiln-spec)", type);
        return why;
    }
    if (is_null(text) || !rt->lacking) return NULL;
    /* (ref.any), (ref.eq), ..., (ref.host N): "anyref" -> "any". */
    int stem = (int)strlen(type) - 3;
    snprintf(why, sizeof why, "the pattern (ref.%.*s%s%s): %s", stem, type, text ? " " : "",
             text ? text : "", rt->lacking);
    return why;
}

bool value_matches(const json_value *v, const kiln_val *got) {
    const char *type = json_get_string(v, "type");
    const char *text = json_get_string(v, "value");
    if (!type) return false;
    if (strcmp(type, "either") == 0) {
        const json_value *alts = json_get(v, "values");
        for (const json_value *a = alts ? alts->first : NULL; a; a = a->next)
            if (value_matches(a, got)) return true;
        return false;
    }
    if (strcmp(type, "v128") == 0) return v128_matches(v, got->v128);
    const ref_type *rt = ref_type_find(type);
    if (rt) return ref_matches(rt, text, got->ref);
    if (!text) return false;
    uint32_t b32;
    uint64_t b64;
    memcpy(&b32, got, 4);
    memcpy(&b64, got, 8);
    if (strcmp(type, "f32") == 0) return float_matches(text, b32, 4);
    if (strcmp(type, "f64") == 0) return float_matches(text, b64, 8);
    uint64_t want;
    if (!number_parse(text, &want)) return false;
    if (strcmp(type, "i32") == 0) return (uint32_t)want == b32;
    if (strcmp(type, "i64") == 0) return want == b64;
    return false;
}

/* A bounded text being appended to (failure messages). */
typedef struct text_buf {
    char *out;
    size_t size, len;
} text_buf;

static void text_add(text_buf *b, const char *s) {
    if (b->len + 1 >= b->size) return;
    snprintf(b->out + b->len, b->size - b->len, "%s", s);
    b->len += strlen(b->out + b->len);
}

/* "i32:42", "funcref:(non-null)", "v128:i32[1 2 3 4]", "either(A | B)". */
static void describe_into(const json_value *v, text_buf *b) {
    const char *type = json_get_string(v, "type");
    const char *text = json_get_string(v, "value");
    bool either = type && strcmp(type, "either") == 0;
    const json_value *list = json_get(v, either ? "values" : "value");
    text_add(b, either ? "either(" : type ? type : "?");
    if (!either && (!list || list->type != JSON_ARRAY)) {
        text_add(b, ":");
        text_add(b, text ? text : "(non-null)");
        return;
    }
    if (!either) {
        text_add(b, ":");
        text_add(b, json_get_string(v, "lane_type") ? json_get_string(v, "lane_type") : "?");
        text_add(b, "[");
    }
    for (const json_value *e = list ? list->first : NULL; e; e = e->next) {
        if (e != list->first) text_add(b, either ? " | " : " ");
        if (either) describe_into(e, b);
        else text_add(b, e->type == JSON_STRING ? e->string : "?");
    }
    text_add(b, either ? ")" : "]");
}

void value_describe(const json_value *v, char *out, size_t size) {
    if (size == 0) return;
    out[0] = '\0';
    text_buf b = {out, size, 0};
    describe_into(v, &b);
}

void value_format(const json_value *v, const kiln_val *slot, char *out, size_t size) {
    const char *type = json_get_string(v, "type");
    if (type && strcmp(type, "either") == 0) { /* shown as its first alternative's type */
        const json_value *alts = json_get(v, "values");
        if (alts && alts->first) value_format(alts->first, slot, out, size);
        else snprintf(out, size, "?");
        return;
    }
    uint32_t b32;
    uint64_t b64;
    memcpy(&b32, slot, 4);
    memcpy(&b64, slot, 8);
    if (!type) type = "?";
    if (strcmp(type, "i32") == 0 || strcmp(type, "f32") == 0)
        snprintf(out, size, "%s:%" PRIu32 " (0x%08" PRIx32 ")", type, b32, b32);
    else if (strcmp(type, "i64") == 0 || strcmp(type, "f64") == 0)
        snprintf(out, size, "%s:%" PRIu64 " (0x%016" PRIx64 ")", type, b64, b64);
    else if (strcmp(type, "v128") == 0) {
        size_t n = (size_t)snprintf(out, size, "v128:");
        for (int i = 0; i < 16 && n + 3 < size; i++)
            n += (size_t)snprintf(out + n, size - n, "%02x", slot->v128[i]);
    } else
        snprintf(out, size, "%s:%p", type, slot->ref);
}
