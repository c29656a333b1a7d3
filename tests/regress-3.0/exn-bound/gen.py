#!/usr/bin/env python3
"""Writes exn-bound.json and its exn-bound.N.wasm modules: the bound on
exceptions kept as exnrefs (docs/sandbox.md, Limits, Kept exceptions).

A loop that keeps every exception it catches must end in the trap "too
many live exceptions" at the instance's bound (kiln-spec instantiates
without limits: the default, 256 MiB), and the instance must stay usable.
Each exception carries 1000 i64s (about 16 KB), so the bound is reached
after some 16,000 iterations rather than millions.

wabt's wast2json (1.0.32) reads neither exnref nor try_table, so the
modules are encoded here by hand, with the encoders of
../../regress/typed-refs/gen.py.  Run it from this directory after
changing it:
    python3 gen.py
make test-regress runs the JSON script in both bounds modes at -O0 and -O2."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../regress/typed-refs"))
from gen import I32, body, functype, i32, invoke, name, section, u32, vec, write_script  # noqa: E402

I64 = b"\x7e"
END, DROP, UNREACHABLE = b"\x0b", b"\x1a", b"\x00"
CATCH_ALL_REF = b"\x03"
PAYLOAD = 1000


def module(types, funcs, tags=(), exports=()):
    """funcs: [(type index, locals, code)]; tags: type indices; exports: [(name, kind, index)]."""
    m = b"\x00asm\x01\x00\x00\x00"
    m += section(1, vec([functype(p, r) for p, r in types]))
    m += section(3, vec([u32(t) for t, _, _ in funcs]))
    if tags:
        m += section(13, vec([b"\x00" + u32(t) for t in tags]))
    if exports:
        m += section(7, vec([name(n) + bytes([k]) + u32(i) for n, k, i in exports]))
    m += section(10, vec([body(l, c) for _, l, c in funcs]))
    return m


T_VOID, T_I, T_BIG = range(3)
TYPES = [([], []), ([], [I32]), ([I64] * PAYLOAD, [])]

# (throw $big (i64.const 0) x 1000)
THROW_BIG = b"\x42\x00" * PAYLOAD + b"\x08\x00"

MAIN = module(
    types=TYPES,
    tags=[T_BIG],
    funcs=[
        # 0 "keep_forever": (loop (block (result exnref)
        #   (try_table (catch_all_ref 0) (throw $big ...)) (unreachable)) (drop) (br 0))
        (T_VOID, [],
         b"\x03\x40" + b"\x02\x69" + b"\x1f\x40\x01" + CATCH_ALL_REF + b"\x00" + THROW_BIG + END +
         UNREACHABLE + END + DROP + b"\x0c\x00" + END),
        # 1 "seven": (i32.const 7)
        (T_I, [], b"\x41\x07"),
    ],
    exports=[("keep_forever", 0, 0), ("seven", 0, 1)],
)


def main():
    files = {"exn-bound.0.wasm": MAIN}
    commands = [{"type": "module", "line": 1, "filename": "exn-bound.0.wasm"}]
    trap = {"type": "assert_trap", "action": invoke("keep_forever"),
            "text": "too many live exceptions", "expected": []}
    commands.append(dict(trap, line=2))
    commands.append({"type": "assert_return", "line": 3, "action": invoke("seven"),
                     "expected": [i32(7)]})
    # Still full: the next kept exception traps at once.
    commands.append(dict(trap, line=4))
    write_script("exn-bound", files, commands)


if __name__ == "__main__":
    main()
