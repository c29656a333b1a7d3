;; recursion_pair.wat - recursion.wat's rec split into two functions that
;; call each other, for test_cli_stack_size.sh.  Built with --partitions 3
;; each function lives in its own partition (with two, $a and $b share
;; one and LLVM inlines one into the other), so every call is checked
;; against the callee's entry in the other partition's frame-size table
;; (in an executable: sp - frame against kiln_rt_stack_limit).  _start
;; recurses 300000 deep and exits 0 if the result is 450000, else 1.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (func $a (param $n i32) (result i32)
    (local $k i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (local.set $k (i32.mul (local.get $n) (i32.const 3)))
    (i32.sub (local.get $k) (call $b (i32.sub (local.get $n) (i32.const 1)))))
  (func $b (param $n i32) (result i32)
    (local $k i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (local.set $k (i32.mul (local.get $n) (i32.const 3)))
    (i32.sub (local.get $k) (call $a (i32.sub (local.get $n) (i32.const 1)))))
  (func (export "_start")
    (call $proc_exit (i32.ne (call $a (i32.const 300000)) (i32.const 450000))))
  (memory (export "memory") 1))
