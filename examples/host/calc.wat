;; The guest of examples/host: a few exports and one import, compiled by
;; `kiln compile calc.wasm -o calc.o --header calc.h`.
(module
  (import "host" "report" (func $report (param i32 i64)))
  (memory (export "memory") 1)

  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  ;; 1^2 + 2^2 + ... + n^2, reporting every partial sum to the host
  (func (export "sum_squares") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $acc (i64.add (local.get $acc)
          (i64.extend_i32_u (i32.mul (local.get $i) (local.get $i)))))
        (call $report (local.get $i) (local.get $acc))
        (br $next)))
    (local.get $acc))

  ;; traps on a zero divisor
  (func (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))

  ;; two results
  (func (export "divmod") (param i32 i32) (result i32 i32)
    (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1)))
)
