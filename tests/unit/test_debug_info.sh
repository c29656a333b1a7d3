#!/bin/sh
# test_debug_info.sh KILN - `kiln build -g` (compiler/dwarf_line.c,
# compiler/debug_info.c): a C program built with `clang -g -O0
# --target=wasm32-wasi`, made an executable with -g, then
#   - llvm-dwarfdump's line table of the executable names the C file;
#   - gdb (batch mode) stops at `FILE.c:LINE` and its backtrace shows
#     file:line for the function and its caller, at -O0 and at -O2 split
#     into partitions;
#   - a trap's backtrace prints file:line next to the function names;
#   - without -g the executable has no line table for the C file;
#   - a malformed .debug_line is a warning, and the build still succeeds.
# Skipped (status 77) without a clang that targets wasm32-wasi; the gdb
# and llvm-dwarfdump parts are skipped, saying so, without those tools.
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin python3
SRC="$DIR/debug/debug_prog.c"

CLANG=
for c in clang-19 clang; do
    if command -v $c >/dev/null &&
       $c -g -O0 --target=wasm32-wasi "$SRC" -o "$tmp/prog.wasm" 2>"$tmp/clang.err"; then
        CLANG=$c; break
    fi
done
[ -n "$CLANG" ] || { echo "skipped: no clang builds wasm32-wasi C ($(head -1 "$tmp/clang.err"))"; exit 77; }
line_of() { grep -n "debug-line: $1 " "$SRC" | cut -d: -f1; }
SQUARE=$(line_of square) LOOP=$(line_of loop) DIVIDE=$(line_of divide) CALL=$(line_of call-divide)

build() { # OUT FLAGS...
    out=$1; shift
    "$KILN" build "$@" "$tmp/prog.wasm" -o "$tmp/$out" 2>"$tmp/$out.err" ||
        { fail "kiln build $*: $(cat "$tmp/$out.err")"; return 1; }
    [ ! -s "$tmp/$out.err" ] || fail "kiln build $*: unexpected output: $(cat "$tmp/$out.err")"
    [ "$("$tmp/$out")" = 14 ] || fail "$out does not print 14"
}
build g0 -g -O0 -j 1
build g2 -g -O2 --partitions 3
build plain -O0 -j 1

if command -v llvm-dwarfdump-19 >/dev/null; then
    llvm-dwarfdump-19 --debug-line "$tmp/g0" | grep -q 'debug_prog.c"' ||
        fail "llvm-dwarfdump: no debug_prog.c in the line table of the -g executable"
    llvm-dwarfdump-19 --debug-line "$tmp/g2" | grep -q 'debug_prog.c"' ||
        fail "llvm-dwarfdump: no debug_prog.c in the line table of the partitioned -g executable"
    ! llvm-dwarfdump-19 --debug-line "$tmp/plain" | grep -q 'debug_prog.c' ||
        fail "llvm-dwarfdump: debug_prog.c in an executable built without -g"
else
    echo "llvm-dwarfdump-19 not installed: line-table checks skipped"
fi

# gdb PROGRAM LINE: break at debug_prog.c:LINE, run, bt.
gdb_at() {
    gdb -nx -batch -ex 'handle SIGSEGV nostop noprint pass' -ex "break debug_prog.c:$2" \
        -ex run -ex bt "$tmp/$1" >"$tmp/gdb.out" 2>&1 </dev/null
}
if command -v gdb >/dev/null; then
    gdb_at g0 "$LOOP"
    grep -q "Breakpoint 1, main () at [^ ]*debug_prog.c:$LOOP\$" "$tmp/gdb.out" ||
        fail "gdb -O0: did not stop at debug_prog.c:$LOOP: $(grep -v '^\[' "$tmp/gdb.out" | head -5)"
    gdb_at g0 "$SQUARE"
    grep -q "^#0  square () at [^ ]*debug_prog.c:$SQUARE\$" "$tmp/gdb.out" ||
        fail "gdb -O0: no frame square at debug_prog.c:$SQUARE: $(grep '^#' "$tmp/gdb.out" | head -3)"
    grep -q "^#1 .* in main () at [^ ]*debug_prog.c:$LOOP\$" "$tmp/gdb.out" ||
        fail "gdb -O0: caller not at debug_prog.c:$LOOP: $(grep '^#' "$tmp/gdb.out" | head -3)"
    # -O2 inlines square into main: gdb still stops in it, in the C file.
    gdb_at g2 "$SQUARE"
    grep -q "square () at [^ ]*debug_prog.c:[0-9]" "$tmp/gdb.out" ||
        fail "gdb -O2: no square frame in debug_prog.c: $(grep -v '^\[' "$tmp/gdb.out" | head -5)"
    grep -q "warning" "$tmp/gdb.out" && fail "gdb warns: $(grep warning "$tmp/gdb.out" | head -2)"
else
    echo "gdb not installed (scripts/install-deps adds it): gdb checks skipped"
fi

# A trap: the backtrace names file:line of each frame.
"$tmp/g0" 0 >/dev/null 2>"$tmp/trap.err"
rc=$?
[ "$rc" = 134 ] || fail "trap: status $rc, want 134"
grep -q "divide (wasm function [0-9]*) at [^ ]*debug_prog.c:$DIVIDE\$" "$tmp/trap.err" ||
    fail "trap: no 'divide ... at debug_prog.c:$DIVIDE': $(cat "$tmp/trap.err")"
grep -q "main (wasm function [0-9]*) at [^ ]*debug_prog.c:$CALL\$" "$tmp/trap.err" ||
    fail "trap: no 'main ... at debug_prog.c:$CALL': $(cat "$tmp/trap.err")"
"$tmp/plain" 0 >/dev/null 2>"$tmp/trap.err"
grep -q " at debug_prog.c" "$tmp/trap.err" && fail "trap without -g: $(cat "$tmp/trap.err")"

# A malformed .debug_line (its unit claims the 64-bit DWARF format): a
# warning at its offset, and the program still builds and runs; the same
# for a module without one (wasi-libc brings its own DWARF, so the
# section is renamed rather than left out).
python3 - "$tmp/prog.wasm" "$tmp/bad.wasm" "$tmp/nodwarf.wasm" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
def leb(p):
    v = s = 0
    while True:
        b = data[p]; p += 1; v |= (b & 0x7f) << s; s += 7
        if b < 0x80: return v, p
p = 8
while p < len(data):
    sid = data[p]; size, body = leb(p + 1); end = body + size
    if sid == 0:
        n, name_at = leb(body)
        if data[name_at:name_at + n] == b".debug_line":
            line_at = name_at + n
    p = end
bad = bytearray(data); bad[line_at:line_at + 4] = b"\xff\xff\xff\xff"
open(sys.argv[2], "wb").write(bad)
data[line_at - 4:line_at] = b"_lin"
open(sys.argv[3], "wb").write(data)
PY
for case in bad nodwarf; do
    "$KILN" build -g "$tmp/$case.wasm" -o "$tmp/$case" 2>"$tmp/$case.err" || fail "$case: the build fails"
    [ "$("$tmp/$case")" = 14 ] || fail "$case: the program does not run"
done
grep -q "^$tmp/bad.wasm:0x[0-9a-f]*: warning: -g: DWARF line table: the 64-bit DWARF format is not supported: compiling without source lines\$" "$tmp/bad.err" ||
    fail "malformed DWARF: $(cat "$tmp/bad.err")"
grep -q "^$tmp/nodwarf.wasm: warning: -g: the module has no DWARF line table" "$tmp/nodwarf.err" ||
    fail "no DWARF: $(cat "$tmp/nodwarf.err")"
"$KILN" build -g -q "$tmp/bad.wasm" -o "$tmp/bad" 2>"$tmp/bad.err" && [ ! -s "$tmp/bad.err" ] ||
    fail "-q: $(cat "$tmp/bad.err")"
cli_test_end
