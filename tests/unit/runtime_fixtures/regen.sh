#!/bin/sh
# Regenerates the *.meta.h metadata arrays from the .wat sources (needs wabt).
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
for wat in *.wat; do
    name=${wat%.wat}
    wat2wasm "$wat" -o "$tmp/$name.wasm"
    python3 wasm_strip.py "$tmp/$name.wasm" "$name" > "$name.meta.h"
done
rm -r "$tmp"
