;; A wasm32-wasip1-threads program by hand: a spawned thread grows its
;; instance's own table by 100 and stores what table.grow returned; _start
;; waits for it and prints "grew" or "capped" (table.grow gave -1).  Run
;; with `--max-table-elements 10`, the spawned thread's instance has the
;; main one's limits (kiln_wasi_threads_limit), so it prints "capped".
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "env" "memory" (memory 1 1 shared))
  (table $t 0 funcref)
  ;; 0 done flag, 4 what table.grow returned, 32.. output, 64 iovec
  (data (i32.const 32) "grew\0acapped\0a")

  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (i32.atomic.store (i32.const 4) (table.grow $t (ref.null func) (i32.const 100)))
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))

  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 64) (local.get $at))
    (i32.store (i32.const 68) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72))))

  (func (export "_start")
    (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 1)) (then unreachable))
    (block $done
      (loop $wait
        (br_if $done (i32.atomic.load (i32.const 0)))
        (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
        (br $wait)))
    (if (i32.eq (i32.atomic.load (i32.const 4)) (i32.const -1))
      (then (call $print (i32.const 37) (i32.const 7)))
      (else (call $print (i32.const 32) (i32.const 5))))
    (call $exit (i32.const 0))))
