#!/usr/bin/env python3
"""Run the same program on several engines and compare, for `make demo`.

    compare.py [--runs N] NAME=COMMAND...

Each COMMAND (split like a shell would) runs N times; the table shows the
median wall-clock time (process start to exit, so it includes start-up:
node's JIT compile, the dynamic loader) and the ratio to the first engine.
Every run's stdout must be identical to the first engine's; if not, the
differing checksum lines are printed and the exit status is 1."""
import argparse
import shlex
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("compare: %s exited with %d\n%s" % (
            " ".join(cmd), proc.returncode, proc.stderr.decode(errors="replace")))
    return elapsed, proc.stdout


def last_line(out):
    lines = out.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "(no output)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("engines", nargs="+", metavar="NAME=COMMAND")
    a = ap.parse_args()
    rows, reference, ok = [], None, True
    for spec in a.engines:
        name, _, command = spec.partition("=")
        times = []
        for _ in range(a.runs):
            elapsed, out = run_once(shlex.split(command))
            times.append(elapsed)
            if reference is None:
                reference = out
            elif out != reference:
                ok = False
                print("MISMATCH %s: %s (expected %s)" % (name, last_line(out), last_line(reference)))
        rows.append((name, statistics.median(times), last_line(out)))
    base = rows[0][1]
    print("%-8s %10s %9s   %s" % ("engine", "median s", "vs " + rows[0][0], "output"))
    for name, t, line in rows:
        print("%-8s %10.3f %8.2fx   %s" % (name, t, t / base, line))
    if not ok:
        print("compare: the engines disagree")
        return 1
    print("all %d engines printed identical output (%d runs each)" % (len(rows), a.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
