/* module_image.h - the module image: what a compiled object carries for
 * instantiation, written by the compiler (image_write.c) and read by the
 * runtime (runtime/image_read.c) without the decoder.
 *
 * Why a format of its own: the runtime used to re-decode a code-stripped
 * copy of the wasm binary, which made it link the whole front end
 * (decoder, validator, opcode tables).  The image holds the same facts as
 * a flat stream that a small reader turns back into the kiln_module the
 * runtime uses: no LEB128 outside constant expressions, no sections, no
 * instruction tables.
 *
 * Layout: a sequence of fields, each little-endian and fixed-width (u8,
 * u32, u64), in this order.  A name is `u32 len, len bytes, 0` (the NUL
 * lets the reader point into the image); an expression is `u32 len, len
 * bytes` holding a constant expression in the wasm binary encoding,
 * including its final `end` (len 0: none).  Only the counts of defined
 * entities are stored: imports fill the front of every index space.
 * Feature bits are not stored (their numbering may change between
 * versions of kiln, and instantiation needs none of them).
 *
 *   "KIMG" u32 version
 *   types     u32 n, n x {u32 params, u32 results, params+results valtype bytes}
 *   reftypes  u32 n, n x {u8 heap, u8 nullable, u32 type_index}
 *   imports   u32 n, n x {name module, name field, u8 kind, desc}
 *               desc: func, tag: u32 type; table: tabletype; memory: memtype;
 *                     global: globaltype
 *               limits {u8 has_max, u64 min, u64 max}
 *               tabletype {u8 elem_type, u8 is64, limits}
 *               memtype {u8 is64, u8 shared, limits}
 *               globaltype {u8 valtype, u8 mutable}
 *   funcs     u32 n, n x u32 type_index
 *   memories  u32 n, n x memtype
 *   tags      u32 n, n x u32 type_index
 *   globals   u32 n, n x {globaltype, expr init}
 *   tables    u32 n, n x {tabletype, expr init}
 *   exports   u32 n, n x {name, u8 kind, u32 index}
 *   start     u8 has_start, u32 index
 *   elems     u32 n, n x {u8 mode, u8 elem_type, u32 table, expr offset, u32 count,
 *                         u8 as_exprs, count x (as_exprs ? expr : u32 func_index)}
 *   datas     u32 n, n x {u8 mode, u32 memory, expr offset, u32 size, size bytes}
 *   names     name module_name, u32 n, n x {u32 func_index, name}  (sorted)
 *   "KEND"
 *
 * The reader checks every count, length and index it is given (an object
 * file on disk is input like any other) and fails with an offset into the
 * image; it does not re-validate what only the compiler's validator can
 * (types of constant expressions, segment bounds are checked at
 * instantiation as the spec says). */
#ifndef KILN_MODULE_IMAGE_H
#define KILN_MODULE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "module.h"

#define KILN_IMAGE_VERSION 1u

/* image_write.c: the image of m, which was decoded from bytes[0..size)
 * (constant expressions are copied from there).  *out is malloc'ed. */
bool module_image_write(const kiln_module *m, const uint8_t *bytes, size_t size, uint8_t **out,
                        size_t *out_size, kiln_error *err);

/* runtime/image_read.c: the module an image describes, or NULL with *err
 * filled (KILN_ERR_MALFORMED, offset into the image).  Data segment bytes
 * and names point into the image, which must outlive the module. */
kiln_module *module_image_read(const uint8_t *image, size_t size, kiln_error *err);

#endif
