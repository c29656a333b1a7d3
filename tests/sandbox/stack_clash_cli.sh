#!/bin/sh
# stack_clash_cli.sh KILN CLASH - a big-frame recursion through `kiln run`
# and through a `kiln build` executable traps with "call stack exhausted"
# (exit status 134) instead of dying by a signal (issue #11).  CLASH is
# kiln-stack-clash, which writes the module (see stack_clash.c).
KILN=$1
CLASH=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$CLASH" --emit "$tmp" --sizes 64 || exit 1
for level in -O0 -O2; do
  for bounds in guard explicit; do
    what="kiln run $level --bounds-checks=$bounds"
    "$KILN" run $level --bounds-checks=$bounds "$tmp/frame64k.wasm" --invoke big i32:1000000000 \
      >"$tmp/out" 2>&1
    status=$?
    [ $status -eq 134 ] || fail "$what: exit status $status (want 134)"
    grep -q "call stack exhausted" "$tmp/out" || fail "$what: no 'call stack exhausted'"
  done
done
# A built executable runs _start, which calls big(1e9).
"$KILN" build -O0 "$tmp/frame64k.wasm" -o "$tmp/frame64k" || fail "kiln build failed"
"$tmp/frame64k" >"$tmp/out" 2>&1
status=$?
[ $status -eq 134 ] || fail "kiln build executable: exit status $status (want 134)"
grep -q "call stack exhausted" "$tmp/out" || fail "kiln build executable: no 'call stack exhausted'"
# With a budget larger than the main thread's stack it runs on its own
# thread and still ends in the trap, not in a crash.
"$tmp/frame64k" --stack-size 64M >"$tmp/out" 2>&1
status=$?
[ $status -eq 134 ] || fail "kiln build executable --stack-size 64M: exit status $status (want 134)"

if [ $failures -eq 0 ]; then echo "stack clash CLI: 8 passed, 0 failed"; else echo "stack clash CLI: $failures failed"; fi
[ $failures -eq 0 ]
