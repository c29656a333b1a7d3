;; A WASI command importing two functions no WASI host provides (as CRuby
;; imports its JavaScript host's), for --trap-unknown-imports: it prints
;; "hi", and calls "rb-js-abi-host"."global-this" only when given an
;; argument; the export `js_value` calls it too, for --invoke.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "rb-js-abi-host" "global-this" (func $global_this (result i32)))
  (import "canonical_abi" "resource_drop_js-abi-value" (func (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi\n")
  (func $js_value (export "js_value") (result i32)
    (call $global_this))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))  ;; iovec.buf
    (i32.store (i32.const 4) (i32.const 3))   ;; iovec.len
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (if (i32.gt_u (i32.load (i32.const 32)) (i32.const 1))
      (then (drop (call $js_value)))))
)
