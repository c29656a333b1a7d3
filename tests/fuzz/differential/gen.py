"""gen.py - random valid modules from binaryen's translate-to-fuzz mode.

`wasm-opt -ttf` reads arbitrary bytes and builds a valid module from them.
Features are limited to what is final in WebAssembly 2.0 and what kiln
compiles: binaryen 108's reference-types output predates the final 2.0
form, so it stays off.  --denan keeps NaN bits (which the spec leaves
nondeterministic) out of results.
"""
import os
import subprocess

FEATURES = [
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-simd",
]


def module_generate(rng, tmp, size=None):
    """Returns the bytes of one generated module, or None if binaryen failed."""
    seed = os.path.join(tmp, "seed.bin")
    out = os.path.join(tmp, "gen.wasm")
    with open(seed, "wb") as f:
        f.write(bytes(rng.getrandbits(8) for _ in range(size or rng.randint(256, 8192))))
    cmd = ["wasm-opt", seed, "-ttf", "--denan", "-o", out] + FEATURES
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0 or not os.path.exists(out):
        return None
    with open(out, "rb") as f:
        return f.read()
