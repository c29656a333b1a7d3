/* lower_table.c - call_indirect, table.*, elem.drop and ref.*.
 *
 * References are pointers: a funcref is a kiln_func_ref *, an externref
 * is opaque, null is the null pointer.  A table is a kiln_table_rt
 * reached through vmctx->tables[t]; its size and element array are
 * reloaded at every use because table.grow (or another instance sharing
 * the table) may change them.  Checks inline, bulk work in the runtime. */
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

/* &t->elems[index], after checking index < size (else `trap`). */
static LLVMValueRef elem_address(lower_func *lf, uint32_t table, LLVMValueRef index, uint32_t trap) {
    lower_module *lm = lf->lm;
    LLVMValueRef t = table_rt(lf, table);
    LLVMValueRef oob = LLVMBuildICmp(lm->b, LLVMIntUGE, index, table_size(lf, t), "");
    lower_trap_if(lf, oob, trap);
    LLVMValueRef elems = field_load(lf, t, offsetof(kiln_table_rt, elems), lm->t.ptr, 8);
    LLVMValueRef off = LLVMBuildMul(lm->b, LLVMBuildZExt(lm->b, index, lm->t.i64, ""),
                                    lower_const_i64(lm, sizeof(void *)), "");
    return lower_byte_gep(lf, elems, off);
}

/* Bounds, null and signature checks, then entry->code(entry->ctx, ...).
 * type_ids holds canonical structural ids, so equal signatures declared
 * in different modules match. */
static void call_indirect_lower(lower_func *lf, const kiln_insn *insn) {
    lower_module *lm = lf->lm;
    uint32_t type_index = insn->imm.call_indirect.type_index;
    LLVMValueRef index = lower_pop(lf);
    LLVMValueRef slot = elem_address(lf, insn->imm.call_indirect.table_index, index,
                                     KILN_TRAP_UNDEFINED_ELEMENT);
    LLVMValueRef entry = lower_load(lf, lm->t.ptr, slot, 8, LOWER_TBAA_TABLE, false);
    lower_trap_if(lf, LLVMBuildIsNull(lm->b, entry, ""), KILN_TRAP_UNINITIALIZED_ELEMENT);
    LLVMValueRef got = field_load(lf, entry, offsetof(kiln_func_ref, type_id), lm->t.i32, 4);
    LLVMValueRef want = lower_vmctx_array_elem(lf, KILN_VMCTX_OFFSET_TYPE_IDS, type_index, lm->t.i32, 4);
    lower_trap_if(lf, LLVMBuildICmp(lm->b, LLVMIntNE, got, want, ""),
                  KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH);
    LLVMValueRef code = field_load(lf, entry, offsetof(kiln_func_ref, code), lm->t.ptr, 8);
    LLVMValueRef ctx = field_load(lf, entry, offsetof(kiln_func_ref, ctx), lm->t.ptr, 8);
    lower_call_typed(lf, type_index, code, ctx);
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
    lower_push(lf, table_size(lf, table_rt(lf, table)));
}

static void table_grow_lower(lower_func *lf, uint32_t table) {
    LLVMValueRef n = lower_pop(lf);
    LLVMValueRef init = lower_pop(lf);
    LLVMValueRef args[3] = {lower_const_i32(lf->lm, table), init, n};
    lower_push(lf, lower_rt_call(lf, LOWER_RT_TABLE_GROW, args, 3));
}

static void table_fill_lower(lower_func *lf, uint32_t table) {
    LLVMValueRef n = lower_pop(lf);
    LLVMValueRef v = lower_pop(lf);
    LLVMValueRef dst = lower_pop(lf);
    LLVMValueRef args[4] = {lower_const_i32(lf->lm, table), dst, v, n};
    lower_rt_call(lf, LOWER_RT_TABLE_FILL, args, 4);
}

/* table.init (table, segment, d, s, n) and table.copy (dst, src, d, s, n). */
static void table_bulk_lower(lower_func *lf, uint32_t first, uint32_t second, lower_rt id) {
    LLVMValueRef args[5];
    args[4] = lower_pop(lf);
    args[3] = lower_pop(lf);
    args[2] = lower_pop(lf);
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

bool table_lower(lower_func *lf, const kiln_insn *insn) {
    uint32_t idx = insn->imm.index;
    switch ((kiln_opcode)insn->op) {
    case KILN_OP_CALL_INDIRECT: call_indirect_lower(lf, insn); return true;
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
    default: return false;
    }
}
