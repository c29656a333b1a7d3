/* spectest.h - the spec suite's `spectest` host module (see spectest.c). */
#ifndef KILN_SPEC_SPECTEST_H
#define KILN_SPEC_SPECTEST_H

#include <stdbool.h>

#include "kiln.h"

typedef struct spectest {
    kiln_memory *memory;
    kiln_memory *shared_memory; /* threads: (memory 1 2 shared) */
    kiln_table *table;
    kiln_table *table64; /* the 3.0 suite's i64-indexed twin of `table` */
    kiln_global_inst *globals[4];
} spectest;

/* Creates the objects and defines everything under module "spectest". */
bool spectest_define(spectest *s, kiln_linker *l);
/* Drops the host's references (instances that imported them keep theirs). */
void spectest_free(spectest *s);

#endif
