;; A wasm32-wasip1-threads program by hand (Debian has no wasi-threads
;; sysroot): _start spawns 4 threads through "wasi"."thread-spawn"; each
;; adds 1 to two counters 20,000 times, one under a futex-style lock
;; (cmpxchg to take it, memory.atomic.wait32 while it is taken, atomic
;; store + notify to release it) with plain loads and stores inside, the
;; other with i32.atomic.rmw.add.  The main thread waits on a "done"
;; counter (wait32/notify), then checks both counters and the thread ids.
;; Prints "ok 80000 80000" and exits 0, or prints "bad" and exits 1.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "env" "memory" (memory 1 1 shared))
  ;; 0 lock, 4 locked counter, 8 atomic counter, 12 threads done,
  ;; 16 sum of thread ids, 32.. output, 64 iovec
  (data (i32.const 32) "ok 80000 80000\0abad\0a")

  (func $lock
    (block $taken
      (loop $try
        (br_if $taken (i32.eqz (i32.atomic.rmw.cmpxchg (i32.const 0) (i32.const 0) (i32.const 1))))
        (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const -1)))
        (br $try))))

  (func $unlock
    (i32.atomic.store (i32.const 0) (i32.const 0))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1))))

  (func (export "wasi_thread_start") (param $tid i32) (param $n i32)
    (local $i i32)
    (drop (i32.atomic.rmw.add (i32.const 16) (local.get $tid)))
    (loop $l
      (call $lock)
      (i32.store (i32.const 4) (i32.add (i32.load (i32.const 4)) (i32.const 1)))
      (call $unlock)
      (drop (i32.atomic.rmw.add (i32.const 8) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (drop (i32.atomic.rmw.add (i32.const 12) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 12) (i32.const 1))))

  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 64) (local.get $at))
    (i32.store (i32.const 68) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72))))

  (func (export "_start")
    (local $k i32) (local $done i32)
    (loop $s
      (if (i32.lt_s (call $spawn (i32.const 20000)) (i32.const 1)) (then unreachable))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $s (i32.lt_u (local.get $k) (i32.const 4))))
    (block $all
      (loop $w
        (local.set $done (i32.atomic.load (i32.const 12)))
        (br_if $all (i32.eq (local.get $done) (i32.const 4)))
        (drop (memory.atomic.wait32 (i32.const 12) (local.get $done) (i64.const -1)))
        (br $w)))
    ;; thread ids 1..4 sum to 10
    (if (i32.and (i32.and (i32.eq (i32.atomic.load (i32.const 4)) (i32.const 80000))
                          (i32.eq (i32.atomic.load (i32.const 8)) (i32.const 80000)))
                 (i32.eq (i32.atomic.load (i32.const 16)) (i32.const 10)))
      (then (call $print (i32.const 32) (i32.const 15)) (call $exit (i32.const 0))))
    (call $print (i32.const 47) (i32.const 4))
    (call $exit (i32.const 1))))
