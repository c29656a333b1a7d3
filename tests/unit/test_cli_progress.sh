#!/bin/sh
# test_cli_progress.sh KILN - what kiln says besides errors (issue #13
# item 5, compiler/progress.c) and the CPU kiln run compiles for (issue
# #12 item 4, compiler/load.c):
#   - on a terminal (a pty from script(1)) a compile of more than a second
#     shows a progress line, redrawn with \r and erased; -q shows nothing;
#   - with stderr on a pipe or a file there is never a progress line;
#   - -v prints the phases with times and peak RSS; -q prints nothing at
#     all on success (compile, build, run);
#   - -j defaults to the CPUs kiln may run on (taskset);
#   - kiln run compiles for this CPU by default, and its cache key tells
#     --cpu generic apart; kiln compile stays generic unless --cpu.
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm script
export XDG_CACHE_HOME="$tmp/cache"

wat2wasm "$DIR/runtime_fixtures/cli_wasi.wat" -o "$tmp/hello.wasm" || exit 1
# A module that takes seconds to compile at -O2: 3000 small functions.
awk 'BEGIN {
    print "(module (memory 1) (func (export \"_start\"))"
    for (i = 0; i < 3000; i++)
        printf "(func (export \"f%d\") (param i32) (result i32) local.get 0 i32.const %d i32.mul " \
               "local.get 0 i32.load i32.add local.get 0 i32.const 3 i32.shl i32.xor)\n", i, i
    print ")" }' >"$tmp/big.wat"
wat2wasm "$tmp/big.wat" -o "$tmp/big.wasm" || exit 1
slow="-O2 -j 1 --partitions 4"

# on_tty FILE COMMAND...: COMMAND's stderr (and stdout) on a pty, into FILE.
on_tty() {
    out=$1; shift
    script -qec "$*" /dev/null >"$out" 2>&1
}

# ---- a terminal: a progress line, redrawn in place, erased at the end ----
on_tty "$tmp/tty" "$KILN" compile $slow "$tmp/big.wasm" -o "$tmp/big.o" || fail "kiln compile on a pty"
grep -q 'kiln: [0-9]* s, lowered [0-9]*/3001 functions, optimised [0-4]/4, emitted [0-4]/4 partitions' \
    "$tmp/tty" || fail "no progress line on a terminal: $(od -c "$tmp/tty" | head -5)"
[ "$(tr -cd '\r' <"$tmp/tty" | wc -c)" -ge 2 ] || fail "the progress line is not redrawn with \\r"
[ -z "$(tr '\r' '\n' <"$tmp/tty" | tail -n 1 | tr -d ' ')" ] ||
    fail "the progress line is not erased: $(tr '\r' '\n' <"$tmp/tty" | tail -n 1)"
on_tty "$tmp/tty" "$KILN" compile -q $slow "$tmp/big.wasm" -o "$tmp/big.o" || fail "kiln compile -q on a pty"
[ ! -s "$tmp/tty" ] || fail "kiln compile -q printed on a terminal: $(od -c "$tmp/tty" | head -3)"

# ---- a file or a pipe: never a progress line; -v: the phases ----
"$KILN" compile -O0 -j 1 --partitions 4 -v "$tmp/big.wasm" -o "$tmp/big.o" 2>"$tmp/err" ||
    fail "kiln compile -v"
grep -q "$(printf '\r')" "$tmp/err" && fail "a progress line went to a file"
for phase in decode validate 'compile: 3001 functions in 4 partitions on 1 thread' \
    'partition 1/4: 751 functions, lower [0-9.]* s, optimise [0-9.]* s, emit [0-9.]* s' \
    'partition 4/4' 'join partitions' total; do
    grep -q "^kiln: *$phase.*" "$tmp/err" || fail "kiln compile -v does not show '$phase': $(cat "$tmp/err")"
done
grep -q '^kiln: decode  *[0-9]*\.[0-9]* s   peak RSS [0-9]* MB$' "$tmp/err" ||
    fail "kiln compile -v: no time and peak RSS: $(sed -n 1p "$tmp/err")"
"$KILN" compile $slow "$tmp/big.wasm" -o "$tmp/big.o" 2>&1 | cat >"$tmp/err"
[ ! -s "$tmp/err" ] || fail "kiln compile printed to a pipe: $(od -c "$tmp/err" | head -3)"

"$KILN" build -v -O0 "$tmp/hello.wasm" -o "$tmp/hello" 2>"$tmp/err" || fail "kiln build -v"
grep -q '^kiln: link executable ' "$tmp/err" || fail "kiln build -v: no link phase: $(cat "$tmp/err")"
"$KILN" run -v -O0 "$tmp/hello.wasm" >"$tmp/out" 2>"$tmp/err"
for phase in decode validate 'check imports' 'compile: ' 'link shared library' 'load (cached or compiled)' total; do
    grep -q "^kiln: *$phase" "$tmp/err" || fail "kiln run -v does not show '$phase': $(cat "$tmp/err")"
done
[ "$(cat "$tmp/out")" = hi ] || fail "kiln run -v: the program printed '$(cat "$tmp/out")'"
# Run again: the library is in the cache, and the module is neither
# decoded nor validated again (its imports are checked on the module the
# library's own image describes).
"$KILN" run -v -O0 "$tmp/hello.wasm" >"$tmp/out" 2>"$tmp/err"
for phase in 'load from the cache' 'check imports' total; do
    grep -q "^kiln: *$phase" "$tmp/err" || fail "a cached kiln run -v does not show '$phase': $(cat "$tmp/err")"
done
for phase in decode validate 'compile: ' 'load (cached or compiled)'; do
    grep -q "^kiln: *$phase" "$tmp/err" && fail "a cached kiln run -v shows '$phase': $(cat "$tmp/err")"
done
[ "$(cat "$tmp/out")" = hi ] || fail "a cached kiln run -v: the program printed '$(cat "$tmp/out")'"

# ---- -q: nothing but the program's own output ----
"$KILN" compile -q "$tmp/hello.wasm" -o "$tmp/hello.o" --enable-exceptions 2>"$tmp/err" &&
    [ ! -s "$tmp/err" ] || fail "kiln compile -q --enable-exceptions printed: $(cat "$tmp/err")"
"$KILN" build -q "$tmp/hello.wasm" -o "$tmp/hello" 2>"$tmp/err" && [ ! -s "$tmp/err" ] ||
    fail "kiln build -q printed: $(cat "$tmp/err")"
out=$("$KILN" run -q --no-cache "$tmp/hello.wasm" 2>"$tmp/err"); rc=$?
[ "$out" = hi ] && [ "$rc" = 7 ] && [ ! -s "$tmp/err" ] ||
    fail "kiln run -q: '$out', status $rc, stderr $(cat "$tmp/err")"

# ---- -j defaults to the CPUs kiln may use ----
if command -v taskset >/dev/null; then
    taskset -c 0 "$KILN" compile -v -O0 --partitions 4 "$tmp/big.wasm" -o "$tmp/big.o" 2>"$tmp/err"
    grep -q 'in 4 partitions on 1 thread$' "$tmp/err" ||
        fail "-j under taskset -c 0 is not 1: $(grep partitions "$tmp/err")"
fi
cpus=$(nproc); [ "$cpus" -gt 4 ] && cpus=4
"$KILN" compile -v -O0 --partitions 4 "$tmp/big.wasm" -o "$tmp/big.o" 2>"$tmp/err"
grep -q "in 4 partitions on $cpus thread" "$tmp/err" ||
    fail "-j is not the $(nproc) CPUs: $(grep partitions "$tmp/err")"

# ---- --cpu: kiln run native by default, in the cache key; compile generic ----
rm -rf "$tmp/cache"
libs() { ls "$tmp/cache/kiln" 2>/dev/null | grep -c '\.so$'; }
"$KILN" run -O0 "$tmp/hello.wasm" >/dev/null
"$KILN" run -O0 --cpu native "$tmp/hello.wasm" >/dev/null
[ "$(libs)" = 1 ] || fail "kiln run and kiln run --cpu native made $(libs) cache entries, want 1"
"$KILN" run -O0 --cpu generic "$tmp/hello.wasm" >/dev/null
[ "$(libs)" = 2 ] || fail "kiln run --cpu generic shares the native cache entry ($(libs) entries)"
"$KILN" run -O0 --cpu=generic "$tmp/hello.wasm" >/dev/null
[ "$(libs)" = 2 ] || fail "kiln run --cpu=generic made a third entry"
"$KILN" compile -O1 "$tmp/big.wasm" -o "$tmp/default.o" &&
    "$KILN" compile -O1 --cpu generic "$tmp/big.wasm" -o "$tmp/generic.o" &&
    cmp -s "$tmp/default.o" "$tmp/generic.o" || fail "kiln compile is not generic by default"

# ---- measuring aids: a sample of the partitions, their IR (compiler/emit.c) ----
mkdir -p "$tmp/ir"
KILN_DEV_PARTITION_SAMPLE=2 KILN_DEV_DUMP_IR="$tmp/ir" "$KILN" compile -O1 -j 1 --partitions 4 \
    "$tmp/big.wasm" -o "$tmp/sample.o" || fail "a sampled compile failed"
[ "$(ls "$tmp/ir")" = "$(printf 'p0.bc\np2.bc')" ] ||
    fail "partitions 0 and 2 of 4 should be compiled and dumped, got: $(ls "$tmp/ir")"
rm -f "$tmp"/ir/*
KILN_DEV_PARTITIONS=3,1 KILN_DEV_DUMP_IR="$tmp/ir" "$KILN" compile -O1 -j 1 --partitions 4 \
    "$tmp/big.wasm" -o "$tmp/listed.o" || fail "a compile of listed partitions failed"
[ "$(ls "$tmp/ir")" = "$(printf 'p1.bc\np3.bc')" ] ||
    fail "partitions 1 and 3 of 4 should be compiled and dumped, got: $(ls "$tmp/ir")"
"$KILN" compile -O1 -j 1 --partitions 4 "$tmp/big.wasm" -o "$tmp/whole.o"
[ "$(stat -c %s "$tmp/sample.o")" -lt "$(stat -c %s "$tmp/whole.o")" ] ||
    fail "the sampled object is not smaller than the whole one"

cli_test_end
