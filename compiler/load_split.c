/* load_split.c - vector loads of straight-line code split back into
 * element loads, so that they read what narrower stores just wrote
 * without a store-forwarding stall.
 *
 * wasm has no scalar access wider than 8 bytes, so every struct a wasm
 * caller copies to its shadow stack (a by-value argument, say) is written
 * as 8-byte or narrower stores.  LLVM's SLP vectorizer, in the callee,
 * packs two adjacent doubles of that struct into one 16-byte load.  A
 * load that spans two earlier stores cannot take its data from the store
 * buffer: it waits until both stores reach the cache (a dozen cycles and
 * more on x86).  Native code does not meet this, because the native
 * caller copies the struct with 16-byte moves.  Seen in examples/raytrace:
 * the ray's origin and direction, loaded as two 16-byte halves at the
 * entry of the hit test, made kiln's build 1.5x slower than with SLP off
 * (docs/benchmarks.md, *Where kiln loses*).
 *
 * So after the pipeline, a linear-memory load of a vector of 2 to 4
 * elements of 8 bytes, in a block on no cycle of the CFG, becomes
 * one load per element and the inserts that rebuild the vector: each
 * element load can be fed by the store that wrote it.  The arithmetic
 * stays vectorized.  Loads in loops are left alone: there the loop
 * vectorizer made them, and they mostly read what earlier iterations or
 * loops wrote long before.  So are functions whose wasm body uses SIMD
 * (LOAD_SPLIT_SIMD_ATTR): their vector loads are the program's own, and
 * their callers store vectors too.  The element loads are volatile so
 * that instruction selection does not merge them back into the vector
 * load (x86 combines consecutive loads that build a vector): a volatile
 * load is not moved, merged or deleted, which straight-line code
 * outside loops does not miss. */
#include <string.h>

#include <llvm-c/Core.h>

#include "load_split.h"
#include "ptr_set.h"

/* How many blocks the search for a cycle through one block may visit
 * before it gives up and treats the block as on a cycle (and keeps its
 * vector load): bounds the pass on huge functions. */
enum { CYCLE_SEARCH_MAX_BLOCKS = 4096 };

/* Candidate loads per function at most; the rest stay as they are. */
enum { SPLITS_PER_FUNCTION_MAX = 256 };

static bool is_linear_memory_load(LLVMValueRef i, unsigned md_tbaa) {
    if (!LLVMIsALoadInst(i) || LLVMGetVolatile(i) ||
        LLVMGetOrdering(i) != LLVMAtomicOrderingNotAtomic)
        return false;
    LLVMValueRef tag = LLVMGetMetadata(i, md_tbaa);
    if (!tag || LLVMGetMDNodeNumOperands(tag) < 1) return false;
    LLVMValueRef ops[3];
    LLVMGetMDNodeOperands(tag, ops);
    if (!ops[0] || LLVMGetMDNodeNumOperands(ops[0]) < 1) return false;
    LLVMValueRef type_ops[3];
    LLVMGetMDNodeOperands(ops[0], type_ops);
    unsigned len = 0;
    const char *name = type_ops[0] ? LLVMGetMDString(type_ops[0], &len) : NULL;
    static const char memory[] = "kiln linear memory";
    return name && len >= sizeof memory - 1 && memcmp(name, memory, sizeof memory - 1) == 0;
}

/* A vector of 2 to 4 elements of 8 bytes.  Four-byte lanes are left
 * alone: SSE2 (kiln's generic x86-64) has no single instruction to
 * insert one, and sha256's message block, loaded as <4 x i32> at the
 * entry of its compression function (from memory written long before),
 * ran 4% slower split. */
static bool is_splittable_vector(LLVMTypeRef ty) {
    if (LLVMGetTypeKind(ty) != LLVMVectorTypeKind) return false;
    unsigned n = LLVMGetVectorSize(ty);
    LLVMTypeRef elem = LLVMGetElementType(ty);
    LLVMTypeKind k = LLVMGetTypeKind(elem);
    bool wide = k == LLVMDoubleTypeKind || (k == LLVMIntegerTypeKind && LLVMGetIntTypeWidth(elem) == 64);
    return wide && n >= 2 && n <= 4;
}

/* Whether bb reaches itself; true also when the search gives up. */
static bool block_on_cycle(LLVMBasicBlockRef bb) {
    ptr_set seen = {0};
    LLVMBasicBlockRef stack[CYCLE_SEARCH_MAX_BLOCKS];
    size_t top = 0;
    bool cycle = false;
    stack[top++] = bb;
    for (size_t visited = 0; top && !cycle; visited++) {
        if (visited >= CYCLE_SEARCH_MAX_BLOCKS) {
            cycle = true;
            break;
        }
        LLVMValueRef term = LLVMGetBasicBlockTerminator(stack[--top]);
        unsigned n = term ? LLVMGetNumSuccessors(term) : 0;
        for (unsigned s = 0; s < n && !cycle; s++) {
            LLVMBasicBlockRef next = LLVMGetSuccessor(term, s);
            if (next == bb) cycle = true;
            else if (!ptr_set_has(&seen, next)) {
                if (!ptr_set_add(&seen, next) || top == CYCLE_SEARCH_MAX_BLOCKS) cycle = true;
                else stack[top++] = next;
            }
        }
    }
    ptr_set_free(&seen);
    return cycle;
}

/* load <n x T>, p  ->  insertelement chains of volatile `load T, p + k`. */
static void load_split(LLVMBuilderRef b, LLVMValueRef load, unsigned md_tbaa) {
    LLVMTypeRef vec = LLVMTypeOf(load), elem = LLVMGetElementType(vec);
    LLVMContextRef ctx = LLVMGetTypeContext(vec);
    LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
    LLVMValueRef ptr = LLVMGetOperand(load, 0), tag = LLVMGetMetadata(load, md_tbaa);
    unsigned n = LLVMGetVectorSize(vec), align = LLVMGetAlignment(load);
    LLVMPositionBuilderBefore(b, load);
    LLVMValueRef v = LLVMGetUndef(vec);
    for (unsigned k = 0; k < n; k++) {
        LLVMValueRef index = LLVMConstInt(i64, k, 0);
        LLVMValueRef at = LLVMBuildGEP2(b, elem, ptr, &index, 1, "");
        LLVMValueRef part = LLVMBuildLoad2(b, elem, at, "");
        LLVMSetVolatile(part, 1);
        LLVMSetAlignment(part, k == 0 ? align : 1);
        LLVMSetMetadata(part, md_tbaa, tag);
        v = LLVMBuildInsertElement(b, v, part, LLVMConstInt(i64, k, 0), "");
    }
    LLVMReplaceAllUsesWith(load, v);
    LLVMInstructionEraseFromParent(load);
}

static bool function_uses_simd(LLVMValueRef fn) {
    return LLVMGetStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LOAD_SPLIT_SIMD_ATTR,
                                         sizeof LOAD_SPLIT_SIMD_ATTR - 1) != NULL;
}

size_t load_split_function(LLVMValueRef fn, unsigned md_tbaa) {
    if (!LLVMGetFirstBasicBlock(fn) || function_uses_simd(fn)) return 0;
    LLVMValueRef found[SPLITS_PER_FUNCTION_MAX];
    size_t n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb && n < SPLITS_PER_FUNCTION_MAX;
         bb = LLVMGetNextBasicBlock(bb)) {
        int on_cycle = -1; /* not asked yet */
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && n < SPLITS_PER_FUNCTION_MAX;
             i = LLVMGetNextInstruction(i)) {
            if (!is_linear_memory_load(i, md_tbaa) || !is_splittable_vector(LLVMTypeOf(i))) continue;
            if (on_cycle < 0) on_cycle = block_on_cycle(bb);
            if (!on_cycle) found[n++] = i;
        }
    }
    if (!n) return 0;
    LLVMBuilderRef b = LLVMCreateBuilderInContext(LLVMGetModuleContext(LLVMGetGlobalParent(fn)));
    for (size_t k = 0; k < n; k++) load_split(b, found[k], md_tbaa);
    LLVMDisposeBuilder(b);
    return n;
}

size_t load_split_module(LLVMModuleRef mod) {
    unsigned md_tbaa = LLVMGetMDKindIDInContext(LLVMGetModuleContext(mod), "tbaa", 4);
    size_t n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
        n += load_split_function(fn, md_tbaa);
    return n;
}
