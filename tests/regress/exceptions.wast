;; Exception handling (issue #14), legacy form (the only one wabt 1.0.32's
;; wast2json reads): try/catch/catch_all/rethrow/delegate, across modules,
;; in both bounds modes at -O0 and -O2.  The 3.0 form (throw_ref,
;; try_table, exnref) is in tests/regress-3.0/exceptions-3.0/exceptions-3.0.json, whose module
;; is, in text:
;;   (tag $e (param i32)) (tag $f) (global $g (mut exnref) (ref.null exn))
;;   "catch" x: (block $h (result i32) (try_table (catch $e $h) (call $thrower x))
;;              (i32.const -1)) then +1          -> x + 1
;;   "keep" x: catch_ref $e, the exnref kept in $g (owned by the instance)
;;   "rethrow-kept": throw_ref $g inside (try_table (catch $e ...))  -> the payload
;;   "uncaught-kept": throw_ref $g with no handler: leaves the call
;;   "null": throw_ref (ref.null exn): a trap, not an exception
;;   "loop" n: n throws of $f, each caught by catch_all (each one freed)
;;   "trap": unreachable inside (try_table (catch_all ...)): traps stay traps

;; Across modules: the imported tag is the same tag; an exception thrown
;; in one instance passes through another's frames (which have no
;; handler) to a catch in a third.
(module $tags
  (tag $e (export "e") (param i32)))
(register "exn" $tags)

(module $thrower
  (import "exn" "e" (tag $e (param i32)))
  (func (export "throw") (param i32) (throw $e (local.get 0))))
(register "thrower" $thrower)

(module $middle
  (import "thrower" "throw" (func $throw (param i32)))
  (func (export "pass") (param i32)
    (call $throw (i32.add (local.get 0) (i32.const 100)))))
(register "middle" $middle)

(module $catcher
  (import "exn" "e" (tag $e (param i32)))
  (import "middle" "pass" (func $pass (param i32)))
  (tag $other (param i32))
  (func $div (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func (export "catch-imported") (param i32) (result i32)
    (try (result i32)
      (do (call $pass (local.get 0)) (i32.const -1))
      (catch $other)
      (catch $e)))
  (func (export "not-mine") (param i32) (result i32)
    (try (result i32)
      (do (call $pass (local.get 0)) (i32.const -1))
      (catch $other)))
  (func (export "catch-all-rethrow") (param i32) (result i32)
    (try (result i32)
      (do
        (try
          (do (call $pass (local.get 0)))
          (catch_all (rethrow 0)))
        (i32.const -1))
      (catch $e (i32.add (i32.const 1000)))))
  (func (export "delegate") (param i32) (result i32)
    (try $outer (result i32)
      (do
        (try
          (do (call $pass (local.get 0)))
          (delegate $outer))
        (i32.const -1))
      (catch $e (i32.add (i32.const 2000)))))
  (func (export "trap-in-try") (result i32)
    (try (result i32)
      (do (call $div (i32.const 0)))
      (catch_all (i32.const -1))))
  (func (export "nested") (param i32) (result i32) (local i32)
    (try
      (do
        (try
          (do (call $pass (local.get 0)))
          (catch $e (local.set 1) (throw $other (i32.mul (local.get 1) (i32.const 2))))))
      (catch $other (local.set 1)))
    (local.get 1)))

(assert_return (invoke "catch-imported" (i32.const 1)) (i32.const 101))
(assert_exception (invoke "not-mine" (i32.const 1)))
(assert_return (invoke "catch-all-rethrow" (i32.const 2)) (i32.const 1102))
(assert_return (invoke "delegate" (i32.const 3)) (i32.const 2103))
(assert_trap (invoke "trap-in-try") "integer divide by zero")
(assert_return (invoke "nested" (i32.const 4)) (i32.const 208))
