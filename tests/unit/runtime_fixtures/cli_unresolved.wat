;; A WASI command with imports kiln's WASI host cannot satisfy: two that
;; nobody defines, one WASI function with the wrong signature and one
;; WASI name asked for as a global.  Every one must be named in a single
;; message, before anything is compiled (issue #13 item 4).
(module
  (import "env" "js_eval" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "wasi_snapshot_preview1" "fd_close" (global (mut i64)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (func (export "_start"))
)
