/* validate_code.c - function bodies: the spec's validation algorithm
 * (appendix "Validation Algorithm"), an operand stack of value types and
 * a control stack of frames, both explicit arrays (never recursion).
 *
 * Every instruction whose stack type is fixed is typed generically from
 * the `signature` column of opcodes.def; only the "*" rows (control,
 * locals, globals, tables, references, calls, select, drop) have code of
 * their own, plus the extra immediate rules of memory, lane and segment
 * instructions.  Along the way the validator records what lowering
 * needs: expanded local types, else/end indices of every block, and the
 * deepest operand and control stacks. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* The bottom type: what a pop from a polymorphic stack (after
 * `unreachable`, `br`, `br_table`, `return`) yields.  It matches every
 * type; 0 is no value type's encoding. */
enum { TYPE_UNKNOWN = 0 };

/* ---------------------------------------------------------------------
 * The signature column, parsed once into a table indexed by opcode. */

typedef struct op_sig {
    uint8_t num_params;
    uint8_t num_results;
    uint8_t params[4];
    uint8_t results[2]; /* wide arithmetic has two */
    bool fixed;      /* false for "*" rows, which are typed by hand */
    bool checks_imm; /* fixed rows whose immediates have rules of their own */
} op_sig;

static op_sig sig_table[KILN_OP_COUNT];
static pthread_once_t sig_once = PTHREAD_ONCE_INIT;

static uint8_t sig_letter_type(char c) {
    switch (c) {
    case 'i': return KILN_I32;
    case 'I': return KILN_I64;
    case 'f': return KILN_F32;
    case 'F': return KILN_F64;
    case 'v': return KILN_V128;
    default: return TYPE_UNKNOWN;
    }
}

static bool imm_has_rules(kiln_imm_kind kind) {
    switch (kind) {
    case KILN_IMM_NONE:
    case KILN_IMM_I32:
    case KILN_IMM_I64:
    case KILN_IMM_F32:
    case KILN_IMM_F64:
    case KILN_IMM_V128:
    case KILN_IMM_ZERO_BYTE: return false;
    default: return true;
    }
}

/* A row that does not parse (too many letters, unknown letter) stays
 * non-fixed and is then refused by insn_validate_special(), so a broken
 * table row shows up as a validation error rather than a wrong type. */
static void sig_parse(op_sig *s, const char *text) {
    const char *colon = strchr(text, ':');
    if (!colon) return;
    size_t np = (size_t)(colon - text), nr = strlen(colon + 1);
    if (np > sizeof s->params || nr > sizeof s->results) return;
    for (size_t k = 0; k < np; k++) {
        s->params[k] = sig_letter_type(text[k]);
        if (s->params[k] == TYPE_UNKNOWN) return;
    }
    for (size_t k = 0; k < nr; k++) {
        s->results[k] = sig_letter_type(colon[1 + k]);
        if (s->results[k] == TYPE_UNKNOWN) return;
    }
    s->num_params = (uint8_t)np;
    s->num_results = (uint8_t)nr;
    s->fixed = true;
}

/* One byte per value type holding its own code, so that a block type
 * of a single value can point at a stable one-element type list. */
static uint8_t valtype_self[256];

static void sig_table_build(void) {
    for (int t = 0; t < 256; t++) valtype_self[t] = (uint8_t)t;
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        const kiln_opcode_info *info = &kiln_opcode_table[op];
        sig_parse(&sig_table[op], info->signature);
        sig_table[op].checks_imm = imm_has_rules(info->imm);
    }
}

/* ---------------------------------------------------------------------
 * Validator state: one per module_validate_code() call, reused by every
 * function so that the stacks are allocated a handful of times. */

typedef struct ctrl_frame {
    const uint8_t *params;
    const uint8_t *results;
    uint32_t num_params, num_results;
    uint32_t height;  /* operand stack height when the frame was entered */
    uint32_t inits;   /* height of the local initialisation stack then */
    uint32_t insn;    /* index of its block/loop/if/try; UINT32_MAX: the function */
    uint32_t clause;  /* legacy try: the catch whose successor is not known yet */
    uint16_t op;      /* BLOCK, LOOP, IF, TRY, TRY_TABLE; ELSE, CATCH or
                         CATCH_ALL once one is seen */
    bool unreachable; /* the rest of the frame is stack-polymorphic */
} ctrl_frame;

typedef struct code_validator {
    kiln_module *m; /* validation interns the reference types it derives */
    const uint8_t *declared; /* C.refs as a bitset */
    kiln_error *err;
    kiln_func *func;
    uint32_t func_index;
    const kiln_insn *insn; /* the instruction being checked (error offsets) */
    uint32_t num_locals;   /* params + declared locals */
    uint32_t num_datas;    /* C.datas: the data count */
    uint8_t *vals;
    uint32_t height, vals_cap, max_height;
    ctrl_frame *ctrls;
    uint32_t depth, ctrls_cap, max_depth;
    uint32_t loops; /* loop instructions seen in this body */
    uint32_t wide_values; /* kiln_func.wide_values so far */
    /* 3.0 local initialisation: set[i] when local i may be read; the
     * stack lists the non-defaultable locals set since function entry,
     * so that the end of a block can forget those it set. */
    uint8_t *local_set;
    uint32_t *init_stack;
    uint32_t inits, locals_cap;
} code_validator;

static bool code_fail(code_validator *v, const char *message) {
    v->err->func_index = v->func_index;
    return error_set(v->err, KILN_ERR_INVALID, v->insn->offset, "%s", message);
}

static bool code_fail_index(code_validator *v, const char *what, uint32_t index) {
    v->err->func_index = v->func_index;
    return error_set(v->err, KILN_ERR_INVALID, v->insn->offset, "%s %u", what, index);
}

static bool mismatch(code_validator *v) { return code_fail(v, "type mismatch"); }

static bool nomem(code_validator *v) {
    v->err->func_index = v->func_index;
    return error_set(v->err, KILN_ERR_NOMEM, v->insn ? v->insn->offset : 0, "out of memory");
}

/* ---------------------------------------------------------------------
 * The operand stack. */

static bool vals_grow(code_validator *v) {
    uint32_t cap = v->vals_cap ? v->vals_cap * 2 : 256;
    uint8_t *vals = cap > v->vals_cap ? realloc(v->vals, cap) : NULL;
    if (!vals) return nomem(v);
    v->vals = vals;
    v->vals_cap = cap;
    return true;
}

static inline bool push_val(code_validator *v, uint8_t type) {
    if (v->height == v->vals_cap && !vals_grow(v)) return false;
    v->vals[v->height++] = type;
    if (v->height > v->max_height) v->max_height = v->height;
    return true;
}

static inline ctrl_frame *ctrl_top(code_validator *v) { return &v->ctrls[v->depth - 1]; }

static inline bool pop_val(code_validator *v, uint8_t *out) {
    const ctrl_frame *top = ctrl_top(v);
    if (v->height == top->height) {
        *out = TYPE_UNKNOWN;
        return top->unreachable || mismatch(v);
    }
    *out = v->vals[--v->height];
    return true;
}

/* actual <: expect: equal codes, the bottom type, or reference subtyping. */
static inline bool val_matches(const code_validator *v, uint8_t actual, uint8_t expect) {
    return actual == expect || actual == TYPE_UNKNOWN || module_valtype_sub(v->m, actual, expect);
}

static inline bool pop_expect(code_validator *v, uint8_t expect) {
    uint8_t actual;
    if (!pop_val(v, &actual)) return false;
    return val_matches(v, actual, expect) || mismatch(v);
}

/* Groups of more than KILN_WIDE_GROUP values that calls, blocks, branches
 * and throws move: kiln_func.wide_values. */
static void wide_values_add(code_validator *v, uint32_t n) {
    if (n > KILN_WIDE_GROUP) v->wide_values = n > UINT32_MAX - v->wide_values ? UINT32_MAX : v->wide_values + n;
}

static bool pop_vals(code_validator *v, const uint8_t *types, uint32_t n) {
    wide_values_add(v, n);
    for (uint32_t k = n; k-- > 0;)
        if (!pop_expect(v, types[k])) return false;
    return true;
}

static bool push_vals(code_validator *v, const uint8_t *types, uint32_t n) {
    wide_values_add(v, n);
    for (uint32_t k = 0; k < n; k++)
        if (!push_val(v, types[k])) return false;
    return true;
}

/* The spec's push_vals(pop_vals(types)) for br_table: checks that the
 * top of the stack matches `types` and leaves it as it was. */
static bool peek_vals(code_validator *v, const uint8_t *types, uint32_t n) {
    const ctrl_frame *top = ctrl_top(v);
    for (uint32_t k = 0; k < n; k++) {
        uint8_t expect = types[n - 1 - k];
        if (v->height - top->height <= k) return top->unreachable || mismatch(v);
        if (!val_matches(v, v->vals[v->height - 1 - k], expect)) return mismatch(v);
    }
    return true;
}

/* ---------------------------------------------------------------------
 * The control stack. */

static bool ctrls_grow(code_validator *v) {
    uint32_t cap = v->ctrls_cap ? v->ctrls_cap * 2 : 64;
    ctrl_frame *ctrls = cap > v->ctrls_cap ? realloc(v->ctrls, cap * sizeof *ctrls) : NULL;
    if (!ctrls) return nomem(v);
    v->ctrls = ctrls;
    v->ctrls_cap = cap;
    return true;
}

static bool push_ctrl(code_validator *v, uint16_t op, const kiln_functype *type, uint32_t insn) {
    if (v->depth == v->ctrls_cap && !ctrls_grow(v)) return false;
    ctrl_frame *f = &v->ctrls[v->depth++];
    if (v->depth > v->max_depth) v->max_depth = v->depth;
    *f = (ctrl_frame){type->params, type->results, type->num_params, type->num_results,
                      v->height, v->inits, insn, insn, op, false};
    return push_vals(v, type->params, type->num_params);
}

/* Locals set inside a block are unset again after it (3.0). */
static void inits_reset(code_validator *v, uint32_t height) {
    while (v->inits > height) v->local_set[v->init_stack[--v->inits]] = 0;
}

static bool pop_ctrl(code_validator *v, ctrl_frame *out) {
    ctrl_frame *top = ctrl_top(v);
    if (!pop_vals(v, top->results, top->num_results)) return false;
    if (v->height != top->height) return mismatch(v);
    *out = *top;
    v->depth--;
    inits_reset(v, out->inits);
    return true;
}

/* The types a branch to `frame` carries: a loop's label is its start. */
static void label_types(const ctrl_frame *f, const uint8_t **types, uint32_t *n) {
    bool loop = f->op == KILN_OP_LOOP;
    *types = loop ? f->params : f->results;
    *n = loop ? f->num_params : f->num_results;
}

static void set_unreachable(code_validator *v) {
    ctrl_frame *top = ctrl_top(v);
    v->height = top->height;
    top->unreachable = true;
}

static bool label_frame(code_validator *v, uint32_t label, const ctrl_frame **out) {
    *out = NULL;
    if (label >= v->depth) return code_fail_index(v, "unknown label", label);
    *out = &v->ctrls[v->depth - 1 - label];
    return true;
}

/* ---------------------------------------------------------------------
 * Index-space lookups with the spec's messages. */

static bool check_memory(code_validator *v, uint32_t index, bool *is64) {
    *is64 = false;
    if (index >= v->m->num_memories) return code_fail_index(v, "unknown memory", index);
    *is64 = v->m->memories[index].is64;
    return true;
}

static bool check_table(code_validator *v, uint32_t index, uint8_t *elem_type) {
    *elem_type = TYPE_UNKNOWN;
    if (index >= v->m->num_tables) return code_fail_index(v, "unknown table", index);
    *elem_type = v->m->tables[index].elem_type;
    return true;
}

/* The address type of a table already checked: i64 for table64. */
static uint8_t table_addr(const code_validator *v, uint32_t index) {
    return v->m->tables[index].is64 ? KILN_I64 : KILN_I32;
}

static bool check_elem(code_validator *v, uint32_t index, uint8_t *elem_type) {
    *elem_type = TYPE_UNKNOWN;
    if (index >= v->m->num_elems) return code_fail_index(v, "unknown elem segment", index);
    *elem_type = v->m->elems[index].elem_type;
    return true;
}

static bool check_data(code_validator *v, uint32_t index) {
    if (index >= v->num_datas) return code_fail_index(v, "unknown data segment", index);
    return true;
}

static bool check_func(code_validator *v, uint32_t index, const kiln_functype **type) {
    *type = NULL;
    if (index >= v->m->num_funcs) return code_fail_index(v, "unknown function", index);
    *type = &v->m->types[v->m->funcs[index].type_index];
    return true;
}

static bool check_type(code_validator *v, uint32_t index, const kiln_functype **type) {
    *type = NULL;
    if (index >= v->m->num_types) return code_fail_index(v, "unknown type", index);
    *type = &v->m->types[index];
    return true;
}

/* ---------------------------------------------------------------------
 * Fixed-signature instructions. */

/* Address operands become i64 on a 64-bit memory (memory64): bit k of
 * `addr64` marks params[k], bit 4 the (first) result. */
enum { ADDR_RESULT = 1u << 4 };

static inline uint8_t sig_param(const op_sig *s, unsigned k, unsigned addr64) {
    return (addr64 >> k) & 1 ? KILN_I64 : s->params[k];
}

static inline bool sig_apply(code_validator *v, const op_sig *s, unsigned addr64) {
    uint32_t np = s->num_params;
    if (v->height - ctrl_top(v)->height >= np) {
        const uint8_t *top = v->vals + v->height - np;
        for (uint32_t k = 0; k < np; k++)
            if (top[k] != sig_param(s, k, addr64) && top[k] != TYPE_UNKNOWN) return mismatch(v);
        v->height -= np;
    } else {
        for (uint32_t k = np; k-- > 0;)
            if (!pop_expect(v, sig_param(s, k, addr64))) return false;
    }
    if (!s->num_results) return true;
    if (!push_val(v, addr64 & ADDR_RESULT ? KILN_I64 : s->results[0])) return false;
    return s->num_results == 1 || push_val(v, s->results[1]);
}

/* log2 of a power of two up to 16. */
static uint32_t natural_align(uint8_t access_bytes) {
    uint32_t log = 0;
    while ((1u << log) < access_bytes) log++;
    return log;
}

static bool memarg_check(code_validator *v, const kiln_insn *in, const kiln_opcode_info *info,
                         unsigned *addr64) {
    bool is64;
    if (!check_memory(v, in->imm.memarg.memory, &is64)) return false;
    uint32_t natural = natural_align(info->access_bytes);
    /* Atomics may not be under-aligned either: they trap when unaligned. */
    if (info->prefix == 0xFE && in->imm.memarg.align != natural)
        return code_fail(v, "atomic alignment must be natural");
    if (in->imm.memarg.align > natural)
        return code_fail(v, "alignment must not be larger than natural");
    if (info->imm == KILN_IMM_MEMARG_LANE && in->imm.memarg.lane >= info->lanes)
        return code_fail(v, "invalid lane index");
    /* 3.0: the offset is of the memory's address type (the decoder reads
     * 64 bits whenever memory64 is on). */
    if (!is64 && in->imm.memarg.offset > UINT32_MAX) return code_fail(v, "offset out of range");
    *addr64 = is64 ? 1u : 0u;
    return true;
}

/* memory.size, memory.grow, memory.fill: which operands are addresses. */
static unsigned memory_op_addr_mask(uint16_t op) {
    switch (op) {
    case KILN_OP_MEMORY_SIZE: return ADDR_RESULT;
    case KILN_OP_MEMORY_GROW: return 1u | ADDR_RESULT;
    case KILN_OP_MEMORY_FILL: return 1u | 4u;
    default: return 0;
    }
}

static bool shuffle_check(code_validator *v, const kiln_insn *in) {
    for (int k = 0; k < 16; k++)
        if (in->imm.v128[k] >= 32) return code_fail(v, "invalid lane index");
    return true;
}

static bool table_pair_check(code_validator *v, uint8_t dst_type, uint8_t src_type) {
    return module_valtype_sub(v->m, src_type, dst_type) || mismatch(v);
}

/* memory.copy and table.copy (d, s, n): each address of its own
 * memory's or table's type; the length of the smaller of the two (an i32
 * unless both are 64-bit), since it may cover no more than either. */
static unsigned copy_addr_mask(bool dst64, bool src64) {
    return (dst64 ? 1u : 0u) | (src64 ? 2u : 0u) | (dst64 && src64 ? 4u : 0u);
}

static bool table_init_check(code_validator *v, const kiln_insn *in, unsigned *addr64) {
    uint8_t table_type, elem_type;
    if (!check_table(v, in->imm.pair.b, &table_type)) return false;
    if (!check_elem(v, in->imm.pair.a, &elem_type)) return false;
    *addr64 = table_addr(v, in->imm.pair.b) == KILN_I64 ? 1u : 0u;
    return table_pair_check(v, table_type, elem_type);
}

static bool table_copy_check(code_validator *v, const kiln_insn *in, unsigned *addr64) {
    uint8_t dst_type, src_type;
    if (!check_table(v, in->imm.pair.a, &dst_type)) return false;
    if (!check_table(v, in->imm.pair.b, &src_type)) return false;
    *addr64 = copy_addr_mask(table_addr(v, in->imm.pair.a) == KILN_I64,
                             table_addr(v, in->imm.pair.b) == KILN_I64);
    return table_pair_check(v, dst_type, src_type);
}

static bool memory_copy_check(code_validator *v, const kiln_insn *in, unsigned *addr64) {
    bool dst64, src64;
    if (!check_memory(v, in->imm.pair.a, &dst64) || !check_memory(v, in->imm.pair.b, &src64))
        return false;
    *addr64 = copy_addr_mask(dst64, src64);
    return true;
}

static bool memory_init_check(code_validator *v, const kiln_insn *in, unsigned *addr64) {
    bool is64;
    if (!check_memory(v, in->imm.pair.b, &is64) || !check_data(v, in->imm.pair.a)) return false;
    *addr64 = is64 ? 1u : 0u;
    return true;
}

/* The extra rules of fixed-type instructions with immediates: which
 * memory, table or segment they name, alignment, lane indices. */
static bool imm_check(code_validator *v, const kiln_insn *in, unsigned *addr64) {
    const kiln_opcode_info *info = &kiln_opcode_table[in->op];
    uint8_t type;
    bool is64;
    switch (info->imm) {
    case KILN_IMM_MEMARG:
    case KILN_IMM_MEMARG_LANE: return memarg_check(v, in, info, addr64);
    case KILN_IMM_LANE:
        return in->imm.lane < info->lanes || code_fail(v, "invalid lane index");
    case KILN_IMM_SHUFFLE: return shuffle_check(v, in);
    case KILN_IMM_MEMORY:
        if (!check_memory(v, in->imm.index, &is64)) return false;
        *addr64 = is64 ? memory_op_addr_mask(in->op) : 0u;
        return true;
    case KILN_IMM_MEMORY_INIT: return memory_init_check(v, in, addr64);
    case KILN_IMM_DATA: return check_data(v, in->imm.index);
    case KILN_IMM_MEMORY_COPY: return memory_copy_check(v, in, addr64);
    case KILN_IMM_TABLE_INIT: return table_init_check(v, in, addr64);
    case KILN_IMM_ELEM: return check_elem(v, in->imm.index, &type);
    case KILN_IMM_TABLE_COPY: return table_copy_check(v, in, addr64);
    case KILN_IMM_TABLE: /* the fixed row among them: table.size */
        if (!check_table(v, in->imm.index, &type)) return false;
        *addr64 = table_addr(v, in->imm.index) == KILN_I64 ? ADDR_RESULT : 0u;
        return true;
    default: return code_fail(v, "unknown operator");
    }
}

/* ---------------------------------------------------------------------
 * Control instructions. */

static bool block_type(code_validator *v, const kiln_insn *in, kiln_functype *out) {
    *out = (kiln_functype){0, 0, NULL, NULL};
    switch (in->imm.block.kind) {
    case KILN_BLOCK_EMPTY: return true;
    case KILN_BLOCK_VALTYPE:
        out->num_results = 1;
        out->results = (uint8_t *)&valtype_self[in->imm.block.valtype];
        return true;
    default: {
        const kiln_functype *t;
        if (!check_type(v, in->imm.block.type_index, &t)) return false;
        *out = *t;
        return true;
    }
    }
}

/* try_table's catch clauses are checked against the labels outside it. */
static bool catches_check(code_validator *v, const kiln_insn *in);

static bool op_block(code_validator *v, kiln_insn *in, uint32_t index) {
    kiln_functype type;
    if (in->op != KILN_OP_TRY_TABLE) in->imm.block.else_index = UINT32_MAX;
    in->imm.block.end_index = UINT32_MAX;
    if (!block_type(v, in, &type)) return false;
    if (in->op == KILN_OP_IF && !pop_expect(v, KILN_I32)) return false;
    if (!pop_vals(v, type.params, type.num_params)) return false;
    if (in->op == KILN_OP_TRY_TABLE && !catches_check(v, in)) return false;
    v->loops += in->op == KILN_OP_LOOP;
    return push_ctrl(v, in->op, &type, index);
}

static bool op_else(code_validator *v, uint32_t index) {
    ctrl_frame f;
    if (ctrl_top(v)->op != KILN_OP_IF) return code_fail(v, "else without matching if");
    if (!pop_ctrl(v, &f)) return false;
    v->func->insns[f.insn].imm.block.else_index = index;
    kiln_functype type = {f.num_params, f.num_results, (uint8_t *)f.params, (uint8_t *)f.results};
    return push_ctrl(v, KILN_OP_ELSE, &type, f.insn);
}

static bool same_types(const uint8_t *a, uint32_t na, const uint8_t *b, uint32_t nb) {
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

/* Legacy try: the previous part (try body or catch) learns where it ends,
 * so that lowering can skip dead code to it. */
static void try_clause_link(code_validator *v, const ctrl_frame *f, uint32_t index) {
    kiln_insn *insns = v->func->insns;
    if (f->op == KILN_OP_TRY) insns[f->insn].imm.block.else_index = index;
    else if (f->op == KILN_OP_CATCH || f->op == KILN_OP_CATCH_ALL) insns[f->clause].imm.pair.b = index;
}

static bool op_end(code_validator *v, uint32_t index) {
    ctrl_frame f;
    if (!pop_ctrl(v, &f)) return false;
    try_clause_link(v, &f, index);
    /* `if` without `else` has an implicit empty else that must turn the
     * params into the results. */
    if (f.op == KILN_OP_IF && !same_types(f.params, f.num_params, f.results, f.num_results))
        return mismatch(v);
    if (f.insn != UINT32_MAX) v->func->insns[f.insn].imm.block.end_index = index;
    if (v->depth == 0) return true; /* the function's own end */
    return push_vals(v, f.results, f.num_results);
}

static bool op_br(code_validator *v, const kiln_insn *in) {
    const ctrl_frame *f;
    const uint8_t *types;
    uint32_t n;
    if (!label_frame(v, in->imm.index, &f)) return false;
    label_types(f, &types, &n);
    if (!pop_vals(v, types, n)) return false;
    set_unreachable(v);
    return true;
}

static bool op_br_if(code_validator *v, const kiln_insn *in) {
    const ctrl_frame *f;
    const uint8_t *types;
    uint32_t n;
    if (!pop_expect(v, KILN_I32)) return false;
    if (!label_frame(v, in->imm.index, &f)) return false;
    label_types(f, &types, &n);
    return pop_vals(v, types, n) && push_vals(v, types, n);
}

static bool op_br_table(code_validator *v, const kiln_insn *in) {
    const uint32_t *labels = in->imm.br_table.labels;
    uint32_t count = in->imm.br_table.count;
    const ctrl_frame *dflt, *f;
    const uint8_t *dflt_types, *types;
    uint32_t arity, n;
    if (!pop_expect(v, KILN_I32)) return false;
    if (!label_frame(v, labels[count], &dflt)) return false;
    label_types(dflt, &dflt_types, &arity);
    for (uint32_t k = 0; k < count; k++) {
        if (!label_frame(v, labels[k], &f)) return false;
        label_types(f, &types, &n);
        if (n != arity) return mismatch(v);
        if (!peek_vals(v, types, n)) return false;
    }
    if (!pop_vals(v, dflt_types, arity)) return false;
    set_unreachable(v);
    return true;
}

static bool op_return(code_validator *v) {
    const ctrl_frame *f = &v->ctrls[0];
    if (!pop_vals(v, f->results, f->num_results)) return false;
    set_unreachable(v);
    return true;
}

/* ---------------------------------------------------------------------
 * Exception handling. */

static bool check_tag(code_validator *v, uint32_t index, const kiln_functype **type) {
    *type = NULL;
    if (index >= v->m->num_tags) return code_fail_index(v, "unknown tag", index);
    *type = &v->m->types[v->m->tags[index].type_index];
    return true;
}

static bool op_throw(code_validator *v, const kiln_insn *in) {
    const kiln_functype *t;
    if (!check_tag(v, in->imm.index, &t) || !pop_vals(v, t->params, t->num_params)) return false;
    set_unreachable(v);
    return true;
}

static bool op_throw_ref(code_validator *v) {
    if (!pop_expect(v, KILN_EXNREF)) return false;
    set_unreachable(v);
    return true;
}

/* The label's type t takes a caught exception, a (ref exn): t is exnref
 * or (ref exn).  Asked without interning (ref exn), which a module
 * without typed references never names. */
static bool takes_exn(code_validator *v, uint8_t t) {
    return valtype_is_ref(t) && module_reftype(v->m, t).heap == KILN_HEAP_EXN;
}

static bool vals_sub(code_validator *v, const uint8_t *a, const uint8_t *b, uint32_t n) {
    for (uint32_t k = 0; k < n; k++)
        if (!module_valtype_sub(v->m, a[k], b[k])) return false;
    return true;
}

/* What a catch clause hands its label: the payload, then the exception
 * as a (ref exn); the label's types may be supertypes of both. */
static bool catch_check(code_validator *v, const kiln_catch *c) {
    const kiln_functype *t = NULL;
    if (c->kind <= KILN_CATCH_REF && !check_tag(v, c->tag, &t)) return false;
    const ctrl_frame *f;
    const uint8_t *types;
    uint32_t n;
    if (!label_frame(v, c->label, &f)) return false;
    label_types(f, &types, &n);
    uint32_t np = t ? t->num_params : 0;
    bool ref = c->kind == KILN_CATCH_REF || c->kind == KILN_CATCH_ALL_REF;
    if (n != np + ref) return mismatch(v);
    if (np && !vals_sub(v, t->params, types, np)) return mismatch(v);
    if (ref && !takes_exn(v, types[np])) return mismatch(v);
    return true;
}

/* Indexes the module's catch list only inside the loop: a try_table
 * without catches in a module that has none has `catches` NULL, and
 * even a zero offset from NULL is undefined behaviour. */
static bool catches_check(code_validator *v, const kiln_insn *in) {
    uint32_t first = in->imm.try_table.first_catch;
    for (uint32_t k = 0; k < in->imm.try_table.num_catches; k++)
        if (!catch_check(v, &v->m->catches[first + k])) return false;
    return true;
}

/* Legacy `catch x` / `catch_all`: like `else`, a new part of the try
 * frame, starting with the payload on the stack. */
static bool op_catch(code_validator *v, kiln_insn *in, uint32_t index) {
    uint16_t top = ctrl_top(v)->op;
    if (top != KILN_OP_TRY && top != KILN_OP_CATCH)
        return code_fail(v, in->op == KILN_OP_CATCH ? "catch without try" : "catch_all without try");
    const kiln_functype *t = NULL;
    if (in->op == KILN_OP_CATCH && !check_tag(v, in->imm.pair.a, &t)) return false;
    ctrl_frame f;
    if (!pop_ctrl(v, &f)) return false;
    try_clause_link(v, &f, index);
    in->imm.pair.b = UINT32_MAX;
    kiln_functype type = {0, f.num_results, NULL, (uint8_t *)f.results};
    if (!push_ctrl(v, in->op, &type, f.insn)) return false;
    ctrl_top(v)->clause = index;
    return !t || push_vals(v, t->params, t->num_params);
}

static bool op_delegate(code_validator *v, const kiln_insn *in, uint32_t index) {
    if (ctrl_top(v)->op != KILN_OP_TRY) return code_fail(v, "delegate without try");
    ctrl_frame f;
    const ctrl_frame *target;
    if (!pop_ctrl(v, &f)) return false;
    if (!label_frame(v, in->imm.index, &target)) return false;
    v->func->insns[f.insn].imm.block.end_index = index;
    return push_vals(v, f.results, f.num_results);
}

static bool op_rethrow(code_validator *v, const kiln_insn *in) {
    const ctrl_frame *f;
    if (!label_frame(v, in->imm.index, &f)) return false;
    if (f->op != KILN_OP_CATCH && f->op != KILN_OP_CATCH_ALL)
        return code_fail(v, "invalid rethrow label");
    set_unreachable(v);
    return true;
}

/* ---------------------------------------------------------------------
 * Calls. */

static bool apply_functype(code_validator *v, const kiln_functype *t) {
    return pop_vals(v, t->params, t->num_params) && push_vals(v, t->results, t->num_results);
}

static bool op_call(code_validator *v, const kiln_insn *in) {
    const kiln_functype *t;
    return check_func(v, in->imm.index, &t) && apply_functype(v, t);
}

static bool op_call_indirect(code_validator *v, const kiln_insn *in) {
    const kiln_functype *t;
    uint8_t elem_type;
    if (!check_table(v, in->imm.call_indirect.table_index, &elem_type)) return false;
    if (!module_valtype_sub(v->m, elem_type, KILN_FUNCREF)) return mismatch(v);
    if (!check_type(v, in->imm.call_indirect.type_index, &t)) return false;
    return pop_expect(v, table_addr(v, in->imm.call_indirect.table_index)) && apply_functype(v, t);
}

/* return_call and return_call_indirect: the callee's results become the
 * function's, so they must be exactly the function's result types. */
static bool results_match_function(code_validator *v, const kiln_functype *t) {
    const ctrl_frame *f = &v->ctrls[0];
    if (t->num_results != f->num_results) return mismatch(v);
    for (uint32_t i = 0; i < t->num_results; i++)
        if (!val_matches(v, t->results[i], f->results[i])) return mismatch(v);
    return true;
}

static bool op_return_call(code_validator *v, const kiln_insn *in) {
    const kiln_functype *t;
    if (!check_func(v, in->imm.index, &t) || !results_match_function(v, t)) return false;
    if (!pop_vals(v, t->params, t->num_params)) return false;
    set_unreachable(v);
    return true;
}

static bool op_return_call_indirect(code_validator *v, const kiln_insn *in) {
    const kiln_functype *t;
    uint8_t elem_type;
    if (!check_table(v, in->imm.call_indirect.table_index, &elem_type)) return false;
    if (!module_valtype_sub(v->m, elem_type, KILN_FUNCREF)) return mismatch(v);
    if (!check_type(v, in->imm.call_indirect.type_index, &t) || !results_match_function(v, t))
        return false;
    if (!pop_expect(v, table_addr(v, in->imm.call_indirect.table_index)) ||
        !pop_vals(v, t->params, t->num_params))
        return false;
    set_unreachable(v);
    return true;
}

/* ---------------------------------------------------------------------
 * Parametric instructions. */

static bool is_num(uint8_t t) {
    return t == KILN_I32 || t == KILN_I64 || t == KILN_F32 || t == KILN_F64 || t == TYPE_UNKNOWN;
}

static bool is_vec(uint8_t t) { return t == KILN_V128 || t == TYPE_UNKNOWN; }

static bool is_ref(uint8_t t) { return valtype_is_ref(t) || t == TYPE_UNKNOWN; }

static bool op_select(code_validator *v) {
    uint8_t t1, t2;
    if (!pop_expect(v, KILN_I32) || !pop_val(v, &t1) || !pop_val(v, &t2)) return false;
    if (!((is_num(t1) && is_num(t2)) || (is_vec(t1) && is_vec(t2)))) return mismatch(v);
    if (t1 != t2 && t1 != TYPE_UNKNOWN && t2 != TYPE_UNKNOWN) return mismatch(v);
    return push_val(v, t1 == TYPE_UNKNOWN ? t2 : t1);
}

/* A type vector whose length is not 1 is well formed but invalid; the
 * decoder marks it with valtype 0. */
static bool op_select_t(code_validator *v, const kiln_insn *in) {
    uint8_t t = in->imm.valtype;
    if (t == TYPE_UNKNOWN) return code_fail(v, "invalid result arity");
    return pop_expect(v, KILN_I32) && pop_expect(v, t) && pop_expect(v, t) && push_val(v, t);
}

/* ---------------------------------------------------------------------
 * Variables. */

static bool local_type(code_validator *v, const kiln_insn *in, uint8_t *type) {
    *type = TYPE_UNKNOWN;
    if (in->imm.index >= v->num_locals) return code_fail_index(v, "unknown local", in->imm.index);
    *type = v->func->local_types[in->imm.index];
    return true;
}

static bool local_mark_set(code_validator *v, uint32_t i) {
    if (!v->local_set[i]) {
        v->local_set[i] = 1;
        v->init_stack[v->inits++] = i;
    }
    return true;
}

static bool op_local(code_validator *v, const kiln_insn *in) {
    uint8_t t;
    uint32_t i = in->imm.index;
    if (!local_type(v, in, &t)) return false;
    switch (in->op) {
    case KILN_OP_LOCAL_GET:
        return v->local_set[i] ? push_val(v, t) : code_fail(v, "uninitialized local");
    case KILN_OP_LOCAL_SET: return pop_expect(v, t) && local_mark_set(v, i);
    default: return pop_expect(v, t) && push_val(v, t) && local_mark_set(v, i); /* local.tee */
    }
}

static bool op_global(code_validator *v, const kiln_insn *in) {
    uint32_t index = in->imm.index;
    if (index >= v->m->num_globals) return code_fail_index(v, "unknown global", index);
    const kiln_globaltype *g = &v->m->globals[index].type;
    if (in->op == KILN_OP_GLOBAL_GET) return push_val(v, g->valtype);
    if (!g->is_mutable) return code_fail(v, "global is immutable");
    return pop_expect(v, g->valtype);
}

/* ---------------------------------------------------------------------
 * Tables and references. */

static bool op_table(code_validator *v, const kiln_insn *in) {
    uint8_t t;
    if (!check_table(v, in->imm.index, &t)) return false;
    uint8_t at = table_addr(v, in->imm.index); /* indices and sizes */
    switch (in->op) {
    case KILN_OP_TABLE_GET: return pop_expect(v, at) && push_val(v, t);
    case KILN_OP_TABLE_SET: return pop_expect(v, t) && pop_expect(v, at);
    case KILN_OP_TABLE_GROW: return pop_expect(v, at) && pop_expect(v, t) && push_val(v, at);
    default: /* table.fill */
        return pop_expect(v, at) && pop_expect(v, t) && pop_expect(v, at);
    }
}

static bool op_ref_is_null(code_validator *v) {
    uint8_t t;
    if (!pop_val(v, &t)) return false;
    if (!is_ref(t)) return mismatch(v);
    return push_val(v, KILN_I32);
}

/* The code of reference type r, interned in the module. */
static bool ref_code(code_validator *v, kiln_reftype r, uint8_t *code) {
    if (module_reftype_intern(v->m, r, code)) return true;
    v->err->func_index = v->func_index;
    if (v->m->num_reftypes < KILN_MAX_REFTYPES) return nomem(v);
    return error_set_limit(v->err, v->insn->offset, KILN_MAX_REFTYPES + 1ull,
                           "distinct reference types", KILN_MAX_REFTYPES);
}

/* ref.func f: (ref $t) with 3.0, funcref in 2.0. */
static bool op_ref_func(code_validator *v, const kiln_insn *in) {
    const kiln_functype *t;
    if (!check_func(v, in->imm.index, &t)) return false;
    if (!bitset_has(v->declared, in->imm.index))
        return code_fail(v, "undeclared function reference");
    if (!(v->m->features & KILN_FEATURE_FUNCTION_REFERENCES)) return push_val(v, KILN_FUNCREF);
    kiln_reftype r = {KILN_HEAP_TYPE, false, v->m->funcs[in->imm.index].type_index, in->offset};
    uint8_t code;
    return ref_code(v, r, &code) && push_val(v, code);
}

static bool pop_ref(code_validator *v, uint8_t *t) {
    return pop_val(v, t) && (is_ref(*t) || mismatch(v));
}

/* Pushes t without null; the bottom type stays the bottom type. */
static bool push_non_null(code_validator *v, uint8_t t) {
    if (t == TYPE_UNKNOWN) return push_val(v, t);
    kiln_reftype r = module_reftype(v->m, t);
    r.nullable = false;
    uint8_t code;
    return ref_code(v, r, &code) && push_val(v, code);
}

static bool op_ref_as_non_null(code_validator *v) {
    uint8_t t;
    return pop_ref(v, &t) && push_non_null(v, t);
}

/* br_on_null l: [t* (ref null ht)] -> [t* (ref ht)], branching with t*. */
static bool op_br_on_null(code_validator *v, const kiln_insn *in) {
    const ctrl_frame *f;
    const uint8_t *types;
    uint32_t n;
    uint8_t t;
    if (!label_frame(v, in->imm.index, &f) || !pop_ref(v, &t)) return false;
    label_types(f, &types, &n);
    return pop_vals(v, types, n) && push_vals(v, types, n) && push_non_null(v, t);
}

/* br_on_non_null l: [t* (ref null ht)] -> [t*], branching with t* (ref
 * ht): the label's last type must take the non-null reference. */
static bool op_br_on_non_null(code_validator *v, const kiln_insn *in) {
    const ctrl_frame *f;
    const uint8_t *types;
    uint32_t n;
    uint8_t t;
    if (!label_frame(v, in->imm.index, &f) || !pop_ref(v, &t)) return false;
    label_types(f, &types, &n);
    if (n == 0 || !valtype_is_ref(types[n - 1])) return mismatch(v);
    return push_non_null(v, t) && pop_vals(v, types, n) && push_vals(v, types, n - 1);
}

/* call_ref $t / return_call_ref $t: the callee is a (ref null $t). */
static bool op_call_ref(code_validator *v, const kiln_insn *in, bool tail) {
    const kiln_functype *t;
    uint8_t want;
    if (!check_type(v, in->imm.index, &t)) return false;
    kiln_reftype r = {KILN_HEAP_TYPE, true, in->imm.index, in->offset};
    if (!ref_code(v, r, &want) || !pop_expect(v, want)) return false;
    if (!tail) return apply_functype(v, t);
    if (!results_match_function(v, t) || !pop_vals(v, t->params, t->num_params)) return false;
    set_unreachable(v);
    return true;
}

/* ---------------------------------------------------------------------
 * Dispatch. */

/* The "*" rows of opcodes.def: one flat switch, one small function each. */
static bool insn_validate_special(code_validator *v, kiln_insn *in, uint32_t index) {
    uint8_t t;
    switch ((kiln_opcode)in->op) {
    case KILN_OP_UNREACHABLE: set_unreachable(v); return true;
    case KILN_OP_NOP: return true;
    case KILN_OP_BLOCK:
    case KILN_OP_LOOP:
    case KILN_OP_IF:
    case KILN_OP_TRY:
    case KILN_OP_TRY_TABLE: return op_block(v, in, index);
    case KILN_OP_THROW: return op_throw(v, in);
    case KILN_OP_THROW_REF: return op_throw_ref(v);
    case KILN_OP_CATCH:
    case KILN_OP_CATCH_ALL: return op_catch(v, in, index);
    case KILN_OP_DELEGATE: return op_delegate(v, in, index);
    case KILN_OP_RETHROW: return op_rethrow(v, in);
    case KILN_OP_ELSE: return op_else(v, index);
    case KILN_OP_END: return op_end(v, index);
    case KILN_OP_BR: return op_br(v, in);
    case KILN_OP_BR_IF: return op_br_if(v, in);
    case KILN_OP_BR_TABLE: return op_br_table(v, in);
    case KILN_OP_RETURN: return op_return(v);
    case KILN_OP_CALL: return op_call(v, in);
    case KILN_OP_CALL_INDIRECT: return op_call_indirect(v, in);
    case KILN_OP_RETURN_CALL: return op_return_call(v, in);
    case KILN_OP_RETURN_CALL_INDIRECT: return op_return_call_indirect(v, in);
    case KILN_OP_DROP: return pop_val(v, &t);
    case KILN_OP_SELECT: return op_select(v);
    case KILN_OP_SELECT_T: return op_select_t(v, in);
    case KILN_OP_LOCAL_GET:
    case KILN_OP_LOCAL_SET:
    case KILN_OP_LOCAL_TEE: return op_local(v, in);
    case KILN_OP_GLOBAL_GET:
    case KILN_OP_GLOBAL_SET: return op_global(v, in);
    case KILN_OP_TABLE_GET:
    case KILN_OP_TABLE_SET:
    case KILN_OP_TABLE_GROW:
    case KILN_OP_TABLE_FILL: return op_table(v, in);
    case KILN_OP_REF_NULL: return push_val(v, in->imm.reftype);
    case KILN_OP_REF_IS_NULL: return op_ref_is_null(v);
    case KILN_OP_REF_FUNC: return op_ref_func(v, in);
    case KILN_OP_REF_AS_NON_NULL: return op_ref_as_non_null(v);
    case KILN_OP_BR_ON_NULL: return op_br_on_null(v, in);
    case KILN_OP_BR_ON_NON_NULL: return op_br_on_non_null(v, in);
    case KILN_OP_CALL_REF: return op_call_ref(v, in, false);
    case KILN_OP_RETURN_CALL_REF: return op_call_ref(v, in, true);
    default: return code_fail(v, "unknown operator");
    }
}

static inline bool insn_validate(code_validator *v, kiln_insn *in, uint32_t index) {
    const op_sig *s = &sig_table[in->op];
    unsigned addr64 = 0;
    v->insn = in;
    if (!s->fixed) return insn_validate_special(v, in, index);
    if (s->checks_imm && !imm_check(v, in, &addr64)) return false;
    return sig_apply(v, s, addr64);
}

/* ---------------------------------------------------------------------
 * Functions. */

/* Parameters and defaultable locals start set; the rest wait for their
 * first local.set or local.tee. */
static bool inits_prepare(code_validator *v, uint32_t num_params) {
    if (v->num_locals > v->locals_cap) {
        uint32_t cap = v->num_locals;
        uint8_t *set = realloc(v->local_set, cap);
        if (set) v->local_set = set;
        uint32_t *stack = realloc(v->init_stack, (size_t)cap * sizeof *stack);
        if (stack) v->init_stack = stack;
        if (!set || !stack) return nomem(v);
        v->locals_cap = cap;
    }
    v->inits = 0;
    for (uint32_t i = 0; i < v->num_locals; i++)
        v->local_set[i] = i < num_params || module_valtype_defaultable(v->m, v->func->local_types[i]);
    return true;
}

/* params then declared locals, one type per local, in the module arena. */
static bool locals_expand(code_validator *v, const kiln_functype *type) {
    kiln_func *f = v->func;
    uint64_t total = type->num_params;
    for (uint32_t g = 0; g < f->num_local_groups; g++) total += f->local_groups[g].count;
    if (total > KILN_MAX_LOCALS) { /* the decoder refuses these; a guard for the allocation */
        v->err->func_index = v->func_index;
        return error_set_limit(v->err, f->body_offset, total, "locals including parameters",
                               KILN_MAX_LOCALS);
    }
    /* A second validation of the same module reuses the first expansion. */
    uint8_t *types = f->local_types ? f->local_types
                                    : arena_alloc(v->m->arena, total ? (size_t)total : 1);
    if (!types) return nomem(v);
    if (type->num_params) memcpy(types, type->params, type->num_params);
    uint32_t at = type->num_params;
    for (uint32_t g = 0; g < f->num_local_groups; g++) {
        memset(types + at, f->local_groups[g].valtype, f->local_groups[g].count);
        at += f->local_groups[g].count;
    }
    f->local_types = types;
    f->num_locals = (uint32_t)total - type->num_params;
    v->num_locals = (uint32_t)total;
    return inits_prepare(v, type->num_params);
}

static bool body_unterminated(code_validator *v, const char *message) {
    v->err->func_index = v->func_index;
    uint64_t end = (uint64_t)v->func->body_offset + v->func->body_size;
    return error_set(v->err, KILN_ERR_MALFORMED, v->insn ? v->insn->offset : end, "%s", message);
}

static bool func_validate(code_validator *v, uint32_t func_index) {
    kiln_func *f = &v->m->funcs[func_index];
    const kiln_functype *type = &v->m->types[f->type_index];
    kiln_functype body = {0, type->num_results, NULL, type->results};
    v->func = f;
    v->func_index = func_index;
    v->insn = NULL;
    v->height = v->depth = v->max_height = v->max_depth = v->loops = v->wide_values = 0;
    if (!locals_expand(v, type) || !push_ctrl(v, KILN_OP_BLOCK, &body, UINT32_MAX)) return false;
    f->uses_simd = false;
    for (uint32_t i = 0; i < f->num_insns; i++) {
        f->uses_simd |= kiln_opcode_table[f->insns[i].op].prefix == 0xFD;
        if (v->depth == 0) {
            v->insn = &f->insns[i];
            return body_unterminated(v, "operators remaining after end of function");
        }
        if (!insn_validate(v, &f->insns[i], i)) return false;
    }
    if (v->depth != 0) return body_unterminated(v, "unexpected end");
    f->max_stack = v->max_height;
    f->max_control = v->max_depth;
    f->num_loops = v->loops;
    f->wide_values = v->wide_values;
    return true;
}

bool module_validate_code(kiln_module *m, const uint8_t *declared, kiln_error *err) {
    pthread_once(&sig_once, sig_table_build);
    code_validator v = {.m = m, .declared = declared, .err = err, .func_index = KILN_NO_FUNC};
    v.num_datas = m->has_data_count ? m->data_count : m->num_datas;
    bool ok = vals_grow(&v) && ctrls_grow(&v); /* never NULL while typing */
    for (uint32_t i = m->num_imported_funcs; ok && i < m->num_funcs; i++) ok = func_validate(&v, i);
    free(v.vals);
    free(v.ctrls);
    free(v.local_set);
    free(v.init_stack);
    return ok;
}
