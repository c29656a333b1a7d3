#!/usr/bin/env python3
"""patch_const.py IN.wasm OUT.wasm [--func K] - the smallest edit a
rebuild makes: the first `i32.const` of one function body gets another
value of the same encoded length, so nothing else in the module moves.
For measuring incremental recompiles (`kiln compile --cache`) on real
modules.  Prints the function index and the byte offset patched.

Walks the body's instructions up to that constant (immediates of the MVP,
bulk-memory, reference-types and SIMD opcodes); a function that reaches
an opcode this walker does not know first, or has no i32.const, is
skipped for the next one.
"""
import argparse
import sys


class Reader:
    def __init__(self, data, pos, end):
        self.data, self.pos, self.end = data, pos, end

    def byte(self):
        if self.pos >= self.end:
            raise ValueError("end of body")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def leb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def skip(self, n):
        self.pos += n


def blocktype(r):
    b = r.data[r.pos]
    if b == 0x40 or 0x6F <= b <= 0x7F:
        r.skip(1)
    else:
        r.leb()  # a type index, s33


def memarg(r):
    align = r.leb()
    if align & 0x40:
        r.leb()
    r.leb()


ONE_INDEX = {0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xD2}
NO_IMM = set(range(0x45, 0xC5)) | {0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1}


def fc_op(r):
    sub = r.leb()
    if sub <= 7:
        return
    counts = {8: 2, 9: 1, 10: 2, 11: 1, 12: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1}
    if sub not in counts:
        raise ValueError("0xFC %d" % sub)
    for _ in range(counts[sub]):
        r.leb()


def fd_op(r):
    sub = r.leb()
    if sub <= 11 or sub in (92, 93):
        memarg(r)
    elif 84 <= sub <= 91:
        memarg(r)
        r.skip(1)
    elif sub in (12, 13):
        r.skip(16)
    elif 21 <= sub <= 34:
        r.skip(1)


def first_i32_const(data, start, end):
    """Offset and length of the LEB of the body's first i32.const."""
    r = Reader(data, start, end)
    for _ in range(r.leb()):  # local groups
        r.leb()
        r.byte()
    while r.pos < end:
        op = r.byte()
        if op == 0x41:
            at = r.pos
            r.leb()
            return at, r.pos - at
        if op in NO_IMM:
            continue
        if op in (0x02, 0x03, 0x04):
            blocktype(r)
        elif op in ONE_INDEX:
            r.leb()
        elif op == 0x0E:
            for _ in range(r.leb() + 1):
                r.leb()
        elif op in (0x11, 0x13):
            r.leb()
            r.leb()
        elif op == 0x1C:
            for _ in range(r.leb()):
                r.byte()
        elif 0x28 <= op <= 0x3E:
            memarg(r)
        elif op in (0x3F, 0x40):
            r.leb()
        elif op == 0x42:
            r.leb()
        elif op == 0x43:
            r.skip(4)
        elif op == 0x44:
            r.skip(8)
        elif op == 0xD0:
            r.byte()
        elif op == 0xFC:
            fc_op(r)
        elif op == 0xFD:
            fd_op(r)
        else:
            raise ValueError("opcode 0x%02x" % op)
    return None


def bodies(data):
    """(function index among defined functions, body start, body end)."""
    r = Reader(data, 8, len(data))
    while r.pos < len(data):
        sid = r.byte()
        size = r.leb()
        if sid != 10:
            r.skip(size)
            continue
        for i in range(r.leb()):
            n = r.leb()
            yield i, r.pos, r.pos + n
            r.skip(n)
        return


def signed_leb(value, length):
    out = bytearray()
    for i in range(length):
        b = value & 0x7F
        value >>= 7
        out.append(b | (0x80 if i + 1 < length else 0))
    return bytes(out)


def decode_signed(b):
    result = shift = 0
    for byte in b:
        result |= (byte & 0x7F) << shift
        shift += 7
    if b[-1] & 0x40:
        result -= 1 << shift
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--func", type=int, help="defined-function index to start at (default: the middle)")
    a = p.parse_args()
    data = bytearray(open(a.input, "rb").read())
    all_bodies = list(bodies(data))
    start = a.func if a.func is not None else len(all_bodies) // 2
    for i, s, e in all_bodies[start:]:
        try:
            found = first_i32_const(data, s, e)
        except ValueError:
            continue
        if not found:
            continue
        at, n = found
        old = decode_signed(bytes(data[at:at + n]))
        # flip the lowest bit: same magnitude class, so the same length
        # when written in exactly n bytes (a padded LEB stays padded)
        data[at:at + n] = signed_leb(old ^ 1, n)
        open(a.output, "wb").write(data)
        print("patched defined function %d: i32.const %d -> %d at byte 0x%x" % (i, old, old ^ 1, at))
        return 0
    print("no patchable function from %d on" % start, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
