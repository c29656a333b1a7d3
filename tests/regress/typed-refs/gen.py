#!/usr/bin/env python3
"""Writes typed-refs.json and its typed-refs.N.wasm modules: typed function
references (call_ref, return_call_ref, br_on_null, br_on_non_null,
ref.as_non_null, non-nullable locals, a table with an initialiser).

wabt's wast2json (1.0.32) does not parse the 3.0 text syntax of these
instructions, so the modules are encoded here by hand, each next to the
text it stands for.  Run it from this directory after changing it:
    python3 gen.py
make test-regress runs the JSON script in both bounds modes at -O0 and -O2."""
import json
import os
import sys

# The LEB128 encoders of the decoder benchmark's module generator.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../bench/decode"))
from gen_module import sleb as s32, uleb as u32  # noqa: E402


def vec(items):
    return u32(len(items)) + b"".join(items)


def name(s):
    return u32(len(s)) + s.encode()


def section(sid, payload):
    return bytes([sid]) + u32(len(payload)) + payload


I32 = b"\x7f"
FUNCREF = b"\x70"


def ref(t):  # (ref $t)
    return b"\x64" + s32(t)


def ref_null(t):  # (ref null $t)
    return b"\x63" + s32(t)


def functype(params, results):
    return b"\x60" + vec(params) + vec(results)


def body(locals_, code):
    groups = [u32(n) + t for n, t in locals_]
    b = vec(groups) + code + b"\x0b"
    return u32(len(b)) + b


def module(types, funcs, exports=(), table=None, elem_declare=(), extra=b""):
    """funcs: [(type index, locals, code)]; exports: [(name, func index)]."""
    m = b"\x00asm\x01\x00\x00\x00"
    m += section(1, vec([functype(p, r) for p, r in types]))
    m += section(3, vec([u32(t) for t, _, _ in funcs]))
    if table:
        m += section(4, vec([table]))
    if exports:
        m += section(7, vec([name(n) + b"\x00" + u32(i) for n, i in exports]))
    if elem_declare:  # flags 3: declarative, elemkind funcref, function indices
        m += section(9, vec([u32(3) + b"\x00" + vec([u32(f) for f in elem_declare])]))
    m += section(10, vec([body(l, c) for _, l, c in funcs]))
    return m + extra


# Instructions.
def local_get(i): return b"\x20" + u32(i)
def local_set(i): return b"\x21" + u32(i)
def i32_const(v): return b"\x41" + s32(v)
def ref_func(f): return b"\xd2" + u32(f)
def ref_null_t(t): return b"\xd0" + s32(t)
def call_ref(t): return b"\x14" + u32(t)
def return_call_ref(t): return b"\x15" + u32(t)
def br_on_null(l): return b"\xd5" + u32(l)
def br_on_non_null(l): return b"\xd6" + u32(l)
def select_t(t): return b"\x1c\x01" + t
def block(bt): return b"\x02" + bt


REF_AS_NON_NULL = b"\xd4"
I32_ADD = b"\x6a"
DROP = b"\x1a"
RETURN = b"\x0f"
END = b"\x0b"
TABLE_GET0 = b"\x25\x00"

# (select (result (ref null $ii)) (ref.null $ii) (ref.func $inc) (local.get 0)):
# null when the parameter is non-zero.
NULL_IF_PARAM = ref_null_t(0) + ref_func(0) + local_get(0) + select_t(ref_null(0))

# (type $ii (func (param i32) (result i32)))
II = ([I32], [I32])
MAIN = module(
    types=[II, ([], [I32])],
    funcs=[
        # $inc: (i32.add (local.get 0) (i32.const 1))
        (0, [], local_get(0) + i32_const(1) + I32_ADD),
        # "call": (call_ref $ii (local.get 0) (ref.func $inc))
        (0, [], local_get(0) + ref_func(0) + call_ref(0)),
        # "null": (call_ref $ii (i32.const 1) (ref.null $ii))
        (1, [], i32_const(1) + ref_null_t(0) + call_ref(0)),
        # "bon": (block $l (br_on_null $l NULL_IF_PARAM) (drop) (return (i32.const 1)))
        #        (i32.const 0)
        (0, [], block(b"\x40") + NULL_IF_PARAM + br_on_null(0) + DROP + i32_const(1) + RETURN +
         END + i32_const(0)),
        # "bonn": (i32.const 41)
        #         (block $l (result (ref $ii)) (br_on_non_null $l NULL_IF_PARAM)
        #                   (return (i32.const 0)))
        #         (call_ref $ii)
        (0, [], i32_const(41) + block(ref(0)) + NULL_IF_PARAM + br_on_non_null(0) +
         i32_const(0) + RETURN + END + call_ref(0)),
        # "as_non_null": (drop (ref.as_non_null NULL_IF_PARAM)) (i32.const 7)
        (0, [], NULL_IF_PARAM + REF_AS_NON_NULL + DROP + i32_const(7)),
        # "tail": (return_call_ref $ii (local.get 0) (ref.func $inc))
        (0, [], local_get(0) + ref_func(0) + return_call_ref(0)),
        # "local": (local $f (ref $ii)) (local.set $f (ref.func $inc))
        #          (call_ref $ii (local.get 0) (local.get $f))
        (0, [(1, ref(0))], ref_func(0) + local_set(1) + local_get(0) + local_get(1) + call_ref(0)),
        # "table": (call_ref $ii (local.get 0) (table.get 0 (i32.const 1)))
        (0, [], local_get(0) + i32_const(1) + TABLE_GET0 + call_ref(0)),
    ],
    exports=[("call", 1), ("null", 2), ("bon", 3), ("bonn", 4), ("as_non_null", 5),
             ("tail", 6), ("local", 7), ("table", 8)],
    # (table 2 (ref $ii) (ref.func $inc)): the 3.0 form 0x40 0x00 type init
    table=b"\x40\x00" + ref(0) + b"\x00" + u32(2) + ref_func(0) + END,
    elem_declare=[0],
)

FT = [([], [])]
INVALID = [
    # (func (local (ref func)) (drop (local.get 0)))
    ("uninitialized local", module(FT, [(0, [(1, b"\x64\x70")], local_get(0) + DROP)])),
    # (func (local (ref func)) (block (local.set 0 (ref.func 0))) (drop (local.get 0)))
    ("uninitialized local",
     module(FT, [(0, [(1, b"\x64\x70")],
                  block(b"\x40") + ref_func(0) + local_set(0) + END + local_get(0) + DROP)],
            elem_declare=[0])),
    # (func (param funcref) (call_ref $t (local.get 0))): funcref is no (ref null $t)
    ("type mismatch", module([([FUNCREF], [])], [(0, [], local_get(0) + call_ref(0))])),
    # (func (param (ref null $t)) (block (br_on_non_null 0 (local.get 0)))): no label type
    ("type mismatch",
     module([([ref_null(0)], [])],
            [(0, [], block(b"\x40") + local_get(0) + br_on_non_null(0) + END)])),
    # (table 1 (ref func)): a non-nullable table needs an initialiser
    ("type mismatch", module(FT, [(0, [], b"")], table=b"\x64\x70\x00\x01")),
    # (type (func (param (ref 1)))) (type (func)): a type names a later one
    ("unknown type", module([([ref(1)], []), ([], [])], [])),
]


def i32(v):
    return {"type": "i32", "value": str(v & 0xFFFFFFFF)}


def invoke(field, *args):
    return {"type": "invoke", "field": field, "args": [i32(a) for a in args]}


def invalid_commands(stem, invalid, files, line):
    """assert_invalid commands, from `line` on, for [(text, module bytes)]
    written as STEM.1.wasm, STEM.2.wasm, ... (added to files)."""
    commands = []
    for k, (text, wasm) in enumerate(invalid, start=1):
        fname = "%s.%d.wasm" % (stem, k)
        files[fname] = wasm
        commands.append({"type": "assert_invalid", "line": line + k - 1, "filename": fname,
                         "text": text, "module_type": "binary"})
    return commands


def write_script(stem, files, commands):
    """Writes the modules {file name: bytes} and STEM.json holding the commands."""
    for fname, data in files.items():
        with open(fname, "wb") as f:
            f.write(data)
    with open(stem + ".json", "w") as f:
        json.dump({"source_filename": stem + ".wast", "commands": commands}, f, indent=1)
        f.write("\n")


def main():
    files = {"typed-refs.0.wasm": MAIN}
    commands = [{"type": "module", "line": 1, "filename": "typed-refs.0.wasm"}]
    returns = [("call", [4], 5), ("bon", [1], 0), ("bon", [0], 1), ("bonn", [0], 42),
               ("bonn", [1], 0), ("as_non_null", [0], 7), ("tail", [9], 10), ("local", [2], 3),
               ("table", [5], 6)]
    line = 2
    for field, args, want in returns:
        commands.append({"type": "assert_return", "line": line, "action": invoke(field, *args),
                         "expected": [i32(want)]})
        line += 1
    for field, args, text in [("null", [], "null function reference"),
                              ("as_non_null", [1], "null reference")]:
        commands.append({"type": "assert_trap", "line": line, "action": invoke(field, *args),
                         "text": text, "expected": [{"type": "i32"}]})
        line += 1
    commands += invalid_commands("typed-refs", INVALID, files, line)
    write_script("typed-refs", files, commands)


if __name__ == "__main__":
    main()
