#!/usr/bin/env python3
"""Writes exn-bound.json and its exn-bound.N.wasm modules: the bound on
exceptions kept as exnrefs (docs/sandbox.md, Limits, Kept exceptions).

Module 0: a loop that keeps every exception it catches must end in the
trap "too many live exceptions" at the instance's bound (kiln-spec
instantiates without limits: the default, 256 MiB), and the instance must
stay usable.  Each exception carries 1000 i64s (about 16 KB), so the bound
is reached after some 16,000 iterations rather than millions.

Module 1 (no exnref in any type, global or table: kept exceptions go with
the frame that kept them, compiler/lower_exn.c, Frames): loops of 100,000
exceptions of 200 i64s (3.2 KB each, 320 MB in all, past the bound) kept
by a helper and thrown on with throw_ref, or kept by a legacy catch_all
that may rethrow, must run to the end; a kept exception stays usable after
a nested catch took it again, and across a call that throws another.

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


# ---- module 1: kept exceptions go with their frame ----------------------------------

FRAME_PAYLOAD = 200
I32_SUB, I32_ADD, I32_EQZ = b"\x6b", b"\x6a", b"\x45"
CATCH, CATCH_ALL, CATCH_ALL_REF = b"\x00", b"\x02", b"\x03"
THROW_REF, RETHROW = b"\x0a", b"\x09"
TRY, LEGACY_CATCH, LEGACY_CATCH_ALL = b"\x06", b"\x07", b"\x19"


def lget(i): return b"\x20" + u32(i)
def lset(i): return b"\x21" + u32(i)
def call(f): return b"\x10" + u32(f)
def throw(t): return b"\x08" + u32(t)
def try_table(bt, clauses): return b"\x1f" + bt + vec(clauses)


def kept(code):
    """(block (result exnref) (try_table (catch_all_ref 0) CODE) (unreachable)): the exnref."""
    return b"\x02\x69" + try_table(b"\x40", [CATCH_ALL_REF + b"\x00"]) + code + END + UNREACHABLE + END


def payload_of(code):
    """(block (result i32) (try_table (catch $e 0) CODE) (unreachable)): $e's payload."""
    return b"\x02\x7f" + try_table(b"\x40", [CATCH + b"\x00\x00"]) + code + END + UNREACHABLE + END


# (local.set 0 (i32.sub (local.get 0) (i32.const 1))) and br_if 0 while it is not 0
COUNT_DOWN = lget(0) + b"\x41\x01" + I32_SUB + b"\x22\x00" + b"\x0d\x00"


def frames_module(payload):
    """The closed module; $big carries `payload` i64s."""
    t_void, t_ii, t_iv, t_big = range(4)
    types = [([], []), ([I32], [I32]), ([I32], []), ([I64] * payload, [])]
    funcs = [
        # 0 $thrower (param i32): (throw $e (local.get 0))
        (t_iv, [], lget(0) + throw(0)),
        # 1 $throw_big (param i32): (throw $big (i64.const 0) ...)
        (t_iv, [], b"\x42\x00" * payload + throw(1)),
        # 2 $helper (param i32): keeps a $big, then (throw_ref) it on
        (t_iv, [], kept(lget(0) + call(1)) + THROW_REF),
        # 3 "loop" (param $i i32) (result i32) (local $n i32): $n = $i; then $i times
        #   (block (try_table (catch_all 0) (call $helper (local.get $i))) (unreachable)); $n
        (t_ii, [(1, I32)],
         lget(0) + lset(1) + b"\x03\x40" + b"\x02\x40" +
         try_table(b"\x40", [CATCH_ALL + b"\x00"]) + lget(0) + call(2) + END + UNREACHABLE + END +
         COUNT_DOWN + END + lget(1)),
        # 4 "legacy_loop" (param $i i32) (result i32) (local $n i32): $i times
        #   (try (do (call $throw_big (local.get $i)))
        #        (catch_all (if (i32.eqz (local.get $i)) (then (rethrow 1)))))
        #   as C++ compiles a catch that may rethrow; $n
        (t_ii, [(1, I32)],
         lget(0) + lset(1) + b"\x03\x40" + TRY + b"\x40" + lget(0) + call(1) +
         LEGACY_CATCH_ALL + lget(0) + I32_EQZ + b"\x04\x40" + RETHROW + b"\x01" + END + END +
         COUNT_DOWN + END + lget(1)),
        # 5 "nested" (param $x i32) (result i32) (local $k exnref): $k = a kept (throw $e $x);
        #   twice: the payload of (throw_ref $k) caught by a nested (catch $e); the sum
        (t_ii, [(1, EXNREF)],
         kept(lget(0) + throw(0)) + lset(1) + payload_of(lget(1) + THROW_REF) +
         payload_of(lget(1) + THROW_REF) + I32_ADD),
        # 6 "across" (param $x i32) (result i32) (local $k exnref): $k = a kept (throw $e $x);
        #   the payload of (call $thrower (i32.const 1000)) caught, then that of (throw_ref $k)
        (t_ii, [(1, EXNREF)],
         kept(lget(0) + throw(0)) + lset(1) + payload_of(b"\x41\xe8\x07" + call(0)) +
         payload_of(lget(1) + THROW_REF) + I32_ADD),
        # 7 "escape" (param $x i32): a kept (throw $e $x), thrown on to the host
        (t_iv, [], kept(lget(0) + throw(0)) + THROW_REF),
        # 8 "legacy_rethrow" (param $x i32) (result i32):
        #   (try (result i32)
        #     (do (try (do (throw $e (local.get $x)))
        #              (catch $e (drop) (try (do (call $thrower (i32.const 5)))
        #                                    (catch_all (rethrow 1)))))
        #         (i32.const -1))
        #     (catch $e))
        (t_ii, [],
         TRY + b"\x7f" + TRY + b"\x40" + lget(0) + throw(0) + LEGACY_CATCH + b"\x00" + DROP +
         TRY + b"\x40" + b"\x41\x05" + call(0) + LEGACY_CATCH_ALL + RETHROW + b"\x01" + END +
         END + b"\x41\x7f" + LEGACY_CATCH + b"\x00" + END),
    ]
    exports = [("loop", 0, 3), ("legacy_loop", 0, 4), ("nested", 0, 5), ("across", 0, 6),
               ("escape", 0, 7), ("legacy_rethrow", 0, 8)]
    return module(types, funcs, tags=[t_iv, t_big], exports=exports)


EXNREF = b"\x69"
FRAMES = frames_module(FRAME_PAYLOAD)


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
    files["exn-bound.1.wasm"] = FRAMES
    commands.append({"type": "module", "line": 5, "filename": "exn-bound.1.wasm"})
    line = 6
    for field, arg, want in [("loop", 100000, 100000), ("legacy_loop", 100000, 100000),
                             ("nested", 21, 42), ("across", 7, 1007),
                             ("legacy_rethrow", 9, 9), ("loop", 3, 3)]:
        commands.append({"type": "assert_return", "line": line, "action": invoke(field, arg),
                         "expected": [i32(want)]})
        line += 1
    commands.append({"type": "assert_exception", "line": line, "action": invoke("escape", 4),
                     "expected": []})
    commands.append({"type": "assert_return", "line": line + 1, "action": invoke("nested", 2),
                     "expected": [i32(4)]})
    write_script("exn-bound", files, commands)


if __name__ == "__main__":
    main()
