#!/bin/sh
# test_cli_messages.sh KILN - the messages and statuses every command shares
# (compiler/main.c and the cli_*.c files, issue #15 item 4): I/O errors as
# `PATH: error: ...` with status 2, link failures in kiln's words, `kiln
# build` refusing a module without _start, options missing their value,
# the --invoke value syntax, `kiln help CMD`, `kiln build --prefix`, and
# temporary files gone after SIGTERM and SIGINT.
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm nm
export XDG_CACHE_HOME="$tmp/cache"

wat2wasm "$DIR/runtime_fixtures/cli_wasi.wat" -o "$tmp/hello.wasm" || exit 1
wat2wasm "$DIR/runtime_fixtures/cli.wat" -o "$tmp/cli.wasm" || exit 1
wat2wasm "$DIR/wat/control.wat" -o "$tmp/reactor.wasm" || exit 1

# check WANT-RC WANT-ERR1 COMMAND...: the status and the first line of stderr.
check() {
    want_rc=$1 want_err=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    err=$(sed -n 1p "$tmp/err")
    [ "$rc" = "$want_rc" ] && [ "$err" = "$want_err" ] ||
        fail "$*: got '$err' ($rc), want '$want_err' ($want_rc)"
}

# ---- --cpu: an unknown CPU is a usage error, not an LLVM abort -------------------
for cmd in compile build run; do
    check 2 "kiln $cmd: unknown CPU 'nosuchcpu' for this machine (llc-19 -mcpu=help lists the known ones; 'native' is this machine's own)" \
        "$KILN" $cmd --cpu nosuchcpu "$tmp/cli.wasm"
done
check 2 "kiln compile: unknown CPU 'znver3' for aarch64-linux-gnu (llc-19 -mtriple=aarch64-linux-gnu -mcpu=help lists the known ones)" \
    "$KILN" compile --target aarch64-linux-gnu --cpu znver3 "$tmp/cli.wasm" -o "$tmp/a.o"
check 0 "" "$KILN" compile --target aarch64-linux-gnu --cpu cortex-a72 "$tmp/cli.wasm" -o "$tmp/a.o"

# ---- guard-page memories under an address-space limit ----------------------------
# Each 32-bit memory reserves 8 GiB in guard-page mode; under `ulimit -v`
# 4 GB that fails, and the message says why and what to do instead
# (runtime/instance.c, memory_nomem).  Explicit checks reserve nothing.
limited() { sh -c 'ulimit -v 4000000 && exec "$@"' sh "$@"; }
check 1 "kiln: error: out of memory: memory 0 could not reserve the 8 GiB of address space that guard-page bounds checks need (is \`ulimit -v\` set?); a module compiled with --bounds-checks=explicit reserves only what it uses" \
    limited "$KILN" run --no-cache "$tmp/hello.wasm"
check 7 "" limited "$KILN" run --no-cache --bounds-checks=explicit "$tmp/hello.wasm" # exits 7

# ---- I/O errors: PATH: error: ..., status 2, naming the path that failed ----
missing="$tmp/missing.wasm: error: cannot read: No such file or directory"
for cmd in validate compile build run; do
    check 2 "$missing" "$KILN" $cmd "$tmp/missing.wasm"
done
nodir="$tmp/no/such/dir"
check 2 "$nodir/x.o: error: cannot write: No such file or directory" \
    "$KILN" compile "$tmp/cli.wasm" -o "$nodir/x.o"
check 2 "$nodir/x.h: error: cannot write: No such file or directory" \
    "$KILN" compile "$tmp/cli.wasm" -o "$tmp/x.o" --header "$nodir/x.h"
check 2 "$tmp: error: cannot write: Is a directory" "$KILN" compile "$tmp/cli.wasm" -o "$tmp"
check 2 "$nodir/prog: error: cannot write: No such file or directory" \
    "$KILN" build "$tmp/hello.wasm" -o "$nodir/prog"
grep -q -e 'collect2' -e 'bin/ld' "$tmp/err" && fail "an unwritable -o reached the linker: $(cat "$tmp/err")"

# ---- link failures: the linker's messages, then kiln's ----
CC="${CC:-cc} -Wl,--no-such-linker-flag" "$KILN" build "$tmp/hello.wasm" -o "$tmp/p" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || fail "a failed link: status $rc, want 1"
grep -q "^$tmp/p: error: cannot link the executable: " "$tmp/err" ||
    fail "a failed link is not explained: $(cat "$tmp/err")"
CC="$tmp/no-such-cc" "$KILN" build "$tmp/hello.wasm" -o "$tmp/p" 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q "^$tmp/p: error: cannot link the executable: .*no-such-cc" "$tmp/err" ||
    fail "a missing linker driver: status $rc: $(cat "$tmp/err")"
# A linker that fails after writing part of the program: PROGRAM keeps
# what it was, and nothing of the build stays next to it (the link used
# to write PROGRAM in place).
mkdir -p "$tmp/keep" && echo old >"$tmp/keep/p"
printf '#!/bin/sh\nwhile [ $# -gt 1 ] && [ "$1" != -o ]; do shift; done\n[ "$1" = -o ] && echo partial >"$2"\nexit 1\n' >"$tmp/bad-cc"
chmod +x "$tmp/bad-cc"
CC="$tmp/bad-cc" "$KILN" build "$tmp/hello.wasm" -o "$tmp/keep/p" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || fail "a linker failing part-way: status $rc, want 1: $(cat "$tmp/err")"
[ "$(cat "$tmp/keep/p")" = old ] || fail "a failed link overwrote the program: $(cat "$tmp/keep/p")"
[ "$(ls -A "$tmp/keep")" = p ] || fail "a failed link left $(ls -A "$tmp/keep")"
check 2 "$tmp/no-libs: error: no kiln runtime libraries here (libkiln_wasi_main.a, ...); set KILN_LIB_DIR to the directory that holds them" \
    env KILN_LIB_DIR="$tmp/no-libs" "$KILN" build "$tmp/hello.wasm" -o "$tmp/p"

# ---- kiln build refuses a module without _start, with a hint ----
check 2 "$tmp/reactor.wasm: error: the module exports no _start function: it is not a WASI command" \
    "$KILN" build "$tmp/reactor.wasm" -o "$tmp/reactor"
grep -q 'kiln compile' "$tmp/err" && grep -q -- '--invoke' "$tmp/err" ||
    fail "the reactor hint names neither kiln compile nor --invoke: $(cat "$tmp/err")"
[ ! -e "$tmp/reactor" ] || fail "an executable was made of a reactor"

# ---- an option without its value is named as such, in every command ----
for opt in -o -j --jobs --partitions --target --cpu --prefix --header --bounds-checks; do
    check 2 "kiln compile: option '$opt' needs a value" "$KILN" compile "$tmp/cli.wasm" $opt
done
for opt in -o -j --jobs --partitions --cpu --prefix --entry --bounds-checks; do
    check 2 "kiln build: option '$opt' needs a value" "$KILN" build "$tmp/hello.wasm" $opt
done
for opt in --invoke -j --jobs --partitions --dir --env --timeout --stack-size \
    --max-memory-pages --max-table-elements --bounds-checks; do
    check 2 "kiln run: option '$opt' needs a value" "$KILN" run "$tmp/cli.wasm" $opt
done
check 2 "kiln compile: bad --bounds-checks 'sometimes' (explicit or guard)" \
    "$KILN" compile "$tmp/cli.wasm" --bounds-checks=sometimes
check 2 "kiln run: bad --bounds-checks 'sometimes' (explicit or guard)" \
    "$KILN" run "$tmp/cli.wasm" --bounds-checks sometimes

# ---- --invoke arguments: the TYPE:VALUE syntax is shown ----
types="(types: i32 i64 f32 f64 v128 funcref externref)"
check 2 "kiln run: --invoke add: argument '1' needs its type: TYPE:VALUE, e.g. i32:1 $types" \
    "$KILN" run "$tmp/cli.wasm" --invoke add 1 2
check 2 "kiln run: --invoke add: argument '-2' needs its type: TYPE:VALUE, e.g. i32:-2 $types" \
    "$KILN" run "$tmp/cli.wasm" --invoke add i32:1 -2
check 2 "kiln run: unexpected argument 'two' (arguments of --invoke are TYPE:VALUE, e.g. i32:1; types: i32 i64 f32 f64 v128 funcref externref)" \
    "$KILN" run "$tmp/cli.wasm" --invoke add i32:1 two
check 0 "" "$KILN" run "$tmp/cli.wasm" --invoke add i32:1 i32:2
[ "$(cat "$tmp/out")" = "i32:3" ] || fail "--invoke add i32:1 i32:2 printed '$(cat "$tmp/out")'"

# ---- kiln help CMD = kiln CMD --help, and every --help points at docs/cli.md ----
for cmd in validate compile build run; do
    "$KILN" help $cmd >"$tmp/help1" 2>&1; rc1=$?
    "$KILN" $cmd --help >"$tmp/help2" 2>&1; rc2=$?
    [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && cmp -s "$tmp/help1" "$tmp/help2" ||
        fail "kiln help $cmd ($rc1) differs from kiln $cmd --help ($rc2)"
    tail -n 1 "$tmp/help2" | grep -q "docs/cli.md, section \"kiln $cmd\"" ||
        fail "kiln $cmd --help does not end at docs/cli.md: $(tail -n 1 "$tmp/help2")"
done
"$KILN" --help | tail -n 1 | grep -q 'docs/cli.md' || fail "kiln --help does not end at docs/cli.md"
[ "$("$KILN" help)" = "$("$KILN" --help)" ] || fail "kiln help differs from kiln --help"
check 2 "kiln: unknown command 'nope'" "$KILN" help nope

# ---- kiln build --prefix, and the kept object's descriptor ----
"$KILN" build "$tmp/hello.wasm" -o "$tmp/hello" --keep-object || fail "kiln build --keep-object"
[ "$(nm --defined-only -g "$tmp/hello.o" | awk '{print $3}')" = "hello_module" ] ||
    fail "kept object exports: $(nm --defined-only -g "$tmp/hello.o" | awk '{print $3}' | tr '\n' ' ')"
"$KILN" build "$tmp/hello.wasm" -o "$tmp/calc" --keep-object --prefix calc || fail "kiln build --prefix calc"
[ "$(nm --defined-only -g "$tmp/calc.o" | awk '{print $3}')" = "calc_module" ] || fail "--prefix calc not applied"
"$KILN" build "$tmp/hello.wasm" -o "$tmp/same" --prefix kiln_program || fail "kiln build --prefix kiln_program"
for prog in hello calc same; do
    out=$("$tmp/$prog"); rc=$?
    [ "$out" = "hi" ] && [ "$rc" = 7 ] || fail "$prog printed '$out', status $rc (want hi, 7)"
done
check 2 "kiln build: prefix '9x' is not a C identifier" "$KILN" build "$tmp/hello.wasm" --prefix 9x
ls "$tmp" | grep -q '^kiln-' && fail "a temporary directory was left next to the output: $(ls "$tmp")"

# ---- features: 3.0 ones on by default, --disable-NAME turns one off ----
printf '(module (func $f) (func (export "g") (return_call $f)))' >"$tmp/tail.wat"
wat2wasm --enable-tail-call "$tmp/tail.wat" -o "$tmp/tail.wasm" || exit 1
check 0 "" "$KILN" validate "$tmp/tail.wasm"
check 0 "" "$KILN" validate --enable-tail-call --enable-all "$tmp/tail.wasm"
for cmd in validate compile build run; do
    check 1 "$tmp/tail.wasm:0x22: error: return_call needs feature 'tail-call', which is turned off" \
        "$KILN" $cmd --disable-tail-call "$tmp/tail.wasm"
done
check 1 "$tmp/tail.wasm:0x22: error: return_call needs feature 'tail-call', which is turned off" \
    "$KILN" validate --disable-all "$tmp/tail.wasm"
check 0 "" "$KILN" validate --disable-all --enable-tail-call "$tmp/tail.wasm"
check 0 "kiln: warning: --enable-gc: the GC proposal (struct, array, i31, subtyping): not supported yet" \
    "$KILN" validate --enable-gc "$tmp/tail.wasm"
check 0 "" "$KILN" compile -q --enable-gc "$tmp/tail.wasm" -o "$tmp/tail.o"
check 2 "kiln validate: unknown option '--disable-nonsense'" "$KILN" validate --disable-nonsense "$tmp/tail.wasm"
check 2 "kiln compile: unknown option '--enable-nonsense'" "$KILN" compile --enable-nonsense "$tmp/tail.wasm"
for cmd in validate compile build run; do
    "$KILN" $cmd --help >"$tmp/help" || fail "kiln $cmd --help failed"
    grep -q '^  tail-call  *tail calls' "$tmp/help" || fail "kiln $cmd --help lists no tail-call"
    grep -q '^  gc  *the GC proposal' "$tmp/help" || fail "kiln $cmd --help does not list gc as not supported"
done
"$KILN" --version | grep -q 'WebAssembly 2.0 + tail-call, extended-const, multi-memory' ||
    fail "kiln --version does not name the features: $("$KILN" --version)"

# ---- temporary files go on signals too ----
# A module that takes seconds to compile at -O2: 3000 small functions.
awk 'BEGIN {
    print "(module (memory 1) (func (export \"_start\"))"
    for (i = 0; i < 3000; i++)
        printf "(func (export \"f%d\") (param i32) (result i32) local.get 0 i32.const %d i32.mul " \
               "local.get 0 i32.load i32.add local.get 0 i32.const 3 i32.shl i32.xor)\n", i, i
    print ")" }' >"$tmp/big.wat"
wat2wasm "$tmp/big.wat" -o "$tmp/big.wasm" || exit 1

# killed SIGNAL STATUS WHERE COMMAND...: COMMAND, started with TMPDIR=$tmp/t,
# is sent SIGNAL once it has made its temporary directory in WHERE; it
# must die of the signal (STATUS) and leave WHERE empty.
killed() {
    sig=$1 want=$2 where=$3; shift 3
    rm -rf "$tmp/t" "$where" && mkdir -p "$tmp/t" "$where"
    # A background job of a non-interactive shell ignores SIGINT: restore it.
    TMPDIR="$tmp/t" env --default-signal=INT "$@" >/dev/null 2>&1 &
    pid=$!
    n=0
    while [ -z "$(ls -A "$where")" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
    sleep 0.5
    kill -"$sig" $pid
    wait $pid; rc=$?
    [ "$rc" = "$want" ] || fail "$* after SIG$sig: status $rc, want $want"
    [ -z "$(leftovers "$where")" ] || fail "$* after SIG$sig left $(leftovers "$where")"
}
# What a killed command left in a directory, but for whole partition-cache
# entries (parts/<sha256>.o: a partition compiled before the signal, kept
# on purpose; temporaries of the cache would be in parts/tmp-*).
leftovers() {
    ls -A "$1" | grep -vx parts
    [ -d "$1/parts" ] && ls -A "$1/parts" | grep -Evx '[0-9a-f]{64}\.o' | sed 's|^|parts/|'
}
if env --default-signal=INT true 2>/dev/null; then
    # kiln build works next to PROGRAM: the killed build leaves neither its
    # directory nor a program there.
    killed TERM 143 "$tmp/bd" "$KILN" build -O2 -j 1 "$tmp/big.wasm" -o "$tmp/bd/big"
    killed INT 130 "$tmp/bd" "$KILN" build -O2 --partitions 4 -j 2 "$tmp/big.wasm" -o "$tmp/bd/big"
    killed TERM 143 "$tmp/t" "$KILN" run --no-cache -O2 -j 1 "$tmp/big.wasm"
    killed TERM 143 "$tmp/cache/kiln" "$KILN" run -O2 -j 1 "$tmp/big.wasm"
    killed INT 130 "$tmp/objdir" "$KILN" compile -O2 -j 1 "$tmp/big.wasm" -o "$tmp/objdir/big.o"
    # During the link: the object exists when the driver is killed too.
    printf '#!/bin/sh\nsleep 2\nexec %s "$@"\n' "${CC:-cc}" >"$tmp/slow-cc"
    chmod +x "$tmp/slow-cc"
    killed TERM 143 "$tmp/bd" env CC="$tmp/slow-cc" "$KILN" build -O0 "$tmp/hello.wasm" -o "$tmp/bd/h"
else
    echo "note: env --default-signal missing, signal checks skipped"
fi

cli_test_end
