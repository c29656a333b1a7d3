/* vm - indirect calls through a function-pointer table: a small stack
 * machine whose every opcode is a handler reached through a dispatch table,
 * running a bytecode program that sums the Collatz sequence lengths of
 * 1..n; checked against the same computation in C. */
#include "bench.h"

const struct bench_sizes bench_sizes = { .full = 140000, .quick = 20000, .interp = 400 };

enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_MUL, OP_HALF, OP_ODD, OP_LT, OP_EQ,
       OP_JZ, OP_JMP, OP_HALT, OP_COUNT };

struct vm {
    const int32_t *code;
    uint32_t stack[16];
    int sp;
    uint32_t locals[4];
};

typedef int (*handler)(struct vm *, int pc);

static int op_push(struct vm *m, int pc) { m->stack[m->sp++] = (uint32_t)m->code[pc + 1]; return pc + 2; }
static int op_load(struct vm *m, int pc) { m->stack[m->sp++] = m->locals[m->code[pc + 1]]; return pc + 2; }
static int op_store(struct vm *m, int pc) { m->locals[m->code[pc + 1]] = m->stack[--m->sp]; return pc + 2; }
static int op_add(struct vm *m, int pc) { m->sp--; m->stack[m->sp - 1] += m->stack[m->sp]; return pc + 1; }
static int op_mul(struct vm *m, int pc) { m->sp--; m->stack[m->sp - 1] *= m->stack[m->sp]; return pc + 1; }
static int op_half(struct vm *m, int pc) { m->stack[m->sp - 1] >>= 1; return pc + 1; }
static int op_odd(struct vm *m, int pc) { m->stack[m->sp - 1] &= 1; return pc + 1; }
static int op_lt(struct vm *m, int pc) { m->sp--; m->stack[m->sp - 1] = m->stack[m->sp - 1] < m->stack[m->sp]; return pc + 1; }
static int op_eq(struct vm *m, int pc) { m->sp--; m->stack[m->sp - 1] = m->stack[m->sp - 1] == m->stack[m->sp]; return pc + 1; }
static int op_jz(struct vm *m, int pc) { return m->stack[--m->sp] == 0 ? m->code[pc + 1] : pc + 2; }
static int op_jmp(struct vm *m, int pc) { return m->code[pc + 1]; }
static int op_halt(struct vm *m, int pc) { (void)m; (void)pc; return -1; }

static const handler DISPATCH[OP_COUNT] = {
    op_push, op_load, op_store, op_add, op_mul, op_half, op_odd, op_lt, op_eq, op_jz, op_jmp, op_halt,
};

/* locals: 0 = i, 1 = x, 2 = total, 3 = limit.
 *   i = 1; total = 0
 * outer: if !(i < limit) halt; x = i
 * inner: if x == 1 goto next; total += 1
 *        if odd(x) x = 3x + 1 else x = x / 2; goto inner
 * next:  i += 1; goto outer */
static const int32_t PROGRAM[] = {
    OP_PUSH, 1, OP_STORE, 0, OP_PUSH, 0, OP_STORE, 2,                 /*  0 */
    OP_LOAD, 0, OP_LOAD, 3, OP_LT, OP_JZ, 68, OP_LOAD, 0, OP_STORE, 1, /*  8 outer */
    OP_LOAD, 1, OP_PUSH, 1, OP_EQ, OP_JZ, 28, OP_JMP, 59,             /* 19 inner */
    OP_LOAD, 2, OP_PUSH, 1, OP_ADD, OP_STORE, 2,                       /* 28 */
    OP_LOAD, 1, OP_ODD, OP_JZ, 52,                                     /* 35 */
    OP_LOAD, 1, OP_PUSH, 3, OP_MUL, OP_PUSH, 1, OP_ADD, OP_STORE, 1,   /* 40 odd */
    OP_JMP, 19,                                                       /* 50 */
    OP_LOAD, 1, OP_HALF, OP_STORE, 1, OP_JMP, 19,                      /* 52 even */
    OP_LOAD, 0, OP_PUSH, 1, OP_ADD, OP_STORE, 0, OP_JMP, 8,            /* 59 next */
    OP_HALT,                                                          /* 68 */
};

static void vm_run(struct vm *m)
{
    int pc = 0;
    while (pc >= 0)
        pc = DISPATCH[m->code[pc]](m, pc);
}

static uint32_t collatz_total(uint32_t limit)
{
    uint32_t total = 0;
    for (uint32_t i = 1; i < limit; i++)
        for (uint32_t x = i; x != 1; x = x & 1 ? 3 * x + 1 : x / 2)
            total++;
    return total;
}

uint32_t bench_run(int n)
{
    struct vm m = { .code = PROGRAM, .sp = 0 };
    m.locals[3] = (uint32_t)n;
    vm_run(&m);
    if (m.locals[2] != collatz_total((uint32_t)n) || m.sp != 0)
        bench_fail("vm: bytecode and C disagree");
    return bench_hash(bench_hash(BENCH_HASH_INIT, m.locals[2]), m.locals[0]);
}
