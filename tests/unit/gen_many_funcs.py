#!/usr/bin/env python3
"""gen_many_funcs.py N OUT.wat [--bump K] [--grow K] [--table-write]

A module of N small functions, big enough for a partitioned compile, for
test_cli_cache.sh.  `sum` calls f0..f(N-1) in order, then calls table
slot 0 indirectly through $probe, the module's third function (so in the
first partition); --expect prints what `sum` must return.
  --bump K       function K adds another constant (its size stays the same)
  --grow K       function K gets one more instruction (every later body moves)
  --table-write  the last function stores $seven into table slot 0 (not,
                 as otherwise, into the other table), so the slot's contents
                 are no longer known when $probe is lowered, while the
                 module's set of opcodes stays the same
"""
import argparse

p = argparse.ArgumentParser()
p.add_argument("n", type=int)
p.add_argument("out")
p.add_argument("--bump", type=int, default=-1)
p.add_argument("--grow", type=int, default=-1)
p.add_argument("--table-write", action="store_true")
p.add_argument("--expect", action="store_true", help="print sum's result instead")
a = p.parse_args()

M = 1 << 32


def constant(i):
    return 1000 + i + (1000 if i == a.bump else 0)


def f(i, x):
    for j in range(8):
        x = (x * (3 + j) + constant(i)) % M
    if i == a.grow:
        x = (x + 1) % M
    return x


def expect():
    total = 0
    for i in range(a.n):
        total = (total + f(i, i)) % M
    total = (total + (7 if a.table_write else 5)) % M
    return total - M if total >= 1 << 31 else total


if a.expect:
    print(expect())
    raise SystemExit
out = ["(module", "(type $t (func (result i32)))", "(table 1 funcref)", "(table $other 1 funcref)",
       "(elem (i32.const 0) $five)",
       "(func $five (result i32) (i32.const 5))", "(func $seven (result i32) (i32.const 7))",
       "(func $probe (result i32) (call_indirect (type $t) (i32.const 0)))"]
for i in range(a.n):
    body = " ".join(f"(local.set 0 (i32.add (i32.mul (local.get 0) (i32.const {3 + j})) "
                    f"(i32.const {constant(i)})))" for j in range(8))
    if i == a.grow:
        body += " (local.set 0 (i32.add (local.get 0) (i32.const 1)))"
    if i == a.n - 1:
        table = 0 if a.table_write else 1
        body += f" (table.set {table} (i32.const 0) (ref.func $seven))"
    out.append(f"(func $f{i} (param i32) (result i32) {body} (local.get 0))")
calls = " ".join(f"(local.set 0 (i32.add (local.get 0) (call $f{i} (i32.const {i}))))"
                 for i in range(a.n))
out.append(f'(func (export "sum") (result i32) (local i32) {calls} '
           "(i32.add (local.get 0) (call $probe)))")
out.append("(elem declare func $seven)")
out.append(")")
open(a.out, "w").write("\n".join(out) + "\n")
