/* constexpr.c - evaluation of constant expressions at instantiation.
 *
 * The validator already checked each expression (constant instructions
 * only, types consistent), so this is a small stack machine with no
 * error paths: consts, ref.null, ref.func, global.get, and the
 * extended-const integer add/sub/mul. */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

enum { SMALL_STACK = 16 };

/* Wrapping integer arithmetic, done unsigned so overflow is defined. */
static kiln_val int_binary(kiln_opcode op, kiln_val a, kiln_val b) {
    kiln_val r = {0};
    uint32_t x = (uint32_t)a.i32, y = (uint32_t)b.i32;
    uint64_t X = (uint64_t)a.i64, Y = (uint64_t)b.i64;
    switch (op) {
    case KILN_OP_I32_ADD: r.i32 = (int32_t)(x + y); break;
    case KILN_OP_I32_SUB: r.i32 = (int32_t)(x - y); break;
    case KILN_OP_I32_MUL: r.i32 = (int32_t)(x * y); break;
    case KILN_OP_I64_ADD: r.i64 = (int64_t)(X + Y); break;
    case KILN_OP_I64_SUB: r.i64 = (int64_t)(X - Y); break;
    case KILN_OP_I64_MUL: r.i64 = (int64_t)(X * Y); break;
    default: break;
    }
    return r;
}

static kiln_val insn_value(const kiln_instance *inst, const kiln_insn *in) {
    kiln_val v;
    memset(&v, 0, sizeof v);
    switch ((kiln_opcode)in->op) {
    case KILN_OP_I32_CONST: v.i32 = in->imm.i32; break;
    case KILN_OP_I64_CONST: v.i64 = in->imm.i64; break;
    case KILN_OP_F32_CONST: memcpy(&v.f32, &in->imm.f32_bits, 4); break;
    case KILN_OP_F64_CONST: memcpy(&v.f64, &in->imm.f64_bits, 8); break;
    case KILN_OP_V128_CONST: memcpy(v.v128, in->imm.v128, 16); break;
    case KILN_OP_REF_NULL: v.ref = NULL; break;
    case KILN_OP_REF_FUNC: v.ref = inst->vmctx.funcs[in->imm.index]; break;
    case KILN_OP_GLOBAL_GET: v = *inst->vmctx.globals[in->imm.index]; break;
    default: break;
    }
    return v;
}

static bool is_binary(kiln_opcode op) {
    return op == KILN_OP_I32_ADD || op == KILN_OP_I32_SUB || op == KILN_OP_I32_MUL ||
           op == KILN_OP_I64_ADD || op == KILN_OP_I64_SUB || op == KILN_OP_I64_MUL;
}

kiln_val constexpr_eval(const kiln_instance *inst, const kiln_expr *e) {
    kiln_val small[SMALL_STACK];
    kiln_val *stack = small;
    if (e->count > SMALL_STACK) stack = malloc(sizeof *stack * e->count);
    kiln_val result;
    memset(&result, 0, sizeof result);
    if (!stack) return result;
    uint32_t depth = 0;
    for (uint32_t i = 0; i < e->count; i++) {
        kiln_opcode op = (kiln_opcode)e->insns[i].op;
        if (op == KILN_OP_END) break;
        if (is_binary(op) && depth >= 2) {
            stack[depth - 2] = int_binary(op, stack[depth - 2], stack[depth - 1]);
            depth--;
        } else {
            stack[depth++] = insn_value(inst, &e->insns[i]);
        }
    }
    if (depth) result = stack[depth - 1];
    if (stack != small) free(stack);
    return result;
}
