#!/usr/bin/env python3
"""run.py [--kiln build/kiln] [--quick] [--timeout S] [--as BYTES] [SHAPE[=N]...]

Runs red-team modules from gen.py through every way into kiln: `kiln
validate`, `kiln compile` at -O0 and -O2 in both bounds modes, `kiln run`
and a program from `kiln build`, each under nice, timeout and an address-
space limit (prlimit --as).  Prints one line per step: exit status, wall
and user seconds, peak RSS, and the last line of stderr.

Each shape's outcome is checked against what gen.py says it must be
(`expect`): a shape fails when no allowed outcome matches every step, when
a step dies of a signal (other than a wasm trap's exit 134), times out,
prints an LLVM error, an assertion or a sanitizer report, or takes more
memory than the shape's bound.  A step over a quarter of the timeout is
marked SLOW (not a failure: the machine may be loaded).

--quick runs every shape at its small size (make test-redteam, about a
minute); without it, at the size the red team ran (many minutes of CPU)."""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TRAP_STATUS = 134  # kiln's exit status for a wasm trap (SIGABRT's)


class Step:
    def __init__(self, label, rc, wall, user, rss_mb, stderr, made):
        self.label, self.rc, self.wall, self.user = label, rc, wall, user
        self.rss_mb, self.stderr, self.made = rss_mb, stderr, made

    def broken(self):
        """A failure whatever the shape expects."""
        t = self.stderr
        return (self.rc < 0 or (self.rc > 128 and self.rc != TRAP_STATUS) or self.rc == 124 or
                "LLVM ERROR" in t or "Assertion" in t or "Sanitizer" in t or "Segmentation" in t)


def run_step(label, cmd, a, as_bytes, output=None):
    if output and os.path.exists(output):
        os.unlink(output)
    full = ["nice", "/usr/bin/time", "-f", "TIME %e %U %M", "timeout", "-s", "KILL", str(a.timeout),
            "prlimit", f"--as={as_bytes}", "--"] + cmd
    p = subprocess.run(full, capture_output=True, text=True, errors="replace")
    lines = p.stderr.strip().splitlines()
    wall = user = 0.0
    rss = 0
    if lines and lines[-1].startswith("TIME "):
        _, wall, user, rss = lines.pop().split()
        wall, user, rss = float(wall), float(user), int(rss) // 1024
    lines = [l for l in lines if not l.startswith("Command ")]  # /usr/bin/time's own
    made = bool(output) and os.path.exists(output)
    return Step(label, p.returncode, wall, user, rss, "\n".join(lines), made)


def step_matches(step, outcome):
    """Whether one step agrees with one allowed outcome (`runs`,
    `trap:TEXT`, `invalid:TEXT`, `unlinkable:TEXT`)."""
    kind, _, text = outcome.partition(":")
    label, rc, err = step.label, step.rc, step.stderr
    if kind == "invalid":
        if label == "exe":
            return False  # nothing may have been built
        return rc == 1 and text in err and not step.made
    if label == "validate" or label.startswith("compile") or label == "build -O0":
        return rc == 0 and (step.made or label == "validate")
    if kind == "runs":
        return rc == 0
    if kind == "trap":
        return rc == TRAP_STATUS and text in err
    if kind == "unlinkable":
        return rc == 1 and text in err
    raise ValueError(f"unknown outcome {outcome!r}")


def show(step, flag):
    last = step.stderr.splitlines()[-1][:110] if step.stderr else ""
    print(f"  {flag:<4} {step.label:<20} rc={step.rc:<4} {step.wall:7.2f}s wall {step.user:7.2f}s user "
          f"{step.rss_mb:6d} MB  {last}", flush=True)


def run_shape(name, n, expect, rss_mb, a, tmp):
    wasm = os.path.join(tmp, name + ".wasm")
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), name, wasm, str(n)], check=True)
    print(f"{name} (n = {n}, {os.path.getsize(wasm)} bytes; expect {expect})", flush=True)
    k, obj, exe = a.kiln, os.path.join(tmp, "out.o"), os.path.join(tmp, "prog")
    run_as = a.as_bytes + (9 << 30)  # room for the guard-mode reservation
    steps = [run_step("validate", [k, "validate", wasm], a, a.as_bytes)]
    for lvl in ("-O0", "-O2"):
        for mode in ("guard", "explicit"):
            steps.append(run_step(f"compile {lvl} {mode}", [k, "compile", lvl, f"--bounds-checks={mode}",
                                                           "-o", obj, wasm], a, a.as_bytes, obj))
    steps.append(run_step("run -O0", [k, "run", "-O0", "--no-cache", "--timeout", str(a.timeout // 2),
                                      wasm], a, run_as))
    steps.append(run_step("build -O0", [k, "build", "-O0", "-o", exe, wasm], a, a.as_bytes, exe))
    if steps[-1].made:
        steps.append(run_step("exe", [exe], a, run_as))
        os.unlink(exe)
    allowed = expect.split("|")
    matched = next((o for o in allowed if all(step_matches(s, o) for s in steps)), None)
    failed = matched is None
    for s in steps:
        bad = s.broken() or (rss_mb and s.rss_mb > rss_mb)
        failed |= bool(bad)
        mismatch = matched is None and not any(step_matches(s, o) for o in allowed)
        show(s, "BAD" if bad or mismatch else ("SLOW" if s.wall > a.timeout / 4 else "ok"))
    if rss_mb:
        print(f"  peak RSS bound {rss_mb} MB", flush=True)
    print(f"  -> {'FAILED' if failed else 'ok'}" + (f" ({matched})" if matched else ""), flush=True)
    return failed


def shapes_listed():
    out = subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), "--list"], capture_output=True,
                         text=True, check=True).stdout
    shapes = {}
    for line in out.splitlines():
        name, default, quick, expect, rss_mb = line.split("\t")
        shapes[name] = (int(default), int(quick), expect, int(rss_mb))
    return shapes


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", default="build/kiln")
    p.add_argument("--quick", action="store_true", help="every shape at its small size")
    p.add_argument("--timeout", type=int, default=120)
    p.add_argument("--as", dest="as_bytes", type=int, default=6 << 30)
    p.add_argument("shapes", nargs="*", help="SHAPE or SHAPE=N (default: all)")
    a = p.parse_args()
    a.kiln = os.path.abspath(a.kiln)
    known = shapes_listed()
    chosen = a.shapes or list(known)
    failed = []
    with tempfile.TemporaryDirectory(prefix="kiln-redteam-") as tmp:
        for spec in chosen:
            name, _, n = spec.partition("=")
            if name not in known:
                sys.exit(f"run.py: unknown shape {name} (gen.py --list)")
            default, quick, expect, rss_mb = known[name]
            size = int(n) if n else (quick if a.quick else default)
            if run_shape(name, size, expect, rss_mb, a, tmp):
                failed.append(spec)
    print(f"red team: {len(chosen) - len(failed)} of {len(chosen)} shapes as expected; failed: "
          f"{' '.join(failed) if failed else 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
