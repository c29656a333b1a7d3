/* actor_host.c - an actor host: thousands of small actors, each an
 * instance of an untrusted actor module (compiled ahead of time by kiln
 * and linked in) taken from a kiln pool, run by a small thread pool.
 * Tokens travel around a ring of actors; each actor counts them in its
 * own key-value store.  At the end the host prints every actor's store.
 *
 *   actor_host [--actors 2000] [--tokens N (default: actors)] [--rounds 1]
 *              [--threads 2] [--hostile ID] [--stats]
 *
 * The actor ABI.  An actor module imports, from module "actor":
 *   kv_get(key_ptr, key_len, val_ptr, val_cap) -> i32
 *       copies at most val_cap bytes of the value of key into memory and
 *       returns the value's length, or -1 if the key is absent;
 *   kv_put(key_ptr, key_len, val_ptr, val_len)
 *       sets key (at most KV_KEY_MAX bytes) to the value (at most
 *       KV_VALUE_MAX bytes; at most KV_ENTRIES keys per actor);
 *   send(actor_id, ptr, len)
 *       enqueues a message (at most MSG_MAX bytes) for another actor;
 * and exports its memory, message_buffer() -> i32 (where the host writes
 * an incoming message, MSG_MAX bytes) and on_message(ptr, len).
 * The store is the actor's own: the host functions find it through the
 * actor the calling thread is running, and check every pointer and
 * length against the calling instance's memory (kiln_instance_memory);
 * a bad one, or a limit exceeded, traps (KILN_TRAP_HOST).
 *
 * Delivery is transactional: the stores an actor writes and the messages
 * it sends while handling a message take effect when on_message returns.
 * If it traps, they are undone (the store) and dropped (the messages),
 * the host counts a restart, frees the instance, creates a fresh one and
 * delivers the same message to it (at most MAX_ATTEMPTS times, then the
 * message is dropped and counted).  The actor's store is KEPT across a
 * restart: it is the actor's durable state, and a trapping message never
 * changes it.  Only the trapping actor is restarted; the others go on.
 *
 * Threads: actor i belongs to worker i * threads / actors, which alone
 * calls into its instance.  Each actor has a mailbox (a list of messages); a worker
 * keeps the list of its actors whose mailbox is not empty, under the
 * worker's lock, and takes a whole mailbox at a time. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "actor_hostile.h"
#include "actor_ring.h"
#include "kiln.h"

#define MSG_MAX 256
#define KV_KEY_MAX 32
#define KV_VALUE_MAX 64
#define KV_ENTRIES 16
#define MAX_EFFECTS 64 /* kv_put and send calls while handling one message */
#define MAX_ATTEMPTS 3 /* deliveries of one message before it is dropped */
#define MAX_THREADS 64
#define MEMORY_PAGES 1 /* the pool's memory slots: one page per actor */

typedef struct msg {
    struct msg *next;
    uint32_t to, len;
    uint8_t data[];
} msg;

typedef struct kv_entry {
    uint8_t key_len, value_len;
    uint8_t key[KV_KEY_MAX];
    uint8_t value[KV_VALUE_MAX];
} kv_entry;

typedef struct actor {
    uint32_t id;
    const kiln_module_desc *desc;
    kiln_instance *inst;
    const kiln_func_ref *on_message;
    uint32_t buffer; /* message_buffer() of the current instance */
    kv_entry *kv;    /* KV_ENTRIES entries, allocated on the first put */
    uint32_t kv_len;
    msg *head, *tail; /* the mailbox, under the owner's lock */
    bool scheduled;   /* on the owner's ready list */
    struct actor *next_ready;
    uint32_t restarts;
} actor;

/* Why a host function trapped (counted per reason). */
enum host_trap {
    HT_KV_GET,
    HT_KV_PUT,
    HT_KV_LIMIT,
    HT_SEND,
    HT_SEND_TARGET,
    HT_EFFECTS,
    HT_COUNT,
};
static const char *const host_trap_text[HT_COUNT] = {
    [HT_KV_GET] = "kv_get: key or value outside the actor's memory",
    [HT_KV_PUT] = "kv_put: key or value outside the actor's memory",
    [HT_KV_LIMIT] = "kv_put: key, value or store too large",
    [HT_SEND] = "send: message outside the actor's memory or too long",
    [HT_SEND_TARGET] = "send: no such actor",
    [HT_EFFECTS] = "too many kv_put or send calls for one message",
};

typedef struct undo {
    actor *a;
    uint32_t index;
    bool existed;
    kv_entry old;
} undo;

typedef struct worker {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    actor *ready, *ready_tail;
    pthread_t thread;
    /* Used by this worker's thread only. */
    actor *current;
    int host_trap; /* the reason of the last host trap, or -1 */
    undo undo[MAX_EFFECTS];
    uint32_t num_undo;
    msg *outbox[MAX_EFFECTS];
    uint32_t num_out;
} worker;

typedef struct host {
    kiln_pool *pool;
    kiln_linker *linker;
    actor *actors;
    uint32_t num_actors;
    worker workers[MAX_THREADS];
    uint32_t num_workers;
    atomic_uint_fast64_t in_flight; /* messages enqueued and not yet handled */
    atomic_bool done;
    atomic_uint_fast64_t delivered, restarts, dropped, spawn_failures;
    atomic_uint_fast64_t traps[KILN_TRAP_KIND_COUNT], host_traps[HT_COUNT];
} host;

static host H;
static _Thread_local worker *self_worker;

static const kiln_signature sig_on_message = {2, 0, (const uint8_t[]){KILN_I32, KILN_I32}, NULL};
static const kiln_signature sig_void_i32 = {0, 1, NULL, (const uint8_t[]){KILN_I32}};
static const kiln_signature sig_kv_get = {4, 1, (const uint8_t[]){KILN_I32, KILN_I32, KILN_I32, KILN_I32},
                                          (const uint8_t[]){KILN_I32}};
static const kiln_signature sig_kv_put = {4, 0, (const uint8_t[]){KILN_I32, KILN_I32, KILN_I32, KILN_I32}, NULL};
static const kiln_signature sig_send = {3, 0, (const uint8_t[]){KILN_I32, KILN_I32, KILN_I32}, NULL};

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---- the capability imports ---------------------------------------------- */

static uint32_t host_trap(worker *w, enum host_trap why) {
    w->host_trap = (int)why;
    kiln_host_trap_message(host_trap_text[why]);
    return KILN_TRAP_HOST;
}

/* The bytes [ptr, ptr + len) of the caller's memory 0, or NULL if they are
 * not all inside it (ptr + len computed in 64 bits: no wrap-around). */
static uint8_t *guest_bytes(kiln_instance *caller, uint32_t ptr, uint32_t len) {
    kiln_memory *mem = kiln_instance_memory(caller, 0);
    if (!mem || (uint64_t)ptr + len > kiln_memory_size(mem)) return NULL;
    return kiln_memory_data(mem) + ptr;
}

static int kv_find(const actor *a, const uint8_t *key, uint32_t len) {
    for (uint32_t i = 0; i < a->kv_len; i++)
        if (a->kv[i].key_len == len && !memcmp(a->kv[i].key, key, len)) return (int)i;
    return -1;
}

static uint32_t host_kv_get(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env;
    worker *w = self_worker;
    uint32_t key_len = (uint32_t)args[1].i32, cap = (uint32_t)args[3].i32;
    const uint8_t *key = guest_bytes(caller, (uint32_t)args[0].i32, key_len);
    uint8_t *out = guest_bytes(caller, (uint32_t)args[2].i32, cap);
    if (!key || !out) return host_trap(w, HT_KV_GET);
    int i = kv_find(w->current, key, key_len);
    if (i < 0) {
        results[0].i32 = -1;
        return KILN_TRAP_NONE;
    }
    const kv_entry *e = &w->current->kv[i];
    memcpy(out, e->value, e->value_len < cap ? e->value_len : cap);
    results[0].i32 = e->value_len;
    return KILN_TRAP_NONE;
}

static uint32_t host_kv_put(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env, (void)results;
    worker *w = self_worker;
    actor *a = w->current;
    uint32_t key_len = (uint32_t)args[1].i32, value_len = (uint32_t)args[3].i32;
    const uint8_t *key = guest_bytes(caller, (uint32_t)args[0].i32, key_len);
    const uint8_t *value = guest_bytes(caller, (uint32_t)args[2].i32, value_len);
    if (!key || !value) return host_trap(w, HT_KV_PUT);
    if (key_len > KV_KEY_MAX || value_len > KV_VALUE_MAX) return host_trap(w, HT_KV_LIMIT);
    if (w->num_undo == MAX_EFFECTS) return host_trap(w, HT_EFFECTS);
    if (!a->kv && !(a->kv = malloc(KV_ENTRIES * sizeof *a->kv))) return host_trap(w, HT_KV_LIMIT);
    int i = kv_find(a, key, key_len);
    if (i < 0 && a->kv_len == KV_ENTRIES) return host_trap(w, HT_KV_LIMIT);
    undo *u = &w->undo[w->num_undo++];
    u->a = a;
    u->existed = i >= 0;
    if (i >= 0) u->old = a->kv[i];
    else {
        i = (int)a->kv_len++;
        a->kv[i].key_len = (uint8_t)key_len;
        memcpy(a->kv[i].key, key, key_len);
    }
    u->index = (uint32_t)i;
    a->kv[i].value_len = (uint8_t)value_len;
    memcpy(a->kv[i].value, value, value_len);
    return KILN_TRAP_NONE;
}

static uint32_t host_send(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)env, (void)results;
    worker *w = self_worker;
    uint32_t to = (uint32_t)args[0].i32, len = (uint32_t)args[2].i32;
    const uint8_t *data = guest_bytes(caller, (uint32_t)args[1].i32, len);
    if (!data || len > MSG_MAX) return host_trap(w, HT_SEND);
    if (to >= H.num_actors) return host_trap(w, HT_SEND_TARGET);
    if (w->num_out == MAX_EFFECTS) return host_trap(w, HT_EFFECTS);
    msg *m = malloc(sizeof *m + len);
    if (!m) return host_trap(w, HT_EFFECTS);
    m->to = to;
    m->len = len;
    memcpy(m->data, data, len);
    w->outbox[w->num_out++] = m;
    return KILN_TRAP_NONE;
}

/* ---- mailboxes ------------------------------------------------------------- */

/* Contiguous blocks of actors per worker: a ring's neighbours then share
 * a thread, and only num_workers of its edges cross threads (with
 * id % num_workers every message would, ~3x slower on 2 threads). */
static worker *owner(uint32_t id) {
    return &H.workers[(uint64_t)id * H.num_workers / H.num_actors];
}

/* Counts the message as in flight before it becomes visible. */
static void enqueue(msg *m) {
    actor *a = &H.actors[m->to];
    worker *w = owner(m->to);
    m->next = NULL;
    atomic_fetch_add(&H.in_flight, 1);
    pthread_mutex_lock(&w->lock);
    if (a->tail) a->tail->next = m;
    else a->head = m;
    a->tail = m;
    if (!a->scheduled) {
        a->scheduled = true;
        a->next_ready = NULL;
        if (w->ready_tail) w->ready_tail->next_ready = a;
        else {
            w->ready = a;
            pthread_cond_signal(&w->wake);
        }
        w->ready_tail = a;
    }
    pthread_mutex_unlock(&w->lock);
}

static void finish_one(void) {
    if (atomic_fetch_sub(&H.in_flight, 1) != 1) return;
    atomic_store(&H.done, true);
    for (uint32_t i = 0; i < H.num_workers; i++) {
        pthread_mutex_lock(&H.workers[i].lock);
        pthread_cond_broadcast(&H.workers[i].wake);
        pthread_mutex_unlock(&H.workers[i].lock);
    }
}

/* ---- instances ------------------------------------------------------------- */

/* A fresh instance for `a`; false (with a message) if it cannot be made. */
static bool actor_spawn(actor *a, char *why, size_t size) {
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_pool_instantiate(H.pool, a->desc, H.linker, NULL, &err);
    if (!inst) {
        snprintf(why, size, "%s", err.message);
        return false;
    }
    const kiln_func_ref *on_message = kiln_instance_export_func(inst, "on_message", 10, &sig_on_message);
    const kiln_func_ref *buffer = kiln_instance_export_func(inst, "message_buffer", 14, &sig_void_i32);
    kiln_val slot[1];
    uint32_t trap;
    kiln_memory *mem = kiln_instance_memory(inst, 0);
    if (!on_message || !buffer || !mem) snprintf(why, size, "not an actor module");
    else if ((trap = kiln_call(inst, buffer, slot)) != KILN_TRAP_NONE)
        snprintf(why, size, "message_buffer: %s", kiln_trap_message());
    else if ((uint64_t)(uint32_t)slot[0].i32 + MSG_MAX > kiln_memory_size(mem))
        snprintf(why, size, "message buffer outside memory");
    else {
        a->inst = inst;
        a->on_message = on_message;
        a->buffer = (uint32_t)slot[0].i32;
        return true;
    }
    kiln_instance_free(inst);
    return false;
}

static void undo_all(worker *w) {
    while (w->num_undo) {
        undo *u = &w->undo[--w->num_undo];
        if (u->existed) u->a->kv[u->index] = u->old;
        else u->a->kv_len--; /* it was appended last: undone in reverse */
    }
}

/* Delivers `m` to `a` (owned by `w`), restarting `a` on a trap. */
static void deliver(worker *w, actor *a, const msg *m) {
    char why[256];
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        if (!a->inst && !actor_spawn(a, why, sizeof why)) {
            fprintf(stderr, "actor_host: actor %u: cannot restart: %s\n", a->id, why);
            atomic_fetch_add(&H.spawn_failures, 1);
            break;
        }
        kiln_memory *mem = kiln_instance_memory(a->inst, 0);
        memcpy(kiln_memory_data(mem) + a->buffer, m->data, m->len);
        w->current = a;
        w->host_trap = -1;
        kiln_val args[2] = {{.i32 = (int32_t)a->buffer}, {.i32 = (int32_t)m->len}};
        uint32_t trap = kiln_call(a->inst, a->on_message, args);
        w->current = NULL;
        if (trap == KILN_TRAP_NONE) {
            w->num_undo = 0;
            for (uint32_t i = 0; i < w->num_out; i++) enqueue(w->outbox[i]);
            w->num_out = 0;
            atomic_fetch_add(&H.delivered, 1);
            return;
        }
        /* Only this actor: undo its effects, give it a fresh instance. */
        undo_all(w);
        for (uint32_t i = 0; i < w->num_out; i++) free(w->outbox[i]);
        w->num_out = 0;
        atomic_fetch_add(&H.traps[trap < KILN_TRAP_KIND_COUNT ? trap : KILN_TRAP_HOST], 1);
        if (trap == KILN_TRAP_HOST && w->host_trap >= 0) atomic_fetch_add(&H.host_traps[w->host_trap], 1);
        atomic_fetch_add(&H.restarts, 1);
        a->restarts++;
        kiln_instance_free(a->inst);
        a->inst = NULL;
    }
    atomic_fetch_add(&H.dropped, 1);
}

static void *worker_run(void *arg) {
    worker *w = arg;
    self_worker = w;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->ready && !atomic_load(&H.done)) pthread_cond_wait(&w->wake, &w->lock);
        if (!w->ready) break;
        actor *a = w->ready;
        if (!(w->ready = a->next_ready)) w->ready_tail = NULL;
        a->scheduled = false;
        msg *m = a->head;
        a->head = a->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        while (m) {
            msg *next = m->next;
            deliver(w, a, m);
            free(m);
            finish_one();
            m = next;
        }
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* ---- main ------------------------------------------------------------------- */

/* VmRSS of this process, in KiB (0 if unknown). */
static unsigned long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lu", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

static uint32_t kv_u32(const actor *a, const char *key) {
    int i = a->kv ? kv_find(a, (const uint8_t *)key, (uint32_t)strlen(key)) : -1;
    uint32_t v = 0;
    if (i >= 0 && a->kv[i].value_len == 4) memcpy(&v, a->kv[i].value, 4);
    return v;
}

static int usage(void) {
    fprintf(stderr, "usage: actor_host [--actors N] [--tokens N] [--rounds N] [--threads N] "
                    "[--hostile ID] [--stats]\n");
    return 2;
}

int main(int argc, char **argv) {
    unsigned long actors = 2000, tokens = 0, rounds = 1, threads = 2, hostile = ULONG_MAX;
    bool stats = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--actors") && i + 1 < argc) actors = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--tokens") && i + 1 < argc) tokens = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--hostile") && i + 1 < argc) hostile = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--stats")) stats = true;
        else return usage();
    }
    if (!tokens) tokens = actors;
    if (actors == 0 || actors > 100000 || tokens > actors || rounds == 0 ||
        (uint64_t)rounds * actors > UINT32_MAX || threads == 0 || threads > MAX_THREADS ||
        (hostile != ULONG_MAX && hostile >= actors))
        return usage();

    unsigned long rss_start = rss_kib();
    /* One-page memory slots: the actor modules are compiled with explicit
     * bounds checks, so a slot needs 64 KiB of address space, not 8 GiB. */
    kiln_pool_config cfg = {.max_instances = (uint32_t)actors,
                            .max_memory_pages = MEMORY_PAGES,
                            .memory_reservation = (uint64_t)MEMORY_PAGES << 16};
    if (!(H.pool = kiln_pool_new(&cfg)) || !(H.linker = kiln_linker_new())) {
        fprintf(stderr, "actor_host: kiln_pool_new failed\n");
        return 1;
    }
    kiln_linker_define_func(H.linker, "actor", "kv_get", &sig_kv_get, host_kv_get, NULL);
    kiln_linker_define_func(H.linker, "actor", "kv_put", &sig_kv_put, host_kv_put, NULL);
    kiln_linker_define_func(H.linker, "actor", "send", &sig_send, host_send, NULL);

    H.num_actors = (uint32_t)actors;
    H.num_workers = (uint32_t)threads;
    for (uint32_t i = 0; i < threads; i++) {
        worker *w = &H.workers[i];
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->wake, NULL);
    }
    if (!(H.actors = calloc(actors, sizeof *H.actors))) return 1;
    unsigned long rss_pool = rss_kib();
    uint64_t t0 = now_ns();
    char why[256];
    for (uint32_t i = 0; i < actors; i++) {
        actor *a = &H.actors[i];
        a->id = i;
        a->desc = i == hostile ? &actor_hostile_module : &actor_ring_module;
        if (!actor_spawn(a, why, sizeof why)) {
            fprintf(stderr, "actor_host: actor %u: %s\n", i, why);
            return 1;
        }
    }
    uint64_t t_spawn = now_ns() - t0;
    unsigned long rss_actors = rss_kib();

    /* Token t starts at actor t * actors / tokens and makes rounds * actors
     * hops, so every actor sees every token `rounds` times. */
    uint32_t ttl = (uint32_t)(rounds * actors - 1);
    atomic_fetch_add(&H.in_flight, 1); /* held until every token is queued */
    for (uint32_t t = 0; t < tokens; t++) {
        msg *m = malloc(sizeof *m + 12);
        if (!m) return 1;
        uint32_t to = (uint32_t)((uint64_t)t * actors / tokens), n = (uint32_t)actors;
        m->to = to;
        m->len = 12;
        memcpy(m->data, &to, 4);
        memcpy(m->data + 4, &n, 4);
        memcpy(m->data + 8, &ttl, 4);
        enqueue(m);
    }
    t0 = now_ns();
    for (uint32_t i = 0; i < threads; i++)
        if ((errno = pthread_create(&H.workers[i].thread, NULL, worker_run, &H.workers[i]))) {
            perror("actor_host: pthread_create");
            return 1;
        }
    finish_one();
    for (uint32_t i = 0; i < threads; i++) pthread_join(H.workers[i].thread, NULL);
    uint64_t t_run = now_ns() - t0;
    unsigned long rss_run = rss_kib();

    for (uint32_t i = 0; i < actors; i++) {
        const actor *a = &H.actors[i];
        printf("actor %u count %u hops %u restarts %u\n", i, kv_u32(a, "count"), kv_u32(a, "hops"),
               a->restarts);
    }
    printf("delivered %llu\n", (unsigned long long)H.delivered);
    printf("restarts %llu\n", (unsigned long long)H.restarts);
    printf("dropped %llu\n", (unsigned long long)H.dropped);
    for (uint32_t k = 1; k < KILN_TRAP_KIND_COUNT; k++)
        if (H.traps[k]) printf("trap %s: %llu\n", kiln_trap_kind_text(k), (unsigned long long)H.traps[k]);
    for (uint32_t k = 0; k < HT_COUNT; k++)
        if (H.host_traps[k]) printf("host trap %s: %llu\n", host_trap_text[k], (unsigned long long)H.host_traps[k]);
    if (stats)
        fprintf(stderr,
                "actor_host: %lu actors (%lu threads): created in %.1f ms (%.1f us each); "
                "VmRSS %lu KiB at start, %lu KiB with the pool, %lu KiB with the actors: "
                "%.1f KiB per actor (%lu KiB after the run: %.1f KiB per actor)\n"
                "actor_host: %llu messages in %.3f s: %.0f messages/s (%lu tokens x %lu rounds)\n",
                actors, threads, t_spawn / 1e6, t_spawn / 1e3 / actors, rss_start, rss_pool,
                rss_actors, (double)(rss_actors - rss_pool) / actors, rss_run,
                (double)(rss_run - rss_pool) / actors,
                (unsigned long long)H.delivered, t_run / 1e9, H.delivered / (t_run / 1e9), tokens,
                rounds);

    for (uint32_t i = 0; i < actors; i++) {
        if (H.actors[i].inst) kiln_instance_free(H.actors[i].inst);
        free(H.actors[i].kv);
    }
    free(H.actors);
    kiln_linker_free(H.linker);
    kiln_pool_free(H.pool);
    return ferror(stdout) || H.spawn_failures ? 1 : 0;
}
