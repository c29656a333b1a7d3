#!/bin/sh
# test_header.sh KILN BUILD - the header `kiln compile --header` writes
# (compiler/header.c): it compiles warning-free, every value type crosses
# its typed imports and exports (header_host.c, linked with BUILD's
# runtime), awkward names become distinct identifiers, missing exports are
# KILN_EXPORT_MISSING, and many exports stay fast.
set -u
KILN=$1
BUILD=$2
DIR=$(cd "$(dirname "$0")" && pwd)
INCLUDE=$DIR/../../include
CC=${CC:-cc}
command -v wat2wasm >/dev/null && command -v "$CC" >/dev/null || { echo "skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# NAME PREFIX: wat/NAME.wat -> $tmp/PREFIX.o and $tmp/PREFIX.h
compile() {
    wat2wasm "$DIR/wat/$1.wat" -o "$tmp/$1.wasm" &&
        "$KILN" compile "$tmp/$1.wasm" -o "$tmp/$2.o" --prefix "$2" --header "$tmp/$2.h"
}

# Value types, imports, missing exports: build and run header_host.c.
compile header_types types && compile header_other other || fail "compiling the fixtures"
$CC -std=c11 -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -pedantic -Werror \
    -I"$INCLUDE" -I"$tmp" "$DIR/header_host.c" "$tmp/types.o" "$tmp/other.o" \
    "$BUILD/libkiln_rt.a" "$BUILD/libkiln_ir.a" -lpthread -lm -o "$tmp/host" ||
    fail "header_host.c does not build"
[ -x "$tmp/host" ] && { "$tmp/host" || fail "header_host reported failures"; }

# Names: distinct identifiers, nothing the header reserves, no helper
# for a repeated import or one whose name has a NUL byte.
compile header_names names || fail "compiling header_names.wat"
h=$tmp/names.h
for id in names_import_a_b_c names_import_a_b_c_1 names_a_b names_a_b_1 names_bind_2 \
    names_module_3 names_call_x_4 names_call_call_x names_x names_call_x names_int names_ \
    names_call_ names_exports_8 names_m_ names_call_m_ names___; do
    grep -q " $id(" "$h" || fail "no function $id in the header"
done
[ "$(grep -c 'static inline bool names_define_import_' "$h")" = 2 ] ||
    fail "want helpers for 2 of the 4 function imports"
grep -q 'kiln_instance_export_func(inst, "m\\000", 2, &sig)' "$h" || fail "NUL in an export name"
printf '#include "names.h"\nint main(void) { names_exports x; return (int)names_bind(0, &x); }\n' >"$tmp/use.c"
$CC -std=c11 -Wall -Wextra -pedantic -Werror -I"$INCLUDE" -I"$tmp" -c "$tmp/use.c" -o "$tmp/use.o" ||
    fail "names.h does not compile as C"

# Many exports whose names sanitise alike: the header stays fast (the
# duplicate search once took exponential time).
awk 'BEGIN { print "(module (func $f)"; for (i = 0; i < 2000; i++) printf "(export \"f.%d\" (func $f)) (export \"f_%d\" (func $f))\n", i, i; print ")" }' \
    >"$tmp/many.wat"
wat2wasm "$tmp/many.wat" -o "$tmp/many.wasm" || fail "many.wat"
timeout 60 "$KILN" compile "$tmp/many.wasm" -o "$tmp/many.o" -O0 --header "$tmp/many.h" ||
    fail "4000 exports: no header within 60 s"
grep -q ' many_f_1999_3999(' "$tmp/many.h" || fail "4000 exports: f_1999 not told apart from f.1999"

[ "$failures" = 0 ] && echo "ok" || echo "$failures failure(s)"
[ "$failures" = 0 ]
