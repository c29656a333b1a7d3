#!/usr/bin/env python3
"""gather-seeds.py - builds a libFuzzer corpus of .wasm files.

Sources: every module wast2json extracts from the spec suite (--testsuite;
valid, invalid and malformed ones alike: all are good starting points),
plus .wasm files and .wat files (assembled with wat2wasm) found in the
directories given as arguments (e.g. examples/, tests/regress/).
Files are named by content hash, so re-running only adds new ones.
--sample N keeps only the N spec-suite modules with the smallest hashes: a
fixed, content-chosen subset for the short CI batch (tests/fuzz/batch.py),
where loading all 4,000+ modules into the compile fuzzer would take minutes.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile

FLAGS = {
    "tail-call": ["--enable-tail-call"],
    "extended-const": ["--enable-extended-const"],
    "multi-memory": ["--enable-multi-memory"],
    "memory64": ["--enable-memory64"],
    "exception-handling": ["--enable-exceptions"],
}


def add(out, data):
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(out, name)
    if os.path.exists(path):
        return 0
    with open(path, "wb") as f:
        f.write(data)
    return 1


def wast_files(suite):
    for name in sorted(os.listdir(suite)):
        if name.endswith(".wast"):
            yield os.path.join(suite, name), []
    prop = os.path.join(suite, "proposals")
    for sub in sorted(os.listdir(prop)) if os.path.isdir(prop) else []:
        if sub not in FLAGS:
            continue
        for name in sorted(os.listdir(os.path.join(prop, sub))):
            if name.endswith(".wast"):
                yield os.path.join(prop, sub, name), FLAGS[sub]


def from_suite(suite, out, tmp, sample=None):
    found = {}
    for i, (path, flags) in enumerate(wast_files(suite)):
        d = os.path.join(tmp, str(i))
        os.makedirs(d)
        rc = subprocess.run(["wast2json"] + flags + [path, "-o", os.path.join(d, "s.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        if rc:
            continue
        for name in os.listdir(d):
            if name.endswith(".wasm"):
                with open(os.path.join(d, name), "rb") as f:
                    data = f.read()
                found[hashlib.sha1(data).hexdigest()] = data
    keep = sorted(found)[:sample] if sample is not None else found
    return sum(add(out, found[h]) for h in keep)


def from_dir(d, out, tmp):
    added = 0
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        path = os.path.join(d, name)
        if name.endswith(".wat"):
            wasm = os.path.join(tmp, name + ".wasm")
            if subprocess.run(["wat2wasm", path, "-o", wasm]).returncode:
                continue
            path = wasm
        elif not name.endswith(".wasm"):
            continue
        with open(path, "rb") as f:
            added += add(out, f.read())
    return added


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--testsuite")
    ap.add_argument("--sample", type=int, help="keep only N spec-suite modules (smallest hashes)")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    added = 0
    with tempfile.TemporaryDirectory(prefix="kiln-seeds-") as tmp:
        if args.testsuite and os.path.isdir(args.testsuite):
            added += from_suite(args.testsuite, args.out, tmp, args.sample)
        for d in args.dirs:
            added += from_dir(d, args.out, tmp)
    print("gather-seeds: %d new, %d in %s" % (added, len(os.listdir(args.out)), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
