/* types.c - canonical function signature ids, process-wide.
 *
 * call_indirect compares the callee funcref's type_id with the caller
 * module's id for the expected type, so ids must be structural: two
 * modules (or a module and a host function) with the same signature get
 * the same id.  Signatures are interned once and never freed, so an id
 * stays meaningful for as long as any funcref may carry it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "runtime.h"

typedef struct interned_type {
    uint32_t num_params;
    uint32_t num_results;
    uint64_t hash;
    uint8_t *codes; /* params then results, as the ABI spells them */
    uint64_t *keys; /* the same, with reference types made canonical */
} interned_type;

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static interned_type *types; /* id i lives at types[i - 1] */
static uint32_t num_types, cap_types;
/* Open addressing over the ids by hash: 0 is an empty slot; a power of
 * two at least twice num_types. */
static uint32_t *index_slots;
static uint32_t index_cap;

/* A key is the value type's code, or for a reference type beyond funcref
 * and externref KEY_REF | type id << 16 | nullable << 8 | heap, where the
 * type id is canonical, or TYPE_ID_SELF for the type being defined: two
 * types that name themselves the same way are the same type. */
static const uint64_t KEY_REF = 1ull << 63;
enum { TYPE_ID_SELF = UINT32_MAX };

static uint64_t type_hash(uint32_t np, uint32_t nr, const uint64_t *keys) {
    uint64_t h = 1469598103934665603ull ^ np ^ ((uint64_t)nr << 32);
    for (uint32_t i = 0; i < np + nr; i++) h = (h ^ keys[i]) * 1099511628211ull;
    return h;
}

static bool type_equal(const interned_type *t, uint64_t h, uint32_t np, uint32_t nr,
                       const uint64_t *keys) {
    return t->hash == h && t->num_params == np && t->num_results == nr &&
           (np + nr == 0 || memcmp(t->keys, keys, sizeof *keys * (np + nr)) == 0);
}

/* A slot of a hash index: the hash keyed per process and mixed (murmur3's
 * finaliser), so that a module cannot pick names or signatures that
 * share slots.  A type's key hash alone would not do: its low bits depend
 * only on the low bits of the keys, and a reference key's type id sits
 * above bit 16. */
static uint64_t hash_seed;
static pthread_once_t hash_seed_once = PTHREAD_ONCE_INIT;

/* Once per process: two threads hashing first must not pick different
 * seeds, or one's index would be probed with the other's.  The seed comes
 * from the kernel's random source: an address and the time, what it was
 * made of before, are easy to guess (the time to the second, the address
 * up to ASLR's few bits in a library mapped at a known offset), and a
 * module that knows the seed can choose names or signatures that all
 * share one slot, making every lookup a scan.  Only if getrandom fails
 * (a kernel before 3.17, a seccomp filter) is that mix used. */
static void hash_seed_init(void) {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = ((uint64_t)(uintptr_t)&hash_seed * 0x9e3779b97f4a7c15ull) ^ (uint64_t)time(NULL);
    hash_seed = seed | 1;
}

uint32_t hash_slot(uint64_t h, uint32_t cap) {
    pthread_once(&hash_seed_once, hash_seed_init);
    h ^= hash_seed;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h & (cap - 1);
}

static void index_put(uint32_t *slots, uint32_t cap, uint32_t id) {
    uint32_t at = hash_slot(types[id - 1].hash, cap);
    while (slots[at]) at = (at + 1) & (cap - 1);
    slots[at] = id;
}

/* Room in the index for one more id; false when out of memory. */
static bool index_reserve(void) {
    if ((uint64_t)(num_types + 1) * 2 <= index_cap) return true;
    uint32_t cap = index_cap ? index_cap * 2 : 256;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (uint32_t id = 1; id <= num_types; id++) index_put(slots, cap, id);
    free(index_slots);
    index_slots = slots;
    index_cap = cap;
    return true;
}

static uint32_t type_add(uint64_t h, uint32_t np, uint32_t nr, const uint8_t *codes,
                         const uint64_t *keys) {
    if (!index_reserve()) return 0;
    if (num_types == cap_types) {
        uint32_t cap = cap_types ? cap_types * 2 : 64;
        interned_type *bigger = realloc(types, sizeof *types * cap);
        if (!bigger) return 0;
        types = bigger;
        cap_types = cap;
    }
    size_t n = (size_t)np + nr;
    uint8_t *c = malloc(n + 1);
    uint64_t *k = malloc(sizeof *k * (n + 1));
    if (!c || !k) {
        free(c);
        free(k);
        return 0;
    }
    if (n) memcpy(c, codes, n), memcpy(k, keys, sizeof *k * n);
    types[num_types] = (interned_type){np, nr, h, c, k};
    index_put(index_slots, index_cap, ++num_types);
    return num_types;
}

/* A lookup by hash.  Until 6 December this was a scan of every type
 * interned so far, and interning is per type of every module checked or
 * instantiated: a module of 100,000 distinct signatures took 9 s to
 * check and instantiate (1,000,000, the decoder's limit: about 15
 * minutes), and slowed every later instantiation in the process. */
static uint32_t type_intern_keys(uint32_t np, uint32_t nr, const uint8_t *codes,
                                 const uint64_t *keys) {
    uint64_t h = type_hash(np, nr, keys);
    pthread_mutex_lock(&types_lock);
    uint32_t id = 0;
    for (uint32_t at = index_cap ? hash_slot(h, index_cap) : 0; index_cap && index_slots[at] && !id;
         at = (at + 1) & (index_cap - 1))
        if (type_equal(&types[index_slots[at] - 1], h, np, nr, keys)) id = index_slots[at];
    if (!id) id = type_add(h, np, nr, codes, keys);
    pthread_mutex_unlock(&types_lock);
    return id;
}

/* A host signature: ABI codes only, each its own key. */
uint32_t type_intern(uint32_t np, const uint8_t *p, uint32_t nr, const uint8_t *r) {
    size_t n = (size_t)np + nr;
    uint8_t *codes = malloc(n + 1);
    uint64_t *keys = malloc(sizeof *keys * (n + 1));
    uint32_t id = 0;
    if (codes && keys) {
        if (np) memcpy(codes, p, np);
        if (nr) memcpy(codes + np, r, nr);
        for (size_t i = 0; i < n; i++) keys[i] = codes[i];
        id = type_intern_keys(np, nr, codes, keys);
    }
    free(codes);
    free(keys);
    return id;
}

/* ---- reference types ---------------------------------------------------------- */

rt_reftype rt_reftype_of(const kiln_module *m, const uint32_t *ids, uint8_t code) {
    kiln_reftype r = module_reftype(m, code);
    rt_reftype out = {r.heap, r.nullable, 0};
    if (r.heap == KILN_HEAP_TYPE && r.type_index < m->num_types) out.type_id = ids[r.type_index];
    return out;
}

rt_reftype rt_reftype_abi(uint8_t code) {
    uint8_t heap = code == KILN_EXTERNREF ? KILN_HEAP_EXTERN
                   : code == KILN_EXNREF  ? KILN_HEAP_EXN
                                          : KILN_HEAP_FUNC;
    return (rt_reftype){heap, true, 0};
}

bool rt_reftype_sub(rt_reftype a, rt_reftype b) {
    if (a.nullable && !b.nullable) return false;
    if (a.heap == b.heap) return a.heap != KILN_HEAP_TYPE || a.type_id == b.type_id;
    switch (a.heap) {
    case KILN_HEAP_NOFUNC: return b.heap == KILN_HEAP_FUNC || b.heap == KILN_HEAP_TYPE;
    case KILN_HEAP_NOEXTERN: return b.heap == KILN_HEAP_EXTERN;
    case KILN_HEAP_NOEXN: return b.heap == KILN_HEAP_EXN;
    case KILN_HEAP_TYPE: return b.heap == KILN_HEAP_FUNC;
    default: return false;
    }
}

bool rt_ref_fits(rt_reftype t, const void *ref) {
    if (!ref) return t.nullable;
    if (t.heap == KILN_HEAP_NOFUNC || t.heap == KILN_HEAP_NOEXTERN || t.heap == KILN_HEAP_NOEXN)
        return false;
    return t.heap != KILN_HEAP_TYPE || ((const kiln_func_ref *)ref)->type_id == t.type_id;
}

/* The reference type a KEY_REF key of type `self` stands for. */
static rt_reftype key_reftype(uint64_t key, uint32_t self) {
    uint32_t id = (uint32_t)(key >> 16);
    return (rt_reftype){(uint8_t)key, (key >> 8) & 1, id == TYPE_ID_SELF ? self : id};
}

bool type_args_fit(uint32_t id, const kiln_val *args, uint32_t *bad, bool *names_instances) {
    bool ok = true;
    *names_instances = false;
    pthread_mutex_lock(&types_lock);
    if (id && id <= num_types) {
        const interned_type *t = &types[id - 1];
        for (uint32_t i = 0; i < t->num_params && ok; i++) {
            ok = !(t->keys[i] & KEY_REF) || rt_ref_fits(key_reftype(t->keys[i], id), args[i].ref);
            if (!ok) *bad = i;
            if (code_names_instance(t->codes[i]) && args[i].ref) *names_instances = true;
        }
    }
    pthread_mutex_unlock(&types_lock);
    return ok;
}

/* The key of value type `code` in the definition of type `self`; types it
 * names come before it (the validator checked), so their ids are known. */
static uint64_t value_key(const kiln_module *m, const uint32_t *ids, uint32_t self, uint8_t code) {
    if (code < KILN_REFTYPE_FIRST) return code;
    kiln_reftype r = module_reftype(m, code);
    uint64_t id = 0;
    if (r.heap == KILN_HEAP_TYPE)
        id = r.type_index == self ? TYPE_ID_SELF : r.type_index < self ? ids[r.type_index] : 0;
    return KEY_REF | id << 16 | (uint64_t)r.nullable << 8 | r.heap;
}

static uint32_t module_type_intern(const kiln_module *m, const uint32_t *ids, uint32_t index) {
    const kiln_functype *t = &m->types[index];
    size_t n = (size_t)t->num_params + t->num_results;
    uint8_t *codes = malloc(n + 1);
    uint64_t *keys = malloc(sizeof *keys * (n + 1));
    uint32_t id = 0;
    if (codes && keys) {
        for (size_t i = 0; i < n; i++) {
            uint8_t c = i < t->num_params ? t->params[i] : t->results[i - t->num_params];
            codes[i] = module_valtype_abi(m, c);
            keys[i] = value_key(m, ids, index, c);
        }
        id = type_intern_keys(t->num_params, t->num_results, codes, keys);
    }
    free(codes);
    free(keys);
    return id;
}

bool types_intern_module(const kiln_module *m, uint32_t *ids) {
    for (uint32_t i = 0; i < m->num_types; i++)
        if (!(ids[i] = module_type_intern(m, ids, i))) return false;
    return true;
}

bool type_lookup(uint32_t id, kiln_signature *out) {
    pthread_mutex_lock(&types_lock);
    bool ok = id >= 1 && id <= num_types;
    if (ok) {
        const interned_type *t = &types[id - 1];
        *out = (kiln_signature){t->num_params, t->num_results, t->codes,
                                t->codes + t->num_params};
    }
    pthread_mutex_unlock(&types_lock);
    return ok;
}

bool kiln_func_signature(const kiln_func_ref *f, kiln_signature *out) {
    return f && type_lookup(f->type_id, out);
}
