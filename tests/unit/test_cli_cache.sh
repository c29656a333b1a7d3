#!/bin/sh
# test_cli_cache.sh KILN - incremental recompiles through the partition
# cache (issue #13 item 3, compiler/part_cache.c):
#   - a recompile of the same module takes every partition from the cache
#     and gives the same object, byte for byte;
#   - after one function's constant changed, only its partition is
#     compiled again, and the program computes the new result;
#   - a function that grew moves every later body, yet (without -g the
#     code records no module offsets) only its own partition, and at most
#     the next one whose cut moved, is compiled again;
#   - a change in the last partition that makes a table writable (so its
#     contents are no longer known when the first partition's call_indirect
#     is lowered; the module's opcodes stay the same) misses in every
#     partition, and the result follows the table write;
#   - kiln run shares the store ($XDG_CACHE_HOME/kiln/parts).
# Results are checked against gen_many_funcs.py --expect, which computes
# them in Python.
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm python3
export XDG_CACHE_HOME="$tmp/xdg"
N=2500
GEN="python3 $DIR/gen_many_funcs.py $N"

# variant NAME ARGS...: $tmp/NAME/m.wasm (one file name: the symbol prefix,
# part of every key, comes from it).
variant() {
    name=$1; shift
    mkdir -p "$tmp/$name"
    $GEN "$tmp/$name/m.wat" "$@" && wat2wasm "$tmp/$name/m.wat" -o "$tmp/$name/m.wasm" ||
        fail "cannot make variant $name"
}
variant base
variant bumped --bump 1700
variant grown --grow 1700
variant written --table-write

# compile NAME: -v output in $tmp/NAME.log; "HITS PARTS" on stdout.
compile() {
    "$KILN" compile -O0 -j 2 -v --cache-dir "$tmp/parts" "$tmp/$1/m.wasm" -o "$tmp/$1/m.o" \
        >"$tmp/$1.log" 2>&1 || fail "kiln compile $1: $(cat "$tmp/$1.log")"
    sed -n 's/^kiln: *compile: \([0-9]*\) of \([0-9]*\) partitions* from the cache$/\1 \2/p' \
        "$tmp/$1.log"
}

set -- $(compile base)
[ "${1:-}" = 0 ] && [ "${2:-0}" -ge 4 ] ||
    fail "a first compile should split into >= 4 partitions, none cached: ${1:-?} of ${2:-?}"
parts=${2:-0}
cp "$tmp/base/m.o" "$tmp/base.o"

set -- $(compile base)
[ "${1:-}" = "$parts" ] && [ "${2:-}" = "$parts" ] ||
    fail "a recompile should take all $parts partitions from the cache: ${1:-?} of ${2:-?}"
cmp -s "$tmp/base.o" "$tmp/base/m.o" || fail "the object from cached partitions differs"

set -- $(compile bumped)
[ "${1:-}" = $((parts - 1)) ] && [ "${2:-}" = "$parts" ] ||
    fail "one changed constant should recompile one partition: ${1:-?} of ${2:-?} cached"

set -- $(compile grown)
[ "${2:-}" = "$parts" ] && [ "${1:-0}" -ge $((parts - 2)) ] && [ "${1:-99}" -lt "$parts" ] ||
    fail "a grown function should recompile its partition (and at most one more): ${1:-?} of ${2:-?} cached"

set -- $(compile written)
[ "${1:-}" = 0 ] || fail "a newly written table should invalidate every partition: ${1:-?} cached"

# run NAME [ARGS]: kiln run's result of sum against the Python model;
# its -v output in $tmp/run.log.
run() {
    name=$1; shift
    want=$($GEN /dev/null "$@" --expect)
    got=$("$KILN" run -O0 -v "$tmp/$name/m.wasm" --invoke sum 2>"$tmp/run.log")
    [ "$got" = "i32:$want" ] || fail "$name: sum gave '$got', want i32:$want"
}
run base
run bumped --bump 1700
grep -q "compile: $((parts - 1)) of $parts partitions from the cache" "$tmp/run.log" ||
    fail "kiln run of a changed module should reuse its other partitions: $(grep compile: "$tmp/run.log")"
ls "$XDG_CACHE_HOME/kiln/parts/"*.o >/dev/null 2>&1 || fail "kiln run kept no partitions in its store"
run bumped --bump 1700
grep -q "compile:" "$tmp/run.log" && fail "a second kiln run of the same module compiled again"
run grown --grow 1700
run written --table-write

cli_test_end
