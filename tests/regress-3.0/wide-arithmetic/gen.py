#!/usr/bin/env python3
"""Writes wide-arithmetic.json and its wide-arithmetic.N.wasm modules: the
wide-arithmetic proposal (i64.add128, i64.sub128, i64.mul_wide_s,
i64.mul_wide_u) where kiln's lowering could go wrong: two results that
feed a four-operand instruction, a loop that carries a 128-bit value in
locals (30! needs 108 bits), a block with two results, operands that the
optimiser folds as constants, and the typing of the two results.
Expected values come from Python's integers, not from kiln.

wabt's wast2json (1.0.32) does not know these instructions, so the
modules are encoded here by hand, each next to the text it stands for,
with the encoders of ../../regress/typed-refs/gen.py.  Run it from this
directory after changing it:
    python3 gen.py
make test-regress runs the JSON script in both bounds modes at -O0 and -O2
(kiln-spec turns every feature on for .json scripts)."""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../regress/typed-refs"))
from gen import (I32, body, functype, local_get, local_set, i32_const, name, section,  # noqa: E402
                 s32, u32, vec, block, DROP, END, write_script, invalid_commands)

I64 = b"\x7e"
ADD128, SUB128, MUL_WIDE_S, MUL_WIDE_U = (b"\xfc" + u32(c) for c in range(0x13, 0x17))
I64_ADD, I64_MUL, I64_XOR = b"\x7c", b"\x7e", b"\x85"
I64_EQZ, I32_EQZ, BR_IF = b"\x50", b"\x45", b"\x0d"
MASK = (1 << 64) - 1


def i64_const(v): return b"\x42" + s32(v)
def loop(bt): return b"\x03" + bt


def module(types, funcs, exports=()):
    """funcs: [(type index, locals, code)]; exports: [(name, func index)]."""
    m = b"\x00asm\x01\x00\x00\x00"
    m += section(1, vec([functype(p, r) for p, r in types]))
    m += section(3, vec([u32(t) for t, _, _ in funcs]))
    if exports:
        m += section(7, vec([name(n) + b"\x00" + u32(i) for n, i in exports]))
    m += section(10, vec([body(l, c) for _, l, c in funcs]))
    return m


T_PAIR_PAIR, T_PAIR, T_NONE_PAIR, T_ONE_PAIR, T_PAIR_ONE = range(5)
TYPES = [([I64] * 4, [I64, I64]), ([I64, I64], [I64, I64]), ([], [I64, I64]), ([I64], [I64, I64]),
         ([I64, I64], [I64])]

MAIN = module(
    types=TYPES,
    funcs=[
        # "mul_s_add" (param $a i64 $b i64) (result i64 i64):
        #   (i64.add128 (i64.mul_wide_s (local.get $a) (local.get $b)) (i64.const 1) (i64.const 0))
        (T_PAIR, [], local_get(0) + local_get(1) + MUL_WIDE_S + i64_const(1) + i64_const(0) +
         ADD128),
        # "neg" (param $lo i64 $hi i64) (result i64 i64):
        #   (i64.sub128 (i64.const 0) (i64.const 0) (local.get $lo) (local.get $hi))
        (T_PAIR, [], i64_const(0) + i64_const(0) + local_get(0) + local_get(1) + SUB128),
        # "fact" (param $n i64) (result i64 i64) (local $lo i64 $hi i64 $k i64):
        #   $lo = 1; $k = $n
        #   (loop: (if (i64.eqz $k) leave)
        #          $hi = $hi * $k + high(mul_wide_u $lo $k); $lo = low(...); $k -= 1)
        #   ($lo, $hi)
        (T_ONE_PAIR, [(3, I64)],
         i64_const(1) + local_set(1) + local_get(0) + local_set(3) +
         block(b"\x40") + loop(b"\x40") +
         local_get(3) + I64_EQZ + BR_IF + u32(1) +
         local_get(1) + local_get(3) + MUL_WIDE_U +          # lo*k: (plo, phi)
         local_get(2) + local_get(3) + I64_MUL + I64_ADD +  # phi + hi*k
         local_set(2) + local_set(1) +
         local_get(3) + i64_const(-1) + I64_ADD + local_set(3) +
         b"\x0c" + u32(0) + END + END +                       # br 0 (loop), end loop, end block
         local_get(1) + local_get(2)),
        # "folded" (result i64 i64): (i64.add128 (i64.const -1) (i64.const -1)
        #                                        (i64.const 1) (i64.const 0)): all constants
        (T_NONE_PAIR, [], i64_const(-1) + i64_const(-1) + i64_const(1) + i64_const(0) + ADD128),
        # "folded_mul" (result i64 i64): (i64.mul_wide_u (i64.const -1) (i64.const -1))
        (T_NONE_PAIR, [], i64_const(-1) + i64_const(-1) + MUL_WIDE_U),
        # "block_xor" (param $a i64 $b i64) (result i64):
        #   (block (result i64 i64) (i64.mul_wide_u (local.get $a) (local.get $b))) (i64.xor)
        (T_PAIR_ONE, [], block(s32(T_NONE_PAIR)) + local_get(0) + local_get(1) + MUL_WIDE_U +
         END + I64_XOR),
        # "add" / "sub": the plain instructions on parameters
        (T_PAIR_PAIR, [], local_get(0) + local_get(1) + local_get(2) + local_get(3) + ADD128),
        (T_PAIR_PAIR, [], local_get(0) + local_get(1) + local_get(2) + local_get(3) + SUB128),
    ],
    exports=[("mul_s_add", 0), ("neg", 1), ("fact", 2), ("folded", 3), ("folded_mul", 4),
             ("block_xor", 5), ("add", 6), ("sub", 7)],
)

FT = [([], [])]
INVALID = [
    # (func (drop (drop (i64.add128 (i64.const 0) (i64.const 0) (i64.const 0))))): 3 operands
    ("type mismatch",
     module(FT, [(0, [], i64_const(0) + i64_const(0) + i64_const(0) + ADD128 + DROP + DROP)])),
    # (func (drop (i32.eqz (i64.mul_wide_s (i64.const 1) (i64.const 2))))): the high half is i64
    ("type mismatch",
     module(FT, [(0, [], i64_const(1) + i64_const(2) + MUL_WIDE_S + I32_EQZ + DROP + DROP)])),
    # (func (i64.mul_wide_u (i32.const 1) (i64.const 2)) (drop) (drop))
    ("type mismatch",
     module(FT, [(0, [], i32_const(1) + i64_const(2) + MUL_WIDE_U + DROP + DROP)])),
    # (func (drop (i64.sub128 (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)))): one left
    ("type mismatch",
     module(FT, [(0, [], i64_const(1) + i64_const(2) + i64_const(3) + i64_const(4) + SUB128 +
                  DROP)])),
]


def i64(v):
    return {"type": "i64", "value": str(v & MASK)}


def pair(v):
    """A 128-bit value as its (low, high) results."""
    return [i64(v), i64(v >> 64)]


def halves(v):
    return [v & MASK, (v >> 64) & MASK]


def invoke(field, args):
    return {"type": "invoke", "field": field, "args": [i64(a) for a in args]}


def main():
    files = {"wide-arithmetic.0.wasm": MAIN}
    commands = [{"type": "module", "line": 1, "filename": "wide-arithmetic.0.wasm"}]
    big = (1 << 127) - 3  # near the signed edge
    returns = [
        ("mul_s_add", [-3, 7], pair(-21 + 1)),
        ("mul_s_add", [-(1 << 63), -1], pair((1 << 63) + 1)),
        ("neg", halves(1), pair(-1)),
        ("neg", halves(big), pair(-big)),
        ("fact", [30], pair(math.factorial(30))),
        ("fact", [0], pair(1)),
        ("folded", [], pair(0)),
        ("folded_mul", [], pair(MASK * MASK)),
        ("block_xor", [MASK, 3], [i64((MASK * 3 & MASK) ^ (MASK * 3 >> 64))]),
        ("add", halves(big) + halves(big), pair(2 * big)),
        ("sub", halves(5) + halves(big), pair(5 - big)),
    ]
    line = 2
    for field, args, want in returns:
        commands.append({"type": "assert_return", "line": line, "action": invoke(field, args),
                         "expected": want})
        line += 1
    commands += invalid_commands("wide-arithmetic", INVALID, files, line)
    write_script("wide-arithmetic", files, commands)


if __name__ == "__main__":
    main()
