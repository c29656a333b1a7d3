;; A WASI reactor: no _start, an _initialize that must run first, and
;; exports `kiln build --entry NAME` can (work, the awkwardly named one)
;; or cannot (add: it takes parameters) make the executable's entry.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 0))
  (data (i32.const 16) "init\n")
  (data (i32.const 32) "work\n")
  (func $say (param $at i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_initialize") (call $say (i32.const 16)) (global.set $n (i32.const 40)))
  ;; 42 if _initialize ran first.
  (func (export "work") (result i32) (call $say (i32.const 32)) (i32.add (global.get $n) (i32.const 2)))
  (func (export "we\"ird\\") (call $say (i32.const 32)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
)
