#!/bin/sh
# test_install.sh BUILD WORK MODE - kiln installed and used as a new user
# would (cmake/KilnPackage.cmake, examples/host, docs/embedding.md):
#
#   prefix     `cmake --install BUILD --prefix WORK/prefix`, which the other
#              modes use: the files, the installed kiln, pkg-config's output
#   cmake      examples/host with find_package(kiln) + kiln_add_wasm_library
#   pkgconfig  examples/host/Makefile with pkg-config
#   plain      examples/host/Makefile with a plain cc line
#   docs       the example of docs/embedding.md, extracted, built, run
#   wasm       the wasm-c-api's hello example against libkiln_wasm, built
#              with pkg-config kiln-wasm and with find_package(kiln
#              COMPONENTS wasm) + kiln::wasm, run to "Done."
#   deb        `cpack -G DEB`: its files and dependencies, and examples/host
#              built against the unpacked package (a moved prefix)
#
# Exits 77 (skipped) when a tool the mode needs is missing.
set -u
BUILD=$1
WORK=$2
MODE=$3
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=$WORK/prefix
# make and cmake run from ctest, maybe under make: start clean.
unset MAKEFLAGS MFLAGS MAKELEVEL
export PKG_CONFIG_PATH=

fail() {
    echo "FAIL ($MODE): $*"
    exit 1
}
need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "skipped: no $tool"; exit 77; }
    done
}
# LOG COMMAND...: runs COMMAND with its output in LOG, shown on failure.
logged() {
    log=$1
    shift
    "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
}
# DIR: runs DIR/PROGRAM (examples/host), which prints "ok" last.
host_run() {
    "$1" >"$1.out" 2>&1 || { cat "$1.out"; fail "$1 failed"; }
    tail -n 1 "$1.out" | grep -qx ok || fail "$1 did not print ok"
}

# The flags of `pkg-config ARGS`, one per line, with -L directories resolved.
pc_flags() {
    for flag in $(pkg-config "$@"); do
        case $flag in
        -L*) echo "-L$(cd "${flag#-L}" && pwd -P)" ;;
        *) echo "$flag" ;;
        esac
    done
}

mode_prefix() {
    need cmake cc pkg-config
    rm -rf "$PREFIX"
    mkdir -p "$WORK"
    logged "$WORK/install.log" cmake --install "$BUILD" --prefix "$PREFIX" || fail "cmake --install"
    for f in bin/kiln include/kiln.h include/kiln_abi.h include/kiln_wasi.h \
        lib/libkiln_rt.a lib/libkiln_ir.a lib/libkiln_wasi.a lib/libkiln_wasi_main.a \
        lib/pkgconfig/kiln.pc lib/pkgconfig/kiln-wasi.pc lib/cmake/kiln/kilnConfig.cmake \
        lib/cmake/kiln/kilnConfigVersion.cmake lib/cmake/kiln/KilnWasmLibrary.cmake \
        lib/libkiln_wasm.so include/wasm.h lib/pkgconfig/kiln-wasm.pc; do
        [ -f "$PREFIX/$f" ] || fail "$f not installed"
    done
    "$PREFIX/bin/kiln" --version >/dev/null || fail "the installed kiln does not run"
    # The installed kiln builds executables with the installed runtime, also
    # after the whole prefix has moved (as an unpacked package would).
    if command -v wat2wasm >/dev/null; then
        wat2wasm "$SRC/examples/hello.wat" -o "$WORK/hello.wasm" || fail "wat2wasm"
        rm -rf "$WORK/moved"
        cp -a "$PREFIX" "$WORK/moved" || fail "cannot copy the prefix"
        for p in "$PREFIX" "$WORK/moved"; do
            env -u KILN_LIB_DIR "$p/bin/kiln" build "$WORK/hello.wasm" -o "$WORK/hello" ||
                fail "kiln build from $p"
            "$WORK/hello" | grep -q . || fail "the executable kiln built from $p printed nothing"
        done
    fi
    for h in kiln.h kiln_abi.h kiln_wasi.h; do
        printf '#include <%s>\n' $h | cc -fsyntax-only -Wall -Wextra -Werror -I"$PREFIX/include" -x c - ||
            fail "$h does not compile on its own"
    done
    if command -v c++ >/dev/null; then # C++ hosts include the same headers
        printf '#include <kiln.h>\n#include <kiln_wasi.h>\n' |
            c++ -std=c++11 -fsyntax-only -Wall -Werror -I"$PREFIX/include" -x c++ - ||
            fail "kiln.h and kiln_wasi.h do not compile as C++"
    fi
    ! nm -u "$PREFIX"/lib/*.a 2>/dev/null | grep -q LLVM || fail "a runtime library needs LLVM"
    ! grep -qi llvm "$PREFIX"/lib/pkgconfig/*.pc || fail "a .pc file names LLVM"
    export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
    lib=$(cd "$PREFIX/lib" && pwd -P)
    for args in "--libs kiln" "--static --libs kiln"; do
        got=$(pc_flags $args | tr '\n' ' ')
        [ "$got" = "-L$lib -lkiln_rt -lkiln_ir -lpthread -lm " ] || fail "pkg-config $args: $got"
    done
    got=$(pc_flags --static --libs kiln-wasi | tr '\n' ' ')
    [ "$got" = "-L$lib -lkiln_wasi -lkiln_rt -lkiln_ir -lpthread -lm " ] ||
        fail "pkg-config --static --libs kiln-wasi: $got"
    got=$(pc_flags --cflags kiln-wasi)
    [ "$got" = "-I$(cd "$PREFIX/include" && pwd -P)" ] || [ "$got" = "-I$PREFIX/lib/pkgconfig/../../include" ] ||
        fail "pkg-config --cflags kiln-wasi: $got"
}

# SOURCE BUILD_DIR: configure and build a CMake project against the prefix.
cmake_project() {
    rm -rf "$2"
    logged "$2.log" cmake -S "$1" -B "$2" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
        "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror" || fail "configuring $1"
    grep -q "^kiln_DIR:PATH=$PREFIX/lib/cmake/kiln\$" "$2/CMakeCache.txt" ||
        fail "find_package(kiln) found $(grep '^kiln_DIR' "$2/CMakeCache.txt")"
    logged "$2.build.log" cmake --build "$2" -j 2 || fail "building $1"
}

mode_cmake() {
    need cmake cc wat2wasm
    cmake_project "$SRC/examples/host" "$WORK/cmake"
    host_run "$WORK/cmake/kiln_host_example"
}

mode_pkgconfig() {
    need make cc pkg-config wat2wasm
    rm -rf "$WORK/pkgconfig"
    PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" logged "$WORK/pkgconfig.log" \
        make -f "$SRC/examples/host/Makefile" OUT="$WORK/pkgconfig" KILN="$PREFIX/bin/kiln" ||
        fail "make with pkg-config"
    host_run "$WORK/pkgconfig/host"
}

mode_plain() {
    need make cc wat2wasm
    rm -rf "$WORK/plain"
    logged "$WORK/plain.log" make -f "$SRC/examples/host/Makefile" OUT="$WORK/plain" \
        KILN="$PREFIX/bin/kiln" KILN_PREFIX="$PREFIX" plain || fail "make plain"
    host_run "$WORK/plain/host-plain"
}

mode_docs() {
    need cmake cc wat2wasm python3
    rm -rf "$WORK/docs"
    python3 "$SRC/tests/install/doc_example.py" "$SRC/docs/embedding.md" "$WORK/docs/src" ||
        fail "no example in docs/embedding.md"
    cmake_project "$WORK/docs/src" "$WORK/docs/build"
    program=$(cat "$WORK/docs/src/program")
    (cd "$WORK/docs/src" && "$WORK/docs/build/$program") >"$WORK/docs/actual.txt" 2>&1 ||
        { cat "$WORK/docs/actual.txt"; fail "build/$program failed"; }
    diff -u "$WORK/docs/src/expected.txt" "$WORK/docs/actual.txt" ||
        fail "build/$program does not print what docs/embedding.md says"
}

# PROGRAM: runs the wasm-c-api example PROGRAM where hello.wasm is, with
# the prefix's libkiln_wasm and a cache of its own.
capi_run() {
    (cd "$WORK/wasm/src" && LD_LIBRARY_PATH="$PREFIX/lib" XDG_CACHE_HOME="$WORK/wasm/cache" "$1") \
        >"$1.out" 2>&1 || { cat "$1.out"; fail "$1 failed"; }
    tail -n 1 "$1.out" | grep -qx "Done." || { cat "$1.out"; fail "$1 did not print Done."; }
}

mode_wasm() {
    need cmake cc pkg-config
    rm -rf "$WORK/wasm"
    mkdir -p "$WORK/wasm/src"
    cp "$SRC/tests/wasm-c-api/hello.c" "$SRC/tests/wasm-c-api/hello.wasm" "$WORK/wasm/src/"
    # Upstream's example, built as it is (-w: it is not warning-free).
    PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" logged "$WORK/wasm/cc.log" sh -c \
        'cc -w -o "$1/hello-pc" "$1/src/hello.c" $(pkg-config --cflags --libs kiln-wasm)' sh \
        "$WORK/wasm" || fail "cc with pkg-config kiln-wasm"
    capi_run "$WORK/wasm/hello-pc"
    cat >"$WORK/wasm/src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(capi_hello C)
find_package(kiln 0.1 REQUIRED COMPONENTS wasm)
add_executable(hello hello.c)
target_compile_options(hello PRIVATE -w)
target_link_libraries(hello PRIVATE kiln::wasm)
EOF
    cmake_project "$WORK/wasm/src" "$WORK/wasm/build"
    capi_run "$WORK/wasm/build/hello"
}

mode_deb() {
    need cpack dpkg-deb make cc pkg-config wat2wasm
    rm -rf "$WORK/deb"
    mkdir -p "$WORK/deb"
    logged "$WORK/deb.log" cpack --config "$BUILD/CPackConfig.cmake" -G DEB -B "$WORK/deb" ||
        fail "cpack -G DEB"
    deb=$(ls "$WORK"/deb/kiln_*.deb) || fail "no kiln_*.deb"
    dpkg-deb -c "$deb" | awk '{print $6}' >"$WORK/deb/contents"
    for f in ./usr/bin/kiln ./usr/include/kiln.h ./usr/lib/libkiln_rt.a ./usr/lib/libkiln_ir.a \
        ./usr/lib/pkgconfig/kiln.pc ./usr/lib/cmake/kiln/kilnConfig.cmake; do
        grep -qx "$f" "$WORK/deb/contents" || fail "$f not in $deb"
    done
    dpkg-deb -f "$deb" Depends | grep -q 'libllvm19' || fail "Depends lacks libllvm19: $(dpkg-deb -f "$deb" Depends)"
    dpkg-deb -x "$deb" "$WORK/deb/root" || fail "dpkg-deb -x"
    PKG_CONFIG_PATH="$WORK/deb/root/usr/lib/pkgconfig" logged "$WORK/deb/make.log" \
        make -f "$SRC/examples/host/Makefile" OUT="$WORK/deb/host" KILN="$WORK/deb/root/usr/bin/kiln" ||
        fail "examples/host against the unpacked package"
    host_run "$WORK/deb/host/host"
}

case $MODE in
prefix | cmake | pkgconfig | plain | docs | wasm | deb) "mode_$MODE" ;;
*) fail "unknown mode" ;;
esac
echo "ok"
