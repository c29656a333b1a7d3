#!/bin/sh
# test_cli_compile.sh KILN - `kiln compile` (compiler/cli_compile.c) as a
# user sees it: outputs, default names, exported symbols, the header,
# error lines and exit codes, determinism, cross targets, and how often
# a partition with a big frame is compiled.
set -u
KILN=$1
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm nm

wat2wasm "$DIR/wat/control.wat" -o "$tmp/my-mod.wasm" || exit 1

# Defaults: FILE.o next to the input, prefix = basename as a C identifier.
"$KILN" compile "$tmp/my-mod.wasm" || fail "valid module did not compile"
[ -f "$tmp/my-mod.o" ] || fail "default output my-mod.o missing"
defined=$(nm --defined-only -g "$tmp/my-mod.o" | awk '{print $3}')
[ "$defined" = "my_mod_module" ] || fail "exported symbols: '$defined' (want only my_mod_module)"
undefined=$(nm -u "$tmp/my-mod.o" | awk '{print $2}' | grep -v '^kiln_rt_' | grep -v -e '^memcpy$' -e '^memset$' -e '^memmove$')
[ -z "$undefined" ] || fail "unexpected undefined symbols: $undefined"

# -o, --prefix, --header: the header compiles and declares the descriptor.
"$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/x.o" -O0 --prefix calc --header "$tmp/calc.h" ||
    fail "compile with --prefix/--header failed"
nm --defined-only -g "$tmp/x.o" | grep -q ' calc_module$' || fail "--prefix not applied"
grep -q 'extern const kiln_module_desc calc_module;' "$tmp/calc.h" || fail "header lacks the descriptor"
grep -q 'static inline uint32_t calc_call_fac(kiln_instance \*inst, int32_t a0, int32_t \*r0)' "$tmp/calc.h" ||
    fail "header lacks the typed wrapper of fac"
printf '#include "calc.h"\nint main(void) { int32_t r; return (int)calc_call_fac(0, 5, &r); }\n' > "$tmp/use.c"
${CC:-cc} -Wall -Wextra -Werror -I"$DIR/../../include" -I"$tmp" -c "$tmp/use.c" -o "$tmp/use.o" ||
    fail "generated header does not compile cleanly"

# Same input and flags: byte-identical objects.
"$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/a.o" -O2 && "$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/b.o" -O2 &&
    cmp -s "$tmp/a.o" "$tmp/b.o" || fail "two -O2 compiles differ"

# An invalid module: one FILE:0xOFF: error: line, exit 1, no object left.
printf '\000asm\001\000\000\000\001\005\001\140\000\001\177\003\002\001\000\012\004\001\002\000\013' > "$tmp/bad.wasm"
"$KILN" compile "$tmp/bad.wasm" -o "$tmp/bad.o" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] || fail "invalid module: exit $rc, want 1"
grep -Eq "^$tmp/bad.wasm:0x[0-9a-f]+: error: type mismatch" "$tmp/err" || fail "invalid module message: $(cat "$tmp/err")"
[ ! -e "$tmp/bad.o" ] || fail "an object was written for an invalid module"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

# KILN_LLVM_OPTIONS reaches LLVM (here: its optimisation remarks on
# stderr), and only when set.
KILN_LLVM_OPTIONS="-pass-remarks=.* -pass-remarks-missed=.*" "$KILN" compile -j 1 "$tmp/my-mod.wasm" \
    -o "$tmp/r.o" 2>"$tmp/remarks" || fail "compile with KILN_LLVM_OPTIONS failed"
grep -q '^remark: ' "$tmp/remarks" || fail "KILN_LLVM_OPTIONS: no remark printed"
"$KILN" compile -j 1 "$tmp/my-mod.wasm" -o "$tmp/r.o" 2>"$tmp/remarks" && ! grep -q 'remark' "$tmp/remarks" ||
    fail "remarks without KILN_LLVM_OPTIONS"

# Usage and I/O errors exit 2.
"$KILN" compile "$tmp/my-mod.wasm" --bogus 2>/dev/null; [ $? = 2 ] || fail "unknown option: want exit 2"
"$KILN" compile "$tmp/missing.wasm" 2>/dev/null; [ $? = 2 ] || fail "missing input: want exit 2"
"$KILN" compile "$tmp/my-mod.wasm" --prefix 9x 2>/dev/null; [ $? = 2 ] || fail "bad prefix: want exit 2"
"$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/no/such/dir/x.o" 2>/dev/null; [ $? = 2 ] || fail "unwritable output: want exit 2"
"$KILN" compile "$tmp/my-mod.wasm" --target nonsense-triple 2>/dev/null; [ $? = 1 ] || fail "unknown target: want exit 1"

# Bounds checks: guard pages by default where the runtime routes faults
# (Linux on x86-64 and aarch64), explicit checks on request.
case "$(uname -sm)" in
"Linux x86_64" | "Linux aarch64")
    "$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/default.o" &&
        "$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/guard.o" --bounds-checks=guard &&
        "$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/explicit.o" --bounds-checks=explicit ||
        fail "--bounds-checks compiles failed"
    cmp -s "$tmp/default.o" "$tmp/guard.o" || fail "the default is not --bounds-checks=guard"
    cmp -s "$tmp/guard.o" "$tmp/explicit.o" && fail "--bounds-checks=explicit changed nothing"
    "$KILN" compile --help | grep -q 'default: guard' || fail "--help does not name the guard default"
    ;;
esac

# Cross compilation and the host CPU.
if "$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/arm.o" --target aarch64-linux-gnu 2>/dev/null; then
    od -An -tx1 -j18 -N2 "$tmp/arm.o" | grep -q 'b7 00' || fail "--target aarch64 did not give an AArch64 object"
fi
# Partitions of a cross compile are joined by the target's gcc (compiler/cross.h).
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    "$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/arm-parts.o" --target aarch64-linux-gnu \
        --partitions 2 || fail "--target aarch64 --partitions 2 failed"
    od -An -tx1 -j18 -N2 "$tmp/arm-parts.o" | grep -q 'b7 00' ||
        fail "--target aarch64 --partitions 2 did not give an AArch64 object"
fi
"$KILN" compile "$tmp/my-mod.wasm" -o "$tmp/native.o" --cpu native || fail "--cpu native failed"


# ---- how often a partition with a big frame is compiled ----
# (compiler/emit.c, partition_emit; lower.c, lower_frame_small and
# lower_body_huge.)  Above -O0 bodies are lowered as small-frame
# ones (a stack check without a frame-size load) unless marked big;
# frames.wat's $big keeps 260 v128 values live across its call, a frame
# over 4 KiB that only code generation reveals, so its partition is
# lowered, optimised and emitted again (-v: "lowering again for 1 big
# frame").  The same body made longer than lower_body_huge's
# threshold (24,576 nops in front) is marked big before the first
# lowering and compiled once.  Both still trap "call stack exhausted"
# when they recurse too deep, and return their result otherwise.
export XDG_CACHE_HOME="$tmp/cache"
wat2wasm "$DIR/wat/frames.wat" -o "$tmp/short.wasm" || exit 1
# $big made long with N nops, a branch after every STRETCH of them (so
# that with 4096 no straight stretch makes it oversized).
long_big() {
    awk -v n="$1" -v stretch="$2" '/^  \(func \$big/ {
            print; printf "   ";
            for (i = 1; i <= n; i++) { printf " nop"; if (i % stretch == 0) printf " (block (br 0))" }
            print ""; next }
         { print }' "$DIR/wat/frames.wat"
}
long_big 24576 4096 >"$tmp/long.wat"
wat2wasm "$tmp/long.wat" -o "$tmp/long.wasm" || exit 1
for opt in -O1 -O2; do
    "$KILN" compile $opt -v "$tmp/short.wasm" -o "$tmp/short.o" 2>"$tmp/err" || fail "$opt short: $(cat "$tmp/err")"
    grep -q 'lowering again for 1 big frame' "$tmp/err" ||
        fail "$opt: \$big was not found too big after code generation: $(cat "$tmp/err")"
    "$KILN" compile $opt -v "$tmp/long.wasm" -o "$tmp/long.o" 2>"$tmp/err" || fail "$opt long: $(cat "$tmp/err")"
    grep -q 'lowering again' "$tmp/err" && fail "$opt: the long \$big was lowered twice: $(cat "$tmp/err")"
    for m in short long; do
        out=$("$KILN" run $opt "$tmp/$m.wasm" --invoke big i32:3 2>&1)
        [ "$out" = "i32:1" ] || fail "$opt $m: big(3) gave '$out'"
        out=$("$KILN" run $opt "$tmp/$m.wasm" --invoke big i32:1000000 2>&1 | sed -n 1p)
        [ "$out" = "kiln: trap: call stack exhausted" ] || fail "$opt $m: big(1000000) gave '$out'"
    done
done

# ---- huge bodies: a partition of their own and a bounded pipeline ----
# (compiler/emit.c, partitions_isolate and bodies_all_huge;
# pipeline.c, pipeline_for_huge.)  long.wasm is one partition at -O1, as
# any module this small; at -O2 and -O3 its huge body, $big, is cut out
# into a partition of its own, apart from $small before it.
for opt in -O1 -O2 -O3; do
    "$KILN" compile $opt -j 1 -v "$tmp/long.wasm" -o "$tmp/long.o" 2>"$tmp/err" || fail "$opt long: $(cat "$tmp/err")"
    case $opt in -O1) want="in 1 partition " ;; *) want="in 2 partitions" ;; esac
    grep -q "$want" "$tmp/err" || fail "$opt: long.wasm not compiled $want: $(cat "$tmp/err")"
done
# The same loop of four adjacent adds that SLP vectorizes at -O2
# (test_emit.c, vectorize.wat) stays scalar in a huge body, which runs
# without the vectorizers and unrolling (the module's only body, so the
# whole module is such a partition).
awk '/^  \(func \(export "straight"\)/ { skip = 1 }
     /^  \(func \(export "looped"\)/ { skip = 0; print; printf "   ";
         for (i = 1; i <= 24576; i++) { printf " nop"; if (i % 4096 == 0) printf " (block (br 0))" }
         print ""; next }
     !skip { print }' "$DIR/wat/vectorize.wat" >"$tmp/vlong.wat"
wat2wasm "$DIR/wat/vectorize.wat" -o "$tmp/vshort.wasm" || exit 1
wat2wasm "$tmp/vlong.wat" -o "$tmp/vlong.wasm" || exit 1
for m in vshort vlong; do
    "$KILN" compile -O2 --emit-llvm "$tmp/$m.wasm" -o "$tmp/$m.ll" || fail "$m: --emit-llvm failed"
done
grep -q '<4 x i32>' "$tmp/vshort.ll" || fail "the short loop was not vectorized"
grep -q '<4 x i32>' "$tmp/vlong.ll" && fail "the huge body's loop was vectorized"

# ---- oversized bodies: compiled as at -O0, in a partition of their own ----
# (compiler/lower.c, lower_body_oversized; emit.c, partitions_isolate and
# partition_level.)  A straight stretch of 16,384 instructions makes $big
# oversized: above -O0 it is cut out of the module, even when one
# partition is asked for, and its partition is -O0 code, the only code
# that checks the stack against kiln_rt_stack_limit itself (code above
# -O0 reads kiln_rt_stack_limit_small).  It computes and traps as before,
# called through its export and from the -O1/-O2 code of $via.
{
    long_big 16384 16384 | sed '$ s/)$//'
    echo '  (func (export "via") (param i32) (result i32) (call $big (local.get 0))))'
} >"$tmp/over.wat"
wat2wasm "$tmp/over.wat" -o "$tmp/over.wasm" || exit 1
for opt in -O1 -O2; do
    "$KILN" compile $opt -j 1 --partitions 1 -v "$tmp/over.wasm" -o "$tmp/over.o" 2>"$tmp/err" ||
        fail "$opt over: $(cat "$tmp/err")"
    grep -q "in 3 partitions" "$tmp/err" || fail "$opt: \$big was not cut out from between \$small and \$via: $(cat "$tmp/err")"
    nm "$tmp/over.o" | grep -qw kiln_rt_stack_limit || fail "$opt: no partition of over.o is -O0 code"
    nm "$tmp/over.o" | grep -qw kiln_rt_stack_limit_small || fail "$opt: \$via is not $opt code"
    "$KILN" compile $opt -j 1 -v "$tmp/long.wasm" -o "$tmp/long.o" 2>"$tmp/err" || fail "$opt long: $(cat "$tmp/err")"
    nm "$tmp/long.o" | grep -qw kiln_rt_stack_limit && fail "$opt: long.wasm's \$big is not oversized"
    for f in big via; do
        out=$("$KILN" run $opt "$tmp/over.wasm" --invoke $f i32:3 2>&1)
        [ "$out" = "i32:1" ] || fail "$opt over: $f(3) gave '$out'"
        out=$("$KILN" run $opt "$tmp/over.wasm" --invoke $f i32:1000000 2>&1 | sed -n 1p)
        [ "$out" = "kiln: trap: call stack exhausted" ] || fail "$opt over: $f(1000000) gave '$out'"
    done
done

cli_test_end
