#!/usr/bin/env python3
"""gen_seeds.py - valid modules from binaryen's `wasm-opt -ttf` for fuzz corpora.

Each module comes from seeded random bytes (--seed, --count), with the
same feature set the differential runner uses; files are named by content
hash so re-running only adds new ones.
"""
import argparse
import hashlib
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen import module_generate  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    added = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.count):
            data = module_generate(random.Random(args.seed * 1000003 + i), tmp)
            if data is None:
                continue
            path = os.path.join(args.out, hashlib.sha1(data).hexdigest())
            if not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(data)
                added += 1
    print(f"gen_seeds: {added} new binaryen modules in {args.out}")


if __name__ == "__main__":
    main()
