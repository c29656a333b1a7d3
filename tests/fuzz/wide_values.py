#!/usr/bin/env python3
"""wide_values.py - random programs that move values in groups of more
than 16, against wabt's interpreter.

Calls of more than 16 parameters, results that do not fit the return
registers, and branches of more than 16 values go through a buffer of
value slots, and results passed straight on stay in it
(compiler/lower.c, io_slot_holds; docs/abi.md, *Functions*).  Whether a
slot still holds a value depends on every path between its store or load
and its use, so this generates programs that mix the ways a group moves
(calls, blocks, ifs with and without else, loops, br_if, br_table, calls
that overwrite the buffer in between), runs each under wabt's
spectest-interp for the expected results, and then under kiln-spec at
-O0 and -O2 in both bounds modes.

    python3 tests/fuzz/wide_values.py --spec build/kiln-spec [--count N] [--seed S]

Exit status 0 when every program agrees.
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile

WIDTHS = (17, 20)


class Program:
    """One module: helpers for a width W, and a main(p, q) whose body
    builds a group of W values in random ways and sums it."""

    def __init__(self, rng, width):
        self.rng = rng
        self.w = width
        self.locals = 0
        self.labels = 0

    def cond(self):
        bit = self.rng.randrange(16)
        return "(i32.and (i32.shr_u (local.get 1) (i32.const %d)) (i32.const 1))" % bit

    def fresh_local(self):
        self.locals += 1
        return "$c%d" % self.locals

    def label(self):
        self.labels += 1
        return "$l%d" % self.labels

    def clobber(self):
        """A call that writes the buffer while the group waits below."""
        return "(drop (call $take (call $make (i32.const %d))))" % self.rng.randrange(1000)

    def transform(self):
        """Instructions that take the group on top and leave one."""
        return self.rng.choice(("", "(call $rot)", "(call $rot) (call $rot)", self.clobber(),
                                self.clobber() + " (call $rot)", "(call $rot) " + self.clobber()))

    def group(self, depth):
        """Instructions that leave W values on the stack."""
        r = self.rng
        if depth <= 0 or r.random() < 0.2:
            return "(call $make (i32.add (local.get 0) (i32.const %d)))" % r.randrange(100)
        kind = r.randrange(10)
        inner = self.group(depth - 1)
        if kind == 0:
            return "%s (call $rot)" % inner
        if kind == 1:
            return "(block (type $v) %s)" % inner
        if kind == 2:
            b = self.label()
            return "(block %s (type $v) %s (br_if %s %s) (call $rot))" % (b, inner, b, self.cond())
        if kind == 3:
            return "(if (type $v) %s (then %s) (else %s))" % (self.cond(), inner, self.group(depth - 1))
        if kind == 4:
            return "%s (if (type $p) %s (then %s))" % (inner, self.cond(), self.transform())
        if kind == 5:
            return "%s (if (type $p) %s (then %s) (else %s))" % (
                inner, self.cond(), self.transform(), self.transform())
        if kind == 6:
            c, l = self.fresh_local(), self.label()
            return ("%s (local.set %s (i32.const %d)) (loop %s (type $p) (call $rot) "
                    "(local.set %s (i32.sub (local.get %s) (i32.const 1))) (br_if %s (local.get %s)))"
                    % (inner, c, r.randrange(1, 5), l, c, c, l, c))
        if kind == 7:
            a, b = self.label(), self.label()
            targets = " ".join(r.choice((a, b)) for _ in range(r.randrange(1, 5)))
            return ("(block %s (type $v) (block %s (type $v) %s (br_table %s %s (i32.and (local.get 1) "
                    "(i32.const 7)))) (call $rot))" % (a, b, inner, targets, r.choice((a, b))))
        if kind == 8:
            return "%s %s" % (inner, self.clobber())
        # an if's parameters, the same values in both arms
        return "%s (if (type $p) %s (then %s) (else (call $rot)))" % (inner, self.cond(), self.clobber())

    def text(self, depth):
        w = self.w
        i32s = " ".join(["i32"] * w)
        make = " ".join("(i32.add (i32.mul (local.get 0) (i32.const %d)) (i32.const %d))" % (k + 3, k)
                        for k in range(w))
        take = "(i32.const 0) " + " ".join(
            "(i32.add (i32.mul (local.get %d) (i32.const %d)))" % (k, 2 * k + 1) for k in range(w))
        rot = " ".join("(i32.add (local.get %d) (i32.const %d))" % ((k + 1) % w, k) for k in range(w))
        body = self.group(depth)
        decls = " ".join("(local $c%d i32)" % (k + 1) for k in range(self.locals))
        return "\n".join([
            "(module",
            "  (type $v (func (result %s)))" % i32s,
            "  (type $p (func (param %s) (result %s)))" % (i32s, i32s),
            "  (func $make (param i32) (result %s) %s)" % (i32s, make),
            "  (func $take (param %s) (result i32) %s)" % (i32s, take),
            "  (func $rot (type $p) %s)" % rot,
            "  (func (export \"main\") (param i32 i32) (result i32) %s" % decls,
            "    (call $take %s)))" % body,
        ])


def interp_results(work, wast):
    """The interpreter's result of each invoke, in order."""
    json = os.path.join(work, "p.json")
    subprocess.run(["wast2json", wast, "-o", json], check=True, capture_output=True)
    out = subprocess.run(["spectest-interp", json], capture_output=True, text=True).stdout
    return re.findall(r"^main\(.*\) => i32:(\d+)$", out, re.M)


def one(spec, rng, work, modes):
    width = rng.choice(WIDTHS)
    prog = Program(rng, width)
    module = prog.text(rng.randrange(2, 7))
    args = [(rng.randrange(-50, 50), q) for q in (0, 1, 0xffff, rng.randrange(1 << 16), rng.randrange(1 << 16))]
    invokes = "\n".join('(invoke "main" (i32.const %d) (i32.const %d))' % a for a in args)
    probe = os.path.join(work, "p.wast")
    with open(probe, "w") as f:
        f.write(module + "\n" + invokes + "\n")
    want = interp_results(work, probe)
    if len(want) != len(args):
        return "interpreter gave %d of %d results" % (len(want), len(args)), module
    script = os.path.join(work, "w.wast")
    with open(script, "w") as f:
        f.write(module + "\n")
        for (p, q), r in zip(args, want):
            v = int(r)
            v = v - (1 << 32) if v >= 1 << 31 else v
            f.write('(assert_return (invoke "main" (i32.const %d) (i32.const %d)) (i32.const %d))\n' % (p, q, v))
    for mode in modes:
        r = subprocess.run([spec] + mode + [script], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            fails = [l for l in r.stdout.splitlines() if "FAIL" in l]
            return "%s: %s" % (" ".join(mode), fails[:2] or r.stdout[-300:]), module
    return None, module


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", required=True, help="kiln-spec")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="directory for the programs that disagree")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    modes = [["-O0"], ["-O2"], ["-O0", "--guard-pages"], ["-O2", "--guard-pages"]]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="kiln-wide-") as work:
        for i in range(a.count):
            why, module = one(a.spec, rng, work, modes)
            if why:
                failed += 1
                print("FAIL program %d: %s" % (i, why))
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    with open(os.path.join(a.keep, "wide-%d.wat" % i), "w") as f:
                        f.write(module + "\n")
    print("wide values: %d programs (seed %d), %d disagree with wabt's interpreter" % (a.count, a.seed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
