/* lower_internal.h - state shared by the files of the lowering stage
 * (lower.c, lower_memory.c, lower_table.c, descriptor.c, emit.c).
 *
 * Not part of any public contract: the value-lowering interface that
 * other families use is lower.h.  Here live the module-wide LLVM state
 * (types, declared functions, TBAA tags, runtime entry points) and the
 * per-function walk state (operand stack, control stack, trap blocks). */
#ifndef KILN_LOWER_INTERNAL_H
#define KILN_LOWER_INTERNAL_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <stdbool.h>
#include <stdint.h>

#include "compile.h"
#include "lower.h"
#include "module.h"

/* Runtime entry points of kiln_abi.h, declared on first use. */
typedef enum lower_rt {
    LOWER_RT_TRAP,
    LOWER_RT_MEMORY_GROW,
    LOWER_RT_MEMORY_INIT,
    LOWER_RT_DATA_DROP,
    LOWER_RT_MEMORY_COPY,
    LOWER_RT_MEMORY_FILL,
    LOWER_RT_TABLE_INIT,
    LOWER_RT_ELEM_DROP,
    LOWER_RT_TABLE_COPY,
    LOWER_RT_TABLE_GROW,
    LOWER_RT_TABLE_FILL,
    LOWER_RT_CALL_HOST,
    LOWER_RT_ATOMIC_WAIT32,
    LOWER_RT_ATOMIC_WAIT64,
    LOWER_RT_ATOMIC_NOTIFY,
    LOWER_RT_THROW,       /* exception handling (lower_exn.c) */
    LOWER_RT_THROW_REF,
    LOWER_RT_EXN_IS,
    LOWER_RT_EXN_VALUES,
    LOWER_RT_EXN_DROP,
    LOWER_RT_EXN_CAPTURE,
    LOWER_RT_EXN_KEEP,
    LOWER_RT_EXN_RELEASE,
    LOWER_RT_COUNT
} lower_rt;

/* TBAA type tags: linear memory, the vmctx record and the cells it points
 * to never alias each other, which lets LLVM keep vmctx loads out of
 * loops that store to linear memory. */
typedef enum lower_tbaa {
    LOWER_TBAA_VMCTX,  /* fields of kiln_vmctx and its pointer arrays   */
    LOWER_TBAA_MEMORY, /* linear memory                                 */
    LOWER_TBAA_GLOBAL, /* kiln_val cells of globals                     */
    LOWER_TBAA_TABLE,  /* kiln_table_rt fields, table elements, funcrefs */
    LOWER_TBAA_SLOT,   /* trampoline / thunk value slots                */
    /* 64-bit linear memories: never the same memory as a 32-bit one, and
     * explicitly checked even in guard-page mode, so their loads need no
     * sink (lower_memory.c) */
    LOWER_TBAA_MEMORY64,
    LOWER_TBAA_COUNT
} lower_tbaa;

typedef struct lower_types {
    LLVMTypeRef void_, i1, i8, i16, i32, i64, f32, f64, v128, ptr;
} lower_types;

/* A partition of a parallel compile: the defined functions [first, end)
 * of the function index space, lowered into their own LLVM module.
 * Partition 0 also holds the descriptor, which names every function. */
/* What lowering a body needs to know of all the others, found in one
 * pass over the module's instructions (lower_scan_make).  emit.c makes
 * it once for all partitions: a pass per partition over CRuby's 6 M
 * instructions cost a few percent of its -O0 compile. */
typedef struct lower_scan {
    bool uses_exceptions; /* module_uses_exceptions */
    bool uses_tail_calls; /* module_uses_tail_calls */
    bool *tables_written; /* [num_tables + 1]: lower_tables_written */
} lower_scan;

typedef struct lower_partition {
    uint32_t index, count; /* this partition, of how many */
    uint32_t first, end;   /* function indices */
    const lower_scan *scan; /* NULL: lowering scans the module itself */
} lower_partition;

bool lower_scan_make(const kiln_module *m, lower_scan *out); /* false: out of memory */
void lower_scan_free(lower_scan *scan);

typedef struct lower_module {
    const kiln_module *m;
    const lower_partition *part; /* NULL: the whole module, one LLVM module */
    const kiln_compile_options *opts;
    lower_target_caps caps; /* what the target CPU has (relaxed SIMD) */
    arena *arena; /* everything below that is not LLVM-owned */
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    lower_types t;
    LLVMTypeRef *sig_types; /* [num_types]  R (ptr vmctx, P...[, ptr results]) */
    uint32_t io_slots_max;  /* most slots a type's parameters or results
                             * passed through memory need (lower.c) */
    LLVMValueRef *funcs;    /* [num_funcs]  entry stubs; NULL for imports
                             * and for functions outside `entries` */
    uint8_t *entries;       /* module_entry_funcs: who has an entry stub */
    LLVMValueRef *bodies;   /* [num_funcs]  bodies defined in this module */
    LLVMValueRef frames;    /* frame-size table of this module's bodies   */
    uint32_t frames_first;  /* function index of frames[0]                */
    const uint8_t *frames_big; /* bodies never checked as small (lower_frame_small) */
    uint32_t *callee_seen;  /* -O0: [num_funcs] 1 + the body whose entry check has it */
    LLVMValueRef body_limit_small; /* the body being lowered read kiln_rt_stack_limit_small
                                    * in its entry block; NULL: each check reads it (lower.c) */
    LLVMValueRef rt[LOWER_RT_COUNT];
    LLVMTypeRef rt_types[LOWER_RT_COUNT];
    LLVMValueRef tbaa[LOWER_TBAA_COUNT];
    unsigned md_tbaa, md_invariant, md_prof;
    LLVMValueRef unlikely_weights; /* !prof branch_weights 1, 2000 */
    struct table_known *tables_known; /* lower_table.c, built on first use */
    uint32_t *type_classes; /* lower_type_classes: per type, the first equal type */
    unsigned call_conv;    /* of every wasm-callable function (see below) */
    unsigned body_conv;    /* of bodies: call_conv, or C without tail calls */
    bool musttail;         /* call_conv guarantees tail calls             */
    const char *sp_register; /* for llvm.read_register; NULL: none known   */
    bool may_unwind;         /* the module uses exception handling         */
    LLVMValueRef personality; /* lower_exn.c, declared on first landing pad */
    uint8_t exn_scope;       /* lower_exn.c: 0 not known yet, else 1 + module_exnref_reach */
    struct debug_info *dbg;  /* debug_info.c; NULL without -g            */
    kiln_error *err;
} lower_module;

/* A wasm call's LLVM arguments: the context, the parameters, and the
 * results buffer of a callee that returns its results through memory. */
enum { LOWER_ARGS_MAX = KILN_MAX_FUNC_PARAMS + 2 };
/* Value slots: a kiln_val each, the runtime's layout for the values of
 * trampolines and host calls, and of results buffers (so a trampoline
 * passes its slots as the buffer). */
enum { LOWER_SLOT_SIZE = sizeof(kiln_val), LOWER_SLOT_ALIGN = 8 };

enum {
    LOWER_CTRL_BLOCK,
    LOWER_CTRL_LOOP,
    LOWER_CTRL_IF,
    LOWER_CTRL_FUNC,
    LOWER_CTRL_TRY,       /* legacy try/catch/delegate */
    LOWER_CTRL_TRY_TABLE,
};

/* lower_exn.c: the exception handler a try or try_table installs.  Calls
 * inside it become invokes that unwind to `pad` (a cleanup landing pad,
 * made on first use); the pad and inner handlers that do not match jump
 * to `dispatch` with the exception in `exn`. */
typedef struct lower_handler {
    bool active;                 /* calls here unwind to this handler       */
    bool used;                   /* something jumps to dispatch             */
    LLVMBasicBlockRef pad;       /* NULL until the first invoke             */
    LLVMBasicBlockRef dispatch;
    LLVMValueRef exn;            /* phi at the top of dispatch              */
    LLVMBasicBlockRef test;      /* legacy: where the next catch is tested  */
    const kiln_insn *insn;       /* the try or try_table                    */
} lower_handler;

/* One entry of the control stack.  Branches to a block or if go to
 * end_bb (adding incomings to end_phis), branches to a loop go to its
 * header (adding incomings to param_phis). */
typedef struct lower_ctrl {
    uint8_t kind;
    bool has_else;       /* an `else` was seen (ifs)                        */
    uint32_t height;     /* operand stack height below the block's params   */
    uint32_t else_index; /* validator's positions, for skipping dead code  */
    uint32_t end_index;
    const kiln_functype *type; /* params -> results (NULL: [] -> [])        */
    uint32_t num_params, num_results;
    const uint8_t *params, *results;
    LLVMBasicBlockRef header_bb; /* loops: branch target                    */
    LLVMBasicBlockRef else_bb;   /* ifs: the false edge                     */
    LLVMBasicBlockRef end_bb;
    LLVMValueRef *param_phis;  /* loops */
    LLVMValueRef *end_phis;
    LLVMValueRef *if_params;   /* ifs: params, replayed in the else arm     */
    uint32_t end_preds;        /* incomings added to end_bb so far          */
    lower_handler *handler;    /* try, try_table                            */
    lower_handler *outer_handler; /* the innermost active one below (lower_exn.c) */
    LLVMValueRef caught;       /* legacy catch: the exception (rethrow)     */
    uint32_t next_index;       /* legacy try: the next catch or end         */
} lower_ctrl;

typedef struct lower_func {
    lower_module *lm;
    const kiln_func *f;
    uint32_t index; /* in the function index space */
    const kiln_functype *type;
    LLVMValueRef fn, vmctx;
    LLVMBasicBlockRef entry_bb;
    LLVMValueRef entry_sp, entry_limit; /* -O0: read once for the stack check (lower.c) */
    LLVMValueRef entry_need; /* -O0: largest frame of the callees it checks (lower.c) */
    LLVMValueRef entry_mem0_base; /* -O0, guard mode: memory 0's base (lower_memory.c) */
    LLVMValueRef io_buffer; /* entry-block slots for callees' parameters and results (lower.c) */
    LLVMValueRef *io_loads;  /* [io_slots_max] the last call's results loaded from it, */
    uint32_t io_loads_count; /* valid while nothing wrote it since (lower.c) */
    LLVMValueRef *locals; /* allocas */
    LLVMTypeRef *local_llvm_types;
    uint32_t num_locals;
    LLVMValueRef *stack;
    uint32_t sp, stack_cap;
    uint32_t if_params_held; /* ifs whose params wait for their else (lower.c) */
    lower_ctrl *ctrl;
    uint32_t depth, ctrl_cap;
    bool dead; /* current position is unreachable */
    const kiln_insn *insn; /* being lowered, for error offsets */
    LLVMBasicBlockRef trap_bbs[KILN_TRAP_KIND_COUNT];
    lower_value_env env;
    arena *scratch;         /* per-function: stacks, phi arrays           */
    uint8_t *single_types;  /* [ctrl_cap] result type of `(block (result t))` */
    uint8_t *mem_prechecked; /* lower_memory.c: [num_insns] loads already checked */
    bool *catch_keeps;       /* lower_exn.c: [num_insns] legacy catches that rethrow */
    /* The header of every loop lowered, in order of making (so outer
     * before inner): lower_memory.c finds the blocks on a cycle from them. */
    LLVMBasicBlockRef *loop_headers;
    uint32_t num_loops;
    LLVMValueRef exn_top;    /* lower_exn.c: alloca, the kept exceptions' top for this frame */
    LLVMValueRef exn_mark;   /* lower_exn.c: that top at entry, restored on leaving (or NULL) */
    bool failed;
} lower_func;

/* ---- lower.c: helpers for the family files ------------------------------ */
LLVMTypeRef lower_valtype(const lower_module *lm, uint8_t valtype);
LLVMValueRef lower_const_i32(const lower_module *lm, uint32_t v);
LLVMValueRef lower_const_i64(const lower_module *lm, uint64_t v);
void lower_push(lower_func *lf, LLVMValueRef v);
LLVMValueRef lower_pop(lower_func *lf);
/* Loads/stores tagged with a TBAA type; `invariant` marks loads of
 * values fixed for the instance's lifetime (vmctx arrays). */
LLVMValueRef lower_load(lower_func *lf, LLVMTypeRef ty, LLVMValueRef ptr, unsigned align,
                        lower_tbaa tag, bool invariant);
LLVMValueRef lower_store(lower_func *lf, LLVMValueRef v, LLVMValueRef ptr, unsigned align,
                         lower_tbaa tag);
/* &base[offset] in bytes (no inbounds: addresses are checked explicitly). */
LLVMValueRef lower_byte_gep(lower_func *lf, LLVMValueRef base, LLVMValueRef offset);
LLVMValueRef lower_vmctx_field(lower_func *lf, unsigned offset, LLVMTypeRef ty, bool invariant);
/* Loads element i of a pointer array held in a vmctx field. */
LLVMValueRef lower_vmctx_array_elem(lower_func *lf, unsigned field, uint32_t i, LLVMTypeRef ty,
                                    unsigned elem_size);
void lower_trap_if(lower_func *lf, LLVMValueRef cond, uint32_t kind);
/* lower_memory.c: an i32 or i64 operand of a runtime call as i64
 * (addresses, lengths, counts are 64-bit there: kiln_abi.h), and an i64
 * result back to i32 unless `is64` (memory and table grow and size). */
LLVMValueRef lower_zext_i64(lower_func *lf, LLVMValueRef v);
LLVMValueRef lower_result_of_width(lower_func *lf, LLVMValueRef v, bool is64);
void lower_trap(lower_func *lf, uint32_t kind); /* unconditional; position becomes dead */
LLVMValueRef lower_rt_call(lower_func *lf, lower_rt id, LLVMValueRef *args, unsigned n);
LLVMValueRef lower_rt_decl(lower_module *lm, lower_rt id, LLVMTypeRef *type);
void lower_attr_add(lower_module *lm, LLVMValueRef fn, const char *name);
/* Pops the arguments of `type_index`, calls code(ctx, args...) and
 * pushes the results. */
void lower_call_typed(lower_func *lf, uint32_t type_index, LLVMValueRef code, LLVMValueRef ctx);
bool lower_fail(lower_func *lf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lower_tbaa_tag(lower_module *lm, LLVMValueRef access, lower_tbaa tag);
/* Marks a conditional branch whose true edge is rare (a trap, a slow path). */
void lower_branch_unlikely(lower_module *lm, LLVMValueRef br);

/* lower.c: builds the whole LLVM module (functions, then descriptor). */
LLVMModuleRef module_lower(const kiln_module *m, const uint8_t *bytes, size_t size,
                           const kiln_compile_options *opts, LLVMContextRef ctx, kiln_error *err);
/* lower.c: one partition's LLVM module (`part` NULL: the whole module).
 * Functions of other partitions are hidden external declarations.
 * `caps` (NULL: none) is what the target CPU has (target_caps_of);
 * `frames_big` (NULL: none) the bodies lower_frame_small must not treat
 * as small, one byte per body of the partition. */
LLVMModuleRef module_lower_partition(const kiln_module *m, const uint8_t *bytes, size_t size,
                                     const kiln_compile_options *opts,
                                     const lower_partition *part, const lower_target_caps *caps,
                                     const uint8_t *frames_big, LLVMContextRef ctx,
                                     kiln_error *err);
/* lower.c: the entry stub of wasm function `index` (defined, not
 * imported, in module_entry_funcs: the only ones with a stub): what
 * function references point to.  Declared on first use when another
 * partition defines it. */
LLVMValueRef lower_func_ref(lower_module *lm, uint32_t index);
/* lower.c: true if defined function `index` has an entry stub. */
bool lower_has_entry(const lower_module *lm, uint32_t index);
/* lower.c: true if defined function `index`'s body is in this LLVM
 * module (always, unless the compile is partitioned). */
bool lower_body_is_local(const lower_module *lm, uint32_t index);
/* lower.c: the body of defined function `index`, declared when another
 * partition defines it (the descriptor names every body). */
LLVMValueRef lower_body_ref(lower_module *lm, uint32_t index);
/* lower.c: where the builder was (block, debug location), to go back to. */
typedef struct lower_pos {
    LLVMBasicBlockRef bb;
    LLVMMetadataRef loc;
} lower_pos;
/* lower.c: build in the entry block, before its terminator, until
 * lower_entry_end(lf, the position lower_entry_begin returned). */
lower_pos lower_entry_begin(lower_func *lf);
void lower_entry_end(lower_func *lf, lower_pos at);
/* lower.c: the stack check a direct call of body `index` makes (at -O0
 * folded into the caller's one check at its entry). */
void lower_stack_check(lower_func *lf, uint32_t index);
/* lower.c: the same check, at the call, for a body picked at run time,
 * whose entry in a frame-size table `frame` points to. */
void lower_stack_check_at(lower_func *lf, LLVMValueRef frame);
/* lower.c: the address of body `index`'s frame-size entry: this
 * partition's table, or the hidden alias another partition defines. */
LLVMValueRef lower_frame_slot(lower_module *lm, uint32_t index);
/* lower.c: pushes a call's results (one value, a struct's fields, or the
 * results buffer's slots). */
void lower_results_push(lower_func *lf, const kiln_functype *ft, LLVMValueRef call);
/* lower.c: a direct call of defined function `index` with `args` (vmctx
 * first): checks the stack for the callee's frame, then calls its body,
 * also when the body lives in another partition. */
LLVMValueRef lower_call_defined(lower_func *lf, uint32_t index, LLVMValueRef *args, unsigned n);
/* lower.c: return_call's end: a guaranteed tail call of `code` with
 * `args` (vmctx or callee context first) returning its result; the
 * position becomes dead. */
void lower_tail_call(lower_func *lf, uint32_t type_index, LLVMValueRef code, LLVMValueRef *args,
                     unsigned n);
/* lower.c: true if a function of this type returns its results through
 * memory, or takes its parameters from it: its caller passes a buffer of
 * value slots, as the last argument, or in place of the parameters
 * (docs/abi.md, *Functions*). */
bool lower_results_in_memory(const kiln_functype *ft);
bool lower_params_in_memory(const kiln_functype *ft);
/* lower.c: copies the values of `types` from slots[0..n) of `from` to `to`. */
void lower_slots_copy(lower_module *lm, LLVMValueRef to, LLVMValueRef from, const uint8_t *types,
                      uint32_t n);
/* lower.c: slot i of a slot array, typed `vt` (LOWER_TBAA_SLOT). */
LLVMValueRef lower_slot_load(lower_module *lm, LLVMValueRef slots, uint32_t i, uint8_t vt);
void lower_slot_store(lower_module *lm, LLVMValueRef slots, uint32_t i, LLVMValueRef v);
/* lower.c: a call of wasm code of type `type_index` (a body, a stub, a
 * thunk) with the context and parameters in args[0..n); appends the
 * results buffer when the results go through memory, so `args` has room
 * for LOWER_ARGS_MAX values. */
LLVMValueRef lower_call_wasm(lower_func *lf, uint32_t type_index, LLVMValueRef fn, LLVMValueRef *args,
                             unsigned n, unsigned conv);
/* lower.c: pops the arguments of `type_index` into args[1..]. */
void lower_pop_args(lower_func *lf, uint32_t type_index, LLVMValueRef *args);
/* Every function wasm code can reach through a function reference (entry
 * stubs, import thunks) uses lower_module.call_conv: LLVM's tailcc on
 * x86-64 and AArch64, so return_call_indirect and return_call_ref can be
 * guaranteed tail calls (musttail) whatever the two signatures;
 * trampolines (called by the runtime) stay C functions that call with it.
 * That is ABI between modules, whichever convention their bodies use.
 * Bodies use lower_module.body_conv: tailcc too in a module with a
 * return_call* instruction (a musttail call needs caller and callee in
 * one convention), otherwise the C convention, which costs nothing per
 * call (tailcc's callee pops an 8-byte argument area on x86-64) and
 * which LLVM's fast instruction selector handles at -O0.  LLVM 19's
 * RISC-V back end has no tailcc: there functions use the C convention
 * and return_call is an ordinary call.
 * (llvm::CallingConv::Tail; the C API's enum has no name for it.) */
enum { LOWER_TAIL_CALL_CONV = 18 };
/* lower.c: the most stack an entry stub that calls its body (rather than
 * jumping to it) may use below its caller's stack pointer; frames.c
 * verifies each stub's measured frame against it. */
uint32_t lower_stub_frame_bound(const kiln_functype *ft);
/* lower.c: the runtime's thread-local i64 `name` (kiln_abi.h), declared
 * on first use with the TLS model opts->executable chooses. */
LLVMValueRef lower_runtime_tls(lower_module *lm, const char *name);
/* lower.c: a function called without a stack check (no calls, few
 * instructions and locals); frames.c verifies its frame stays small. */
bool lower_small_leaf(const kiln_module *m, uint32_t index);
/* lower.c: whether the calls and the stub of body `index`, of the
 * partition whose bodies start at `first`, check the stack against
 * kiln_rt_stack_limit_small alone (above -O0, unless frames_big marks
 * it): frames.c then verifies its frame plus KILN_FRAME_SLACK is at most
 * KILN_SMALL_FRAME_MAX, and emit.c lowers the partition again with the
 * bodies found bigger marked in frames_big. */
bool lower_frame_small(const kiln_compile_options *opts, const uint8_t *frames_big, uint32_t first,
                       uint32_t index);
/* lower.c: a body long enough that its frame will almost surely exceed
 * KILN_SMALL_FRAME_MAX (emit.c marks it in frames_big before the first
 * lowering) and that LLVM's superlinear passes cost far more than its
 * share (emit.c compiles it in a partition of its own, with the bounded
 * pipeline of pipeline_for_huge). */
bool lower_body_huge(const kiln_module *m, uint32_t index);
bool lower_functype_equal(const kiln_functype *a, const kiln_functype *b);
const uint32_t *lower_type_classes(lower_module *lm); /* NULL: out of memory */
bool lower_body_oversized(const kiln_module *m, uint32_t index); /* compiled as at -O0 */
/* lower_table.c: written[t] for every table some instruction of a defined
 * function writes (table.set/grow/fill/init/copy): the one fact about
 * other functions' bodies that lowering a function depends on (tables
 * nobody writes have known contents), so part_cache.c keys on it too. */
void lower_tables_written(const kiln_module *m, bool *written);
/* lower.c: the name of the frame-size table of a partition (NULL: the
 * whole module); emit.c fills the table in the emitted object. */
void lower_frames_symbol(const kiln_compile_options *opts, const lower_partition *part, char *out,
                         size_t cap);
/* lower.c: which wasm function an LLVM function name belongs to.
 * Returns LOWER_FN_BODY (with *index) for a function body or a clone
 * LLVM made of one, LOWER_FN_STUB (with *index) for an entry stub,
 * LOWER_FN_OTHER for trampolines, thunks and anything else. */
enum { LOWER_FN_OTHER, LOWER_FN_BODY, LOWER_FN_STUB };
int lower_function_kind(const char *prefix, const char *name, size_t len, uint32_t *index);
/* emit.c: lowers, verifies (debug builds, or KILN_VERIFY=1) and, if
 * `optimize`, runs the -O pipeline; the module is set up for `tm`. */
LLVMModuleRef module_compile_ir(const kiln_module *m, const uint8_t *bytes, size_t size,
                                const kiln_compile_options *opts, LLVMContextRef ctx,
                                LLVMTargetMachineRef tm, bool optimize, kiln_error *err);
/* emit.c: the same for one partition (NULL: the whole module). */
LLVMModuleRef module_compile_ir_partition(const kiln_module *m, const uint8_t *bytes, size_t size,
                                          const kiln_compile_options *opts,
                                          const lower_partition *part, const uint8_t *frames_big,
                                          LLVMContextRef ctx, LLVMTargetMachineRef tm,
                                          bool optimize, kiln_error *err);
/* The native type of a wasm function type: R (ptr, P...). */
LLVMTypeRef lower_signature(lower_module *lm, const kiln_functype *ft, bool with_ctx);
LLVMTypeRef lower_results_type(lower_module *lm, const kiln_functype *ft);

/* lower.c: control helpers for lower_exn.c. */
LLVMBasicBlockRef lower_block_new(lower_func *lf, const char *name);
lower_ctrl *lower_ctrl_push(lower_func *lf, const kiln_insn *insn, uint8_t kind);
/* Falls off the end of frame `c` into its end block (not in dead code). */
void lower_fallthrough(lower_func *lf, lower_ctrl *c);
/* Adds `vals` as the incomings of a branch from the current block to
 * `target` and returns the block to branch to. */
LLVMBasicBlockRef lower_branch_values(lower_func *lf, lower_ctrl *target, LLVMValueRef *vals,
                                      uint32_t n);
/* `end` of the innermost frame. */
void lower_end(lower_func *lf);
/* A call of `fn`, or an invoke when a handler is active (then the builder
 * continues in the invoke's normal successor). */
LLVMValueRef lower_call_build(lower_func *lf, LLVMTypeRef ty, LLVMValueRef fn, LLVMValueRef *args,
                              unsigned n);

/* ---- family files: true if `insn` belonged to them ---------------------- */
bool exn_lower(lower_func *lf, const kiln_insn *insn); /* lower_exn.c */
/* lower_exn.c: `end` of a try or try_table frame, before the generic end. */
void exn_end(lower_func *lf, lower_ctrl *c);
/* lower_exn.c: a function's entry and every way out of it by return or
 * tail call (docs/architecture.md, Lifetime of exception objects). */
void exn_frame_begin(lower_func *lf);
void exn_frame_end(lower_func *lf);
/* lower_exn.c: where a call here unwinds to (NULL: out of the function). */
LLVMBasicBlockRef exn_unwind_dest(lower_func *lf);
/* The innermost active exception handler in frames [0, top] (NULL:
 * none); lower_ctrl_push keeps it in each new frame's outer_handler. */
lower_handler *exn_handler_below(const lower_func *lf, uint32_t top);
bool memory_lower(lower_func *lf, const kiln_insn *insn); /* lower_memory.c */
bool atomic_lower(lower_func *lf, const kiln_insn *insn);  /* lower_atomic.c */
/* lower_memory.c: the TBAA tag of linear-memory accesses of insn's memory. */
lower_tbaa memory_tbaa(const lower_func *lf, const kiln_insn *insn);
/* lower_memory.c: i8, i16, i32 or i64 for an access of 1, 2, 4 or 8 bytes. */
LLVMTypeRef lower_int_of_bytes(const lower_module *lm, unsigned bytes);
/* lower_memory.c: the native address of an atomic access of `bytes`
 * bytes, after its bounds and alignment checks (in both bounds modes). */
LLVMValueRef memory_atomic_address(lower_func *lf, const kiln_insn *insn, LLVMValueRef addr,
                                   unsigned bytes);
bool table_lower(lower_func *lf, const kiln_insn *insn);  /* lower_table.c  */
/* lower_memory.c, guard mode: gives every linear-memory load a use that
 * optimisation can neither delete nor narrow (its fault is the trap):
 * a sink pinned at the returns, or a pin of its own. */
bool memory_loads_pin(lower_func *lf);

/* debug_info.c (-g): begin sets lm->dbg when the options ask for debug
 * info and the module has a line table; the other hooks are called only
 * when lm->dbg is set: a body's subprogram, each instruction's location,
 * the end of a body (clears the builder's location), the end of the
 * module (finalises the DIBuilder). */
void debug_info_begin(lower_module *lm);
void debug_info_func_begin(lower_module *lm, uint32_t index, LLVMValueRef fn);
void debug_info_insn(lower_module *lm, const kiln_insn *insn);
void debug_info_func_end(lower_module *lm);
void debug_info_end(lower_module *lm);

/* descriptor.c: the <prefix>_module global, trampolines and thunks. */
bool descriptor_build(lower_module *lm, const uint8_t *bytes, size_t size);
/* Unwind tables for every function defined in lm->mod (trap backtraces);
 * descriptor_build calls it, a partition without the descriptor must too. */
void descriptor_unwind_tables(lower_module *lm);

/* frames.c: frame sizes of one LLVM module's functions, measured during
 * emission (LLVM's warn-stack-size diagnostic) and written into the
 * emitted object's frame-size table. */
typedef struct frame_sizes {
    const char *prefix;
    const kiln_compile_options *opts;
    const uint8_t *big;    /* [count] bodies lowered with the frame-table check */
    char symbol[300];     /* the table's symbol */
    uint32_t first, count; /* bodies [first, first + count) */
    uint64_t max_frame;    /* the limit for a body's frame */
    uint64_t *body;        /* [count] largest frame of each body or its clones */
    uint64_t body_max, other_max;
    uint32_t body_max_index;
    char other_name[128];  /* the stub, trampoline or thunk with other_max */
    const kiln_module *m;
    bool stub_over;        /* a stub's frame exceeds its bound (frames.c, stub_frame_max) */
    uint32_t stub_over_index;
    uint64_t stub_over_size;
    bool llvm_error;
} frame_sizes;
/* Before emission: asks LLVM for every frame size (false: out of memory). */
bool frames_measure_begin(frame_sizes *fs, LLVMContextRef ctx, LLVMModuleRef mod,
                          const kiln_module *m, const kiln_compile_options *opts,
                          const lower_partition *part, const uint8_t *frames_big);
/* After emission: marks in `big` ([count], the partition's bodies) each
 * body lowered as a small-frame one (lower_frame_small) whose frame
 * turned out bigger, and returns how many (0: the object is sound). */
uint32_t frames_small_over(const frame_sizes *fs, uint8_t *big);
/* After emission: refuses frames over the limits, else replaces *object
 * by a copy whose table holds each body's frame plus KILN_FRAME_SLACK. */
bool frames_measure_finish(frame_sizes *fs, const kiln_module *m, LLVMMemoryBufferRef *object,
                           kiln_error *err);
void frames_measure_end(frame_sizes *fs);

#endif
