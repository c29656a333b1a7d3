;; recursion.wat - recursion as deep as asked, for the stack budget tests
;; (test_cli_stack_size.sh, --stack-size).  rec(n) recurses n deep: $k
;; lives across the call and the subtraction after it is not associative,
;; so LLVM cannot turn the recursion into a loop.  rec(n) = 3n - rec(n - 1)
;; and rec(0) = 0, so rec(2m) = 3m.  _start, a WASI command, recurses
;; 300000 deep and exits 0 if rec(300000) = 450000, else 1.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (func $rec (export "rec") (param $n i32) (result i32)
    (local $k i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (local.set $k (i32.mul (local.get $n) (i32.const 3)))
    (i32.sub (local.get $k) (call $rec (i32.sub (local.get $n) (i32.const 1)))))
  (func (export "_start")
    (call $proc_exit (i32.ne (call $rec (i32.const 300000)) (i32.const 450000))))
  (memory (export "memory") 1))
