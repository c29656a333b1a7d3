/* Unit tests for compiler/load_split.c on hand-written IR: the SLP
 * vectorizer's <2 x double> load of a by-value struct argument at a
 * function's entry, in the shape kiln's -O2 pipeline leaves it (the
 * memory base plus a zero-extended i32 address, kiln's linear-memory TBAA
 * tag), and variants the pass must leave alone. */
#include <stdio.h>

#include "ir_fixture.h"

#include "load_split.h"

#define TBAA                                                                                       \
    "!0 = !{!\"kiln tbaa\"}\n"                                                                     \
    "!1 = !{!\"kiln linear memory\", !0, i64 0}\n"                                                 \
    "!2 = !{!1, !1, i64 0}\n"                                                                      \
    "!3 = !{!\"kiln vmctx\", !0, i64 0}\n"                                                         \
    "!4 = !{!3, !3, i64 0}\n"

/* f(base, addr): a vector load of `type` tagged `tag` in block %body.
 * `attrs` are f's function attributes; `loop` makes %body a loop. */
static char *ir_for(const char *type, const char *tag, const char *attrs, bool loop) {
    static char ir[4096];
    snprintf(ir, sizeof ir,
             "define i32 @f(ptr %%base, i32 %%addr, i32 %%n) %s {\n"
             "entry:\n"
             "  br label %%body\n"
             "body:\n"
             "  %%z = zext i32 %%addr to i64\n"
             "  %%p = getelementptr i8, ptr %%base, i64 %%z\n"
             "  %%v = load %s, ptr %%p, align 1, !tbaa %s\n"
             "  store %s %%v, ptr %%base, align 1\n"
             "  %%again = icmp eq i32 %%n, 0\n"
             "  br %s\n"
             "exit:\n"
             "  ret i32 0\n"
             "}\n" TBAA,
             attrs, type, tag, type,
             loop ? "i1 %again, label %body, label %exit" : "label %exit");
    return ir;
}

static int count_loads(LLVMValueRef fn, bool vector, int *volatiles) {
    int n = 0;
    *volatiles = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i; i = LLVMGetNextInstruction(i)) {
            if (!LLVMIsALoadInst(i)) continue;
            bool is_vector = LLVMGetTypeKind(LLVMTypeOf(i)) == LLVMVectorTypeKind;
            if (is_vector != vector) continue;
            n++;
            *volatiles += LLVMGetVolatile(i) != 0;
        }
    return n;
}

static unsigned tbaa_kind(void) { return LLVMGetMDKindIDInContext(ctx, "tbaa", 4); }

Test(load_split, straight_line_vector_load_becomes_volatile_element_loads) {
    LLVMValueRef f = parse(ir_for("<2 x double>", "!2", "", false));
    cr_assert_eq(load_split_function(f, tbaa_kind()), 1);
    int vol;
    cr_expect_eq(count_loads(f, true, &vol), 0, "the vector load is gone");
    cr_expect_eq(count_loads(f, false, &vol), 2, "one load per element");
    cr_expect_eq(vol, 2, "volatile, so that instruction selection does not merge them back");
    LLVMValueRef first = LLVMGetFirstInstruction(block_named(f, "body"));
    while (first && !LLVMIsALoadInst(first)) first = LLVMGetNextInstruction(first);
    cr_expect(first && LLVMGetMetadata(first, tbaa_kind()), "the element loads keep the tag");
    done();
}

Test(load_split, four_lanes_of_eight_bytes_split_into_four) {
    LLVMValueRef f = parse(ir_for("<4 x i64>", "!2", "", false));
    cr_assert_eq(load_split_function(f, tbaa_kind()), 1);
    int vol;
    cr_expect_eq(count_loads(f, false, &vol), 4);
    done();
}

Test(load_split, loop_loads_stay_vectors) {
    LLVMValueRef f = parse(ir_for("<2 x double>", "!2", "", true));
    cr_expect_eq(load_split_function(f, tbaa_kind()), 0, "a loop's vector load is the vectorizer's");
    int vol;
    cr_expect_eq(count_loads(f, true, &vol), 1);
    done();
}

Test(load_split, simd_bodies_keep_their_vector_loads) {
    LLVMValueRef f = parse(ir_for("<2 x double>", "!2", "\"" LOAD_SPLIT_SIMD_ATTR "\"", false));
    cr_expect_eq(load_split_function(f, tbaa_kind()), 0, "a SIMD body's v128.load is the program's");
    done();
}

Test(load_split, only_linear_memory_loads_are_split) {
    LLVMValueRef f = parse(ir_for("<2 x double>", "!4", "", false));
    cr_expect_eq(load_split_function(f, tbaa_kind()), 0, "not a linear-memory access");
    done();
}

Test(load_split, narrow_lanes_are_left_alone) {
    LLVMValueRef f = parse(ir_for("<4 x i32>", "!2", "", false));
    cr_expect_eq(load_split_function(f, tbaa_kind()), 0, "SSE2 has no insert of a 32-bit lane");
    done();
}
