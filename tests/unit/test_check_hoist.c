/* Unit tests for compiler/check_hoist.c on hand-written IR in the shape
 * kiln's -O2 simplification stage and the re-roller leave an explicit-
 * mode loop: `limit = size - width` defined before the loop, each access
 * checked by `br (limit < zext(addr)), trap, ok`.  The base case is
 * versioned; each variant changes one thing the pass must refuse. */
#include <stdio.h>
#include <string.h>

#include "ir_fixture.h"

#include "check_hoist.h"

/* y[j] += a * x[j] over n doubles: x at %xb, y at %yb, pointers stepping
 * by STEP bytes, the counter %i by 1 up to %n. */
#define HEAD(sig)                                                                                  \
    "declare void @kiln_rt_trap(i32)\n"                                                            \
    "declare i32 @grow(i32)\n"                                                                     \
    "define double @f(ptr %base, i64 %size, i32 %n, double %a, i32 %xb, i32 %yb" sig ") {\n"      \
    "entry:\n"                                                                                     \
    "  %limit = add i64 %size, -8\n"                                                               \
    "  br label %loop\n"                                                                           \
    "loop:\n"                                                                                      \
    "  %i = phi i32 [ 0, %entry ], [ %i.next, %latch ]\n"                                          \
    "  %x = phi i32 [ %xb, %entry ], [ %x.next, %latch ]\n"                                        \
    "  %y = phi i32 [ %yb, %entry ], [ %y.next, %latch ]\n"
#define CHECK_X(cmp)                                                                               \
    "  %xz = zext i32 %x to i64\n"                                                                 \
    "  %xbad = " cmp "\n"                                                                          \
    "  br i1 %xbad, label %trap, label %okx\n"                                                     \
    "okx:\n"
#define CHECK_Y                                                                                    \
    "  %yz = zext i32 %y to i64\n"                                                                 \
    "  %ybad = icmp ult i64 %limit, %yz\n"                                                         \
    "  br i1 %ybad, label %trap, label %oky\n"                                                     \
    "oky:\n"
#define BODY                                                                                       \
    "  %xp = getelementptr i8, ptr %base, i64 %xz\n"                                               \
    "  %xv = load double, ptr %xp, align 1\n"                                                      \
    "  %yp = getelementptr i8, ptr %base, i64 %yz\n"                                               \
    "  %yv = load double, ptr %yp, align 1\n"                                                      \
    "  %m = fmul double %xv, %a\n"                                                                 \
    "  %r = fadd double %m, %yv\n"                                                                 \
    "  store double %r, ptr %yp, align 1\n"                                                        \
    "  br label %latch\n"                                                                          \
    "latch:\n"
#define TAIL(step, exit)                                                                           \
    "  %x.next = add i32 %x, " step "\n"                                                           \
    "  %y.next = add i32 %y, " step "\n"                                                           \
    "  %i.next = add i32 %i, 1\n"                                                                  \
    "  %done = " exit "\n"                                                                         \
    "  br i1 %done, label %exit, label %loop\n"                                                    \
    "exit:\n"                                                                                      \
    "  ret double %r\n"                                                                            \
    "trap:\n"                                                                                      \
    "  call void @kiln_rt_trap(i32 1)\n"                                                           \
    "  unreachable\n"                                                                              \
    "}\n"
#define CHECK_X_SLT CHECK_X("icmp slt i64 %limit, %xz")
#define EXIT_EQ "icmp eq i32 %i.next, %n"
#define LOOP HEAD("") CHECK_X_SLT CHECK_Y BODY TAIL("8", EXIT_EQ)

static size_t hoist_ir(const char *ir) {
    return check_hoist_function(parse(ir));
}

static bool name_starts(LLVMBasicBlockRef bb, const char *prefix) {
    return strncmp(LLVMGetBasicBlockName(bb), prefix, strlen(prefix)) == 0;
}

/* Conditional branches to `trap` from blocks whose name starts with prefix. */
static int checks_in(LLVMValueRef fn, const char *prefix) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb)) {
        LLVMValueRef t = LLVMGetBasicBlockTerminator(bb);
        if (!name_starts(bb, prefix) || !LLVMIsConditional(t)) continue;
        for (unsigned s = 0; s < 2; s++) n += strcmp(LLVMGetBasicBlockName(LLVMGetSuccessor(t, s)), "trap") == 0;
    }
    return n;
}

static int blocks_named(LLVMValueRef fn, const char *prefix) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        n += name_starts(bb, prefix);
    return n;
}

Test(check_hoist, versions_a_loop_of_checked_accesses) {
    LLVMValueRef fn = parse(LOOP);
    cr_assert_eq(check_hoist_function(fn), 1);
    cr_assert_not_null(block_named(fn, "hoist.range"));
    cr_assert_eq(blocks_named(fn, "hoist.fast"), 4, "a copy of each block of the loop");
    cr_assert_eq(checks_in(fn, "hoist.fast"), 0, "the copy has no checks");
    cr_assert_eq(checks_in(fn, "loop") + checks_in(fn, "okx"), 2, "the original keeps both");
    /* the copy addresses x and y through i64 induction variables */
    int addr = 0;
    for (LLVMValueRef i = LLVMGetFirstInstruction(block_named(fn, "hoist.fast")); LLVMIsAPHINode(i);
         i = LLVMGetNextInstruction(i))
        addr += LLVMTypeOf(i) == LLVMInt64TypeInContext(ctx);
    cr_assert_eq(addr, 2);
    /* the value after the loop is a phi of both loops' */
    LLVMValueRef phi = LLVMGetFirstInstruction(block_named(fn, "exit"));
    cr_assert(LLVMIsAPHINode(phi));
    cr_assert_eq(LLVMCountIncoming(phi), 2);
    done();
}

/* Instructions of opcode op (and type ty, if not NULL) in the blocks whose
 * name starts with prefix. */
static int insns_in(LLVMValueRef fn, const char *prefix, LLVMOpcode op, LLVMTypeRef ty) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && name_starts(bb, prefix); i = LLVMGetNextInstruction(i))
            n += LLVMGetInstructionOpcode(i) == op && (!ty || LLVMTypeOf(i) == ty);
    return n;
}

Test(check_hoist, the_copy_keeps_no_dead_compares_or_i32_addresses) {
    /* the vectorizer runs before any dead-code pass and counts dead
     * instructions in its cost model (lu's copy was not interleaved) */
    LLVMValueRef fn = parse(LOOP);
    cr_assert_eq(check_hoist_function(fn), 1);
    cr_assert_eq(insns_in(fn, "hoist.fast", LLVMICmp, NULL), 1, "only the exit compare");
    cr_assert_eq(insns_in(fn, "hoist.fast", LLVMPHI, LLVMInt32TypeInContext(ctx)), 1, "only the counter");
    cr_assert_eq(insns_in(fn, "hoist.fast", LLVMZExt, NULL), 0, "the addresses are i64 streams");
    cr_assert_eq(insns_in(fn, "loop", LLVMPHI, LLVMInt32TypeInContext(ctx)), 3, "the original keeps its own");
    done();
}

Test(check_hoist, versions_count_down_loops_and_either_operand_order) {
    cr_assert_eq(hoist_ir(HEAD("") CHECK_X("icmp sgt i64 %xz, %limit") CHECK_Y BODY
                              TAIL("-8", "icmp ne i32 %i.next, %n")),
                 0, "ne that exits on true is a loop that exits on the first unequal");
    done();
    LLVMValueRef fn = parse(HEAD("") CHECK_X("icmp sgt i64 %xz, %limit") CHECK_Y BODY
                                TAIL("-8", EXIT_EQ));
    cr_assert_eq(check_hoist_function(fn), 1);
    done();
}

Test(check_hoist, versions_a_check_of_two_compares) {
    /* a grouped check: below a lower bound or above the limit */
    cr_assert_eq(hoist_ir(HEAD("") "  %xz = zext i32 %x to i64\n"
                                   "  %lo = icmp ult i64 %xz, 16\n"
                                   "  %hi = icmp slt i64 %limit, %xz\n"
                                   "  %xbad = or i1 %lo, %hi\n"
                                   "  br i1 %xbad, label %trap, label %okx\n"
                                   "okx:\n" CHECK_Y BODY TAIL("8", EXIT_EQ)),
                 1);
    done();
}

Test(check_hoist, refuses_calls) {
    cr_assert_eq(hoist_ir(HEAD("") CHECK_X_SLT CHECK_Y "  %g = call i32 @grow(i32 1)\n" BODY
                              TAIL("8", EXIT_EQ)),
                 0);
    done();
}

Test(check_hoist, refuses_a_limit_computed_in_the_loop) {
    /* memory.grow or a host call would make kiln reload the size */
    cr_assert_eq(hoist_ir(HEAD("") "  %lim2 = add i64 %limit, 0\n"
                              CHECK_X("icmp slt i64 %lim2, %xz") CHECK_Y BODY TAIL("8", EXIT_EQ)),
                 0);
    done();
}

Test(check_hoist, refuses_addresses_that_are_not_affine) {
    /* y's address is loaded from memory (a[b[j]]) */
    cr_assert_eq(hoist_ir(HEAD("") CHECK_X_SLT
                              "  %xq = getelementptr i8, ptr %base, i64 %xz\n"
                              "  %yl = load i32, ptr %xq, align 1\n"
                              "  %yz = zext i32 %yl to i64\n"
                              "  %ybad = icmp ult i64 %limit, %yz\n"
                              "  br i1 %ybad, label %trap, label %oky\n"
                              "oky:\n" BODY TAIL("8", EXIT_EQ)),
                 0);
    done();
}

Test(check_hoist, refuses_equality_checks) {
    /* a divide-by-zero style check is not a threshold */
    cr_assert_eq(hoist_ir(HEAD("") CHECK_X("icmp eq i64 %limit, %xz") CHECK_Y BODY
                              TAIL("8", EXIT_EQ)),
                 0);
    done();
}

Test(check_hoist, refuses_64_bit_addresses) {
    /* memory64: an i64 address, not a zero-extended i32 */
    cr_assert_eq(hoist_ir(HEAD("") "  %xz = sext i32 %x to i64\n"
                                   "  %xbad = icmp ult i64 %limit, %xz\n"
                                   "  br i1 %xbad, label %trap, label %okx\n"
                                   "okx:\n" CHECK_Y BODY TAIL("8", EXIT_EQ)),
                 0);
    done();
}

Test(check_hoist, refuses_strides_beyond_2_to_the_30) {
    cr_assert_eq(hoist_ir(HEAD("") CHECK_X_SLT CHECK_Y BODY TAIL("1073741832", EXIT_EQ)), 0);
    done();
}

Test(check_hoist, refuses_exits_that_are_not_equality) {
    cr_assert_eq(hoist_ir(HEAD("") CHECK_X_SLT CHECK_Y BODY TAIL("8", "icmp ult i32 %i.next, %n")), 0);
    done();
}

Test(check_hoist, refuses_volatile_accesses) {
    cr_assert_eq(hoist_ir(HEAD("") CHECK_X_SLT CHECK_Y
                              "  %vp = getelementptr i8, ptr %base, i64 %xz\n"
                              "  %vv = load volatile i8, ptr %vp, align 1\n" BODY TAIL("8", EXIT_EQ)),
                 0);
    done();
}

/* x = xb + (i << 2) for an i64 counter i, truncated; EXIT: the latch's
 * compare, from %i.next, with %n or %n32 */
#define COUNTER_LOOP(exit)                                                                         \
    "declare void @kiln_rt_trap(i32)\n"                                                            \
    "define void @f(ptr %base, i64 %size, i64 %n, i32 %xb, i32 %n32) {\n"                           \
    "entry:\n"                                                                                     \
    "  %limit = add i64 %size, -4\n"                                                               \
    "  br label %loop\n"                                                                           \
    "loop:\n"                                                                                      \
    "  %i = phi i64 [ 0, %entry ], [ %i.next, %ok ]\n"                                             \
    "  %t = trunc nuw i64 %i to i32\n"                                                             \
    "  %s = shl i32 %t, 2\n"                                                                       \
    "  %x = add i32 %s, %xb\n"                                                                     \
    "  %xz = zext i32 %x to i64\n"                                                                 \
    "  %bad = icmp ugt i64 %xz, %limit\n"                                                          \
    "  br i1 %bad, label %trap, label %ok\n"                                                       \
    "ok:\n"                                                                                        \
    "  %p = getelementptr i8, ptr %base, i64 %xz\n"                                                \
    "  store i32 0, ptr %p, align 1\n"                                                             \
    "  %i.next = add nuw nsw i64 %i, 1\n" exit                                                     \
    "  br i1 %done, label %exit, label %loop\n"                                                    \
    "exit:\n"                                                                                      \
    "  ret void\n"                                                                                 \
    "trap:\n"                                                                                      \
    "  call void @kiln_rt_trap(i32 1)\n"                                                           \
    "  unreachable\n"                                                                              \
    "}\n"

Test(check_hoist, versions_addresses_computed_from_a_counter) {
    cr_assert_eq(hoist_ir(COUNTER_LOOP("  %done = icmp eq i64 %i.next, %n\n")), 1);
    done();
}

Test(check_hoist, versions_an_exit_on_a_truncated_counter) {
    /* what indvars leaves of `i = i + 1; br_if (i != n)` with a widened i */
    cr_assert_eq(hoist_ir(COUNTER_LOOP("  %w = trunc i64 %i.next to i32\n"
                                       "  %done = icmp eq i32 %w, %n32\n")),
                 1);
    done();
}
