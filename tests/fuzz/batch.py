#!/usr/bin/env python3
"""batch.py - the bounded, reproducible fuzz batch that `make test` runs.

Builds tests/fuzz/fuzz_decode.c and fuzz_compile.c with clang-19 under
ASan+UBSan into --build, gathers a fixed seed corpus for each, and runs
each target for a fixed number of executions with a fixed libFuzzer seed,
so two CI runs on the same tree execute the same inputs:

  fuzz_decode   every spec-suite module (--testsuite), examples/, tests/regress/
  fuzz_compile  --compile-sample spec-suite modules (the ones with the
                smallest hashes), examples/, tests/regress/ and --binaryen
                modules from `wasm-opt -ttf` (seed 1)

New inputs go to a fresh work directory, never into the seeds.  Any crash,
sanitizer report, leak, timeout (-timeout per input), out-of-memory or
contract violation (the targets abort) fails the batch; its input is kept
under BUILD/crashes-*/.  Where clang has no libFuzzer runtime the targets
are linked with tests/fuzz/replay.c instead and the seeds are replayed once
each, still under the sanitizers; the summary says so.

  batch.py --build build-fuzz --decode-runs 200000 --compile-runs 3000 \\
      [--testsuite DIR] [-j 2]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CC = "clang-19"
SANITIZE = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"


def libfuzzer_available(tmp):
    """True if clang links a -fsanitize=fuzzer program (libclang-rt-19-dev)."""
    src = os.path.join(tmp, "probe.c")
    with open(src, "w") as f:
        f.write("#include <stddef.h>\n#include <stdint.h>\n"
                "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n"
                "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n")
    r = subprocess.run([CC, "-fsanitize=fuzzer", src, "-o", os.path.join(tmp, "probe")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


def targets_build(build, replay, jobs):
    flags = SANITIZE if replay else "-fsanitize=fuzzer-no-link," + SANITIZE[len("-fsanitize="):]
    cfg = ["cmake", "-S", ROOT, "-B", build, "-G", "Unix Makefiles", "-DCMAKE_C_COMPILER=" + CC,
           "-DKILN_FUZZ=ON", "-DKILN_FUZZ_REPLAY=" + ("ON" if replay else "OFF"),
           "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DCMAKE_C_FLAGS=" + flags]
    if subprocess.run(cfg, stdout=subprocess.DEVNULL).returncode != 0:
        return False
    make = ["cmake", "--build", build, "-j%d" % jobs, "--target", "fuzz_decode", "fuzz_compile"]
    return subprocess.run(make, stdout=subprocess.DEVNULL).returncode == 0


def seeds_gather(out, testsuite, sample, binaryen):
    """A fresh seed directory; returns how many inputs it holds."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, os.path.join(HERE, "gather-seeds.py"), "--out", out,
           os.path.join(ROOT, "examples"), os.path.join(ROOT, "tests", "regress")]
    if testsuite:
        cmd += ["--testsuite", testsuite]
    if sample is not None:
        cmd += ["--sample", str(sample)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    if binaryen:
        subprocess.run([sys.executable, os.path.join(HERE, "differential", "gen_seeds.py"),
                        "--out", out, "--count", str(binaryen), "--seed", "1"],
                       check=True, stdout=subprocess.DEVNULL)
    return len(os.listdir(out))


def target_run(build, name, seeds, runs, timeout, extra):
    """Runs one target; returns (ok, executions, seconds, detail)."""
    work = os.path.join(build, "work-" + name)
    crashes = os.path.join(build, "crashes-" + name) + "/"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(crashes, exist_ok=True)
    before = set(os.listdir(crashes))
    # -max_total_time only guards against a stuck machine; -runs ends the batch.
    cmd = [os.path.join(build, name), "-runs=%d" % runs, "-seed=1", "-timeout=%d" % timeout,
           "-max_total_time=1800", "-rss_limit_mb=4096", "-print_final_stats=1",
           "-artifact_prefix=" + crashes] + extra + [work, seeds]
    start = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    seconds = time.monotonic() - start
    with open(os.path.join(build, name + ".log"), "w") as f:
        f.write(r.stdout)
    m = re.search(r"stat::number_of_executed_units: (\d+)", r.stdout)
    execs = int(m.group(1)) if m else 0
    # slow-unit-* files are libFuzzer's notes on slow inputs, not failures.
    found = sorted(f for f in set(os.listdir(crashes)) - before if not f.startswith("slow-unit-"))
    if r.returncode == 0 and not found and m:
        return True, execs, seconds, ""
    tail = "\n".join(r.stdout.splitlines()[-25:])
    return False, execs, seconds, f"exit {r.returncode}, new artifacts {found}\n{tail}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--testsuite")
    ap.add_argument("--decode-runs", type=int, default=200000)
    ap.add_argument("--compile-runs", type=int, default=3000)
    ap.add_argument("--compile-sample", type=int, default=300)
    ap.add_argument("--binaryen", type=int, default=20)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--replay", action="store_true", help="use the replay driver even if libFuzzer exists")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    with tempfile.TemporaryDirectory() as tmp:
        replay = args.replay or not libfuzzer_available(tmp)
    if replay and not args.replay:
        print(f"fuzz: {CC} has no libFuzzer runtime (libclang-rt-19-dev); "
              "replaying the seed corpora once under ASan+UBSan instead")
    if not targets_build(build, replay, args.j):
        print("fuzz: FAILED to build the fuzz targets")
        return 1
    suite = args.testsuite if args.testsuite and os.path.isdir(args.testsuite) else None
    if not suite:
        print("fuzz: WASM_TESTSUITE not set: seeds are examples/, tests/regress/ and binaryen only")
    plan = [
        ("fuzz_decode", seeds_gather(os.path.join(build, "seeds-decode"), suite, None, 0 if suite else args.binaryen),
         args.decode_runs, 60, []),
        ("fuzz_compile", seeds_gather(os.path.join(build, "seeds-compile"), suite, args.compile_sample, args.binaryen),
         args.compile_runs, 300, []),
    ]
    # Per-input timeouts are wall-clock: generous, because a large module at
    # -O2 under ASan takes seconds and a loaded machine stretches that tenfold.
    failed = total = 0
    for name, nseeds, runs, timeout, extra in plan:
        seeds = os.path.join(build, "seeds-" + name.split("_")[1])
        ok, execs, seconds, detail = target_run(build, name, seeds, runs, timeout, extra)
        total += execs
        print(f"{name}: {execs} executions from {nseeds} seeds in {seconds:.0f} s: "
              + ("ok" if ok else "FAILED"), flush=True)
        if not ok:
            failed += 1
            print(detail)
    mode = "seed replay" if replay else "libFuzzer -seed=1"
    print(f"fuzz: {len(plan)} targets, {total} executions, {failed} failed ({mode}, ASan+UBSan)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
