;; _start returns while a spawned thread still waits forever: the thread
;; is interrupted and the program exits 0 at once.
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (func (export "wasi_thread_start") (param i32 i32)
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
  (func (export "_start") (drop (call $spawn (i32.const 0)))))
