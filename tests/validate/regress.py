#!/usr/bin/env python3
"""regress.py - replays saved inputs (tests/regress/*.wasm: fuzzer crashes,
validator disagreements that were fixed) through `kiln validate`.

Each input must end in exit status 0 (valid) or 1 (rejected) within the
timeout: never a signal, never a hang.  When a file NAME.wasm has a
sibling NAME.expect holding `valid` or `invalid`, the verdict must match.
"""
import argparse
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", required=True)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("dir")
    args = ap.parse_args()
    names = sorted(n for n in os.listdir(args.dir) if n.endswith(".wasm")) \
        if os.path.isdir(args.dir) else []
    failed = 0
    for name in names:
        path = os.path.join(args.dir, name)
        try:
            rc = subprocess.run([args.kiln, "validate", path], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=args.timeout).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        expect_path = path[:-5] + ".expect"
        expect = open(expect_path).read().strip() if os.path.exists(expect_path) else None
        verdict = {0: "valid", 1: "invalid"}.get(rc)
        if verdict is None or (expect and verdict != expect):
            print("FAIL %s: kiln validate -> %s%s" % (
                path, rc, ", expected %s" % expect if expect else ""))
            failed += 1
    print("regress: %d inputs, %d passed, %d failed" % (len(names), len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
