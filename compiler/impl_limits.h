/* impl_limits.h - kiln's implementation limits, all in one place.
 *
 * The spec lets an implementation bound the size of what it accepts
 * (appendix "Implementation Limitations").  kiln takes the numbers the
 * major engines agreed on and share (the JS API's "Limits" section, V8's
 * src/wasm/wasm-limits.h, SpiderMonkey's WasmConstants.h, wasmparser's
 * limits.rs as used by Wasmtime), so that hostile input cannot make the
 * compiler allocate, loop or generate code beyond them, and so that a
 * module kiln refuses would also be refused by a browser.
 *
 * The decoder and validator enforce them with a KILN_ERR_LIMIT error whose
 * message starts "implementation limit:" and whose offset is the item's.
 * docs/cli.md lists them with each engine's number.
 *
 * (Named impl_limits.h, not limits.h: compiler/ is on the include path, and
 * a limits.h there would hide <limits.h> from every file that includes it.) */
#ifndef KILN_IMPL_LIMITS_H
#define KILN_IMPL_LIMITS_H

#include <stdint.h>

#include "error.h"

enum {
    /* V8 kV8MaxWasmModuleSize, SpiderMonkey MaxModuleBytes: 1 GiB.  Also
     * keeps every offset in the IR within 32 bits. */
    KILN_MAX_MODULE_BYTES = 1024 * 1024 * 1024,
    /* V8 kV8MaxWasmTypes, SpiderMonkey MaxTypes, wasmparser MAX_WASM_TYPES. */
    KILN_MAX_TYPES = 1000000,
    /* Functions including imported ones: SpiderMonkey MaxFuncs and
     * wasmparser MAX_WASM_FUNCTIONS count both; V8 applies its 1,000,000
     * (kV8MaxWasmDefinedFunctions) to defined functions only. */
    KILN_MAX_FUNCS = 1000000,
    /* V8 kV8MaxWasmImports, SpiderMonkey MaxImports (wasmparser: 1,000,000). */
    KILN_MAX_IMPORTS = 100000,
    /* V8 kV8MaxWasmExports, SpiderMonkey MaxExports (wasmparser: 1,000,000). */
    KILN_MAX_EXPORTS = 100000,
    /* Globals including imported ones: SpiderMonkey MaxGlobals, wasmparser
     * MAX_WASM_GLOBALS (V8 kV8MaxWasmGlobals counts defined ones only). */
    KILN_MAX_GLOBALS = 1000000,
    /* Tables and memories including imported ones: V8 kV8MaxWasmTables and
     * kV8MaxWasmMemories, SpiderMonkey MaxTables and MaxMemories
     * (wasmparser: 100 each). */
    KILN_MAX_TABLES = 100000,
    KILN_MAX_MEMORIES = 100000,
    KILN_MAX_TAGS = 1000000, /* exception tags, imports included */
    /* Catch clauses of one try_table (they are counted in 16 bits). */
    KILN_MAX_TRY_TABLE_CATCHES = 65535,
    /* V8 kV8MaxWasmDataSegments, SpiderMonkey MaxDataSegments, wasmparser
     * MAX_WASM_DATA_SEGMENTS; also bounds the data count section. */
    KILN_MAX_DATA_SEGMENTS = 100000,
    /* SpiderMonkey MaxElemSegments, and V8's bound on the element section's
     * count (its table size flag, 10,000,000); wasmparser: 100,000. */
    KILN_MAX_ELEM_SEGMENTS = 10000000,
    /* Items in one element segment: V8 kV8MaxWasmTableInitEntries,
     * SpiderMonkey MaxElemSegmentLength, wasmparser MAX_WASM_TABLE_ENTRIES. */
    KILN_MAX_ELEM_SEGMENT_ITEMS = 10000000,
    /* Bytes of one function body including its locals: V8
     * kV8MaxWasmFunctionSize, SpiderMonkey MaxFunctionBytes, wasmparser
     * MAX_WASM_FUNCTION_SIZE (since it moved from 128 KiB to 7,654,321). */
    KILN_MAX_FUNC_BODY_BYTES = 7654321,
    /* Parameters plus declared locals of one function: V8
     * kV8MaxWasmFunctionLocals, SpiderMonkey MaxLocals, wasmparser
     * MAX_WASM_FUNCTION_LOCALS. */
    KILN_MAX_LOCALS = 50000,
    /* Of one function type (so of every function and block type): V8
     * kV8MaxWasmFunctionParams/Returns, SpiderMonkey MaxParams/MaxResults,
     * wasmparser MAX_WASM_FUNCTION_PARAMS/RETURNS.  Lowering sizes arrays by
     * them, so the decoder must refuse anything larger. */
    KILN_MAX_FUNC_PARAMS = 1000,
    KILN_MAX_FUNC_RESULTS = 1000,
    /* Labels of one br_table, the default not counted.  The engines differ:
     * SpiderMonkey MaxBrTableElems is 1,000,000, wasmparser allows what the
     * body size allows, V8 kV8MaxWasmFunctionBrTableSize is 65,520.  kiln
     * takes SpiderMonkey's: tests/sandbox/cases/17_huge_br_table.wat runs a
     * br_table of 100,000 labels, which V8's number would refuse. */
    KILN_MAX_BR_TABLE_LABELS = 1000000,
    /* Bytes of one name (imports, exports, custom sections): V8
     * kV8MaxWasmStringSize, SpiderMonkey MaxStringBytes, wasmparser
     * MAX_WASM_STRING_SIZE. */
    KILN_MAX_NAME_BYTES = 100000,
    /* Elements of a table at run time: instantiation refuses a larger
     * initial size and growth stops here (a module may declare any size
     * of its address type, as the spec suite does): V8
     * kV8MaxWasmTableSize, SpiderMonkey MaxTableLength, wasmparser
     * MAX_WASM_TABLE_ENTRIES. */
    KILN_MAX_TABLE_ELEMS = 10000000,
    /* 4 GiB: not a choice but the spec's own rule for 32-bit memories, which
     * every engine applies; reported with the spec's message. */
    KILN_MAX_PAGES32 = 65536,
    /* 16 GiB: the most pages of a 64-bit memory at run time (the JS API's
     * and V8's memory64 limit, kV8MaxWasmMemory64Pages).  A module may
     * declare up to 2^48 pages; instantiation refuses a larger initial
     * size and growth stops here. */
    KILN_MAX_PAGES64 = 262144,
};

/* The one wording of every limit error, e.g.
 *     implementation limit: 100001 imports, at most 100000
 * (`what` is plural, counted by `count`).  Returns false, like error_set. */
static inline bool error_set_limit(kiln_error *err, uint64_t offset, uint64_t count,
                                  const char *what, uint64_t limit) {
    return error_set(err, KILN_ERR_LIMIT, offset, "implementation limit: %llu %s, at most %llu",
                     (unsigned long long)count, what, (unsigned long long)limit);
}

#endif
