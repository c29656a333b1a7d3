;; Calls that cross partition boundaries when the module is split into
;; contiguous ranges: direct calls both ways, mutual recursion, calls
;; through a table, multi-value results, an imported function, a trap
;; raised in another partition and unbounded recursion across them.
(module
  (import "env" "add3" (func $add3 (param i32 i32 i32) (result i32)))
  (type $ii_i (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $add $sub $mul $div)
  (memory 1)

  (func $add (type $ii_i) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $ii_i) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $ii_i) (i32.mul (local.get 0) (local.get 1)))
  (func $div (type $ii_i) (i32.div_s (local.get 0) (local.get 1)))

  (func $even (export "even") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 1))
      (else (call $odd (i32.sub (local.get 0) (i32.const 1))))))

  ;; op(a, b) through the table: 0 add, 1 sub, 2 mul, 3 div
  (func (export "apply") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $ii_i) (local.get $a) (local.get $b) (local.get $op)))

  (func $divmod (param i32 i32) (result i32 i32)
    (call $div (local.get 0) (local.get 1))
    (i32.rem_s (local.get 0) (local.get 1)))

  ;; fib by a loop that calls $add in the first partition
  (func (export "fib") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $t i32)
    (local.set $b (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $t (call $add (local.get $a) (local.get $b)))
        (local.set $a (local.get $b))
        (local.set $b (local.get $t))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $a))

  ;; q * 1000 + r from a multi-value call
  (func (export "divmod") (param i32 i32) (result i32)
    (call $divmod (local.get 0) (local.get 1))
    (local.set 1)
    (i32.mul (i32.const 1000))
    (local.get 1)
    (i32.add))

  (func (export "host") (param i32) (result i32)
    (call $add3 (local.get 0) (call $mul (local.get 0) (i32.const 2)) (i32.const 7)))

  ;; stores through one partition, loads through another
  (func $poke (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "poke_peek") (param i32 i32) (result i32)
    (call $poke (local.get 0) (local.get 1))
    (call $peek (local.get 0)))

  (func $runaway (export "runaway") (param i32) (result i32)
    (call $runaway2 (i32.add (local.get 0) (i32.const 1))))

  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (call $even (i32.sub (local.get 0) (i32.const 1))))))

  (func $peek (param i32) (result i32) (i32.load (local.get 0)))

  (func $runaway2 (param i32) (result i32)
    (call $runaway (i32.add (local.get 0) (i32.const 1))))
)
