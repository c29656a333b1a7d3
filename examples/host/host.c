/* host.c - a C program that links a kiln-compiled module statically and
 * calls it through the header `kiln compile --header` generated.
 *
 *   wat2wasm calc.wat -o calc.wasm
 *   kiln compile calc.wasm -o calc.o --header calc.h
 *   cc host.c calc.o -I include -lkiln_rt -lkiln_front -lpthread -lm
 *
 * The module imports host.report(i32, i64); the host binds it with a
 * kiln_linker, instantiates calc_module and calls the typed wrappers,
 * each of which returns the trap kind (KILN_TRAP_NONE on success). */
#include <inttypes.h>
#include <stdio.h>

#include "calc.h"
#include "kiln.h"

static uint32_t report(void *env, kiln_instance *caller, const kiln_val *args, kiln_val *results) {
    (void)caller;
    (void)results;
    int *calls = env;
    ++*calls;
    printf("  report: i=%d partial sum=%" PRId64 "\n", args[0].i32, args[1].i64);
    return KILN_TRAP_NONE;
}

static kiln_instance *calc_instantiate(kiln_linker *linker, int *calls) {
    static const uint8_t params[] = {KILN_I32, KILN_I64};
    kiln_signature sig = {2, 0, params, NULL};
    if (!kiln_linker_define_func(linker, "host", "report", &sig, report, calls)) return NULL;
    kiln_instantiate_error err;
    kiln_instance *inst = kiln_instantiate(&calc_module, linker, &err);
    if (!inst) fprintf(stderr, "instantiate: %s\n", err.message);
    return inst;
}

/* Every call is checked: a failing example must not print "ok". */
static int calls_run(kiln_instance *inst, int *calls) {
    int32_t sum, q, r;
    int64_t squares;
    if (calc_call_add(inst, 40, 2, &sum) != KILN_TRAP_NONE || sum != 42) return 1;
    printf("add(40, 2) = %d\n", sum);
    if (calc_call_sum_squares(inst, 4, &squares) != KILN_TRAP_NONE || squares != 30 || *calls != 4)
        return 1;
    printf("sum_squares(4) = %" PRId64 "\n", squares);
    if (calc_call_divmod(inst, 17, 5, &q, &r) != KILN_TRAP_NONE || q != 3 || r != 2) return 1;
    printf("divmod(17, 5) = %d, %d\n", q, r);
    uint32_t trap = calc_call_divide(inst, 1, 0, &q);
    printf("divide(1, 0) traps: %s (%s)\n", kiln_trap_kind_text(trap), kiln_trap_message());
    return trap == KILN_TRAP_INTEGER_DIVIDE_BY_ZERO ? 0 : 1;
}

int main(void) {
    int calls = 0;
    kiln_linker *linker = kiln_linker_new();
    kiln_instance *inst = linker ? calc_instantiate(linker, &calls) : NULL;
    int rc = inst ? calls_run(inst, &calls) : 1;
    puts(rc == 0 ? "ok" : "FAILED");
    if (inst) kiln_instance_free(inst);
    if (linker) kiln_linker_free(linker);
    return rc;
}
