#!/usr/bin/env python3
"""End-to-end tests: C programs built natively and through kiln, run side
by side, their stdout, stderr and exit status compared.

Each program in tests/e2e/progs/*.c is compiled three ways:
    native:  $CC -O2 prog.c -lm                       (the oracle)
    wasm:    clang --target=wasm32-wasi -O2 prog.c -lm
    kiln:    kiln build prog.wasm -o prog.kiln
and both executables run with the same arguments, environment, stdin
and a fresh scratch directory.  Comment lines at the top of a program
say how to run it:
    // e2e-args: ARGS...          program arguments (shell-style quoting)
    // e2e-env: NAME=VALUE ...    the environment (nothing else is passed)
    // e2e-stdin: FILE            stdin from progs/FILE (default: empty)
    // e2e-dir                    a scratch dir: native cwd, kiln `--dir D::.`
    // e2e-trap                   must trap: native dies on a signal, kiln
                                  exits 134 with a trap message and a
                                  backtrace (at least frame 0) on stderr;
                                  only stdout is compared
    // e2e-backtrace: NAMES...    these function names appear, in this
                                  order (innermost first), among the
                                  backtrace's frames.  The wasm is then
                                  compiled and linked in two steps: given
                                  -O, clang's link step runs binaryen's
                                  wasm-opt when it is installed, which
                                  drops the name section
    // e2e-expect: FILE           no native run: kiln's stdout must equal
                                  progs/FILE and its status must be 0
    // e2e-wasm-flags: FLAGS...   clang flags for the wasm build, replacing
                                  the default -O2 (e.g. -O3 -msimd128)
    // e2e-wasm-has: OPS...       each of these instruction mnemonics (or
                                  prefixes, e.g. "v128." or "i8x16.") must
                                  appear in `wasm-objdump -d` of the wasm,
                                  so a test cannot silently stop covering them

With `--via run` the wasm is run by `kiln run FILE.wasm [--dir D::.] --
ARGS` instead of a built executable (`e2e-env` variables go through its
`--env`; a trap is status 134 there too).

`--bounds-checks explicit|guard` compiles the wasm in that mode (default:
kiln's own default, guard pages on 64-bit Linux).

Usage: tests/e2e/run.py [--kiln PATH] [--via build|run] [-j N] [--keep DIR]
                        [--no-openat2] [--bounds-checks MODE] [NAME...]
Exit status 0 when every selected program passes.
"""
import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(HERE, "progs")
TIMEOUT = 60
TRAP_STATUS = {"build": 134, "run": 134}  # one status for a trap, as wasmtime


class Spec:
    """How to run one program, read from its e2e- comment lines."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.args, self.env, self.stdin = [], {}, None
        self.dir = self.trap = False
        self.expect = None
        self.wasm_flags, self.wasm_has = ["-O2"], []
        self.backtrace = []
        for line in open(path, encoding="utf-8"):
            m = re.match(r"\s*//\s*e2e-([\w-]+)(?::\s*(.*))?$", line)
            if m:
                self.option(m.group(1), (m.group(2) or "").strip())

    def option(self, key, value):
        if key == "args":
            self.args = shlex.split(value)
        elif key == "env":
            self.env = dict(kv.split("=", 1) for kv in shlex.split(value))
        elif key == "stdin":
            self.stdin = os.path.join(PROGS, value)
        elif key == "dir":
            self.dir = True
        elif key == "trap":
            self.trap = True
        elif key == "expect":
            self.expect = os.path.join(PROGS, value)
        elif key == "wasm-flags":
            self.wasm_flags = shlex.split(value)
        elif key == "wasm-has":
            self.wasm_has += value.split()
        elif key == "backtrace":
            self.backtrace = value.split()
        else:
            raise ValueError("%s: unknown e2e option %r" % (self.path, key))


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, **kw)


def mode_flags(mode):
    return ["--bounds-checks=" + mode] if mode else []


def wasm_steps(spec, work, wasm):
    """The clang commands that build spec's program as `wasm`."""
    if spec.backtrace:  # keep the name section (see e2e-backtrace)
        obj = os.path.join(work, spec.name + ".o")
        return [["clang", "--target=wasm32-wasi", "-c"] + spec.wasm_flags + [spec.path, "-o", obj],
                ["clang", "--target=wasm32-wasi", obj, "-o", wasm, "-lm"]]
    return [["clang", "--target=wasm32-wasi"] + spec.wasm_flags + [spec.path, "-o", wasm, "-lm"]]


def build(spec, work, kiln, cc, via, mode):
    """Returns (native, kiln target) paths, or raises RuntimeError; the
    target is the executable, or with --via run the .wasm itself."""
    native = os.path.join(work, spec.name + ".native")
    wasm = os.path.join(work, spec.name + ".wasm")
    exe = os.path.join(work, spec.name + ".kiln")
    steps = [[cc, "-O2", "-w", spec.path, "-o", native, "-lm"]] if not spec.expect else []
    steps += wasm_steps(spec, work, wasm)
    if via == "run":
        exe = wasm
    else:
        steps += [[kiln, "build", wasm, "-o", exe] + mode_flags(mode)]
    for cmd in steps:
        r = run(cmd)
        if r.returncode != 0:
            raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
        if "--target=wasm32-wasi" in cmd and spec.wasm_has:
            wasm_check_ops(spec, wasm)
    return native, exe


def wasm_check_ops(spec, wasm):
    """Raises RuntimeError unless every e2e-wasm-has mnemonic is in the
    wasm's disassembly."""
    r = run(["wasm-objdump", "-d", wasm])
    if r.returncode != 0:
        raise RuntimeError("wasm-objdump -d failed:\n%s" % r.stderr.decode(errors="replace"))
    ops = set(re.findall(r"\|\s*([a-z0-9_]+\.[a-z0-9_.]+|[a-z_]+)", r.stdout.decode(errors="replace")))
    missing = [w for w in spec.wasm_has if not any(o == w or (w.endswith(".") and o.startswith(w)) for o in ops)]
    if missing:
        raise RuntimeError("wasm lacks instructions %s (wasm-objdump -d)" % " ".join(missing))


def execute(cmd, spec, cwd, env=None):
    stdin = open(spec.stdin, "rb") if spec.stdin else subprocess.DEVNULL
    try:
        r = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=TIMEOUT, cwd=cwd,
                           env=dict(spec.env) if env is None else env)
    finally:
        if spec.stdin:
            stdin.close()
    # A native death by signal N reads as the shell's 128 + N.
    status = 128 - r.returncode if r.returncode < 0 else r.returncode
    return status, r.stdout, r.stderr


def kiln_command(kiln, target, spec, scratch, via, mode):
    cmd = [kiln, "run", target] + mode_flags(mode) if via == "run" else [target]
    if spec.dir:
        cmd += ["--dir", scratch + "::."]
    for k, v in spec.env.items():
        cmd += ["--env", "%s=%s" % (k, v)]
    return cmd + ["--"] + spec.args


def scratch_dir(work, tag):
    d = os.path.join(work, tag)
    os.makedirs(d)
    return d


FRAME = re.compile(r"^  (\d+): (?:(.*) \(wasm function \d+\)|wasm-function\[\d+\])$")


def backtrace_check(spec, kerr):
    """A trap's stderr has a backtrace with spec.backtrace's names in order."""
    frames = [m for m in map(FRAME.match, kerr.decode(errors="replace").splitlines()) if m]
    if not frames or frames[0].group(1) != "0":
        return ["no backtrace in kiln's stderr: %r" % kerr[-300:]]
    names = iter(m.group(2) for m in frames)
    missing = [n for n in spec.backtrace if not any(n == got for got in names)]
    if missing:
        return ["backtrace lacks %s (in order): %r" % (" ".join(missing), kerr[-600:])]
    return []


def compare(spec, native, kiln, via):
    """Returns a list of differences (empty: pass)."""
    (ns, nout, nerr), (ks, kout, kerr) = native, kiln
    diffs = []
    if spec.trap:
        if ns < 128:
            diffs.append("native run did not die on a signal (status %d)" % ns)
        if ks != TRAP_STATUS[via] or b"trap" not in kerr:
            diffs.append("kiln did not trap: status %d, stderr %r" % (ks, kerr[-200:]))
        diffs += backtrace_check(spec, kerr)
    else:
        if ns != ks:
            diffs.append("exit status: native %d, kiln %d" % (ns, ks))
        if nerr != kerr:
            diffs.append("stderr differs:\n--- native\n%s--- kiln\n%s" % (
                nerr.decode(errors="replace"), kerr.decode(errors="replace")))
    if nout != kout:
        diffs.append("stdout differs:\n--- native\n%s--- kiln\n%s" % (
            nout.decode(errors="replace"), kout.decode(errors="replace")))
    return diffs


def check(spec, kiln, cc, root, extra_env, via, mode):
    work = tempfile.mkdtemp(prefix=spec.name + "-", dir=root)
    try:
        native, target = build(spec, work, kiln, cc, via, mode)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        return spec.name, ["build: %s" % e]
    try:
        kd = scratch_dir(work, "kiln-dir")
        # `kiln run` itself needs PATH (to link) and HOME (its cache); it
        # passes none of it to the program.
        # The program sees only spec.env either way (nothing is inherited).
        kiln_env = dict(os.environ) if via == "run" else dict(spec.env)
        kiln_env.update(extra_env)
        got = execute(kiln_command(kiln, target, spec, kd, via, mode), spec, kd, kiln_env)
        if spec.expect:
            want = (0, open(spec.expect, "rb").read(), b"")
        else:
            nd = scratch_dir(work, "native-dir")
            want = execute([native] + spec.args, spec, nd)
    except subprocess.TimeoutExpired as e:
        return spec.name, ["timeout: %s" % e]
    return spec.name, compare(spec, want, got, via)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kiln", default=os.environ.get("KILN", "build/kiln"))
    ap.add_argument("--cc", default=os.environ.get("E2E_CC", "cc"))
    ap.add_argument("--via", choices=["build", "run"], default="build",
                    help="run the wasm through `kiln build` executables or `kiln run`")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--keep", help="keep build products under this directory")
    ap.add_argument("--no-openat2", action="store_true",
                    help="run the kiln builds with the portable path walk")
    ap.add_argument("--bounds-checks", choices=["explicit", "guard"],
                    help="memory bounds-check mode of the compiled wasm (default: kiln's)")
    ap.add_argument("names", nargs="*", help="programs to run (default: all)")
    a = ap.parse_args()
    kiln = os.path.abspath(a.kiln)
    if not os.access(kiln, os.X_OK):
        sys.exit("e2e: no kiln binary at %s (use --kiln)" % kiln)
    specs = [Spec(os.path.join(PROGS, f)) for f in sorted(os.listdir(PROGS)) if f.endswith(".c")]
    if a.names:
        specs = [s for s in specs if s.name in a.names]
    root = a.keep or tempfile.mkdtemp(prefix="kiln-e2e-")
    os.makedirs(root, exist_ok=True)
    extra_env = {"KILN_WASI_NO_OPENAT2": "1"} if a.no_openat2 else {}
    failed = skipped = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.j) as pool:
        for name, diffs in pool.map(lambda s: check(s, kiln, a.cc, root, extra_env, a.via, a.bounds_checks), specs):
            if diffs is None:
                print("skip %s" % name)
                skipped += 1
                continue
            print("%-4s %s" % ("FAIL" if diffs else "ok", name))
            for d in diffs:
                print("     " + d.replace("\n", "\n     ").rstrip())
            failed += bool(diffs)
    if not a.keep:
        shutil.rmtree(root, ignore_errors=True)
    print("e2e (via %s, %s bounds checks): %d passed, %d failed, %d skipped, %d total" % (
        a.via, a.bounds_checks or "default", len(specs) - failed - skipped, failed, skipped, len(specs)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
