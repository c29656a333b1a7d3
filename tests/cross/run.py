#!/usr/bin/env python3
"""Cross targets: `kiln build --target TRIPLE` executables under qemu-user.

For each target and each bounds mode (explicit, guard), a few programs of
tests/e2e/progs (their e2e- comments say how to run them, as for
tests/e2e/run.py) are turned into wasm once, built by kiln for the host
and with `kiln build --target TRIPLE`, and run side by side, the target's
under `qemu-ARCH-static -L /usr/TRIPLE`.  Exit status, stdout and stderr
must be equal (the program's own path aside); a trap must also show its
backtrace (e2e-backtrace names).

It also checks that `kiln build --target` names what is missing (an
unknown target, the cross gcc, the cross runtime).  Then kiln-spec built for the target (cmake/cross/, in
BUILD/kiln-cross/build/TRIPLE/) runs a subset of the spec suite under qemu
in both modes; it hands every module to the host's kiln (`kiln compile
--target TRIPLE`, tests/spec/compile_spawn.c) and links it with
TRIPLE-gcc.  Without --testsuite that part is skipped, as `make
test-spec` skips.

Usage: tests/cross/run.py --build DIR [--targets T,...] [--testsuite DIR]
                          [--known FILE] [-j N]
Exit status 0 when everything selected passes.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import run as e2e  # noqa: E402  (tests/e2e/run.py: Spec, execute, ...)

# Debian packages per target: the cross gcc with its libc, and qemu.
TARGETS = {
    "aarch64-linux-gnu": "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
    "riscv64-linux-gnu": "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross",
}
MODES = ["explicit", "guard"]
# Arguments, files in a preopened directory, floats
# (riscv64's lp64d ABI), SIMD (scalarised on riscv64), bulk memory, an
# out-of-bounds trap (the guard-page fault path) and a trap with names.
PROGRAMS = ["args", "files", "float_math", "simd_intrin_lanes", "bulk_memory", "trap_oob",
            "trap_divzero"]
# Quick spec files (few modules each: every module costs a host compile,
# a cross link and, in guard mode, qemu mapping an 8 GiB reservation):
# integer and float semantics, conversions, memory, its growth and its
# traps, calls through tables, the stack, traps, some SIMD (e2e covers bulk
# memory and SIMD lanes).
SPEC_FILES = ["i32", "i64", "f32", "f64", "conversions", "address", "memory_trap", "memory_grow",
              "traps", "call_indirect", "br_table", "left-to-right", "select", "stack", "unwind",
              "simd_f32x4_rounding", "simd_f64x2_rounding", "simd_i32x4_arith"]


def qemu_for(triple):
    arch = triple.split("-")[0]
    return shutil.which("qemu-%s-static" % arch) or shutil.which("qemu-%s" % arch)


def missing(build, triple):
    """What keeps `triple` from being tested, or None."""
    if not shutil.which(triple + "-gcc"):
        return "%s-gcc is not installed (apt-get install %s)" % (triple, TARGETS[triple])
    if not qemu_for(triple):
        return "qemu-%s-static is not installed (apt-get install qemu-user-static)" % triple.split("-")[0]
    if not os.path.exists(os.path.join(build, "kiln-cross", triple, "libkiln_rt.a")):
        return "no runtime in %s/kiln-cross/%s (cmake --build %s --target kiln-cross-runtimes)" % (
            build, triple, build)
    return None


def step(cmd):
    r = subprocess.run(cmd, capture_output=True, timeout=e2e.TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")))


def run_one(spec, exe, prefix, work, tag):
    """(status, stdout, stderr) of exe, its own path in stderr replaced."""
    scratch = e2e.scratch_dir(work, tag)
    cmd = prefix + e2e.kiln_command(None, exe, spec, scratch, "build", None)
    status, out, err = e2e.execute(cmd, spec, scratch, dict(spec.env))
    return status, out, err.replace(exe.encode(), b"PROGRAM")


def differences(spec, host, cross):
    diffs = []
    for what, h, c in zip(("exit status", "stdout", "stderr"), host, cross):
        if h != c:
            show = (lambda v: v.decode(errors="replace")) if isinstance(h, bytes) else str
            diffs.append("%s differs:\n--- host\n%s\n--- target\n%s" % (what, show(h), show(c)))
    if spec.trap:
        if cross[0] != 134:
            diffs.append("did not trap: status %d" % cross[0])
        diffs += e2e.backtrace_check(spec, cross[2])
    return diffs


def check_program(spec, kiln, targets, root):
    """Every (target, mode) of one program: [(label, diffs)]."""
    work = tempfile.mkdtemp(prefix=spec.name + "-", dir=root)
    wasm = os.path.join(work, spec.name + ".wasm")
    results = []
    try:
        for cmd in e2e.wasm_steps(spec, work, wasm):
            step(cmd)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return [(spec.name, ["wasm build: %s" % e])]
    for mode in MODES:
        host_exe = os.path.join(work, "%s.%s.host" % (spec.name, mode))
        try:
            step([kiln, "build", wasm, "-o", host_exe, "--bounds-checks=" + mode])
            host = run_one(spec, host_exe, [], work, "host-" + mode)
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            results.append(("%s host %s" % (spec.name, mode), ["host: %s" % e]))
            continue
        for triple in targets:
            label = "%s %s %s" % (spec.name, triple, mode)
            exe = os.path.join(work, "%s.%s.%s" % (spec.name, mode, triple))
            qemu = [qemu_for(triple), "-L", "/usr/" + triple]
            try:
                step([kiln, "build", wasm, "-o", exe, "--target", triple, "--bounds-checks=" + mode])
                cross = run_one(spec, exe, qemu, work, "%s-%s" % (triple, mode))
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                results.append((label, [str(e)]))
                continue
            results.append((label, differences(spec, host, cross)))
    return results


def run_programs(kiln, targets, jobs):
    specs = [e2e.Spec(os.path.join(e2e.PROGS, name + ".c")) for name in PROGRAMS]
    root = tempfile.mkdtemp(prefix="kiln-cross-")
    start = time.monotonic()
    failed = total = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for results in pool.map(lambda s: check_program(s, kiln, targets, root), specs):
                for label, diffs in results:
                    total += 1
                    failed += bool(diffs)
                    print("%-4s %s" % ("FAIL" if diffs else "ok", label))
                    for d in diffs:
                        print("     " + d.replace("\n", "\n     ").rstrip())
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("cross e2e: %d passed, %d failed in %.0f s" % (total - failed, failed, time.monotonic() - start))
    return failed == 0


def cli_checks(build, kiln):
    """`kiln build --target` refuses what it cannot do, before compiling,
    with status 2 and a message naming what is missing."""
    work = tempfile.mkdtemp(prefix="kiln-cross-cli-")
    wasm = os.path.join(work, "m.wasm")
    with open(wasm, "wb") as f:
        f.write(b"\0asm\1\0\0\0")
    hostlibs = os.path.join(work, "libs")
    os.makedirs(hostlibs)
    for lib in os.listdir(build):
        if lib.startswith("libkiln_") and lib.endswith(".a"):
            os.symlink(os.path.join(build, lib), os.path.join(hostlibs, lib))
    cases = [  # (label, --target, environment changes, expected stderr text)
        ("unknown target", "sparc64-linux-gnu", {}, "no kiln runtime for target 'sparc64-linux-gnu'"),
        ("no cross gcc", "aarch64-linux-gnu", {"PATH": work},
         "aarch64-linux-gnu-gcc is not installed (Debian: apt-get install gcc-aarch64-linux-gnu"),
        ("no cross runtime", "riscv64-linux-gnu", {"KILN_LIB_DIR": hostlibs},
         "no kiln runtime for riscv64-linux-gnu (%s/kiln-cross/riscv64-linux-gnu/" % hostlibs),
    ]
    ok = True
    for label, triple, env, want in cases:
        r = subprocess.run([kiln, "build", wasm, "-o", os.path.join(work, "x"), "--target", triple],
                           capture_output=True, env=dict(os.environ, **env), timeout=e2e.TIMEOUT)
        err = r.stderr.decode(errors="replace")
        good = r.returncode == 2 and want in err
        ok = ok and good
        print("%-4s kiln build --target: %s" % ("ok" if good else "FAIL", label))
        if not good:
            print("     status %d, stderr %r; want status 2 and %r" % (r.returncode, err, want))
    shutil.rmtree(work, ignore_errors=True)
    return ok


def run_spec(build, kiln, triple, testsuite, known, jobs):
    runner = os.path.join(build, "kiln-cross", "build", triple, "kiln-spec")
    files = [os.path.join(testsuite, f + ".wast") for f in SPEC_FILES]
    if not os.access(runner, os.X_OK):
        print("FAIL spec subset on %s: no %s (cmake --build %s --target kiln-cross-runtimes)" % (
            triple, runner, build))
        return False
    env = dict(os.environ, CC=triple + "-gcc", KILN_SPEC_KILN=kiln)
    ok = True
    for mode in MODES:
        print("== spec subset (%d files) on %s, %s bounds checks, under qemu" % (len(files), triple, mode),
              flush=True)
        cmd = [qemu_for(triple), "-L", "/usr/" + triple, runner, "-j", str(jobs), "-O2",
               "--known", known] + (["--guard-pages"] if mode == "guard" else []) + files
        start = time.monotonic()
        ok = subprocess.run(cmd, env=env).returncode == 0 and ok
        print("   (%.0f s)" % (time.monotonic() - start), flush=True)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="kiln's build directory")
    ap.add_argument("--targets", default=",".join(TARGETS), help="comma-separated triples")
    ap.add_argument("--testsuite", default=os.environ.get("WASM_TESTSUITE"))
    ap.add_argument("--known", default=os.path.join(ROOT, "tests", "spec", "known-failures.txt"))
    ap.add_argument("-j", type=int, default=2)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    kiln = os.path.join(build, "kiln")
    targets = a.targets.split(",")
    start = time.monotonic()
    problems = [(t, missing(build, t)) for t in targets if t in TARGETS]
    problems += [(t, "unknown target (known: %s)" % ", ".join(TARGETS)) for t in targets if t not in TARGETS]
    for t, why in problems:
        if why:
            print("FAIL %s: %s" % (t, why))
    if any(why for _, why in problems):
        return 1
    ok = cli_checks(build, kiln)
    ok = run_programs(kiln, targets, a.j) and ok
    if not a.testsuite or not os.path.isdir(a.testsuite):
        print("== spec subset under qemu: SKIPPED (WASM_TESTSUITE is not set or not a directory)")
    else:
        for triple in targets:
            ok = run_spec(build, kiln, triple, os.path.abspath(a.testsuite), a.known, a.j) and ok
    print("cross targets (%s): %s in %.0f s" % (", ".join(targets), "passed" if ok else "FAILED",
                                               time.monotonic() - start))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
