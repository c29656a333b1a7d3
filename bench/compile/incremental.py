#!/usr/bin/env python3
"""incremental.py - what a recompile after a one-function change costs
(issue #13: CRuby again in <= 10 s wall with the partition cache).

For each -O level: an empty cache directory, a cold `kiln compile
--cache-dir`, then the same module with one `i32.const` changed
(patch_const.py: same encoded length, nothing else moves) compiled with
the cache warm, then the original again (every partition a hit).  Reports
CPU seconds (user + sys of kiln and the linker it runs, from wait4), wall
seconds and peak RSS of each, the cache hits kiln's -v reports, and the
-v phase lines of the recompile, so a slow recompile says where the time
went.

    python3 bench/compile/incremental.py --kiln build/kiln MODULE.wasm
    python3 bench/compile/incremental.py --kiln build/kiln --npm cruby

--npm NAME fetches one of run.py's pinned npm modules (npm pack, checked
SHA-256, cached under --out).  Nothing here is a test: wall times depend
on the machine's load (the report prints the load average).
"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


# run.py's pinned npm modules and their fetch; loaded by path, as run.py
# loads its siblings (bench/harness has a run.py too).
_spec = importlib.util.spec_from_file_location("bench_compile_run", HERE / "run.py")
compile_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compile_bench)

HITS = re.compile(r"compile: (\d+) of (\d+) partitions? from the cache")
PHASE = re.compile(r"^kiln: +(decode|validate|compile|join partitions|write object)\b.*?"
                   r"([0-9.]+) s\b", re.M)


def measured(cmd, log_path):
    """Runs cmd with stderr to log_path: (rc, cpu s, wall s, peak RSS MB)."""
    with open(log_path, "w") as log:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    rc = os.waitstatus_to_exitcode(status)
    return rc, usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024.0


def compile_once(kiln, level, jobs, wasm, cache, obj, log_path):
    cmd = [kiln, "compile", "-" + level, "-v", "--cache-dir", str(cache), str(wasm), "-o", str(obj)]
    if jobs:
        cmd[3:3] = ["-j", str(jobs)]
    rc, cpu, wall, rss = measured(cmd, log_path)
    text = Path(log_path).read_text(errors="replace")
    if rc != 0:
        raise SystemExit("kiln compile failed (%s): %s" % (log_path, text[-2000:]))
    hits = HITS.search(text)
    return {"cpu": cpu, "wall": wall, "rss": rss,
            "hits": "%s of %s" % hits.groups() if hits else "-",
            "phases": ", ".join("%s %s s" % m for m in PHASE.findall(text))}


def patch(wasm, out, func):
    cmd = [sys.executable, str(HERE / "patch_const.py"), str(wasm), str(out)]
    if func is not None:
        cmd += ["--func", str(func)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("patch_const.py failed: " + r.stderr)
    return r.stdout.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("module", nargs="?", help="the .wasm (or --npm NAME)")
    p.add_argument("--npm", help="one of run.py's npm modules: " +
                   ", ".join(n for n, _ in compile_bench.NPM_MODULES))
    p.add_argument("--kiln", default="build/kiln")
    p.add_argument("--levels", default="O0,O2")
    p.add_argument("-j", "--jobs", type=int, default=0, help="kiln's -j (default: kiln's own)")
    p.add_argument("--func", type=int, help="patch_const.py --func (default: the middle function)")
    p.add_argument("--out", default="build/bench-compile", help="npm download cache")
    a = p.parse_args()
    if a.npm:
        pkg = dict(compile_bench.NPM_MODULES).get(a.npm)
        if not pkg:
            p.error("unknown npm module " + a.npm)
        wasm, why = compile_bench.npm_module_fetch(a.npm, pkg, Path(a.out) / "npm")
        if not wasm:
            raise SystemExit(why)
    elif a.module:
        wasm = Path(a.module)
    else:
        p.error("a module or --npm NAME")
    kiln = str(Path(a.kiln).resolve())
    print("module: %s (%.1f MB); load average at start %s" %
          (wasm, wasm.stat().st_size / 1e6, " ".join("%.2f" % x for x in os.getloadavg())))
    with tempfile.TemporaryDirectory(prefix="kiln-incremental-") as tmp:
        tmp = Path(tmp)
        # The same file name for both versions: the symbol prefix, part of
        # every cache key, comes from it.
        (tmp / "base").mkdir()
        (tmp / "patched").mkdir()
        base, patched = tmp / "base" / "m.wasm", tmp / "patched" / "m.wasm"
        base.write_bytes(wasm.read_bytes())
        print(patch(base, patched, a.func))
        print("\n| level | compile | cache hits | CPU s | wall s | peak RSS MB | phases (-v) |")
        print("|---|---|---|---|---|---|---|")
        for level in a.levels.split(","):
            cache = tmp / ("cache-" + level)
            runs = [("cold, empty cache", base), ("one constant changed", patched),
                    ("the original again", base)]
            for what, src in runs:
                r = compile_once(kiln, level, a.jobs, src, cache, tmp / "out.o",
                                 tmp / ("%s-%s.log" % (level, what.split(",")[0].replace(" ", "-"))))
                print("| -%s | %s | %s | %.2f | %.2f | %.0f | %s |" %
                      (level, what, r["hits"], r["cpu"], r["wall"], r["rss"], r["phases"]))
                sys.stdout.flush()
    print("\nload average at end %s" % " ".join("%.2f" % x for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
