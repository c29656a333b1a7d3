/* lower.c - wasm -> LLVM IR: the per-function walk and the module driver.
 *
 * One LLVM function per wasm function, `R f(ptr vmctx, P...)`, internal
 * linkage.  The wasm operand stack is a compile-time array of
 * LLVMValueRefs; blocks, loops and ifs become basic blocks whose results
 * (and, for loops, params) are phi nodes.  Locals are entry-block allocas
 * that mem2reg promotes.  Value instructions go to lower_numeric.c and
 * lower_simd.c, memory to lower_memory.c, tables and references to
 * lower_table.c; this file keeps control flow, locals, globals and calls.
 * The module is validated: lowering asserts nothing about types. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_split.h"
#include "lower_internal.h"

/* ---- types and constants ------------------------------------------------ */

static void types_init(lower_module *lm) {
    LLVMContextRef c = lm->ctx;
    lm->t.void_ = LLVMVoidTypeInContext(c);
    lm->t.i1 = LLVMInt1TypeInContext(c);
    lm->t.i8 = LLVMInt8TypeInContext(c);
    lm->t.i16 = LLVMInt16TypeInContext(c);
    lm->t.i32 = LLVMInt32TypeInContext(c);
    lm->t.i64 = LLVMInt64TypeInContext(c);
    lm->t.f32 = LLVMFloatTypeInContext(c);
    lm->t.f64 = LLVMDoubleTypeInContext(c);
    lm->t.v128 = LLVMVectorType(lm->t.i64, 2);
    lm->t.ptr = LLVMPointerTypeInContext(c, 0);
}

LLVMTypeRef lower_valtype(const lower_module *lm, uint8_t valtype) {
    switch (valtype) {
    case KILN_I32: return lm->t.i32;
    case KILN_I64: return lm->t.i64;
    case KILN_F32: return lm->t.f32;
    case KILN_F64: return lm->t.f64;
    case KILN_V128: return lm->t.v128;
    default: return lm->t.ptr; /* funcref, externref */
    }
}

LLVMValueRef lower_const_i32(const lower_module *lm, uint32_t v) {
    return LLVMConstInt(lm->t.i32, v, 0);
}

LLVMValueRef lower_const_i64(const lower_module *lm, uint64_t v) {
    return LLVMConstInt(lm->t.i64, v, 0);
}

/* void, the single result, or a first-class struct for multi-value that
 * fits the return registers (the others go through memory: void). */
LLVMTypeRef lower_results_type(lower_module *lm, const kiln_functype *ft) {
    if (ft->num_results == 0) return lm->t.void_;
    if (ft->num_results == 1) return lower_valtype(lm, ft->results[0]);
    LLVMTypeRef fields[KILN_MAX_FUNC_RESULTS];
    for (uint32_t i = 0; i < ft->num_results; i++) fields[i] = lower_valtype(lm, ft->results[i]);
    return LLVMStructTypeInContext(lm->ctx, fields, ft->num_results, 0);
}

LLVMTypeRef lower_signature(lower_module *lm, const kiln_functype *ft, bool with_ctx) {
    LLVMTypeRef params[LOWER_ARGS_MAX];
    unsigned n = 0;
    if (with_ctx) params[n++] = lm->t.ptr;
    if (lower_params_in_memory(ft)) params[n++] = lm->t.ptr;
    else
        for (uint32_t i = 0; i < ft->num_params; i++) params[n++] = lower_valtype(lm, ft->params[i]);
    bool results_in_memory = lower_results_in_memory(ft);
    if (results_in_memory && !lower_params_in_memory(ft)) params[n++] = lm->t.ptr;
    return LLVMFunctionType(results_in_memory ? lm->t.void_ : lower_results_type(lm, ft), params, n, 0);
}

/* ---- metadata ------------------------------------------------------------- */

static LLVMMetadataRef md_string(lower_module *lm, const char *s) {
    return LLVMMDStringInContext2(lm->ctx, s, strlen(s));
}

static LLVMMetadataRef md_i64(lower_module *lm, uint64_t v) {
    return LLVMValueAsMetadata(LLVMConstInt(lm->t.i64, v, 0));
}

/* Struct-path-free scalar TBAA: root, one scalar type node per tag, and
 * an access tag {type, type, 0} for each. */
static void tbaa_init(lower_module *lm) {
    static const char *const names[LOWER_TBAA_COUNT] = {"kiln vmctx", "kiln linear memory",
                                                        "kiln global", "kiln table",
                                                        "kiln slot", "kiln linear memory64"};
    LLVMMetadataRef root_ops[] = {md_string(lm, "kiln tbaa")};
    LLVMMetadataRef root = LLVMMDNodeInContext2(lm->ctx, root_ops, 1);
    for (int i = 0; i < LOWER_TBAA_COUNT; i++) {
        LLVMMetadataRef type_ops[] = {md_string(lm, names[i]), root, md_i64(lm, 0)};
        LLVMMetadataRef type = LLVMMDNodeInContext2(lm->ctx, type_ops, 3);
        LLVMMetadataRef tag_ops[] = {type, type, md_i64(lm, 0)};
        lm->tbaa[i] = LLVMMetadataAsValue(lm->ctx, LLVMMDNodeInContext2(lm->ctx, tag_ops, 3));
    }
}

static void metadata_init(lower_module *lm) {
    lm->md_tbaa = LLVMGetMDKindIDInContext(lm->ctx, "tbaa", 4);
    lm->md_invariant = LLVMGetMDKindIDInContext(lm->ctx, "invariant.load", 14);
    lm->md_prof = LLVMGetMDKindIDInContext(lm->ctx, "prof", 4);
    tbaa_init(lm);
    LLVMMetadataRef w[] = {md_string(lm, "branch_weights"),
                           LLVMValueAsMetadata(lower_const_i32(lm, 1)),
                           LLVMValueAsMetadata(lower_const_i32(lm, 2000))};
    lm->unlikely_weights = LLVMMetadataAsValue(lm->ctx, LLVMMDNodeInContext2(lm->ctx, w, 3));
}

/* At -O0 nothing reads TBAA tags, invariant.load or branch weights (no
 * optimiser, no block placement), while instruction selection looks up
 * each instruction's metadata in a hash map several times: there only
 * the tag that finds guard-mode memory loads is set (lower_memory.c
 * removes it once it has). */
static bool metadata_wanted(const lower_module *lm) { return lm->opts->opt_level > 0; }

void lower_tbaa_tag(lower_module *lm, LLVMValueRef access, lower_tbaa tag) {
    if (metadata_wanted(lm) || (tag == LOWER_TBAA_MEMORY && !lm->opts->explicit_bounds))
        LLVMSetMetadata(access, lm->md_tbaa, lm->tbaa[tag]);
}

void lower_branch_unlikely(lower_module *lm, LLVMValueRef br) {
    if (metadata_wanted(lm)) LLVMSetMetadata(br, lm->md_prof, lm->unlikely_weights);
}

/* ---- errors, operand stack ------------------------------------------------ */

bool lower_fail(lower_func *lf, const char *fmt, ...) {
    if (lf->failed) return false;
    lf->failed = true;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint64_t off = lf->insn ? lf->insn->offset : lf->f->body_offset;
    error_set(lf->lm->err, KILN_ERR_LOWER, off, "%s", msg);
    lf->lm->err->func_index = lf->index;
    return false;
}

void lower_push(lower_func *lf, LLVMValueRef v) {
    if (lf->sp >= lf->stack_cap) {
        lower_fail(lf, "operand stack deeper than the validator's bound");
        return;
    }
    lf->stack[lf->sp++] = v;
}

LLVMValueRef lower_pop(lower_func *lf) {
    if (lf->sp == 0) {
        lower_fail(lf, "operand stack underflow");
        return LLVMGetPoison(lf->lm->t.i32);
    }
    return lf->stack[--lf->sp];
}

/* ---- memory accesses to the vmctx and its cells --------------------------- */

LLVMValueRef lower_load(lower_func *lf, LLVMTypeRef ty, LLVMValueRef ptr, unsigned align,
                        lower_tbaa tag, bool invariant) {
    LLVMValueRef v = LLVMBuildLoad2(lf->lm->b, ty, ptr, "");
    LLVMSetAlignment(v, align);
    lower_tbaa_tag(lf->lm, v, tag);
    if (invariant && metadata_wanted(lf->lm))
        LLVMSetMetadata(v, lf->lm->md_invariant, LLVMMetadataAsValue(lf->lm->ctx,
                        LLVMMDNodeInContext2(lf->lm->ctx, NULL, 0)));
    return v;
}

LLVMValueRef lower_store(lower_func *lf, LLVMValueRef v, LLVMValueRef ptr, unsigned align,
                         lower_tbaa tag) {
    LLVMValueRef s = LLVMBuildStore(lf->lm->b, v, ptr);
    LLVMSetAlignment(s, align);
    lower_tbaa_tag(lf->lm, s, tag);
    return s;
}

LLVMValueRef lower_byte_gep(lower_func *lf, LLVMValueRef base, LLVMValueRef offset) {
    return LLVMBuildGEP2(lf->lm->b, lf->lm->t.i8, base, &offset, 1, "");
}

LLVMValueRef lower_vmctx_field(lower_func *lf, unsigned offset, LLVMTypeRef ty, bool invariant) {
    LLVMValueRef p = lf->vmctx;
    if (offset) p = lower_byte_gep(lf, p, lower_const_i64(lf->lm, offset));
    return lower_load(lf, ty, p, 8, LOWER_TBAA_VMCTX, invariant);
}

/* The pointer arrays of the vmctx (memories, tables, globals, funcs,
 * type_ids) and their elements are fixed when the instance is created. */
LLVMValueRef lower_vmctx_array_elem(lower_func *lf, unsigned field, uint32_t i, LLVMTypeRef ty,
                                    unsigned elem_size) {
    LLVMValueRef arr = lower_vmctx_field(lf, field, lf->lm->t.ptr, true);
    LLVMValueRef p = lower_byte_gep(lf, arr, lower_const_i64(lf->lm, (uint64_t)i * elem_size));
    return lower_load(lf, ty, p, elem_size, LOWER_TBAA_VMCTX, true);
}

/* ---- runtime calls and traps ---------------------------------------------- */

typedef struct rt_decl {
    const char *name;
    const char *sig; /* result ':' params; v=void i=i32 I=i64 p=ptr */
} rt_decl;

static const rt_decl rt_decls[LOWER_RT_COUNT] = {
    [LOWER_RT_TRAP] = {"kiln_rt_trap", "v:pi"},
    [LOWER_RT_MEMORY_GROW] = {"kiln_rt_memory_grow", "I:piI"},
    [LOWER_RT_MEMORY_INIT] = {"kiln_rt_memory_init", "v:piiIII"},
    [LOWER_RT_DATA_DROP] = {"kiln_rt_data_drop", "v:pi"},
    [LOWER_RT_MEMORY_COPY] = {"kiln_rt_memory_copy", "v:piiIII"},
    [LOWER_RT_MEMORY_FILL] = {"kiln_rt_memory_fill", "v:piIiI"},
    [LOWER_RT_TABLE_INIT] = {"kiln_rt_table_init", "v:piiIII"},
    [LOWER_RT_ELEM_DROP] = {"kiln_rt_elem_drop", "v:pi"},
    [LOWER_RT_TABLE_COPY] = {"kiln_rt_table_copy", "v:piiIII"},
    [LOWER_RT_TABLE_GROW] = {"kiln_rt_table_grow", "I:pipI"},
    [LOWER_RT_TABLE_FILL] = {"kiln_rt_table_fill", "v:piIpI"},
    [LOWER_RT_CALL_HOST] = {"kiln_rt_call_host", "v:pp"},
    [LOWER_RT_ATOMIC_WAIT32] = {"kiln_rt_atomic_wait32", "i:ppiI"},
    [LOWER_RT_ATOMIC_WAIT64] = {"kiln_rt_atomic_wait64", "i:ppII"},
    [LOWER_RT_ATOMIC_NOTIFY] = {"kiln_rt_atomic_notify", "i:ppi"},
    [LOWER_RT_THROW] = {"kiln_rt_throw", "v:pip"},
    [LOWER_RT_THROW_REF] = {"kiln_rt_throw_ref", "v:pp"},
    [LOWER_RT_EXN_IS] = {"kiln_rt_exn_is", "i:ppi"},
    [LOWER_RT_EXN_VALUES] = {"kiln_rt_exn_values", "p:pp"},
    [LOWER_RT_EXN_DROP] = {"kiln_rt_exn_drop", "v:ppI"},
    [LOWER_RT_EXN_CAPTURE] = {"kiln_rt_exn_capture", "v:ppI"},
    [LOWER_RT_EXN_KEEP] = {"kiln_rt_exn_keep", "I:ppIp"},
    [LOWER_RT_EXN_RELEASE] = {"kiln_rt_exn_release", "v:pI"},
};

static LLVMTypeRef rt_letter_type(const lower_module *lm, char c) {
    return c == 'v' ? lm->t.void_ : c == 'i' ? lm->t.i32 : c == 'I' ? lm->t.i64 : lm->t.ptr;
}

void lower_attr_add(lower_module *lm, LLVMValueRef fn, const char *name) {
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(lm->ctx, kind, 0));
}

static void rt_declare(lower_module *lm, lower_rt id) {
    const char *sig = rt_decls[id].sig;
    LLVMTypeRef params[8];
    unsigned n = 0;
    for (const char *p = sig + 2; *p; p++) params[n++] = rt_letter_type(lm, *p);
    lm->rt_types[id] = LLVMFunctionType(rt_letter_type(lm, sig[0]), params, n, 0);
    lm->rt[id] = LLVMAddFunction(lm->mod, rt_decls[id].name, lm->rt_types[id]);
    if (id == LOWER_RT_TRAP || id == LOWER_RT_THROW || id == LOWER_RT_THROW_REF) {
        lower_attr_add(lm, lm->rt[id], "noreturn");
        lower_attr_add(lm, lm->rt[id], "cold");
    }
}

LLVMValueRef lower_rt_decl(lower_module *lm, lower_rt id, LLVMTypeRef *type) {
    if (!lm->rt[id]) rt_declare(lm, id);
    *type = lm->rt_types[id];
    return lm->rt[id];
}

LLVMValueRef lower_rt_call(lower_func *lf, lower_rt id, LLVMValueRef *args, unsigned n) {
    LLVMTypeRef ty;
    LLVMValueRef fn = lower_rt_decl(lf->lm, id, &ty);
    LLVMValueRef all[8] = {lf->vmctx};
    for (unsigned i = 0; i < n; i++) all[i + 1] = args[i];
    return LLVMBuildCall2(lf->lm->b, ty, fn, all, n + 1, "");
}

/* One cold block per trap kind per function, built on first use; with
 * -g one per trapping instruction, so that its call has that one's line. */
static LLVMBasicBlockRef trap_block(lower_func *lf, uint32_t kind) {
    if (lf->trap_bbs[kind] && !lf->lm->dbg) return lf->trap_bbs[kind];
    LLVMBuilderRef b = lf->lm->b;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(b);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(lf->lm->ctx, lf->fn, "trap");
    LLVMPositionBuilderAtEnd(b, bb);
    LLVMValueRef kind_v = lower_const_i32(lf->lm, kind);
    lower_rt_call(lf, LOWER_RT_TRAP, &kind_v, 1);
    LLVMBuildUnreachable(b);
    LLVMPositionBuilderAtEnd(b, saved);
    return lf->trap_bbs[kind] = bb;
}

void lower_trap_if(lower_func *lf, LLVMValueRef cond, uint32_t kind) {
    LLVMBasicBlockRef trap = trap_block(lf, kind);
    LLVMBasicBlockRef cont = LLVMAppendBasicBlockInContext(lf->lm->ctx, lf->fn, "ok");
    LLVMValueRef br = LLVMBuildCondBr(lf->lm->b, cond, trap, cont);
    lower_branch_unlikely(lf->lm, br);
    LLVMPositionBuilderAtEnd(lf->lm->b, cont);
}

void lower_trap(lower_func *lf, uint32_t kind) {
    LLVMBuildBr(lf->lm->b, trap_block(lf, kind));
    lf->dead = true;
}

static void env_trap_if(void *user, LLVMValueRef cond, uint32_t kind) {
    lower_trap_if(user, cond, kind);
}

/* ---- calls ------------------------------------------------------------------ */

static LLVMValueRef slot_ptr(lower_module *lm, LLVMValueRef slots, uint32_t i) {
    LLVMValueRef off = lower_const_i64(lm, (uint64_t)i * LOWER_SLOT_SIZE);
    return LLVMBuildGEP2(lm->b, lm->t.i8, slots, &off, 1, "");
}

LLVMValueRef lower_slot_load(lower_module *lm, LLVMValueRef slots, uint32_t i, uint8_t vt) {
    LLVMValueRef v = LLVMBuildLoad2(lm->b, lower_valtype(lm, vt), slot_ptr(lm, slots, i), "");
    LLVMSetAlignment(v, LOWER_SLOT_ALIGN);
    lower_tbaa_tag(lm, v, LOWER_TBAA_SLOT);
    return v;
}

void lower_slot_store(lower_module *lm, LLVMValueRef slots, uint32_t i, LLVMValueRef v) {
    LLVMValueRef s = LLVMBuildStore(lm->b, v, slot_ptr(lm, slots, i));
    LLVMSetAlignment(s, LOWER_SLOT_ALIGN);
    lower_tbaa_tag(lm, s, LOWER_TBAA_SLOT);
}

void lower_slots_copy(lower_module *lm, LLVMValueRef to, LLVMValueRef from, const uint8_t *types,
                      uint32_t n) {
    for (uint32_t i = 0; i < n; i++) lower_slot_store(lm, to, i, lower_slot_load(lm, from, i, types[i]));
}

/* The body's buffer for the parameters and results of its callees that
 * pass them through memory: one per body, in the entry block, as big as
 * the module's largest (parameters are stored right before a call and
 * results loaded right after it, so calls share it). */
static LLVMValueRef io_buffer(lower_func *lf) {
    lower_module *lm = lf->lm;
    if (lf->io_buffer) return lf->io_buffer;
    lower_pos at = lower_entry_begin(lf);
    LLVMTypeRef ty = LLVMArrayType2(lm->t.i8, (uint64_t)lm->io_slots_max * LOWER_SLOT_SIZE);
    lf->io_buffer = LLVMBuildAlloca(lm->b, ty, "io");
    LLVMSetAlignment(lf->io_buffer, 16);
    lower_entry_end(lf, at);
    lf->io_loads = arena_array(lf->scratch, lm->io_slots_max, sizeof *lf->io_loads); /* NULL: no forwarding */
    return lf->io_buffer;
}

/* The buffer this body's caller passed, when its type has one. */
static LLVMValueRef io_param(lower_func *lf) {
    const kiln_functype *ft = lf->type;
    return LLVMGetParam(lf->fn, lower_params_in_memory(ft) ? 1 : ft->num_params + 1);
}

/* The slots a type's buffer needs: its parameters or results that go
 * through memory, in calls or (as a block type) in branches.  A branch
 * passes more than KILN_WIDE_GROUP values through it, and such a group
 * of results goes through memory in calls too (it cannot fit the return
 * registers). */
static uint32_t io_slots(const kiln_functype *ft) {
    uint32_t params = lower_params_in_memory(ft) ? ft->num_params : 0;
    uint32_t results = lower_results_in_memory(ft) ? ft->num_results : 0;
    return params > results ? params : results;
}

/* A load of a forwarded result that nothing else uses: gone, with its
 * address (-O0 runs no pass that would remove them). */
static void dead_load_erase(LLVMValueRef load) {
    if (!LLVMIsALoadInst(load) || LLVMGetFirstUse(load)) return;
    LLVMValueRef addr = LLVMGetOperand(load, 0);
    LLVMInstructionEraseFromParent(load);
    if (LLVMIsAInstruction(addr) && !LLVMGetFirstUse(addr)) LLVMInstructionEraseFromParent(addr);
}

/* True if slot i already holds `v`: the value noted last as loaded from
 * slot i (a call's result, a wide branch target's value) or stored there,
 * with no other write to the buffer since.  Only calls and wide branches write it, and lowering
 * meets them in the order the code runs them between a load and its use:
 * a value crosses no loop back edge (loop parameters are new values), and
 * lowering forgets the noted loads where it moves to code that other
 * paths reach too (insn_enters_handler). */
static bool io_slot_holds(lower_func *lf, uint32_t i, LLVMValueRef v) {
    return i < lf->io_loads_count && lf->io_loads[i] == v;
}

/* vals[i], just loaded from or stored to slot i, for io_slot_holds. */
static void io_loads_note(lower_func *lf, LLVMValueRef *vals, uint32_t n) {
    if (!lf->io_loads) return;
    memcpy(lf->io_loads, vals, n * sizeof *vals);
    lf->io_loads_count = n;
}

/* vals[i] into slot i, but for the slots that hold them already (then
 * noted as held: a br_table's many labels to one wide target store once);
 * a value `consumed` (popped, used by nothing else) whose load is then
 * unused goes, unless an if holds its parameters for its else arm, which
 * pushes them again (they may be among them). */
static void io_store(lower_func *lf, LLVMValueRef *vals, uint32_t n, bool consumed) {
    LLVMValueRef buffer = io_buffer(lf);
    bool wrote = false;
    for (uint32_t i = 0; i < n; i++) {
        if (io_slot_holds(lf, i, vals[i])) {
            if (consumed && !lf->if_params_held) dead_load_erase(vals[i]);
            continue;
        }
        lower_slot_store(lf->lm, buffer, i, vals[i]);
        wrote = true;
    }
    if (wrote) io_loads_note(lf, vals, n);
}

void lower_results_push(lower_func *lf, const kiln_functype *ft, LLVMValueRef call) {
    if (lower_results_in_memory(ft)) {
        for (uint32_t i = 0; i < ft->num_results; i++)
            lower_push(lf, lower_slot_load(lf->lm, lf->io_buffer, i, ft->results[i]));
        io_loads_note(lf, &lf->stack[lf->sp - ft->num_results], ft->num_results);
        return;
    }
    if (ft->num_results == 1) {
        lower_push(lf, call);
        return;
    }
    for (uint32_t i = 0; i < ft->num_results; i++)
        lower_push(lf, LLVMBuildExtractValue(lf->lm->b, call, i, ""));
}

/* Calls are never marked `tail`: tail-call elimination would turn
 * unbounded recursion into a loop that never reaches the stack check. */
void lower_call_typed(lower_func *lf, uint32_t type_index, LLVMValueRef code, LLVMValueRef ctx) {
    const kiln_functype *ft = &lf->lm->m->types[type_index];
    uint32_t n = ft->num_params;
    LLVMValueRef args[LOWER_ARGS_MAX];
    args[0] = ctx;
    for (uint32_t i = n; i > 0; i--) args[i] = lower_pop(lf);
    LLVMValueRef call = lower_call_wasm(lf, type_index, code, args, n + 1, lf->lm->call_conv);
    lower_results_push(lf, ft, call);
}

/* Stores args[1..n) into the buffer; returns {args[0], buffer} in `io`.
 * Results passed straight on as the next call's parameters, in the same
 * slots, stay where they are: a call is two bytes however many values it
 * moves, so this is what keeps a chain of wide calls from costing a load
 * and a store per value (docs/sandbox.md, *Hostile shapes*). */
static LLVMValueRef *params_to_memory(lower_func *lf, LLVMValueRef *args, unsigned n, LLVMValueRef io[2]) {
    io_store(lf, args + 1, n - 1, true);
    lf->io_loads_count = 0; /* the callee writes the buffer */
    io[0] = args[0];
    io[1] = lf->io_buffer;
    return io;
}

LLVMValueRef lower_call_wasm(lower_func *lf, uint32_t type_index, LLVMValueRef fn, LLVMValueRef *args,
                             unsigned n, unsigned conv) {
    const kiln_functype *ft = &lf->lm->m->types[type_index];
    LLVMValueRef io[2];
    if (lower_params_in_memory(ft)) args = params_to_memory(lf, args, n, io), n = 2;
    else if (lower_results_in_memory(ft)) args[n++] = io_buffer(lf), lf->io_loads_count = 0;
    LLVMValueRef call = lower_call_build(lf, lf->lm->sig_types[type_index], fn, args, n);
    LLVMSetInstructionCallConv(call, conv);
    return call;
}

/* Calls are never marked `tail` (see above); an invoke has no such flag. */
LLVMValueRef lower_call_build(lower_func *lf, LLVMTypeRef ty, LLVMValueRef fn, LLVMValueRef *args,
                              unsigned n) {
    LLVMBuilderRef b = lf->lm->b;
    LLVMBasicBlockRef pad = lf->lm->may_unwind ? exn_unwind_dest(lf) : NULL;
    if (!pad) {
        LLVMValueRef call = LLVMBuildCall2(b, ty, fn, args, n, "");
        LLVMSetTailCallKind(call, LLVMTailCallKindNoTail);
        return call;
    }
    LLVMBasicBlockRef cont = lower_block_new(lf, "invoke.cont");
    LLVMValueRef inv = LLVMBuildInvoke2(b, ty, fn, args, n, cont, pad, "");
    LLVMPositionBuilderAtEnd(b, cont);
    return inv;
}

void lower_pop_args(lower_func *lf, uint32_t type_index, LLVMValueRef *args) {
    for (uint32_t i = lf->lm->m->types[type_index].num_params; i > 0; i--) args[i] = lower_pop(lf);
}

/* Results that do not fit the return registers go through memory, a
 * buffer the caller passes last: x86-64 returns at most 3 integers (rax,
 * rdx, rcx) and 4 floats or vectors (xmm0-3) in registers; AArch64 returns
 * more, so the bound holds there too.  LLVM would otherwise return a
 * bigger struct through a hidden buffer of its own, with two costs: it
 * cannot make a musttail call of such a function (it stops with a fatal
 * error), and its instruction selection takes time quadratic in the
 * number of results at every call (a hostile module of 500-result calls
 * took minutes; docs/sandbox.md, *Hostile shapes for the compiler*). */
bool lower_results_in_memory(const kiln_functype *ft) {
    uint32_t ints = 0, vecs = 0;
    for (uint32_t i = 0; i < ft->num_results; i++) {
        uint8_t t = ft->results[i];
        if (t == KILN_F32 || t == KILN_F64 || t == KILN_V128) vecs++;
        else ints++;
    }
    return ints > 3 || vecs > 4;
}

/* Parameters past what registers carry go on the stack anyway; past 16,
 * they go through the same buffer as results, which the caller fills
 * (the callee reads them once, at entry).  A call with hundreds of
 * arguments costs LLVM's instruction selection time that grows faster
 * than its arguments, and at -O0 sends its whole block there. */
bool lower_params_in_memory(const kiln_functype *ft) {
    return ft->num_params > KILN_WIDE_GROUP;
}

/* Parameters that go through memory cannot be left in this frame's buffer
 * for a callee that replaces the frame: an ordinary call (a plain call, not
 * an invoke: the callee runs outside this body's handlers), then its
 * results returned.  Deep recursion through such a return_call keeps its
 * frames and ends in "call stack exhausted". */
static void tail_call_through_memory(lower_func *lf, uint32_t type_index, LLVMValueRef code,
                                     LLVMValueRef *args, unsigned n) {
    lower_module *lm = lf->lm;
    const kiln_functype *ft = &lm->m->types[type_index];
    LLVMValueRef io[2];
    args = params_to_memory(lf, args, n, io);
    LLVMValueRef call = LLVMBuildCall2(lm->b, lm->sig_types[type_index], code, args, 2, "");
    LLVMSetInstructionCallConv(call, lm->call_conv);
    LLVMSetTailCallKind(call, LLVMTailCallKindNoTail);
    if (lower_results_in_memory(ft)) {
        lower_slots_copy(lm, io_param(lf), io[1], ft->results, ft->num_results);
        LLVMBuildRetVoid(lm->b);
    } else if (ft->num_results == 0) {
        LLVMBuildRetVoid(lm->b);
    } else {
        LLVMBuildRet(lm->b, call);
    }
    lf->dead = true;
}

/* The result is returned as it comes (the validator checked the callee's
 * results are the function's); results that go through memory go to this
 * function's own caller's buffer. */
void lower_tail_call(lower_func *lf, uint32_t type_index, LLVMValueRef code, LLVMValueRef *args,
                     unsigned n) {
    lower_module *lm = lf->lm;
    const kiln_functype *ft = &lm->m->types[type_index];
    exn_frame_end(lf);
    if (lower_params_in_memory(ft)) {
        tail_call_through_memory(lf, type_index, code, args, n);
        return;
    }
    if (lower_results_in_memory(ft)) args[n++] = io_param(lf);
    LLVMValueRef call = LLVMBuildCall2(lm->b, lm->sig_types[type_index], code, args, n, "");
    LLVMSetInstructionCallConv(call, lm->call_conv);
    LLVMSetTailCallKind(call, lm->musttail ? LLVMTailCallKindMustTail : LLVMTailCallKindNoTail);
    if (LLVMGetReturnType(lm->sig_types[type_index]) == lm->t.void_) LLVMBuildRetVoid(lm->b);
    else LLVMBuildRet(lm->b, call);
    lf->dead = true;
}

static LLVMValueRef call_target_checked(lower_func *lf, uint32_t index);

/* return_call f: the callee's frame replaces this one, so the check for
 * it against the current stack pointer is conservative; a tail-recursive
 * loop passes it at the same depth every time and runs in constant stack. */
static void return_call_lower(lower_func *lf, uint32_t func_index) {
    lower_module *lm = lf->lm;
    const kiln_func *callee = &lm->m->funcs[func_index];
    LLVMValueRef args[LOWER_ARGS_MAX];
    lower_pop_args(lf, callee->type_index, args);
    uint32_t n = lm->m->types[callee->type_index].num_params + 1;
    if (callee->imported) {
        LLVMValueRef fr = lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_FUNCS, func_index, lm->t.ptr, 8);
        LLVMValueRef code = lower_load(lf, lm->t.ptr, fr, 8, LOWER_TBAA_TABLE, true);
        LLVMValueRef ctx_p = lower_byte_gep(lf, fr, lower_const_i64(lm, offsetof(kiln_func_ref, ctx)));
        args[0] = lower_load(lf, lm->t.ptr, ctx_p, 8, LOWER_TBAA_TABLE, true);
        lower_tail_call(lf, callee->type_index, code, args, n);
        return;
    }
    args[0] = lf->vmctx;
    /* A module with return_call has tailcc bodies: body_conv == call_conv. */
    lower_tail_call(lf, callee->type_index, call_target_checked(lf, func_index), args, n);
}

static void call_lower(lower_func *lf, uint32_t func_index) {
    lower_module *lm = lf->lm;
    const kiln_func *callee = &lm->m->funcs[func_index];
    if (!callee->imported) {
        const kiln_functype *ft = &lm->m->types[callee->type_index];
        LLVMValueRef args[LOWER_ARGS_MAX];
        args[0] = lf->vmctx;
        for (uint32_t i = ft->num_params; i > 0; i--) args[i] = lower_pop(lf);
        lower_results_push(lf, ft, lower_call_defined(lf, func_index, args, ft->num_params + 1));
        return;
    }
    /* An import: fr = vmctx->funcs[i]; fr->code(fr->ctx, args...) */
    LLVMValueRef fr = lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_FUNCS, func_index, lm->t.ptr, 8);
    LLVMValueRef code = lower_load(lf, lm->t.ptr, fr, 8, LOWER_TBAA_TABLE, true);
    LLVMValueRef ctx_p = lower_byte_gep(lf, fr, lower_const_i64(lm, offsetof(kiln_func_ref, ctx)));
    LLVMValueRef ctx = lower_load(lf, lm->t.ptr, ctx_p, 8, LOWER_TBAA_TABLE, true);
    lower_call_typed(lf, callee->type_index, code, ctx);
}

/* ---- control flow ------------------------------------------------------------ */

static LLVMBasicBlockRef block_new(lower_func *lf, const char *name) {
    return LLVMAppendBasicBlockInContext(lf->lm->ctx, lf->fn, name);
}

LLVMBasicBlockRef lower_block_new(lower_func *lf, const char *name) { return block_new(lf, name); }

/* Phi nodes at the top of `bb` for `count` values of `types`; past
 * KILN_WIDE_GROUP values, loads of the io buffer's slots instead,
 * which every branch there stores first.  A branch is a byte or two
 * however many values it carries, and LLVM's cost per phi, at -O0
 * above all, made 7.8 KB of 500-value ifs take 1.5 GB and 13 s at -O2
 * (docs/sandbox.md, *Hostile shapes for the compiler*). */
static LLVMValueRef *phis_make(lower_func *lf, arena *a, LLVMBasicBlockRef bb, uint32_t count,
                               const uint8_t *types) {
    if (count == 0) return NULL;
    LLVMValueRef *phis = arena_array(a, count, sizeof *phis);
    if (!phis) return lower_fail(lf, "out of memory"), NULL;
    bool memory = count > KILN_WIDE_GROUP;
    LLVMValueRef buffer = memory ? io_buffer(lf) : NULL;
    LLVMBuilderRef b = lf->lm->b;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(b);
    LLVMPositionBuilderAtEnd(b, bb);
    for (uint32_t i = 0; i < count; i++)
        phis[i] = memory ? lower_slot_load(lf->lm, buffer, i, types[i])
                         : LLVMBuildPhi(b, lower_valtype(lf->lm, types[i]), "");
    if (saved) LLVMPositionBuilderAtEnd(b, saved);
    return phis;
}

/* Adds `vals` as incomings of `phis` from the current block (or stores
 * them, for the loads phis_make made instead). */
static void values_feed(lower_func *lf, LLVMValueRef *phis, LLVMValueRef *vals, uint32_t n) {
    if (n > KILN_WIDE_GROUP) {
        io_store(lf, vals, n, false); /* still on the stack past a br_if */
        return;
    }
    LLVMBasicBlockRef from = LLVMGetInsertBlock(lf->lm->b);
    for (uint32_t i = 0; i < n; i++) LLVMAddIncoming(phis[i], &vals[i], &from, 1);
}

/* The top `count` operands to a branch target. */
static void phis_feed(lower_func *lf, LLVMValueRef *phis, uint32_t count) {
    values_feed(lf, phis, &lf->stack[lf->sp - count], count);
}

/* The values of a wide target, loaded at its top, for io_slot_holds. */
static void phis_note(lower_func *lf, LLVMValueRef *phis, uint32_t count) {
    if (count > KILN_WIDE_GROUP) io_loads_note(lf, phis, count);
}

LLVMBasicBlockRef lower_branch_values(lower_func *lf, lower_ctrl *c, LLVMValueRef *vals,
                                      uint32_t n) {
    LLVMValueRef *phis = c->kind == LOWER_CTRL_LOOP ? c->param_phis : c->end_phis;
    values_feed(lf, phis, vals, n);
    if (c->kind == LOWER_CTRL_LOOP) return c->header_bb;
    c->end_preds++;
    return c->end_bb;
}

/* Adds the current edge's values to a branch target; the caller builds
 * the terminator right after. */
static LLVMBasicBlockRef branch_prepare(lower_func *lf, uint32_t label) {
    lower_ctrl *c = &lf->ctrl[lf->depth - 1 - label];
    if (c->kind == LOWER_CTRL_LOOP) {
        phis_feed(lf, c->param_phis, c->num_params);
        return c->header_bb;
    }
    phis_feed(lf, c->end_phis, c->num_results);
    c->end_preds++;
    return c->end_bb;
}

/* Falling off the end of a frame (at `else` or `end`) goes to its end
 * block, also for loops, whose branch target is the header instead. */
static void fallthrough_build(lower_func *lf, lower_ctrl *c) {
    phis_feed(lf, c->end_phis, c->num_results);
    c->end_preds++;
    LLVMBuildBr(lf->lm->b, c->end_bb);
}

void lower_fallthrough(lower_func *lf, lower_ctrl *c) { fallthrough_build(lf, c); }

static void blocktype_resolve(lower_func *lf, const kiln_insn *insn, lower_ctrl *c,
                              uint8_t *single) {
    c->num_params = c->num_results = 0;
    c->params = c->results = NULL;
    if (insn->imm.block.kind == KILN_BLOCK_VALTYPE) {
        *single = insn->imm.block.valtype;
        c->num_results = 1;
        c->results = single;
    } else if (insn->imm.block.kind == KILN_BLOCK_TYPEINDEX) {
        const kiln_functype *ft = &lf->lm->m->types[insn->imm.block.type_index];
        c->num_params = ft->num_params;
        c->params = ft->params;
        c->num_results = ft->num_results;
        c->results = ft->results;
    }
}

lower_ctrl *lower_ctrl_push(lower_func *lf, const kiln_insn *insn, uint8_t kind) {
    if (lf->depth >= lf->ctrl_cap) return lower_fail(lf, "control stack deeper than validated"), NULL;
    lower_ctrl *c = &lf->ctrl[lf->depth];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->outer_handler = lf->depth ? exn_handler_below(lf, lf->depth - 1) : NULL;
    blocktype_resolve(lf, insn, c, &lf->single_types[lf->depth]);
    lf->depth++;
    c->height = lf->sp - c->num_params;
    c->else_index = insn->imm.block.else_index;
    c->end_index = insn->imm.block.end_index;
    c->end_bb = block_new(lf, kind == LOWER_CTRL_LOOP ? "loop.end" : "end");
    c->end_phis = phis_make(lf, lf->scratch, c->end_bb, c->num_results, c->results);
    return c;
}

static void block_lower(lower_func *lf, const kiln_insn *insn) {
    lower_ctrl_push(lf, insn, LOWER_CTRL_BLOCK);
}

static void loop_lower(lower_func *lf, const kiln_insn *insn) {
    lower_ctrl *c = lower_ctrl_push(lf, insn, LOWER_CTRL_LOOP);
    if (!c) return;
    if (lf->num_loops >= lf->f->num_loops) {
        lower_fail(lf, "more loops than validated");
        return;
    }
    c->header_bb = block_new(lf, "loop");
    lf->loop_headers[lf->num_loops++] = c->header_bb;
    c->param_phis = phis_make(lf, lf->scratch, c->header_bb, c->num_params, c->params);
    phis_feed(lf, c->param_phis, c->num_params);
    LLVMBuildBr(lf->lm->b, c->header_bb);
    LLVMPositionBuilderAtEnd(lf->lm->b, c->header_bb);
    lf->io_loads_count = 0; /* back edges arrive here too */
    /* No interrupt check: a loop keeps a single exit (so LLVM can
     * vectorise it), and runtime/signals.c interrupts by signal. */
    for (uint32_t i = 0; i < c->num_params; i++) lf->stack[c->height + i] = c->param_phis[i];
    phis_note(lf, c->param_phis, c->num_params);
}

/* A condition made by a comparison (`zext i1 c`, just popped) is tested
 * as `c` itself, and the zext goes when nothing else uses it: instruction
 * selection then fuses the compare into the branch, also at -O0, where no
 * pass would (a compare feeds most of CRuby's 626,000 if, br_if and
 * select instructions).  An if with params holds them, outside the IR,
 * until its else replays them: while one does, the zext stays. */
static LLVMValueRef i32_truthy(lower_func *lf, LLVMValueRef v) {
    LLVMValueRef bit = LLVMIsAZExtInst(v) ? LLVMGetOperand(v, 0) : NULL;
    if (bit && LLVMTypeOf(bit) == lf->lm->t.i1) {
        if (!LLVMGetFirstUse(v) && !lf->if_params_held) LLVMInstructionEraseFromParent(v);
        return bit;
    }
    return LLVMBuildICmp(lf->lm->b, LLVMIntNE, v, lower_const_i32(lf->lm, 0), "");
}

static void if_lower(lower_func *lf, const kiln_insn *insn) {
    LLVMValueRef cond = i32_truthy(lf, lower_pop(lf));
    lower_ctrl *c = lower_ctrl_push(lf, insn, LOWER_CTRL_IF);
    if (!c) return;
    if (c->num_params && c->else_index != UINT32_MAX) {
        c->if_params = arena_array(lf->scratch, c->num_params, sizeof(LLVMValueRef));
        if (!c->if_params) return (void)lower_fail(lf, "out of memory");
        memcpy(c->if_params, &lf->stack[c->height], c->num_params * sizeof(LLVMValueRef));
        lf->if_params_held++;
    }
    LLVMBasicBlockRef then_bb = block_new(lf, "then");
    if (c->else_index == UINT32_MAX) {
        /* No else: the false edge goes straight to the end and carries
         * the params through (they equal the results). */
        phis_feed(lf, c->end_phis, c->num_params);
        c->end_preds++;
        LLVMBuildCondBr(lf->lm->b, cond, then_bb, c->end_bb);
    } else {
        c->else_bb = block_new(lf, "else");
        LLVMBuildCondBr(lf->lm->b, cond, then_bb, c->else_bb);
    }
    LLVMPositionBuilderAtEnd(lf->lm->b, then_bb);
}

static void params_replay(lower_func *lf, lower_ctrl *c) {
    lf->sp = c->height;
    for (uint32_t i = 0; i < c->num_params; i++) lower_push(lf, c->if_params[i]);
}

static void else_lower(lower_func *lf) {
    lower_ctrl *c = &lf->ctrl[lf->depth - 1];
    if (!lf->dead) fallthrough_build(lf, c);
    lf->io_loads_count = 0; /* the else arm is another path */
    c->has_else = true;
    params_replay(lf, c);
    if (c->if_params) lf->if_params_held--;
    LLVMPositionBuilderAtEnd(lf->lm->b, c->else_bb);
    lf->dead = false;
}

static void end_block_drop(lower_ctrl *c) {
    for (uint32_t i = 0; i < c->num_results; i++) LLVMInstructionEraseFromParent(c->end_phis[i]);
    LLVMDeleteBasicBlock(c->end_bb);
}

/* The end block of a frame nobody branches to is dead: drop it. */
static void end_block_enter(lower_func *lf, lower_ctrl *c) {
    if (c->end_preds == 0) {
        end_block_drop(c);
        lf->dead = true;
        return;
    }
    LLVMPositionBuilderAtEnd(lf->lm->b, c->end_bb);
    for (uint32_t i = 0; i < c->num_results; i++) lower_push(lf, c->end_phis[i]);
    lf->io_loads_count = 0; /* every branch here arrives */
    phis_note(lf, c->end_phis, c->num_results);
    lf->dead = false;
}

static void return_build(lower_func *lf, lower_ctrl *c) {
    LLVMBuilderRef b = lf->lm->b;
    exn_frame_end(lf);
    if (lower_results_in_memory(lf->type)) {
        LLVMValueRef buffer = io_param(lf);
        for (uint32_t i = 0; i < c->num_results; i++)
            lower_slot_store(lf->lm, buffer, i, c->end_phis[i]);
        LLVMBuildRetVoid(b);
    } else if (c->num_results == 0) {
        LLVMBuildRetVoid(b);
    } else if (c->num_results == 1) {
        LLVMBuildRet(b, c->end_phis[0]);
    } else {
        LLVMValueRef agg = LLVMGetPoison(lower_results_type(lf->lm, lf->type));
        for (uint32_t i = 0; i < c->num_results; i++)
            agg = LLVMBuildInsertValue(b, agg, c->end_phis[i], i, "");
        LLVMBuildRet(b, agg);
    }
}

/* A block or loop that no branch leaves by its end (a loop's branches go
 * to its header) ends where its body falls through: no end block, no
 * phis, the results stay where they are on the operand stack.  Besides
 * sparing LLVM a block per such frame, this keeps deeply nested frames
 * from costing a block each. */
static bool end_block_elide(lower_func *lf, lower_ctrl *c) {
    if (lf->dead || c->end_preds || c->handler ||
        (c->kind != LOWER_CTRL_BLOCK && c->kind != LOWER_CTRL_LOOP))
        return false;
    end_block_drop(c);
    memmove(&lf->stack[c->height], &lf->stack[lf->sp - c->num_results],
            c->num_results * sizeof *lf->stack);
    lf->sp = c->height + c->num_results;
    lf->depth--;
    return true;
}

static void end_lower(lower_func *lf) {
    lower_ctrl *c = &lf->ctrl[lf->depth - 1];
    if (end_block_elide(lf, c)) return;
    if (c->handler) exn_end(lf, c);
    if (!lf->dead) fallthrough_build(lf, c);
    lf->sp = c->height;
    lf->depth--;
    end_block_enter(lf, c);
    if (c->kind == LOWER_CTRL_FUNC && !lf->dead) return_build(lf, c);
}

void lower_end(lower_func *lf) { end_lower(lf); }

static void br_lower(lower_func *lf, uint32_t label) {
    LLVMBuildBr(lf->lm->b, branch_prepare(lf, label));
    lf->dead = true;
}

static void br_if_lower(lower_func *lf, uint32_t label) {
    LLVMValueRef cond = i32_truthy(lf, lower_pop(lf));
    LLVMBasicBlockRef cont = block_new(lf, "br_if.cont");
    LLVMBuildCondBr(lf->lm->b, cond, branch_prepare(lf, label), cont);
    LLVMPositionBuilderAtEnd(lf->lm->b, cont);
}

/* br_on_null l: the reference leaves the stack on the branch, and stays
 * (now known non-null) when the code falls through. */
static void br_on_null_lower(lower_func *lf, uint32_t label) {
    LLVMValueRef ref = lower_pop(lf);
    LLVMValueRef is_null = LLVMBuildIsNull(lf->lm->b, ref, "");
    LLVMBasicBlockRef cont = block_new(lf, "br_on_null.cont");
    LLVMBuildCondBr(lf->lm->b, is_null, branch_prepare(lf, label), cont);
    LLVMPositionBuilderAtEnd(lf->lm->b, cont);
    lower_push(lf, ref);
}

/* br_on_non_null l: the branch carries the reference; falling through
 * drops the null. */
static void br_on_non_null_lower(lower_func *lf, uint32_t label) {
    LLVMValueRef is_null = LLVMBuildIsNull(lf->lm->b, lf->stack[lf->sp - 1], "");
    LLVMBasicBlockRef cont = block_new(lf, "br_on_non_null.cont");
    LLVMBuildCondBr(lf->lm->b, is_null, cont, branch_prepare(lf, label));
    LLVMPositionBuilderAtEnd(lf->lm->b, cont);
    lower_pop(lf);
}

/* -O0: br_table as a binary search of compares over the index (LLVM's
 * fast instruction selector handles no `switch`, so each sent its block
 * to SelectionDAG).  Each range of entries naming one label is a leaf,
 * so the two sides of a compare never name the same label; O(log n)
 * compares at run time. */
static bool labels_same(const uint32_t *labels, uint32_t lo, uint32_t hi) {
    for (uint32_t i = lo + 1; i < hi; i++)
        if (labels[i] != labels[lo]) return false;
    return true;
}

/* The successor for index range [lo, hi) of the block being built: the
 * label's block (with this block's phi incomings) or a new search block. */
static LLVMBasicBlockRef br_table_side(lower_func *lf, const uint32_t *labels, uint32_t lo,
                                       uint32_t hi) {
    if (labels_same(labels, lo, hi)) return branch_prepare(lf, labels[lo]);
    return block_new(lf, "br_table");
}

/* In the current block, index is known to lie in [lo, hi). */
static void br_table_search(lower_func *lf, LLVMValueRef index, const uint32_t *labels, uint32_t lo,
                            uint32_t hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    LLVMValueRef below = LLVMBuildICmp(lf->lm->b, LLVMIntULT, index, lower_const_i32(lf->lm, mid), "");
    LLVMBasicBlockRef left = br_table_side(lf, labels, lo, mid);
    LLVMBasicBlockRef right = br_table_side(lf, labels, mid, hi);
    LLVMBuildCondBr(lf->lm->b, below, left, right);
    if (!labels_same(labels, lo, mid)) {
        LLVMPositionBuilderAtEnd(lf->lm->b, left);
        br_table_search(lf, index, labels, lo, mid);
    }
    if (!labels_same(labels, mid, hi)) {
        LLVMPositionBuilderAtEnd(lf->lm->b, right);
        br_table_search(lf, index, labels, mid, hi);
    }
}

static void br_table_compares(lower_func *lf, LLVMValueRef index, const uint32_t *labels,
                              uint32_t n) {
    LLVMValueRef out = LLVMBuildICmp(lf->lm->b, LLVMIntUGE, index, lower_const_i32(lf->lm, n), "");
    LLVMBasicBlockRef dflt = branch_prepare(lf, labels[n]);
    LLVMBasicBlockRef in = br_table_side(lf, labels, 0, n);
    LLVMBuildCondBr(lf->lm->b, out, dflt, in);
    if (labels_same(labels, 0, n)) return;
    LLVMPositionBuilderAtEnd(lf->lm->b, in);
    br_table_search(lf, index, labels, 0, n);
}

/* br_table becomes a switch; a target named by several entries gets one
 * phi incoming per edge, as LLVM counts them. */
static void br_table_lower(lower_func *lf, const kiln_insn *insn) {
    LLVMValueRef index = lower_pop(lf);
    uint32_t n = insn->imm.br_table.count;
    const uint32_t *labels = insn->imm.br_table.labels;
    if (lf->lm->opts->opt_level == 0 && n > 0) {
        br_table_compares(lf, index, labels, n);
        lf->dead = true;
        return;
    }
    LLVMBasicBlockRef dflt = branch_prepare(lf, labels[n]);
    LLVMValueRef sw = LLVMBuildSwitch(lf->lm->b, index, dflt, n);
    for (uint32_t i = 0; i < n; i++)
        LLVMAddCase(sw, lower_const_i32(lf->lm, i), branch_prepare(lf, labels[i]));
    lf->dead = true;
}

static void return_lower(lower_func *lf) {
    br_lower(lf, lf->depth - 1);
}

/* ---- variables, constants, parametric --------------------------------------- */

static void local_get_lower(lower_func *lf, uint32_t i) {
    lower_push(lf, LLVMBuildLoad2(lf->lm->b, lf->local_llvm_types[i], lf->locals[i], ""));
}

static void local_set_lower(lower_func *lf, uint32_t i, bool tee) {
    LLVMValueRef v = lower_pop(lf);
    LLVMBuildStore(lf->lm->b, v, lf->locals[i]);
    if (tee) lower_push(lf, v);
}

/* An own global's cell is at a constant offset from the vmctx (one
 * access); an imported or exported one is shared, reached through the
 * vmctx's array of cell addresses (kiln_abi.h). */
static LLVMValueRef global_cell(lower_func *lf, uint32_t i) {
    uint32_t slot = lf->lm->m->global_slots[i];
    if (slot == MODULE_GLOBAL_SHARED)
        return lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_GLOBALS, i, lf->lm->t.ptr, 8);
    uint64_t offset = KILN_VMCTX_OFFSET_OWN_GLOBALS + (uint64_t)slot * sizeof(kiln_val);
    return lower_byte_gep(lf, lf->vmctx, lower_const_i64(lf->lm, offset));
}

static void global_get_lower(lower_func *lf, uint32_t i) {
    const kiln_globaltype *gt = &lf->lm->m->globals[i].type;
    LLVMTypeRef ty = lower_valtype(lf->lm, gt->valtype);
    /* Not invariant even when immutable: the host may set imported ones. */
    lower_push(lf, lower_load(lf, ty, global_cell(lf, i), gt->valtype == KILN_V128 ? 16 : 8,
                              LOWER_TBAA_GLOBAL, false));
}

static void global_set_lower(lower_func *lf, uint32_t i) {
    const kiln_globaltype *gt = &lf->lm->m->globals[i].type;
    LLVMValueRef v = lower_pop(lf);
    lower_store(lf, v, global_cell(lf, i), gt->valtype == KILN_V128 ? 16 : 8, LOWER_TBAA_GLOBAL);
}

static LLVMValueRef v128_const(lower_module *lm, const uint8_t bytes[16]) {
    LLVMValueRef lanes[2];
    for (int l = 0; l < 2; l++) {
        uint64_t v = 0;
        for (int k = 7; k >= 0; k--) v = (v << 8) | bytes[l * 8 + k];
        lanes[l] = lower_const_i64(lm, v);
    }
    return LLVMConstVector(lanes, 2);
}

/* Float constants go through their bit patterns so NaN payloads survive. */
static bool const_lower(lower_func *lf, const kiln_insn *insn) {
    lower_module *lm = lf->lm;
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_I32_CONST: lower_push(lf, lower_const_i32(lm, (uint32_t)insn->imm.i32)); return true;
    case KILN_OP_I64_CONST: lower_push(lf, lower_const_i64(lm, (uint64_t)insn->imm.i64)); return true;
    case KILN_OP_F32_CONST:
        lower_push(lf, LLVMConstBitCast(lower_const_i32(lm, insn->imm.f32_bits), lm->t.f32));
        return true;
    case KILN_OP_F64_CONST:
        lower_push(lf, LLVMConstBitCast(lower_const_i64(lm, insn->imm.f64_bits), lm->t.f64));
        return true;
    case KILN_OP_V128_CONST: lower_push(lf, v128_const(lm, insn->imm.v128)); return true;
    default: return false;
    }
}

static void select_lower(lower_func *lf) {
    LLVMValueRef cond = i32_truthy(lf, lower_pop(lf));
    LLVMValueRef b = lower_pop(lf);
    LLVMValueRef a = lower_pop(lf);
    lower_push(lf, LLVMBuildSelect(lf->lm->b, cond, a, b, ""));
}

/* ---- value instructions (numeric, SIMD) ------------------------------------- */

static uint32_t sig_param_count(const char *sig) {
    uint32_t n = 0;
    while (sig[n] && sig[n] != ':') n++;
    return n;
}

static void value_lower(lower_func *lf, const kiln_insn *insn) {
    kiln_opcode op = (kiln_opcode)insn->op;
    const kiln_opcode_info *info = &kiln_opcode_table[op];
    if (info->signature[0] == '*') {
        lower_fail(lf, "%s is not supported", info->text);
        return;
    }
    uint32_t n = sig_param_count(info->signature);
    LLVMValueRef args[4];
    for (uint32_t i = n; i > 0; i--) args[i - 1] = lower_pop(lf);
    LLVMValueRef r = NULL;
    if (lower_numeric_handles(op)) r = lower_numeric(&lf->env, op, args);
    else if (info->prefix == 0xFD) r = lower_simd(&lf->env, insn, args);
    if (!r) {
        lower_fail(lf, "%s is not supported", info->text);
        return;
    }
    size_t results = strlen(strchr(info->signature, ':') + 1);
    if (results == 1) lower_push(lf, r);
    /* Two results (wide arithmetic) come as a {i64, i64}. */
    for (unsigned i = 0; results > 1 && i < results; i++)
        lower_push(lf, LLVMBuildExtractValue(lf->lm->b, r, i, ""));
}

/* ---- dispatch ---------------------------------------------------------------- */

/* Where lowering moves to code that other paths reach than the one it
 * lowered last: handlers (else_lower, end_block_enter and loop_lower
 * forget the noted loads themselves, after their fallthrough or entry
 * edge, which is still on the last path). */
static bool insn_enters_handler(kiln_opcode op) {
    return op == KILN_OP_CATCH || op == KILN_OP_CATCH_ALL || op == KILN_OP_DELEGATE;
}

static void insn_lower(lower_func *lf, const kiln_insn *insn) {
    if (insn_enters_handler((kiln_opcode)insn->op)) lf->io_loads_count = 0; /* io_slot_holds */
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_UNREACHABLE: lower_trap(lf, KILN_TRAP_UNREACHABLE); break;
    case KILN_OP_NOP: break;
    case KILN_OP_BLOCK: block_lower(lf, insn); break;
    case KILN_OP_LOOP: loop_lower(lf, insn); break;
    case KILN_OP_IF: if_lower(lf, insn); break;
    case KILN_OP_ELSE: else_lower(lf); break;
    case KILN_OP_END: end_lower(lf); break;
    case KILN_OP_BR: br_lower(lf, insn->imm.index); break;
    case KILN_OP_BR_IF: br_if_lower(lf, insn->imm.index); break;
    case KILN_OP_BR_TABLE: br_table_lower(lf, insn); break;
    case KILN_OP_BR_ON_NULL: br_on_null_lower(lf, insn->imm.index); break;
    case KILN_OP_BR_ON_NON_NULL: br_on_non_null_lower(lf, insn->imm.index); break;
    case KILN_OP_RETURN: return_lower(lf); break;
    case KILN_OP_CALL: call_lower(lf, insn->imm.index); break;
    case KILN_OP_RETURN_CALL: return_call_lower(lf, insn->imm.index); break;
    case KILN_OP_DROP: lower_pop(lf); break;
    case KILN_OP_SELECT:
    case KILN_OP_SELECT_T: select_lower(lf); break;
    case KILN_OP_LOCAL_GET: local_get_lower(lf, insn->imm.index); break;
    case KILN_OP_LOCAL_SET: local_set_lower(lf, insn->imm.index, false); break;
    case KILN_OP_LOCAL_TEE: local_set_lower(lf, insn->imm.index, true); break;
    case KILN_OP_GLOBAL_GET: global_get_lower(lf, insn->imm.index); break;
    case KILN_OP_GLOBAL_SET: global_set_lower(lf, insn->imm.index); break;
    default:
        if (const_lower(lf, insn) || atomic_lower(lf, insn) || memory_lower(lf, insn) ||
            table_lower(lf, insn) || exn_lower(lf, insn))
            break;
        value_lower(lf, insn);
        break;
    }
}

/* In dead code, jump to the innermost frame's else (if its then-arm is
 * what died) or end: nothing in between can be reached. */
static uint32_t dead_skip(const lower_func *lf, uint32_t i) {
    const lower_ctrl *c = &lf->ctrl[lf->depth - 1];
    if (c->kind == LOWER_CTRL_IF && !c->has_else && c->else_index != UINT32_MAX &&
        i < c->else_index)
        return c->else_index;
    if (c->kind == LOWER_CTRL_TRY && c->next_index != UINT32_MAX) return c->next_index;
    return c->end_index;
}

/* ---- function prologue and body ---------------------------------------------- */

static bool func_state_alloc(lower_func *lf) {
    arena *a = lf->scratch;
    const kiln_func *f = lf->f;
    lf->num_locals = lf->type->num_params + f->num_locals;
    lf->stack_cap = f->max_stack + 1;
    lf->ctrl_cap = f->max_control + 2;
    lf->stack = arena_array(a, lf->stack_cap, sizeof *lf->stack);
    lf->ctrl = arena_array(a, lf->ctrl_cap, sizeof *lf->ctrl);
    lf->locals = arena_array(a, lf->num_locals + 1, sizeof *lf->locals);
    lf->local_llvm_types = arena_array(a, lf->num_locals + 1, sizeof *lf->local_llvm_types);
    lf->single_types = arena_zalloc(a, lf->ctrl_cap);
    lf->loop_headers = arena_array(a, f->num_loops + 1, sizeof *lf->loop_headers);
    if (!lf->stack || !lf->ctrl || !lf->locals || !lf->local_llvm_types || !lf->single_types ||
        !lf->loop_headers)
        return lower_fail(lf, "out of memory");
    return true;
}

static void locals_init(lower_func *lf) {
    LLVMBuilderRef b = lf->lm->b;
    uint32_t np = lf->type->num_params;
    for (uint32_t i = 0; i < lf->num_locals; i++) {
        uint8_t vt = i < np ? lf->type->params[i] : lf->f->local_types[i];
        LLVMTypeRef ty = lower_valtype(lf->lm, vt);
        lf->local_llvm_types[i] = ty;
        lf->locals[i] = LLVMBuildAlloca(b, ty, "");
        LLVMValueRef init = i >= np                            ? LLVMConstNull(ty)
                            : lower_params_in_memory(lf->type) ? lower_slot_load(lf->lm, io_param(lf), i, vt)
                                                               : LLVMGetParam(lf->fn, i + 1);
        LLVMBuildStore(b, init, lf->locals[i]);
    }
}

/* ---- type classes ------------------------------------------------------------ */

bool lower_functype_equal(const kiln_functype *a, const kiln_functype *b) {
    return a->num_params == b->num_params && a->num_results == b->num_results &&
           memcmp(a->params, b->params, a->num_params) == 0 &&
           memcmp(a->results, b->results, a->num_results) == 0;
}

static uint32_t functype_hash(const kiln_functype *ft) {
    uint32_t h = 2166136261u ^ ft->num_params;
    for (uint32_t i = 0; i < ft->num_params; i++) h = (h ^ ft->params[i]) * 16777619u;
    h = (h ^ 0xff ^ ft->num_results) * 16777619u;
    for (uint32_t i = 0; i < ft->num_results; i++) h = (h ^ ft->results[i]) * 16777619u;
    return h;
}

/* Each type's class, the first type index with the same parameter and
 * result codes (lower_functype_equal), found through a hash table: a
 * module of n distinct types costs O(n), not the n^2 comparisons of
 * looking at every earlier type.  NULL when out of memory. */
const uint32_t *lower_type_classes(lower_module *lm) {
    const kiln_module *m = lm->m;
    if (lm->type_classes) return lm->type_classes;
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)m->num_types) cap *= 2;
    uint32_t *classes = arena_array(lm->arena, m->num_types + 1, sizeof *classes);
    uint32_t *slots = malloc(cap * sizeof *slots); /* type index + 1; 0: empty */
    if (!classes || !slots) {
        free(slots);
        return NULL;
    }
    memset(slots, 0, cap * sizeof *slots);
    for (uint32_t t = 0; t < m->num_types; t++) {
        uint32_t k = functype_hash(&m->types[t]) & (cap - 1);
        while (slots[k] && !lower_functype_equal(&m->types[slots[k] - 1], &m->types[t]))
            k = (k + 1) & (cap - 1);
        if (!slots[k]) slots[k] = t + 1;
        classes[t] = slots[k] - 1;
    }
    free(slots);
    return lm->type_classes = classes;
}

/* ---- the stack check --------------------------------------------------------
 *
 * Deep recursion and huge frames must end in a trap before a single byte
 * is written below the stack limit, so the check happens before the frame
 * it protects is allocated, with that frame's exact size:
 *
 *   sp - frames[callee] < kiln_rt_stack_limit  ->  trap
 *
 * where sp is the caller's stack pointer and frames[] is a table of every
 * body's frame size that emit.c fills in once LLVM has laid the frames
 * out (plus room for the return address, the red zone and realignment).
 * A direct call checks at the call site, then calls the body: LLVM may
 * still inline bodies into each other, since the frame it measures is the
 * merged one.  A body in another partition is checked the same way,
 * through the symbol <prefix>.z<index> its partition defines for its
 * entry of the table.  Everything else (tables, exports, ref.func, the
 * start function) calls the function's entry stub, which makes the same
 * check and tail-calls the body; the stub's own call is marked noinline
 * so the body never grows into the stub, whose frame is not measured.
 *
 * Only functions a function reference can name have a stub
 * (module_entry_funcs: exports, element segments of every mode, ref.func
 * in constant expressions and table initialisers, the start function);
 * the others' descriptor entry is NULL.  That loses no check: a function
 * reference is made only by the runtime (exports, element segments,
 * constant expressions, the start call: all in that set, and
 * desc_module_read refuses a descriptor with a NULL entry for any of
 * them) or by ref.func in a body, which the validator accepts only for
 * C.refs (module_declared_funcs), a subset; call_indirect, call_ref and
 * their return_ forms only call through references.  Every other way
 * to a body is a direct call, checked above.  docs/sandbox.md gives the
 * whole argument. */

void lower_frames_symbol(const kiln_compile_options *opts, const lower_partition *part, char *out,
                         size_t cap) {
    snprintf(out, cap, "%s.frames%u", opts->prefix, part ? part->index : 0);
}

int lower_function_kind(const char *prefix, const char *name, size_t len, uint32_t *index) {
    size_t plen = strlen(prefix);
    if (len < plen + 3 || memcmp(name, prefix, plen) != 0 || name[plen] != '.' ||
        (name[plen + 1] != 'f' && name[plen + 1] != 's'))
        return LOWER_FN_OTHER;
    bool stub = name[plen + 1] == 's';
    size_t i = plen + 2;
    uint64_t v = 0;
    for (; i < len && name[i] >= '0' && name[i] <= '9' && v <= UINT32_MAX; i++)
        v = v * 10 + (uint64_t)(name[i] - '0');
    if (i == plen + 2 || v > UINT32_MAX || (i < len && (stub || name[i] != '.')))
        return LOWER_FN_OTHER;
    *index = (uint32_t)v;
    return stub ? LOWER_FN_STUB : LOWER_FN_BODY;
}

/* The table must reach the object even when no stub or call reads it
 * (frames.c refuses an object without it): llvm.compiler.used. */
static void frames_keep(lower_module *lm) {
    LLVMTypeRef ty = LLVMArrayType2(lm->t.ptr, 1);
    LLVMValueRef used = LLVMAddGlobal(lm->mod, ty, "llvm.compiler.used");
    LLVMSetLinkage(used, LLVMAppendingLinkage);
    LLVMSetSection(used, "llvm.metadata");
    LLVMSetInitializer(used, LLVMConstArray2(lm->t.ptr, &lm->frames, 1));
}

static void frame_alias_name(const lower_module *lm, uint32_t index, char *out, size_t cap) {
    snprintf(out, cap, "%s.z%u", lm->opts->prefix, index);
}

/* Body `index`'s entry of this partition's table (a constant). */
static LLVMValueRef frame_entry(lower_module *lm, uint32_t index) {
    LLVMValueRef idx[2] = {lower_const_i64(lm, 0), lower_const_i64(lm, index - lm->frames_first)};
    return LLVMConstGEP2(LLVMGlobalGetValueType(lm->frames), lm->frames, idx, 2);
}

/* <prefix>.z<index>: body `index`'s entry of this partition's table, for
 * the direct calls of other partitions.  Named by function index only, so
 * a caller's object stays valid whatever this partition's range. */
static void frame_alias_add(lower_module *lm, uint32_t index) {
    char name[300];
    frame_alias_name(lm, index, name, sizeof name);
    LLVMValueRef alias = LLVMAddAlias2(lm->mod, lm->t.i32, 0, frame_entry(lm, index), name);
    LLVMSetVisibility(alias, LLVMHiddenVisibility);
}

bool lower_body_is_local(const lower_module *lm, uint32_t index) {
    uint32_t end = lm->part ? lm->part->end : lm->m->num_funcs;
    return index >= lm->frames_first && index < end;
}

/* Where body `index`'s frame size is: our table, or another partition's. */
LLVMValueRef lower_frame_slot(lower_module *lm, uint32_t index) {
    if (lower_body_is_local(lm, index)) return frame_entry(lm, index);
    char name[300];
    frame_alias_name(lm, index, name, sizeof name);
    LLVMValueRef g = LLVMGetNamedGlobal(lm->mod, name);
    if (g) return g;
    g = LLVMAddGlobal(lm->mod, lm->t.i32, name);
    LLVMSetVisibility(g, LLVMHiddenVisibility);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetAlignment(g, 4);
    return g;
}

/* Externally initialized, so LLVM cannot fold loads of its (still zero)
 * initializer; frames.c writes the real sizes into the object.  Constant,
 * so loads of it may still be shared and hoisted. */
static void frames_table_create(lower_module *lm) {
    uint32_t first = lm->part ? lm->part->first : lm->m->num_imported_funcs;
    uint32_t end = lm->part ? lm->part->end : lm->m->num_funcs;
    char name[300];
    lower_frames_symbol(lm->opts, lm->part, name, sizeof name);
    LLVMTypeRef ty = LLVMArrayType2(lm->t.i32, end > first ? end - first : 1);
    lm->frames = LLVMAddGlobal(lm->mod, ty, name);
    LLVMSetInitializer(lm->frames, LLVMConstNull(ty));
    LLVMSetGlobalConstant(lm->frames, 1);
    LLVMSetExternallyInitialized(lm->frames, 1);
    LLVMSetLinkage(lm->frames, LLVMInternalLinkage);
    LLVMSetAlignment(lm->frames, 4);
    lm->frames_first = first;
    frames_keep(lm);
    if (lm->part)
        for (uint32_t i = first; i < end; i++) frame_alias_add(lm, i);
}

/* What lowering needs to know of the target, read once per module from
 * its triple: whether its LLVM back end has tailcc (see
 * LOWER_TAIL_CALL_CONV), and the stack pointer register's name for
 * llvm.read_register (NULL: none known). */
static void target_facts_set(lower_module *lm, const char *triple) {
    bool x86_64 = strncmp(triple, "x86_64", 6) == 0, aarch64 = strncmp(triple, "aarch64", 7) == 0;
    lm->musttail = x86_64 || aarch64;
    lm->call_conv = lm->musttail ? LOWER_TAIL_CALL_CONV : LLVMCCallConv;
    lm->body_conv = lm->call_conv; /* module_lower_into decides */
    lm->sp_register = x86_64 ? "rsp" : aarch64 || strncmp(triple, "riscv64", 7) == 0 ? "sp" : NULL;
}

/* The current stack pointer.  llvm.read_register only reads, so loads
 * move freely around it and two reads in a function (whose frame is
 * static) may be shared; llvm.stacksave, the portable fallback, counts as
 * writing memory and pins everything around it. */
static LLVMValueRef stack_pointer(lower_module *lm) {
    const char *reg = lm->sp_register;
    if (reg) {
        static const char name[] = "llvm.read_register";
        unsigned id = LLVMLookupIntrinsicID(name, sizeof name - 1);
        LLVMTypeRef i64 = lm->t.i64;
        LLVMValueRef fn = LLVMGetIntrinsicDeclaration(lm->mod, id, &i64, 1);
        LLVMMetadataRef reg_md = LLVMMDStringInContext2(lm->ctx, reg, strlen(reg));
        LLVMValueRef arg = LLVMMetadataAsValue(lm->ctx, LLVMMDNodeInContext2(lm->ctx, &reg_md, 1));
        return LLVMBuildCall2(lm->b, LLVMIntrinsicGetType(lm->ctx, id, &i64, 1), fn, &arg, 1, "sp");
    }
    static const char name[] = "llvm.stacksave";
    unsigned id = LLVMLookupIntrinsicID(name, sizeof name - 1);
    LLVMTypeRef ptr = lm->t.ptr;
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(lm->mod, id, &ptr, 1);
    LLVMValueRef sp = LLVMBuildCall2(lm->b, LLVMIntrinsicGetType(lm->ctx, id, &ptr, 1), fn, NULL, 0, "");
    return LLVMBuildPtrToInt(lm->b, sp, lm->t.i64, "sp");
}

/* A thread-local i64 of the runtime: initial-exec TLS, since the runtime
 * is part of the program or loaded with it, never dlopen'ed after it; in
 * an executable (kiln build), local-exec, at a fixed offset from the
 * thread pointer that needs no register. */
LLVMValueRef lower_runtime_tls(lower_module *lm, const char *name) {
    LLVMValueRef g = LLVMGetNamedGlobal(lm->mod, name);
    if (g) return g;
    g = LLVMAddGlobal(lm->mod, lm->t.i64, name);
    LLVMSetThreadLocal(g, 1);
    LLVMSetThreadLocalMode(g, lm->opts->executable ? LLVMLocalExecTLSModel : LLVMInitialExecTLSModel);
    return g;
}

/* kiln_rt_stack_limit, the calling thread's limit, or
 * kiln_rt_stack_limit_small, the same plus KILN_SMALL_FRAME_MAX. */
static LLVMValueRef limit_load(lower_module *lm, const char *name) {
    if (lm->body_limit_small && strcmp(name, "kiln_rt_stack_limit_small") == 0)
        return lm->body_limit_small;
    LLVMValueRef limit = LLVMBuildLoad2(lm->b, lm->t.i64, lower_runtime_tls(lm, name), "limit");
    LLVMSetAlignment(limit, 8);
    lower_tbaa_tag(lm, limit, LOWER_TBAA_VMCTX);
    return limit;
}

static LLVMValueRef stack_limit_load(lower_module *lm) {
    return limit_load(lm, "kiln_rt_stack_limit");
}

/* True when a frame of `need` bytes (an i32) would reach below the limit;
 * `sp` and `limit` are read here when NULL. */
static LLVMValueRef stack_short_need(lower_module *lm, LLVMValueRef need, LLVMValueRef sp,
                                     LLVMValueRef limit) {
    if (!limit) limit = stack_limit_load(lm);
    LLVMValueRef need64 = LLVMBuildZExt(lm->b, need, lm->t.i64, "");
    if (!sp) sp = stack_pointer(lm);
    /* Stack addresses lie far above any frame size: sp - need never wraps. */
    LLVMValueRef low = LLVMBuildSub(lm->b, sp, need64, "");
    return LLVMBuildICmp(lm->b, LLVMIntULT, low, limit, "");
}

/* The frame size a frame-size table entry (`slot`) holds. */
static LLVMValueRef frame_load_at(lower_module *lm, LLVMValueRef slot) {
    LLVMValueRef need = LLVMBuildLoad2(lm->b, lm->t.i32, slot, "frame");
    LLVMSetAlignment(need, 4);
    return need;
}

static LLVMValueRef frame_load(lower_module *lm, uint32_t index) {
    return frame_load_at(lm, lower_frame_slot(lm, index));
}

/* True when the frame of body `index` would reach below the limit; `sp`
 * is read here when NULL. */
static LLVMValueRef stack_short_with(lower_module *lm, uint32_t index, LLVMValueRef sp) {
    return stack_short_need(lm, frame_load(lm, index), sp, NULL);
}

/* Small-frame bodies (ABI version 8).  Above -O0 a check reads one
 * thread-local value, kiln_rt_stack_limit_small = limit +
 * KILN_SMALL_FRAME_MAX.  For a body of this partition whose frame plus
 * slack is at most KILN_SMALL_FRAME_MAX, sp - frame < limit can only hold
 * when sp < limit_small does, so that is the whole check: no frame size
 * to load, nothing for LLVM to hoist into a register kept across the
 * calls of a loop.  Which bodies are small is known only after code
 * generation: every body is assumed small, frames.c verifies it
 * (frames_small_over) and emit.c lowers the partition again with any
 * bigger one marked in frames_big.  Other bodies (bigger ones, and those
 * of other partitions, whose frames this partition's object cannot
 * verify) keep their table entry: sp + KILN_SMALL_FRAME_MAX - frame <
 * limit_small.  Stack addresses lie far above both sizes: nothing wraps.
 * At -O0 the checks stay as they were (kiln_rt_stack_limit, the table). */
bool lower_frame_small(const kiln_compile_options *opts, const uint8_t *frames_big, uint32_t first,
                       uint32_t index) {
    return opts->opt_level > 0 && !(frames_big && frames_big[index - first]);
}

/* Huge bodies: one threshold for two costs that grow faster than a
 * body's length, since both come from the same long bodies (in CRuby,
 * the 9 of 17,825 at or over it: the interpreter loop and a few parsers
 * and dispatchers).
 *
 * Frames: such bodies are lowered as big-frame ones from the start,
 * instead of as small ones that frames.c may find too big, which costs
 * the whole partition a second lowering, optimisation and emission
 * (CRuby's interpreter loop, 66,111 instructions: its partition took 129
 * user-s instead of 59).  Of CRuby's 17,825 bodies at -O2, that one alone
 * has a frame (6,152 bytes with the slack) over KILN_SMALL_FRAME_MAX; the
 * next largest frame is 2,504 bytes, at 37,999 instructions, and no body
 * of 10,000 instructions or more needs over 0.16 bytes per instruction
 * (at that rate 4 KiB takes 25,600).  A body marked wrongly costs only
 * one load in the checks of its calls (of 17,825, the 9 longest are
 * marked, 8 of them wrongly).  Frames of shorter bodies depend on what
 * is live across their calls, which no count of instructions or locals
 * predicts: those stay on the measure-and-retry path.
 *
 * Pipeline: emit.c gives each such body a partition of its own at -O2
 * and -O3 and runs a pipeline with its superlinear passes bounded there
 * (pipeline.c, pipeline_for_huge): the three longest of CRuby's took a
 * third of its -O2 compile, GVN's load PRE, unrolling and SLP a large
 * share of their IR pipeline (docs/benchmarks.md, *A cheaper -O2 for
 * huge bodies*). */
enum { LOWER_HUGE_BODY_INSNS = 24576 };

bool lower_body_huge(const kiln_module *m, uint32_t index) {
    return m->funcs[index].num_insns >= LOWER_HUGE_BODY_INSNS;
}

/* sp < limit_small, or, when `frame` is not NULL (a body whose frame
 * may be bigger than KILN_SMALL_FRAME_MAX), sp + KILN_SMALL_FRAME_MAX -
 * *frame < limit_small.  In an executable (local-exec thread-locals, no
 * register to share between the two) the latter is sp - *frame <
 * kiln_rt_stack_limit, the same condition in one instruction fewer.
 *
 * Both are built as room < need, room = sp - limit and need the frame
 * size (less KILN_SMALL_FRAME_MAX against limit_small), compared signed:
 * the frame size, which LLVM loads once per body and shares between all
 * its checks of that callee, is then only ever compared.  Built as sp +
 * (KILN_SMALL_FRAME_MAX - frame), which InstCombine made of the first
 * form, the shared value was an operand of N adds, and on x86-64 the
 * two-address pass took time quadratic in N (a body with 10,000 calls of
 * a function of another partition: 16.6 of its 26 s).  Exact: stack
 * addresses and limits lie below 2^63 and frames below 2^32, so neither
 * difference wraps; a saturated limit_small (trap.c) never reaches here,
 * since trap_protect refuses every entry below its limit. */
static LLVMValueRef stack_short_small_at(lower_module *lm, LLVMValueRef frame, LLVMValueRef sp) {
    bool full_limit = frame && lm->opts->executable;
    LLVMValueRef limit =
        limit_load(lm, full_limit ? "kiln_rt_stack_limit" : "kiln_rt_stack_limit_small");
    if (!frame) return LLVMBuildICmp(lm->b, LLVMIntULT, sp, limit, "");
    LLVMValueRef need = LLVMBuildZExt(lm->b, frame_load_at(lm, frame), lm->t.i64, "");
    if (!full_limit) need = LLVMBuildSub(lm->b, need, lower_const_i64(lm, KILN_SMALL_FRAME_MAX), "");
    LLVMValueRef room = LLVMBuildSub(lm->b, sp, limit, "room");
    return LLVMBuildICmp(lm->b, LLVMIntSLT, room, need, "");
}

static LLVMValueRef stack_short_small(lower_module *lm, uint32_t index, LLVMValueRef sp) {
    bool small = lower_body_is_local(lm, index) &&
                 lower_frame_small(lm->opts, lm->frames_big, lm->frames_first, index);
    return stack_short_small_at(lm, small ? NULL : lower_frame_slot(lm, index), sp);
}

static LLVMValueRef stack_short(lower_module *lm, uint32_t index) {
    if (lm->opts->opt_level > 0) return stack_short_small(lm, index, stack_pointer(lm));
    return stack_short_with(lm, index, NULL);
}

/* -O0: one check per body, in its entry block, for the largest frame
 * among the bodies it calls directly, instead of a check and a block
 * after it at every call (CRuby has 128,924 direct calls; each block cost
 * fast instruction selection and the fast register allocator, which
 * spills every value live across it).  It is sound for the same reason
 * as a check at each call: the frame is static, so the stack pointer at
 * entry is the one every call sees, the limit changes only at a thread's
 * outermost entry, and sp - max(frames) >= limit gives sp - frames[c] >=
 * limit for every callee c.  The trap may come earlier than the call
 * that would have needed it (a body that calls a big-framed function
 * only on some path traps on entry, as though its own frame were that
 * much bigger), never later, and from the same frame, which its own
 * caller checked.  The stack pointer and the limit are read first in the
 * entry block: LLVM's fast instruction selector handles neither
 * llvm.read_register nor a thread-local load, and each one sends what
 * precedes it in its block to SelectionDAG (first, they take only
 * themselves there, not the locals' stores after them). */
static void entry_reads_make(lower_func *lf) {
    lower_module *lm = lf->lm;
    if (lf->entry_sp) return;
    lower_pos at = {LLVMGetInsertBlock(lm->b), LLVMGetCurrentDebugLocation2(lm->b)};
    LLVMPositionBuilderBefore(lm->b, LLVMGetFirstInstruction(lf->entry_bb));
    lf->entry_limit = stack_limit_load(lm);
    lf->entry_sp = stack_pointer(lm);
    lower_entry_end(lf, at);
}

/* Builds in the entry block, before its branch into the body (values
 * made there dominate every use), until lower_entry_end puts the
 * builder back at the end of the block being lowered. */
lower_pos lower_entry_begin(lower_func *lf) {
    lower_module *lm = lf->lm;
    lower_pos at = {LLVMGetInsertBlock(lm->b), LLVMGetCurrentDebugLocation2(lm->b)};
    LLVMPositionBuilderBefore(lm->b, LLVMGetBasicBlockTerminator(lf->entry_bb));
    return at;
}

void lower_entry_end(lower_func *lf, lower_pos at) {
    LLVMPositionBuilderAtEnd(lf->lm->b, at.bb);
    LLVMSetCurrentDebugLocation2(lf->lm->b, at.loc);
}

/* Adds body `index` to those the entry check covers: its frame entry is
 * loaded in the entry block and folded into the running maximum. */
static void entry_need_add(lower_func *lf, uint32_t index) {
    lower_module *lm = lf->lm;
    if (lm->callee_seen[index] == lf->index + 1) return;
    lm->callee_seen[index] = lf->index + 1;
    entry_reads_make(lf);
    lower_pos at = lower_entry_begin(lf);
    LLVMValueRef need = frame_load(lm, index);
    if (lf->entry_need) {
        LLVMValueRef more = LLVMBuildICmp(lm->b, LLVMIntUGT, need, lf->entry_need, "");
        need = LLVMBuildSelect(lm->b, more, need, lf->entry_need, "need");
    }
    lf->entry_need = need;
    lower_entry_end(lf, at);
}

/* Ends the entry block with the check, when the body calls anything
 * checked: its branch into the body becomes a conditional one. */
static void entry_check_finish(lower_func *lf) {
    if (!lf->entry_need) return;
    lower_module *lm = lf->lm;
    LLVMValueRef br = LLVMGetBasicBlockTerminator(lf->entry_bb);
    LLVMBasicBlockRef body = LLVMGetSuccessor(br, 0);
    LLVMPositionBuilderBefore(lm->b, br);
    LLVMValueRef short_ = stack_short_need(lm, lf->entry_need, lf->entry_sp, lf->entry_limit);
    LLVMInstructionEraseFromParent(br);
    LLVMPositionBuilderAtEnd(lm->b, lf->entry_bb);
    LLVMValueRef check = LLVMBuildCondBr(lm->b, short_, trap_block(lf, KILN_TRAP_CALL_STACK_EXHAUSTED), body);
    lower_branch_unlikely(lm, check);
}

enum { LEAF_MAX_INSNS = 64, LEAF_MAX_LOCALS = 32 };

/* True if the instruction may call anything: another function, or the
 * runtime (memory.grow, the 0xFC bulk-memory and table instructions).
 * The return_call forms count: one whose callee returns its results
 * through memory is an ordinary call (lower_tail_call), so a "leaf" that
 * return_calls itself that way would recurse with no check at all. */
static bool insn_calls(const kiln_insn *in) {
    const kiln_opcode_info *info = &kiln_opcode_table[in->op];
    return in->op == KILN_OP_CALL || in->op == KILN_OP_CALL_INDIRECT ||
           in->op == KILN_OP_CALL_REF || module_insn_is_tail_call(in->op) ||
           in->op == KILN_OP_MEMORY_GROW || info->prefix == 0xFC;
}

bool lower_small_leaf(const kiln_module *m, uint32_t index) {
    const kiln_func *f = &m->funcs[index];
    if (f->imported || f->num_insns > LEAF_MAX_INSNS ||
        f->num_locals + m->types[f->type_index].num_params > LEAF_MAX_LOCALS)
        return false;
    for (uint32_t i = 0; i < f->num_insns; i++)
        if (insn_calls(&f->insns[i])) return false;
    return true;
}

/* Bodies that make this many calls or more read the stack limit once,
 * in their entry block, instead of at each check.  Read at each check,
 * the limit's thread-local address (initial-exec: a GOT load) is the same
 * in every block, and LLVM's machine CSE merges those N loads into one in
 * time quadratic in N: a body of 20,000 calls took 12.9 s, 3.3 of them
 * there, and 4.7 s read once.  The limit changes only when a thread
 * first enters wasm (trap.c), never while a body runs, so one read serves
 * every check.  Below the threshold the checks stay as they were (a short
 * body would keep the limit in a callee-saved register it may not
 * otherwise need), and machine CSE costs at most ~0.5 s per body, less
 * per instruction than the rest of code generation; no body of CRuby
 * (at most 4,192 calls) reaches it. */
enum { LOWER_LIMIT_READ_ONCE_CALLS = 8192 };

static bool limit_read_once(const lower_module *lm, const kiln_func *f) {
    if (lm->opts->opt_level == 0) return false;
    uint32_t calls = 0;
    for (uint32_t i = 0; i < f->num_insns && calls < LOWER_LIMIT_READ_ONCE_CALLS; i++)
        calls += insn_calls(&f->insns[i]);
    return calls >= LOWER_LIMIT_READ_ONCE_CALLS;
}

/* Oversized bodies.  Some of LLVM's optimising passes take time that
 * grows faster than a body's size in shapes no real code reaches but a
 * hostile module can (docs/sandbox.md, *Hostile shapes for the
 * compiler*): a chain of branches on one value (GVN), a straight-line
 * stretch of tens of thousands of instructions (SLP, then code
 * generation), tens of thousands of calls (block placement, the register
 * coalescer), thousands of loops (loop deletion, induction variables),
 * thousands of indirect calls or bulk memory instructions under ifs
 * (GVN, CodeGenPrepare), hundreds of thousands of values moved by calls
 * and branches of hundreds each (a call or a branch is two bytes however
 * many it moves).  At -O0 each of those compiles in time linear
 * in its size.  So from -O1 on, a body past any of these bounds is
 * compiled as at -O0, in a partition of its own (emit.c), which bounds
 * every level's compile time by what its largest optimised body may
 * cost.  The bounds lie well above what real programs reach: the largest
 * body of CRuby and of clang (133,398 functions) has 66,111 and 120,242
 * instructions, 4,192 and 9,192 calls, stretches of 5,670 and 38,097
 * instructions (clang's an initialiser, which now runs at -O0 speed),
 * 154 and 1,290 loops, 142 and 444 indirect calls, 3 and 488 bulk memory
 * instructions, and 34 and 119 values moved in groups of more than 16. */
enum {
    LOWER_OVERSIZED_INSNS = 131072,
    LOWER_OVERSIZED_CALLS = 16384,
    LOWER_OVERSIZED_STRETCH = 16384,
    LOWER_OVERSIZED_LOOPS = 4096,
    LOWER_OVERSIZED_EXPANDED = 2048, /* indirect calls and bulk memory */
    LOWER_OVERSIZED_WIDE_VALUES = 65536, /* kiln_func.wide_values */
};

/* True for the instructions after which LLVM starts a new block: the
 * branches, and loop headers.  A `block` and its `end` are left out, so
 * that empty blocks cannot cut a stretch that LLVM merges back into one
 * block; the `end` of an if, where its arms join, is left out too, which
 * counts a stretch from before the join (never shorter than LLVM's). */
static bool insn_ends_stretch(uint16_t op) {
    switch (op) {
    case KILN_OP_LOOP: case KILN_OP_IF: case KILN_OP_ELSE: case KILN_OP_BR: case KILN_OP_BR_IF:
    case KILN_OP_BR_TABLE: case KILN_OP_RETURN: case KILN_OP_UNREACHABLE: case KILN_OP_THROW:
    case KILN_OP_RETHROW: case KILN_OP_THROW_REF: case KILN_OP_BR_ON_NULL:
    case KILN_OP_BR_ON_NON_NULL: case KILN_OP_TRY: case KILN_OP_TRY_TABLE: case KILN_OP_CATCH:
    case KILN_OP_CATCH_ALL: case KILN_OP_DELEGATE:
        return true;
    default:
        return false;
    }
}

/* Calls that lowering expands into checks and blocks around the call. */
static bool insn_expanded_call(const kiln_insn *in) {
    const kiln_opcode_info *info = &kiln_opcode_table[in->op];
    bool bulk = info->prefix == 0xFC && info->code >= 8; /* memory.init .. table.fill */
    return bulk || in->op == KILN_OP_CALL_INDIRECT || in->op == KILN_OP_RETURN_CALL_INDIRECT ||
           in->op == KILN_OP_CALL_REF || in->op == KILN_OP_RETURN_CALL_REF;
}

bool lower_body_oversized(const kiln_module *m, uint32_t index) {
    const kiln_func *f = &m->funcs[index];
    if (f->imported) return false;
    if (f->wide_values >= LOWER_OVERSIZED_WIDE_VALUES) return true;
    /* Shorter than the smallest bound: nothing to count (most bodies). */
    if (f->num_insns < LOWER_OVERSIZED_EXPANDED) return false;
    if (f->num_insns >= LOWER_OVERSIZED_INSNS) return true;
    uint32_t calls = 0, stretch = 0, loops = 0, expanded = 0;
    for (uint32_t i = 0; i < f->num_insns; i++) {
        const kiln_insn *in = &f->insns[i];
        calls += insn_calls(in);
        loops += in->op == KILN_OP_LOOP;
        expanded += insn_expanded_call(in);
        stretch = insn_ends_stretch(in->op) ? 0 : stretch + 1;
        if (calls >= LOWER_OVERSIZED_CALLS || stretch >= LOWER_OVERSIZED_STRETCH ||
            loops >= LOWER_OVERSIZED_LOOPS || expanded >= LOWER_OVERSIZED_EXPANDED)
            return true;
    }
    return false;
}

/* Small leaves are called without a check: their frame (at most
 * KILN_LEAF_FRAME_MAX, which frames.c verifies) lies in the margin below
 * the caller's checked frame, and they call nothing that could go deeper.
 * What a direct call of defined function `index` calls: its body, after
 * a stack check (at -O0 the caller's one entry check covers it).  A body in another partition is checked too, against its
 * own partition's table (lower_frame_slot): whether it is a small leaf depends
 * on its body, which this partition's cache key does not cover. */
static LLVMValueRef call_target_checked(lower_func *lf, uint32_t index) {
    lower_module *lm = lf->lm;
    if (!lower_body_is_local(lm, index) || !lower_small_leaf(lm->m, index))
        lower_stack_check(lf, index);
    return lower_body_ref(lm, index);
}

void lower_stack_check(lower_func *lf, uint32_t index) {
    lower_module *lm = lf->lm;
    if (lm->opts->opt_level == 0) entry_need_add(lf, index);
    else lower_trap_if(lf, stack_short(lm, index), KILN_TRAP_CALL_STACK_EXHAUSTED);
}

/* At -O0 a body picked at run time cannot join the entry check (which
 * covers the callees known at compile time), so its check stays at the
 * call, against the stack pointer and the limit the entry block read. */
void lower_stack_check_at(lower_func *lf, LLVMValueRef frame) {
    lower_module *lm = lf->lm;
    LLVMValueRef short_;
    if (lm->opts->opt_level > 0) {
        short_ = stack_short_small_at(lm, frame, stack_pointer(lm));
    } else {
        entry_reads_make(lf);
        short_ = stack_short_need(lm, frame_load_at(lm, frame), lf->entry_sp, lf->entry_limit);
    }
    lower_trap_if(lf, short_, KILN_TRAP_CALL_STACK_EXHAUSTED);
}

LLVMValueRef lower_call_defined(lower_func *lf, uint32_t index, LLVMValueRef *args, unsigned n) {
    lower_module *lm = lf->lm;
    return lower_call_wasm(lf, lm->m->funcs[index].type_index, call_target_checked(lf, index), args, n,
                           lm->body_conv);
}

/* R stub(vmctx, P...): check the stack for the body's frame, then jump to
 * the body (a musttail call) when both use one convention.  Its own frame
 * then holds at most the spilled parameters and is gone while the body
 * runs; the runtime's safety margin covers it (docs/sandbox.md).
 *
 * A C-convention body (a module without tail calls) cannot be jumped to
 * from the tailcc stub: the stub calls it, so its frame stays below the
 * body's, and the check covers both: the body's measured frame plus
 * lower_stub_frame_bound, which frames.c verifies the stub's measured
 * frame stays under.  The backtrace shows such a stub and its body as
 * one frame (runtime/backtrace.c). */
uint32_t lower_stub_frame_bound(const kiln_functype *ft) {
    /* Outgoing stack arguments and a result buffer of at most 16 bytes
     * per value, alignment padding and the return address. */
    return 64 + 16 * (ft->num_params + ft->num_results);
}

static LLVMValueRef stub_stack_short(lower_module *lm, uint32_t index, const kiln_functype *ft) {
    if (lm->body_conv == lm->call_conv) return stack_short(lm, index);
    LLVMValueRef sp = stack_pointer(lm);
    sp = LLVMBuildSub(lm->b, sp, lower_const_i64(lm, lower_stub_frame_bound(ft)), "");
    if (lm->opts->opt_level > 0) return stack_short_small(lm, index, sp);
    return stack_short_with(lm, index, sp);
}

static void call_site_attr(lower_module *lm, LLVMValueRef call, const char *name) {
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(lm->ctx, kind, 0));
}

/* The stub's stack check: trap when the body's frame would not fit. */
static void stub_check_build(lower_module *lm, uint32_t index, const kiln_functype *ft) {
    LLVMValueRef stub = lm->funcs[index];
    LLVMBasicBlockRef trap = LLVMAppendBasicBlockInContext(lm->ctx, stub, "trap");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(lm->ctx, stub, "ok");
    LLVMValueRef br = LLVMBuildCondBr(lm->b, stub_stack_short(lm, index, ft), trap, ok);
    lower_branch_unlikely(lm, br);
    LLVMPositionBuilderAtEnd(lm->b, trap);
    LLVMTypeRef trap_ty;
    LLVMValueRef trap_fn = lower_rt_decl(lm, LOWER_RT_TRAP, &trap_ty);
    LLVMValueRef trap_args[2] = {LLVMGetParam(stub, 0), lower_const_i32(lm, KILN_TRAP_CALL_STACK_EXHAUSTED)};
    LLVMBuildCall2(lm->b, trap_ty, trap_fn, trap_args, 2, "");
    LLVMBuildUnreachable(lm->b);
    LLVMPositionBuilderAtEnd(lm->b, ok);
}

/* A small leaf's stub makes no check, as a direct call of it makes none:
 * the leaf calls nothing, and the stub's frame, with the body inlined into
 * it or below it, lies in the margin below its caller's checked frame
 * (frames.c verifies both stay under KILN_LEAF_FRAME_MAX; the runtime's
 * margin counts them after the largest unchecked frame, a trampoline).
 * Function pointers to tiny callbacks (comparators, accessors) then cost a
 * jump, or nothing beyond the body, instead of a check and a call. */
static void stub_build(lower_module *lm, uint32_t index) {
    LLVMValueRef stub = lm->funcs[index], body = lm->bodies[index];
    const kiln_functype *ft = &lm->m->types[lm->m->funcs[index].type_index];
    bool leaf = lower_small_leaf(lm->m, index);
    LLVMPositionBuilderAtEnd(lm->b, LLVMAppendBasicBlockInContext(lm->ctx, stub, "entry"));
    if (!leaf) stub_check_build(lm, index, ft);
    LLVMValueRef args[LOWER_ARGS_MAX];
    unsigned n = LLVMCountParams(stub); /* with a results buffer, if any */
    for (unsigned i = 0; i < n; i++) args[i] = LLVMGetParam(stub, i);
    LLVMTypeRef sig = lm->sig_types[lm->m->funcs[index].type_index];
    LLVMValueRef call = LLVMBuildCall2(lm->b, sig, body, args, n, "");
    LLVMSetInstructionCallConv(call, lm->body_conv);
    bool jump = lm->body_conv == lm->call_conv;
    LLVMSetTailCallKind(call, !jump          ? LLVMTailCallKindNoTail
                              : lm->musttail ? LLVMTailCallKindMustTail
                                             : LLVMTailCallKindTail);
    /* A leaf called (not jumped to) is inlined: its stub becomes the body. */
    call_site_attr(lm, call, leaf && !jump ? "alwaysinline" : "noinline");
    if (LLVMGetReturnType(sig) == lm->t.void_) LLVMBuildRetVoid(lm->b);
    else LLVMBuildRet(lm->b, call);
}

static void func_frame_push(lower_func *lf) {
    lower_ctrl *c = &lf->ctrl[0];
    memset(c, 0, sizeof *c);
    c->kind = LOWER_CTRL_FUNC;
    c->num_results = lf->type->num_results;
    c->results = lf->type->results;
    c->else_index = UINT32_MAX;
    c->end_index = lf->f->num_insns - 1;
    c->end_bb = block_new(lf, "return");
    c->end_phis = phis_make(lf, lf->scratch, c->end_bb, c->num_results, c->results);
    lf->depth = 1;
}

static void func_prologue(lower_func *lf) {
    lower_module *lm = lf->lm;
    lf->entry_bb = block_new(lf, "entry");
    LLVMPositionBuilderAtEnd(lm->b, lf->entry_bb);
    lf->vmctx = LLVMGetParam(lf->fn, 0);
    locals_init(lf);
    lm->body_limit_small = NULL;
    if (limit_read_once(lm, lf->f)) lm->body_limit_small = limit_load(lm, "kiln_rt_stack_limit_small");
    LLVMBasicBlockRef body = block_new(lf, "body");
    LLVMBuildBr(lm->b, body);
    LLVMPositionBuilderAtEnd(lm->b, body);
    func_frame_push(lf);
    exn_frame_begin(lf);
}

static void func_body_lower(lower_func *lf) {
    const kiln_func *f = lf->f;
    for (uint32_t i = 0; i < f->num_insns && !lf->failed; i++) {
        lf->insn = &f->insns[i];
        if (lf->lm->dbg) debug_info_insn(lf->lm, lf->insn);
        insn_lower(lf, lf->insn);
        if (lf->dead && lf->depth > 0) i = dead_skip(lf, i) - 1;
        if (lf->depth == 0) break;
    }
}

static bool func_lower(lower_module *lm, uint32_t index) {
    lower_func state;
    memset(&state, 0, sizeof state);
    lower_func *lf = &state;
    lf->lm = lm;
    lf->f = &lm->m->funcs[index];
    lf->index = index;
    lf->type = &lm->m->types[lf->f->type_index];
    lf->fn = lm->bodies[index];
    lf->env = (lower_value_env){lm->ctx, lm->mod, lm->b, lf, env_trap_if, lm->caps,
                                lm->opts && lm->opts->canonical_nans, lm->opts->opt_level == 0};
    lf->scratch = arena_create();
    if (!lf->scratch) return error_set(lm->err, KILN_ERR_NOMEM, 0, "out of memory");
    if (lm->dbg) debug_info_func_begin(lm, index, lf->fn);
    if (lf->f->uses_simd) LLVMAddTargetDependentFunctionAttr(lf->fn, LOAD_SPLIT_SIMD_ATTR, "");
    if (func_state_alloc(lf)) {
        func_prologue(lf);
        func_body_lower(lf);
        if (!lf->failed) entry_check_finish(lf);
        /* Without its sinks a guard-mode load could lose its trap. */
        if (!lf->failed && !lm->opts->explicit_bounds && !memory_loads_pin(lf))
            lower_fail(lf, "out of memory");
    }
    if (lm->dbg) debug_info_func_end(lm);
    lm->body_limit_small = NULL; /* stubs read their own */
    arena_destroy(lf->scratch);
    return !lf->failed;
}

/* ---- module driver ------------------------------------------------------------ */

static bool sig_types_build(lower_module *lm) {
    const kiln_module *m = lm->m;
    lm->sig_types = arena_array(lm->arena, m->num_types + 1, sizeof *lm->sig_types);
    lm->funcs = arena_array(lm->arena, m->num_funcs + 1, sizeof *lm->funcs);
    lm->bodies = arena_array(lm->arena, m->num_funcs + 1, sizeof *lm->bodies);
    if (!lm->sig_types || !lm->funcs || !lm->bodies)
        return error_set(lm->err, KILN_ERR_NOMEM, 0, "out of memory");
    for (uint32_t i = 0; i < m->num_types; i++) {
        lm->sig_types[i] = lower_signature(lm, &m->types[i], true);
        uint32_t slots = io_slots(&m->types[i]);
        if (slots > lm->io_slots_max) lm->io_slots_max = slots;
    }
    return true;
}

static void param_attr_add(lower_module *lm, LLVMValueRef fn, unsigned param, const char *name,
                           uint64_t value) {
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, param + 1, LLVMCreateEnumAttribute(lm->ctx, kind, value));
}

/* The vmctx is always a whole, live kiln_vmctx: saying so lets LLVM
 * hoist its field loads out of loops even past conditional traps. */
static void vmctx_param_describe(lower_module *lm, LLVMValueRef fn) {
    param_attr_add(lm, fn, 0, "nonnull", 0);
    param_attr_add(lm, fn, 0, "noundef", 0);
    param_attr_add(lm, fn, 0, "align", 8);
    param_attr_add(lm, fn, 0, "dereferenceable", sizeof(kiln_vmctx));
}

/* Bodies are <prefix>.f<index>, plus the name-section name when there
 * is one, so profiles and debuggers show something readable (local
 * symbols only); emit.c finds them again by that prefix.  Entry stubs
 * are <prefix>.s<index>. */
static void func_symbol_name(const lower_module *lm, uint32_t i, bool body, char *out, size_t cap) {
    int n = snprintf(out, cap, "%s.%c%u", lm->opts->prefix, body ? 'f' : 's', i);
    const char *wasm_name = body ? module_func_name(lm->m, i) : NULL;
    if (!wasm_name || n < 0 || (size_t)n + 2 >= cap) return;
    size_t k = (size_t)n;
    out[k++] = '.';
    for (const char *p = wasm_name; *p && k + 1 < cap && k < 120; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        out[k++] = ok ? c : '_';
    }
    out[k] = 0;
}

/* LLVM's EarlyCSE and SimplifyCFG take time that grows faster than the
 * square of the nesting depth of `if`s with results (2,000 nested: 3 s;
 * 20,000: 4 minutes; 100,000: hours), so a body nested deeper than this
 * is compiled as at -O0 (`optnone`), whose time stays linear: a module
 * must not be able to stall the compiler.  Real code nests far less
 * (a `switch` nests one block per case). */
#define OPT_MAX_NESTING 1000

static LLVMValueRef func_add(lower_module *lm, uint32_t i, bool body) {
    char name[256];
    func_symbol_name(lm, i, body, name, sizeof name);
    LLVMValueRef fn = LLVMAddFunction(lm->mod, name, lm->sig_types[lm->m->funcs[i].type_index]);
    LLVMSetFunctionCallConv(fn, body ? lm->body_conv : lm->call_conv);
    /* A module with exception handling unwinds through its functions;
     * nounwind would let LLVM turn their invokes into calls. */
    if (!lm->may_unwind) lower_attr_add(lm, fn, "nounwind");
    if (!body || lm->m->funcs[i].max_control > OPT_MAX_NESTING) lower_attr_add(lm, fn, "noinline");
    if (body && lm->m->funcs[i].max_control > OPT_MAX_NESTING) lower_attr_add(lm, fn, "optnone");
    vmctx_param_describe(lm, fn);
    return fn;
}

/* Wasm functions are internal: only the descriptor is exported, and
 * LLVM may inline, specialise or drop bodies freely.  In a partitioned
 * compile the partitions name each other's stubs (and the descriptor
 * names every body), so those become hidden (object-local after the
 * final link) external symbols, unique by prefix and index; other
 * partitions' functions are declared lazily. */
/* Optimised bodies start on a 32-byte boundary (LLVM's x86-64 default
 * is 16).  Where a body lands otherwise depends on everything linked
 * before it, the runtime included: the same object of the nqueens
 * kernel ran in 1.21-1.26 s or 1.38-1.43 s (5 alternating runs each)
 * depending only on whether its hot function started 16 bytes later,
 * after a runtime change (docs/benchmarks.md, *Where kiln loses*).
 * With the start fixed to 32 bytes, the code's offsets from 32-byte
 * boundaries (the unit of x86's decoded-instruction cache) no longer
 * move with unrelated code. */
enum { BODY_ALIGN = 32 };

static LLVMValueRef func_define(lower_module *lm, uint32_t i, bool body) {
    LLVMValueRef fn = func_add(lm, i, body);
    if (lm->part) LLVMSetVisibility(fn, LLVMHiddenVisibility);
    else LLVMSetLinkage(fn, LLVMInternalLinkage);
    if (body && lm->opts->opt_level > 0) LLVMSetAlignment(fn, BODY_ALIGN);
    return fn;
}

/* A body for every function; an entry stub only for those a function
 * reference can name (see "the stack check" above). */
static void funcs_declare(lower_module *lm) {
    const kiln_module *m = lm->m;
    frames_table_create(lm);
    for (uint32_t i = 0; i < m->num_funcs; i++) {
        lm->funcs[i] = lm->bodies[i] = NULL;
        if (m->funcs[i].imported) continue;
        if (lm->part && (i < lm->part->first || i >= lm->part->end)) continue;
        lm->bodies[i] = func_define(lm, i, true);
        if (!lower_has_entry(lm, i)) continue;
        lm->funcs[i] = func_define(lm, i, false);
        stub_build(lm, i);
    }
}

bool lower_has_entry(const lower_module *lm, uint32_t index) {
    return module_func_bit(lm->entries, index);
}

static LLVMValueRef other_partition_ref(lower_module *lm, uint32_t index, bool body) {
    LLVMValueRef fn = func_add(lm, index, body);
    LLVMSetVisibility(fn, LLVMHiddenVisibility);
    return fn;
}

LLVMValueRef lower_func_ref(lower_module *lm, uint32_t index) {
    if (!lm->funcs[index]) lm->funcs[index] = other_partition_ref(lm, index, false);
    return lm->funcs[index];
}

/* The body of a defined function for the descriptor (which names every
 * body, for backtraces and the generated-code regions of signals.c). */
LLVMValueRef lower_body_ref(lower_module *lm, uint32_t index) {
    if (!lm->bodies[index]) lm->bodies[index] = other_partition_ref(lm, index, true);
    return lm->bodies[index];
}

/* Lowering sizes arrays by the most params and results (the decoder
 * refuses more; a guard for hand-made modules). */
static bool module_supported(lower_module *lm) {
    for (uint32_t i = 0; i < lm->m->num_types; i++)
        if (lm->m->types[i].num_params > KILN_MAX_FUNC_PARAMS ||
            lm->m->types[i].num_results > KILN_MAX_FUNC_RESULTS)
            return error_set(lm->err, KILN_ERR_LIMIT, 0, "type %u has too many params or results", i);
    return true;
}

static bool module_lower_into(lower_module *lm, const uint8_t *bytes, size_t size) {
    if (!module_supported(lm)) return false;
    const lower_scan *scan = lm->part ? lm->part->scan : NULL;
    lm->may_unwind = scan ? scan->uses_exceptions : module_uses_exceptions(lm->m);
    /* One convention for all partitions' bodies: each calls the others'. */
    bool tail_calls = scan ? scan->uses_tail_calls : module_uses_tail_calls(lm->m);
    if (!tail_calls) lm->body_conv = LLVMCCallConv;
    types_init(lm);
    metadata_init(lm);
    if (!sig_types_build(lm)) return false;
    lm->entries = module_entry_funcs(lm->m);
    if (lm->opts->opt_level == 0)
        lm->callee_seen = arena_zalloc(lm->arena, (lm->m->num_funcs + 1) * sizeof *lm->callee_seen);
    if (!lm->entries || (lm->opts->opt_level == 0 && !lm->callee_seen))
        return error_set(lm->err, KILN_ERR_NOMEM, 0, "out of memory");
    funcs_declare(lm);
    uint32_t first = lm->part ? lm->part->first : lm->m->num_imported_funcs;
    uint32_t end = lm->part ? lm->part->end : lm->m->num_funcs;
    for (uint32_t i = first; i < end; i++)
        if (!func_lower(lm, i)) return false;
    if (lm->part && lm->part->index != 0) {
        descriptor_unwind_tables(lm); /* descriptor_build does it in partition 0 */
        return true;
    }
    /* The descriptor names every function: declare the other partitions'. */
    for (uint32_t i = lm->m->num_imported_funcs; i < lm->m->num_funcs; i++) {
        if (lower_has_entry(lm, i)) lower_func_ref(lm, i);
        lower_body_ref(lm, i);
    }
    return descriptor_build(lm, bytes, size);
}

LLVMModuleRef module_lower(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, LLVMContextRef ctx, kiln_error *err) {
    return module_lower_partition(m, bytes, size, opts, NULL, NULL, NULL, ctx, err);
}

LLVMModuleRef module_lower_partition(const kiln_module *m, const uint8_t *bytes, size_t size,
                                     const kiln_compile_options *opts,
                                     const lower_partition *part, const lower_target_caps *caps,
                                     const uint8_t *frames_big, LLVMContextRef ctx,
                                     kiln_error *err) {
    lower_module lm;
    memset(&lm, 0, sizeof lm);
    lm.m = m;
    lm.part = part;
    lm.frames_big = frames_big;
    lm.opts = opts;
    if (caps) lm.caps = *caps;
    lm.ctx = ctx;
    lm.err = err;
    lm.arena = arena_create();
    if (!lm.arena) return error_set(err, KILN_ERR_NOMEM, 0, "out of memory"), NULL;
    lm.mod = LLVMModuleCreateWithNameInContext(opts->prefix, ctx);
    /* Lowering asks the target (lower_funary); emit.c sets the same again. */
    char *triple = opts->target_triple ? LLVMNormalizeTargetTriple(opts->target_triple)
                                       : LLVMGetDefaultTargetTriple();
    LLVMSetTarget(lm.mod, triple);
    target_facts_set(&lm, triple);
    LLVMDisposeMessage(triple);
    lm.b = LLVMCreateBuilderInContext(ctx);
    debug_info_begin(&lm);
    bool ok = module_lower_into(&lm, bytes, size);
    debug_info_end(&lm);
    free(lm.entries);
    LLVMDisposeBuilder(lm.b);
    arena_destroy(lm.arena);
    if (!ok) {
        LLVMDisposeModule(lm.mod);
        return NULL;
    }
    return lm.mod;
}
