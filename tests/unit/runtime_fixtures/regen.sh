#!/bin/sh
# Regenerates the *.meta.h metadata arrays from the .wat sources (needs wabt).
set -e
cd "$(dirname "$0")"
tmp=$(mktemp -d)
# (cli*.wat are used as .wasm by kiln_run_test.sh, not as fixtures)
for name in basic importer oob_elem oob_data start; do
    wat2wasm "$name.wat" -o "$tmp/$name.wasm"
    python3 wasm_strip.py "$tmp/$name.wasm" "$name" > "$name.meta.h"
done
rm -r "$tmp"
