/* test_json.c - the spec runner's JSON reader (tests/spec/json.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "json.h"

static json_doc *parse_ok(const char *text) {
    char err[128] = "";
    json_doc *doc = json_parse(text, strlen(text), err, sizeof err);
    cr_assert_not_null(doc, "parse failed: %s", err);
    return doc;
}

static void parse_fails(const char *text, const char *why_contains) {
    char err[128] = "";
    json_doc *doc = json_parse(text, strlen(text), err, sizeof err);
    cr_assert_null(doc, "accepted: %s", text);
    cr_assert(strstr(err, why_contains), "error '%s' lacks '%s'", err, why_contains);
}

Test(json, reads_a_wast2json_command) {
    json_doc *doc = parse_ok(
        "{\"commands\": [{\"type\": \"assert_return\", \"line\": 85, \"action\": "
        "{\"type\": \"invoke\", \"field\": \"f\", \"args\": [{\"type\": \"i32\", "
        "\"value\": \"13\"}]}, \"expected\": []}]}");
    const json_value *cmds = json_get(json_root(doc), "commands");
    cr_assert_eq(cmds->type, JSON_ARRAY);
    cr_assert_eq(cmds->count, 1);
    const json_value *c = cmds->first;
    cr_assert_str_eq(json_get_string(c, "type"), "assert_return");
    cr_assert_eq(json_get_number(c, "line", -1), 85);
    const json_value *args = json_get(json_get(c, "action"), "args");
    cr_assert_eq(args->count, 1);
    cr_assert_str_eq(json_get_string(args->first, "value"), "13");
    cr_assert_eq(json_get(c, "expected")->count, 0);
    json_doc_free(doc);
}

Test(json, missing_members_are_null_or_fallback) {
    json_doc *doc = parse_ok("{\"a\": 1}");
    cr_assert_null(json_get(json_root(doc), "b"));
    cr_assert_null(json_get_string(json_root(doc), "a")); /* a number, not a string */
    cr_assert_eq(json_get_number(json_root(doc), "b", 7), 7);
    json_doc_free(doc);
}

Test(json, decodes_escapes_and_keeps_embedded_nul) {
    json_doc *doc = parse_ok("[\"a\\u0000b\\n\\\"\\\\\\/\"]");
    const json_value *s = json_root(doc)->first;
    cr_assert_eq(s->string_len, 7);
    cr_assert_eq(memcmp(s->string, "a\0b\n\"\\/", 7), 0);
    json_doc_free(doc);
}

Test(json, joins_surrogate_pairs_into_utf8) {
    /* U+1F600 as a surrogate pair, and U+00E9 as one escape. */
    json_doc *doc = parse_ok("[\"\\ud83d\\ude00\\u00e9\"]");
    const json_value *s = json_root(doc)->first;
    cr_assert_eq(s->string_len, 6);
    cr_assert_eq(memcmp(s->string, "\xF0\x9F\x98\x80\xC3\xA9", 6), 0);
    json_doc_free(doc);
}

Test(json, reads_literals_and_numbers) {
    json_doc *doc = parse_ok(" [true, false, null, -12.5e1, 0] ");
    const json_value *v = json_root(doc)->first;
    cr_assert(v->type == JSON_BOOL && v->boolean);
    v = v->next;
    cr_assert(v->type == JSON_BOOL && !v->boolean);
    v = v->next;
    cr_assert_eq(v->type, JSON_NULL);
    v = v->next;
    cr_assert_eq(v->number, -125.0);
    cr_assert_eq(v->next->number, 0.0);
    cr_assert_null(v->next->next);
    json_doc_free(doc);
}

Test(json, rejects_malformed_documents) {
    parse_fails("{\"a\": 1", "expected ',' or '}'");
    parse_fails("[1 2]", "expected ',' or ']'");
    parse_fails("\"abc", "unterminated string");
    parse_fails("[\"\\x\"]", "bad escape");
    parse_fails("[\"\\u12\"]", "\\u escape");
    parse_fails("{} x", "trailing characters");
    parse_fails("", "unexpected end");
}

Test(json, bounds_nesting_depth) {
    char deep[JSON_MAX_DEPTH * 2 + 8];
    size_t n = 0;
    for (int i = 0; i < JSON_MAX_DEPTH + 2; i++) deep[n++] = '[';
    deep[n] = '\0';
    parse_fails(deep, "nesting too deep");
}
