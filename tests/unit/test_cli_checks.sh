#!/bin/sh
# test_cli_checks.sh KILN - checks before the long part (issue #13 item
# 4).  Imports (compiler/cli_imports.c, runtime/import_check.c): `kiln
# run` names every import its WASI host cannot satisfy in one message,
# exit 1, before compiling (no cache entry is made); `kiln build` warns
# about the same imports, listing all of them, and still builds (-q
# silences it); the executable names them all at start-up, exit 1; a
# module whose imports all resolve is neither warned about nor refused.
# --trap-unknown-imports (runtime/import_trap.c): kiln run and kiln
# build's executables define every function import WASI does not provide
# as a function that traps when called, naming the import; a program
# that does not call one runs; other imports still fail as above, and
# without the flag the messages say what it would do.
# --default-values-unknown-imports: the same stand-ins, returning zeros
# of every type instead of trapping; the two flags exclude each other.
# Entry points (compiler/cli_build.c, runtime/wasi/wasi_run.c): `kiln
# build` refuses a module without _start before compiling unless --entry
# names an export to call, which must take no parameters; the executable
# calls _initialize first and exits with the entry's i32 result.
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm
export XDG_CACHE_HOME="$tmp/cache"

wat2wasm "$DIR/runtime_fixtures/cli_unresolved.wat" -o "$tmp/bad.wasm" || exit 1
wat2wasm "$DIR/runtime_fixtures/cli_wasi.wat" -o "$tmp/hello.wasm" || exit 1
wat2wasm "$DIR/runtime_fixtures/cli_reactor.wat" -o "$tmp/reactor.wasm" || exit 1
wat2wasm "$DIR/runtime_fixtures/cli_trap_imports.wat" -o "$tmp/js.wasm" || exit 1
wat2wasm "$DIR/runtime_fixtures/cli_default_imports.wat" -o "$tmp/defaults.wasm" || exit 1

wasi='WASI preview1 ("wasi_snapshot_preview1") and nothing else'
problems='  "env"."js_eval": func (i32 i32) -> (i32): unknown import
  "wasi_snapshot_preview1"."fd_write": func (i32) -> (i32): incompatible import type: function signature differs (provided: func (i32 i32 i32 i32) -> (i32))
  "env"."memory": memory i32 pages min 1: unknown import
  "wasi_snapshot_preview1"."fd_close": global mut i64: incompatible import type: not a global (provided: func (i32) -> (i32))'
hint='--trap-unknown-imports defines the unknown function as a function that traps when called)'

# want_stderr WHAT EXPECTED: the whole of $tmp/err.
want_stderr() {
    [ "$(cat "$tmp/err")" = "$2" ] || fail "$1: stderr is
$(cat "$tmp/err")
want
$2"
}

# ---- kiln run: one message, status 1, nothing compiled ----
for flags in "" "--no-cache" "-O0 -j 1"; do
    "$KILN" run $flags "$tmp/bad.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
    [ "$rc" = 1 ] || fail "kiln run $flags of unresolvable imports: status $rc, want 1"
    want_stderr "kiln run $flags" "$tmp/bad.wasm: error: 4 imports cannot be resolved; kiln run provides $wasi; nothing was compiled:
$problems
  (kiln run $hint"
done
[ -z "$(ls -A "$tmp/cache/kiln" 2>/dev/null)" ] ||
    fail "kiln run compiled a module it cannot link: $(ls -A "$tmp/cache/kiln")"
"$KILN" run --invoke _start "$tmp/bad.wasm" >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 6 ] ||
    fail "kiln run --invoke of unresolvable imports: status $rc: $(cat "$tmp/err")"

# ---- kiln build: a warning listing them all, the build goes on ----
"$KILN" build "$tmp/bad.wasm" -o "$tmp/bad" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && [ -x "$tmp/bad" ] || fail "kiln build of unresolvable imports: status $rc, no program"
want_stderr "kiln build" "$tmp/bad.wasm: warning: 4 imports will not be resolved: executables made by kiln build provide $wasi, so this one will stop at start-up:
$problems
  (kiln build $hint"
"$KILN" build -q "$tmp/bad.wasm" -o "$tmp/bad" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] || fail "kiln build -q: status $rc, stderr $(cat "$tmp/err")"

# ---- the executable: every missing import at start-up, status 1 ----
"$tmp/bad" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || fail "the executable with unresolvable imports: status $rc, want 1"
want_stderr "the executable" "$tmp/bad: error: 4 imports cannot be resolved; this program's runtime provides $wasi:
$problems"

# ---- a module whose imports resolve: no warning, and it runs ----
"$KILN" build "$tmp/hello.wasm" -o "$tmp/hello" 2>"$tmp/err" || fail "kiln build hello"
[ ! -s "$tmp/err" ] || fail "kiln build of a WASI command warned: $(cat "$tmp/err")"
out=$("$tmp/hello"); rc=$?
[ "$out" = hi ] && [ "$rc" = 7 ] || fail "hello printed '$out', status $rc"
out=$("$KILN" run "$tmp/hello.wasm" 2>"$tmp/err"); rc=$?
[ "$out" = hi ] && [ "$rc" = 7 ] && [ ! -s "$tmp/err" ] ||
    fail "kiln run hello: '$out', status $rc, stderr $(cat "$tmp/err")"

# ---- --trap-unknown-imports: stand-ins that trap, naming the import ----
called='unknown import "rb-js-abi-host"."global-this" called'
"$KILN" run "$tmp/js.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] && [ ! -s "$tmp/out" ] &&
    grep -qx '  (kiln run --trap-unknown-imports defines the 2 unknown functions as functions that trap when called)' "$tmp/err" ||
    fail "kiln run of unknown functions without the flag: status $rc: $(cat "$tmp/err")"
for flags in "" "--no-cache -O0"; do
    out=$("$KILN" run --trap-unknown-imports $flags "$tmp/js.wasm" 2>"$tmp/err"); rc=$?
    [ "$out" = hi ] && [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] ||
        fail "kiln run --trap-unknown-imports $flags, not calling them: '$out', status $rc, $(cat "$tmp/err")"
    out=$("$KILN" run --trap-unknown-imports $flags "$tmp/js.wasm" -- call 2>"$tmp/err"); rc=$?
    [ "$out" = hi ] && [ "$rc" = 134 ] && [ "$(head -n 1 "$tmp/err")" = "kiln: trap: $called" ] ||
        fail "kiln run --trap-unknown-imports $flags, calling one: '$out', status $rc, $(cat "$tmp/err")"
done
"$KILN" run --trap-unknown-imports "$tmp/js.wasm" --invoke js_value >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 134 ] && [ "$(head -n 1 "$tmp/err")" = "kiln: trap: $called" ] ||
    fail "kiln run --trap-unknown-imports --invoke js_value: status $rc, $(cat "$tmp/err")"
# The library is cached now: the imports are still checked (on the module
# its image describes), and the run refused.
"$KILN" run "$tmp/js.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] && [ ! -s "$tmp/out" ] && grep -q '"rb-js-abi-host"."global-this"' "$tmp/err" ||
    fail "kiln run of a cached module with unknown functions, without the flag: status $rc: $(cat "$tmp/err")"
# Only functions: the memory, the mistyped WASI function and the global still fail.
"$KILN" run --trap-unknown-imports "$tmp/bad.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || fail "kiln run --trap-unknown-imports of other unresolvable imports: status $rc"
want_stderr "kiln run --trap-unknown-imports" "$tmp/bad.wasm: error: 3 imports cannot be resolved; kiln run provides $wasi; nothing was compiled:
$(echo "$problems" | grep -v js_eval)"
"$KILN" build "$tmp/js.wasm" --trap-unknown-imports -o "$tmp/js" 2>"$tmp/err" && [ ! -s "$tmp/err" ] ||
    fail "kiln build --trap-unknown-imports: $(cat "$tmp/err")"
out=$("$tmp/js" 2>"$tmp/err"); rc=$?
[ "$out" = hi ] && [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] ||
    fail "the --trap-unknown-imports executable, not calling them: '$out', status $rc, $(cat "$tmp/err")"
out=$("$tmp/js" call 2>"$tmp/err"); rc=$?
[ "$out" = hi ] && [ "$rc" = 134 ] && [ "$(head -n 1 "$tmp/err")" = "$tmp/js: wasm trap: $called" ] ||
    fail "the --trap-unknown-imports executable, calling one: '$out', status $rc, $(cat "$tmp/err")"
"$KILN" build "$tmp/js.wasm" -q -o "$tmp/js-plain" || fail "kiln build of unknown functions"
"$tmp/js-plain" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] && [ ! -s "$tmp/out" ] && grep -q '2 imports cannot be resolved' "$tmp/err" ||
    fail "the executable without --trap-unknown-imports: status $rc, $(cat "$tmp/err")"
"$KILN" build "$tmp/bad.wasm" --trap-unknown-imports -o "$tmp/bad2" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 0 ] && grep -q '^.*warning: 3 imports will not be resolved' "$tmp/err" ||
    fail "kiln build --trap-unknown-imports of other unresolvable imports: status $rc, $(cat "$tmp/err")"
"$tmp/bad2" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || fail "the --trap-unknown-imports executable of other unresolvable imports: status $rc"
want_stderr "the --trap-unknown-imports executable" "$tmp/bad2: error: 3 imports cannot be resolved; this program's runtime provides $wasi:
$(echo "$problems" | grep -v js_eval)"
for cmd in run build; do
    "$KILN" $cmd --help | grep -q -- '--trap-unknown-imports' || fail "kiln $cmd --help lacks --trap-unknown-imports"
done

# ---- --default-values-unknown-imports: stand-ins that return zeros ----
zeros='i32:0
i64:0
f32:0x0p+0
f64:0x0p+0
v128:0x00000000000000000000000000000000
funcref:null
externref:null'
for flags in "" "--no-cache -O0"; do
    out=$("$KILN" run --default-values-unknown-imports $flags "$tmp/defaults.wasm" 2>"$tmp/err"); rc=$?
    [ "$out" = ok ] && [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] ||
        fail "kiln run --default-values-unknown-imports $flags: '$out', status $rc, $(cat "$tmp/err")"
    out=$("$KILN" run --default-values-unknown-imports $flags "$tmp/defaults.wasm" --invoke all 2>"$tmp/err"); rc=$?
    [ "$out" = "$zeros" ] && [ "$rc" = 0 ] ||
        fail "kiln run --default-values-unknown-imports $flags --invoke all: '$out', status $rc, $(cat "$tmp/err")"
done
"$KILN" run --trap-unknown-imports --default-values-unknown-imports "$tmp/defaults.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'exclude each other' "$tmp/err" ||
    fail "kiln run with both unknown-imports flags: status $rc, $(cat "$tmp/err")"
"$KILN" build "$tmp/defaults.wasm" --default-values-unknown-imports -o "$tmp/defaults" 2>"$tmp/err" && [ ! -s "$tmp/err" ] ||
    fail "kiln build --default-values-unknown-imports: $(cat "$tmp/err")"
out=$("$tmp/defaults" 2>"$tmp/err"); rc=$?
[ "$out" = ok ] && [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] ||
    fail "the --default-values-unknown-imports executable: '$out', status $rc, $(cat "$tmp/err")"
# Only functions: the memory, the mistyped WASI function and the global still fail.
"$KILN" run --default-values-unknown-imports "$tmp/bad.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] && grep -q '3 imports cannot be resolved' "$tmp/err" ||
    fail "kiln run --default-values-unknown-imports of other unresolvable imports: status $rc, $(cat "$tmp/err")"
for cmd in run build; do
    "$KILN" $cmd --help | grep -q -- '--default-values-unknown-imports' ||
        fail "kiln $cmd --help lacks --default-values-unknown-imports"
done

# ---- a reactor: refused without --entry, built with it ----
"$KILN" build "$tmp/reactor.wasm" -o "$tmp/reactor" 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && [ ! -e "$tmp/reactor" ] && grep -q -- '--entry NAME' "$tmp/err" ||
    fail "a reactor without --entry: status $rc, hint $(cat "$tmp/err")"
"$KILN" build "$tmp/reactor.wasm" --entry work -o "$tmp/reactor" 2>"$tmp/err" ||
    fail "kiln build --entry work: $(cat "$tmp/err")"
out=$("$tmp/reactor"); rc=$?
[ "$out" = "init
work" ] && [ "$rc" = 42 ] || fail "--entry work printed '$out', status $rc (want init, work, 42)"
"$KILN" build "$tmp/reactor.wasm" --entry='we"ird\' -o "$tmp/weird" 2>"$tmp/err" ||
    fail "kiln build --entry with quotes in the name: $(cat "$tmp/err")"
out=$("$tmp/weird"); rc=$?
[ "$out" = "init
work" ] && [ "$rc" = 0 ] || fail "--entry 'we\"ird\\' printed '$out', status $rc"
"$KILN" build "$tmp/reactor.wasm" --entry add -o "$tmp/add" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && [ ! -e "$tmp/add" ] && [ "$(cat "$tmp/err")" = "$tmp/reactor.wasm: error: --entry add: the function must take no parameters and return nothing or an i32 (the exit status)" ] ||
    fail "--entry add: status $rc: $(cat "$tmp/err")"
"$KILN" build "$tmp/reactor.wasm" --entry nope -o "$tmp/nope" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && [ "$(cat "$tmp/err")" = "$tmp/reactor.wasm: error: --entry nope: the module exports no function nope" ] ||
    fail "--entry nope: status $rc: $(cat "$tmp/err")"
"$KILN" build "$tmp/hello.wasm" --entry _start -o "$tmp/hello2" || fail "kiln build --entry _start"
out=$("$tmp/hello2"); rc=$?
[ "$out" = hi ] && [ "$rc" = 7 ] || fail "--entry _start printed '$out', status $rc"

cli_test_end
