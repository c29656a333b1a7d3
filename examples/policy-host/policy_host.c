/* policy_host.c - an admission-policy host: reads JSON requests, one per
 * line, from stdin and prints one verdict per request ("allow" or
 * "deny: <reason>").  Each request is evaluated by a chain of untrusted
 * policy modules (compiled ahead of time by kiln and linked in), each in
 * a fresh instance from a kiln pool, under a time limit (a watchdog
 * thread interrupts a call that runs too long) and a memory limit (the
 * pool's pages per slot).  A policy that traps or times out denies with
 * "policy error: <trap text>"; the host carries on.
 *
 *   policy_host [--policies images,resources,labels] [--timeout-ms 10]
 *               [--memory-pages 16] [--stats] < requests.jsonl
 *
 * The policy ABI.  A policy exports its memory as "memory",
 * request_buffer() -> i32 (the address of REQUEST_CAP bytes where the
 * host writes the request) and evaluate() -> i32 (0: allow; otherwise
 * the address of a NUL-terminated reason).  The request, little-endian
 * u32 fields at the buffer's address B, strings after them:
 *   B+0 image address, B+4 image length, B+8 cpu_millis, B+12 memory_mb,
 *   B+16 number of labels, B+20 address of the label entries, each
 *   16 bytes: key address, key length, value address, value length.
 * Addresses are absolute (in the instance's memory).
 *
 * The JSON reader understands what the requests use: one flat object
 * whose values are strings, non-negative integers, or (for "labels") an
 * object of strings; other fields are skipped when they are scalars. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln.h"
#include "policy_hostile.h"
#include "policy_images.h"
#include "policy_labels.h"
#include "policy_resources.h"

#define REQUEST_CAP 4096
#define MAX_LABELS 32
#define MAX_CHAIN 8
#define REASON_MAX 200

typedef struct str {
    const char *p;
    size_t n;
} str;

typedef struct request {
    str image;
    uint32_t cpu_millis, memory_mb;
    uint32_t num_labels;
    str label_key[MAX_LABELS], label_value[MAX_LABELS];
} request;

/* ---- the JSON field extractor ---------------------------------------- */

static const char *skip_ws(const char *s) {
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    return s;
}

/* A string without escapes other than \" and \\ (kept as they are: the
 * policies see the raw bytes).  Returns the position after it, or NULL. */
static const char *parse_string(const char *s, str *out) {
    if (*s != '"') return NULL;
    const char *start = ++s;
    while (*s && *s != '"') s += (*s == '\\' && s[1]) ? 2 : 1;
    if (*s != '"') return NULL;
    *out = (str){start, (size_t)(s - start)};
    return s + 1;
}

static const char *parse_uint(const char *s, uint32_t *out) {
    uint64_t v = 0;
    if (*s < '0' || *s > '9') return NULL;
    for (; *s >= '0' && *s <= '9'; s++)
        if ((v = v * 10 + (uint64_t)(*s - '0')) > UINT32_MAX) v = UINT32_MAX;
    *out = (uint32_t)v;
    return s;
}

static const char *parse_labels(const char *s, request *r) {
    if (*s != '{') return NULL;
    for (s = skip_ws(s + 1); *s != '}'; s = skip_ws(s)) {
        str k, v;
        if (!(s = parse_string(s, &k)) || *(s = skip_ws(s)) != ':') return NULL;
        if (!(s = parse_string(skip_ws(s + 1), &v))) return NULL;
        if (r->num_labels == MAX_LABELS) return NULL;
        r->label_key[r->num_labels] = k;
        r->label_value[r->num_labels++] = v;
        if (*(s = skip_ws(s)) == ',') s++;
    }
    return s + 1;
}

static const char *parse_value(const char *s, const str *key, request *r) {
    uint32_t ignored;
    str skipped;
    if (key->n == 5 && !memcmp(key->p, "image", 5)) return parse_string(s, &r->image);
    if (key->n == 10 && !memcmp(key->p, "cpu_millis", 10)) return parse_uint(s, &r->cpu_millis);
    if (key->n == 9 && !memcmp(key->p, "memory_mb", 9)) return parse_uint(s, &r->memory_mb);
    if (key->n == 6 && !memcmp(key->p, "labels", 6)) return parse_labels(s, r);
    if (*s == '"') return parse_string(s, &skipped);
    return parse_uint(s, &ignored);
}

static bool request_parse(const char *line, request *r) {
    memset(r, 0, sizeof *r);
    const char *s = skip_ws(line);
    if (*s != '{') return false;
    for (s = skip_ws(s + 1); *s != '}'; s = skip_ws(s)) {
        str key;
        if (!(s = parse_string(s, &key)) || *(s = skip_ws(s)) != ':') return false;
        if (!(s = parse_value(skip_ws(s + 1), &key, r))) return false;
        if (*(s = skip_ws(s)) == ',') s++;
        else if (*s != '}') return false;
    }
    return *skip_ws(s + 1) == '\0';
}

/* ---- writing the request into an instance ----------------------------- */

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Copies `s` to buf[*used..] and returns its address (base + offset). */
static uint32_t put_str(uint8_t *buf, uint32_t base, uint32_t *used, str s) {
    uint32_t at = *used;
    memcpy(buf + at, s.p, s.n);
    *used += (uint32_t)s.n;
    return base + at;
}

static size_t request_size(const request *r) {
    size_t n = 20 + 4 + 16 * (size_t)r->num_labels + r->image.n;
    for (uint32_t i = 0; i < r->num_labels; i++) n += r->label_key[i].n + r->label_value[i].n;
    return n;
}

/* Writes `r` at buf (the instance's address `base`); it fits (checked). */
static void request_write(const request *r, uint8_t *buf, uint32_t base) {
    uint32_t used = 24 + 16 * r->num_labels;
    put_u32(buf + 0, put_str(buf, base, &used, r->image));
    put_u32(buf + 4, (uint32_t)r->image.n);
    put_u32(buf + 8, r->cpu_millis);
    put_u32(buf + 12, r->memory_mb);
    put_u32(buf + 16, r->num_labels);
    put_u32(buf + 20, base + 24);
    for (uint32_t i = 0; i < r->num_labels; i++) {
        uint8_t *e = buf + 24 + 16 * i;
        put_u32(e + 0, put_str(buf, base, &used, r->label_key[i]));
        put_u32(e + 4, (uint32_t)r->label_key[i].n);
        put_u32(e + 8, put_str(buf, base, &used, r->label_value[i]));
        put_u32(e + 12, (uint32_t)r->label_value[i].n);
    }
}

/* ---- the watchdog: the per-request time limit ------------------------- */

typedef struct watchdog {
    pthread_mutex_t lock;
    kiln_instance *armed; /* the instance being called, or NULL */
    uint64_t deadline_ns;
    uint64_t timeout_ns;
    bool stop;
} watchdog;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Polls every millisecond: cheaper for the calling thread than a timer
 * per call (arming is an uncontended lock).  Interrupts under the lock,
 * so the instance cannot be freed meanwhile. */
static void *watchdog_run(void *arg) {
    watchdog *w = arg;
    const struct timespec tick = {0, 1000000};
    for (;;) {
        nanosleep(&tick, NULL);
        pthread_mutex_lock(&w->lock);
        bool stop = w->stop;
        if (w->armed && now_ns() >= w->deadline_ns) {
            kiln_instance_interrupt(w->armed);
            w->armed = NULL;
        }
        pthread_mutex_unlock(&w->lock);
        if (stop) return NULL;
    }
}

static void watchdog_arm(watchdog *w, kiln_instance *inst) {
    pthread_mutex_lock(&w->lock);
    w->armed = inst;
    w->deadline_ns = now_ns() + w->timeout_ns;
    pthread_mutex_unlock(&w->lock);
}

static void watchdog_disarm(watchdog *w) {
    pthread_mutex_lock(&w->lock);
    w->armed = NULL;
    pthread_mutex_unlock(&w->lock);
}

/* ---- evaluating one policy -------------------------------------------- */

typedef struct policy {
    const char *name;
    const kiln_module_desc *desc;
} policy;

static const policy known_policies[] = {
    {"images", &policy_images_module},
    {"resources", &policy_resources_module},
    {"labels", &policy_labels_module},
    {"hostile", &policy_hostile_module},
};

typedef struct host {
    kiln_pool *pool;
    watchdog dog;
    const policy *chain[MAX_CHAIN];
    size_t chain_len;
} host;

static const kiln_signature sig_void_i32 = {0, 1, NULL, (const uint8_t[]){KILN_I32}};

static bool policy_error(char *verdict, size_t size, const char *what) {
    snprintf(verdict, size, "deny: policy error: %.200s", what);
    return false;
}

/* Calls a () -> i32 export under the time limit. */
static uint32_t call_limited(host *h, kiln_instance *inst, const char *name, uint32_t *result) {
    const kiln_func_ref *f = kiln_instance_export_func(inst, name, strlen(name), &sig_void_i32);
    if (!f) return KILN_EXPORT_MISSING;
    kiln_val slot[1];
    watchdog_arm(&h->dog, inst);
    uint32_t trap = kiln_call(inst, f, slot);
    watchdog_disarm(&h->dog);
    *result = (uint32_t)slot[0].i32;
    return trap;
}

/* The reason at `at`, checked against the memory's bounds; unprintable
 * bytes become '?', since the policy is untrusted. */
static void read_reason(kiln_memory *mem, uint32_t at, char *verdict, size_t size) {
    const uint8_t *data = kiln_memory_data(mem);
    uint64_t len = kiln_memory_size(mem);
    int n = snprintf(verdict, size, "deny: ");
    for (uint64_t i = at; i < len && data[i] && (size_t)n + 1 < size && i - at < REASON_MAX; i++)
        verdict[n++] = data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '?';
    verdict[n] = '\0';
}

/* Evaluates `r` in `inst`; true if it allows, else the verdict is set. */
static bool evaluate_in(host *h, kiln_instance *inst, const request *r, char *verdict,
                        size_t size) {
    kiln_extern e;
    uint32_t base, answer, trap;
    if (!kiln_instance_export(inst, "memory", &e) || e.kind != KILN_EXTERNKIND_MEMORY)
        return policy_error(verdict, size, "no memory export");
    if ((trap = call_limited(h, inst, "request_buffer", &base)) != KILN_TRAP_NONE)
        return policy_error(verdict, size, trap == KILN_EXPORT_MISSING ? "no request_buffer export"
                                                                       : kiln_trap_message());
    if ((uint64_t)base + REQUEST_CAP > kiln_memory_size(e.of.memory))
        return policy_error(verdict, size, "request buffer outside memory");
    request_write(r, kiln_memory_data(e.of.memory) + base, base);
    if ((trap = call_limited(h, inst, "evaluate", &answer)) != KILN_TRAP_NONE)
        return policy_error(verdict, size, trap == KILN_EXPORT_MISSING ? "no evaluate export"
                                                                       : kiln_trap_message());
    if (answer == 0) return true;
    read_reason(e.of.memory, answer, verdict, size);
    return false;
}

/* A fresh instance of `p` for `r`: true if it allows. */
static bool policy_evaluate(host *h, const policy *p, const request *r, char *verdict,
                            size_t size) {
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_pool_instantiate(h->pool, p->desc, NULL, NULL, &err);
    if (!inst) return policy_error(verdict, size, err.message);
    bool allow = evaluate_in(h, inst, r, verdict, size);
    kiln_instance_free(inst);
    return allow;
}

static void request_evaluate(host *h, const char *line, char *verdict, size_t size) {
    request r;
    if (!request_parse(line, &r)) {
        snprintf(verdict, size, "deny: malformed request");
        return;
    }
    if (request_size(&r) > REQUEST_CAP) {
        snprintf(verdict, size, "deny: request too large");
        return;
    }
    for (size_t i = 0; i < h->chain_len; i++)
        if (!policy_evaluate(h, h->chain[i], &r, verdict, size)) return;
    snprintf(verdict, size, "allow");
}

/* Instantiates every policy of the chain at once, then frees them: each
 * module's memory image then sits in a slot of its own, which its later
 * instances find ready (a free slot remembers its image).  Without this,
 * one instance alive at a time means one slot, re-mapped for a different
 * module at every step of the chain (~40 us instead of ~4 us each). */
static void pool_warm(host *h) {
    kiln_instance *warm[MAX_CHAIN];
    kiln_instantiate_error err;
    for (size_t i = 0; i < h->chain_len; i++)
        warm[i] = kiln_pool_instantiate(h->pool, h->chain[i]->desc, NULL, NULL, &err);
    for (size_t i = 0; i < h->chain_len; i++)
        if (warm[i]) kiln_instance_free(warm[i]);
}

/* ---- main --------------------------------------------------------------- */

static bool chain_parse(host *h, char *list) {
    for (char *save, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        const policy *found = NULL;
        for (size_t i = 0; i < sizeof known_policies / sizeof *known_policies; i++)
            if (!strcmp(name, known_policies[i].name)) found = &known_policies[i];
        if (!found || h->chain_len == MAX_CHAIN) {
            fprintf(stderr, "policy_host: unknown policy '%s' (or too many)\n", name);
            return false;
        }
        h->chain[h->chain_len++] = found;
    }
    return h->chain_len > 0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void stats_print(uint64_t *lat, size_t n, uint64_t total_ns, size_t chain_len) {
    if (n == 0) return;
    qsort(lat, n, sizeof *lat, cmp_u64);
    fprintf(stderr,
            "policy_host: %zu requests in %.3f s: %.0f requests/s, latency p50 %.1f us, "
            "p99 %.1f us, max %.1f us (%zu policies per request, each a fresh instance)\n",
            n, total_ns / 1e9, n / (total_ns / 1e9), lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3,
            lat[n - 1] / 1e3, chain_len);
}

static int usage(void) {
    fprintf(stderr, "usage: policy_host [--policies a,b,...] [--timeout-ms N] "
                    "[--memory-pages N] [--stats] < requests.jsonl\n"
                    "policies: images, resources, labels, hostile\n");
    return 2;
}

int main(int argc, char **argv) {
    static host h;
    char default_chain[] = "images,resources,labels";
    char *chain = default_chain;
    unsigned long timeout_ms = 10, pages = 16;
    bool stats = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--policies") && i + 1 < argc) chain = argv[++i];
        else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) timeout_ms = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--memory-pages") && i + 1 < argc) pages = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--stats")) stats = true;
        else return usage();
    }
    if (!chain_parse(&h, chain) || timeout_ms == 0 || pages == 0 || pages > 65536) return usage();

    /* One instance alive at a time, but a slot per policy (pool_warm). */
    kiln_pool_config cfg = {.max_instances = MAX_CHAIN, .max_memory_pages = pages};
    if (!(h.pool = kiln_pool_new(&cfg))) {
        fprintf(stderr, "policy_host: kiln_pool_new failed\n");
        return 1;
    }
    pool_warm(&h);
    pthread_mutex_init(&h.dog.lock, NULL);
    h.dog.timeout_ns = timeout_ms * 1000000u;
    pthread_t dog;
    if ((errno = pthread_create(&dog, NULL, watchdog_run, &h.dog))) {
        perror("policy_host: pthread_create");
        return 1;
    }

    char *line = NULL, verdict[REASON_MAX + 64];
    size_t cap = 0, n = 0, lat_cap = 0;
    uint64_t *lat = NULL, start = now_ns();
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (len == 0) continue;
        uint64_t t0 = now_ns();
        request_evaluate(&h, line, verdict, sizeof verdict);
        if (stats) {
            if (n == lat_cap && !(lat = realloc(lat, (lat_cap = lat_cap ? 2 * lat_cap : 4096) * sizeof *lat)))
                return 1;
            lat[n] = now_ns() - t0;
        }
        n++;
        puts(verdict);
    }
    uint64_t total = now_ns() - start;
    if (stats) stats_print(lat, n, total, h.chain_len);

    pthread_mutex_lock(&h.dog.lock);
    h.dog.stop = true;
    pthread_mutex_unlock(&h.dog.lock);
    pthread_join(dog, NULL);
    free(lat);
    free(line);
    kiln_pool_free(h.pool);
    return ferror(stdout) ? 1 : 0;
}
