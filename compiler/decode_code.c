/* decode_code.c - instruction sequences: function bodies and constant
 * expressions.  Only structure is checked here (encodings, immediates,
 * that the final `end` closes the body); typing is the validator's job.
 *
 * Nesting is tracked with a counter, never by recursion, so deeply
 * nested input cannot exhaust the C stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"

/* ---- immediates ---------------------------------------------------------- */

/* blocktype: 0x40, a one-byte value type, or an s33 type index >= 0. */
static bool blocktype_decode(decoder *d, kiln_insn *in) {
    const uint8_t *at = d->p;
    if (d->p < d->end) {
        uint8_t b = *d->p;
        if (b == 0x40) {
            d->p++;
            in->imm.block.kind = KILN_BLOCK_EMPTY;
            return true;
        }
        if (valtype_is_known(b) || decode_typed_ref_byte(d, b) || decode_exnref_allowed(d, b)) {
            in->imm.block.kind = KILN_BLOCK_VALTYPE;
            return decode_valtype(d, &in->imm.block.valtype);
        }
    }
    int64_t v;
    if (!decode_s33(d, &v)) return false;
    if (v < 0) return decode_fail(d, at, "malformed value type");
    in->imm.block.kind = KILN_BLOCK_TYPEINDEX;
    in->imm.block.type_index = (uint32_t)v;
    return true;
}

/* A memory index: in 2.0 a single 0x00 byte (not a LEB128 zero). */
static bool memidx_decode(decoder *d, uint32_t *out) {
    if (d->m->features & KILN_FEATURE_MULTI_MEMORY) return decode_u32(d, out);
    const uint8_t *at = d->p;
    uint8_t b = 0;
    if (!decode_byte(d, &b)) return false;
    if (b != 0) return decode_fail(d, at, "zero byte expected");
    *out = 0;
    return true;
}

/* memarg: align (bit 6 announces a memory index under multi-memory), offset. */
static bool memarg_decode(decoder *d, kiln_insn *in) {
    uint32_t align;
    if (!decode_u32(d, &align)) return false;
    if ((d->m->features & KILN_FEATURE_MULTI_MEMORY) && (align & 0x40)) {
        const uint8_t *at = d->p;
        uint32_t mem;
        if (!decode_u32(d, &mem)) return false;
        if (mem > UINT8_MAX) {
            decode_fail(d, at, "memory index too large");
            d->err->kind = KILN_ERR_LIMIT;
            return false;
        }
        in->imm.memarg.memory = (uint8_t)mem;
        align &= ~0x40u;
    }
    in->imm.memarg.align = align;
    if (d->m->features & KILN_FEATURE_MEMORY64) return decode_u64(d, &in->imm.memarg.offset);
    uint32_t offset;
    if (!decode_u32(d, &offset)) return false;
    in->imm.memarg.offset = offset;
    return true;
}

/* The label count is bounded before the labels are allocated; like V8 the
 * error names the br_table itself. */
static bool br_table_decode(decoder *d, kiln_insn *in) {
    uint32_t count;
    if (!decode_count(d, &count)) return false;
    if (count > KILN_MAX_BR_TABLE_LABELS)
        return decode_fail_limit(d, d->base + in->offset, count, "labels in a br_table",
                                 KILN_MAX_BR_TABLE_LABELS);
    uint32_t *labels = arena_array(d->m->arena, (size_t)count + 1, sizeof *labels);
    if (!labels) return decode_fail_nomem(d);
    for (uint32_t i = 0; i <= count; i++)
        if (!decode_u32(d, &labels[i])) return false;
    in->imm.br_table.labels = labels;
    in->imm.br_table.count = count;
    return true;
}

/* select t*: 2.0 allows exactly one type.  Any other arity is well formed
 * but invalid, so it decodes to valtype 0 and the validator reports it. */
static bool select_t_decode(decoder *d, kiln_insn *in) {
    uint32_t count;
    if (!decode_count(d, &count)) return false;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t t;
        if (!decode_valtype(d, &t)) return false;
        in->imm.valtype = count == 1 ? t : 0;
    }
    return true;
}

static bool raw_bytes_decode(decoder *d, void *out, size_t n) {
    if (decode_left(d) < n) {
        d->p = d->end;
        return decode_fail_end(d);
    }
    memcpy(out, d->p, n);
    d->p += n;
    return true;
}

/* f32/f64 immediates are little-endian bit patterns; keep them exact
 * (NaN payloads included) by never going through a float. */
static bool fixed_decode(decoder *d, uint64_t *out, size_t n) {
    uint8_t b[8] = {0}; /* zeroed only to quiet gcc -O3's maybe-uninitialized */
    if (!raw_bytes_decode(d, b, n)) return false;
    uint64_t v = 0;
    for (size_t i = n; i-- > 0;) v = (v << 8) | b[i];
    *out = v;
    return true;
}

static bool data_count_require(decoder *d, const uint8_t *insn_at) {
    if (d->m->has_data_count) return true;
    return decode_fail(d, insn_at, "data count section required");
}

static bool pair_decode(decoder *d, kiln_insn *in, bool a_is_mem, bool b_is_mem) {
    bool ok = a_is_mem ? memidx_decode(d, &in->imm.pair.a) : decode_u32(d, &in->imm.pair.a);
    if (!ok) return false;
    return b_is_mem ? memidx_decode(d, &in->imm.pair.b) : decode_u32(d, &in->imm.pair.b);
}

static bool f32_decode(decoder *d, kiln_insn *in) {
    uint64_t v;
    if (!fixed_decode(d, &v, 4)) return false;
    in->imm.f32_bits = (uint32_t)v;
    return true;
}

static bool memarg_lane_decode(decoder *d, kiln_insn *in) {
    return memarg_decode(d, in) && decode_byte(d, &in->imm.memarg.lane);
}

/* atomic.fence's reserved byte, kept for a future ordering argument. */
static bool zero_byte_decode(decoder *d) {
    const uint8_t *at = d->p;
    uint8_t b = 0;
    if (!decode_byte(d, &b)) return false;
    return b == 0 || decode_fail(d, at, "zero byte expected");
}

static bool call_indirect_decode(decoder *d, kiln_insn *in) {
    return decode_u32(d, &in->imm.call_indirect.type_index) &&
           decode_u32(d, &in->imm.call_indirect.table_index);
}

/* m->catches grows geometrically (arena copies, as the custom sections). */
static bool catches_reserve(decoder *d, uint32_t more) {
    kiln_module *m = d->m;
    uint64_t need = (uint64_t)m->num_catches + more;
    if (need <= d->catches_cap) return true;
    uint64_t cap = d->catches_cap ? d->catches_cap : 16;
    while (cap < need) cap *= 2;
    if (cap > UINT32_MAX) return decode_fail_nomem(d);
    kiln_catch *grown = arena_array(m->arena, (size_t)cap, sizeof *grown);
    if (!grown) return decode_fail_nomem(d);
    if (m->num_catches) memcpy(grown, m->catches, m->num_catches * sizeof *grown);
    m->catches = grown;
    d->catches_cap = (uint32_t)cap;
    return true;
}

static bool catch_decode(decoder *d, kiln_catch *c) {
    const uint8_t *at = d->p;
    if (!decode_byte(d, &c->kind)) return false;
    if (c->kind > KILN_CATCH_ALL_REF) return decode_fail(d, at, "malformed catch clause");
    if (c->kind <= KILN_CATCH_REF && !decode_u32(d, &c->tag)) return false;
    return decode_u32(d, &c->label);
}

/* try_table: a block type, then its catch clauses into m->catches. */
static bool try_table_decode(decoder *d, kiln_insn *in) {
    if (!blocktype_decode(d, in)) return false;
    const uint8_t *at = d->p;
    uint32_t count;
    if (!decode_count(d, &count)) return false;
    if (count > KILN_MAX_TRY_TABLE_CATCHES)
        return decode_fail_limit(d, at, count, "catch clauses in a try_table",
                                 KILN_MAX_TRY_TABLE_CATCHES);
    if (!catches_reserve(d, count)) return false;
    kiln_module *m = d->m;
    in->imm.try_table.num_catches = (uint16_t)count;
    in->imm.try_table.first_catch = m->num_catches;
    for (uint32_t i = 0; i < count; i++)
        if (!catch_decode(d, &m->catches[m->num_catches++])) return false;
    return true;
}

/* One flat dispatch on the immediate kind from the opcode table. */
static bool imm_decode(decoder *d, kiln_insn *in, kiln_imm_kind kind, const uint8_t *at) {
    switch (kind) {
    case KILN_IMM_NONE: return true;
    case KILN_IMM_BLOCK: return blocktype_decode(d, in);
    case KILN_IMM_LABEL:
    case KILN_IMM_FUNC:
    case KILN_IMM_LOCAL:
    case KILN_IMM_GLOBAL:
    case KILN_IMM_TABLE:
    case KILN_IMM_TAG:
    case KILN_IMM_ELEM:
    case KILN_IMM_TYPE: return decode_u32(d, &in->imm.index);
    case KILN_IMM_TRY_TABLE: return try_table_decode(d, in);
    case KILN_IMM_DATA: return data_count_require(d, at) && decode_u32(d, &in->imm.index);
    case KILN_IMM_BR_TABLE: return br_table_decode(d, in);
    case KILN_IMM_CALL_INDIRECT: return call_indirect_decode(d, in);
    case KILN_IMM_MEMARG: return memarg_decode(d, in);
    case KILN_IMM_MEMORY: return memidx_decode(d, &in->imm.index);
    case KILN_IMM_I32: return decode_s32(d, &in->imm.i32);
    case KILN_IMM_I64: return decode_s64(d, &in->imm.i64);
    case KILN_IMM_F32: return f32_decode(d, in);
    case KILN_IMM_F64: return fixed_decode(d, &in->imm.f64_bits, 8);
    case KILN_IMM_V128:
    case KILN_IMM_SHUFFLE: return raw_bytes_decode(d, in->imm.v128, 16);
    case KILN_IMM_LANE: return decode_byte(d, &in->imm.lane);
    case KILN_IMM_MEMARG_LANE: return memarg_lane_decode(d, in);
    case KILN_IMM_HEAPTYPE: return decode_heaptype_null(d, &in->imm.reftype);
    case KILN_IMM_SELECT_T: return select_t_decode(d, in);
    case KILN_IMM_MEMORY_INIT: return data_count_require(d, at) && pair_decode(d, in, false, true);
    case KILN_IMM_MEMORY_COPY: return pair_decode(d, in, true, true);
    case KILN_IMM_TABLE_INIT:
    case KILN_IMM_TABLE_COPY: return pair_decode(d, in, false, false);
    case KILN_IMM_ZERO_BYTE: return zero_byte_decode(d);
    }
    return decode_fail(d, at, "illegal opcode");
}

/* ---- instructions -------------------------------------------------------- */

/* "illegal opcode", or the proposal the opcode belongs to. */
static bool opcode_unknown(decoder *d, const uint8_t *at, uint8_t first) {
    const uint8_t *p = at + 1;
    uint64_t code;
    char named[128];
    if ((first == 0xfb || first == PREFIX_MISC) &&
        leb_read_unsigned(&p, d->end, 32, &code) == LEB_OK &&
        proposal_prefixed_opcode(first, (uint32_t)code, named, sizeof named))
        return decode_fail(d, at, named);
    const char *proposal = proposal_opcode(first);
    return decode_fail(d, at, proposal ? proposal : "illegal opcode");
}

/* An instruction of a feature the caller turned off (--disable-NAME). */
static bool feature_off_fail(decoder *d, const uint8_t *at, kiln_opcode op, uint32_t bit) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s needs feature '%s', which is turned off",
             kiln_opcode_table[op].text, feature_by_bit(bit)->name);
    return decode_fail(d, at, msg);
}

static bool insn_decode(decoder *d, kiln_insn *in) {
    const uint8_t *at = d->p;
    uint8_t b = *d->p++;
    kiln_opcode op;
    if (b == PREFIX_MISC || b == PREFIX_SIMD || b == PREFIX_THREADS) {
        uint32_t code;
        if (!decode_u32(d, &code)) return false;
        op = opcode_lookup(b, code);
    } else {
        op = (kiln_opcode)d->plain_ops[b];
    }
    if (op == KILN_OP_COUNT) return opcode_unknown(d, at, b);
    uint32_t needs = opcode_feature(op);
    if (needs && !(d->m->features & needs)) return feature_off_fail(d, at, op, needs);
    memset(in, 0, sizeof *in);
    in->op = (uint16_t)op;
    in->offset = decode_offset(d, at);
    return imm_decode(d, in, kiln_opcode_table[op].imm, at);
}

static bool scratch_grow(decoder *d) {
    size_t cap = d->scratch_cap ? d->scratch_cap * 2 : 1024;
    kiln_insn *p = realloc(d->scratch, cap * sizeof *p);
    if (!p) return decode_fail_nomem(d);
    d->scratch = p;
    d->scratch_cap = cap;
    return true;
}

/* A body that stops before its final `end`.  The reference interpreter
 * keeps reading past the body, so the suite's expected message depends on
 * what follows it; we report the same one. */
static bool missing_end_fail(decoder *d, bool is_body) {
    if (!is_body || d->end >= d->file_end) return decode_fail_end(d);
    if (d->end < d->section_end) return decode_fail(d, d->end, "END opcode expected");
    return decode_fail(d, d->end, "section size mismatch");
}

static bool opens_block(uint16_t op) {
    return op == KILN_OP_BLOCK || op == KILN_OP_LOOP || op == KILN_OP_IF || op == KILN_OP_TRY ||
           op == KILN_OP_TRY_TABLE;
}

/* Decodes instructions up to and including the `end` that closes the
 * sequence, then copies them to the arena in one piece. */
static bool insns_decode(decoder *d, kiln_insn **out, uint32_t *count, bool is_body) {
    size_t n = 0;
    uint32_t depth = 1;
    while (depth) {
        if (d->p >= d->end) return missing_end_fail(d, is_body);
        if (n == d->scratch_cap && !scratch_grow(d)) return false;
        kiln_insn *in = &d->scratch[n++];
        if (!insn_decode(d, in)) return false;
        if (in->op == KILN_OP_END || in->op == KILN_OP_DELEGATE) depth--;
        else if (opens_block(in->op)) depth++;
    }
    kiln_insn *insns = arena_alloc(d->m->arena, n * sizeof *insns);
    if (!insns) return decode_fail_nomem(d);
    memcpy(insns, d->scratch, n * sizeof *insns);
    *out = insns;
    *count = (uint32_t)n;
    return true;
}

bool decode_expr(decoder *d, kiln_expr *out) {
    return insns_decode(d, &out->insns, &out->count, false);
}

/* ---- function bodies ----------------------------------------------------- */

/* Parameters count as locals towards KILN_MAX_LOCALS, as in every engine.
 * An unknown type index is the validator's to report, so it adds none. */
static uint32_t params_of(const decoder *d, const kiln_func *f) {
    const kiln_module *m = d->m;
    return f->type_index < m->num_types ? m->types[f->type_index].num_params : 0;
}

/* Every group is read before the totals are judged, as the reference
 * interpreter does: a bad value type later in the vector is malformed
 * before any count is too large.  More than 2^32-1 declared locals is
 * malformed ("too many locals", at the group that overflows); more than
 * KILN_MAX_LOCALS with the parameters is an implementation limit, at the
 * group that crosses it. */
static bool locals_decode(decoder *d, kiln_func *f) {
    uint32_t groups;
    if (!decode_count(d, &groups)) return false;
    f->local_groups = arena_array(d->m->arena, groups, sizeof *f->local_groups);
    if (!f->local_groups) return decode_fail_nomem(d);
    f->num_local_groups = groups;
    uint64_t params = params_of(d, f), total = 0;
    const uint8_t *over_limit = NULL, *over_u32 = NULL;
    for (uint32_t i = 0; i < groups; i++) {
        const uint8_t *at = d->p;
        kiln_local_group *g = &f->local_groups[i];
        if (!decode_u32(d, &g->count) || !decode_valtype(d, &g->valtype)) return false;
        total += g->count;
        if (!over_limit && params + total > KILN_MAX_LOCALS) over_limit = at;
        if (!over_u32 && total > UINT32_MAX) over_u32 = at;
    }
    if (over_u32) return decode_fail(d, over_u32, "too many locals");
    if (over_limit)
        return decode_fail_limit(d, over_limit, params + total, "locals including parameters",
                                 KILN_MAX_LOCALS);
    f->num_locals = (uint32_t)total;
    return true;
}

/* Reads one entry of the code section: size, locals, instructions. */
bool decode_body(decoder *d, kiln_func *f) {
    const uint8_t *at = d->p;
    uint32_t size;
    if (!decode_u32(d, &size)) return false;
    if (size > decode_left(d)) return decode_fail(d, at, "unexpected end of section or function");
    if (size > KILN_MAX_FUNC_BODY_BYTES)
        return decode_fail_limit(d, at, size, "bytes in a function body", KILN_MAX_FUNC_BODY_BYTES);
    const uint8_t *outer_end = d->end;
    d->end = d->p + size;
    f->body_offset = decode_offset(d, at);
    f->body_size = size;
    if (!locals_decode(d, f)) return false;
    if (!insns_decode(d, &f->insns, &f->num_insns, true)) return false;
    if (d->p != d->end) return decode_fail(d, d->p, "section size mismatch");
    d->end = outer_end;
    return true;
}
