#!/usr/bin/env python3
"""Writes typed-exnref.json and its typed-exnref.N.wasm modules: typed
exception references, (ref exn) and (ref null exn) = exnref, with the
bottom type noexn.  catch_ref and catch_all_ref hand their label a
(ref exn); it lives in a non-nullable local, a block result, a parameter,
an exnref global and an exnref table, goes back to throw_ref, and
ref.as_non_null / br_on_null / ref.is_null see its null.

wabt's wast2json (1.0.32) reads neither exnref nor try_table, so the
modules are encoded here by hand, each next to the text it stands for,
with the encoders of ../../regress/typed-refs/gen.py.  Run it from this
directory after changing it:
    python3 gen.py
make test-regress runs the JSON script in both bounds modes at -O0 and -O2."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../regress/typed-refs"))
from gen import (I32, FUNCREF, body, functype, i32, invoke, local_get, local_set,  # noqa: E402
                 i32_const, name, section, s32, u32, vec, block, br_on_null, REF_AS_NON_NULL,
                 I32_ADD, DROP, RETURN, END, write_script)

EXNREF = b"\x69"             # (ref null exn)
REF_EXN = b"\x64\x69"        # (ref exn)
NULLEXNREF = b"\x74"         # (ref null noexn)
REF_NULL_NOEXN = b"\x63\x74"  # the same, spelled out


def try_table(catches):
    """(try_table (catch...)) with an empty block type; catches are encoded clauses."""
    return b"\x1f\x40" + vec(catches)


def insn(opcode, *indices):
    """An instruction (or catch clause) with LEB128 index immediates."""
    return opcode + b"".join(u32(i) for i in indices)


# Opcodes with index immediates, and catch clause kinds: insn(THROW, tag).
CATCH, CATCH_REF, CATCH_ALL_REF = b"\x00", b"\x01", b"\x03"
THROW, CALL = b"\x08", b"\x10"
GLOBAL_GET, GLOBAL_SET, TABLE_GET, TABLE_SET = b"\x23", b"\x24", b"\x25", b"\x26"


def ref_null(ht): return b"\xd0" + ht


THROW_REF = b"\x0a"
UNREACHABLE = b"\x00"
REF_IS_NULL = b"\xd1"


def module(types, funcs, tags=(), tables=(), globals_=(), exports=(), imports=()):
    """funcs: [(type index, locals, code)]; tags: type indices; tables and
    globals: encoded entries; exports: [(name, kind, index)]; imports:
    [(module, name, kind, encoded type)]."""
    m = b"\x00asm\x01\x00\x00\x00"
    m += section(1, vec([functype(p, r) for p, r in types]))
    if imports:
        m += section(2, vec([name(a) + name(b) + bytes([k]) + t for a, b, k, t in imports]))
    m += section(3, vec([u32(t) for t, _, _ in funcs]))
    if tables:
        m += section(4, vec(list(tables)))
    if tags:
        m += section(13, vec([b"\x00" + u32(t) for t in tags]))
    if globals_:
        m += section(6, vec(list(globals_)))
    if exports:
        m += section(7, vec([name(n) + bytes([k]) + u32(i) for n, k, i in exports]))
    m += section(10, vec([body(l, c) for _, l, c in funcs]))
    return m


THROW_PARAM = local_get(0) + insn(THROW, 0)  # (throw $e (local.get 0))


def caught(clause, result, code=THROW_PARAM):
    """(block (result RESULT) (try_table (CLAUSE 0) CODE) (unreachable)): the value(s) the
    clause hands its label."""
    return block(result) + try_table([clause]) + code + END + UNREACHABLE + END


# Types.  $e's parameter is i32; t5 is the catch_ref label's [i32 (ref exn)].
T_TAG, T_II, T_I, T_RETHROW, T_NON_NULL, T_PAIR, T_VOID, T_IV, T_GIVE, T_NONE = range(10)
TYPES = [([I32], []), ([I32], [I32]), ([], [I32]), ([REF_EXN], []), ([EXNREF], [REF_EXN]),
         ([], [I32, REF_EXN]), ([], []), ([I32], []), ([I32], [REF_EXN]), ([], [EXNREF])]


def catch_payload(code):
    """The payload of the $e that CODE throws."""
    return caught(insn(CATCH, 0, 0), I32, code)


MAIN = module(
    types=TYPES,
    tags=[T_TAG],
    # (table $t 1 exnref)
    tables=[EXNREF + b"\x00\x01"],
    # (global $g (mut exnref) (ref.null exn)) (global $n nullexnref (ref.null noexn))
    globals_=[EXNREF + b"\x01" + ref_null(b"\x69") + END,
              NULLEXNREF + b"\x00" + ref_null(b"\x74") + END],
    funcs=[
        # 0 $rethrow (param (ref exn)): (throw_ref (local.get 0))
        (T_RETHROW, [], local_get(0) + THROW_REF),
        # 1 "catch_ref" (param i32) (result i32) (local $x (ref exn)):
        #   catch_ref gives [i32 (ref exn)]; keep the (ref exn) in $x, drop the payload,
        #   rethrow $x through $rethrow and return its payload + 1.
        (T_II, [(1, REF_EXN)],
         caught(insn(CATCH_REF, 0, 0), s32(T_PAIR)) + local_set(1) + DROP +
         catch_payload(local_get(1) + insn(CALL, 0)) + i32_const(1) + I32_ADD),
        # 2 "global" (param i32) (result i32): catch_all_ref into a (result (ref exn)) block,
        #   into the exnref global $g, then (throw_ref (global.get $g)) caught for its payload.
        (T_II, [],
         caught(insn(CATCH_ALL_REF, 0), REF_EXN) + insn(GLOBAL_SET, 0) +
         catch_payload(insn(GLOBAL_GET, 0) + THROW_REF)),
        # 3 "table" (param i32) (result i32): the same through (table.set $t (i32.const 0) ..),
        #   back with (ref.as_non_null (table.get $t (i32.const 0))) as $rethrow's (ref exn).
        (T_II, [],
         i32_const(0) + caught(insn(CATCH_ALL_REF, 0), REF_EXN) + insn(TABLE_SET, 0) +
         catch_payload(i32_const(0) + insn(TABLE_GET, 0) + REF_AS_NON_NULL + insn(CALL, 0))),
        # 4 "br_on_null" (result i32): (block (br_on_null 0 (global.get $g)) (drop)
        #   (return (i32.const 1))) (i32.const 0)
        (T_I, [],
         block(b"\x40") + insn(GLOBAL_GET, 0) + br_on_null(0) + DROP + i32_const(1) + RETURN +
         END + i32_const(0)),
        # 5 "clear" (result i32): nullexnref <: exnref: (global.set $g (global.get $n)),
        #   then (ref.is_null (global.get $g)).
        (T_I, [], insn(GLOBAL_GET, 1) + insn(GLOBAL_SET, 0) + insn(GLOBAL_GET, 0) + REF_IS_NULL),
        # 6 $non_null (param exnref) (result (ref exn)): (ref.as_non_null (local.get 0))
        (T_NON_NULL, [], local_get(0) + REF_AS_NON_NULL),
        # 7 "null_as_non_null": (drop (call $non_null (ref.null exn)))
        (T_VOID, [], ref_null(b"\x69") + insn(CALL, 6) + DROP),
        # 8 "throw_null": (throw_ref (ref.null noexn))
        (T_VOID, [], ref_null(b"\x74") + THROW_REF),
        # 9 "escape" (param i32): catch_all_ref, then $rethrow it out of the module
        (T_IV, [], caught(insn(CATCH_ALL_REF, 0), REF_EXN) + insn(CALL, 0)),
        # 10 "table_null" (result i32): (ref.is_null (table.get $t (i32.const 0))) after
        #   (table.set $t (i32.const 0) (ref.null noexn))
        (T_I, [],
         i32_const(0) + ref_null(b"\x74") + insn(TABLE_SET, 0) + i32_const(0) +
         insn(TABLE_GET, 0) + REF_IS_NULL),
        # 11 "give" (param i32) (result (ref exn)): a caught exception, returned to the host
        (T_GIVE, [], caught(insn(CATCH_ALL_REF, 0), REF_EXN)),
        # 12 "none" (result exnref): (ref.null exn)
        (T_NONE, [], ref_null(b"\x69")),
    ],
    exports=[("give", 0, 11), ("none", 0, 12), ("catch_ref", 0, 1), ("global", 0, 2),
             ("table", 0, 3), ("br_on_null", 0, 4),
             ("clear", 0, 5), ("null_as_non_null", 0, 7), ("throw_null", 0, 8),
             ("escape", 0, 9), ("table_null", 0, 10), ("g", 3, 0), ("t", 1, 0)],
)

FT = [([], [])]

# Another module imports $g and $t, registered as "M", by their exnref types:
# (import "M" "g" (global $g (mut exnref))) (import "M" "t" (table 1 exnref))
# (func (export "imported") (result i32)
#   (i32.add (ref.is_null (global.get $g)) (ref.is_null (table.get (i32.const 0)))))
IMPORTS_OK = module(
    types=[([], [I32])],
    imports=[("M", "g", 3, EXNREF + b"\x01"), ("M", "t", 1, EXNREF + b"\x00\x01")],
    funcs=[(0, [], insn(GLOBAL_GET, 0) + REF_IS_NULL + i32_const(0) + insn(TABLE_GET, 0) +
            REF_IS_NULL + I32_ADD)],
    exports=[("imported", 0, 0)])
# The same global as (mut funcref), the table as funcref, the global as (mut (ref exn)):
# an exnref is none of them.
UNLINKABLE = [module(FT, [], imports=[("M", "g", 3, FUNCREF + b"\x01")]),
              module(FT, [], imports=[("M", "t", 1, FUNCREF + b"\x00\x01")]),
              module(FT, [], imports=[("M", "g", 3, REF_EXN + b"\x01")])]

TAG_FT = [([], []), ([I32], [])]
INVALID = [
    # (func (block (result nullexnref) (try_table (catch_all_ref 0)) (unreachable)) (drop)):
    # (ref exn) is not a (ref null noexn)
    ("type mismatch",
     module(FT, [(0, [], caught(insn(CATCH_ALL_REF, 0), REF_NULL_NOEXN, b"") + DROP)])),
    # the same into a funcref label: exn and func are different hierarchies
    ("type mismatch", module(FT, [(0, [], caught(insn(CATCH_ALL_REF, 0), FUNCREF, b"") + DROP)])),
    # (func (param exnref) (result (ref exn)) (local.get 0)): exnref may be null
    ("type mismatch", module([([EXNREF], [REF_EXN])], [(0, [], local_get(0))])),
    # (func (local (ref exn)) (drop (local.get 0))): never set
    ("uninitialized local", module(FT, [(0, [(1, REF_EXN)], local_get(0) + DROP)])),
    # (global (ref exn) (ref.null exn))
    ("type mismatch", module(FT, [], globals_=[REF_EXN + b"\x00" + ref_null(b"\x69") + END])),
    # (table 1 (ref exn)): a non-nullable table needs an initialiser
    ("type mismatch", module(FT, [], tables=[REF_EXN + b"\x00\x01"])),
    # (func (param funcref) (throw_ref (local.get 0)))
    ("type mismatch", module([([FUNCREF], [])], [(0, [], local_get(0) + THROW_REF)])),
    # (tag (param i32)) (func (block (result i64 (ref exn)) (try_table (catch_ref 0 0)) ..)):
    # the payload does not fit the label
    ("type mismatch",
     module(TAG_FT + [([], [b"\x7e", REF_EXN])],
            [(0, [], caught(insn(CATCH_REF, 0, 0), s32(2), b"") + DROP + DROP)], tags=[1])),
]


def main():
    files = {"typed-exnref.0.wasm": MAIN}
    commands = [{"type": "module", "line": 1, "filename": "typed-exnref.0.wasm"}]
    line = 2

    def add(cmd):
        nonlocal line
        cmd["line"] = line
        commands.append(cmd)
        line += 1

    # Order matters: "global" fills $g, "clear" empties it.
    for field, args, want in [("catch_ref", [41], [42]), ("global", [5], [5]),
                              ("br_on_null", [], [1]), ("table", [9], [9]),
                              ("clear", [], [1]), ("br_on_null", [], [0]),
                              ("table_null", [], [1])]:
        add({"type": "assert_return", "action": invoke(field, *args),
             "expected": [i32(w) for w in want]})
    # (ref.exn): any non-null exception reference; then a null one
    add({"type": "assert_return", "action": invoke("give", 1), "expected": [{"type": "exnref"}]})
    add({"type": "assert_return", "action": invoke("none"),
         "expected": [{"type": "exnref", "value": "null"}]})
    add({"type": "assert_trap", "action": invoke("null_as_non_null"), "text": "null reference",
         "expected": []})
    add({"type": "assert_trap", "action": invoke("throw_null"),
         "text": "null exception reference", "expected": []})
    add({"type": "assert_exception", "action": invoke("escape", 3), "expected": []})
    for k, (text, wasm) in enumerate(INVALID, start=1):
        fname = "typed-exnref.%d.wasm" % k
        files[fname] = wasm
        add({"type": "assert_invalid", "filename": fname, "text": text, "module_type": "binary"})
    # Linking by exnref types; $g and $t are null after "clear" and "table_null".
    add({"type": "register", "as": "M"})
    k = len(INVALID) + 1
    files["typed-exnref.%d.wasm" % k] = IMPORTS_OK
    add({"type": "module", "filename": "typed-exnref.%d.wasm" % k})
    add({"type": "assert_return", "action": invoke("imported"), "expected": [i32(2)]})
    for wasm in UNLINKABLE:
        k += 1
        files["typed-exnref.%d.wasm" % k] = wasm
        add({"type": "assert_unlinkable", "filename": "typed-exnref.%d.wasm" % k,
             "text": "incompatible import type", "module_type": "binary"})
    write_script("typed-exnref", files, commands)


if __name__ == "__main__":
    main()
