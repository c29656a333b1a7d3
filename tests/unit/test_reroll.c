/* Unit tests for compiler/reroll.c on hand-written IR in the shape kiln's
 * -O2 simplification stage leaves a loop that clang unrolled by 2 (or 4)
 * for wasm32: i32 addresses zero-extended onto the memory base, the guard-
 * mode load sink as an xor recurrence, copy 2 at `p + 8`.  Each variant
 * changes one thing the re-roller must refuse. */
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <string.h>

#include "ir_fixture.h"

#include "pipeline.h"
#include "reroll.h"

#define HEAD                                                                                       \
    "declare void @use(double, i64)\n"                                                             \
    "declare double @opaque(double)\n"                                                             \
    "define void @f(ptr %base, i32 %n, double %a, i32 %c0, i32 %b0) {\n"                           \
    "entry:\n"                                                                                     \
    "  %even = and i32 %n, -2\n"                                                                   \
    "  br label %loop\n"                                                                           \
    "loop:\n"                                                                                      \
    "  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]\n"                                           \
    "  %c = phi i32 [ %c0, %entry ], [ %c.next, %loop ]\n"                                         \
    "  %b = phi i32 [ %b0, %entry ], [ %b.next, %loop ]\n"                                         \
    "  %s = phi i64 [ 0, %entry ], [ %s2, %loop ]\n"
#define COPY1                                                                                      \
    "  %bz = zext i32 %b to i64\n"                                                                 \
    "  %bp = getelementptr i8, ptr %base, i64 %bz\n"                                               \
    "  %bv = load double, ptr %bp, align 1\n"                                                      \
    "  %bx = bitcast double %bv to i64\n"                                                          \
    "  %s1 = xor i64 %s, %bx\n"                                                                    \
    "  %m = fmul double %bv, %a\n"                                                                 \
    "  %cz = zext i32 %c to i64\n"                                                                 \
    "  %cp = getelementptr i8, ptr %base, i64 %cz\n"                                               \
    "  %cv = load double, ptr %cp, align 1\n"                                                      \
    "  %r = fadd double %m, %cv\n"                                                                 \
    "  store double %r, ptr %cp, align 1\n"
#define ROOTS                                                                                      \
    "  %c8 = add i32 %c, 8\n"                                                                      \
    "  %b8 = add i32 %b, 8\n"
#define COPY2_LOADS(mul)                                                                           \
    "  %bz2 = zext i32 %b8 to i64\n"                                                               \
    "  %bp2 = getelementptr i8, ptr %base, i64 %bz2\n"                                             \
    "  %bv2 = load double, ptr %bp2, align 1\n"                                                    \
    "  %bx2 = bitcast double %bv2 to i64\n"                                                        \
    "  %s2 = xor i64 %s1, %bx2\n"                                                                  \
    "  %m2 = " mul "\n"                                                                            \
    "  %cz2 = zext i32 %c8 to i64\n"                                                               \
    "  %cp2 = getelementptr i8, ptr %base, i64 %cz2\n"                                             \
    "  %cv2 = load double, ptr %cp2, align 1\n"                                                    \
    "  %r2 = fadd double %m2, %cv2\n"
#define COPY2_STORE "  store double %r2, ptr %cp2, align 1\n"
#define COPY2 COPY2_LOADS("fmul double %bv2, %a") COPY2_STORE
#define TAIL(step, after)                                                                          \
    "  %c.next = add i32 %c, 16\n"                                                                 \
    "  %b.next = add i32 %b, 16\n"                                                                 \
    "  %i.next = add i32 %i, " step "\n"                                                           \
    "  %done = icmp eq i32 %i.next, %even\n"                                                       \
    "  br i1 %done, label %exit, label %loop\n"                                                    \
    "exit:\n"                                                                                      \
    "  %last = phi double [ " after ", %loop ]\n"                                                  \
    "  %sx = phi i64 [ %s2, %loop ]\n"                                                             \
    "  call void @use(double %last, i64 %sx)\n"                                                    \
    "  ret void\n"                                                                                 \
    "}\n"

static int count_opcode(LLVMBasicBlockRef bb, LLVMOpcode op) {
    int n = 0;
    for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i))
        n += LLVMGetInstructionOpcode(i) == op;
    return n;
}

/* The step of the induction variable named `name` in the loop's header. */
static long long step_of(LLVMBasicBlockRef loop, const char *name) {
    for (LLVMValueRef i = LLVMGetFirstInstruction(loop); i && LLVMIsAPHINode(i); i = LLVMGetNextInstruction(i)) {
        size_t len;
        if (strcmp(LLVMGetValueName2(i, &len), name) != 0) continue;
        for (unsigned k = 0; k < LLVMCountIncoming(i); k++) {
            LLVMValueRef next = LLVMGetIncomingValue(i, k);
            if (LLVMIsAInstruction(next) && LLVMGetOperand(next, 0) == i)
                return LLVMConstIntGetSExtValue(LLVMGetOperand(next, 1));
        }
    }
    return 0;
}

/* The IR with the first `from` after `at` overwritten by `to` (as long). */
static LLVMValueRef parse_edited(const char *ir, const char *at, const char *from, const char *to) {
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s", ir);
    char *p = strstr(buf, at);
    cr_assert_not_null(p);
    p = strstr(p, from);
    cr_assert(p && strlen(from) == strlen(to));
    memcpy(p, to, strlen(to));
    return parse(buf);
}

static size_t reroll_ir(const char *ir) {
    LLVMValueRef fn = parse(ir);
    return reroll_function(fn);
}

Test(reroll, even_bound_rerolls_in_place) {
    LLVMValueRef fn = parse(HEAD COPY1 ROOTS COPY2 TAIL("2", "%r2"));
    cr_assert_eq(reroll_function(fn), 1);
    LLVMBasicBlockRef loop = block_named(fn, "loop");
    cr_assert_eq(count_opcode(loop, LLVMLoad), 2);
    cr_assert_eq(count_opcode(loop, LLVMStore), 1);
    cr_assert_eq(step_of(loop, "c"), 8);
    cr_assert_eq(step_of(loop, "b"), 8);
    cr_assert_eq(step_of(loop, "i"), 1);
    cr_assert_null(block_named(fn, "reroll.fallback"), "n & -2 is even: no run-time test");
    /* the value after the loop is the last element's, now copy 1's */
    LLVMValueRef last = LLVMGetFirstInstruction(block_named(fn, "exit"));
    size_t len;
    cr_assert_str_eq(LLVMGetValueName2(LLVMGetIncomingValue(last, 0), &len), "r");
    done();
}

Test(reroll, unknown_parity_keeps_the_original_as_fallback) {
    /* the bound is n itself */
    LLVMValueRef fn = parse_edited(HEAD COPY1 ROOTS COPY2 TAIL("2", "%r2"), "%done", "%even", "%n   ");
    cr_assert_eq(reroll_function(fn), 1);
    LLVMBasicBlockRef fallback = block_named(fn, "reroll.fallback");
    cr_assert_not_null(fallback);
    cr_assert_eq(count_opcode(fallback, LLVMLoad), 4, "the fallback is the unrolled loop");
    cr_assert_eq(count_opcode(block_named(fn, "loop"), LLVMLoad), 2);
    cr_assert_eq(count_opcode(block_named(fn, "entry"), LLVMAnd), 2, "the parity test");
    done();
}

Test(reroll, refuses_copy2_accessing_memory_before_copy1_is_done) {
    /* copy 1's store moved after copy 2's loads */
    cr_assert_eq(reroll_ir(HEAD
                               "  %bz = zext i32 %b to i64\n"
                               "  %bp = getelementptr i8, ptr %base, i64 %bz\n"
                               "  %bv = load double, ptr %bp, align 1\n"
                               "  %bx = bitcast double %bv to i64\n"
                               "  %s1 = xor i64 %s, %bx\n"
                               "  %m = fmul double %bv, %a\n"
                               "  %cz = zext i32 %c to i64\n"
                               "  %cp = getelementptr i8, ptr %base, i64 %cz\n"
                               "  %cv = load double, ptr %cp, align 1\n"
                               "  %r = fadd double %m, %cv\n" ROOTS COPY2_LOADS("fmul double %bv2, %a")
                               "  store double %r, ptr %cp, align 1\n" COPY2_STORE TAIL("2", "%r2")),
                 0);
    done();
}

Test(reroll, refuses_copies_that_differ) {
    cr_assert_eq(reroll_ir(HEAD COPY1 ROOTS COPY2_LOADS("fmul double %bv2, %bv2")
                               COPY2_STORE TAIL("2", "%r2")),
                 0);
    done();
}

Test(reroll, refuses_calls) {
    cr_assert_eq(reroll_ir(HEAD COPY1 ROOTS COPY2_LOADS("call double @opaque(double %bv2)")
                               COPY2_STORE TAIL("2", "%r2")),
                 0);
    done();
}

Test(reroll, refuses_copy1_values_used_after_the_loop) {
    cr_assert_eq(reroll_ir(HEAD COPY1 ROOTS COPY2 TAIL("2", "%r")), 0);
    done();
}

Test(reroll, refuses_an_exit_counter_that_is_not_stepped_with_the_pointers) {
    cr_assert_eq(reroll_ir(HEAD COPY1 ROOTS COPY2 TAIL("3", "%r2")), 0);
    done();
}

Test(reroll, refuses_copy2_using_the_induction_variable_itself) {
    /* copy 2 stores to element j again */
    LLVMValueRef fn = parse_edited(HEAD COPY1 ROOTS COPY2 TAIL("2", "%r2"), "%cz2", "%c8", "%c ");
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

/* Explicit bounds mode: each access checked first, the loop a chain of
 * blocks that branch to a trap; copy 1's first check signed (instcombine
 * knows nothing of limit there), the others unsigned. */
#define CHECKED(first_check)                                                                       \
    "declare void @trap()\n"                                                                       \
    "define void @f(ptr %base, i64 %limit, i32 %n, double %a, i32 %c0, i32 %b0) {\n"               \
    "entry:\n"                                                                                     \
    "  %even = and i32 %n, -2\n"                                                                   \
    "  br label %loop\n"                                                                           \
    "loop:\n"                                                                                      \
    "  %i = phi i32 [ 0, %entry ], [ %i.next, %ok4 ]\n"                                            \
    "  %c = phi i32 [ %c0, %entry ], [ %c.next, %ok4 ]\n"                                          \
    "  %b = phi i32 [ %b0, %entry ], [ %b.next, %ok4 ]\n"                                          \
    "  %cz = zext i32 %c to i64\n"                                                                 \
    "  %t1 = icmp " first_check " i64 %limit, %cz\n"                                               \
    "  br i1 %t1, label %trap, label %ok1\n"                                                       \
    "ok1:\n"                                                                                       \
    "  %bz = zext i32 %b to i64\n"                                                                 \
    "  %t2 = icmp ult i64 %limit, %bz\n"                                                           \
    "  br i1 %t2, label %trap, label %ok2\n"                                                       \
    "ok2:\n"                                                                                       \
    "  %bp = getelementptr i8, ptr %base, i64 %bz\n"                                               \
    "  %bv = load double, ptr %bp, align 1\n"                                                      \
    "  %m = fmul double %bv, %a\n"                                                                 \
    "  %cp = getelementptr i8, ptr %base, i64 %cz\n"                                               \
    "  %cv = load double, ptr %cp, align 1\n"                                                      \
    "  %r = fadd double %m, %cv\n"                                                                 \
    "  store double %r, ptr %cp, align 1\n"                                                        \
    "  %c8 = add i32 %c, 8\n"                                                                      \
    "  %cz2 = zext i32 %c8 to i64\n"                                                               \
    "  %t3 = icmp ult i64 %limit, %cz2\n"                                                          \
    "  br i1 %t3, label %trap, label %ok3\n"                                                       \
    "ok3:\n"                                                                                       \
    "  %b8 = add i32 %b, 8\n"                                                                      \
    "  %bz2 = zext i32 %b8 to i64\n"                                                               \
    "  %t4 = icmp ult i64 %limit, %bz2\n"                                                          \
    "  br i1 %t4, label %trap, label %ok4\n"                                                       \
    "ok4:\n"                                                                                       \
    "  %bp2 = getelementptr i8, ptr %base, i64 %bz2\n"                                             \
    "  %bv2 = load double, ptr %bp2, align 1\n"                                                    \
    "  %m2 = fmul double %bv2, %a\n"                                                               \
    "  %cp2 = getelementptr i8, ptr %base, i64 %cz2\n"                                             \
    "  %cv2 = load double, ptr %cp2, align 1\n"                                                    \
    "  %r2 = fadd double %m2, %cv2\n"                                                              \
    "  store double %r2, ptr %cp2, align 1\n"                                                      \
    "  %c.next = add i32 %c, 16\n"                                                                 \
    "  %b.next = add i32 %b, 16\n"                                                                 \
    "  %i.next = add i32 %i, 2\n"                                                                  \
    "  %done = icmp eq i32 %i.next, %even\n"                                                       \
    "  br i1 %done, label %exit, label %loop\n"                                                    \
    "trap:\n"                                                                                      \
    "  call void @trap()\n"                                                                        \
    "  unreachable\n"                                                                              \
    "exit:\n"                                                                                      \
    "  ret void\n"                                                                                 \
    "}\n"

static int count_in_function(LLVMValueRef fn, LLVMOpcode op) {
    int n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        n += count_opcode(bb, op);
    return n;
}

Test(reroll, explicit_checks_of_copy2_go) {
    LLVMValueRef fn = parse(CHECKED("slt"));
    cr_assert_eq(reroll_function(fn), 1);
    cr_assert_eq(count_in_function(fn, LLVMLoad), 2);
    cr_assert_eq(count_in_function(fn, LLVMStore), 1);
    cr_assert_eq(count_in_function(fn, LLVMICmp), 3, "two checks and the exit compare");
    cr_assert_eq(step_of(block_named(fn, "loop"), "c"), 8);
    done();
}

Test(reroll, refuses_a_signed_check_that_copy1_does_not_make_first) {
    /* copy 1 unsigned, copy 2 signed: copy 2's check is not copy 1's */
    LLVMValueRef fn = parse_edited(CHECKED("ult"), "%t3", "ult", "slt");
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

/* Unrolled by 4 (atax's and mm2's inner loops): copies at p + 8, + 16,
 * + 24, the pointers stepping by 32, the sink carried through all four.
 * COPY4_LOADS/COPY4_STORE(n, sink in, b root, c root) is copy n. */
#define HEAD4                                                                                      \
    "declare void @use(double, i64)\n"                                                             \
    "define void @f(ptr %base, i32 %n, double %a, i32 %c0, i32 %b0) {\n"                           \
    "entry:\n"                                                                                     \
    "  %even = and i32 %n, -4\n"                                                                   \
    "  br label %loop\n"                                                                           \
    "loop:\n"                                                                                      \
    "  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]\n"                                           \
    "  %c = phi i32 [ %c0, %entry ], [ %c.next, %loop ]\n"                                         \
    "  %b = phi i32 [ %b0, %entry ], [ %b.next, %loop ]\n"                                         \
    "  %s = phi i64 [ 0, %entry ], [ %s.4, %loop ]\n"                                              \
    "  %c.2 = add i32 %c, 8\n"                                                                     \
    "  %b.2 = add i32 %b, 8\n"                                                                     \
    "  %c.3 = add i32 %c, 16\n"                                                                    \
    "  %b.3 = add i32 %b, 16\n"                                                                    \
    "  %c.4 = add i32 %c, 24\n"                                                                    \
    "  %b.4 = add i32 %b, 24\n"
#define COPY4_LOADS(n, sin, b, c)                                                                  \
    "  %bz" n " = zext i32 " b " to i64\n"                                                         \
    "  %bp" n " = getelementptr i8, ptr %base, i64 %bz" n "\n"                                     \
    "  %bv" n " = load double, ptr %bp" n ", align 1\n"                                            \
    "  %bx" n " = bitcast double %bv" n " to i64\n"                                                \
    "  %s" n " = xor i64 " sin ", %bx" n "\n"                                                      \
    "  %m" n " = fmul double %bv" n ", %a\n"                                                       \
    "  %cz" n " = zext i32 " c " to i64\n"                                                         \
    "  %cp" n " = getelementptr i8, ptr %base, i64 %cz" n "\n"                                     \
    "  %cv" n " = load double, ptr %cp" n ", align 1\n"                                            \
    "  %r" n " = fadd double %m" n ", %cv" n "\n"
#define COPY4_STORE(n) "  store double %r" n ", ptr %cp" n ", align 1\n"
#define COPY4(n, sin, b, c) COPY4_LOADS(n, sin, b, c) COPY4_STORE(n)
#define COPIES_1_2                                                                                 \
    COPY4(".1", "%s", "%b", "%c") COPY4(".2", "%s.1", "%b.2", "%c.2")
#define TAIL4                                                                                      \
    "  %c.next = add i32 %c, 32\n"                                                                 \
    "  %b.next = add i32 %b, 32\n"                                                                 \
    "  %i.next = add i32 %i, 4\n"                                                                  \
    "  %done = icmp eq i32 %i.next, %even\n"                                                       \
    "  br i1 %done, label %exit, label %loop\n"                                                    \
    "exit:\n"                                                                                      \
    "  %last = phi double [ %r.4, %loop ]\n"                                                       \
    "  %sx = phi i64 [ %s.4, %loop ]\n"                                                            \
    "  call void @use(double %last, i64 %sx)\n"                                                    \
    "  ret void\n"                                                                                 \
    "}\n"
#define UNROLLED4                                                                                  \
    HEAD4 COPIES_1_2 COPY4(".3", "%s.2", "%b.3", "%c.3") COPY4(".4", "%s.3", "%b.4", "%c.4") TAIL4

Test(reroll, four_copies_reroll_in_place) {
    LLVMValueRef fn = parse(UNROLLED4);
    cr_assert_eq(reroll_function(fn), 1);
    LLVMBasicBlockRef loop = block_named(fn, "loop");
    cr_assert_eq(count_opcode(loop, LLVMLoad), 2);
    cr_assert_eq(count_opcode(loop, LLVMStore), 1);
    cr_assert_eq(count_opcode(loop, LLVMXor), 1, "one sink xor, carried to itself");
    cr_assert_eq(step_of(loop, "c"), 8);
    cr_assert_eq(step_of(loop, "b"), 8);
    cr_assert_eq(step_of(loop, "i"), 1);
    cr_assert_null(block_named(fn, "reroll.fallback"), "n & -4 is a multiple of 4");
    LLVMValueRef last = LLVMGetFirstInstruction(block_named(fn, "exit"));
    size_t len;
    cr_assert_str_eq(LLVMGetValueName2(LLVMGetIncomingValue(last, 0), &len), "r.1");
    done();
}

Test(reroll, four_copies_with_an_unknown_count_keep_the_original_as_fallback) {
    /* n & -2: a multiple of 2 only, so (n - 0) & 3 is tested */
    LLVMValueRef fn = parse_edited(UNROLLED4, "%even", "-4", "-2");
    cr_assert_eq(reroll_function(fn), 1);
    LLVMBasicBlockRef fallback = block_named(fn, "reroll.fallback");
    cr_assert_not_null(fallback);
    cr_assert_eq(count_opcode(fallback, LLVMLoad), 8, "the fallback is the unrolled loop");
    cr_assert_eq(count_opcode(block_named(fn, "loop"), LLVMLoad), 2);
    cr_assert_eq(count_opcode(block_named(fn, "entry"), LLVMAnd), 2, "the test of the count");
    done();
}

Test(reroll, refuses_copy4_accessing_memory_before_copy3_is_done) {
    cr_assert_eq(reroll_ir(HEAD4 COPIES_1_2 COPY4_LOADS(".3", "%s.2", "%b.3", "%c.3")
                               COPY4_LOADS(".4", "%s.3", "%b.4", "%c.4") COPY4_STORE(".3")
                               COPY4_STORE(".4") TAIL4),
                 0);
    done();
}

Test(reroll, refuses_a_third_copy_that_differs) {
    LLVMValueRef fn = parse_edited(UNROLLED4, "%m.3 =", "fmul", "fadd");
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

Test(reroll, refuses_copy4_at_copy3s_element) {
    LLVMValueRef fn = parse_edited(UNROLLED4, "%cz.4 =", "%c.4", "%c.3");
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

Test(reroll, refuses_a_sink_that_skips_a_copy) {
    /* copy 3 starts from copy 1's sink value instead of copy 2's */
    LLVMValueRef fn = parse_edited(UNROLLED4, "%s.3 =", "%s.2", "%s.1");
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

Test(reroll, refuses_four_copies_counted_by_two) {
    /* the counter steps by 2 for four elements: not a multiple of 4 */
    LLVMValueRef fn = parse_edited(UNROLLED4, "%i.next =", "4\n", "2\n");
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

Test(reroll, refuses_a_copy3_value_used_after_the_loop) {
    LLVMValueRef fn = parse_edited(UNROLLED4, "%last =", "%r.4", "%r.3");
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

/* -O1 and -O3 are LLVM's default<On> cut in two (pipeline_default.h):
 * both halves must parse and run, and with opt-19 installed, the two
 * halves joined must be what it prints for default<On>. */
static void pipeline_check(int level) {
    pipeline_stages st = pipeline_for_level(level);
    cr_assert(st.first && st.second);
    LLVMValueRef fn = parse(UNROLLED4);
    (void)fn;
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    cr_assert_null(LLVMRunPasses(mod, st.first, NULL, pbo), "-O%d first stage", level);
    cr_assert_null(LLVMRunPasses(mod, st.second, NULL, pbo), "-O%d second stage", level);
    LLVMDisposePassBuilderOptions(pbo);
    done();
    char cmd[256], printed[8192];
    snprintf(cmd, sizeof cmd,
             "echo 'define void @f() { ret void }' | opt-19 -mtriple=x86_64-unknown-linux-gnu "
             "-passes='default<O%d>' -print-pipeline-passes -disable-output 2>/dev/null",
             level);
    FILE *f = popen(cmd, "r");
    size_t n = f ? fread(printed, 1, sizeof printed - 1, f) : 0;
    if (f) pclose(f);
    if (n == 0) return; /* no opt-19 here */
    printed[n] = 0;
    char joined[8192];
    snprintf(joined, sizeof joined, "%s,%s,verify\n", st.first, st.second);
    cr_assert_str_eq(joined, printed, "-O%d is no longer LLVM's default<O%d>", level, level);
}

Test(pipeline, o1_is_llvms_default_cut_in_two) { pipeline_check(1); }
Test(pipeline, o3_is_llvms_default_cut_in_two) { pipeline_check(3); }

Test(reroll, commutative_operands_in_either_order) {
    /* copy 3 multiplies a * b[j+2], copy 1 b[j] * a */
    LLVMValueRef fn = parse_edited(UNROLLED4, "%m.3 =", "%bv.3, %a", "%a, %bv.3");
    cr_assert_eq(reroll_function(fn), 1);
    cr_assert_eq(count_opcode(block_named(fn, "loop"), LLVMFMul), 1);
    done();
}

Test(reroll, refuses_swapped_operands_of_a_subtraction) {
    /* every copy's fadd made an fsub, copy 3's with its operands swapped */
    char ir[8192];
    snprintf(ir, sizeof ir, "%s", UNROLLED4);
    for (char *p = strstr(ir, "fadd double"); p; p = strstr(p, "fadd double")) memcpy(p, "fsub", 4);
    char *r3 = strstr(ir, "%r.3 = fsub double %m.3, %cv.3");
    cr_assert_not_null(r3);
    memcpy(r3, "%r.3 = fsub double %cv.3, %m.3", 30);
    LLVMValueRef fn = parse(ir);
    cr_assert_eq(reroll_function(fn), 0);
    done();
}

/* `ir` with each of the `n` pairs from[k] -> to[k] replaced once. */
static LLVMValueRef parse_replaced(const char *ir, int n, const char *const *from,
                                   const char *const *to) {
    static char buf[8192], tmp[8192];
    snprintf(buf, sizeof buf, "%s", ir);
    for (int k = 0; k < n; k++) {
        char *p = strstr(buf, from[k]);
        cr_assert_not_null(p, "%s", from[k]);
        snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(p - buf), buf, to[k], p + strlen(from[k]));
        snprintf(buf, sizeof buf, "%s", tmp);
    }
    return parse(buf);
}

/* The block before the loop also branches elsewhere, so versioning first
 * gives the loop a preheader of its own and rebuilds every header phi
 * there: the first of them was the header's first instruction, and the
 * builder was left pointing at it once it was erased (kiln crashed
 * compiling CRuby at -O2). */
Test(reroll, a_shared_preheader_with_several_phis_gets_one_of_its_own) {
    static const char *const from[] = {"  br label %loop\n", "icmp eq i32 %i.next, %even",
                                       "  ret void\n}\n"};
    static const char *const to[] = {"  %z = icmp eq i32 %n, 0\n  br i1 %z, label %skip, label %loop\n",
                                     "icmp eq i32 %i.next, %n", "  ret void\nskip:\n  ret void\n}\n"};
    LLVMValueRef fn = parse_replaced(HEAD COPY1 ROOTS COPY2 TAIL("2", "%r2"), 3, from, to);
    cr_assert_eq(reroll_function(fn), 1);
    cr_assert_not_null(block_named(fn, "reroll.pre"));
    cr_assert_not_null(block_named(fn, "reroll.fallback"));
    cr_assert_eq(count_opcode(block_named(fn, "loop"), LLVMLoad), 2, "re-rolled");
    cr_assert_eq(LLVMVerifyFunction(fn, LLVMReturnStatusAction), 0);
    done();
}
