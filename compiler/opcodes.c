/* opcodes.c - the opcode table and the encoding -> opcode lookup. */
#include "opcodes.h"

#include <pthread.h>

const kiln_opcode_info kiln_opcode_table[KILN_OP_COUNT] = {
#define KILN_OP(ident, prefix, code, text, imm, sig, bytes, lanes) \
    {prefix, code, text, KILN_IMM_##imm, sig, bytes, lanes},
#include "opcodes.def"
#undef KILN_OP
};

/* Dense lookup tables, one per prefix, built from the rows above at
 * compile time so that decoding an opcode is one array index.  The
 * prefixed spaces are sparse but small (0xFD: relaxed SIMD ends at
 * 0x113). */
#define NO_OP ((uint16_t)KILN_OP_COUNT)

typedef struct {
    uint16_t plain[256];
    uint16_t fc[32];
    uint16_t fd[512];
    uint16_t fe[128];
} lookup_tables;

static lookup_tables tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_build(void) {
    for (int i = 0; i < 256; i++) tables.plain[i] = NO_OP;
    for (int i = 0; i < 512; i++) tables.fd[i] = NO_OP;
    for (int i = 0; i < 32; i++) tables.fc[i] = NO_OP;
    for (int i = 0; i < 128; i++) tables.fe[i] = NO_OP;
    for (int op = 0; op < KILN_OP_COUNT; op++) {
        const kiln_opcode_info *info = &kiln_opcode_table[op];
        if (info->prefix == 0) tables.plain[info->code] = (uint16_t)op;
        else if (info->prefix == 0xFC) tables.fc[info->code] = (uint16_t)op;
        else if (info->prefix == 0xFD) tables.fd[info->code] = (uint16_t)op;
        else tables.fe[info->code] = (uint16_t)op;
    }
}

kiln_opcode opcode_lookup(uint8_t prefix, uint32_t code) {
    pthread_once(&tables_once, tables_build);
    switch (prefix) {
    case 0: return code < 256 ? (kiln_opcode)tables.plain[code] : KILN_OP_COUNT;
    case 0xFC: return code < 32 ? (kiln_opcode)tables.fc[code] : KILN_OP_COUNT;
    case 0xFD: return code < 512 ? (kiln_opcode)tables.fd[code] : KILN_OP_COUNT;
    case 0xFE: return code < 128 ? (kiln_opcode)tables.fe[code] : KILN_OP_COUNT;
    default: return KILN_OP_COUNT;
    }
}
