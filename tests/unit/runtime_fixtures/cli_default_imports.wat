;; Imports no WASI host provides, of every result type, for
;; --default-values-unknown-imports: `all` returns what the stand-ins
;; returned (zeros: 0, +0.0, a zero vector, null references); `_start`
;; brackets its work with a benchmark's "bench"."start" and "end" markers
;; and prints "ok" when "host"."count" gave 0.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "bench" "start" (func $bench_start))
  (import "bench" "end" (func $bench_end))
  (import "host" "count" (func $count (param i32 f64) (result i32)))
  (import "host" "many" (func $many (param i32) (result i32 i64 f32 f64)))
  (import "host" "vector" (func $vector (result v128)))
  (import "host" "refs" (func $refs (result funcref externref)))
  (memory (export "memory") 1)
  (data (i32.const 16) "ok\n")
  (func (export "all") (result i32 i64 f32 f64 v128 funcref externref)
    (call $many (i32.const -1))
    (call $vector)
    (call $refs))
  (func (export "_start")
    (call $bench_start)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 3))
    (if (i32.eqz (call $count (i32.const 5) (f64.const 2.5)))
      (then (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
    (call $bench_end))
)
