#!/bin/sh
# test_cli_compile.sh KILN - `kiln compile` (compiler/cli_compile.c) as a
# user sees it: outputs, default names, exported symbols, the header,
# error lines and exit codes, determinism and cross targets.
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

cli_test_end
