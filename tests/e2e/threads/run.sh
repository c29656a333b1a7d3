#!/bin/sh
# tests/e2e/threads/run.sh KILN [ROUNDS] - the hand-written
# wasm32-wasip1-threads programs of this folder (Debian ships no
# wasi-threads sysroot, so no C program), each run ROUNDS times (default
# 5; use 50 or more when looking for races) by `kiln run` in both bounds
# modes and as a `kiln build` executable, with their exact output and
# status checked.  Exit 77 (skipped) without wat2wasm.
set -u
KILN=$1
ROUNDS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v wat2wasm > /dev/null 2>&1 || { echo "wat2wasm missing: skipped"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

# expect NAME STATUS STDOUT STDERR-SUBSTRING COMMAND...
expect() {
    what=$1 want_status=$2 want_out=$3 want_err=$4
    shift 4
    timeout 60 "$@" > "$TMP/out" 2> "$TMP/err"
    status=$?
    out=$(cat "$TMP/out")
    if [ "$status" != "$want_status" ] || [ "$out" != "$want_out" ] ||
       { [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$TMP/err"; }; then
        echo "FAIL $what: status $status (want $want_status), stdout '$out' (want '$want_out')"
        sed 's/^/  stderr: /' "$TMP/err" | head -5
        failed=$((failed + 1))
    fi
}

# case NAME STATUS STDOUT STDERR-SUBSTRING
case_run() {
    name=$1
    wat2wasm --enable-threads "$HERE/$name.wat" -o "$TMP/$name.wasm" || { failed=$((failed + 1)); return; }
    "$KILN" build -q "$TMP/$name.wasm" -o "$TMP/$name.exe" || { failed=$((failed + 1)); return; }
    i=0
    while [ $i -lt "$ROUNDS" ]; do
        for mode in explicit guard; do
            expect "$name (kiln run, $mode)" "$2" "$3" "$4" \
                "$KILN" run -q --bounds-checks=$mode "$TMP/$name.wasm"
        done
        expect "$name (kiln build)" "$2" "$3" "$4" "$TMP/$name.exe"
        i=$((i + 1))
    done
}

case_run spawn_lock 0 "ok 80000 80000" ""
case_run thread_trap 134 "" "wasm trap: unreachable"
case_run thread_exit 7 "" ""
case_run main_returns 0 "" ""

# The bound on spawned threads running at once (docs/wasi.md, Threads):
# the default once (spawning 1,024 threads takes a moment), a small one in
# every way in.
wat2wasm --enable-threads "$HERE/spawn_many.wat" -o "$TMP/spawn_many.wasm" &&
    "$KILN" build -q "$TMP/spawn_many.wasm" -o "$TMP/spawn_many.exe" || failed=$((failed + 1))
expect "spawn_many (kiln run, default bound)" 0 1024 "" "$KILN" run -q "$TMP/spawn_many.wasm"
for mode in explicit guard; do
    expect "spawn_many (kiln run --max-threads 3, $mode)" 0 3 "" \
        "$KILN" run -q --bounds-checks=$mode --max-threads 3 "$TMP/spawn_many.wasm"
done
expect "spawn_many (kiln build, --max-threads=5)" 0 5 "" "$TMP/spawn_many.exe" --max-threads=5
expect "spawn_many (kiln build, --max-threads 0)" 2 "" "--max-threads needs a number" \
    "$TMP/spawn_many.exe" --max-threads 0

# kiln run's limits apply to every spawned thread's instance too.
wat2wasm --enable-threads "$HERE/thread_limits.wat" -o "$TMP/thread_limits.wasm" || failed=$((failed + 1))
expect "thread_limits (kiln run)" 0 grew "" "$KILN" run -q "$TMP/thread_limits.wasm"
expect "thread_limits (kiln run --max-table-elements 10)" 0 capped "" \
    "$KILN" run -q --max-table-elements 10 "$TMP/thread_limits.wasm"
if [ $failed -ne 0 ]; then echo "$failed failed"; exit 1; fi
echo "threads e2e: all passed ($ROUNDS rounds)"
