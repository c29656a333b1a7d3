;; A WASI command for test_signals_faults.c, built with `kiln build` next to
;; faults/fault_writev.c.  Without arguments it writes "ok!\n" from address
;; 16 with fd_write, whose writev (the test's) reads 1 GiB past that buffer;
;; with one, the wasm code reads that same address (0x40000010) itself.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\04\00\00\00") ;; one iovec: 4 bytes at 16
  (data (i32.const 16) "ok!\n")
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (if (i32.gt_u (i32.load (i32.const 32)) (i32.const 1))
      (then
        (drop (i32.load offset=0x40000010 (i32.const 0)))
        (return)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 40)))))
