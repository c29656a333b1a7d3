#!/bin/sh
# test_runtime_link.sh KILN BUILD - what a `kiln build` executable links.
# - The runtime links no decoder: neither libkiln_rt.a nor libkiln_ir.a
#   needs a symbol of the front end (decoder, validator, opcode and feature
#   tables), and an executable holds none of them, yet runs (it
#   instantiates from the module image the object carries,
#   compiler/module_image.h).
# - Hello world stays at most 100 KiB stripped (issue #16; docs/benchmarks.md,
#   "The runtime without the decoder"): it holds the WASI function it
#   imports and no other, and no DWARF line reader without -g; a trapping
#   program still prints its backtrace, exceptions are still caught and
#   KILN_POOL still works.
# - A module that imports every WASI function kiln provides still links
#   (each one's code is in) and runs.
set -u
KILN=$1
BUILD=$2
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/cli_test_lib.sh"
cli_test_begin wat2wasm nm strip
export XDG_CACHE_HOME="$tmp/cache"
HELLO_MAX=102400

front='module_decode|module_validate|opcode_lookup|kiln_opcode_table|features_all|module_image_write'

undefined=$(nm -u "$BUILD/libkiln_rt.a" "$BUILD/libkiln_ir.a" | grep -Ew "$front")
[ -z "$undefined" ] || fail "the runtime libraries need the front end: $undefined"

wat2wasm "$DIR/../../examples/hello.wat" -o "$tmp/hello.wasm" || exit 1
"$KILN" build -j 1 "$tmp/hello.wasm" -o "$tmp/hello" || fail "kiln build"
out=$("$tmp/hello")
[ "$out" = "Hello from kiln! 10! = 3628800" ] || fail "hello printed '$out'"
defined=$(nm "$tmp/hello" | grep -Ew "$front")
[ -z "$defined" ] || fail "the executable holds front-end code: $defined"

# ---- size, and what is left out ---------------------------------------------------
strip -o "$tmp/hello.stripped" "$tmp/hello"
size=$(wc -c < "$tmp/hello.stripped")
echo "hello world, stripped: $size bytes (limit $HELLO_MAX)"
[ "$size" -le "$HELLO_MAX" ] || fail "hello world is $size bytes stripped, over $HELLO_MAX"
out=$("$tmp/hello.stripped")
[ "$out" = "Hello from kiln! 10! = 3628800" ] || fail "stripped hello printed '$out'"
bindings=$(nm "$tmp/hello" | awk '$3 ~ /^kiln_wasi_binding_/ {print $3}' | tr '\n' ' ')
[ "$bindings" = "kiln_wasi_binding_fd_write " ] || fail "hello links the bindings: $bindings"
for sym in wasi_path_open wasi_fd_read wasi_poll_oneoff wasi_thread_spawn dwarf_lines_parse; do
    nm "$tmp/hello" | grep -qw "$sym" && fail "hello links $sym"
done
"$KILN" build -q -g -j 1 "$tmp/hello.wasm" -o "$tmp/hello-g" || fail "kiln build -g"
nm "$tmp/hello-g" | grep -qw dwarf_lines_parse || fail "kiln build -g left out the line reader"

# A trap: message and backtrace (-O0: -O2 inlines the callees).
cat > "$tmp/trap.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (func $deep (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func $middle (result i32) (call $deep (i32.const 0)))
  (func $_start (export "_start") (drop (call $middle))))
WAT
wat2wasm --debug-names "$tmp/trap.wat" -o "$tmp/trap.wasm" || exit 1
"$KILN" build -O0 -j 1 "$tmp/trap.wasm" -o "$tmp/trap" || fail "kiln build trap"
strip "$tmp/trap"
"$tmp/trap" 2> "$tmp/trap.err"
status=$?
[ "$status" = 134 ] || fail "the trapping program exited with $status"
printf '%s: wasm trap: integer divide by zero\n  0: deep (wasm function 1)\n  1: middle (wasm function 2)\n  2: _start (wasm function 3)\n' \
    "$tmp/trap" > "$tmp/trap.want"
cmp -s "$tmp/trap.err" "$tmp/trap.want" || fail "trap report: $(cat "$tmp/trap.err")"

# Exceptions unwind through the runtime's frames (their unwind tables are
# kept); the pooling allocator still serves the program (KILN_POOL).
cat > "$tmp/exn.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (tag $e (param i32))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func (export "_start")
    (call $proc_exit
      (try (result i32)
        (do (call $thrower (i32.const 41)) (i32.const -1))
        (catch $e (i32.add (i32.const 1)))))))
WAT
wat2wasm --enable-exceptions "$tmp/exn.wat" -o "$tmp/exn.wasm" || exit 1
"$KILN" build -j 1 "$tmp/exn.wasm" -o "$tmp/exn" || fail "kiln build exn"
strip "$tmp/exn"
"$tmp/exn"
status=$?
[ "$status" = 42 ] || fail "the exception program exited with $status, not 42"
out=$(KILN_POOL=1 "$tmp/hello.stripped")
[ "$out" = "Hello from kiln! 10! = 3628800" ] || fail "hello under KILN_POOL=1 printed '$out'"

# ---- every WASI function: NAME:PARAMS (i = i32, I = i64), results i32 ----------------
all='args_get:ii args_sizes_get:ii clock_res_get:ii clock_time_get:iIi environ_get:ii
environ_sizes_get:ii fd_advise:iIIi fd_allocate:iII fd_close:i fd_datasync:i fd_fdstat_get:ii
fd_fdstat_set_flags:ii fd_fdstat_set_rights:iII fd_filestat_get:ii fd_filestat_set_size:iI
fd_filestat_set_times:iIIi fd_pread:iiiIi fd_prestat_dir_name:iii fd_prestat_get:ii
fd_pwrite:iiiIi fd_read:iiii fd_readdir:iiiIi fd_renumber:ii fd_seek:iIii fd_sync:i fd_tell:ii
fd_write:iiii path_create_directory:iii path_filestat_get:iiiii path_filestat_set_times:iiiiIIi
path_link:iiiiiii path_open:iiiiiIIii path_readlink:iiiiii path_remove_directory:iii
path_rename:iiiiii path_symlink:iiiii path_unlink_file:iii poll_oneoff:iiii proc_raise:i
random_get:ii sched_yield: sock_accept:iii sock_recv:iiiiii sock_send:iiiii sock_shutdown:ii'
{
    echo '(module'
    for f in $all; do
        params=$(echo "${f#*:}" | sed 's/i/ i32/g; s/I/ i64/g')
        echo "  (import \"wasi_snapshot_preview1\" \"${f%%:*}\" (func \$${f%%:*} (param$params) (result i32)))"
    done
    echo '  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))'
    echo '  (import "wasi" "thread-spawn" (func (param i32) (result i32)))'
    echo '  (memory 1)'
    echo '  (data (i32.const 16) "all\0a")'
    echo '  (func (export "_start")'
    echo '    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4))'
    echo '    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))'
    echo '    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 32)))'
    echo '    (drop (call $random_get (i32.const 40) (i32.const 8)))'
    echo '    (call $proc_exit (i32.const 7))))'
} > "$tmp/all.wat"
wat2wasm "$tmp/all.wat" -o "$tmp/all.wasm" || exit 1
"$KILN" build -j 1 "$tmp/all.wasm" -o "$tmp/all" || fail "kiln build of every WASI import"
out=$("$tmp/all")
status=$?
[ "$out" = all ] && [ "$status" = 7 ] || fail "every-import program: '$out', status $status"
provided=$(nm "$BUILD/libkiln_wasi.a" | awk '$2 ~ /^[RD]$/ && $3 ~ /^kiln_wasi_binding_/' | wc -l)
linked=$(nm "$tmp/all" | awk '$3 ~ /^kiln_wasi_binding_/' | wc -l)
[ "$linked" = "$provided" ] || fail "the every-import program links $linked of the $provided bindings"
[ "$provided" = $(($(echo $all | wc -w) + 2)) ] ||
    fail "libkiln_wasi.a has $provided bindings: add the new ones to this test's list"
cli_test_end
