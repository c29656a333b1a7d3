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

#include "cfg_cycles.h"
#include "load_split.h"
#include "ptr_set.h"

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

/* The function's splittable loads outside loops, into found[]; how
 * many.  The cycles are computed once a candidate turns up; out of
 * memory splits nothing. */
static size_t loads_to_split(LLVMValueRef fn, unsigned md_tbaa, LLVMValueRef *found) {
    ptr_set on_cycle = {0};
    bool cycles_known = false;
    size_t n = 0;
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb && n < SPLITS_PER_FUNCTION_MAX;
         bb = LLVMGetNextBasicBlock(bb)) {
        for (LLVMValueRef i = LLVMGetFirstInstruction(bb); i && n < SPLITS_PER_FUNCTION_MAX;
             i = LLVMGetNextInstruction(i)) {
            if (!is_linear_memory_load(i, md_tbaa) || !is_splittable_vector(LLVMTypeOf(i))) continue;
            if (!cycles_known && !cfg_cycle_blocks(fn, &on_cycle)) {
                ptr_set_free(&on_cycle);
                return 0;
            }
            cycles_known = true;
            if (ptr_set_has(&on_cycle, bb)) break;
            found[n++] = i;
        }
    }
    ptr_set_free(&on_cycle);
    return n;
}

size_t load_split_function(LLVMValueRef fn, unsigned md_tbaa) {
    if (!LLVMGetFirstBasicBlock(fn) || function_uses_simd(fn)) return 0;
    LLVMValueRef found[SPLITS_PER_FUNCTION_MAX];
    size_t n = loads_to_split(fn, md_tbaa, found);
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
