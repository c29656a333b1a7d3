;; hello.wat - kiln's demo module: a WASI command that prints a greeting
;; and 10! computed by an exported function.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; iovec at 0 (base, len); greeting at 16; decimal digits end at 96.
  (data (i32.const 16) "Hello from kiln! 10! = ")

  (func $fac (export "fac") (param $n i64) (result i64)
    (local $acc i64)
    (local.set $acc (i64.const 1))
    (block $done
      (loop $next
        (br_if $done (i64.le_u (local.get $n) (i64.const 1)))
        (local.set $acc (i64.mul (local.get $acc) (local.get $n)))
        (local.set $n (i64.sub (local.get $n) (i64.const 1)))
        (br $next)))
    (local.get $acc))

  ;; Writes `len` bytes at `ptr` to stdout.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Formats `v` in decimal followed by a newline, ending at byte 96;
  ;; returns the address of the first digit.
  (func $format (param $v i64) (result i32)
    (local $p i32)
    (local.set $p (i32.const 95))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
    (local.get $p))

  (func (export "_start")
    (local $p i32)
    (call $print (i32.const 16) (i32.const 23))
    (local.set $p (call $format (call $fac (i64.const 10))))
    (call $print (local.get $p) (i32.sub (i32.const 96) (local.get $p)))))
