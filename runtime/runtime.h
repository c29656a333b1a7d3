/* runtime.h - private interface between the files of the runtime.
 *
 * The public objects of kiln.h (memory, table, global, instance, linker)
 * are defined here.  Each memory/table/global embeds the ABI record that
 * generated code reads (kiln_memory_rt, kiln_table_rt, kiln_val cell) as
 * its first member, so the vmctx arrays point straight into the objects
 * and a pointer converts back with a cast. */
#ifndef KILN_RUNTIME_H
#define KILN_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kiln.h"
#include "module.h"

/* A group of instances freed together (group.c); tables and globals that
 * may hold function references belong to one. */
typedef struct kiln_group kiln_group;

/* ---- memory.c --------------------------------------------------------------- */
/* What a guard-page memory reserves: any 32-bit address plus any 32-bit
 * offset plus an access's width lands inside it. */
#define GUARD_RESERVATION ((8ull << 30) + KILN_PAGE_SIZE)

struct pool_memslot;
/* ---- budget.c ---------------------------------------------------------------- */
/* What an instance's memories (pages) or tables (elements) may hold
 * together (kiln_instance_limits' max_total_*); the objects share it. */
typedef struct kiln_budget kiln_budget;
kiln_budget *budget_new(uint64_t limit); /* NULL when out of memory */
void budget_retain(kiln_budget *b);
void budget_release(kiln_budget *b);     /* NULL is fine */
bool budget_take(kiln_budget *b, uint64_t n); /* false (nothing taken) past the limit */
void budget_give(kiln_budget *b, uint64_t n);

struct kiln_memory {
    kiln_memory_rt rt; /* first: vmctx->memories[i] points here */
    uint64_t min_pages;
    bool has_max;
    bool is64;         /* memory64: i64 addresses, never guarded */
    bool guarded;      /* reserved 8 GiB + guard, grown in place */
    bool shared;       /* threads: never moves (its maximum is reserved up front) */
    bool capped;       /* an instance limit applies: grow stops at cap_pages */
    uint64_t cap_pages;
    uint64_t reserved; /* bytes mapped (guarded: the whole reservation) */
    _Atomic int refcount;
    uint32_t num_views, cap_views;
    kiln_vmctx **views; /* instances whose memory 0 this is: mem0_* caches */
    struct pool_memslot *slot; /* pooled (pool.c): grown in place, returned at release */
    kiln_budget *budget;       /* its instance's, for all its memories; NULL: none */
};

/* The most pages the runtime gives a 32- or 64-bit memory
 * (KILN_MAX_PAGES32 / KILN_MAX_PAGES64): a larger initial size is refused,
 * growth stops there. */
uint64_t memory_runtime_max_pages(bool is64);
/* NULL when out of memory or when the initial size is over that bound. */
kiln_memory *memory_create(const kiln_memtype *type, bool guarded);
void memory_retain(kiln_memory *m);
void memory_release(kiln_memory *m);
bool memory_view_add(kiln_memory *m, kiln_vmctx *ctx);
void memory_view_remove(kiln_memory *m, kiln_vmctx *ctx);
/* Moves the memory into a guard-page reservation (for modules compiled
 * to rely on one).  False when the address space cannot be reserved. */
bool memory_make_guarded(kiln_memory *m);
/* Applies an instance's page limit (the smallest one wins); false if the
 * memory is already larger. */
bool memory_cap(kiln_memory *m, uint64_t pages);
/* memory.grow; returns old pages or -1. */
int64_t memory_grow(kiln_memory *m, uint64_t delta_pages);

/* ---- table.c ---------------------------------------------------------------- */
struct pool_tabslot;
/* A reference type as the runtime compares it across modules: a concrete
 * heap type by its canonical type id (types.c), so that modules agree. */
typedef struct rt_reftype {
    uint8_t heap; /* KILN_HEAP_* */
    bool nullable;
    uint32_t type_id; /* KILN_HEAP_TYPE only */
} rt_reftype;

struct kiln_table {
    kiln_table_rt rt; /* first: vmctx->tables[i] points here; rt.elem_type is the ABI code */
    rt_reftype ref;   /* the element type */
    struct pool_tabslot *slot; /* pooled (pool.c): fixed capacity, returned at release */
    size_t mapped;             /* bytes of rt.elems' mapping, 0 on the heap (table.c) */
    kiln_budget *budget;       /* its instance's, for all its tables; NULL: none */
    uint64_t declared_max; /* rt.max is capped at KILN_MAX_TABLE_ELEMS; this is not */
    bool has_max;
    bool is64;             /* table64: i64 indices */
    _Atomic int refcount;
    /* The group of whoever may store references into it (group.c): the
     * defining instance's, or for kiln_table_new its own node, which the
     * host's handle holds.  NULL when the elements cannot name an
     * instance (externref). */
    kiln_group *group;
};

kiln_table *table_create(const kiln_tabletype *type);
void table_retain(kiln_table *t);
void table_release(kiln_table *t);
int64_t table_grow(kiln_table *t, uint64_t delta, void *init);
/* Applies an instance's element limit to growth; false if already larger. */
bool table_cap(kiln_table *t, uint64_t elems);

/* ---- global.c --------------------------------------------------------------- */
struct kiln_global_inst {
    kiln_val cell; /* first: vmctx->globals[i] points here */
    kiln_globaltype type; /* type.valtype is the ABI code */
    rt_reftype ref;       /* the value type, when it is a reference */
    _Atomic int refcount;
    kiln_group *group; /* as kiln_table's group: NULL unless it holds funcref or exnref */
};

kiln_global_inst *global_create(kiln_globaltype type, kiln_val value);
void global_retain(kiln_global_inst *g);
void global_release(kiln_global_inst *g);

/* ---- group.c: which instances are freed together, and when ---------------- */
/* A new group of one node, holding one handle: for instance `inst`, or
 * (NULL) for a table or global the host made.  NULL when out of memory. */
kiln_group *group_new(kiln_instance *inst);
/* Take and drop a handle on the group of node `g` (NULL: nothing).  The
 * last release destroys every instance of the group and frees its nodes. */
void group_retain(kiln_group *g);
void group_release(kiln_group *g);
/* A call into `inst` ends: one call fewer in its `running` count (the
 * last clears its interrupt mark, signals.c), and its group is freed if it
 * lost its last handle during a call and no other call is left. */
void group_call_leave(kiln_instance *inst);
/* One group from the groups of `a` and `b` (either may be NULL): their
 * handles add up. */
void group_join(kiln_group *a, kiln_group *b);
/* True for the ABI codes of references that name an instance: funcref
 * and exnref (an externref is the host's pointer). */
bool code_names_instance(uint8_t code);
/* The instance reference `ref` of ABI type `code` names, or NULL. */
kiln_instance *ref_instance(uint8_t code, const void *ref);
/* A reference of ABI type `code` is stored where group `g` reaches it
 * (NULL: nowhere that matters): joins g with the reference's group. */
void group_join_ref(kiln_group *g, uint8_t code, const void *ref);
/* The same for n values whose ABI types are codes[0..n). */
void group_join_values(kiln_group *g, const uint8_t *codes, const kiln_val *values, uint32_t n);

/* ---- types.c: canonical signature ids ------------------------------------- */
/* Interns a signature; ids start at 1 and are stable for the process.
 * Returns 0 when out of memory. */
uint32_t type_intern(uint32_t num_params, const uint8_t *params, uint32_t num_results,
                     const uint8_t *results);
bool type_lookup(uint32_t id, kiln_signature *out);
/* Every type of m: ids[i] for type i, structural across modules (a type
 * naming itself, as (ref $t) in its own definition, included).  False when
 * out of memory. */
bool types_intern_module(const kiln_module *m, uint32_t *ids);
/* Reference type `code` of module m, whose types have the given ids. */
rt_reftype rt_reftype_of(const kiln_module *m, const uint32_t *ids, uint8_t code);
/* What a host-made table or global of ABI type `code` holds. */
rt_reftype rt_reftype_abi(uint8_t code);
bool rt_reftype_sub(rt_reftype a, rt_reftype b);
/* A reference a host hands in (NULL, or a kiln_func_ref for function
 * types) is a value of type t. */
bool rt_ref_fits(rt_reftype t, const void *ref);
/* The arguments a host passes to a function of type `id` fit its typed
 * reference parameters ((ref $t), non-nullable ones); the first that does
 * not in *bad.  Wasm code trusts those types (call_ref checks only null).
 * *names_instances: some argument is a function or exception reference
 * (not null), whose group the callee's must join (group.c). */
bool type_args_fit(uint32_t id, const kiln_val *args, uint32_t *bad, bool *names_instances);
static inline bool rt_reftype_equal(rt_reftype a, rt_reftype b) {
    return rt_reftype_sub(a, b) && rt_reftype_sub(b, a);
}

/* ---- call.c / trap.c: entering wasm, traps, the stack limit --------------- */
/* The closure behind an imported host function: the import thunk passes
 * it to kiln_rt_call_host as its ctx. */
typedef struct host_closure {
    kiln_host_callback callback;
    void *env;
    kiln_instance *caller;
    uint32_t num_params;
    uint32_t type_id;
    /* A result is a function or exception reference: the host may hand the
     * caller one of another group's (group.c). */
    bool results_name_instances;
} host_closure;

/* The trampoline of host funcrefs: calls the closure directly. */
void host_trampoline(void *code, void *ctx, kiln_val *slots);
/* Runs fn(arg) with traps caught; returns KILN_TRAP_NONE or the trap. */
uint32_t trap_protect(void (*fn)(void *), void *arg);
/* Sets the thread's trap message. */
void trap_message_set(const char *message);
/* Forgets a kiln_host_trap_message() made before a host callback ran. */
void trap_host_message_reset(void);
/* True while this thread runs wasm (a trap has somewhere to go). */
bool trap_running(void);
/* Delivers a trap from a fault handler (async-signal-safe path). */
_Noreturn void trap_from_signal(uint32_t kind);
/* Limit to give a vmctx created now (the running thread's, if in wasm). */
/* The instance that owns a funcref (its vmctx, or its host closure's caller). */
kiln_instance *funcref_owner(const kiln_func_ref *f);

/* ---- backtrace.c: the wasm frames of a trap ------------------------------ */
/* At the trap (also from the fault handler): records the frames whose
 * canonical frame address lies in [low, entry], innermost first. */
void backtrace_capture(uintptr_t low, uintptr_t entry);
/* After the trap reached its entry: names the recorded frames. */
void backtrace_resolve(void);
/* A trap without wasm frames (or none yet). */
void backtrace_clear(void);
/* backtrace_lines.c: the source line of code address `ip` in the main
 * program, from its DWARF (kiln build -g); false if it has none.  Called
 * through this pointer, the only symbol backtrace_lines.c defines, so
 * that a program which defines it as NULL itself is linked without the
 * line reader (`kiln build` without -g: its executables have no DWARF
 * lines to read). */
extern bool (*const kiln_rt_line_reader)(uintptr_t ip, const char **file, uint32_t *line);

/* ---- signals.c: faults in guard-page reservations become traps ---------- */
/* Registers a reservation (installing the fault handler on first use);
 * false when the fixed table of reservations is full. */
bool signals_reservation_add(const void *base, uint64_t size);
void signals_reservation_remove(const void *base);
/* Registers the generated functions of a module as the one place where a
 * guard-page fault or an interrupt may trap (reference counted per
 * descriptor); false if their region could not be proved to hold nothing
 * else, or the table of regions is full. */
bool signals_module_add(const kiln_module_desc *d);
void signals_module_remove(const kiln_module_desc *d);
/* Around every host->wasm entry (kiln_call, the start function): records
 * which thread runs which instance.  `t` is kiln_thread_current() (may be
 * NULL), `inst` may be NULL.  enter returns false if the thread must not
 * run wasm (an interrupt is pending): leave must be called either way. */
bool interrupt_enter(kiln_thread *t, kiln_instance *inst);
void interrupt_leave(kiln_thread *t, kiln_instance *inst);
/* True if this thread is in wasm and an interrupt aimed at it is pending
 * (checked where a host function returns to wasm). */
bool interrupt_requested(void);

/* ---- exception.c ------------------------------------------------------------ */
/* A tag instance: identity is the object's address (an imported tag is
 * its exporter's object). */
struct kiln_tag_inst {
    uint32_t type_id; /* canonical id of its function type (types.c) */
    uint32_t num_params;
    kiln_instance *owner;
};
/* An exception object (kiln_rt_throw); an exnref points at one. */
typedef struct kiln_exn kiln_exn;
/* An instance's hold on an exception it kept as an exnref. */
typedef struct exn_hold exn_hold;
/* Lets go of an instance's holds: each exception no instance holds any
 * more is freed, unless the instance could have passed exnrefs to
 * another instance (exception.c, Lifetime). */
void exn_holds_release(kiln_instance *inst);
/* The instance an exnref names: its tag's (every frame that could catch
 * or keep it is in that instance's group). */
kiln_instance *exn_instance(const void *exnref);
/* The instance's bound on kept exceptions (`lim` may be NULL), and
 * whether its module can pass exnrefs on (exception.c, The bound). */
void exn_limit_init(kiln_instance *inst, const kiln_instance_limits *lim);
/* The thread's top of exceptions kept by frames, and the release to it:
 * trap_protect restores what it found, however its call ended. */
uint64_t exn_frames_mark(void);
void exn_frames_release(uint64_t mark);
/* trap.c: the innermost entry's frame, and the jump that ends its call
 * with KILN_TRAP_EXCEPTION (the exception's own storage is exception.c's). */
uintptr_t trap_entry_frame(void);
_Noreturn void trap_exception(void);

/* ---- instance.c ------------------------------------------------------------- */
typedef struct elem_values {
    void **refs;
    uint32_t count; /* 0 once dropped */
} elem_values;

struct kiln_instance {
    kiln_vmctx vmctx;
    const kiln_module_desc *desc;
    kiln_module *module;
    kiln_group *group;          /* its node (group.c): the instance is freed with its group */
    kiln_memory **memories;
    kiln_table **tables;
    kiln_global_inst **globals; /* NULL for own globals (module_own_globals) */
    kiln_func_ref *refs;        /* own records: defined funcs and host imports */
    host_closure *closures;     /* [num_imported_funcs] */
    kiln_group **joins;         /* groups of what it imports, joined once it is built */
    kiln_tag_inst *own_tags;         /* [num_tags - num_imported_tags] */
    kiln_tag_inst **tags;            /* [num_tags]: the tag index space */
    exn_hold *exns;             /* exceptions kept for exnrefs (exception.c, Lifetime) */
    uint64_t exn_bytes;         /* what they hold, against exn_limit (exception.c, The bound) */
    uint64_t exn_limit;
    bool exn_escapes;           /* the module can pass exnrefs on: its holds are never freed */
    uint32_t num_joins;
    elem_values *elems;         /* [num_elems] */
    uint32_t *data_sizes;       /* [num_datas], 0 once dropped */
    struct kiln_instance *next; /* registry of live instances */
    struct kiln_instance *prev;
    uint32_t running;           /* calls in progress (atomic; signals.c) */
    bool code_registered;       /* signals_module_add succeeded */
    kiln_pool *pool;            /* pooled: `module` belongs to `pooled`, slots to `pool` */
    struct pool_module *pooled;
};

/* A handle on the instance's group (released with kiln_instance_free). */
void instance_retain(kiln_instance *inst);
/* Frees the instance itself: only its group does (group.c). */
void instance_destroy(kiln_instance *inst);
/* Export `i` of the instance (i < its module's num_exports). */
void instance_export_at(kiln_instance *inst, uint32_t i, kiln_extern *out);
/* Fills *err (kind, printf-style message); returns false. */
bool instance_fail(kiln_instantiate_error *err, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Steps 2-5 for a decoded module `m`; `pool` and `pooled` are NULL unless
 * pool.c instantiates (then `m` is the pool's, not freed with the instance). */
kiln_instance *instance_instantiate(const kiln_module_desc *desc, kiln_module *m, kiln_pool *pool,
                                    struct pool_module *pooled, kiln_linker *l,
                                    const kiln_instance_limits *limits,
                                    kiln_instantiate_error *err);
/* The module a descriptor describes, read from its module image; NULL with
 * *err filled (KILN_INST_BAD_MODULE) for another ABI or a corrupt image. */
kiln_module *desc_module_read(const kiln_module_desc *desc, kiln_instantiate_error *err);
/* Calls fn(inst->vmctx) for every live instance, under the registry lock. */
void instance_each(void (*fn)(kiln_vmctx *ctx, uintptr_t value), uintptr_t value);

/* ---- pool.c: the pooling instance allocator ------------------------------------ */
/* The canonical type ids of a pooled module, computed once. */
const uint32_t *pool_module_type_ids(const struct pool_module *pm);
/* True if the pool's memory images already hold the module's active data
 * segments (instantiation then only drops them). */
bool pool_module_data_mapped(const struct pool_module *pm);
/* Defined memory `index` / table `index` of a pooled module, from a slot;
 * NULL with *err filled. */
kiln_memory *pool_memory_acquire(kiln_pool *p, struct pool_module *pm, uint32_t index,
                                 kiln_instantiate_error *err);
kiln_table *pool_table_acquire(kiln_pool *p, const struct pool_module *pm, uint32_t index,
                               kiln_instantiate_error *err);
/* Resets a released pooled memory / table and returns its slot. */
void pool_memory_return(kiln_memory *m);
void pool_table_return(kiln_table *t);
/* An instance of `pm` is gone (its memories and tables already released). */
void pool_instance_done(kiln_pool *p, struct pool_module *pm);
/* True if the environment variable KILN_POOL asks every kiln_instantiate
 * to go through one pool (a testing switch); *pool is that pool, NULL if
 * it could not be reserved. */
bool pool_from_environment(kiln_pool **pool);

/* ---- linker.c ---------------------------------------------------------------- */
typedef struct link_host_func {
    kiln_host_callback callback;
    void *env;
    uint32_t type_id;
    uint32_t num_params;
} link_host_func;

typedef struct link_entry {
    kiln_name module; /* malloc'ed copies: names may contain NUL bytes */
    kiln_name name;
    bool is_host;
    link_host_func host;
    kiln_extern value; /* when !is_host */
} link_entry;

const link_entry *linker_find(const kiln_linker *l, const kiln_name *module,
                              const kiln_name *name);
/* Defines (module, name) as a host function (names copied). */
bool linker_define_host(kiln_linker *l, const kiln_name *module, const kiln_name *name,
                        link_host_func host);
/* Slot of hash `h` in an open-addressing index of `cap` slots (a power of
 * two), keyed per process (types.c; the linker's index uses it too). */
uint32_t hash_slot(uint64_t h, uint32_t cap);

/* ---- import_check.c ---------------------------------------------------------- */
/* Why entry `e` cannot be bound to `imp` ("function signature differs",
 * "not a table", ...), or NULL if it can.  `func_type_id` is the canonical
 * id of a function import's type (types.c), else unused. */
/* type_ids: the canonical ids of the importing module m's types. */
const char *import_mismatch(const kiln_module *m, const uint32_t *type_ids, const kiln_import *imp,
                            uint32_t func_type_id, const link_entry *e);

/* ---- import_trap.c ------------------------------------------------------------ */
/* The callback of kiln_linker_define_unknown_imports_as_traps' entries:
 * traps "unknown import "m"."n" called".  instance.c binds it with env =
 * the importing module's kiln_import. */
uint32_t import_trap_call(void *env, kiln_instance *caller, const kiln_val *args,
                          kiln_val *results);
/* The callback of kiln_linker_define_unknown_imports_as_defaults'
 * entries: writes zeros to its results (env: how many) and returns. */
uint32_t import_default_call(void *env, kiln_instance *caller, const kiln_val *args,
                             kiln_val *results);

/* ---- constexpr.c ------------------------------------------------------------- */
/* Evaluates a validated constant expression against a partly built
 * instance (globals, funcs). */
kiln_val constexpr_eval(const kiln_instance *inst, const kiln_expr *e);

#endif
