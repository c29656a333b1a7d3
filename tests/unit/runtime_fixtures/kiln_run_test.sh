#!/bin/sh
# kiln_run_test.sh KILN - checks `kiln run --invoke` against node's own
# WebAssembly engine (run_oracle.mjs), plus the things only kiln has: exact
# NaN bits, trap messages, link errors and the compile cache.
# Exit 77 (skipped) without wat2wasm or node.
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
command -v wat2wasm >/dev/null && command -v node >/dev/null || { echo "skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME="$tmp/cache"
wat2wasm "$DIR/cli.wat" -o "$tmp/cli.wasm" || exit 1
wat2wasm "$DIR/cli_imports.wat" -o "$tmp/imports.wasm" || exit 1
wat2wasm "$DIR/cli_wasi.wat" -o "$tmp/wasi.wasm" || exit 1
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# same RESULT-TYPES NAME ARG...: kiln and node print the same and agree on trapping.
same() {
    results=$1; shift
    want=$(RESULTS="$results" node "$DIR/run_oracle.mjs" "$tmp/cli.wasm" "$@" 2>/dev/null); wrc=$?
    got=$("$KILN" run -O1 "$tmp/cli.wasm" --invoke "$@" 2>/dev/null); grc=$?
    [ "$want" = "$got" ] && [ "$wrc" = "$grc" ] || fail "$*: kiln '$got' ($grc), node '$want' ($wrc)"
}

# expect STDOUT STDERR RC ARGS...: the exact output of `kiln run ARGS`.
expect() {
    out=$1 err=$2 rc=$3; shift 3
    got_out=$("$KILN" run "$@" 2>"$tmp/err"); got_rc=$?
    got_err=$(cat "$tmp/err")
    [ "$got_out" = "$out" ] && [ "$got_err" = "$err" ] && [ "$got_rc" = "$rc" ] ||
        fail "kiln run $*: got '$got_out' / '$got_err' ($got_rc)"
}

# traps MESSAGE FRAME0 ARGS...: `kiln run ARGS` traps: status 134, stderr
# "kiln: trap: MESSAGE" then the backtrace, innermost frame FRAME0 (cli.wat
# has no name section, so frames are wasm-function[N]).
traps() {
    msg=$1 frame0=$2; shift 2
    got_out=$("$KILN" run "$@" 2>"$tmp/err"); got_rc=$?
    first=$(sed -n 1p "$tmp/err") second=$(sed -n 2p "$tmp/err")
    [ "$got_out" = "" ] && [ "$first" = "kiln: trap: $msg" ] && [ "$second" = "$frame0" ] &&
        [ "$got_rc" = 134 ] || fail "kiln run $*: got '$got_out' / '$first' '$second' ($got_rc)"
}

same i32 add i32:2 i32:40
same i32 add i32:2147483647 i32:1
same i32 add i32:0xffffffff i32:-1
same i32 div_s i32:-7 i32:2
same i32 div_s i32:1 i32:0
same i32 div_s i32:-2147483648 i32:-1
same i64 mul64 i64:-9223372036854775808 i64:-1
same i64 mul64 i64:123456789 i64:987654321
same f32 fdiv32 f32:1 f32:3
same f32 fdiv32 f32:-1 f32:0
same f32 fdiv32 f32:1.4e-45 f32:2
same f64 fsqrt64 f64:2
same f64 fsqrt64 f64:-1
same "f64 f32" pair f32:1.5 f64:-0.25
same f64 tiny
same f32 neg_zero
same funcref null_func
same externref null_ext
same i32 is_null externref:null
same i32 is_null externref:3
same i32 load i32:8
same i32 load i32:65533
same i32 grow i32:1
same i32 grow i32:2
same "" trap

nl='
'
expect "f32:nan:0xff800123" "" 0 "$tmp/cli.wasm" --invoke nan_bits
expect "v128:0x0f0e0d0c0b0a09080706050403020100" "" 0 "$tmp/cli.wasm" \
    --invoke swap128 v128:0x000102030405060708090a0b0c0d0e0f
expect "f64:0x1.8p+1" "" 0 "$tmp/cli.wasm" --invoke fsqrt64 f64:0x1.2p+3
expect "f64:nan:0x7ff0000000000001${nl}f32:nan:0x7fa00001" "" 0 "$tmp/cli.wasm" \
    --invoke pair f32:nan:0x7fa00001 f64:nan:0x7ff0000000000001
expect "i32:1${nl}i32:1" "" 0 "$tmp/cli.wasm" --invoke grow i32:1 --invoke grow i32:1
traps "integer divide by zero" "  0: wasm-function[1]" "$tmp/cli.wasm" --invoke div_s i32:1 i32:0
traps "integer overflow" "  0: wasm-function[1]" "$tmp/cli.wasm" --invoke div_s i32:-2147483648 i32:-1
traps "out of bounds memory access" "  0: wasm-function[14]" "$tmp/cli.wasm" --invoke load i32:65533
traps "call stack exhausted" "  0: wasm-function[13]" "$tmp/cli.wasm" --invoke recurse i32:0
grep -q '^  63: wasm-function\[13\]$' "$tmp/err" && grep -q '^  \.\.\. [0-9]* more frames$' "$tmp/err" ||
    fail "a deep recursion shows 64 frames and how many more: $(tail -n 2 "$tmp/err")"
traps "unreachable" "  0: wasm-function[16]" "$tmp/cli.wasm" --invoke trap
expect "" "$tmp/imports.wasm: error: 2 imports cannot be resolved; kiln run provides WASI preview1 (\"wasi_snapshot_preview1\") and nothing else; nothing was compiled:${nl}  \"env\".\"f\": func () -> (): unknown import${nl}  \"env\".\"mem\": memory i32 pages min 1: unknown import${nl}  (kiln run --trap-unknown-imports defines the unknown function as a function that traps when called)" 1 \
    "$tmp/imports.wasm" --invoke nop
expect "" "kiln run: argument 1 of add: 'f32:1' is not a i32 value" 2 "$tmp/cli.wasm" --invoke add f32:1 i32:2
expect "" "kiln run: add takes 2 argument(s), 1 given" 2 "$tmp/cli.wasm" --invoke add i32:1

expect "hi" "" 7 "$tmp/wasi.wasm"
expect "" "kiln run: the module exports no _start (use --invoke NAME)" 2 "$tmp/cli.wasm"

# --timeout: a start function that loops forever and a 30 s WASI sleep (a
# host call no signal ends) both stop with the "interrupted" trap, status
# 134, long before 30 s, in both bounds-check modes; a run that ends in
# time is untouched.
wat2wasm "$DIR/cli_spin_start.wat" -o "$tmp/spin_start.wasm" || exit 1
wat2wasm "$DIR/cli_sleep.wat" -o "$tmp/sleep.wasm" || exit 1
for mode in explicit guard; do
    for m in spin_start sleep; do
        begin=$(date +%s)
        "$KILN" run --bounds-checks=$mode --timeout 1 "$tmp/$m.wasm" >/dev/null 2>"$tmp/err"; rc=$?
        secs=$(($(date +%s) - begin))
        [ "$rc" = 134 ] && [ "$(sed -n 1p "$tmp/err")" = "kiln: trap: interrupted" ] && [ "$secs" -lt 15 ] ||
            fail "--timeout 1 on $m ($mode): status $rc after ${secs}s: $(cat "$tmp/err")"
    done
done
expect "i32:42" "" 0 "$tmp/cli.wasm" --timeout 30 --invoke add i32:2 i32:40
# The same for executables made by `kiln build`.
for m in spin_start sleep; do
    "$KILN" build "$tmp/$m.wasm" -o "$tmp/$m" || { fail "kiln build $m"; continue; }
    begin=$(date +%s)
    "$tmp/$m" --timeout 1 >/dev/null 2>"$tmp/err"; rc=$?
    secs=$(($(date +%s) - begin))
    [ "$rc" = 134 ] && [ "$(sed -n 1p "$tmp/err")" = "$tmp/$m: wasm trap: interrupted" ] && [ "$secs" -lt 15 ] ||
        fail "built $m --timeout 1: status $rc after ${secs}s: $(cat "$tmp/err")"
done

# The cache: one library per (module, flags), no temporary files left, and
# racing processes on an empty cache all succeed.
rm -rf "$XDG_CACHE_HOME"
for i in 1 2 3 4; do "$KILN" run -O2 "$tmp/cli.wasm" --invoke add i32:$i i32:1 > "$tmp/race$i" & done
wait
for i in 1 2 3 4; do [ "$(cat "$tmp/race$i")" = "i32:$((i + 1))" ] || fail "racing run $i: $(cat "$tmp/race$i")"; done
[ "$(ls "$XDG_CACHE_HOME/kiln" | grep -c '\.so$')" = 1 ] || fail "cache: $(ls "$XDG_CACHE_HOME/kiln")"
[ "$(ls "$XDG_CACHE_HOME/kiln" | grep -c '^tmp-')" = 0 ] || fail "cache keeps temporary files"
"$KILN" run -O3 "$tmp/cli.wasm" --invoke add i32:1 i32:1 > /dev/null
[ "$(ls "$XDG_CACHE_HOME/kiln" | grep -c '\.so$')" = 2 ] || fail "cache: -O3 must not reuse the -O2 library"

[ "$failures" = 0 ] && echo "kiln run: all checks passed"
[ "$failures" = 0 ]
