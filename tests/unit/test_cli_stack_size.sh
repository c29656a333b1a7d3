#!/bin/sh
# test_cli_stack_size.sh KILN - the stack budget as a user setting:
# `kiln run --stack-size SIZE` (compiler/cli_run.c) and the same option of
# executables made by `kiln build` (runtime/wasi/wasi_main.c), both through
# kiln_run_with_stack_budget (runtime/stack_budget.c).  A recursion deeper
# than the default 1 MiB budget traps "call stack exhausted" (status 134)
# and completes with a larger budget, at -O0 and -O2; bad sizes are usage
# errors (status 2).
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm
export XDG_CACHE_HOME="$tmp/cache"

wat2wasm --debug-names "$DIR/wat/recursion.wat" -o "$tmp/rec.wasm" || exit 1
wat2wasm "$DIR/runtime_fixtures/cli_spin_start.wat" -o "$tmp/spin.wasm" || exit 1
wat2wasm "$DIR/wat/recursion_pair.wat" -o "$tmp/pair.wasm" || exit 1

# check WANT-OUT WANT-ERR1 WANT-RC COMMAND...: stdout, the first line of
# stderr and the status of COMMAND.
check() {
    want_out=$1 want_err=$2 want_rc=$3; shift 3
    out=$("$@" 2>"$tmp/err"); rc=$?
    err=$(sed -n 1p "$tmp/err")
    [ "$out" = "$want_out" ] && [ "$err" = "$want_err" ] && [ "$rc" = "$want_rc" ] ||
        fail "$*: got '$out' / '$err' ($rc), want '$want_out' / '$want_err' ($want_rc)"
}

trapped="kiln: trap: call stack exhausted"
for opt in -O0 -O2; do
    # rec(100000) needs more than 1 MiB (16 to 48 bytes a frame).
    check "" "$trapped" 134 "$KILN" run $opt "$tmp/rec.wasm" --invoke rec i32:100000
    grep -qx '  0: rec (wasm function 1)' "$tmp/err" || fail "$opt: no backtrace: $(head -3 "$tmp/err")"
    check "i32:150000" "" 0 "$KILN" run $opt --stack-size 64M "$tmp/rec.wasm" --invoke rec i32:100000
    # _start recurses 300000 deep: at -O0 more than a main thread's 8 MiB.
    check "" "$trapped" 134 "$KILN" run $opt "$tmp/rec.wasm"
    check "" "" 0 "$KILN" run $opt "$tmp/rec.wasm" --stack-size 64m

    "$KILN" build $opt "$tmp/rec.wasm" -o "$tmp/rec$opt" || { fail "kiln build $opt"; continue; }
    check "" "$tmp/rec$opt: wasm trap: call stack exhausted" 134 "$tmp/rec$opt"
    check "" "" 0 "$tmp/rec$opt" --stack-size 64M
    check "" "" 0 "$tmp/rec$opt" --stack-size 67108864 -- program args
    # Mutual recursion across partitions: every call checks the
    # callee's frame-size entry in the other partition's table.
    "$KILN" build $opt --partitions 3 "$tmp/pair.wasm" -o "$tmp/pair$opt" ||
        { fail "kiln build --partitions 3 $opt"; continue; }
    check "" "$tmp/pair$opt: wasm trap: call stack exhausted" 134 "$tmp/pair$opt"
    check "" "" 0 "$tmp/pair$opt" --stack-size 64M
done
# Budgets the main thread holds, smaller and larger than the default.
check "" "$trapped" 134 "$KILN" run --stack-size 64K "$tmp/rec.wasm" --invoke rec i32:10000
check "i32:15000" "" 0 "$KILN" run "$tmp/rec.wasm" --invoke rec i32:10000
check "i32:150000" "" 0 "$KILN" run --stack-size 6M "$tmp/rec.wasm" --invoke rec i32:100000

# --timeout stops the thread that runs wasm, also when it is not the main one.
check "" "kiln: trap: interrupted" 134 "$KILN" run --stack-size 64M --timeout 1 "$tmp/spin.wasm"
if "$KILN" build "$tmp/spin.wasm" -o "$tmp/spin"; then
    check "" "$tmp/spin: wasm trap: interrupted" 134 "$tmp/spin" --timeout 1 --stack-size 64M
else
    fail "kiln build spin"
fi

# Bad sizes: a message and the usage status.
want="(want bytes, or a number with K, M or G, from 1 to 16G)"
for bad in 0 12Q 17G -1 1.5M "" 99999999999999999999; do
    check "" "kiln run: bad --stack-size '$bad' $want" 2 "$KILN" run "$tmp/rec.wasm" --stack-size "$bad"
    check "" "$tmp/rec-O2: bad --stack-size '$bad' $want" 2 "$tmp/rec-O2" --stack-size "$bad"
done
check "" "kiln run: option '--stack-size' needs a value" 2 "$KILN" run "$tmp/rec.wasm" --stack-size
check "" "$tmp/rec-O2: --stack-size needs a value" 2 "$tmp/rec-O2" --stack-size
"$KILN" run --help | grep -q -- '--stack-size SIZE' || fail "kiln run --help lacks --stack-size"

cli_test_end
