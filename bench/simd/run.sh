#!/usr/bin/env bash
# SIMD speed-up under kiln: the same kernel built to wasm with and without
# -msimd128, each turned into a native executable by `kiln build`, timed
# side by side with hyperfine (medians), checksums compared.
#   bench/simd/run.sh [KILN]        (default: build/kiln)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kiln=${1:-build/kiln}
out=${OUT:-build/bench/simd}
mkdir -p "$out"
clang --target=wasm32-wasi -O3 "$here/kernel.c" -o "$out/scalar.wasm"
clang --target=wasm32-wasi -O3 -msimd128 "$here/kernel.c" -o "$out/simd.wasm"
# The SIMD build must really carry v128 code, or the comparison means nothing.
wasm-objdump -d "$out/simd.wasm" > "$out/simd.dis"
wasm-objdump -d "$out/scalar.wasm" > "$out/scalar.dis"
if ! grep -q 'i8x16\|i32x4\|f32x4' "$out/simd.dis"; then
    echo "simd.wasm has no SIMD instructions" >&2; exit 1
fi
if grep -q 'i8x16\|i32x4\|f32x4' "$out/scalar.dis"; then
    echo "scalar.wasm unexpectedly has SIMD instructions" >&2; exit 1
fi
"$kiln" build -O2 "$out/scalar.wasm" -o "$out/scalar"
"$kiln" build -O2 "$out/simd.wasm" -o "$out/simd"
s=$("$out/scalar"); v=$("$out/simd")
if [ "$s" != "$v" ]; then echo "checksums differ: '$s' vs '$v'" >&2; exit 1; fi
echo "$s"
hyperfine -N --warmup 1 --runs ${RUNS:-7} --export-json "$out/simd.json" \
    -n scalar "$out/scalar" -n simd128 "$out/simd" >/dev/null
python3 - "$out/simd.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
s, v = r["scalar"], r["simd128"]
# Wall medians are what a user sees; user CPU is steadier on a busy machine.
print(f"kiln scalar build: wall median {s['median']:.3f} s, user {s['user']:.3f} s")
print(f"kiln simd128 build: wall median {v['median']:.3f} s, user {v['user']:.3f} s")
print(f"speed-up: wall {s['median'] / v['median']:.2f}x, user {s['user'] / v['user']:.2f}x")
PY
