/* lower_table.c - call_indirect, table.*, elem.drop and ref.*.
 *
 * References are pointers: a funcref is a kiln_func_ref *, an externref
 * is opaque, null is the null pointer.  A table is a kiln_table_rt
 * reached through vmctx->tables[t]; its size and element array are
 * reloaded at every use because table.grow (or another instance sharing
 * the table) may change them.  Checks inline, bulk work in the runtime.
 *
 * The exception is a table whose contents are known at compile time
 * (table_known below): call_indirect through it becomes a switch of
 * direct calls.
 *
 * A 64-bit table (table64) takes i64 indices: they are compared with the
 * zero-extended 32-bit size (runtime tables stay under
 * KILN_MAX_TABLE_ELEMS), and the runtime's entry points take 64-bit
 * indices and lengths for every table. */
#include <stdlib.h>
#include <string.h>

#include "lower_internal.h"

static LLVMValueRef table_rt(lower_func *lf, uint32_t table) {
    return lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_TABLES, table, lf->lm->t.ptr, 8);
}

static LLVMValueRef field_load(lower_func *lf, LLVMValueRef base, size_t offset, LLVMTypeRef ty,
                               unsigned align) {
    LLVMValueRef p = offset ? lower_byte_gep(lf, base, lower_const_i64(lf->lm, offset)) : base;
    return lower_load(lf, ty, p, align, LOWER_TBAA_TABLE, false);
}

static LLVMValueRef table_size(lower_func *lf, LLVMValueRef t) {
    return field_load(lf, t, offsetof(kiln_table_rt, size), lf->lm->t.i32, 4);
}

static bool table_is64(const lower_func *lf, uint32_t table) {
    return lf->lm->m->tables[table].is64;
}

/* &t->elems[index], after checking index < size (else `trap`); index is
 * an i32, or an i64 for a 64-bit table. */
static LLVMValueRef elem_address(lower_func *lf, uint32_t table, LLVMValueRef index, uint32_t trap) {
    lower_module *lm = lf->lm;
    LLVMValueRef t = table_rt(lf, table);
    LLVMValueRef size = table_size(lf, t);
    if (LLVMTypeOf(index) == lm->t.i64) size = LLVMBuildZExt(lm->b, size, lm->t.i64, "");
    LLVMValueRef oob = LLVMBuildICmp(lm->b, LLVMIntUGE, index, size, "");
    lower_trap_if(lf, oob, trap);
    LLVMValueRef elems = field_load(lf, t, offsetof(kiln_table_rt, elems), lm->t.ptr, 8);
    LLVMValueRef off = LLVMBuildMul(lm->b, lower_zext_i64(lf, index),
                                    lower_const_i64(lm, sizeof(void *)), "");
    return lower_byte_gep(lf, elems, off);
}

/* ---- tables whose contents are known at compile time --------------------- */

/* A table that nothing outside the module can reach (neither imported nor
 * exported) and that no instruction writes (table.set, .grow, .fill,
 * .init, the destination of table.copy) holds, for the instance's whole
 * life, what its active segments put there at instantiation.  If those
 * segments have constant offsets and name defined functions, every
 * element is known now, and so is the outcome of each signature check. */
typedef struct table_known {
    bool known;
    uint32_t size;
    uint32_t *funcs; /* [size] function index, or KNOWN_NULL */
    /* Constant arrays for call_indirect_by_array, made on first use:
     * [size] i32 type class (KNOWN_NULL for null), [size] ptr body,
     * [size] ptr frame-size entry. */
    LLVMValueRef classes, bodies, frames;
} table_known;

/* Tables up to KNOWN_MAX_SIZE become a switch at each call_indirect
 * (whose callees LLVM may inline); bigger ones, up to KNOWN_ARRAY_MAX,
 * constant arrays that every partition using them holds a copy of. */
enum { KNOWN_NULL = UINT32_MAX, KNOWN_MAX_SIZE = 64, KNOWN_ARRAY_MAX = 4096 };

static bool table_reachable_outside(const kiln_module *m, uint32_t t) {
    if (t < m->num_imported_tables) return true;
    for (uint32_t i = 0; i < m->num_exports; i++)
        if (m->exports[i].kind == KILN_EXTERN_TABLE && m->exports[i].index == t) return true;
    return false;
}

/* The table an instruction writes, or UINT32_MAX. */
static uint32_t insn_table_written(const kiln_insn *insn) {
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_TABLE_SET:
    case KILN_OP_TABLE_GROW:
    case KILN_OP_TABLE_FILL: return insn->imm.index;
    case KILN_OP_TABLE_INIT: return insn->imm.pair.b;
    case KILN_OP_TABLE_COPY: return insn->imm.pair.a;
    default: return UINT32_MAX;
    }
}

void lower_tables_written(const kiln_module *m, bool *written) {
    for (uint32_t t = 0; t < m->num_tables; t++) written[t] = false;
    for (uint32_t f = m->num_imported_funcs; f < m->num_funcs; f++)
        for (uint32_t i = 0; i < m->funcs[f].num_insns; i++) {
            uint32_t t = insn_table_written(&m->funcs[f].insns[i]);
            if (t < m->num_tables) written[t] = true;
        }
}

bool lower_scan_make(const kiln_module *m, lower_scan *out) {
    out->uses_exceptions = module_uses_exceptions(m);
    out->uses_tail_calls = module_uses_tail_calls(m);
    out->tables_written = calloc(m->num_tables + 1, sizeof *out->tables_written);
    if (!out->tables_written) return false;
    lower_tables_written(m, out->tables_written);
    return true;
}

void lower_scan_free(lower_scan *scan) {
    free(scan->tables_written);
    scan->tables_written = NULL;
}

/* A constant expression that is `i32.const v; end`. */
static bool expr_i32_const(const kiln_expr *x, uint32_t *v) {
    if (x->count != 2 || x->insns[0].op != KILN_OP_I32_CONST) return false;
    *v = (uint32_t)x->insns[0].imm.i32;
    return true;
}

/* Item j of a segment as a defined function index or KNOWN_NULL; false
 * when it is not known here (global.get, an imported function). */
static bool elem_item_func(const kiln_module *m, const kiln_elem *e, uint32_t j, uint32_t *func) {
    if (e->func_indices) {
        *func = e->func_indices[j];
    } else {
        const kiln_expr *x = &e->exprs[j];
        if (x->count != 2) return false;
        if (x->insns[0].op == KILN_OP_REF_NULL) *func = KNOWN_NULL;
        else if (x->insns[0].op == KILN_OP_REF_FUNC) *func = x->insns[0].imm.index;
        else return false;
    }
    return *func == KNOWN_NULL || (*func < m->num_funcs && !m->funcs[*func].imported);
}

/* Applies the active segments in order; any unknown item or offset, or a
 * segment out of bounds (instantiation fails anyway), gives up. */
static bool table_contents_fill(const kiln_module *m, uint32_t t, table_known *tk) {
    for (uint32_t i = 0; i < tk->size; i++) tk->funcs[i] = KNOWN_NULL;
    for (uint32_t s = 0; s < m->num_elems; s++) {
        const kiln_elem *e = &m->elems[s];
        if (e->mode != KILN_SEGMENT_ACTIVE || e->table_index != t) continue;
        uint32_t at;
        if (!expr_i32_const(&e->offset, &at) || at > tk->size || e->count > tk->size - at)
            return false;
        for (uint32_t j = 0; j < e->count; j++)
            if (!elem_item_func(m, e, j, &tk->funcs[at + j])) return false;
    }
    return true;
}

static table_known *tables_known_build(lower_module *lm) {
    const kiln_module *m = lm->m;
    table_known *tk = arena_array(lm->arena, m->num_tables + 1, sizeof *tk);
    if (!tk) return NULL;
    for (uint32_t t = 0; t < m->num_tables; t++) {
        tk[t].size = (uint32_t)m->tables[t].limits.min;
        bool has_init = m->table_inits && m->table_inits[t].count; /* not all null at start */
        tk[t].known = m->tables[t].elem_type == KILN_FUNCREF && !has_init &&
                      m->tables[t].limits.min <= KNOWN_ARRAY_MAX && !table_reachable_outside(m, t);
    }
    const bool *written = lm->part && lm->part->scan ? lm->part->scan->tables_written : NULL;
    if (!written) {
        bool *own = arena_array(lm->arena, m->num_tables + 1, sizeof *own);
        if (!own) return NULL;
        lower_tables_written(m, own);
        written = own;
    }
    for (uint32_t t = 0; t < m->num_tables; t++)
        if (written[t]) tk[t].known = false;
    for (uint32_t t = 0; t < m->num_tables; t++) {
        if (!tk[t].known) continue;
        tk[t].funcs = arena_array(lm->arena, tk[t].size + 1, sizeof *tk[t].funcs);
        tk[t].known = tk[t].funcs && table_contents_fill(m, t, &tk[t]);
    }
    return tk;
}

/* The known contents of `table`, or NULL. */
static table_known *table_known_get(lower_func *lf, uint32_t table) {
    lower_module *lm = lf->lm;
    if (!lm->tables_known) lm->tables_known = tables_known_build(lm);
    table_known *tk = lm->tables_known ? &lm->tables_known[table] : NULL;
    return tk && tk->known ? tk : NULL;
}

/* Whether call_indirect through `tk` may be a switch of direct calls:
 * the table is small and every function it names is defined in this
 * LLVM module (a partitioned compile may lack some), so devirtualizing
 * stays a choice of this partition's own bodies. */
static bool table_switchable(const lower_module *lm, const table_known *tk) {
    if (tk->size > KNOWN_MAX_SIZE) return false;
    for (uint32_t i = 0; i < tk->size; i++)
        if (tk->funcs[i] != KNOWN_NULL && !lower_body_is_local(lm, tk->funcs[i])) return false;
    return true;
}

/* A block that traps with `kind`, for a switch case. */
static LLVMBasicBlockRef trap_case(lower_func *lf, LLVMBasicBlockRef *cache, uint32_t kind) {
    if (*cache) return *cache;
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(lf->lm->b);
    *cache = LLVMAppendBasicBlockInContext(lf->lm->ctx, lf->fn, "ci.trap");
    LLVMPositionBuilderAtEnd(lf->lm->b, *cache);
    lower_trap(lf, kind);
    lf->dead = false; /* lower_trap ended that block, not the current one */
    LLVMPositionBuilderAtEnd(lf->lm->b, saved);
    return *cache;
}

typedef struct known_call {
    const table_known *tk;
    uint32_t type_index;
    LLVMValueRef args[LOWER_ARGS_MAX];
    uint32_t nargs;
    LLVMBasicBlockRef join, bbs[KNOWN_MAX_SIZE], null_bb, mismatch_bb;
    LLVMValueRef results[KNOWN_MAX_SIZE];
    uint32_t ncalls;
} known_call;

/* The block calling the function of element i directly (shared by
 * elements naming the same function), or a trap block. */
static LLVMBasicBlockRef known_case(lower_func *lf, known_call *kc, uint32_t i) {
    lower_module *lm = lf->lm;
    uint32_t f = kc->tk->funcs[i];
    if (f == KNOWN_NULL) return trap_case(lf, &kc->null_bb, KILN_TRAP_UNINITIALIZED_ELEMENT);
    if (!lower_functype_equal(module_func_type(lm->m, f), &lm->m->types[kc->type_index]))
        return trap_case(lf, &kc->mismatch_bb, KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    for (uint32_t j = 0; j < i; j++)
        if (kc->tk->funcs[j] == f) return known_case(lf, kc, j);
    LLVMBasicBlockRef saved = LLVMGetInsertBlock(lm->b);
    LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(lm->ctx, lf->fn, "ci.call");
    LLVMPositionBuilderAtEnd(lm->b, bb);
    LLVMValueRef call = lower_call_defined(lf, f, kc->args, kc->nargs);
    kc->bbs[kc->ncalls] = LLVMGetInsertBlock(lm->b); /* past the stack check */
    LLVMBuildBr(lm->b, kc->join);
    kc->results[kc->ncalls++] = call;
    LLVMPositionBuilderAtEnd(lm->b, saved);
    return bb;
}

static void known_results_push(lower_func *lf, known_call *kc) {
    lower_module *lm = lf->lm;
    const kiln_functype *ft = &lm->m->types[kc->type_index];
    LLVMPositionBuilderAtEnd(lm->b, kc->join);
    if (ft->num_results == 0) return;
    if (lower_results_in_memory(ft)) { /* every case's call wrote the one buffer */
        lower_results_push(lf, ft, NULL);
        return;
    }
    LLVMValueRef phi = LLVMBuildPhi(lm->b, lower_results_type(lm, ft), "");
    LLVMAddIncoming(phi, kc->results, kc->bbs, kc->ncalls);
    if (ft->num_results == 1) {
        lower_push(lf, phi);
        return;
    }
    for (uint32_t i = 0; i < ft->num_results; i++)
        lower_push(lf, LLVMBuildExtractValue(lm->b, phi, i, ""));
}

/* switch (index) { case i: r = f_i(vmctx, args...); ... }: the bounds,
 * null and signature checks all decided here, per element. */
static void call_indirect_switch(lower_func *lf, const kiln_insn *insn, const table_known *tk,
                                 LLVMValueRef index) {
    lower_module *lm = lf->lm;
    known_call kc;
    memset(&kc, 0, sizeof kc);
    kc.tk = tk;
    kc.type_index = insn->imm.call_indirect.type_index;
    const kiln_functype *ft = &lm->m->types[kc.type_index];
    kc.nargs = ft->num_params + 1;
    kc.args[0] = lf->vmctx;
    for (uint32_t i = ft->num_params; i > 0; i--) kc.args[i] = lower_pop(lf);
    /* Every case passes the same arguments: none may take a result left in
     * the results buffer as already stored (and erase its load). */
    lf->io_loads_count = 0;
    kc.join = LLVMAppendBasicBlockInContext(lm->ctx, lf->fn, "ci.join");
    LLVMBasicBlockRef undefined_bb = NULL;
    LLVMValueRef sw = LLVMBuildSwitch(lm->b, index,
                                      trap_case(lf, &undefined_bb, KILN_TRAP_UNDEFINED_ELEMENT),
                                      tk->size);
    for (uint32_t i = 0; i < tk->size; i++)
        LLVMAddCase(sw, LLVMConstInt(LLVMTypeOf(index), i, 0), known_case(lf, &kc, i));
    if (kc.ncalls == 0) LLVMDeleteBasicBlock(kc.join), lf->dead = true;
    else known_results_push(lf, &kc);
}

/* ---- call_indirect through a bigger known table: constant arrays -------- */

/* Without typed references (codes of 0x80 and up), two function types of
 * one module are equal for the runtime's canonical ids exactly when their
 * codes are (lower_functype_equal). */
static bool functype_plain(const kiln_functype *ft) {
    for (uint32_t i = 0; i < ft->num_params; i++)
        if (ft->params[i] >= 0x80) return false;
    for (uint32_t i = 0; i < ft->num_results; i++)
        if (ft->results[i] >= 0x80) return false;
    return true;
}

/* Each type's class (lower_type_classes): two functions have equal
 * signatures iff their types' classes are equal.  Only for modules of at
 * most KNOWN_TYPES_MAX types (others keep the table loads): the bound
 * dates from when classes cost a quadratic search, and lifting it would
 * change the code of bigger modules, which has not been measured. */
enum { KNOWN_TYPES_MAX = 1024 };

static bool type_classes_make(lower_module *lm) {
    return lm->m->num_types <= KNOWN_TYPES_MAX && lower_type_classes(lm);
}

static uint32_t func_class(const lower_module *lm, uint32_t f) {
    return lm->type_classes[lm->m->funcs[f].type_index];
}

static LLVMValueRef const_array(lower_module *lm, LLVMTypeRef elem, LLVMValueRef *items, uint32_t n,
                                const char *name) {
    LLVMValueRef init = LLVMConstArray2(elem, items, n);
    LLVMValueRef g = LLVMAddGlobal(lm->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(g, init);
    LLVMSetGlobalConstant(g, 1);
    LLVMSetLinkage(g, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
    return g;
}

/* A constant array of what `of` gives for each element's function
 * (null for a null element), or NULL when out of memory. */
static LLVMValueRef known_ptr_array(lower_module *lm, const table_known *tk,
                                    LLVMValueRef (*of)(lower_module *, uint32_t), const char *name) {
    LLVMValueRef *items = malloc(sizeof *items * (tk->size + 1));
    if (!items) return NULL;
    for (uint32_t i = 0; i < tk->size; i++)
        items[i] = tk->funcs[i] == KNOWN_NULL ? LLVMConstNull(lm->t.ptr) : of(lm, tk->funcs[i]);
    LLVMValueRef g = const_array(lm, lm->t.ptr, items, tk->size, name);
    free(items);
    return g;
}

/* The class of each element's signature and its body (null for a null
 * element); each partition that needs them holds its own copy.  False:
 * out of memory. */
static bool known_arrays_make(lower_module *lm, table_known *tk) {
    if (tk->bodies) return true;
    LLVMValueRef *items = malloc(sizeof *items * (tk->size + 1));
    if (!items) return false;
    for (uint32_t i = 0; i < tk->size; i++) {
        uint32_t f = tk->funcs[i];
        items[i] = lower_const_i32(lm, f == KNOWN_NULL ? KNOWN_NULL : func_class(lm, f));
    }
    tk->classes = const_array(lm, lm->t.i32, items, tk->size, "ci.classes");
    free(items);
    tk->bodies = known_ptr_array(lm, tk, lower_body_ref, "ci.bodies");
    return tk->bodies != NULL;
}

/* Each element's frame-size entry, for calls that check per callee. */
static bool known_frames_make(lower_module *lm, table_known *tk) {
    if (!tk->frames) tk->frames = known_ptr_array(lm, tk, lower_frame_slot, "ci.frames");
    return tk->frames != NULL;
}

typedef enum callee_check { CHECK_NONE, CHECK_SMALL, CHECK_PER_CALLEE } callee_check;

/* The stack check the elements of class `cls` need, as a direct call of
 * each would make it: none if all are small leaves of this partition,
 * one compare if all are small-frame bodies of this partition (then
 * *any is one of them), else a check against the callee's own entry. */
static callee_check known_callee_check(lower_func *lf, const table_known *tk, uint32_t cls,
                                       uint32_t *any) {
    lower_module *lm = lf->lm;
    bool leaves = true, small = true;
    for (uint32_t i = 0; i < tk->size; i++) {
        uint32_t f = tk->funcs[i];
        if (f == KNOWN_NULL || func_class(lm, f) != cls) continue;
        if (!lower_body_is_local(lm, f)) return CHECK_PER_CALLEE;
        if (lower_small_leaf(lm->m, f)) continue;
        leaves = false;
        if (!lower_frame_small(lm->opts, lm->frames_big, lm->frames_first, f)) small = false;
        *any = f;
    }
    return leaves ? CHECK_NONE : small ? CHECK_SMALL : CHECK_PER_CALLEE;
}

static LLVMValueRef array_elem(lower_func *lf, LLVMValueRef array, LLVMTypeRef ty, LLVMValueRef i64) {
    lower_module *lm = lf->lm;
    LLVMValueRef idx[2] = {lower_const_i64(lm, 0), i64};
    LLVMValueRef p = LLVMBuildGEP2(lm->b, LLVMGlobalGetValueType(array), array, idx, 2, "");
    return LLVMBuildLoad2(lm->b, ty, p, "");
}

/* call_indirect through a known table too big for a switch: the index
 * against the (constant) size, the element's signature class against
 * the call's from a constant array (null elements have no class), then
 * the body from another, called as a direct call calls it (the same
 * stack check, the body's convention).  No load of the table, its
 * entry or a type id, and no entry stub between caller and body. */
static void call_indirect_by_array(lower_func *lf, uint32_t type_index, table_known *tk,
                                   LLVMValueRef index) {
    lower_module *lm = lf->lm;
    const kiln_functype *ft = &lm->m->types[type_index];
    LLVMValueRef args[LOWER_ARGS_MAX];
    args[0] = lf->vmctx;
    lower_pop_args(lf, type_index, args);
    if (!known_arrays_make(lm, tk)) {
        lower_fail(lf, "out of memory");
        return;
    }
    LLVMValueRef i64 = lower_zext_i64(lf, index);
    lower_trap_if(lf, LLVMBuildICmp(lm->b, LLVMIntUGE, i64, lower_const_i64(lm, tk->size), ""),
                  KILN_TRAP_UNDEFINED_ELEMENT);
    uint32_t cls = lm->type_classes[type_index];
    LLVMValueRef got = array_elem(lf, tk->classes, lm->t.i32, i64);
    LLVMBasicBlockRef bad = LLVMAppendBasicBlockInContext(lm->ctx, lf->fn, "ci.bad");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(lm->ctx, lf->fn, "ci.ok");
    LLVMValueRef br = LLVMBuildCondBr(lm->b, LLVMBuildICmp(lm->b, LLVMIntNE, got, lower_const_i32(lm, cls), ""), bad, ok);
    lower_branch_unlikely(lm, br);
    LLVMPositionBuilderAtEnd(lm->b, bad);
    LLVMBasicBlockRef null_bb = NULL, mismatch_bb = NULL;
    LLVMBuildCondBr(lm->b, LLVMBuildICmp(lm->b, LLVMIntEQ, got, lower_const_i32(lm, KNOWN_NULL), ""),
                    trap_case(lf, &null_bb, KILN_TRAP_UNINITIALIZED_ELEMENT),
                    trap_case(lf, &mismatch_bb, KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH));
    LLVMPositionBuilderAtEnd(lm->b, ok);
    uint32_t any = 0;
    callee_check check = known_callee_check(lf, tk, cls, &any);
    if (check == CHECK_SMALL) {
        lower_stack_check(lf, any);
    } else if (check == CHECK_PER_CALLEE) {
        if (!known_frames_make(lm, tk)) {
            lower_fail(lf, "out of memory");
            return;
        }
        lower_stack_check_at(lf, array_elem(lf, tk->frames, lm->t.ptr, i64));
    }
    LLVMValueRef body = array_elem(lf, tk->bodies, lm->t.ptr, i64);
    LLVMValueRef call = lower_call_wasm(lf, type_index, body, args, ft->num_params + 1, lm->body_conv);
    lower_results_push(lf, ft, call);
}

/* ---- call_indirect, table.* ------------------------------------------------ */

/* Bounds, null and signature checks, then entry->code(entry->ctx, ...).
 * type_ids holds canonical structural ids, so equal signatures declared
 * in different modules match. */
/* The checked entry of call_indirect / return_call_indirect: index in
 * bounds, non-null, the right signature; its code and context. */
static void indirect_target(lower_func *lf, const kiln_insn *insn, LLVMValueRef index,
                            LLVMValueRef *code, LLVMValueRef *ctx) {
    lower_module *lm = lf->lm;
    uint32_t type_index = insn->imm.call_indirect.type_index;
    LLVMValueRef slot = elem_address(lf, insn->imm.call_indirect.table_index, index,
                                     KILN_TRAP_UNDEFINED_ELEMENT);
    LLVMValueRef entry = lower_load(lf, lm->t.ptr, slot, 8, LOWER_TBAA_TABLE, false);
    lower_trap_if(lf, LLVMBuildIsNull(lm->b, entry, ""), KILN_TRAP_UNINITIALIZED_ELEMENT);
    LLVMValueRef got = field_load(lf, entry, offsetof(kiln_func_ref, type_id), lm->t.i32, 4);
    LLVMValueRef want = lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_TYPE_IDS, type_index, lm->t.i32, 4);
    lower_trap_if(lf, LLVMBuildICmp(lm->b, LLVMIntNE, got, want, ""),
                  KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    *code = field_load(lf, entry, offsetof(kiln_func_ref, code), lm->t.ptr, 8);
    *ctx = field_load(lf, entry, offsetof(kiln_func_ref, ctx), lm->t.ptr, 8);
}

static void call_indirect_lower(lower_func *lf, const kiln_insn *insn) {
    LLVMValueRef index = lower_pop(lf);
    uint32_t type_index = insn->imm.call_indirect.type_index;
    table_known *tk = table_known_get(lf, insn->imm.call_indirect.table_index);
    if (tk && table_switchable(lf->lm, tk)) {
        call_indirect_switch(lf, insn, tk, index);
        return;
    }
    if (tk && functype_plain(&lf->lm->m->types[type_index]) && type_classes_make(lf->lm)) {
        call_indirect_by_array(lf, type_index, tk, index);
        return;
    }
    LLVMValueRef code, ctx;
    indirect_target(lf, insn, index, &code, &ctx);
    lower_call_typed(lf, insn->imm.call_indirect.type_index, code, ctx);
}

/* The callee is an entry stub or an import thunk: the stub checks the
 * stack for its body before it jumps there. */
static void return_call_indirect_lower(lower_func *lf, const kiln_insn *insn) {
    uint32_t type_index = insn->imm.call_indirect.type_index;
    LLVMValueRef index = lower_pop(lf);
    LLVMValueRef args[LOWER_ARGS_MAX], code;
    lower_pop_args(lf, type_index, args);
    indirect_target(lf, insn, index, &code, &args[0]);
    lower_tail_call(lf, type_index, code, args, lf->lm->m->types[type_index].num_params + 1);
}

static void table_get_lower(lower_func *lf, uint32_t table) {
    LLVMValueRef p = elem_address(lf, table, lower_pop(lf), KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    lower_push(lf, lower_load(lf, lf->lm->t.ptr, p, 8, LOWER_TBAA_TABLE, false));
}

static void table_set_lower(lower_func *lf, uint32_t table) {
    LLVMValueRef v = lower_pop(lf);
    LLVMValueRef p = elem_address(lf, table, lower_pop(lf), KILN_TRAP_TABLE_OUT_OF_BOUNDS);
    lower_store(lf, v, p, 8, LOWER_TBAA_TABLE);
}

static void table_size_lower(lower_func *lf, uint32_t table) {
    LLVMValueRef size = table_size(lf, table_rt(lf, table));
    if (table_is64(lf, table)) size = lower_zext_i64(lf, size);
    lower_push(lf, size);
}

static void table_grow_lower(lower_func *lf, uint32_t table) {
    LLVMValueRef n = lower_zext_i64(lf, lower_pop(lf));
    LLVMValueRef init = lower_pop(lf);
    LLVMValueRef args[3] = {lower_const_i32(lf->lm, table), init, n};
    LLVMValueRef old = lower_rt_call(lf, LOWER_RT_TABLE_GROW, args, 3);
    lower_push(lf, lower_result_of_width(lf, old, table_is64(lf, table)));
}

static void table_fill_lower(lower_func *lf, uint32_t table) {
    LLVMValueRef n = lower_zext_i64(lf, lower_pop(lf));
    LLVMValueRef v = lower_pop(lf);
    LLVMValueRef dst = lower_zext_i64(lf, lower_pop(lf));
    LLVMValueRef args[4] = {lower_const_i32(lf->lm, table), dst, v, n};
    lower_rt_call(lf, LOWER_RT_TABLE_FILL, args, 4);
}

/* table.init (table, segment, d, s, n) and table.copy (dst, src, d, s, n). */
static void table_bulk_lower(lower_func *lf, uint32_t first, uint32_t second, lower_rt id) {
    LLVMValueRef args[5];
    args[4] = lower_zext_i64(lf, lower_pop(lf));
    args[3] = lower_zext_i64(lf, lower_pop(lf));
    args[2] = lower_zext_i64(lf, lower_pop(lf));
    args[0] = lower_const_i32(lf->lm, first);
    args[1] = lower_const_i32(lf->lm, second);
    lower_rt_call(lf, id, args, 5);
}

static void elem_drop_lower(lower_func *lf, uint32_t segment) {
    LLVMValueRef arg = lower_const_i32(lf->lm, segment);
    lower_rt_call(lf, LOWER_RT_ELEM_DROP, &arg, 1);
}

static void ref_is_null_lower(lower_func *lf) {
    LLVMValueRef is_null = LLVMBuildIsNull(lf->lm->b, lower_pop(lf), "");
    lower_push(lf, LLVMBuildZExt(lf->lm->b, is_null, lf->lm->t.i32, ""));
}

static void ref_func_lower(lower_func *lf, uint32_t func) {
    lower_push(lf, lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_FUNCS, func, lf->lm->t.ptr, 8));
}

/* ---- call_ref, return_call_ref, ref.as_non_null ---------------------------- */

/* The callee of call_ref: only null is checked.  The validator proved the
 * reference's static type is (ref null $t), and every function reference
 * of that type has $t's native signature. */
static void ref_target(lower_func *lf, LLVMValueRef ref, LLVMValueRef *code, LLVMValueRef *ctx) {
    lower_module *lm = lf->lm;
    lower_trap_if(lf, LLVMBuildIsNull(lm->b, ref, ""), KILN_TRAP_NULL_FUNCTION_REFERENCE);
    *code = field_load(lf, ref, offsetof(kiln_func_ref, code), lm->t.ptr, 8);
    *ctx = field_load(lf, ref, offsetof(kiln_func_ref, ctx), lm->t.ptr, 8);
}

static void call_ref_lower(lower_func *lf, uint32_t type_index) {
    LLVMValueRef code, ctx;
    ref_target(lf, lower_pop(lf), &code, &ctx);
    lower_call_typed(lf, type_index, code, ctx);
}

/* As return_call_indirect: the callee is an entry stub or an import thunk. */
static void return_call_ref_lower(lower_func *lf, uint32_t type_index) {
    LLVMValueRef ref = lower_pop(lf);
    LLVMValueRef args[LOWER_ARGS_MAX], code;
    lower_pop_args(lf, type_index, args);
    ref_target(lf, ref, &code, &args[0]);
    lower_tail_call(lf, type_index, code, args, lf->lm->m->types[type_index].num_params + 1);
}

static void ref_as_non_null_lower(lower_func *lf) {
    LLVMValueRef ref = lower_pop(lf);
    lower_trap_if(lf, LLVMBuildIsNull(lf->lm->b, ref, ""), KILN_TRAP_NULL_REFERENCE);
    lower_push(lf, ref);
}

bool table_lower(lower_func *lf, const kiln_insn *insn) {
    uint32_t idx = insn->imm.index;
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_CALL_INDIRECT: call_indirect_lower(lf, insn); return true;
    case KILN_OP_RETURN_CALL_INDIRECT: return_call_indirect_lower(lf, insn); return true;
    case KILN_OP_TABLE_GET: table_get_lower(lf, idx); return true;
    case KILN_OP_TABLE_SET: table_set_lower(lf, idx); return true;
    case KILN_OP_TABLE_SIZE: table_size_lower(lf, idx); return true;
    case KILN_OP_TABLE_GROW: table_grow_lower(lf, idx); return true;
    case KILN_OP_TABLE_FILL: table_fill_lower(lf, idx); return true;
    case KILN_OP_TABLE_INIT:
        table_bulk_lower(lf, insn->imm.pair.b, insn->imm.pair.a, LOWER_RT_TABLE_INIT);
        return true;
    case KILN_OP_TABLE_COPY:
        table_bulk_lower(lf, insn->imm.pair.a, insn->imm.pair.b, LOWER_RT_TABLE_COPY);
        return true;
    case KILN_OP_ELEM_DROP: elem_drop_lower(lf, idx); return true;
    case KILN_OP_REF_NULL: lower_push(lf, LLVMConstNull(lf->lm->t.ptr)); return true;
    case KILN_OP_REF_IS_NULL: ref_is_null_lower(lf); return true;
    case KILN_OP_REF_FUNC: ref_func_lower(lf, idx); return true;
    case KILN_OP_CALL_REF: call_ref_lower(lf, idx); return true;
    case KILN_OP_RETURN_CALL_REF: return_call_ref_lower(lf, idx); return true;
    case KILN_OP_REF_AS_NON_NULL: ref_as_non_null_lower(lf); return true;
    default: return false;
    }
}
