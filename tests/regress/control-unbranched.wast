;; Blocks and loops that no branch leaves by their end are lowered
;; without an end block: their results stay on the operand stack as the
;; body left them.  These cases check that the values, their order and
;; the operands below them come out right, next to frames that do have
;; branches, and in the frames lowering treats differently (if, try_table
;; is in exceptions.wast).

(module
  (type $i32-i32-i32 (func (param i32 i32) (result i32 i32)))

  ;; Nested result blocks with nothing branching to them.
  (func (export "nested") (result i32)
    (block (result i32)
      (block (result i32)
        (block (result i32) (i32.const 40))
        (i32.const 2)
        (i32.add))))

  ;; A multi-value block with parameters: the results replace the
  ;; parameters, and the operand below the block stays in place.
  (func (export "swap-under") (param i32 i32 i32) (result i32)
    (local.get 0)
    (local.get 1) (local.get 2)
    (block (type $i32-i32-i32)
      (local.set 1) (local.set 2)
      (local.get 1) (local.get 2))
    ;; stack: a, c, b: a - (c - b) * 10
    (i32.sub)
    (i32.const 10) (i32.mul)
    (i32.sub))

  ;; A loop no branch reaches again: runs its body once.
  (func (export "loop-once") (param i32) (result i32)
    (loop (result i32)
      (local.get 0)
      (i32.const 1)
      (i32.add)))

  ;; A loop with a back edge inside an unbranched block.
  (func (export "count") (param i32) (result i32)
    (local i32)
    (block (result i32)
      (loop
        (local.set 1 (i32.add (local.get 1) (i32.const 3)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br_if 0 (i32.ne (local.get 0) (i32.const 0))))
      (local.get 1)))

  ;; An unbranched block inside a branched one: the outer block's exit
  ;; still gets both incoming values.
  (func (export "mixed") (param i32) (result i32)
    (block $out (result i32)
      (block (result i32)
        (i32.const 5)
        (br_if $out (local.get 0))
        (drop)
        (i32.const 9))
      (i32.const 100)
      (i32.add)))

  ;; A block ending in unreachable code keeps its (dead) end.
  (func (export "dead-end") (param i32) (result i32)
    (block (result i32)
      (block (result i32)
        (br 1 (i32.const 3)))
      (drop)
      (i32.const 4)))

  ;; A trap inside an unbranched block still traps.
  (func (export "trap-inside") (param i32) (result i32)
    (block (result i32)
      (block (result i32)
        (i32.div_u (i32.const 1) (local.get 0)))))
)

(assert_return (invoke "nested") (i32.const 42))
(assert_return (invoke "swap-under" (i32.const 1000) (i32.const 7) (i32.const 2)) (i32.const 1050))
(assert_return (invoke "loop-once" (i32.const 41)) (i32.const 42))
(assert_return (invoke "count" (i32.const 5)) (i32.const 15))
(assert_return (invoke "mixed" (i32.const 1)) (i32.const 5))
(assert_return (invoke "mixed" (i32.const 0)) (i32.const 109))
(assert_return (invoke "dead-end" (i32.const 0)) (i32.const 3))
(assert_return (invoke "trap-inside" (i32.const 1)) (i32.const 1))
(assert_trap (invoke "trap-inside" (i32.const 0)) "integer divide by zero")
