/* instance_fixture.h - an instance of a compiled module, or the test
 * fails with the runtime's reason (test_instance.c, test_lower.c,
 * test_signals.c; each had its own copy). */
#ifndef KILN_TEST_INSTANCE_FIXTURE_H
#define KILN_TEST_INSTANCE_FIXTURE_H

#include <criterion/criterion.h>

#include "kiln.h"

static inline kiln_instance *instance_or_fail(const kiln_module_desc *desc, kiln_linker *l) {
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(desc, l, &err);
    cr_assert(inst, "instantiate: %s", err.message);
    return inst;
}

#endif
