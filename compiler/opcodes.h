/* opcodes.h - the opcode enum and descriptor table expanded from opcodes.def. */
#ifndef KILN_OPCODES_H
#define KILN_OPCODES_H

#include <stdint.h>

/* How the decoder reads an instruction's immediates. */
typedef enum kiln_imm_kind {
    KILN_IMM_NONE,
    KILN_IMM_BLOCK,         /* blocktype (s33)                         */
    KILN_IMM_LABEL,         /* labelidx                                */
    KILN_IMM_BR_TABLE,      /* vec(labelidx) labelidx                  */
    KILN_IMM_FUNC,          /* funcidx                                 */
    KILN_IMM_CALL_INDIRECT, /* typeidx tableidx                        */
    KILN_IMM_LOCAL,         /* localidx                                */
    KILN_IMM_GLOBAL,        /* globalidx                               */
    KILN_IMM_TABLE,         /* tableidx                                */
    KILN_IMM_MEMARG,        /* align offset                            */
    KILN_IMM_MEMORY,        /* memidx (a 0x00 byte in 2.0)             */
    KILN_IMM_I32,           /* i32 (signed LEB128)                     */
    KILN_IMM_I64,           /* i64 (signed LEB128)                     */
    KILN_IMM_F32,           /* 4 raw bytes                             */
    KILN_IMM_F64,           /* 8 raw bytes                             */
    KILN_IMM_V128,          /* 16 raw bytes                            */
    KILN_IMM_SHUFFLE,       /* 16 lane indices                         */
    KILN_IMM_LANE,          /* one lane index byte                     */
    KILN_IMM_MEMARG_LANE,   /* memarg then a lane index byte           */
    KILN_IMM_HEAPTYPE,      /* reftype byte (ref.null)                 */
    KILN_IMM_SELECT_T,      /* vec(valtype)                            */
    KILN_IMM_MEMORY_INIT,   /* dataidx memidx                          */
    KILN_IMM_DATA,          /* dataidx                                 */
    KILN_IMM_MEMORY_COPY,   /* memidx memidx (dst, src)                */
    KILN_IMM_TABLE_INIT,    /* elemidx tableidx                        */
    KILN_IMM_ELEM,          /* elemidx                                 */
    KILN_IMM_TABLE_COPY,    /* tableidx tableidx (dst, src)            */
    KILN_IMM_ZERO_BYTE,     /* one reserved 0x00 byte (atomic.fence)   */
    KILN_IMM_TYPE,          /* typeidx (call_ref, return_call_ref)     */
    KILN_IMM_TAG,           /* tagidx (exception handling)             */
    KILN_IMM_TRY_TABLE,     /* blocktype vec(catch)                    */
} kiln_imm_kind;

typedef enum kiln_opcode {
#define KILN_OP(ident, prefix, code, text, imm, sig, bytes, lanes) KILN_OP_##ident,
#include "opcodes.def"
#undef KILN_OP
    KILN_OP_COUNT
} kiln_opcode;

typedef struct kiln_opcode_info {
    uint8_t prefix;        /* 0, 0xFC, 0xFD or 0xFE */
    uint32_t code;
    const char *text;
    kiln_imm_kind imm;
    const char *signature; /* "params:results" or "*" */
    uint8_t access_bytes;
    uint8_t lanes;
} kiln_opcode_info;

extern const kiln_opcode_info kiln_opcode_table[KILN_OP_COUNT];

/* Maps an encoding to its opcode; returns KILN_OP_COUNT when the
 * encoding names no instruction. */
kiln_opcode opcode_lookup(uint8_t prefix, uint32_t code);

#endif
