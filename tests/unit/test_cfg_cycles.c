/* Unit tests for compiler/cfg_cycles.c on hand-written IR: which blocks
 * lie on a cycle of the CFG (loops, nested loops, self-loops, blocks the
 * entry cannot reach), and a long chain that a recursive walk would not
 * survive. */
#include <stdio.h>
#include <stdlib.h>

#include "ir_fixture.h"

#include "cfg_cycles.h"

/* Whether the named blocks, and only they, are on a cycle. */
static void expect_cycle_blocks(LLVMValueRef fn, const char *const *names, size_t count) {
    ptr_set on_cycle = {0};
    cr_assert(cfg_cycle_blocks(fn, &on_cycle));
    cr_expect_eq(on_cycle.count, count, "%zu blocks on a cycle, expected %zu", on_cycle.count, count);
    for (size_t k = 0; k < count; k++)
        cr_expect(ptr_set_has(&on_cycle, block_named(fn, names[k])), "%s is on a cycle", names[k]);
    ptr_set_free(&on_cycle);
}

Test(cfg_cycles, straight_line_code_has_no_cycle) {
    LLVMValueRef f = parse("define void @f(i1 %c) {\n"
                           "entry:\n  br i1 %c, label %a, label %b\n"
                           "a:\n  br label %join\n"
                           "b:\n  br label %join\n"
                           "join:\n  ret void\n}\n");
    expect_cycle_blocks(f, NULL, 0);
    done();
}

Test(cfg_cycles, loop_blocks_are_on_a_cycle_and_its_exit_is_not) {
    LLVMValueRef f = parse("define void @f(i1 %c) {\n"
                           "entry:\n  br label %head\n"
                           "head:\n  br i1 %c, label %body, label %exit\n"
                           "body:\n  br label %head\n"
                           "exit:\n  ret void\n}\n");
    const char *const names[] = {"head", "body"};
    expect_cycle_blocks(f, names, 2);
    done();
}

Test(cfg_cycles, nested_loops_and_a_self_loop) {
    LLVMValueRef f = parse("define void @f(i1 %c, i1 %d) {\n"
                           "entry:\n  br label %outer\n"
                           "outer:\n  br label %inner\n"
                           "inner:\n  br i1 %d, label %inner, label %latch\n"
                           "latch:\n  br i1 %c, label %outer, label %mid\n"
                           "mid:\n  br label %spin\n"
                           "spin:\n  br i1 %c, label %spin, label %exit\n"
                           "exit:\n  ret void\n}\n");
    const char *const names[] = {"outer", "inner", "latch", "spin"};
    expect_cycle_blocks(f, names, 4);
    done();
}

Test(cfg_cycles, unreachable_loop_counts_and_unreachable_block_does_not) {
    LLVMValueRef f = parse("define void @f(i1 %c) {\n"
                           "entry:\n  ret void\n"
                           "dead:\n  br label %dead2\n"
                           "dead2:\n  br i1 %c, label %dead, label %alone\n"
                           "alone:\n  ret void\n}\n");
    const char *const names[] = {"dead", "dead2"};
    expect_cycle_blocks(f, names, 2);
    done();
}

/* 100,000 blocks in a chain whose last jumps back to the first: all on
 * one cycle, found without recursion. */
Test(cfg_cycles, long_chain_back_to_the_entry_is_one_cycle) {
    enum { BLOCKS = 100000 };
    size_t cap = (size_t)BLOCKS * 32 + 256, len = 0;
    char *ir = malloc(cap);
    cr_assert(ir);
    len += snprintf(ir + len, cap - len, "define void @f(i1 %%c) {\nentry:\n  br label %%b0\n");
    for (int k = 0; k < BLOCKS - 1; k++) len += snprintf(ir + len, cap - len, "b%d:\n  br label %%b%d\n", k, k + 1);
    len += snprintf(ir + len, cap - len, "b%d:\n  br i1 %%c, label %%b0, label %%exit\nexit:\n  ret void\n}\n",
                    BLOCKS - 1);
    LLVMValueRef f = parse(ir);
    free(ir);
    ptr_set on_cycle = {0};
    cr_assert(cfg_cycle_blocks(f, &on_cycle));
    cr_expect_eq(on_cycle.count, BLOCKS);
    cr_expect(!ptr_set_has(&on_cycle, block_named(f, "entry")));
    cr_expect(!ptr_set_has(&on_cycle, block_named(f, "exit")));
    ptr_set_free(&on_cycle);
    done();
}
