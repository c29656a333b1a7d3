/* host.c - a C program that embeds a module kiln compiled ahead of time,
 * through the header `kiln compile --header` wrote for it (calc.h).
 * Built against an installed kiln with CMake (CMakeLists.txt here:
 * find_package(kiln) + kiln_add_wasm_library), with pkg-config or with a
 * plain cc line (Makefile here); see docs/embedding.md.
 *
 * The module imports host.report(i32, i64): the host implements
 * calc_import_host_report with C types and defines it with
 * calc_define_imports.  calc_bind resolves the exports once per instance;
 * each typed call returns KILN_TRAP_NONE or the trap kind. */
#include <inttypes.h>
#include <stdio.h>

#include "calc.h"
#include "kiln.h"

uint32_t calc_import_host_report(void *env, kiln_instance *caller, int32_t i, int64_t partial) {
    (void)caller;
    int *calls = env;
    ++*calls;
    printf("  report: i=%d partial sum=%" PRId64 "\n", i, partial);
    return KILN_TRAP_NONE;
}

static kiln_instance *calc_instantiate(kiln_linker *linker, int *calls) {
    if (!calc_define_imports(linker, calls)) return NULL;
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(&calc_module, linker, &err);
    if (!inst) fprintf(stderr, "instantiate: %s\n", err.message);
    return inst;
}

/* Every call is checked: a failing example must not print "ok". */
static int calls_run(const calc_exports *calc, int *calls) {
    int32_t sum, q, r;
    int64_t squares;
    if (calc_add(calc, 40, 2, &sum) != KILN_TRAP_NONE || sum != 42) return 1;
    printf("add(40, 2) = %d\n", sum);
    if (calc_sum_squares(calc, 4, &squares) != KILN_TRAP_NONE || squares != 30 || *calls != 4)
        return 1;
    printf("sum_squares(4) = %" PRId64 "\n", squares);
    if (calc_divmod(calc, 17, 5, &q, &r) != KILN_TRAP_NONE || q != 3 || r != 2) return 1;
    printf("divmod(17, 5) = %d, %d\n", q, r);
    uint32_t trap = calc_divide(calc, 1, 0, &q);
    printf("divide(1, 0) traps: %s (%s)\n", kiln_trap_kind_text(trap), kiln_trap_message());
    return trap == KILN_TRAP_INTEGER_DIVIDE_BY_ZERO ? 0 : 1;
}

int main(void) {
    int calls = 0;
    kiln_linker *linker = kiln_linker_new();
    kiln_instance *inst = linker ? calc_instantiate(linker, &calls) : NULL;
    calc_exports calc;
    int rc = inst && calc_bind(inst, &calc) == KILN_TRAP_NONE ? calls_run(&calc, &calls) : 1;
    puts(rc == 0 ? "ok" : "FAILED");
    if (inst) kiln_instance_free(inst);
    if (linker) kiln_linker_free(linker);
    return rc;
}
