/* descriptor.c - the one exported symbol of a compiled module.
 *
 * `<prefix>_module` is a kiln_module_desc (kiln_abi.h): the module's
 * module image (module_image.h), the entry stub of every defined function
 * a function reference can name (NULL for the others) and the body of
 * every one, a trampoline for
 * each (shared by every function of the same signature) so the runtime
 * can call any export through 16-byte value slots, and an import thunk
 * for each imported function (shared the same way) that turns a typed
 * call into a slot array for kiln_rt_call_host().  Everything else in
 * the object is internal.
 *
 * Every function of the object also gets unwind tables, so the runtime
 * can walk the stack of a trap (runtime/backtrace.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"
#include "module_image.h"

/* Stores a call's results (void, one value or a struct) into slots. */
static void results_to_slots(lower_module *lm, const kiln_functype *ft, LLVMValueRef r,
                             LLVMValueRef slots) {
    if (ft->num_results == 1) {
        lower_slot_store(lm, slots, 0, r);
        return;
    }
    for (uint32_t i = 0; i < ft->num_results; i++)
        lower_slot_store(lm, slots, i, LLVMBuildExtractValue(lm->b, r, i, ""));
}

static LLVMValueRef internal_function(lower_module *lm, const char *kind, uint32_t n,
                                      LLVMTypeRef type) {
    char name[300];
    snprintf(name, sizeof name, "%s.%s%u", lm->opts->prefix, kind, n);
    LLVMValueRef fn = LLVMAddFunction(lm->mod, name, type);
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    LLVMPositionBuilderAtEnd(lm->b, LLVMAppendBasicBlockInContext(lm->ctx, fn, "entry"));
    return fn;
}

/* void tramp(ptr code, ptr ctx, ptr slots) */
static LLVMValueRef trampoline_build(lower_module *lm, uint32_t type_index) {
    const kiln_functype *ft = &lm->m->types[type_index];
    LLVMTypeRef params[3] = {lm->t.ptr, lm->t.ptr, lm->t.ptr};
    LLVMTypeRef ty = LLVMFunctionType(lm->t.void_, params, 3, 0);
    LLVMValueRef fn = internal_function(lm, "tramp", type_index, ty);
    LLVMValueRef slots = LLVMGetParam(fn, 2);
    LLVMValueRef *args = arena_array(lm->arena, ft->num_params + 2, sizeof *args);
    if (!args) return NULL;
    unsigned n = 0;
    args[n++] = LLVMGetParam(fn, 1);
    /* Parameters and results that go through memory use the slots as the
     * buffer (a body reads its parameters before it writes results). */
    bool in_memory = lower_results_in_memory(ft);
    if (lower_params_in_memory(ft)) args[n++] = slots;
    else
        for (uint32_t i = 0; i < ft->num_params; i++) args[n++] = lower_slot_load(lm, slots, i, ft->params[i]);
    if (in_memory && !lower_params_in_memory(ft)) args[n++] = slots;
    LLVMValueRef r = LLVMBuildCall2(lm->b, lm->sig_types[type_index], LLVMGetParam(fn, 0), args, n, "");
    LLVMSetInstructionCallConv(r, lm->call_conv);
    if (ft->num_results && !in_memory) results_to_slots(lm, ft, r, slots);
    LLVMBuildRetVoid(lm->b);
    return fn;
}

/* Trampolines per type index, one per class of equal signatures
 * (lower_type_classes).  NULL when out of memory. */
static LLVMValueRef *trampolines_build(lower_module *lm) {
    const kiln_module *m = lm->m;
    const uint32_t *classes = lower_type_classes(lm);
    LLVMValueRef *tramps = arena_array(lm->arena, m->num_types + 1, sizeof *tramps);
    if (!tramps || !classes) return NULL;
    for (uint32_t t = 0; t < m->num_types; t++) tramps[t] = NULL;
    for (uint32_t i = m->num_imported_funcs; i < m->num_funcs; i++) {
        uint32_t c = classes[m->funcs[i].type_index];
        if (!tramps[c] && !(tramps[c] = trampoline_build(lm, c))) return NULL;
        tramps[m->funcs[i].type_index] = tramps[c];
    }
    return tramps;
}

/* R thunk(ptr host_closure, P...[, ptr results]): params to slots,
 * kiln_rt_call_host, results from slots (into the caller's buffer when
 * they go through memory).  Nothing in it depends on which import it serves
 * (the closure names that), so imports of one class of signatures share
 * one: 100,000 imports of one type compiled 100,000 equal functions. */
static LLVMValueRef import_thunk_build(lower_module *lm, uint32_t type_index) {
    const kiln_functype *ft = &lm->m->types[type_index];
    LLVMValueRef fn = internal_function(lm, "thunk", type_index, lm->sig_types[type_index]);
    LLVMSetFunctionCallConv(fn, lm->call_conv); /* wasm code calls it */
    LLVMValueRef slots;
    if (lower_params_in_memory(ft)) {
        /* The caller's buffer holds the parameters and has room for the
         * results: the host reads and writes it directly. */
        slots = LLVMGetParam(fn, 1);
    } else {
        uint32_t n = ft->num_params > ft->num_results ? ft->num_params : ft->num_results;
        LLVMTypeRef slots_ty = LLVMArrayType2(LLVMVectorType(lm->t.i64, 2), n ? n : 1);
        slots = LLVMBuildAlloca(lm->b, slots_ty, "slots");
        LLVMSetAlignment(slots, 16);
        for (uint32_t i = 0; i < ft->num_params; i++) lower_slot_store(lm, slots, i, LLVMGetParam(fn, i + 1));
    }
    LLVMTypeRef host_ty;
    LLVMValueRef host = lower_rt_decl(lm, LOWER_RT_CALL_HOST, &host_ty);
    LLVMValueRef args[2] = {LLVMGetParam(fn, 0), slots};
    LLVMBuildCall2(lm->b, host_ty, host, args, 2, "");
    if (lower_results_in_memory(ft) && lower_params_in_memory(ft)) {
        LLVMBuildRetVoid(lm->b); /* the host wrote them into the caller's buffer */
    } else if (lower_results_in_memory(ft)) {
        lower_slots_copy(lm, LLVMGetParam(fn, ft->num_params + 1), slots, ft->results, ft->num_results);
        LLVMBuildRetVoid(lm->b);
    } else if (ft->num_results == 0) {
        LLVMBuildRetVoid(lm->b);
    } else if (ft->num_results == 1) {
        LLVMBuildRet(lm->b, lower_slot_load(lm, slots, 0, ft->results[0]));
    } else {
        LLVMValueRef agg = LLVMGetPoison(lower_results_type(lm, ft));
        for (uint32_t i = 0; i < ft->num_results; i++)
            agg = LLVMBuildInsertValue(lm->b, agg, lower_slot_load(lm, slots, i, ft->results[i]), i, "");
        LLVMBuildRet(lm->b, agg);
    }
    return fn;
}

/* A private constant array of pointers, or null when empty. */
static LLVMValueRef ptr_array_global(lower_module *lm, const char *what, LLVMValueRef *elems,
                                     uint32_t n) {
    if (n == 0) return LLVMConstNull(lm->t.ptr);
    LLVMTypeRef ty = LLVMArrayType2(lm->t.ptr, n);
    char name[300];
    snprintf(name, sizeof name, "%s.%s", lm->opts->prefix, what);
    LLVMValueRef g = LLVMAddGlobal(lm->mod, ty, name);
    LLVMSetInitializer(g, LLVMConstArray2(lm->t.ptr, elems, n));
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    return g;
}

/* The module image (module_image.h): what the runtime instantiates from,
 * types, imports, exports, limits, segments and names. */
static LLVMValueRef image_global(lower_module *lm, const uint8_t *bytes, size_t size) {
    char name[300];
    snprintf(name, sizeof name, "%s.image", lm->opts->prefix);
    LLVMValueRef init = LLVMConstStringInContext2(lm->ctx, (const char *)bytes, size, 1);
    LLVMValueRef g = LLVMAddGlobal(lm->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    return g;
}

typedef struct desc_parts {
    LLVMValueRef image, code, tramps, thunks, bodies;
    uint64_t image_size;
} desc_parts;

static void descriptor_emit(lower_module *lm, const desc_parts *p) {
    lower_types *t = &lm->t;
    LLVMTypeRef fields[] = {t->i32, t->i32, t->ptr, t->i64, t->i32,
                            t->i32, t->ptr, t->ptr, t->ptr, t->ptr};
    LLVMTypeRef ty = LLVMStructTypeInContext(lm->ctx, fields, 10, 0);
    const kiln_module *m = lm->m;
    uint32_t flags = lm->opts->explicit_bounds ? KILN_DESC_EXPLICIT_BOUNDS : KILN_DESC_GUARD_PAGES;
    LLVMValueRef vals[] = {lower_const_i32(lm, KILN_ABI_VERSION), lower_const_i32(lm, flags),
                           p->image, lower_const_i64(lm, p->image_size),
                           lower_const_i32(lm, m->num_imported_funcs),
                           lower_const_i32(lm, m->num_funcs - m->num_imported_funcs),
                           p->code, p->tramps, p->thunks, p->bodies};
    char name[300];
    snprintf(name, sizeof name, "%s_module", lm->opts->prefix);
    LLVMValueRef g = LLVMAddGlobal(lm->mod, ty, name);
    LLVMSetInitializer(g, LLVMConstStructInContext(lm->ctx, vals, 10, 0));
    LLVMSetGlobalConstant(g, 1);
    LLVMSetAlignment(g, 8);
}

/* Wasm functions are nounwind, so LLVM would emit no unwind tables for
 * them; the trap backtrace walks those tables (.eh_frame), and they cost
 * nothing on the path that does not trap.  Asynchronous tables, because a
 * guard-page fault or an interrupt can stop a function at any instruction. */
void descriptor_unwind_tables(lower_module *lm) {
    enum { UWTABLE_ASYNC = 2 }; /* llvm::UWTableKind::Async */
    unsigned kind = LLVMGetEnumAttributeKindForName("uwtable", 7);
    LLVMAttributeRef attr = LLVMCreateEnumAttribute(lm->ctx, kind, UWTABLE_ASYNC);
    for (LLVMValueRef fn = LLVMGetFirstFunction(lm->mod); fn; fn = LLVMGetNextFunction(fn))
        if (!LLVMIsDeclaration(fn)) LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, attr);
}

bool descriptor_build(lower_module *lm, const uint8_t *bytes, size_t size) {
    const kiln_module *m = lm->m;
    uint32_t ndef = m->num_funcs - m->num_imported_funcs, nimp = m->num_imported_funcs;
    LLVMValueRef *tramps = trampolines_build(lm);
    LLVMValueRef *code = arena_array(lm->arena, ndef + 1, sizeof *code);
    LLVMValueRef *bodies = arena_array(lm->arena, ndef + 1, sizeof *bodies);
    LLVMValueRef *tramp_of = arena_array(lm->arena, ndef + 1, sizeof *tramp_of);
    LLVMValueRef *thunks = arena_array(lm->arena, nimp + 1, sizeof *thunks);
    if (!tramps || !code || !bodies || !tramp_of || !thunks)
        return error_set(lm->err, KILN_ERR_NOMEM, 0, "out of memory");
    for (uint32_t i = 0; i < ndef; i++) {
        /* NULL: no function reference can name it (lower.c, the stack check) */
        code[i] = lower_has_entry(lm, nimp + i) ? lm->funcs[nimp + i] : LLVMConstNull(lm->t.ptr);
        bodies[i] = lower_body_ref(lm, nimp + i);
        tramp_of[i] = tramps[m->funcs[nimp + i].type_index];
    }
    const uint32_t *classes = lower_type_classes(lm);
    LLVMValueRef *thunk_of = arena_array(lm->arena, m->num_types + 1, sizeof *thunk_of);
    if (!classes || !thunk_of) return error_set(lm->err, KILN_ERR_NOMEM, 0, "out of memory");
    for (uint32_t t = 0; t < m->num_types; t++) thunk_of[t] = NULL;
    for (uint32_t i = 0; i < nimp; i++) {
        uint32_t c = classes[m->funcs[i].type_index];
        if (!thunk_of[c]) thunk_of[c] = import_thunk_build(lm, c);
        thunks[i] = thunk_of[c];
    }
    uint8_t *image;
    size_t image_size;
    if (!module_image_write(m, bytes, size, &image, &image_size, lm->err)) return false;
    desc_parts p = {image_global(lm, image, image_size), ptr_array_global(lm, "code", code, ndef),
                    ptr_array_global(lm, "trampolines", tramp_of, ndef),
                    ptr_array_global(lm, "thunks", thunks, nimp),
                    ptr_array_global(lm, "bodies", bodies, ndef), image_size};
    free(image);
    descriptor_emit(lm, &p);
    descriptor_unwind_tables(lm);
    return true;
}
