/* kiln_abi.h - the contract between kiln-generated code and the runtime.
 *
 * Everything the compiled object touches at run time is declared here:
 * the instance context (vmctx) that every wasm function receives as its
 * first argument, the function-reference record that tables and imports
 * hold, the value slot used by trampolines, the module descriptor symbol
 * that each object exports, and the runtime entry points the code calls.
 * The compiler builds LLVM types that mirror these C layouts field by
 * field; a static check in runtime/ pins every offset.
 */
#ifndef KILN_ABI_H
#define KILN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ABI_VERSION 9u /* 3: addresses, lengths and sizes of the entry points in 64 bits;
                              4: the descriptor carries a module image, not wasm bytes;
                              5: func_code is NULL for functions no reference can name;
                              6: own globals at KILN_VMCTX_OFFSET_OWN_GLOBALS;
                              7: small leaves' entry stubs make no stack check, and the
                                 runtime's least margin counts them;
                              8: code above -O0 checks against kiln_rt_stack_limit_small;
                              9: more than 16 parameters, and results that do not fit the
                                 return registers, go through a buffer of value slots */
#define KILN_PAGE_SIZE 65536u

/* Value types, with their binary-format encodings. */
typedef enum kiln_valtype {
    KILN_I32 = 0x7F,
    KILN_I64 = 0x7E,
    KILN_F32 = 0x7D,
    KILN_F64 = 0x7C,
    KILN_V128 = 0x7B,
    KILN_FUNCREF = 0x70,
    KILN_EXTERNREF = 0x6F,
    KILN_EXNREF = 0x69, /* exception handling: a caught exception */
} kiln_valtype;

/* One value slot: trampolines, globals and the embedding API all use it.
 * Sixteen bytes so that a v128 fits; references are pointer-sized. */
typedef union kiln_val {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint8_t v128[16];
    void *ref;
} kiln_val;

/* Trap kinds, delivered by kiln_rt_trap().  Stable numbers: they are
 * baked into generated code. */
typedef enum kiln_trap_kind {
    KILN_TRAP_NONE = 0,
    KILN_TRAP_UNREACHABLE = 1,
    KILN_TRAP_MEMORY_OUT_OF_BOUNDS = 2,
    KILN_TRAP_INTEGER_DIVIDE_BY_ZERO = 3,
    KILN_TRAP_INTEGER_OVERFLOW = 4,
    KILN_TRAP_INVALID_CONVERSION = 5,
    KILN_TRAP_UNDEFINED_ELEMENT = 6,     /* call_indirect index >= table size */
    KILN_TRAP_UNINITIALIZED_ELEMENT = 7, /* call_indirect through a null entry */
    KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH = 8,
    KILN_TRAP_TABLE_OUT_OF_BOUNDS = 9,
    KILN_TRAP_CALL_STACK_EXHAUSTED = 10,
    KILN_TRAP_INTERRUPTED = 11,
    KILN_TRAP_HOST = 12, /* raised by a host function */
    KILN_TRAP_NULL_REFERENCE = 13,
    KILN_TRAP_EXIT = 14, /* not an error: a host function (WASI proc_exit) ended the program */
    KILN_TRAP_UNALIGNED_ATOMIC = 15, /* atomic access at an address not a multiple of its size */
    KILN_TRAP_WAIT_UNSHARED = 16,    /* memory.atomic.wait on a memory that is not shared */
    KILN_TRAP_NULL_FUNCTION_REFERENCE = 17, /* call_ref / return_call_ref of null */
    /* Not a trap: a wasm exception nobody caught left the call
     * (kiln_exception() in kiln.h gives its tag and payload). */
    KILN_TRAP_EXCEPTION = 18,
    /* Catching one more exception as an exnref would pass the instance's
     * (or the process's) bound on kept exceptions (kiln_instance_limits). */
    KILN_TRAP_EXCEPTION_LIMIT = 19,
    KILN_TRAP_KIND_COUNT
} kiln_trap_kind;

/* Calls a typed entry point `code` with arguments read from slots[0..n)
 * and writes its results to slots[0..m).  One per function signature. */
typedef void (*kiln_trampoline)(void *code, void *ctx, kiln_val *slots);

/* What a funcref points at.  `code` has the typed native signature
 *     R code(void *ctx, P1 p1, ..., Pn pn)
 * where ctx is the callee instance's kiln_vmctx (or, for a host
 * function, the host closure its import thunk understands).  Multi-value
 * results come back as an LLVM first-class struct. */
typedef struct kiln_func_ref {
    void *code;
    void *ctx;
    uint32_t type_id; /* canonical structural signature id, process-wide */
    uint32_t reserved;
    kiln_trampoline trampoline;
} kiln_func_ref;

typedef struct kiln_table_rt {
    void **elems; /* kiln_func_ref* for funcref tables, opaque for externref */
    uint32_t size;
    uint32_t max;
    uint8_t elem_type; /* KILN_FUNCREF or KILN_EXTERNREF */
} kiln_table_rt;

typedef struct kiln_memory_rt {
    uint8_t *base;
    uint64_t size; /* current size in bytes */
    uint64_t max_pages;
} kiln_memory_rt;

/* The instance context.  Field order and offsets are ABI: generated code
 * loads them at fixed offsets (see KILN_VMCTX_OFFSET_* below). */
typedef struct kiln_vmctx {
    uint8_t *mem0_base;            /* base of memory 0 (NULL if none)    */
    uint64_t mem0_size;            /* its current size in bytes          */
    uintptr_t unused_stack_limit;  /* ABI v1's limit; see kiln_rt_stack_limit */
    volatile uint32_t interrupt;   /* interrupt mark (runtime only: generated
                                    * code never reads it; signals.c)      */
    uint32_t reserved;
    kiln_memory_rt **memories;     /* every memory in the index space    */
    kiln_table_rt **tables;        /* every table in the index space     */
    kiln_val **globals;            /* a pointer to each global's cell    */
    kiln_func_ref **funcs;         /* every function in the index space  */
    const uint32_t *type_ids;      /* canonical id of each module type   */
    struct kiln_instance *instance;
} kiln_vmctx;

#define KILN_VMCTX_OFFSET_MEM0_BASE 0
#define KILN_VMCTX_OFFSET_MEM0_SIZE 8
#define KILN_VMCTX_OFFSET_INTERRUPT 24
#define KILN_VMCTX_OFFSET_MEMORIES 32
#define KILN_VMCTX_OFFSET_TABLES 40
#define KILN_VMCTX_OFFSET_GLOBALS 48
#define KILN_VMCTX_OFFSET_FUNCS 56
#define KILN_VMCTX_OFFSET_TYPE_IDS 64
#define KILN_VMCTX_OFFSET_INSTANCE 72
/* A module's own globals (defined and not exported: no other instance
 * and no host can reach them) have their cells in the instance's own
 * allocation, this many bytes after the vmctx, one kiln_val each in
 * index order (module_own_globals in compiler/module.c), so that generated
 * code reads or writes one at a constant offset from the vmctx it holds
 * in a register: one access instead of loading the globals array and the
 * cell's address before it (wasm's __stack_pointer, in every function
 * with a shadow-stack frame).  vmctx->globals[i] points at them too.
 * Imported and exported globals stay in cells of their own, shared. */
#define KILN_VMCTX_OFFSET_OWN_GLOBALS 1024

/* The stack check (docs/sandbox.md).  Before a body's frame is allocated,
 * generated code checks that the stack pointer minus the body's frame
 * size, as LLVM laid it out, plus KILN_FRAME_SLACK (return address, red
 * zone, realignment) stays at or above kiln_rt_stack_limit.  A body whose
 * frame exceeds KILN_FRAME_MAX is refused at compile time.  Generated
 * functions that no check covers (entry stubs, trampolines, import
 * thunks) have frames of at most KILN_UNCHECKED_FRAME_MAX, which the
 * runtime keeps free below the limit. */
#define KILN_FRAME_SLACK 512u
/* The lowest stack address wasm may use on the calling thread, set by the
 * runtime at each thread's outermost entry into wasm.  Per thread, so
 * instances running on different threads never see each other's limit;
 * initial-exec TLS, so generated code reads it with one or two loads
 * (one, at a fixed offset from the thread pointer, in objects kiln build
 * links into an executable). */
#ifdef __cplusplus
extern thread_local uintptr_t kiln_rt_stack_limit;
#else
extern _Thread_local uintptr_t kiln_rt_stack_limit;
#endif
/* The same limit plus KILN_SMALL_FRAME_MAX, set with it (UINTPTR_MAX when
 * the limit is within KILN_SMALL_FRAME_MAX of UINTPTR_MAX).  Code compiled
 * above -O0 reads only this one: a call of a body whose frame (plus
 * KILN_FRAME_SLACK) is at most KILN_SMALL_FRAME_MAX, as the compiler
 * verifies, checks sp < kiln_rt_stack_limit_small, with no frame size to
 * load; any other checks sp + KILN_SMALL_FRAME_MAX - frame against it. */
#ifdef __cplusplus
extern thread_local uintptr_t kiln_rt_stack_limit_small;
#else
extern _Thread_local uintptr_t kiln_rt_stack_limit_small;
#endif
#define KILN_SMALL_FRAME_MAX (4u << 10)
#define KILN_FRAME_MAX (16u << 20)
#define KILN_UNCHECKED_FRAME_MAX (48u << 10)
/* Small leaf functions (no calls, few instructions and locals) are called
 * without a check, directly or through their entry stub; their measured
 * frames, and their stubs', must stay under this. */
#define KILN_LEAF_FRAME_MAX (16u << 10)

/* Descriptor flags. */
#define KILN_DESC_EXPLICIT_BOUNDS 0x1u /* every access carries a check */
#define KILN_DESC_GUARD_PAGES 0x2u     /* accesses rely on a 4 GiB+guard reservation */

/* The one symbol each compiled object exports (named <prefix>_module).
 * `image` is the module image (compiler/module_image.h): types, imports,
 * exports, limits, globals with their initialisers, data and element
 * segments, start and function names as flat little-endian records,
 * which the runtime reads without a wasm decoder. */
typedef struct kiln_module_desc {
    uint32_t abi_version;
    uint32_t flags;
    const uint8_t *image;
    uint64_t image_size;
    uint32_t num_imported_funcs;
    uint32_t num_defined_funcs;
    /* [num_defined_funcs] entry stubs: what a function reference's
     * `code` points to.  NULL for a function that nothing but direct
     * calls of its own module can reach: one that is not exported, in no
     * element segment (of any mode), named by no ref.func of a constant
     * expression or table initialiser, not the start function (the
     * runtime refuses a descriptor that lacks any other). */
    void *const *func_code;
    const kiln_trampoline *func_trampolines;  /* [num_defined_funcs] */
    void *const *import_thunks;               /* [num_imported_funcs] */
    /* [num_defined_funcs] where each function's code lives (func_code is
     * a stub that checks the stack for it and jumps there); NULL in
     * hand-written descriptors, whose func_code is the code itself. */
    void *const *func_bodies;
} kiln_module_desc;

/* Runtime entry points called from generated code.  (C++ hosts include
 * this header too: _Noreturn is C only.) */
#ifdef __cplusplus
[[noreturn]] void kiln_rt_trap(kiln_vmctx *ctx, uint32_t kind);
#else
_Noreturn void kiln_rt_trap(kiln_vmctx *ctx, uint32_t kind);
#endif
/* Addresses, lengths and page or element counts are 64-bit for every
 * memory and table (memory64, table64); generated code zero-extends the
 * i32 operands of 32-bit ones, and truncates the grow results for them. */
int64_t kiln_rt_memory_grow(kiln_vmctx *ctx, uint32_t memory, uint64_t delta_pages);
void kiln_rt_memory_init(kiln_vmctx *ctx, uint32_t memory, uint32_t segment,
                         uint64_t dst, uint64_t src, uint64_t n);
void kiln_rt_data_drop(kiln_vmctx *ctx, uint32_t segment);
void kiln_rt_memory_copy(kiln_vmctx *ctx, uint32_t dst_memory, uint32_t src_memory,
                         uint64_t dst, uint64_t src, uint64_t n);
void kiln_rt_memory_fill(kiln_vmctx *ctx, uint32_t memory, uint64_t dst, uint32_t value,
                         uint64_t n);
void kiln_rt_table_init(kiln_vmctx *ctx, uint32_t table, uint32_t segment, uint64_t dst,
                        uint64_t src, uint64_t n);
void kiln_rt_elem_drop(kiln_vmctx *ctx, uint32_t segment);
void kiln_rt_table_copy(kiln_vmctx *ctx, uint32_t dst_table, uint32_t src_table, uint64_t dst,
                        uint64_t src, uint64_t n);
int64_t kiln_rt_table_grow(kiln_vmctx *ctx, uint32_t table, void *init, uint64_t delta);
void kiln_rt_table_fill(kiln_vmctx *ctx, uint32_t table, uint64_t dst, void *value, uint64_t n);
/* Import thunks (generated, one per imported function) pack their
 * arguments into slots and call this with the host closure as ctx. */
void kiln_rt_call_host(void *host_closure, kiln_val *slots);
/* memory.atomic.wait32/64 and notify on a checked, aligned address of a
 * shared memory (runtime/atomic_wait.c).  wait returns 0 (woken), 1 (the
 * value differed) or 2 (timed out; timeout_ns < 0 waits forever); notify
 * wakes up to `count` waiters and returns how many it woke. */
int32_t kiln_rt_atomic_wait32(kiln_vmctx *ctx, void *addr, uint32_t expected, int64_t timeout_ns);
int32_t kiln_rt_atomic_wait64(kiln_vmctx *ctx, void *addr, uint64_t expected, int64_t timeout_ns);
int32_t kiln_rt_atomic_notify(kiln_vmctx *ctx, void *addr, uint32_t count);
/* Exception handling (runtime/exception.c).  `exn` is an exnref: a
 * pointer to an exception object.  throw copies the tag's payload from
 * values[0..n); the exn_* calls serve a landing pad's dispatch code. */
#ifdef __cplusplus
[[noreturn]] void kiln_rt_throw(kiln_vmctx *ctx, uint32_t tag, const kiln_val *values);
[[noreturn]] void kiln_rt_throw_ref(kiln_vmctx *ctx, void *exn);
#else
_Noreturn void kiln_rt_throw(kiln_vmctx *ctx, uint32_t tag, const kiln_val *values);
_Noreturn void kiln_rt_throw_ref(kiln_vmctx *ctx, void *exn);
#endif
int32_t kiln_rt_exn_is(kiln_vmctx *ctx, void *exn, uint32_t tag);
kiln_val *kiln_rt_exn_values(kiln_vmctx *ctx, void *exn);
/* A clause takes `exn`.  First, exceptions kept by frames that are gone
 * (entries at and above `top`, this frame's kiln_rt_exn_top) are
 * released; then `exn` is freed unless kept elsewhere (drop), kept by the
 * instance (capture), or kept on the thread's stack (keep, closed modules
 * only: `slot` is a legacy catch's entry, -1 before its first, else
 * NULL), which returns the frame's new top.  release: back to `mark` on
 * leaving a frame (compiler/lower_exn.c, Frames). */
void kiln_rt_exn_drop(kiln_vmctx *ctx, void *exn, uint64_t top);
void kiln_rt_exn_capture(kiln_vmctx *ctx, void *exn, uint64_t top);
uint64_t kiln_rt_exn_keep(kiln_vmctx *ctx, void *exn, uint64_t top, int64_t *slot);
void kiln_rt_exn_release(kiln_vmctx *ctx, uint64_t mark);
#ifdef __cplusplus
extern thread_local uint64_t kiln_rt_exn_top;
#else
extern _Thread_local uint64_t kiln_rt_exn_top;
#endif

#ifdef __cplusplus
}
#endif
#endif
