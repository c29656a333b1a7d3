;; A wasm32-wasip1-threads program by hand: _start spawns threads that
;; wait forever (memory.atomic.wait32 with no timeout) until thread-spawn
;; fails or 2,000 are running, prints how many it started in decimal and
;; exits 0 with proc_exit (which ends the waiting threads).  Under kiln's
;; bound on running threads (--max-threads, default 1024) it prints that
;; bound; unbounded it would print 2000.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "env" "memory" (memory 1 1 shared))
  ;; 0 the word the threads wait on (stays 0), 32..47 the digits, 64 iovec

  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))

  ;; Writes n in decimal and a newline to stdout.
  (func $print_u32 (param $n i32)
    (local $at i32)
    (local.set $at (i32.const 47))
    (i32.store8 (local.get $at) (i32.const 10))
    (loop $digit
      (local.set $at (i32.sub (local.get $at) (i32.const 1)))
      (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (i32.store (i32.const 64) (local.get $at))
    (i32.store (i32.const 68) (i32.sub (i32.const 48) (local.get $at)))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72))))

  (func (export "_start")
    (local $count i32)
    (block $done
      (loop $more
        (br_if $done (i32.ge_u (local.get $count) (i32.const 2000)))
        (br_if $done (i32.lt_s (call $spawn (i32.const 0)) (i32.const 1)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (br $more)))
    (call $print_u32 (local.get $count))
    (call $exit (i32.const 0))))
