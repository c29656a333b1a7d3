#!/usr/bin/env python3
"""ruby_run.py - how fast CRuby runs once kiln has compiled it (issue #13:
"the compiled Ruby still runs its benchmark within 5% of today's -O2
time").

    python3 bench/compile/ruby_run.py [--kiln [LABEL=]PATH]... [--levels O2]
                                      [--runs N] [--out DIR] [--wasm PATH]
                                      [--no-node] [--rebuild | --reuse] [--callgrind]

CRuby is run.py's pinned npm module (`@ruby/3.4-wasm-wasi@2.10.1`,
`ruby+stdlib.wasm`, fetched once with `npm pack`, SHA-256 checked, cached
under OUT/npm; never fetched by tests), or the file given with --wasm.
It is a reactor for a JavaScript host, so ruby_command.py first adds a
`_start` that drives it as that host does and takes the code to run from
the environment (RUBY_EVAL); nothing of CRuby's own code changes.  Each
kiln (several may be given, to compare two compilers) builds it at each
level with `kiln build -OLEVEL --trap-unknown-imports` (kiln's default
-j; the executable is kept in OUT/ruby-run/LABEL-OLEVEL and reused while
it is newer than that kiln and the module, unless --rebuild; with --reuse
while it is newer than the module).  Then every
executable runs ruby_bench.rb N times, the executables taking turns
(round robin), so that a change in the machine's load falls on all of
them alike; each run's output must be the expected text.  node runs the
same module once as a cross-check (its built-in WASI; the JavaScript
host's functions throw when called: ruby_node.mjs).

Reported: the median, min and max user CPU seconds of the runs (from
wait4: the program's own threads), user+sys, the build's CPU seconds
when it was built now, and with --callgrind the instructions of one more
run of each under valgrind's callgrind, which the machine's load does not
change.  Written to OUT/ruby-run/ruby-run.md.  Exit status
0 unless a build or a run failed or printed something else.
"""
import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

SCRIPT = HERE / "ruby_bench.rb"
EXPECTED = """fib(25) = 75025
hash: 970 keys, sum 395810, max epsilon96=558
sort: 31950 1073024002 2147465837 52337
oscillator: 0.487631599 0.873293346
"""


def sibling(name, file):
    spec = importlib.util.spec_from_file_location(name, HERE / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_usage(cmd, env=None):
    """Runs cmd, reaping it with wait4: (rc, stdout, stderr, user, sys, wall)."""
    start = time.monotonic()
    with open(os.devnull, "rb") as devnull:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        proc = subprocess.Popen(cmd, stdout=out_w, stderr=err_w, stdin=devnull, env=env)
        os.close(out_w)
        os.close(err_w)
        with os.fdopen(out_r, "rb") as o, os.fdopen(err_r, "rb") as e:
            out = o.read()  # the benchmark writes little: no risk of both pipes filling
            err = e.read()
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"),
            usage.ru_utime, usage.ru_stime, time.monotonic() - start)


def kilns_parse(specs):
    """[(label, path)] from "LABEL=PATH" or "PATH" (label kiln, kiln2, ...)."""
    out = []
    for i, spec in enumerate(specs or [str(REPO / "build" / "kiln")]):
        label, _, path = spec.rpartition("=")
        out.append((label or ("kiln" if i == 0 else "kiln%d" % (i + 1)), Path(path).resolve()))
    if len({label for label, _ in out}) != len(out):
        sys.exit("ruby_run.py: two kilns with one label; name them LABEL=PATH")
    return out


def fresh(target, *sources):
    return target.exists() and all(target.stat().st_mtime > s.stat().st_mtime for s in sources)


def module_get(args, out, log):
    if args.wasm:
        return Path(args.wasm)
    compile_bench = sibling("bench_compile_run", "run.py")
    pkg = dict(compile_bench.NPM_MODULES)["cruby"]
    path, why = compile_bench.npm_module_fetch("cruby", pkg, out / "npm")
    if why:
        sys.exit("ruby_run.py: cannot fetch CRuby: %s (or give --wasm PATH)" % why)
    log("module: %s (%s)" % (path, pkg["package"]))
    return path


def command_make(wasm, work, log):
    """The module with ruby_command.py's _start; rewritten only when its
    bytes change, so that the executables built from it stay fresh."""
    command = work / "ruby-command.wasm"
    maker = HERE / "ruby_command.py"
    if fresh(command, wasm, maker):
        return command
    made = work / "ruby-command.wasm.new"
    subprocess.run([sys.executable, str(maker), str(wasm), str(made)], check=True)
    if command.exists() and command.read_bytes() == made.read_bytes():
        made.unlink()  # made again next time (seconds), compared again
        return command
    made.rename(command)
    log("command module: %s" % command)
    return command


def build(kiln, level, command, exe, args, log):
    """None, or the build's (CPU s, wall s) when built now, or an error string."""
    if not args.rebuild and (fresh(exe, kiln, command) or (args.reuse and fresh(exe, command))):
        log("%s: reused (newer than %s)" % (exe.name, "the module" if args.reuse else
                                             "%s and the module" % kiln))
        return None
    log("%s: kiln build -%s --trap-unknown-imports ..." % (exe.name, level))
    rc, out, err, user, sys_, wall = run_usage(
        [str(kiln), "build", "-" + level, "--trap-unknown-imports", "-q", str(command),
         "-o", str(exe)])
    if rc != 0:
        return "kiln build -%s: exit %d: %s" % (level, rc, (err or out).strip()[-2000:])
    log("%s: built in %.1f CPU s, %.1f s wall" % (exe.name, user + sys_, wall))
    return user + sys_, wall


def node_check(command, code, log):
    node = shutil.which("node")
    if not node:
        return "node not found: not cross-checked"
    env = dict(os.environ, RUBY_EVAL=code)
    rc, out, err, user, sys_, wall = run_usage(
        [node, "--no-warnings", str(HERE / "ruby_node.mjs"), str(command)], env)
    if rc != 0 or out != EXPECTED:
        return "node: exit %d, output differs:\n%s%s" % (rc, out, err[-2000:])
    log("node: same output, %.2f user s, %.2f sys s (one run, compiling included)" % (user, sys_))
    return "node (its WASI, once, compiling included): same output, %.2f user s" % user


def runs(exes, code, n, log):
    """{label: [(user, sys)]} over n rounds, executables in turn; errors."""
    times = {label: [] for label, _ in exes}
    errors = []
    for round_ in range(n):
        for label, exe in exes:
            rc, out, err, user, sys_, wall = run_usage([str(exe), "--env", "RUBY_EVAL=" + code])
            if rc != 0 or out != EXPECTED:
                errors.append("%s: exit %d, output:\n%s%s" % (label, rc, out, err[-2000:]))
                continue
            times[label].append((user, sys_))
            log("round %d %s: %.3f user s, %.3f sys s" % (round_ + 1, label, user, sys_))
    return times, errors


def callgrind(exes, code, log):
    """{label: instructions} of one run of each under callgrind: a figure
    the machine's load does not move (CPU seconds here vary by 20-30%
    when other builds share the machine)."""
    counts = {}
    for label, exe in exes:
        rc, out, err, user, sys_, wall = run_usage(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(exe), "--env",
             "RUBY_EVAL=" + code])
        found = re.search(r"Collected : (\d+)", err)
        if rc == 0 and out == EXPECTED and found:
            counts[label] = int(found.group(1))
            log("callgrind %s: %s instructions" % (label, format(counts[label], ",")))
        else:
            log("callgrind %s: failed (exit %d)" % (label, rc))
    return counts


def report(kilns, levels, built, times, node_note, runs_n, counts):
    lines = ["## CRuby's benchmark (bench/compile/ruby_run.py)", "",
             "`ruby+stdlib.wasm` with ruby_command.py's `_start`, built with `kiln build "
             "-OLEVEL --trap-unknown-imports`, ruby_bench.rb run %d times, executables in "
             "turn; user CPU seconds from wait4.  Load average at the end: %s." % (
                 runs_n, "%.2f %.2f %.2f" % os.getloadavg()), "",
             "| kiln | level | median user s | min | max | median user+sys s | build CPU s |"
             " instructions (callgrind) |",
             "|---|---|---|---|---|---|---|---|"]
    for label, kiln in kilns:
        for level in levels:
            key = "%s-%s" % (label, level)
            t = times.get(key) or []
            b = built.get(key)
            build_text = "%.0f" % b[0] if isinstance(b, tuple) else "(kept)"
            ir = format(counts[key], ",") if key in counts else ""
            if not t:
                lines.append("| %s | -%s | failed | | | | %s | %s |" % (label, level, build_text, ir))
                continue
            user = [u for u, _ in t]
            total = [u + s for u, s in t]
            lines.append("| %s | -%s | %.3f | %.3f | %.3f | %.3f | %s | %s |" % (
                label, level, statistics.median(user), min(user), max(user),
                statistics.median(total), build_text, ir))
    lines += ["", "kilns: " + ", ".join("%s = %s" % (label, k) for label, k in kilns),
              "cross-check: " + node_note]
    return "\n".join(lines) + "\n"


def args_parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kiln", action="append", metavar="[LABEL=]PATH",
                   help="a kiln to build with (repeatable; default build/kiln)")
    p.add_argument("--levels", default="O2", help="comma-separated, e.g. O0,O1,O2 (default O2)")
    p.add_argument("--runs", type=int, default=5, help="runs of each executable (default 5)")
    p.add_argument("--out", default=str(REPO / "build" / "bench-compile"))
    p.add_argument("--wasm", help="ruby+stdlib.wasm to use instead of fetching it")
    p.add_argument("--no-node", action="store_true", help="skip the cross-check with node")
    p.add_argument("--rebuild", action="store_true", help="build even when an executable is kept")
    p.add_argument("--reuse", action="store_true",
                   help="reuse kept executables even when kiln is newer (it was rebuilt "
                        "without a change to the code it generates)")
    p.add_argument("--callgrind", action="store_true",
                   help="also count each executable's instructions in one run under callgrind "
                        "(about 50 CPU s each at -O2)")
    return p.parse_args(argv)


def main(argv):
    args = args_parse(argv)
    out = Path(args.out).resolve()
    work = out / "ruby-run"
    work.mkdir(parents=True, exist_ok=True)

    def log(msg):
        print("ruby_run: " + msg, file=sys.stderr, flush=True)

    kilns = kilns_parse(args.kiln)
    levels = [lv.strip().lstrip("-") for lv in args.levels.split(",") if lv.strip()]
    command = command_make(module_get(args, out, log), work, log)
    code = SCRIPT.read_text()
    built, exes, failures = {}, [], []
    for label, kiln in kilns:
        for level in levels:
            key = "%s-%s" % (label, level)
            exe = work / key
            b = build(kiln, level, command, exe, args, log)
            if isinstance(b, str):
                failures.append(b)
                continue
            built[key] = b
            exes.append((key, exe))
    node_note = "skipped (--no-node)" if args.no_node else node_check(command, code, log)
    if node_note.startswith("node: exit"):
        failures.append(node_note)
    times, errors = runs(exes, code, args.runs, log)
    failures += errors
    counts = callgrind(exes, code, log) if args.callgrind else {}
    text = report(kilns, levels, built, times, node_note, args.runs, counts)
    (work / "ruby-run.md").write_text(text)
    print(text)
    for f in failures:
        print("ruby_run: FAILED: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
