#!/bin/sh
# test_runtime_link.sh KILN BUILD - the runtime links no decoder: neither
# libkiln_rt.a nor libkiln_ir.a needs a symbol of the front end (decoder,
# validator, opcode and feature tables), and an executable `kiln build`
# makes contains none of them, yet runs (it instantiates from the module
# image the object carries, compiler/module_image.h).
set -u
KILN=$1
BUILD=$2
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm nm
export XDG_CACHE_HOME="$tmp/cache"

front='module_decode|module_validate|opcode_lookup|kiln_opcode_table|features_all|module_image_write'

undefined=$(nm -u "$BUILD/libkiln_rt.a" "$BUILD/libkiln_ir.a" | grep -Ew "$front")
[ -z "$undefined" ] || fail "the runtime libraries need the front end: $undefined"

wat2wasm "$DIR/../../examples/hello.wat" -o "$tmp/hello.wasm" || exit 1
"$KILN" build -j 1 "$tmp/hello.wasm" -o "$tmp/hello" || fail "kiln build"
out=$("$tmp/hello")
[ "$out" = "Hello from kiln! 10! = 3628800" ] || fail "hello printed '$out'"
defined=$(nm "$tmp/hello" | grep -Ew "$front")
[ -z "$defined" ] || fail "the executable holds front-end code: $defined"
cli_test_end
