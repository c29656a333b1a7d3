/* module.h - the decoded module: plain data produced by decode, annotated
 * by validate, read by lower and by the runtime.
 *
 * Every index space is unified the way the spec defines it: imported
 * functions (tables, memories, globals) come first, then the module's own.
 * All memory belongs to the module's arena. */
#ifndef KILN_MODULE_H
#define KILN_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "error.h"
#include "feature_table.h"
#include "impl_limits.h"
#include "kiln_abi.h"
#include "opcodes.h"

/* The decoder's error for an exception-handling construct other than an
 * instruction (tag section, tag import or export, exnref) while the
 * feature is turned off. */
#define KILN_EXCEPTIONS_OFF "exception handling needs feature 'exceptions', which is turned off"

typedef struct kiln_name {
    const char *chars; /* NUL-terminated copy; may contain NULs when len says so */
    uint32_t len;
} kiln_name;

typedef struct kiln_functype {
    uint32_t num_params;
    uint32_t num_results;
    uint8_t *params;  /* kiln_valtype codes */
    uint8_t *results;
} kiln_functype;

/* Reference types beyond funcref and externref.  A value type stays one
 * byte everywhere: codes from KILN_REFTYPE_FIRST up name entries of the
 * module's interned table (m->reftypes), which hold what a byte cannot,
 * the type index of (ref null? $t).  (ref null func) and (ref null extern)
 * keep their own codes KILN_FUNCREF and KILN_EXTERNREF, so a 2.0 module
 * interns nothing.  At run time every function reference is a
 * kiln_func_ref pointer, whatever its static type. */
enum {
    KILN_REFTYPE_FIRST = 0x80,
    KILN_MAX_REFTYPES = 0x100 - KILN_REFTYPE_FIRST, /* distinct reference types per module */
};

/* Heap types: the abstract ones by their binary codes, a concrete one as
 * KILN_HEAP_TYPE with its type index.  exn and noexn come with exception
 * handling; exnref, (ref null exn), keeps its own code KILN_EXNREF. */
enum {
    KILN_HEAP_TYPE = 0,
    KILN_HEAP_FUNC = 0x70,
    KILN_HEAP_EXTERN = 0x6F,
    KILN_HEAP_NOFUNC = 0x73,
    KILN_HEAP_NOEXTERN = 0x72,
    KILN_HEAP_EXN = 0x69,
    KILN_HEAP_NOEXN = 0x74,
};

typedef struct kiln_reftype {
    uint8_t heap;        /* KILN_HEAP_* */
    bool nullable;
    uint32_t type_index; /* KILN_HEAP_TYPE only */
    uint32_t offset;     /* where the module first names it, for errors */
} kiln_reftype;

typedef struct kiln_limits {
    uint64_t min;
    uint64_t max;
    bool has_max;
} kiln_limits;

typedef struct kiln_tabletype {
    uint8_t elem_type; /* a reference value type */
    kiln_limits limits;
    bool is64;         /* table64: i64 indices (memory64 proposal) */
} kiln_tabletype;

typedef struct kiln_memtype {
    kiln_limits limits; /* in 64 KiB pages */
    bool is64;          /* memory64 proposal */
    bool shared;        /* threads proposal: may be used by several threads */
} kiln_memtype;

typedef struct kiln_globaltype {
    uint8_t valtype;
    bool is_mutable;
} kiln_globaltype;

typedef enum kiln_extern_kind {
    KILN_EXTERN_FUNC = 0,
    KILN_EXTERN_TABLE = 1,
    KILN_EXTERN_MEMORY = 2,
    KILN_EXTERN_GLOBAL = 3,
    KILN_EXTERN_TAG = 4, /* exception handling */
} kiln_extern_kind;

/* Exception handling: a tag is a function type whose params are the
 * exception's payload (its results must be empty). */
typedef struct kiln_tag {
    uint32_t type_index;
    bool imported;
    uint32_t import_index;
} kiln_tag;

/* One catch clause of try_table, in kiln_module.catches. */
enum {
    KILN_CATCH = 0,         /* catch x l: payload                      */
    KILN_CATCH_REF = 1,     /* catch_ref x l: payload, exnref          */
    KILN_CATCH_ALL = 2,     /* catch_all l                             */
    KILN_CATCH_ALL_REF = 3, /* catch_all_ref l: exnref                 */
};
typedef struct kiln_catch {
    uint8_t kind;
    uint32_t tag;   /* catch, catch_ref */
    uint32_t label;
} kiln_catch;

/* One decoded instruction: 24 bytes, arrays of them per function body.
 * Immediates live in the union selected by the opcode's kiln_imm_kind. */
typedef struct kiln_insn {
    uint16_t op;     /* kiln_opcode */
    uint16_t reserved;
    uint32_t offset; /* byte offset of the instruction in the module */
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint8_t v128[16];    /* v128.const bytes, or i8x16.shuffle lanes */
        uint32_t index;      /* local, global, func, table, label, data, elem;
                                KILN_IMM_MEMORY: the memory index */
        uint8_t lane;        /* KILN_IMM_LANE */
        uint8_t reftype;     /* ref.null */
        uint8_t valtype;     /* typed select's one result type (0 when the
                                binary lists a number of types other than 1) */
        struct {
            uint32_t type_index;
            uint32_t table_index;
        } call_indirect;
        struct {
            uint64_t offset;
            uint32_t align;  /* log2 of the alignment */
            uint8_t memory;  /* memory index (multi-memory) */
            uint8_t lane;    /* KILN_IMM_MEMARG_LANE */
        } memarg;
        struct {
            uint8_t kind;       /* KILN_BLOCK_EMPTY / _VALTYPE / _TYPEINDEX */
            uint8_t valtype;
            uint32_t type_index;
            uint32_t else_index; /* filled by validate: index of `else`, or UINT32_MAX */
            uint32_t end_index;  /* filled by validate: index of the matching `end` */
        } block;
        /* try_table: a block (same layout: kind, valtype, type_index and
         * end_index alias imm.block) with catches[first_catch ..
         * first_catch + num_catches) of kiln_module.catches. */
        struct {
            uint8_t kind;
            uint8_t valtype;
            uint16_t num_catches;
            uint32_t type_index;
            uint32_t first_catch;
            uint32_t end_index;
        } try_table;
        struct {
            uint32_t *labels; /* count + 1 entries: targets then default */
            uint32_t count;   /* number of non-default targets */
        } br_table;
        struct {
            uint32_t a; /* memory.init/table.init: segment; *.copy: destination */
            uint32_t b; /* memory.init/table.init: memory/table; *.copy: source */
        } pair;
    } imm;
} kiln_insn;

enum { KILN_BLOCK_EMPTY = 0, KILN_BLOCK_VALTYPE = 1, KILN_BLOCK_TYPEINDEX = 2 };

/* A constant expression (global initialiser, segment offset, element
 * item): its instructions including the final `end`. */
typedef struct kiln_expr {
    kiln_insn *insns;
    uint32_t count;
} kiln_expr;

typedef struct kiln_import {
    kiln_name module;
    kiln_name name;
    uint8_t kind; /* kiln_extern_kind */
    uint32_t index; /* index in the kind's index space that this import defines */
    uint32_t desc_offset; /* byte offset of the description below, for errors */
    union {
        uint32_t type_index; /* functions */
        kiln_tabletype table;
        kiln_memtype memory;
        kiln_globaltype global;
        uint32_t tag_type; /* tags: the type index */
    } desc;
} kiln_import;

typedef struct kiln_local_group {
    uint32_t count;
    uint8_t valtype;
} kiln_local_group;

/* Values moved in one group past this go through memory in lowering
 * (lower.c: calls' parameters, branches' values) and count towards
 * kiln_func.wide_values. */
enum { KILN_WIDE_GROUP = 16 };

typedef struct kiln_func {
    uint32_t type_index;
    bool imported;
    uint32_t import_index; /* if imported */
    /* defined functions only: */
    uint32_t num_local_groups;
    kiln_local_group *local_groups;
    uint32_t num_locals; /* declared locals, not counting params */
    uint8_t *local_types; /* params then declared locals, expanded by validate */
    kiln_insn *insns;
    uint32_t num_insns;
    uint32_t body_offset; /* byte offset of the body (its size field) */
    uint32_t body_size;
    /* filled by validate: */
    uint32_t max_stack;   /* deepest operand stack */
    uint32_t max_control; /* deepest control stack */
    uint32_t num_loops;   /* loop instructions in the body */
    /* Values moved in groups of more than KILN_WIDE_GROUP (the parameters
     * or results of a call, a block, a branch, a throw), saturating: a
     * two-byte call may move 1,000 values (lower_body_oversized). */
    uint32_t wide_values;
    bool uses_simd;       /* some instruction is a SIMD one (prefix 0xFD) */
} kiln_func;

typedef struct kiln_global {
    kiln_globaltype type;
    bool imported;
    uint32_t import_index;
    kiln_expr init; /* defined globals only */
} kiln_global;

typedef struct kiln_export {
    kiln_name name;
    uint8_t kind; /* kiln_extern_kind */
    uint32_t index;
} kiln_export;

typedef enum kiln_segment_mode {
    KILN_SEGMENT_ACTIVE = 0,
    KILN_SEGMENT_PASSIVE = 1,
    KILN_SEGMENT_DECLARATIVE = 2,
} kiln_segment_mode;

typedef struct kiln_elem {
    uint8_t mode;
    uint8_t elem_type; /* reftype */
    uint32_t table_index;
    kiln_expr offset; /* active only */
    uint32_t count;
    uint32_t *func_indices; /* when the segment lists function indices */
    kiln_expr *exprs;       /* when it lists expressions (func_indices == NULL) */
    uint32_t offset_in_module;
} kiln_elem;

typedef struct kiln_data {
    uint8_t mode; /* active or passive */
    uint32_t memory_index;
    kiln_expr offset; /* active only */
    const uint8_t *bytes;
    uint32_t size;
    uint32_t offset_in_module;
} kiln_data;

typedef struct kiln_func_name {
    uint32_t func_index;
    kiln_name name;
} kiln_func_name;

typedef struct kiln_custom_section {
    kiln_name name;
    const uint8_t *bytes;
    uint32_t size;
    uint32_t offset_in_module;
    uint32_t data_offset; /* of bytes[0] in the module (after the name) */
} kiln_custom_section;

typedef struct kiln_module {
    arena *arena;
    uint32_t features;

    uint32_t num_types;
    kiln_functype *types;

    uint32_t num_reftypes; /* entries of reftypes (codes KILN_REFTYPE_FIRST + i) */
    kiln_reftype *reftypes;

    uint32_t num_imports;
    kiln_import *imports;

    uint32_t num_funcs, num_imported_funcs;
    kiln_func *funcs;
    /* The Code section's contents (from its vector count on): DWARF
     * addresses are offsets from code_offset (dwarf_line.h). */
    uint32_t code_offset, code_size;
    uint32_t num_tables, num_imported_tables;
    kiln_tabletype *tables;
    uint32_t *table_offsets; /* byte offset of each table's type, for errors */
    kiln_expr *table_inits;  /* per table: its initialiser (count 0: none, null) */
    uint32_t num_memories, num_imported_memories;
    kiln_memtype *memories;
    uint32_t *memory_offsets; /* byte offset of each memory's type, for errors */
    uint32_t num_globals, num_imported_globals;
    kiln_global *globals;

    uint32_t num_tags, num_imported_tags;
    kiln_tag *tags;

    /* try_table catch clauses of every body (kiln_insn.imm.try_table). */
    uint32_t num_catches;
    kiln_catch *catches;

    uint32_t num_exports;
    kiln_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t num_elems;
    kiln_elem *elems;

    bool has_data_count;
    uint32_t data_count;
    uint32_t num_datas;
    kiln_data *datas;

    /* custom "name" section (parsed leniently: a bad name section is ignored) */
    kiln_name module_name;
    uint32_t num_func_names;
    kiln_func_name *func_names; /* sorted by func_index */

    uint32_t num_customs;
    kiln_custom_section *customs;

    /* filled by validate: */
    bool validated;
    /* filled by validate and by the runtime's image reader
     * (module_own_globals): */
    uint32_t *global_slots;  /* [num_globals] own cell or MODULE_GLOBAL_SHARED */
    uint32_t num_own_globals;
} kiln_module;

typedef struct kiln_decode_options {
    uint32_t features; /* KILN_FEATURE_* (feature_table.h); features_default() is what
                          the CLI uses, 0 is WebAssembly 2.0 only */
    /* Test hook: make the Nth arena allocation of this decode fail
     * (0 = never), to check that decoding fails cleanly with NOMEM. */
    size_t test_fail_alloc_after;
} kiln_decode_options;

/* decode.c: bytes -> module.  NULL and *err filled on malformed input. */
kiln_module *module_decode(const uint8_t *bytes, size_t size, const kiln_decode_options *opts,
                           kiln_error *err);
/* module.c: an empty module in an arena of its own (NULL and *err filled
 * when out of memory); module_free frees it with everything in it. */
kiln_module *module_new(uint32_t features, kiln_error *err);
void module_free(kiln_module *m);

/* validate.c: the spec's validation algorithm; annotates the module. */
bool module_validate(kiln_module *m, kiln_error *err);

/* Helpers shared by every stage. */
const kiln_functype *module_func_type(const kiln_module *m, uint32_t func_index);
const char *valtype_name(uint8_t valtype);
/* Reference types (module.c).  valtype_is_ref needs no module: every code
 * of the interned range is a reference. */
static inline bool valtype_is_ref(uint8_t t) {
    return t == KILN_FUNCREF || t == KILN_EXTERNREF || t == KILN_EXNREF || t >= KILN_REFTYPE_FIRST;
}
kiln_reftype module_reftype(const kiln_module *m, uint8_t code);
/* The code of r, interned on first use; false when the module already has
 * KILN_MAX_REFTYPES others (or out of memory). */
bool module_reftype_intern(kiln_module *m, kiln_reftype r, uint8_t *code);
/* The code the runtime ABI and hosts see: every reference to a function
 * is KILN_FUNCREF, every reference to an exception KILN_EXNREF, every
 * other reference KILN_EXTERNREF; numbers as they are. */
uint8_t module_valtype_abi(const kiln_module *m, uint8_t t);
/* Subtyping of value types (a <: b) within one module. */
bool module_valtype_sub(const kiln_module *m, uint8_t a, uint8_t b);
/* Nullable reference types have a default value (null); numbers too. */
bool module_valtype_defaultable(const kiln_module *m, uint8_t t);
/* A value type as the text format writes it: "i32", "funcref",
 * "(ref null 3)", "(ref func)". */
void module_valtype_text(const kiln_module *m, uint8_t t, char *out, size_t cap);
const char *module_func_name(const kiln_module *m, uint32_t func_index); /* NULL if none */
/* True if the module uses exception handling at all (tags, or any
 * throw/try instruction): then its functions may unwind. */
bool module_uses_exceptions(const kiln_module *m);
/* True if `t` is a reference to an exception (exnref, (ref exn), ...). */
bool module_valtype_is_exnref(const kiln_module *m, uint8_t t);
/* How far an exception reference (exnref) can travel from the frame
 * whose catch_ref, catch_all_ref or legacy catch made it.  One rule, two
 * readers, each asking its own question of it:
 *  - lowering (compiler/lower_exn.c, Frames) releases a kept exception
 *    with the frame that kept it only in a module whose exnrefs stay IN_FRAME;
 *  - the runtime (runtime/exception.c, Lifetime) frees an instance's
 *    kept exceptions with the instance unless they go BEYOND_INSTANCE
 *    (then they may sit in another instance's frame, global or table, and
 *    are never freed).
 * The reaches nest: an exnref that can leave the instance can leave the
 * frame; one the instance's own globals and tables can hold leaves the
 * frame but not the instance. */
typedef enum kiln_exnref_reach {
    KILN_EXNREF_IN_FRAME,  /* no function type, global or table has one */
    KILN_EXNREF_IN_INSTANCE, /* else: only defined, unexported globals and tables hold one */
    KILN_EXNREF_BEYOND_INSTANCE, /* a function type has one (calls, returns, tag payloads),
                                  * or an imported or exported global or table holds one */
} kiln_exnref_reach;
kiln_exnref_reach module_exnref_reach(const kiln_module *m);
/* True if some body has a return_call, return_call_indirect or
 * return_call_ref: then its bodies need LLVM's tailcc (lower.c). */
bool module_uses_tail_calls(const kiln_module *m);
/* return_call, return_call_indirect or return_call_ref. */
bool module_insn_is_tail_call(uint16_t op);
/* The module's own globals: defined and not exported, so that no other
 * instance and no host can reach them.  Their cells live in the instance
 * at KILN_VMCTX_OFFSET_OWN_GLOBALS (kiln_abi.h).  Sets m->global_slots[i]
 * (one entry per global, in the module's arena) to an own global's place
 * among them, in index order, or MODULE_GLOBAL_SHARED, and
 * m->num_own_globals to how many there are; false when out of memory. */
#define MODULE_GLOBAL_SHARED UINT32_MAX
bool module_own_globals(kiln_module *m);

/* Bitsets over the function index space (calloc'd; the caller frees;
 * NULL when out of memory).  module_declared_funcs: the spec's C.refs,
 * the functions a ref.func inside a body may name (exports, ref.func in
 * any constant expression, element segments of every mode).
 * module_entry_funcs: those, table initialisers' ref.func and the start
 * function: every function a function reference (a table entry, an
 * export, ref.func, the start call) can ever name.  Only these get an
 * entry stub (lower.c), and the runtime refuses a descriptor without
 * one for any of them (instance.c). */
uint8_t *module_declared_funcs(const kiln_module *m);
uint8_t *module_entry_funcs(const kiln_module *m);
bool module_func_bit(const uint8_t *bits, uint32_t i);

/* module.c: types and names as text, as `kiln validate --describe` and
 * the import reports spell them ("(i32 i64) -> (i32)", "funcref min 1",
 * "funcref i64 min 1" (table64), "i32 pages min 1 max 2", "mut f64",
 * "\"env\"").  Each writes a
 * NUL-terminated text into out[0..cap), cut short if it does not fit. */
const char *module_extern_kind_name(uint8_t kind); /* func, table, memory, global */
/* Holds any type text: the most parameters and results (impl_limits.h) of at
 * most "externref " each. */
enum { MODULE_TYPE_TEXT_SIZE = (KILN_MAX_FUNC_PARAMS + KILN_MAX_FUNC_RESULTS) * 10 + 64 };
void module_signature_text(uint32_t num_params, const uint8_t *params, uint32_t num_results,
                           const uint8_t *results, char *out, size_t cap);
/* The type of entity `index` in the `kind` index space (imports included). */
void module_extern_type_text(const kiln_module *m, uint8_t kind, uint32_t index, char *out,
                             size_t cap);
/* A name in quotes, with controls, quotes and backslashes escaped as \XX;
 * module_name_text_size(n) bytes always hold it. */
void module_name_text(const kiln_name *n, char *out, size_t cap);
size_t module_name_text_size(const kiln_name *n);

#endif
