/* decode_proposals.c - what a byte kiln cannot decode belongs to.
 *
 * The decoder accepts WebAssembly 2.0 (plus the proposals in
 * KILN_FEATURE_*).  Where a module uses something newer, the spec's
 * generic message ("illegal opcode", "malformed value type", "malformed
 * section id") is true but unhelpful: a user holding a module built with
 * -fwasm-exceptions needs to hear which feature kiln lacks.
 * These lookups name it; the decoder reports the name instead of the
 * generic message, at the same offset, and still rejects the module. */
#include <stdio.h>

#include "decode_internal.h"

static const char EXCEPTIONS[] = KILN_EXCEPTIONS_OFF;
static const char FUNC_REFS[] = "typed function references are not supported yet";
static const char GC_INSNS[] = "the GC proposal is not supported yet: GC instruction";

const char *proposal_opcode(uint8_t byte) {
    switch (byte) {
    case 0x06: /* try */
    case 0x07: /* catch */
    case 0x08: /* throw */
    case 0x09: /* rethrow */
    case 0x0a: /* throw_ref */
    case 0x18: /* delegate */
    case 0x19: /* catch_all */
    case 0x1f: /* try_table */ return EXCEPTIONS;
    case 0x14: /* call_ref */
    case 0x15: /* return_call_ref */
    case 0xd4: /* ref.as_non_null */
    case 0xd5: /* br_on_null */
    case 0xd6: /* br_on_non_null */ return FUNC_REFS;
    case 0xd3: /* ref.eq */
    case 0xfb: /* the GC prefix */ return GC_INSNS;
    default: return NULL;
    }
}

const char *proposal_valtype(uint8_t byte) {
    switch (byte) {
    case 0x63: /* (ref null ht) */
    case 0x64: /* (ref ht) */
    case 0x72: /* nullexternref */
    case 0x73: /* nullfuncref; only reached with the feature off */
        return "typed references ((ref ht), (ref null ht)) need feature 'function-references', "
               "which is turned off";
    case 0x69: /* exnref */ return EXCEPTIONS;
    case 0x6e: return "the GC proposal is not supported yet: anyref (heap type any)";
    case 0x6d: return "the GC proposal is not supported yet: eqref (heap type eq)";
    case 0x6c: return "the GC proposal is not supported yet: i31ref (heap type i31)";
    case 0x6b: return "the GC proposal is not supported yet: structref (heap type struct)";
    case 0x6a: return "the GC proposal is not supported yet: arrayref (heap type array)";
    case 0x71: return "the GC proposal is not supported yet: nullref (heap type none)";
    default: return NULL;
    }
}

const char *proposal_type_form(uint8_t form) {
    switch (form) {
    case 0x5f: return "the GC proposal is not supported yet: struct type";
    case 0x5e: return "the GC proposal is not supported yet: array type";
    case 0x4e: return "the GC proposal is not supported yet: recursive type group";
    case 0x50:
    case 0x4f: return "the GC proposal is not supported yet: subtype declaration";
    default: return NULL;
    }
}

const char *proposal_section(uint8_t id) {
    return id == 13 ? EXCEPTIONS : NULL;
}

/* Memory limits flags beyond 0-7 (max, shared, 64-bit). */
const char *proposal_limits_flags(uint64_t flags) {
    if (flags & 8) return "custom page sizes are not supported yet";
    return NULL;
}

/* Binary version 0x0d with layer 1 is the component model's encoding. */
const char *proposal_version(const uint8_t *version) {
    if (version[0] == 0x0d && version[1] == 0 && version[2] == 1 && version[3] == 0)
        return "this is a WebAssembly component (component model); kiln compiles core modules";
    return NULL;
}

/* The GC instructions (0xfb NN), by NN. */
static const char *const gc_insn_names[] = {
    "struct.new",       "struct.new_default", "struct.get",        "struct.get_s",
    "struct.get_u",     "struct.set",         "array.new",         "array.new_default",
    "array.new_fixed",  "array.new_data",     "array.new_elem",    "array.get",
    "array.get_s",      "array.get_u",        "array.set",         "array.len",
    "array.fill",       "array.copy",         "array.init_data",   "array.init_elem",
    "ref.test",         "ref.test null",      "ref.cast",          "ref.cast null",
    "br_on_cast",       "br_on_cast_fail",    "any.convert_extern", "extern.convert_any",
    "ref.i31",          "i31.get_s",          "i31.get_u",
};

bool proposal_prefixed_opcode(uint8_t prefix, uint32_t code, char *out, size_t cap) {
    enum { NUM_GC = sizeof gc_insn_names / sizeof gc_insn_names[0] };
    if (prefix == 0xfb && code < NUM_GC)
        snprintf(out, cap, "the GC proposal is not supported yet: %s", gc_insn_names[code]);
    else
        return false;
    return true;
}

uint32_t opcode_feature(kiln_opcode op) {
    if (kiln_opcode_table[op].prefix == 0xFE) return KILN_FEATURE_THREADS;
    const kiln_opcode_info *info = &kiln_opcode_table[op];
    /* 0xfd 0x100..0x113: relaxed SIMD */
    if (info->prefix == PREFIX_SIMD && info->code >= 0x100 && info->code <= 0x113)
        return KILN_FEATURE_RELAXED_SIMD;
    switch (op) {
    case KILN_OP_RETURN_CALL:
    case KILN_OP_RETURN_CALL_INDIRECT: return KILN_FEATURE_TAIL_CALL;
    case KILN_OP_CALL_REF:
    case KILN_OP_REF_AS_NON_NULL:
    case KILN_OP_BR_ON_NULL:
    case KILN_OP_BR_ON_NON_NULL:
    case KILN_OP_RETURN_CALL_REF: return KILN_FEATURE_FUNCTION_REFERENCES;
    case KILN_OP_TRY:
    case KILN_OP_CATCH:
    case KILN_OP_THROW:
    case KILN_OP_RETHROW:
    case KILN_OP_THROW_REF:
    case KILN_OP_DELEGATE:
    case KILN_OP_CATCH_ALL:
    case KILN_OP_TRY_TABLE: return KILN_FEATURE_EXCEPTIONS;
    case KILN_OP_I64_ADD128:
    case KILN_OP_I64_SUB128:
    case KILN_OP_I64_MUL_WIDE_S:
    case KILN_OP_I64_MUL_WIDE_U: return KILN_FEATURE_WIDE_ARITHMETIC;
    default: return 0;
    }
}
