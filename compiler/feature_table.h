/* feature_table.h - the KILN_FEATURE_* bits and the feature table, expanded
 * from features.def. */
#ifndef KILN_FEATURE_TABLE_H
#define KILN_FEATURE_TABLE_H

#include <stdbool.h>
#include <stdint.h>

typedef enum kiln_feature_index {
#define KILN_FEATURE(ident, name, state, what) KILN_FEATURE_INDEX_##ident,
#include "features.def"
#undef KILN_FEATURE
    KILN_FEATURE_COUNT
} kiln_feature_index;

/* Bits of kiln_decode_options.features / kiln_module.features. */
enum {
#define KILN_FEATURE(ident, name, state, what) KILN_FEATURE_##ident = 1u << KILN_FEATURE_INDEX_##ident,
#include "features.def"
#undef KILN_FEATURE
};

_Static_assert(KILN_FEATURE_COUNT <= 32, "kiln_decode_options.features is 32 bits");

typedef enum kiln_feature_state {
    KILN_FEATURE_MISSING, /* not supported yet */
    KILN_FEATURE_OFF,     /* works, off unless --enable-NAME (a proposal) */
    KILN_FEATURE_ON,      /* works, on unless --disable-NAME */
} kiln_feature_state;

typedef struct kiln_feature_info {
    const char *name; /* flag name: --disable-NAME */
    uint32_t bit;
    kiln_feature_state state;
    const char *what;
} kiln_feature_info;

extern const kiln_feature_info kiln_feature_table[KILN_FEATURE_COUNT];

/* The features that work and are on unless turned off (the ON rows). */
uint32_t features_default(void);
/* The features that work: ON and OFF rows (--enable-all). */
uint32_t features_implemented(void);
/* Every bit, MISSING ones too: for decoding what a compile already
 * accepted and the 3.0 spec suite. */
uint32_t features_all(void);
/* The row called `name`, or NULL. */
const kiln_feature_info *feature_by_name(const char *name);
/* The row of one bit (NULL if `bit` is not exactly one known bit). */
const kiln_feature_info *feature_by_bit(uint32_t bit);

/* Applies a feature flag to *features: --disable-NAME clears NAME's bit,
 * --enable-NAME sets it, --disable-all clears every bit (WebAssembly 2.0
 * only), --enable-all sets every one that works (ON and OFF rows).  Returns false if `arg` is no
 * such flag; *row is the feature named (NULL for the -all forms). */
bool feature_flag_apply(const char *arg, uint32_t *features, const kiln_feature_info **row);

#endif
