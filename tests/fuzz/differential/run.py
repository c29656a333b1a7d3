#!/usr/bin/env python3
"""run.py - differential testing of kiln against binaryen's interpreter and V8.

Each module comes from `wasm-opt -ttf --denan` on seeded random bytes
(gen.py).  It then runs three ways, all mirroring binaryen's fuzz-exec
semantics (ONE instance; every exported function called in export order
with zero arguments; state carried between calls; the "fuzzing-support"
log imports print their argument, an i64 as its low and high i32):

  binaryen  wasm-opt M.wasm --fuzz-exec-before   (its interpreter)
  kiln      kiln-diff M.wasm                     (compiled, dlopen'ed)
  node      node node_run.mjs M.wasm SIGS        (V8)

Outputs are normalised to lines `call NAME`, `log V...`, `result NAME V`,
`trap` (trap messages differ between engines, so only the fact of a trap
is compared) and numbers are canonicalised (integral values as integers,
others as Python's repr of the double; NaN as `nan`, whose bits the spec
leaves open).  Node cannot pass v128 across the JS boundary, so its output
is compared up to the first export that needs it; binaryen's "host limit"
ends its comparison the same way.  Every disagreement is saved under
--out with the module and the three outputs.

NaN bits.  binaryen 108's --denan covers f32 and f64 values but not
v128 lanes, and binaryen's interpreter gives every NaN a SIMD float
instruction computes the canonical bits, where x86 keeps an operand's
payload; the spec allows both (a NaN result is any arithmetic NaN when an
operand is not canonical).  Such bits can flow into integer lanes and
branches, so a module can disagree while both engines are right (seed 12,
modules 379, 566, 664, 1067, 1419).  A disagreement with binaryen is
therefore checked once more with kiln's SIMD NaNs made canonical
(`kiln-diff --canonical-nans`): if that run agrees with binaryen, the
module is counted as "NaN bits" and passes.  Node is compared with the
ordinary run only.

Guard-page mode used to lose some out-of-bounds traps: LLVM deleted a
load whose use it folded away (fixed by pinning every load, see
compiler/lower_memory.c).  So a guard-mode disagreement is still
classified: the module is run again with explicit checks, and if that
run agrees with both references and the guard run's first difference is
a missing trap, it is reported as a "guard residue" (a regression of that
fix).  It fails the batch with --strict, which `make test` uses.

  run.py --kiln-diff build/kiln-diff --count 300 --seed 1 -j 2 [--opt 0]
         [--bounds guard|explicit] --out DIR [--only N...]

--only checks just the listed module indices of the seed (module i is
generated from the seed and i alone, so one disagreement of a long batch
reproduces in seconds).

--bounds picks kiln's memory lowering (guard pages, kiln's default, or an
explicit check before every access); module i of seed s is the same module
in both modes.
"""
import argparse
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import FEATURES, module_generate  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 120


def number_canon(tok):
    t = tok.rstrip(",)").lstrip("(")
    suffix = tok[len(tok.rstrip(",)")):]
    prefix = tok[: len(tok) - len(tok.lstrip("("))]
    low = t.lower()
    if low in ("inf", "infinity", "+inf"):
        c = "inf"
    elif low in ("-inf", "-infinity"):
        c = "-inf"
    elif "nan" in low:
        c = "nan"
    else:
        try:
            n = int(t, 0) if t.lower().startswith("0x") else int(t)
            # Beyond the i64 range an "integer" is a float binaryen printed
            # through an integer conversion (-2^64 shows as -(2^64-1)).
            c = str(int(float(n)) if abs(n) >= 2**63 else n)
        except ValueError:
            try:
                f = float(t)
                c = str(int(f)) if f.is_integer() else repr(f)
            except ValueError:
                c = t
    return prefix + c + suffix


def values_canon(text):
    if text.startswith("i32x4 "):
        return text
    return " ".join(number_canon(t) for t in text.split())


def line_canon(line):
    if line.startswith("log "):
        return "log " + values_canon(line[4:])
    if line.startswith("result "):
        _, name, rest = (line.split(" ", 2) + [""])[:3]
        return f"result {name} {values_canon(rest)}"
    return line


def binaryen_normalise(text):
    out = []
    for line in text.splitlines():
        m = re.match(r"\[fuzz-exec\] calling (.*)$", line)
        if m:
            out.append("call " + m.group(1))
            continue
        m = re.match(r"\[fuzz-exec\] note result: (.*?) => (.*)$", line)
        if m:
            out.append(line_canon(f"result {m.group(1)} {m.group(2)}"))
            continue
        m = re.match(r"\[LoggingExternalInterface logging (.*)\]$", line)
        if m:
            out.append(line_canon("log " + m.group(1)))
            continue
        if line.startswith("[trap"):
            out.append("trap")
        elif line.startswith("[host limit"):
            out.append("skip")
    return out


def plain_normalise(text):
    return [line_canon(line) for line in text.splitlines() if line.strip()]


def until_skip(lines):
    """The lines before the export call that ended in `skip`, and whether one did."""
    if "skip" not in lines:
        return lines, False
    cut = lines.index("skip")
    while cut > 0 and not lines[cut - 1].startswith("call "):
        cut -= 1
    return lines[: max(cut - 1, 0)], True


def run(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        return r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired:
        return -1, "", "timeout"


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None


def compare(ref_name, ref, kiln):
    ref_cut, cut = until_skip(ref)
    kiln_part = kiln[: len(ref_cut)] if cut else kiln
    i = first_difference(ref_cut, kiln_part)
    if i is None:
        return None
    def at(lines):
        return lines[i] if i < len(lines) else "<end>"
    return f"{ref_name} line {i + 1}: {ref_name} says '{at(ref_cut)}', kiln says '{at(kiln_part)}'"


def kiln_run(args, tmp, wasm, bounds, extra=()):
    return run([args.kiln_diff, "--work", tmp, "-O", str(args.opt), "--bounds-checks=" + bounds]
               + list(extra) + [wasm])


def nan_bits(args, tmp, wasm, bout):
    """True if kiln agrees with binaryen once its SIMD NaNs are canonical."""
    rc, cout, _ = kiln_run(args, tmp, wasm, args.bounds, ["--canonical-nans"])
    return rc == 0 and compare("binaryen", binaryen_normalise(bout), plain_normalise(cout)) is None


def guard_residue(args, tmp, wasm, refs, guard):
    """A note if `guard` only lost a trap that explicit mode keeps, else None."""
    rc, eout, _ = kiln_run(args, tmp, wasm, "explicit")
    explicit = plain_normalise(eout)
    if rc != 0 or any(compare(name, ref, explicit) for name, ref in refs):
        return None
    i = first_difference(explicit, guard)
    if i is None or i >= len(explicit) or explicit[i] != "trap":
        return None
    call = next((x for x in reversed(explicit[:i]) if x.startswith("call ")), "call ?")
    got = guard[i] if i < len(guard) else "<end>"
    return f"guard residue: {call[5:]} traps with explicit checks, guard mode says '{got}'"


def module_check(index, args, tmp_root):
    tmp = tempfile.mkdtemp(dir=tmp_root)
    try:
        data = module_generate(random.Random(args.seed * 1000003 + index), tmp)
        if data is None:
            return index, "nogen", [], 0, None, False
        wasm = os.path.join(tmp, "m.wasm")
        with open(wasm, "wb") as f:
            f.write(data)
        _, bout, _ = run(["wasm-opt", wasm, "--fuzz-exec-before"] + FEATURES)
        sig_path = os.path.join(tmp, "sigs.txt")
        rc, kout, kerr = kiln_run(args, tmp, wasm, args.bounds, ["--sigs-out", sig_path])
        if rc != 0:
            problems = [f"kiln-diff failed ({rc}): {kerr.strip()[:300]}"]
            return index, save(args, index, data, bout, kout + kerr, ""), problems, 0, None, False
        _, nout, nerr = run(["node", os.path.join(HERE, "node_run.mjs"), wasm, sig_path])
        kiln = plain_normalise(kout)
        refs = (("binaryen", binaryen_normalise(bout)), ("node", plain_normalise(nout) or ["skip"]))
        problems = [p for p in (compare(name, ref, kiln) for name, ref in refs) if p]
        nan = bool(problems) and problems[0].startswith("binaryen") and nan_bits(args, tmp, wasm, bout)
        if nan:
            problems = problems[1:]
        residue = None
        if problems and args.bounds == "guard":
            residue = guard_residue(args, tmp, wasm, refs, kiln)
        calls = sum(1 for line in kiln if line.startswith("call "))
        saved = save(args, index, data, bout, kout, nout + nerr) if problems or nan else ""
        return index, saved, [] if residue else problems, calls, residue, nan
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save(args, index, data, bout, kout, nout):
    d = os.path.join(args.out, f"{args.bounds}-O{args.opt}-seed{args.seed}-{index}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "m.wasm"), "wb") as f:
        f.write(data)
    for name, text in (("binaryen.txt", bout), ("kiln.txt", kout), ("node.txt", nout)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kiln-diff", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--opt", type=int, default=2, help="kiln's optimisation level (0..3)")
    ap.add_argument("--bounds", choices=("guard", "explicit"), default="guard",
                    help="kiln's bounds-check mode (default: guard, as kiln's CLI)")
    ap.add_argument("--strict", action="store_true", help="guard residues fail the batch too")
    ap.add_argument("--out", default="differential-out")
    ap.add_argument("--only", type=int, nargs="+", metavar="N",
                    help="check only these module indices of the seed (to reproduce a disagreement)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    modules = calls = 0
    bad, residues, nans = [], [], []
    with tempfile.TemporaryDirectory() as tmp_root, \
            concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as pool:
        indices = args.only if args.only else range(args.count)
        jobs = [pool.submit(module_check, i, args, tmp_root) for i in indices]
        for job in concurrent.futures.as_completed(jobs):
            index, saved, problems, n, residue, nan = job.result()
            if saved == "nogen":
                continue
            modules += 1
            calls += n
            for p in problems:
                print(f"DISAGREE module {index} ({saved}): {p}", flush=True)
                bad.append(index)
            if nan:
                print(f"NAN-BITS module {index} ({saved}): agrees with binaryen once kiln's "
                      f"SIMD NaNs are canonical", flush=True)
                nans.append(index)
            if residue:
                print(f"GUARD-RESIDUE module {index} ({saved}): {residue}", flush=True)
                residues.append(index)
            if modules % 50 == 0:
                print(f"... {modules} modules, {calls} export calls, {len(set(bad))} disagree, "
                      f"{len(residues)} guard residues", flush=True)
    print(f"differential: {modules} modules, {calls} export calls, "
          f"{len(set(bad))} modules disagree, {len(residues)} lost a trap to the guard-mode residue, "
          f"{len(nans)} differ only in NaN bits "
          f"(seed {args.seed}, {args.bounds} bounds, -O{args.opt})")
    return 1 if bad or (args.strict and residues) else 0


if __name__ == "__main__":
    sys.exit(main())
