/* feature_table.c - the feature table (features.def) and its lookups. */
#include "feature_table.h"

#include <string.h>

const kiln_feature_info kiln_feature_table[KILN_FEATURE_COUNT] = {
#define KILN_FEATURE(ident, name, state, what) {name, KILN_FEATURE_##ident, KILN_FEATURE_##state, what},
#include "features.def"
#undef KILN_FEATURE
};

static uint32_t features_at_least(kiln_feature_state state) {
    uint32_t bits = 0;
    for (int i = 0; i < KILN_FEATURE_COUNT; i++)
        if (kiln_feature_table[i].state >= state) bits |= kiln_feature_table[i].bit;
    return bits;
}

uint32_t features_default(void) { return features_at_least(KILN_FEATURE_ON); }

uint32_t features_implemented(void) { return features_at_least(KILN_FEATURE_OFF); }

uint32_t features_all(void) {
    return UINT32_MAX >> (32 - KILN_FEATURE_COUNT);
}

const kiln_feature_info *feature_by_name(const char *name) {
    for (int i = 0; i < KILN_FEATURE_COUNT; i++)
        if (strcmp(kiln_feature_table[i].name, name) == 0) return &kiln_feature_table[i];
    return NULL;
}

const kiln_feature_info *feature_by_bit(uint32_t bit) {
    for (int i = 0; i < KILN_FEATURE_COUNT; i++)
        if (kiln_feature_table[i].bit == bit) return &kiln_feature_table[i];
    return NULL;
}

bool feature_flag_apply(const char *arg, uint32_t *features, const kiln_feature_info **row) {
    *row = NULL;
    bool enable = strncmp(arg, "--enable-", 9) == 0;
    if (!enable && strncmp(arg, "--disable-", 10) != 0) return false;
    const char *name = arg + (enable ? 9 : 10);
    if (strcmp(name, "all") == 0) {
        *features = enable ? *features | features_implemented() : 0;
        return true;
    }
    *row = feature_by_name(name);
    if (!*row) return false;
    *features = enable ? *features | (*row)->bit : *features & ~(*row)->bit;
    return true;
}
