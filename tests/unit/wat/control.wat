;; Control flow, locals, calls and multi-value, for tests/unit/test_lower.c.
(module
  (func $fac (export "fac") (param i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $fac (i32.sub (local.get 0) (i32.const 1)))))))

  ;; 1 + 2 + ... + n with block/loop/br_if/br
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  (func (export "select") (param i32 i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (local.get 2)))

  ;; 0 -> 10, 1 -> 11, anything else -> 12
  (func (export "switch") (param i32) (result i32)
    (block $c (block $b (block $a
      (br_table $a $b $c (local.get 0)))
      (return (i32.const 10)))
      (return (i32.const 11)))
    (i32.const 12))

  ;; br_table whose targets repeat and carry a value
  (func (export "switch_value") (param i32) (result i32)
    (block $out (result i32)
      (br_table $out $out 0 (i32.const 7) (local.get 0))))

  (func $pair (param i32) (result i32 i32) (local.get 0) (i32.add (local.get 0) (i32.const 1)))
  ;; calls a multi-value function: a * 100 + (a + 1)
  (func (export "pair_combine") (param i32) (result i32)
    (call $pair (local.get 0))
    (local.set 0)
    (i32.mul (i32.const 100))
    (i32.add (local.get 0)))
  (func (export "pair") (param i32) (result i32 i32) (call $pair (local.get 0)))

  ;; a block with params: (a b) -> a - b
  (func (export "block_params") (param i32 i32) (result i32)
    (local.get 0) (local.get 1)
    (block (param i32 i32) (result i32) (i32.sub)))

  ;; a loop with a param counting down to 0, returning iterations
  (func (export "loop_params") (param i32) (result i32) (local $n i32)
    (local.get 0)
    (loop $l (param i32) (result i32)
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (i32.sub (i32.const 1))
      (local.tee 0)
      (br_if $l (local.get 0))
      (drop) (local.get $n)))

  ;; if with params and no else: adds 1 only when the flag is set
  (func (export "if_params") (param i32 i32) (result i32)
    (local.get 0)
    (if (param i32) (result i32) (local.get 1) (then (i32.add (i32.const 1)))))

  ;; compares tested by br_if, select and if (lowering tests the compare's
  ;; i1 itself): 1 when a < b, else 0
  (func (export "compare_br_if") (param i32 i32) (result i32)
    (block $yes
      (br_if $yes (i32.lt_s (local.get 0) (local.get 1)))
      (return (i32.const 0)))
    (i32.const 1))
  ;; select on a compare: the smaller of a and b (unsigned)
  (func (export "compare_select") (param i32 i32) (result i32)
    (select (local.get 0) (local.get 1) (i32.lt_u (local.get 0) (local.get 1))))
  ;; a compare's result is both an if's param (replayed in its else arm)
  ;; and the then arm's br_if condition: (a < b) + 10 in the else arm,
  ;; 1 (the br_if taken) or 0 in the then arm
  (func (export "compare_if_param") (param i32 i32 i32) (result i32)
    (i32.lt_s (local.get 0) (local.get 1))
    (if (param i32) (result i32) (local.get 2)
      (then (block $b (param i32) (br_if $b) (return (i32.const 0))) (i32.const 1))
      (else (i32.add (i32.const 10)))))

  ;; code after return/br is skipped, including nested blocks
  (func (export "dead_code") (result i32)
    (block $b (result i32)
      (br $b (i32.const 5))
      (block (i32.const 1) (drop))
      (unreachable))
    (return)
    (i32.const 9))

  ;; a block whose end is never reached
  (func (export "never_ends") (param i32) (result i32)
    (block (result i32) (return (i32.add (local.get 0) (i32.const 3))))
    (i32.const 99) (i32.add))

  (func (export "f64_locals") (param f64) (result f64) (local f64)
    (local.set 1 (local.get 0))
    (local.get 1))

  (func $runaway (export "runaway") (result i32) (call $runaway))
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 1))
      (else (call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0)) (then (i32.const 0))
      (else (call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func (export "unreachable") (unreachable))
  ;; fac(n) + fac(n) + even(n) + pair's first: three checked calls of two
  ;; bodies and one of a small leaf; at -O0 one check at entry covers them.
  (func (export "calls_three") (param i32) (result i32)
    (i32.add (i32.add (call $fac (local.get 0)) (call $fac (local.get 0)))
      (i32.add (call $even (i64.extend_i32_u (local.get 0)))
        (drop (call $pair (local.get 0))))))

  ;; A private table nothing writes: its contents are known when compiling.
  ;; 0 $tenfold, 1 $pair (another type), 2 null, 3 $tenfold, 4 $tenfold_too.
  (type $to_i32 (func (param i32) (result i32)))
  (type $to_pair (func (param i32) (result i32 i32)))
  (table $known 5 funcref)
  (elem (table $known) (i32.const 0) func $tenfold $pair)
  (elem (table $known) (i32.const 3) funcref (ref.func $tenfold) (ref.func $tenfold_too))
  (func $tenfold (param i32) (result i32) (i32.mul (local.get 0) (i32.const 10)))
  (func $tenfold_too (param i32) (result i32) (i32.mul (local.get 0) (i32.const 10)))
  (func (export "known_call") (param $i i32) (param $x i32) (result i32)
    (call_indirect $known (type $to_i32) (local.get $x) (local.get $i)))
  ;; a multi-value result through the same table: a * 100 + (a + 1)
  (func (export "known_call_pair") (param $i i32) (param $a i32) (result i32)
    (call_indirect $known (type $to_pair) (local.get $a) (local.get $i))
    (local.set $a)
    (i32.mul (i32.const 100))
    (i32.add (local.get $a)))

  ;; The same elements in a table that an instruction writes: it is read
  ;; at run time, so a write shows in the next call.
  (table $written 5 funcref)
  (elem (table $written) (i32.const 0) func $tenfold $pair)
  (func (export "written_call") (param $i i32) (param $x i32) (result i32)
    (call_indirect $written (type $to_i32) (local.get $x) (local.get $i)))
  (func (export "written_set") (param $i i32)
    (table.set $written (local.get $i) (ref.func $tenfold)))
)
