/* abi_check.c - pins the layout of include/kiln_abi.h.
 *
 * Generated code hard-codes these offsets (the compiler builds LLVM
 * struct types that mirror the C layouts), so any drift must fail the
 * build, not corrupt memory at run time.  LP64 hosts only. */
#include <stddef.h>

#include "kiln_abi.h"

_Static_assert(sizeof(void *) == 8, "kiln's ABI assumes a 64-bit host");

_Static_assert(sizeof(kiln_val) == 16, "kiln_val is one 16-byte slot");
_Static_assert(offsetof(kiln_val, i32) == 0 && offsetof(kiln_val, f64) == 0 &&
                   offsetof(kiln_val, ref) == 0,
               "every kiln_val member starts at offset 0");

_Static_assert(offsetof(kiln_vmctx, mem0_base) == KILN_VMCTX_OFFSET_MEM0_BASE, "mem0_base");
_Static_assert(offsetof(kiln_vmctx, mem0_size) == KILN_VMCTX_OFFSET_MEM0_SIZE, "mem0_size");
_Static_assert(offsetof(kiln_vmctx, interrupt) == 24, "interrupt");
_Static_assert(offsetof(kiln_vmctx, interrupt) == KILN_VMCTX_OFFSET_INTERRUPT, "interrupt");
_Static_assert(offsetof(kiln_vmctx, memories) == KILN_VMCTX_OFFSET_MEMORIES, "memories");
_Static_assert(offsetof(kiln_vmctx, tables) == KILN_VMCTX_OFFSET_TABLES, "tables");
_Static_assert(offsetof(kiln_vmctx, globals) == KILN_VMCTX_OFFSET_GLOBALS, "globals");
_Static_assert(offsetof(kiln_vmctx, funcs) == KILN_VMCTX_OFFSET_FUNCS, "funcs");
_Static_assert(offsetof(kiln_vmctx, type_ids) == KILN_VMCTX_OFFSET_TYPE_IDS, "type_ids");
_Static_assert(offsetof(kiln_vmctx, instance) == KILN_VMCTX_OFFSET_INSTANCE, "instance");
_Static_assert(sizeof(kiln_vmctx) == 80, "kiln_vmctx size");

_Static_assert(offsetof(kiln_func_ref, code) == 0, "func_ref.code");
_Static_assert(offsetof(kiln_func_ref, ctx) == 8, "func_ref.ctx");
_Static_assert(offsetof(kiln_func_ref, type_id) == 16, "func_ref.type_id");
_Static_assert(offsetof(kiln_func_ref, trampoline) == 24, "func_ref.trampoline");
_Static_assert(sizeof(kiln_func_ref) == 32, "kiln_func_ref size");

_Static_assert(offsetof(kiln_table_rt, elems) == 0, "table.elems");
_Static_assert(offsetof(kiln_table_rt, size) == 8, "table.size");
_Static_assert(offsetof(kiln_table_rt, max) == 12, "table.max");
_Static_assert(offsetof(kiln_table_rt, elem_type) == 16, "table.elem_type");
_Static_assert(sizeof(kiln_table_rt) == 24, "kiln_table_rt size");

_Static_assert(offsetof(kiln_memory_rt, base) == 0, "memory.base");
_Static_assert(offsetof(kiln_memory_rt, size) == 8, "memory.size");
_Static_assert(offsetof(kiln_memory_rt, max_pages) == 16, "memory.max_pages");
_Static_assert(sizeof(kiln_memory_rt) == 24, "kiln_memory_rt size");

_Static_assert(offsetof(kiln_module_desc, abi_version) == 0, "desc.abi_version");
_Static_assert(offsetof(kiln_module_desc, flags) == 4, "desc.flags");
_Static_assert(offsetof(kiln_module_desc, image) == 8, "desc.image");
_Static_assert(offsetof(kiln_module_desc, image_size) == 16, "desc.image_size");
_Static_assert(offsetof(kiln_module_desc, num_imported_funcs) == 24, "desc.num_imported_funcs");
_Static_assert(offsetof(kiln_module_desc, num_defined_funcs) == 28, "desc.num_defined_funcs");
_Static_assert(offsetof(kiln_module_desc, func_code) == 32, "desc.func_code");
_Static_assert(offsetof(kiln_module_desc, func_trampolines) == 40, "desc.func_trampolines");
_Static_assert(offsetof(kiln_module_desc, import_thunks) == 48, "desc.import_thunks");
_Static_assert(offsetof(kiln_module_desc, func_bodies) == 56, "desc.func_bodies");
_Static_assert(sizeof(kiln_module_desc) == 64, "kiln_module_desc size");

_Static_assert(KILN_TRAP_UNREACHABLE == 1 && KILN_TRAP_CALL_STACK_EXHAUSTED == 10 &&
                   KILN_TRAP_EXIT == 14,
               "trap kinds are baked into generated code");
