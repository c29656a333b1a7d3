#!/usr/bin/env python3
"""run.py - build the benchmark kernels for every engine, run them
interleaved, and report medians, ratios to native clang, compile times and
peak memory.

    python3 bench/harness/run.py [--quick] [--runs N] [--kernels a,b]
                                 [--engines e1,e2] [--kiln PATH] [--out DIR]

Kernels are bench/kernels/*.c plus the library workloads of
bench/library/fetch.py (SQLite's amalgamation with a driver), whose sources
are fetched once into the cache (--cache); a library that cannot be had is
reported as skipped and the run goes on.  The report gives each group of
kernels (a "bench-group:" line in the source; "core" without one) its own
geomean.

Engines (a missing tool skips its engine with a note, never the whole run):
  native-clang   clang-19 -O2, the baseline every ratio is relative to
  native-gcc     gcc -O2
  kiln-guard     kiln build --bounds-checks=guard     (guard-page memory)
  kiln-explicit  kiln build --bounds-checks=explicit  (checked accesses)
  kiln           kiln build with its default, only while kiln has no
                 --bounds-checks option
  wasm2c         wasm2c + clang-19 -O2 + bench/wasi-shim
  node           V8 through node:wasi (bench/harness/wasi-run.mjs)
  wasm-interp    wabt's interpreter on the import-free variant, at the small
                 "interp" size; its ratio is to native clang at that size

Each kernel prints one checksum line; all engines must agree (wasm-interp
with native clang at the interp size) or the run fails.  Exit status: 0 when
every engine that ran gave the right checksum, 1 otherwise.
"""

import argparse
import csv
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH / "library"))
import fetch as libfetch  # noqa: E402

REPO = BENCH.parent
KERNELS = BENCH / "kernels"
COMMON = KERNELS / "common"
SHIM = BENCH / "wasi-shim"
WASM2C_RT = Path("/usr/share/wabt/wasm2c")

# The same flags for every build: no errno from sqrt, so every engine turns
# it into one instruction.
OPT_FLAGS = ["-O2", "-fno-math-errno"]
CFLAGS = [*OPT_FLAGS, "-I", str(COMMON)]
# Every wasm build (hence every wasm engine) gets LLVM 20's default wasm
# feature set: LLVM 19's defaults plus bulk memory and non-trapping
# float-to-int.  With bulk memory, memcpy/memmove/memset become
# memory.copy/memory.fill instructions that each engine implements natively,
# instead of wasi-libc's byte-at-a-time C loops (docs/benchmarks.md).
WASM_FEATURES = ["-mbulk-memory", "-mnontrapping-fptoint"]
# wasm-interp's call stack is small and fixed; the interp sizes respect it.
INTERP_LDFLAGS = ["-nostdlib", "-Wl,--no-entry", "-Wl,--strip-debug",
                  "-Wl,-z,stack-size=1048576"]

ENGINES = ["native-clang", "native-gcc", "kiln-guard", "kiln-explicit", "kiln",
           "wasm2c", "node", "wasm-interp"]
BASELINE = "native-clang"
INTERP_BASELINE = "native-clang@interp"


# --- processes ---------------------------------------------------------------

class Result:
    """One finished child process: exit code, wall and CPU seconds, peak RSS
    in KiB (None when unknown) and its output."""

    def __init__(self, rc, wall, cpu, rss_kib, out, err):
        self.rc, self.wall, self.cpu, self.rss_kib = rc, wall, cpu, rss_kib
        self.out, self.err = out, err


# Peak RSS comes from GNU time (-o FILE), not from our own wait4: Linux
# carries the high-water mark of the pre-exec address space into the child's
# rusage, so a child of this (large) Python process would never report less
# than Python's own RSS.  GNU time is a small C program whose children start
# from its small footprint.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_measured(cmd, timeout, cwd=None):
    """Run cmd with output in temporary files, then reap it with wait4 so the
    CPU time is this child's alone (builds run in parallel threads)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as rss:
        full = [GNU_TIME, "-f", "%M", "-o", rss.name, *cmd] if GNU_TIME else cmd
        start = time.monotonic()
        try:
            proc = subprocess.Popen(full, stdout=out, stderr=err, cwd=cwd,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as e:
            return Result(127, 0.0, 0.0, None, "", str(e))
        rc, usage = wait_with_timeout(proc, start, timeout)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Result(rc, wall, usage.ru_utime + usage.ru_stime, rss_parse(rss.read()),
                      out.read().decode(errors="replace"),
                      err.read().decode(errors="replace"))


def rss_parse(text):
    """GNU time writes "%M" as the last line (after a status line when the
    command failed)."""
    lines = text.strip().splitlines()
    return int(lines[-1]) if lines and lines[-1].strip().isdigit() else None


def wait_with_timeout(proc, start, timeout):
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if time.monotonic() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)  # GNU time and the program under it
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return 124, usage
        time.sleep(0.002)


def tool_version(cmd):
    try:
        text = subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "not found"
    return text.strip().splitlines()[0] if text.strip() else "unknown"


# --- toolchain ---------------------------------------------------------------

def wasm_cc_pick(scratch):
    """clang-19 (the LLVM kiln is built on) when it can link wasm32-wasi
    (needs lld-19 and libclang-rt-19-dev-wasm32), else Debian's clang-14."""
    src = scratch / "probe.c"
    src.write_text("int main(void) { return 0; }\n")
    for cc in ("clang-19", "clang"):
        if shutil.which(cc) is None:
            continue
        r = run_measured([cc, "--target=wasm32-wasi", "-O2", str(src), "-o",
                          str(scratch / "probe.wasm")], 120)
        if r.rc == 0:
            return cc
    return None


def machine_describe(kiln, wasm_cc):
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "load_average_at_start": "%.2f %.2f %.2f" % os.getloadavg(),
        "clang": tool_version(["clang-19", "--version"]),
        "wasm_cc": "%s (%s)" % (wasm_cc, tool_version([wasm_cc, "--version"])) if wasm_cc else "none",
        "wasm_cflags": " ".join(["--target=wasm32-wasi", *OPT_FLAGS, *WASM_FEATURES]),
        "native_cflags": " ".join(OPT_FLAGS),
        "gcc": tool_version(["gcc", "--version"]),
        "node": tool_version(["node", "--version"]),
        "wabt": tool_version(["wasm2c", "--version"]),
        "kiln_git": git,
        "kiln": tool_version([str(kiln), "--version"]) if kiln.exists() else "not built",
    }


# --- builds ------------------------------------------------------------------

def kernel_group(src):
    """The group a kernel's report lines go under: its source's
    "bench-group: NAME" line, else "core" (the original kernels)."""
    try:
        m = re.search(r"bench-group:\s*([\w-]+)", Path(src).read_text(errors="replace"))
    except OSError:
        return "core"
    return m.group(1) if m else "core"


class Kernel:
    """A kernel, or with lib_dir a library workload: the driver of
    bench/library plus the fetched sources in lib_dir, built with the
    library's own flags, and no wasm-interp variant (it needs a libc)."""

    def __init__(self, name, out, rebuild=False, lib_dir=None):
        self.name = name
        self.src = KERNELS / (name + ".c")
        self.extra, self.headers, self.cflags, self.interp = [], [], [], True
        if lib_dir is not None:
            lib = libfetch.LIBRARIES[name]
            self.src = lib["driver"]
            self.extra = [Path(lib_dir) / f for f in lib["sources"]]
            self.cflags = ["-I", str(lib_dir), *lib["cflags"]]
            self.interp = False
            self.headers = [Path(lib_dir) / f for f in lib["members"].values()
                            if f not in lib["sources"]]
        self.group = kernel_group(self.src)
        self.dir = out / name
        self.exe = {}          # engine -> command prefix (size is appended)
        self.compile_cpu = {}  # "wasm2c" / "kiln-guard" / ... -> CPU seconds
        self.notes = []
        self.rebuild = rebuild
        self.cache_path = self.dir / "build.json"
        try:
            self.cache = json.loads(self.cache_path.read_text())
        except (OSError, ValueError):
            self.cache = {}

    def sources(self):
        return [self.src, *self.extra, *self.headers, COMMON / "bench.h",
                COMMON / "main.c", COMMON / "freestanding.c"]

    def units(self):
        """The C files of one hosted build, before the driver."""
        return [str(self.src), *map(str, self.extra)]


def fresh(output, inputs):
    try:
        built = Path(output).stat().st_mtime
        return all(Path(i).stat().st_mtime <= built for i in inputs)
    except OSError:
        return False


def build_step(kernel, label, cmd, output, inputs):
    """Run one build command unless its output is newer than every input and
    was made by the very same command; build.json keeps each product's
    command and CPU time, so compile times survive the reuse (--rebuild
    forces everything)."""
    key = str(output)
    old = kernel.cache.get(key)
    if not kernel.rebuild and old and old["cmd"] == cmd and fresh(output, inputs):
        return Result(0, 0.0, old["cpu"], None, "", "")
    r = run_measured(cmd, 600)
    if r.rc != 0:
        kernel.cache.pop(key, None)
        kernel.notes.append("%s build failed: %s" % (label, first_line(r.err or r.out)))
    else:
        kernel.cache[key] = {"cmd": cmd, "cpu": r.cpu}
    return r


def first_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[0][:200] if lines else "(no output)"


def build_native(k):
    main = str(COMMON / "main.c")
    for engine, cc in (("native-clang", "clang-19"), ("native-gcc", "gcc")):
        exe = k.dir / engine
        cmd = [cc, *CFLAGS, *k.cflags, *k.units(), main, "-o", str(exe), "-lm"]
        if build_step(k, engine, cmd, exe, k.sources()).rc == 0:
            k.exe[engine] = [str(exe)]


def build_wasm(k, wasm_cc):
    wasm = k.dir / "kernel.wasm"
    target = [wasm_cc, "--target=wasm32-wasi", *CFLAGS, *k.cflags, *WASM_FEATURES]
    r = build_step(k, "wasm32-wasi", [*target, "-Wl,--strip-debug",
                                      *k.units(), str(COMMON / "main.c"), "-o", str(wasm)],
                   wasm, k.sources())
    if not k.interp:
        return wasm if r.rc == 0 else None
    interp = k.dir / "kernel.interp.wasm"
    ri = build_step(k, "interp", [*target, *INTERP_LDFLAGS,
                                  str(k.src), str(COMMON / "freestanding.c"), "-o", str(interp)],
                    interp, k.sources())
    if ri.rc == 0 and wasm_imports(interp) == 0:
        k.exe["wasm-interp"] = ["wasm-interp", str(interp), "--run-all-exports"]
    elif ri.rc == 0:
        k.notes.append("interp variant has imports; wasm-interp skipped")
    return wasm if r.rc == 0 else None


def wasm_imports(path):
    text = subprocess.run(["wasm-objdump", "-x", "-j", "Import", str(path)],
                          capture_output=True, text=True).stdout
    return len(re.findall(r"^ - ", text, re.M))


def build_wasm2c(k, wasm, shim_objs):
    d = k.dir / "wasm2c"
    d.mkdir(exist_ok=True)
    exe = d / "kernel"
    inc = ["-I", str(SHIM), "-I", str(WASM2C_RT)]
    steps = [  # (command, output, inputs)
        (["wasm2c", "-n", "kernel", str(wasm), "-o", str(d / "kernel.c")], d / "kernel.c", [wasm]),
        (["clang-19", "-O2", "-c", "-w", *inc, str(d / "kernel.c"), "-o", str(d / "kernel.o")],
         d / "kernel.o", [d / "kernel.c"]),
        (["clang-19", "-O2", "-c", "-I", str(d), *inc, str(SHIM / "main.c"), "-o", str(d / "main.o")],
         d / "main.o", [d / "kernel.c", SHIM / "main.c", SHIM / "wasi_shim.h"]),
        (["clang-19", str(d / "kernel.o"), str(d / "main.o"), *shim_objs, "-o", str(exe), "-lm"],
         exe, [d / "kernel.o", d / "main.o", *shim_objs]),
    ]
    cpu = 0.0
    for cmd, output, inputs in steps:
        r = build_step(k, "wasm2c", cmd, output, inputs)
        if r.rc != 0:
            return
        cpu += r.cpu
    k.compile_cpu["wasm2c"] = cpu
    k.exe["wasm2c"] = [str(exe)]


KILN_MODES = {"kiln-guard": ["--bounds-checks=guard"],
              "kiln-explicit": ["--bounds-checks=explicit"]}


def kiln_engines(help_text, engines):
    """{engine: extra `kiln build` flags} for the kiln engines asked for:
    both memory modes once `kiln build --help` lists --bounds-checks;
    before that, one build with kiln's default, reported as "kiln"."""
    if "--bounds-checks" in help_text:
        modes = {e: f for e, f in KILN_MODES.items() if e in engines}
        # `--engines kiln` alone still means one build with kiln's default.
        return modes or ({"kiln": []} if "kiln" in engines else {})
    if {"kiln", *KILN_MODES} & set(engines):
        return {"kiln": []}
    return {}


def build_kiln(k, wasm, kiln, modes):
    for engine, flags in modes.items():
        kiln_build_one(k, wasm, kiln, engine, flags)


def kiln_build_one(k, wasm, kiln, engine, flags):
    exe = k.dir / engine
    cmd = [str(kiln), "build", str(wasm), "-o", str(exe), *flags]
    # kiln's runtime libraries sit next to the binary and change with it.
    r = build_step(k, engine + ": `kiln build`", cmd, exe, [wasm, kiln, *kiln.parent.glob("libkiln*.a")])
    if r.rc == 0:
        k.compile_cpu[engine] = r.cpu
        # WASI options (--dir, --env) come before "--", the program's own after.
        k.exe[engine] = [str(exe), "--"]
    return r


def shim_build(out):
    """wasi_shim.c and wabt's runtime, compiled once for every kernel."""
    objs = []
    for src in (SHIM / "wasi_shim.c", WASM2C_RT / "wasm-rt-impl.c"):
        obj = out / (src.stem + ".o")
        if fresh(obj, [src, SHIM / "wasi_shim.h"]):
            objs.append(str(obj))
            continue
        r = run_measured(["clang-19", "-O2", "-c", "-I", str(SHIM), "-I", str(WASM2C_RT),
                          str(src), "-o", str(obj)], 300)
        if r.rc != 0:
            return None, "wasm2c runtime build failed: " + first_line(r.err)
        objs.append(str(obj))
    return objs, None


def kernel_build(k, ctx):
    k.dir.mkdir(parents=True, exist_ok=True)
    try:
        kernel_build_all(k, ctx)
    finally:
        k.cache_path.write_text(json.dumps(k.cache, indent=1) + "\n")
    return k


def kernel_build_all(k, ctx):
    build_native(k)
    wasm = build_wasm(k, ctx["wasm_cc"]) if ctx["wasm_cc"] else None
    if wasm is None:
        return k
    if "node" in ctx["engines"]:
        k.exe["node"] = ["node", "--no-warnings", str(BENCH / "harness" / "wasi-run.mjs"), str(wasm)]
    if not k.interp and "wasm-interp" in ctx["engines"]:
        k.notes.append("wasm-interp not run: a library workload needs WASI")
    if "wasm2c" in ctx["engines"] and ctx["shim_objs"]:
        build_wasm2c(k, wasm, ctx["shim_objs"])
    if ctx["kiln_ok"]:
        build_kiln(k, wasm, ctx["kiln"], ctx["kiln_modes"])
    return k


# --- runs --------------------------------------------------------------------

def checksum_parse(text):
    m = re.search(r"^checksum ([0-9a-f]{8})$", text, re.M)
    if m:
        return m.group(1)
    m = re.search(r"^run\(\) => i32:(-?\d+)$", text, re.M)  # wasm-interp
    if m:
        return "%08x" % (int(m.group(1)) & 0xFFFFFFFF)
    return None


# node 20 sometimes dies with SIGSEGV while shutting down after a long wasm
# run: the kernel has finished and printed its checksum, then a background
# tier-up job of its asynchronous wasm compile calls into the torn-down
# event loop (nodejs/node#56236).  Such a run counts as completed, and the
# report's notes list it.
EXIT_CRASH_OK = {"node": 139}


def run_completed(engine, r):
    """True when the run did its work: exit 0, or the known crash at exit
    of EXIT_CRASH_OK after a checksum line."""
    if r.rc == 0:
        return True
    return EXIT_CRASH_OK.get(engine) == r.rc and checksum_parse(r.out) is not None


def exit_crash_notes(samples):
    crashed = sorted({(k, e) for (k, e), rs in samples.items()
                      for r in rs if r.rc != 0 and run_completed(e, r)})
    return ["%s exited with SIGSEGV after printing its checksum in: %s (a crash in node's "
            "shutdown, nodejs/node#56236; the runs count as completed)" % (
                e, ", ".join(k for k, e2 in crashed if e2 == e))
            for e in sorted({e for _, e in crashed})]


def engine_command(k, engine, size_arg):
    if engine == INTERP_BASELINE:
        return k.exe[BASELINE] + ["interp"] if BASELINE in k.exe else None
    if engine not in k.exe:
        return None
    if engine == "wasm-interp":
        return k.exe[engine]  # the size is compiled in
    return k.exe[engine] + ([size_arg] if size_arg else [])


def runs_execute(kernels, engines, runs, size_arg, timeout, log):
    """samples[(kernel, engine)] = list of Result.  Engines are interleaved
    within each round (A B C A B C ...), so slow drifts in machine load hit
    every engine alike."""
    samples = {}
    order = list(engines) + ([INTERP_BASELINE] if "wasm-interp" in engines else [])
    for rnd in range(runs):
        for k in kernels:
            for engine in order:
                cmd = engine_command(k, engine, size_arg)
                if cmd is None:
                    continue
                r = run_measured(cmd, timeout)
                samples.setdefault((k.name, engine), []).append(r)
                log("round %d/%d %-10s %-14s %7.3fs %s" % (
                    rnd + 1, runs, k.name, engine, r.wall,
                    checksum_parse(r.out) if run_completed(engine, r) else "exit %d" % r.rc))
    return samples


def checksums_verify(kernels, samples):
    """Failures as strings: any non-zero exit or missing checksum, an engine
    whose rounds disagree, or engines that disagree at the same size."""
    failures = []
    for k in kernels:
        groups = {}
        for (name, engine), results in samples.items():
            if name != k.name:
                continue
            seen = set()
            for r in results:
                cs = checksum_parse(r.out) if run_completed(engine, r) else None
                if cs is None:
                    failures.append("%s/%s: exit %d, stderr: %s" % (name, engine, r.rc, first_line(r.err)))
                seen.add(cs)
            group = "interp" if engine in ("wasm-interp", INTERP_BASELINE) else "main"
            groups.setdefault(group, {})[engine] = seen
        for by_engine in groups.values():
            values = set().union(*by_engine.values()) - {None}  # crashes: reported above
            if len(values) > 1:
                failures.append("%s: checksum mismatch: %s" % (k.name, ", ".join(
                    "%s=%s" % (e, "/".join(sorted(str(v) for v in cs)))
                    for e, cs in sorted(by_engine.items()))))
    return failures


# --- reporting ---------------------------------------------------------------

def table_compute(kernels, engines, samples):
    """rows[kernel][engine] = {median, ratio, rss_mib, compile}."""
    rows = {}
    for k in kernels:
        row = {}
        base = samples.get((k.name, BASELINE))
        ibase = samples.get((k.name, INTERP_BASELINE))
        for engine in engines:
            results = [r for r in samples.get((k.name, engine), []) if run_completed(engine, r)]
            if not results:
                continue
            med = statistics.median(r.wall for r in results)
            ref = ibase if engine == "wasm-interp" else base
            ref_med = statistics.median(r.wall for r in ref) if ref else None
            row[engine] = {
                "median": med,
                "ratio": med / ref_med if ref_med else None,
                "rss_mib": max((r.rss_kib for r in results if r.rss_kib), default=0) / 1024.0 or None,
                "compile": k.compile_cpu.get(engine),
            }
        rows[k.name] = row
    return rows


def geomean(values):
    values = [v for v in values if v]
    if not values:
        return None
    return statistics.geometric_mean(values)


def fmt(v, spec):
    return spec % v if v is not None else "-"


def markdown_write(path, rows, engines, machine, meta, failures, notes, chart=False,
                   groups=None):
    used = [e for e in engines if any(e in r for r in rows.values())]
    lines = ["# kiln benchmark results", ""]
    lines += ["- %s: %s" % (key, val) for key, val in {**machine, **meta}.items()]
    lines += [""] + summary_section(rows, used) + groups_section(rows, used, groups or {})
    lines += goals_section(rows, groups)
    lines += ["## Time (median wall seconds, ratio to native clang -O2)", "",
              "| kernel | " + " | ".join(used) + " |",
              "|---" * (len(used) + 1) + "|"]
    for name, row in rows.items():
        cells = ["%s (%s)" % (fmt(row[e]["median"], "%.3f"), fmt(row[e]["ratio"], "%.2fx"))
                 if e in row else "-" for e in used]
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    gms = []
    for e in used:
        ratios = [r[e]["ratio"] for r in rows.values() if e in r and r[e]["ratio"]]
        gms.append("%s (%d/%d)" % (fmt(geomean(ratios), "%.2fx"), len(ratios), len(rows)))
    lines.append("| **geomean ratio** (kernels) | %s |" % " | ".join(gms))
    lines += ["", "The geometric mean is over the kernels an engine ran correctly (count in "
              "parentheses). wasm-interp runs the import-free variant at the small `interp` "
              "size; its ratio is to native clang at that same size.", ""]
    lines += [CHART_LINE, ""] if chart else []
    lines += compile_section(rows) + rss_section(rows, used)
    lines += ["## Notes", ""] + (["- " + n for n in notes] if notes else ["none"]) + [""]
    lines += ["## Failures", ""] + (["- " + f for f in failures] if failures else ["none"])
    path.write_text("\n".join(lines) + "\n")


def engine_summary(rows, engine):
    """(geomean time ratio, kernels with a ratio, geomean compile CPU
    seconds, median peak RSS MiB) of one engine over the kernels it ran."""
    cells = [r[engine] for r in rows.values() if engine in r]
    ratios = [c["ratio"] for c in cells if c["ratio"]]
    rss = [c["rss_mib"] for c in cells if c["rss_mib"]]
    return (geomean(ratios), len(ratios), geomean([c["compile"] for c in cells]),
            statistics.median(rss) if rss else None)


def summary_section(rows, used):
    lines = ["## Summary", "",
             "| engine | geomean time / native clang | kernels | geomean compile CPU s "
             "| median peak RSS MiB |", "|---|---|---|---|---|"]
    for e in used:
        gm, n, comp, rss = engine_summary(rows, e)
        lines.append("| %s | %s | %d/%d | %s | %s |" % (
            e, fmt(gm, "%.2fx"), n, len(rows), fmt(comp, "%.2f"), fmt(rss, "%.1f")))
    return lines + [""]


def groups_section(rows, used, groups):
    """Each group's geomean per engine, then all kernels'; nothing when
    every kernel is in one group."""
    names = sorted({groups.get(k, "core") for k in rows}, key=group_rank)
    if len(names) < 2:
        return []
    lines = ["## Groups (geomean time / native clang)", "",
             "| group | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
    for g in names + ["all"]:
        sel = [r for k, r in rows.items() if g in ("all", groups.get(k, "core"))]
        cells = []
        for e in used:
            ratios = [r[e]["ratio"] for r in sel if e in r and r[e]["ratio"]]
            cells.append("%s (%d/%d)" % (fmt(geomean(ratios), "%.2fx"), len(ratios), len(sel)))
        lines.append("| %s | %s |" % ("**all**" if g == "all" else g, " | ".join(cells)))
    lines += [""] + ["- %s: %s" % (g, ", ".join(k for k in rows if groups.get(k, "core") == g))
                     for g in names]
    return lines + [""]


# Targets: (label, engine, bound or rival engines or ("max", bound), group
# or None for every kernel).  Issue #7's for the whole suite, issue #12's
# for the loop nests and the library.
GOALS = [("#7: kiln-guard geomean <= 1.10x native clang", "kiln-guard", 1.10, None),
         ("#7: kiln-explicit geomean <= 1.25x native clang", "kiln-explicit", 1.25, None),
         ("#7: kiln-guard geomean below wasm2c's and node's", "kiln-guard", ("wasm2c", "node"),
          None),
         ("#12: loop nests, kiln-guard geomean <= 1.15x", "kiln-guard", 1.15, "loop-nests"),
         ("#12: loop nests, no kernel above 1.5x (kiln-guard)", "kiln-guard", ("max", 1.5),
          "loop-nests"),
         ("#12: loop nests, kiln-explicit geomean <= 1.15x", "kiln-explicit", 1.15, "loop-nests"),
         ("#12: whole suite, kiln-guard geomean <= 1.05x", "kiln-guard", 1.05, None),
         ("#12: library, kiln-guard <= 1.15x its native build", "kiln-guard", 1.15, "library")]


def goal_check(rows, engine, target):
    """(met, text) of one goal, or None when an engine it needs did not
    run.  A comparison with rivals uses the kernels every one of them ran
    correctly, so a rival's crash cannot tilt it."""
    gm, n, _, _ = engine_summary(rows, engine)
    if gm is None:
        return None
    if isinstance(target, float):
        return gm <= target, "%.2fx" % gm
    if target[0] == "max":
        worst = max((r[engine]["ratio"], k) for k, r in rows.items()
                    if engine in r and r[engine]["ratio"])
        return worst[0] <= target[1], "%.2fx (%s)" % worst
    names = (engine, *target)
    common = [r for r in rows.values() if all(e in r and r[e]["ratio"] for e in names)]
    if not common:
        return None
    gms = {e: geomean([r[e]["ratio"] for r in common]) for e in names}
    met = all(gms[engine] < gms[o] for o in target)
    return met, "%.2fx vs %s (%d common kernels)" % (
        gms[engine], ", ".join("%s %.2fx" % (o, gms[o]) for o in target), len(common))


def goals_section(rows, groups=None):
    lines = []
    for label, engine, target, group in GOALS:
        sel = {k: r for k, r in rows.items()
               if group is None or (groups or {}).get(k, "core") == group}
        got = goal_check(sel, engine, target) if sel else None
        if got is not None:
            lines.append("| %s | %s | %s |" % (label, got[1], "yes" if got[0] else "**no**"))
    if not lines:
        return []
    return ["## Targets (issues #7 and #12)", "", "| target | measured | met |", "|---|---|---|",
            *lines, ""]


def compile_section(rows):
    engines = sorted({e for r in rows.values() for e in r if r[e]["compile"] is not None})
    if not engines:
        return []
    lines = ["## Compile time per module (CPU seconds, user+sys)", "",
             "wasm2c column: wasm2c + clang-19 -O2 of the generated C + link.", "",
             "| kernel | " + " | ".join(engines) + " |", "|---" * (len(engines) + 1) + "|"]
    for name, row in rows.items():
        lines.append("| %s | %s |" % (name, " | ".join(
            fmt(row[e]["compile"], "%.2f") if e in row else "-" for e in engines)))
    return lines + [""]


def rss_section(rows, used):
    lines = ["## Peak RSS (MiB, largest over the runs)", "",
             "| kernel | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
    for name, row in rows.items():
        lines.append("| %s | %s |" % (name, " | ".join(
            fmt(row[e]["rss_mib"], "%.1f") if e in row else "-" for e in used)))
    return lines + [""]


def csv_write(path, rows, engines, groups=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["kernel", "engine", "median_s", "ratio_to_native_clang", "peak_rss_mib",
                    "compile_cpu_s", "group"])
        for name, row in rows.items():
            for e in engines:
                if e in row:
                    c = row[e]
                    w.writerow([name, e, "%.4f" % c["median"], fmt(c["ratio"], "%.4f"),
                                fmt(c["rss_mib"], "%.1f"), fmt(c["compile"], "%.3f"),
                                (groups or {}).get(name, "core")])


def chart_write(out):
    """ratios.png from results.csv by chart.py, run by the first Python that
    has matplotlib (Debian's python3-matplotlib lives in /usr/bin/python3,
    which need not be the python3 on PATH).  Returns a note on failure."""
    script = BENCH / "harness" / "chart.py"
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        probe = subprocess.run([py, "-c", "import matplotlib"], capture_output=True)
        if probe.returncode == 0:
            r = subprocess.run([py, str(script), str(out / "results.csv"), str(out / "ratios.png")],
                               capture_output=True, text=True)
            return None if r.returncode == 0 else "no chart: " + first_line(r.stderr)
    return "no chart: matplotlib missing (apt-get install python3-matplotlib)"


CHART_LINE = "Chart: `ratios.png` (next to this file)."
DOCS_CHART = "benchmarks-ratios.png"


def docs_block_replace(text, name, heading, body):
    """text with the block between <!-- bench:NAME:begin/end --> replaced
    by body; without those markers, the section under `heading` (up to the
    next level-2 heading) becomes the block, so other sections are kept.
    None when neither exists."""
    begin, end = "<!-- bench:%s:begin -->" % name, "<!-- bench:%s:end -->" % name
    block = begin + "\n" + body.strip("\n") + "\n" + end
    if begin in text and end in text[text.index(begin):]:
        i = text.index(begin)
        return text[:i] + block + text[text.index(end, i) + len(end):]
    if heading not in text:
        return None
    i = text.index(heading) + len(heading)
    nxt = re.search(r"^## ", text[i:], re.M)
    j = i + nxt.start() if nxt else len(text)
    return text[:i] + "\n\n" + block + "\n\n" + text[j:].lstrip("\n")


def docs_update(results_md, docs, chart=None):
    """Write this run's report (headings one level down) into the *Latest
    results* block of docs/benchmarks.md, and the chart beside it."""
    body = results_md.read_text().split("\n", 1)[1]  # drop the report's title
    body = re.sub(r"^## ", "### ", body, flags=re.M)
    if chart is not None and chart.exists():
        shutil.copyfile(chart, docs.parent / DOCS_CHART)
        body = body.replace(CHART_LINE, "![time / native clang, per kernel](%s)" % DOCS_CHART)
    body = "_Written by `bench/harness/run.py --update-docs`; the same data as `results.md`._\n" + body
    text = docs_block_replace(docs.read_text(), "results", "## Latest results", body)
    if text is None:
        return "docs not updated: no '## Latest results' heading in %s" % docs
    docs.write_text(text)
    return None


# --- driver ------------------------------------------------------------------

def args_parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1 run at the small 'quick' sizes")
    p.add_argument("--runs", type=int, help="rounds per engine (default 5, --quick 1)")
    p.add_argument("--kernels", help="comma-separated subset (default: all in bench/kernels)")
    p.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset")
    p.add_argument("--kiln", default=str(REPO / "build" / "kiln"), help="kiln executable")
    p.add_argument("--out", default=str(REPO / "build" / "bench"), help="output directory")
    p.add_argument("--cache", help="where fetched library sources are kept (default OUT/cache)")
    p.add_argument("--jobs", type=int, default=2, help="parallel builds")
    p.add_argument("--timeout", type=float, default=300, help="seconds per run")
    p.add_argument("--update-docs", action="store_true",
                   help="also write the results into docs/benchmarks.md")
    p.add_argument("--rebuild", action="store_true",
                   help="rebuild everything (default: reuse builds newer than their sources)")
    return p.parse_args(argv)


# Report order of the groups; any other group comes after these.
GROUPS = ["core", "loop-nests", "library"]


def group_rank(group):
    return (GROUPS.index(group) if group in GROUPS else len(GROUPS), group)


def kernels_list(spec):
    """The kernels' and library workloads' names, grouped in GROUPS order
    (or as spec lists them)."""
    srcs = {p.stem: p for p in KERNELS.glob("*.c")}
    srcs.update({n: lib["driver"] for n, lib in libfetch.LIBRARIES.items()})
    names = sorted(srcs, key=lambda n: (group_rank(kernel_group(srcs[n])), n))
    if spec:
        wanted = spec.split(",")
        unknown = [n for n in wanted if n not in names]
        if unknown:
            sys.exit("unknown kernel(s): %s (have: %s)" % (", ".join(unknown), ", ".join(names)))
        names = wanted
    return names


def libraries_fetch(names, cache, notes, log):
    """{library: its source directory} for the library workloads among
    names; one that cannot be fetched is skipped, loudly, in the log and the
    report's notes."""
    dirs = {}
    for name in names:
        if name not in libfetch.LIBRARIES:
            continue
        log("fetching the sources of library workload %s ..." % name)
        path, why = libfetch.library_fetch(name, cache)
        if path is None:
            msg = "LIBRARY WORKLOAD SKIPPED: %s (%s): %s" % (
                name, libfetch.LIBRARIES[name]["package"], why)
            print("*** " + msg, file=sys.stderr, flush=True)
            notes.append("**%s**" % msg)
        else:
            dirs[name] = path
    return dirs


def notes_merge(kernels):
    """One line per distinct note, naming the kernels it applies to."""
    by_note = {}
    for k in kernels:
        for n in k.notes:
            by_note.setdefault(n, []).append(k.name)
    return ["%s (%s)" % (n, ", ".join(names) if len(names) < len(kernels) else "all kernels")
            for n, names in by_note.items()]


def kiln_usable(kiln, scratch):
    """kiln can be benchmarked once `kiln build` turns a WASI program into a
    running executable; until then its engines are skipped with the reason."""
    if not kiln.exists():
        return False, "kiln engines skipped: %s does not exist (make build)" % kiln
    probe = scratch / "probe.wasm"
    exe = scratch / "probe.kiln"
    r = run_measured([str(kiln), "build", str(probe), "-o", str(exe)], 300)
    if r.rc != 0:
        return False, "kiln engines skipped: `kiln build` cannot build a WASI program yet: " + \
            first_line(r.err or r.out)
    r = run_measured([str(exe)], 60)
    if r.rc != 0:
        return False, "kiln engines skipped: a kiln-built WASI program exits %d: %s" % (
            r.rc, first_line(r.err))
    return True, None


def kiln_help(kiln):
    r = subprocess.run([str(kiln), "build", "--help"], capture_output=True, text=True)
    return r.stdout + r.stderr


def engines_available(engines, notes):
    need = {"native-gcc": "gcc", "wasm2c": "wasm2c", "node": "node", "wasm-interp": "wasm-interp"}
    keep = []
    for e in engines:
        if e in need and shutil.which(need[e]) is None:
            notes.append("%s skipped: `%s` not found" % (e, need[e]))
        else:
            keep.append(e)
    return keep


def main(argv):
    args = args_parse(argv)
    runs = args.runs or (1 if args.quick else 5)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    notes = []
    engines = engines_available([e for e in args.engines.split(",") if e], notes)
    bad = [e for e in engines if e not in ENGINES]
    if bad:
        sys.exit("unknown engine(s): " + ", ".join(bad))
    if BASELINE not in engines:
        engines.insert(0, BASELINE)

    def log(msg):
        print(msg, flush=True)

    wasm_cc = wasm_cc_pick(out)
    if wasm_cc is None:
        notes.append("no clang can build wasm32-wasi: every wasm engine skipped")
    kiln = Path(args.kiln)
    kiln_ok, kiln_modes = False, {}
    if wasm_cc and {"kiln", *KILN_MODES} & set(engines):
        kiln_ok, why = kiln_usable(kiln, out)
        if why:
            notes.append(why)
    if kiln_ok:
        kiln_modes = kiln_engines(kiln_help(kiln), engines)
        if "kiln" in kiln_modes and KILN_MODES.keys() & set(engines):
            notes.append("kiln build has no --bounds-checks yet: built once with its default (engine kiln)")
    shim_objs = None
    if wasm_cc and "wasm2c" in engines:
        shim_objs, why = shim_build(out)
        if why:
            notes.append(why)

    machine = machine_describe(kiln, wasm_cc)
    log("machine: " + json.dumps(machine))
    ctx = {"wasm_cc": wasm_cc, "engines": engines, "shim_objs": shim_objs,
           "kiln": kiln, "kiln_ok": kiln_ok, "kiln_modes": kiln_modes}
    names = kernels_list(args.kernels)
    lib_dirs = libraries_fetch(names, Path(args.cache or out / "cache"), notes, log)
    names = [n for n in names if n not in libfetch.LIBRARIES or n in lib_dirs]
    log("building %d kernels with %d jobs ..." % (len(names), args.jobs))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        kernels = list(pool.map(lambda n: kernel_build(
            Kernel(n, out, args.rebuild, lib_dirs.get(n)), ctx), names))
    groups = {k.name: k.group for k in kernels}
    notes += notes_merge(kernels)

    size_arg = "quick" if args.quick else None
    samples = runs_execute(kernels, engines, runs, size_arg, args.timeout, log)
    failures = checksums_verify(kernels, samples)
    notes += exit_crash_notes(samples)
    rows = table_compute(kernels, engines, samples)
    meta = {"mode": "quick" if args.quick else "full", "runs": runs,
            "load_average_at_end": "%.2f %.2f %.2f" % os.getloadavg()}
    csv_write(out / "results.csv", rows, engines, groups)
    chart_note = chart_write(out)
    if chart_note:
        notes.append(chart_note)
    if GNU_TIME is None:
        notes.append("no peak RSS: /usr/bin/time (Debian package `time`) is missing")
    markdown_write(out / "results.md", rows, engines, machine, meta, failures, notes,
                   chart=chart_note is None, groups=groups)
    (out / "machine.json").write_text(json.dumps({**machine, **meta}, indent=2) + "\n")
    if args.update_docs:
        why = docs_update(out / "results.md", REPO / "docs" / "benchmarks.md",
                          None if chart_note else out / "ratios.png")
        print(why or "updated docs/benchmarks.md")
    print((out / "results.md").read_text())
    print("written: %s/results.md, results.csv, machine.json%s" % (
        out, "" if chart_note else ", ratios.png"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
