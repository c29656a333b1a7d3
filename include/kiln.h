/* kiln.h - the embedding API of the kiln runtime.
 *
 * A host program loads a module that kiln compiled ahead of time (its
 * descriptor symbol `<prefix>_module`, linked in statically or found with
 * dlsym), binds its imports through a linker, instantiates it any number
 * of times, and calls its exports.  Traps never kill the process: every
 * call that enters wasm returns a kiln_trap_kind (KILN_TRAP_NONE on
 * success) and the message is available from kiln_trap_message().
 *
 * Naming: kiln_<object>_<verb>.  Objects are opaque; free what you create.
 * Memories, tables and globals are reference counted: an instance that
 * imports one keeps it alive, so kiln_*_free() on a standalone object only
 * drops the host's own reference.  Instances are freed in groups (see
 * kiln_instance_free): whatever can still call an instance's functions
 * keeps it alive.
 *
 * Threads: any thread may call into wasm; traps and the stack limit are
 * per thread (the limit is a thread-local variable generated code reads).
 * One group of linked instances must not run on two threads at the same
 * time (they share globals, tables and memories without locks).
 *
 * Changes from the first draft, and why:
 *  - the global object is `kiln_global_inst` (the spec's "global
 *    instance"), not `kiln_global`: compiler/module.h already defines
 *    `struct kiln_global` (a decoded global), and a second typedef of the
 *    same tag compiled silently into a type confusion.
 *  - kiln_memory_free / kiln_table_free / kiln_global_free, since hosts
 *    create these objects and must be able to release them.
 *  - kiln_global_set, kiln_memory_grow, kiln_table_size/get/set so the
 *    host can do with its objects what wasm can.
 *  - kiln_linker_contains, so a driver can name every missing import.
 *  - kiln_instance_export_len: export names may contain NUL bytes.
 *  - externref values are documented: an opaque `void *` the runtime never
 *    dereferences; NULL is ref.null extern.
 */
#ifndef KILN_H
#define KILN_H

#include <signal.h> /* KILN_INTERRUPT_SIGNAL */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kiln_instance kiln_instance;
typedef struct kiln_linker kiln_linker;
typedef struct kiln_memory kiln_memory; /* a memory object: shareable between instances */
typedef struct kiln_table kiln_table;
typedef struct kiln_global_inst kiln_global_inst;
typedef struct kiln_tag_inst kiln_tag_inst; /* an exception tag (owned by its instance) */

/* Values in kiln_val slots:
 *   i32/i64/f32/f64/v128  the obvious member (v128 bytes in memory order)
 *   funcref               .ref is a `kiln_func_ref *`, NULL for ref.null func
 *   externref             .ref is an opaque host pointer, NULL for ref.null
 *                         extern; the runtime only stores and compares it */

/* A function signature, as arrays of kiln_valtype codes. */
typedef struct kiln_signature {
    uint32_t num_params;
    uint32_t num_results;
    const uint8_t *params;
    const uint8_t *results;
} kiln_signature;

/* A host function.  Reads args[0..num_params), writes results[0..num_results).
 * Return KILN_TRAP_NONE, or a trap kind to make the calling wasm trap
 * (use KILN_TRAP_HOST plus kiln_host_trap_message() for a custom text).
 * `caller` is the instance that imported the function. */
typedef uint32_t (*kiln_host_callback)(void *env, kiln_instance *caller, const kiln_val *args,
                                       kiln_val *results);

/* What a kiln_extern holds: the binary format's external kinds (the
 * compiler's internal kiln_extern_kind has the same values; a static
 * assertion in compiler/header.c ties the two together). */
typedef enum kiln_externkind {
    KILN_EXTERNKIND_FUNC = 0,
    KILN_EXTERNKIND_TABLE = 1,
    KILN_EXTERNKIND_MEMORY = 2,
    KILN_EXTERNKIND_GLOBAL = 3,
    KILN_EXTERNKIND_TAG = 4,
} kiln_externkind;

/* An external value: what an import is bound to or an export yields. */
typedef struct kiln_extern {
    uint8_t kind; /* kiln_externkind */
    union {
        kiln_func_ref *func;
        kiln_table *table;
        kiln_memory *memory;
        kiln_global_inst *global;
        kiln_tag_inst *tag;
    } of;
} kiln_extern;

/* ---- linker: names the values imports are bound to ---------------------- */
/* Defining a (module, name) pair twice replaces the first definition. */
kiln_linker *kiln_linker_new(void);
void kiln_linker_free(kiln_linker *l);
bool kiln_linker_define_func(kiln_linker *l, const char *module, const char *name,
                             const kiln_signature *sig, kiln_host_callback callback, void *env);
bool kiln_linker_define(kiln_linker *l, const char *module, const char *name, kiln_extern value);
/* Defines every export of `inst` under module name `module` (the spec's `register`). */
bool kiln_linker_define_instance(kiln_linker *l, const char *module, kiln_instance *inst);
/* True if something is defined under (module, name). */
bool kiln_linker_contains(const kiln_linker *l, const char *module, const char *name);

/* Checks every import of a compiled module against `l` without
 * instantiating it, so that a host can name all the problems at once
 * (kiln_instantiate stops at the first).  Calls `report` (if not NULL)
 * once per import that is missing or whose kind or type differs, in
 * import order, with one line of text (no newline) such as
 *   "env"."log": func (i32) -> (): unknown import
 *   "wasi_snapshot_preview1"."fd_write": func (i32) -> (i32): incompatible
 *       import type: function signature differs (provided: func (i32
 *       i32 i32 i32) -> (i32))                              [one line]
 * Types are spelled as `kiln validate --describe` spells them.  Returns
 * the number of such imports (0: kiln_instantiate will bind every one),
 * or SIZE_MAX after reporting why the descriptor is unusable. */
typedef void (*kiln_import_report)(void *ctx, const char *problem);
size_t kiln_linker_check(const kiln_linker *l, const kiln_module_desc *desc,
                         kiln_import_report report, void *ctx);
/* The same for a module decoded by kiln's own front end (compiler/module.h):
 * `kiln run` checks before it compiles. */
struct kiln_module;
size_t kiln_linker_check_module(const kiln_linker *l, const struct kiln_module *m,
                                kiln_import_report report, void *ctx);

/* Defines every function import of `desc` that `l` has nothing for (no
 * entry under its module and name) as a host function that traps when
 * called, with the message
 *   unknown import "rb-js-abi-host"."global-this" called
 * as wasmtime's --trap-unknown-imports: a program that imports functions
 * of a host it never calls on the path being run can still run.  Imports
 * of other kinds, and names `l` defines with another type, are left alone
 * (kiln_linker_check still reports them).  Returns how many were defined,
 * or SIZE_MAX when out of memory or the descriptor is unusable. */
size_t kiln_linker_define_unknown_imports_as_traps(kiln_linker *l, const kiln_module_desc *desc);
/* The same for a module decoded by kiln's own front end. */
size_t kiln_linker_define_unknown_imports_as_traps_module(kiln_linker *l,
                                                          const struct kiln_module *m);
/* The same, but each stand-in does nothing and returns its type's
 * default values (0, +0.0, null references), as wasmtime's
 * --default-values-unknown-imports: for optional host hooks such as a
 * benchmark's "bench"."start" and "bench"."end". */
size_t kiln_linker_define_unknown_imports_as_defaults(kiln_linker *l, const kiln_module_desc *desc);
size_t kiln_linker_define_unknown_imports_as_defaults_module(kiln_linker *l,
                                                             const struct kiln_module *m);

/* ---- standalone objects a host can create and share ---------------------- */
/* max_pages/max are ignored unless has_max.  NULL when out of memory or
 * when the limits are invalid (min > max, more than 65536 pages). */
kiln_memory *kiln_memory_new(uint64_t min_pages, uint64_t max_pages, bool has_max);
/* A shared memory (threads): it may be imported by instances running on
 * several threads at once.  It is created with a guard-page reservation
 * (8 GiB of address space), so modules of either bounds mode can import it
 * and it never moves when it grows. */
kiln_memory *kiln_memory_new_shared(uint64_t min_pages, uint64_t max_pages);
/* The first memory a compiled module imports, for hosts that provide it
 * (a wasm32-wasip1-threads program imports its shared memory): names,
 * NUL-terminated (cut at 127 bytes), and type.  False when the module
 * imports no memory or its descriptor is unusable. */
typedef struct kiln_memory_import {
    char module[128], name[128];
    uint64_t min_pages, max_pages;
    bool has_max, shared, is64;
} kiln_memory_import;
bool kiln_module_memory_import(const kiln_module_desc *desc, kiln_memory_import *out);
kiln_table *kiln_table_new(uint8_t elem_type, uint32_t min, uint32_t max, bool has_max);
/* The same with an i64 address type (memory64, table64): what a module's
 * `(memory i64 ...)` or `(table i64 ...)` import needs.  A 64-bit memory
 * may have up to 2^48 pages as its maximum; the runtime gives it at most
 * 262144 pages (16 GiB). */
kiln_memory *kiln_memory64_new(uint64_t min_pages, uint64_t max_pages, bool has_max);
kiln_table *kiln_table64_new(uint8_t elem_type, uint64_t min, uint64_t max, bool has_max);
kiln_global_inst *kiln_global_new(uint8_t valtype, bool is_mutable, kiln_val value);
void kiln_memory_free(kiln_memory *m);
void kiln_table_free(kiln_table *t);
void kiln_global_free(kiln_global_inst *g);

/* The data pointer changes when the memory grows: re-read it after any call. */
uint8_t *kiln_memory_data(kiln_memory *m);
uint64_t kiln_memory_size(kiln_memory *m); /* bytes */
/* memory.grow: returns the old size in pages, or -1. */
int64_t kiln_memory_grow(kiln_memory *m, uint64_t delta_pages);

uint32_t kiln_table_size(kiln_table *t);
/* false when index >= size */
bool kiln_table_get(kiln_table *t, uint32_t index, void **ref);
/* false also when ref is not of the table's element type (a typed table,
 * (ref null? $t): a function of another type; null in a non-nullable one).
 * A function of another instance joins its group to the table's (see
 * kiln_instance_free), as kiln_table_grow's `init` and kiln_global_set's
 * value do. */
bool kiln_table_set(kiln_table *t, uint32_t index, void *ref);
/* table.grow: new elements are `init`; returns the old size, or -1 past
 * the maximum (or an instance's cap), when out of memory, or when init is
 * not of the element type. */
int64_t kiln_table_grow(kiln_table *t, uint32_t delta, void *init);

kiln_val kiln_global_get(kiln_global_inst *g);
/* Sets a global from the host (allowed for immutable ones too: the host
 * owns them; wasm cannot).  False, and nothing written, for a reference
 * not of the global's type: wasm code trusts a (ref $t) global to hold a
 * non-null function of type $t. */
bool kiln_global_set(kiln_global_inst *g, kiln_val value);

/* ---- instances ------------------------------------------------------------ */
typedef struct kiln_instantiate_error {
    enum {
        KILN_INST_OK = 0,
        KILN_INST_LINK, /* an import is missing or has the wrong type ("unknown import", "incompatible import type") */
        KILN_INST_TRAP, /* a segment was out of bounds or the start function trapped */
        KILN_INST_NOMEM,
        KILN_INST_BAD_MODULE, /* descriptor from another ABI version, or corrupt */
        KILN_INST_LIMIT, /* a memory or table minimum exceeds the instance's limits */
        KILN_INST_POOL_EXHAUSTED, /* kiln_pool_instantiate: every slot of a kind is in use */
    } kind;
    uint32_t trap; /* kiln_trap_kind when kind == KILN_INST_TRAP */
    char message[256];
} kiln_instantiate_error;

/* `l` may be NULL for a module without imports.  On KILN_INST_TRAP the
 * host gets no instance, but what earlier segments wrote into imported
 * tables and memories stays (the spec says so), and so does the instance,
 * in its group, while anything can reach what it wrote. */
kiln_instance *kiln_instantiate(const kiln_module_desc *desc, kiln_linker *l,
                                kiln_instantiate_error *err);
/* Drops the host's handle on `inst` (NULL: nothing).  Instances are freed
 * in groups, all of a group's at once when it has no handle left (a host
 * handle on one of its instances, a linker entry naming one of its
 * objects, a host handle on a table or global of it that kiln_table_new
 * or kiln_global_new made), or when the last call into it in progress then
 * returns (a host function may free its caller).  Instances join one group when linked (an
 * import of a function, a tag, or a table or global of references) and
 * when the host moves a function reference from one to another
 * (kiln_table_set, kiln_table_grow, kiln_global_set, kiln_global_new,
 * kiln_call's arguments, a host function's results).  So nothing that can
 * still call an instance's functions outlives it (docs/embedding.md,
 * "Instance lifetimes").  Thread-safe. */
void kiln_instance_free(kiln_instance *inst);

/* Resource caps for one instance.  They apply to every memory and table
 * the instance defines or imports (a shared object keeps the smallest cap
 * any of its instances set): instantiation fails with KILN_INST_LIMIT if
 * a minimum (or an imported object's current size) is above the cap, and
 * memory.grow / table.grow return -1 past it. */
typedef struct kiln_instance_limits {
    uint64_t max_memory_pages;   /* KILN_NO_LIMIT: only the module's own maximum */
    uint64_t max_table_elements; /* KILN_NO_LIMIT: likewise */
    /* Host memory for the exceptions the instance keeps as exnrefs
     * (catch_ref, catch_all_ref, a legacy catch that may rethrow), in
     * bytes; catching one more past it traps with
     * KILN_TRAP_EXCEPTION_LIMIT ("too many live exceptions").  0: the
     * memory cap in bytes (max_memory_pages * 64 KiB, at least 64 KiB)
     * if there is one, else KILN_EXCEPTION_BYTES_DEFAULT; KILN_NO_LIMIT:
     * none.  Without kiln_instance_limits the default applies too. */
    uint64_t max_exception_bytes;
    /* Caps on all the memories (in pages) and all the tables (in
     * elements) the instance defines, together: a module may define up
     * to 100,000 of each, and the caps above apply to each one.
     * Instantiation fails with KILN_INST_LIMIT if their minimums add up
     * to more; memory.grow and table.grow return -1 where the total would
     * pass it.  Imported objects are not counted (whoever defined them
     * does).  0 or KILN_NO_LIMIT: none. */
    uint64_t max_total_memory_pages;
    uint64_t max_total_table_elements;
} kiln_instance_limits;
#define KILN_NO_LIMIT UINT64_MAX
#define KILN_EXCEPTION_BYTES_DEFAULT (256ull << 20)

/* kiln_instantiate with caps; `limits` may be NULL (no caps but the
 * default bound on kept exceptions). */
kiln_instance *kiln_instantiate_limited(const kiln_module_desc *desc, kiln_linker *l,
                                        const kiln_instance_limits *limits,
                                        kiln_instantiate_error *err);

/* ---- the pooling instance allocator -----------------------------------------
 *
 * Opt-in: kiln_instantiate maps a fresh memory per instance, which is
 * simplest and costs no address space while nothing runs; a pool reserves
 * its slots up front (an 8 GiB + 64 KiB reservation per memory slot by
 * default: 1000 slots are 8 TiB of address space, though no memory) and
 * fixes the largest memory and table an instance may have, which only the
 * host can choose.  In exchange an instantiation reuses a slot instead of
 * mapping one, the module's metadata is decoded once per pool, and a
 * module's data segments are mapped copy-on-write from an image built once
 * (docs/embedding.md, "Pooling instances").  Pooled instances behave
 * exactly like others: kiln_instance_free returns their slots, after
 * resetting what the instance touched, so a reused slot never shows a
 * previous instance's bytes.  Thread-safe. */
typedef struct kiln_pool kiln_pool;

/* Zero in any field means its default. */
typedef struct kiln_pool_config {
    uint32_t max_instances;      /* pooled instances alive at once (default 1000) */
    uint32_t max_memories;       /* memory slots, one per defined memory (default max_instances) */
    uint32_t max_tables;         /* table slots, one per defined table (default max_instances) */
    uint64_t max_memory_pages;   /* largest pooled memory, in 64 KiB pages (default 65536) */
    uint32_t max_table_elements; /* largest pooled table (default 10000) */
    /* Address space per memory slot (default and most: 8 GiB + 64 KiB,
     * what a module compiled with guard pages needs, since its accesses
     * reach base + u32 address + u32 offset unchecked).  A smaller slot
     * (at least max_memory_pages * 64 KiB) only takes modules compiled with
     * --bounds-checks=explicit; guard-page modules are refused with
     * KILN_INST_LIMIT. */
    uint64_t memory_reservation;
} kiln_pool_config;

/* `config` may be NULL (all defaults).  NULL if the configuration is
 * invalid or the address space cannot be reserved. */
kiln_pool *kiln_pool_new(const kiln_pool_config *config);
/* Drops the host's reference: the pool goes when its last instance (and
 * the last memory or table one of them exported) is freed. */
void kiln_pool_free(kiln_pool *pool);
/* kiln_instantiate_limited from a pool.  Fails with
 * KILN_INST_POOL_EXHAUSTED when all instance, memory or table slots are
 * in use, and with KILN_INST_LIMIT when a memory or table minimum is
 * larger than the pool's slots (a larger maximum is allowed: growth stops
 * at the slot, as with kiln_instance_limits).  The pool keeps what it
 * derived from `desc` (decoded metadata, memory images) until
 * kiln_pool_free or kiln_pool_forget: unload a module's code (dlclose)
 * only after one of them. */
kiln_instance *kiln_pool_instantiate(kiln_pool *pool, const kiln_module_desc *desc,
                                     kiln_linker *l, const kiln_instance_limits *limits,
                                     kiln_instantiate_error *err);
/* Drops what the pool keeps for `desc`; false (nothing dropped) while
 * instances of it are alive. */
bool kiln_pool_forget(kiln_pool *pool, const kiln_module_desc *desc);

/* Interrupts: generated code has no checks.  An interrupt marks its
 * target and sends KILN_INTERRUPT_SIGNAL to the thread(s) running it; the
 * runtime's handler traps with KILN_TRAP_INTERRUPTED ("interrupted") if
 * the thread is inside generated wasm code, and otherwise (runtime, libc,
 * a host function) leaves the mark: a runtime thread signals again every
 * 2 ms, and the runtime checks the mark on every entry into wasm and
 * whenever a host function returns to wasm.  A host function that blocks
 * forever is therefore never interrupted (see docs/embedding.md).
 * SIGURG's default action is to ignore it; the handler chains signals
 * that kiln did not send to the handler installed before kiln's (installed
 * at the first call into wasm).  Linux on x86-64, aarch64 and riscv64 only. */
#define KILN_INTERRUPT_SIGNAL SIGURG

/* Interrupts every call into `inst` in progress on any thread (calls
 * made through kiln_call or the start function of kiln_instantiate, and
 * whatever they call).  The mark is cleared when the last of those calls
 * returns or traps, so an interrupt never affects a later call; made
 * while no call is in progress it does nothing, and one racing with the
 * start of a call may or may not stop it (use kiln_thread_interrupt to
 * stop a thread for good).  Thread-safe and async-signal-safe. */
void kiln_instance_interrupt(kiln_instance *inst);
/* Withdraws the mark (calls already trapped stay trapped). */
void kiln_instance_interrupt_clear(kiln_instance *inst);

/* A thread that runs wasm, for interrupts aimed at a thread rather than an
 * instance (a watchdog for "this thread, whatever it runs, including the
 * start function of an instance that does not exist yet").  Valid until
 * the thread exits; NULL if the runtime's thread table is full. */
typedef struct kiln_thread kiln_thread;
kiln_thread *kiln_thread_current(void);
/* Marks the thread: its wasm code in progress traps as above, and every
 * later entry into wasm on it traps at once, until cleared.
 * Thread-safe and async-signal-safe. */
void kiln_thread_interrupt(kiln_thread *t);
void kiln_thread_interrupt_clear(kiln_thread *t);
/* True while the thread is inside a call into wasm (host functions
 * called from wasm included). */
bool kiln_thread_in_wasm(const kiln_thread *t);

/* Looks an export up by name; false if there is none.  The objects stay
 * owned by the instance (no reference is taken). */
bool kiln_instance_export(kiln_instance *inst, const char *name, kiln_extern *out);
/* The same for names that may contain NUL bytes (wasm names can). */
bool kiln_instance_export_len(kiln_instance *inst, const char *name, size_t len,
                              kiln_extern *out);
/* Memory `index` of an instance (NULL if it has none); host callbacks use
 * this on their `caller` to reach the guest's linear memory. */
kiln_memory *kiln_instance_memory(kiln_instance *inst, uint32_t index);

/* ---- exceptions -------------------------------------------------------------
 *
 * A wasm exception that no wasm handler catches ends the kiln_call (or
 * the start function) that entered wasm: the call returns
 * KILN_TRAP_EXCEPTION ("uncaught exception"), which is not a trap, and
 * kiln_exception() describes it.  Exceptions never cross a host frame:
 * one thrown below a host function that called back into wasm ends that
 * inner kiln_call, and a host function that returns KILN_TRAP_EXCEPTION
 * to its wasm caller makes the caller trap with it (uncatchable).  Traps
 * are never exceptions: no wasm handler sees them. */
/* The last exception that left a call into wasm on this thread: its tag
 * (valid while the instance that defines it lives) and payload (valid
 * until the next uncaught exception on this thread).  False if there was
 * none. */
bool kiln_exception(const kiln_tag_inst **tag, const kiln_val **values, uint32_t *count);
/* The payload types of a tag, as a signature with no results (valid for
 * the life of the process). */
bool kiln_tag_signature(const kiln_tag_inst *tag, kiln_signature *out);
/* Host memory held by the exceptions `inst` keeps as exnrefs, in bytes
 * (what kiln_instance_limits.max_exception_bytes bounds). */
uint64_t kiln_instance_exception_bytes(const kiln_instance *inst);
/* The bound, for the whole process, on exceptions kept by instances
 * whose module can pass exnrefs to other instances (an exception
 * reference in a function type, an imported or exported global or table
 * of one): those are never freed, not even with the instance, so they
 * count here for the life of the process as well as against the
 * instance's own bound.  Default KILN_EXCEPTION_PROCESS_BYTES_DEFAULT;
 * KILN_NO_LIMIT: none.  Thread-safe. */
void kiln_exception_process_limit_set(uint64_t bytes);
#define KILN_EXCEPTION_PROCESS_BYTES_DEFAULT (1ull << 30)

/* The signature of a funcref (valid for the life of the process). */
bool kiln_func_signature(const kiln_func_ref *f, kiln_signature *out);

/* The instance a funcref belongs to (for a host function, the instance
 * that imported it) with a handle taken on its group, so that the funcref
 * stays callable until kiln_instance_free() releases it.  NULL for NULL. */
kiln_instance *kiln_func_instance(const kiln_func_ref *f);

/* The function export `name` (`len` bytes) of `inst` if its signature is
 * `sig`; NULL if `inst` is NULL or has no such export, or the export is
 * not a function, or its signature differs.  The headers `kiln compile
 * --header` writes resolve exports with it. */
static inline const kiln_func_ref *kiln_instance_export_func(kiln_instance *inst, const char *name,
                                                             size_t len, const kiln_signature *sig) {
    kiln_extern e;
    kiln_signature got;
    if (!inst || !kiln_instance_export_len(inst, name, len, &e) || e.kind != KILN_EXTERNKIND_FUNC ||
        !kiln_func_signature(e.of.func, &got) || got.num_params != sig->num_params ||
        got.num_results != sig->num_results)
        return NULL;
    for (uint32_t i = 0; i < sig->num_params; i++)
        if (got.params[i] != sig->params[i]) return NULL;
    for (uint32_t i = 0; i < sig->num_results; i++)
        if (got.results[i] != sig->results[i]) return NULL;
    return e.of.func;
}

/* What the typed wrappers of a generated header (`kiln compile --header`)
 * return when the instance has no function export of the name and
 * signature they call: nothing ran, so this is no trap (kiln_trap_message()
 * is unchanged) and lies outside the kiln_trap_kind range. */
#define KILN_EXPORT_MISSING 0x100u

/* Calls a function: args in slots[0..n), results written to slots[0..m),
 * so `slots` needs max(n, m) entries.  `inst` may be NULL.
 * Returns KILN_TRAP_NONE or the trap that ended the call.  A function
 * reference argument not of its typed parameter's type ((ref $t), null
 * for a non-nullable one) returns KILN_TRAP_INDIRECT_CALL_TYPE_MISMATCH
 * ("argument N is not a reference of the parameter's type") and runs
 * nothing: wasm code trusts those types. */
uint32_t kiln_call(kiln_instance *inst, const kiln_func_ref *f, kiln_val *slots);

/* The message of the last trap on this thread ("integer divide by zero", ...). */
const char *kiln_trap_message(void);
const char *kiln_trap_kind_text(uint32_t kind);
/* For host callbacks that return KILN_TRAP_HOST. */
void kiln_host_trap_message(const char *message);

/* The backtrace of the last trap on this thread: the wasm functions that
 * were running, innermost first, named from the module's `name` section,
 * up to the kiln_call (or instantiation) that the trap ended.  Frames of
 * functions that LLVM inlined into their caller do not appear, nor do
 * host frames (the runtime, host functions).  Valid until the next trap
 * on this thread (names are copies: the instance may be freed). */
#define KILN_BACKTRACE_MAX 64
typedef struct kiln_frame {
    uint32_t func_index;            /* in the module's function index space */
    const char *name;               /* from the name section; NULL if none */
    const kiln_module_desc *module; /* the compiled module it belongs to */
    /* The source line, when the program was built with `kiln build -g`
     * from a module with DWARF (see docs/cli.md); else NULL and 0. */
    const char *file;
    uint32_t line;
} kiln_frame;
typedef struct kiln_backtrace {
    uint32_t num_frames;   /* at most KILN_BACKTRACE_MAX */
    uint64_t num_omitted;  /* outer frames that did not fit */
    const kiln_frame *frames;
} kiln_backtrace;
const kiln_backtrace *kiln_trap_backtrace(void);
/* The text form, one line per frame:
 *     "  0: divide (wasm function 3)", "  1: wasm-function[5]", "  ... 1200 more frames"
 * and, for a frame with a source line, " at FILE:LINE" at the end."
 * Names and files come from the module, so their control characters and
 * backslashes are written as \xx ("a\1b[31m"): the text is safe to print.
 * Writes at most `size` bytes (NUL-terminated when size > 0) and returns
 * the length of the whole text, like snprintf. */
size_t kiln_backtrace_format(const kiln_backtrace *bt, char *buf, size_t size);

/* ---- the stack budget ---------------------------------------------------------
 *
 * Wasm runs on the native stack of the thread that calls it, within a
 * budget that is per thread.  The outermost entry into wasm on a thread
 * (kiln_call, or the start function in kiln_instantiate) computes
 * limit = sp - budget, clamped so that a safety margin (256 KiB, or half
 * of what is left on a smaller stack, never less than 112 KiB) always
 * remains above the lowest address of the stack it runs on (the thread's,
 * or the alternate signal stack in a signal handler); a stack with less
 * than 128 KiB left is not entered at all, nor is wasm re-entered from a
 * host function running below the limit.  Wasm that would go below it traps
 * with KILN_TRAP_CALL_STACK_EXHAUSTED ("call stack exhausted").  Nested
 * host -> wasm -> host -> wasm calls keep the outermost entry's limit, so
 * the budget covers the whole chain.  A main thread's stack is bounded by
 * its rlimit (usually 8 MiB): for a larger budget, run wasm on a thread
 * whose stack holds it (kiln_run_with_stack_budget does). */

/* The budget of the calling thread, in bytes (0: the default, 1 MiB); the
 * other threads keep theirs.  Takes effect at the thread's next outermost
 * entry into wasm. */
void kiln_set_stack_budget(size_t bytes);

/* The largest budget the --stack-size options accept: 16 GiB on 64-bit
 * hosts (1 GiB on 32-bit ones). */
#define KILN_STACK_BUDGET_MAX (sizeof(size_t) > 4 ? (size_t)16 << 30 : (size_t)1 << 30)

/* Calls fn(arg) with a stack budget of `bytes`: on the calling thread,
 * whose budget it sets, when `bytes` is 0 (the default) or its stack has
 * room for the budget plus KILN_STACK_HEADROOM; otherwise on a new thread
 * with a stack that large (address space reserved, not committed), which
 * it waits for.  So fn does whatever belongs to the budgeted thread: the
 * calls into wasm, and reading their trap message and backtrace.  Returns
 * 0 once fn has returned, or an errno value if the stack or the thread
 * could not be made (fn did not run). */
#define KILN_STACK_HEADROOM ((size_t)1 << 20)
int kiln_run_with_stack_budget(size_t bytes, void (*fn)(void *arg), void *arg);

/* Parses a stack size the way the --stack-size options take it: decimal
 * bytes, optionally followed by K, M or G (KiB, MiB, GiB; either case).
 * False for 0, for anything else, and above KILN_STACK_BUDGET_MAX. */
bool kiln_stack_size_parse(const char *text, size_t *bytes);

#ifdef __cplusplus
}
#endif
#endif
