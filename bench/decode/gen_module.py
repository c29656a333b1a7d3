#!/usr/bin/env python3
"""Writes a large, valid wasm module for timing kiln's decoder and validator.

The module has --funcs functions of type (i32 i32) -> i32, each a mix of
what compiled C looks like: locals, integer and float arithmetic, loads and
stores, nested blocks, loops, br_table, calls and a little SIMD.  Check it
with `wasm-validate` (wabt) before trusting a measurement.

usage: gen_module.py [--funcs N] [--stanzas K] OUT.wasm
"""
import argparse
import random
import struct


def uleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def sleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        done = (v == 0 and not b & 0x40) or (v == -1 and b & 0x40)
        out.append(b | (0 if done else 0x80))
        if done:
            return bytes(out)


def vec(items):
    return uleb(len(items)) + b"".join(items)


def section(sid, content):
    return bytes([sid]) + uleb(len(content)) + content


# Stanzas: each leaves the operand stack as it found it.  Locals: 0, 1 are
# the i32 params, 2 and 3 i32, 4 f64, 5 i64, 6 v128.
def stanza_arith(r):
    k = r.randrange(1, 1 << 20)
    return (b"\x20\x00\x20\x01\x6a" + b"\x41" + sleb(k) + b"\x6c" + b"\x20\x02\x73\x21\x02"
            + b"\x20\x03\x41\x05\x74\x20\x02\x6b\x21\x03")


def stanza_memory(r):
    off = r.randrange(0, 4096) & ~3
    return (b"\x20\x02\x41\xff\xff\x03\x71\x28\x02" + uleb(off) + b"\x21\x03"
            + b"\x20\x02\x41\xff\xff\x03\x71\x20\x03\x36\x02" + uleb(off + 4))


def stanza_float(r):
    return (b"\x20\x02\xb7\x44" + struct.pack("<d", r.random()) + b"\xa2\x20\x04\xa0\x22\x04"
            + b"\xfc\x02\x21\x03")


def stanza_control(r):
    return (b"\x02\x40\x03\x40\x20\x03\x41\x01\x6a\x22\x03\x41\x0a\x49\x0d\x00\x0b"
            + b"\x02\x40\x02\x40\x20\x02\x41\x03\x71\x0e\x02\x00\x01\x00\x0b\x20\x02\x41\x01\x6a\x21\x02\x0b"
            + b"\x20\x02\x04\x7f\x20\x03\x05\x20\x02\x0b\x21\x03\x0b")


def stanza_i64(r):
    return (b"\x20\x05\x20\x02\xac\x7c\x42" + sleb(r.randrange(-(1 << 40), 1 << 40))
            + b"\x7e\x22\x05\xa7\x20\x03\x6a\x21\x03")


def stanza_simd(r):
    return (b"\x20\x06\x20\x02\xfd\x11\xfd\xae\x01\x22\x06\xfd\x1b\x01\x20\x03\x6a\x21\x03")


STANZAS = [stanza_arith, stanza_memory, stanza_float, stanza_control, stanza_i64, stanza_simd]


def function_body(r, index, stanzas):
    locals_ = vec([uleb(2) + b"\x7f", uleb(1) + b"\x7c", uleb(1) + b"\x7e", uleb(1) + b"\x7b"])
    code = bytearray()
    for _ in range(stanzas):
        code += r.choice(STANZAS)(r)
    if index > 0:  # call an earlier function: a call graph like real code
        code += b"\x20\x02\x20\x03\x10" + uleb(r.randrange(index)) + b"\x21\x02"
    code += b"\x20\x02\x0b"
    body = locals_ + bytes(code)
    return uleb(len(body)) + body


def build(funcs, stanzas, seed):
    r = random.Random(seed)
    types = section(1, vec([b"\x60\x02\x7f\x7f\x01\x7f"]))
    functions = section(3, vec([b"\x00"] * funcs))
    memory = section(5, vec([b"\x00\x02"]))
    exports = section(7, vec([uleb(4) + b"main" + b"\x00" + uleb(funcs - 1)]))
    code = section(10, vec([function_body(r, i, stanzas) for i in range(funcs)]))
    return b"\x00asm\x01\x00\x00\x00" + types + functions + memory + exports + code


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--funcs", type=int, default=20000)
    ap.add_argument("--stanzas", type=int, default=24, help="stanzas per function")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    data = build(a.funcs, a.stanzas, a.seed)
    with open(a.out, "wb") as f:
        f.write(data)
    print(f"{a.out}: {len(data)} bytes, {a.funcs} functions")


if __name__ == "__main__":
    main()
