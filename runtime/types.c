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

#include "runtime.h"

typedef struct interned_type {
    uint32_t num_params;
    uint32_t num_results;
    uint64_t hash;
    uint8_t *codes; /* params then results */
} interned_type;

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static interned_type *types; /* id i lives at types[i - 1] */
static uint32_t num_types, cap_types;

static uint64_t type_hash(uint32_t np, const uint8_t *p, uint32_t nr, const uint8_t *r) {
    uint64_t h = 1469598103934665603ull ^ np ^ ((uint64_t)nr << 32);
    for (uint32_t i = 0; i < np; i++) h = (h ^ p[i]) * 1099511628211ull;
    h = (h ^ 0xFF) * 1099511628211ull;
    for (uint32_t i = 0; i < nr; i++) h = (h ^ r[i]) * 1099511628211ull;
    return h;
}

static bool type_equal(const interned_type *t, uint64_t h, uint32_t np, const uint8_t *p,
                       uint32_t nr, const uint8_t *r) {
    return t->hash == h && t->num_params == np && t->num_results == nr &&
           (np == 0 || memcmp(t->codes, p, np) == 0) &&
           (nr == 0 || memcmp(t->codes + np, r, nr) == 0);
}

static uint32_t type_add(uint64_t h, uint32_t np, const uint8_t *p, uint32_t nr,
                         const uint8_t *r) {
    if (num_types == cap_types) {
        uint32_t cap = cap_types ? cap_types * 2 : 64;
        interned_type *bigger = realloc(types, sizeof *types * cap);
        if (!bigger) return 0;
        types = bigger;
        cap_types = cap;
    }
    uint8_t *codes = malloc((size_t)np + nr + 1);
    if (!codes) return 0;
    if (np) memcpy(codes, p, np);
    if (nr) memcpy(codes + np, r, nr);
    types[num_types] = (interned_type){np, nr, h, codes};
    return ++num_types;
}

/* A linear scan: modules have few distinct signatures and interning
 * happens once per instantiation, never on a call path. */
uint32_t type_intern(uint32_t np, const uint8_t *p, uint32_t nr, const uint8_t *r) {
    uint64_t h = type_hash(np, p, nr, r);
    pthread_mutex_lock(&types_lock);
    uint32_t id = 0;
    for (uint32_t i = 0; i < num_types && !id; i++)
        if (type_equal(&types[i], h, np, p, nr, r)) id = i + 1;
    if (!id) id = type_add(h, np, p, nr, r);
    pthread_mutex_unlock(&types_lock);
    return id;
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
