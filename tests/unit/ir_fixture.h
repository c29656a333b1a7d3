/* ir_fixture.h - unit tests of LLVM-C passes on hand-written IR: parse a
 * module with a function @f into a fresh context, and verify and free
 * it at the end of the test. */
#ifndef KILN_IR_FIXTURE_H
#define KILN_IR_FIXTURE_H

#include <criterion/criterion.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/IRReader.h>
#include <string.h>

static LLVMContextRef ctx;
static LLVMModuleRef mod;

static LLVMValueRef parse(const char *ir) {
    ctx = LLVMContextCreate();
    LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(ir, strlen(ir), "ir");
    char *msg = NULL;
    cr_assert(!LLVMParseIRInContext(ctx, buf, &mod, &msg), "parse: %s", msg ? msg : "");
    return LLVMGetNamedFunction(mod, "f");
}

/* The module still verifies; then it and its context are freed. */
static void done(void) {
    char *msg = NULL;
    cr_assert(!LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg), "verify: %s", msg);
    LLVMDisposeMessage(msg);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
}

static LLVMBasicBlockRef block_named(LLVMValueRef fn, const char *name) {
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
        if (strcmp(LLVMGetBasicBlockName(bb), name) == 0) return bb;
    return NULL;
}

#endif
