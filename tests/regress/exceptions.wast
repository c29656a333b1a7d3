;; Exception handling (issue #14): throw, throw_ref, try_table and the
;; legacy try/catch/catch_all/rethrow/delegate, in both bounds modes at
;; -O0 and -O2.  The first module is binary because wast2json (wabt
;; 1.0.32) knows only the legacy form; it is, in text:
;;   (tag $e (param i32)) (tag $f) (global $g (mut exnref) (ref.null exn))
;;   "catch" x: (block $h (result i32) (try_table (catch $e $h) (call $thrower x))
;;              (i32.const -1)) then +1          -> x + 1
;;   "keep" x: catch_ref $e, the exnref kept in $g (owned by the instance)
;;   "rethrow-kept": throw_ref $g inside (try_table (catch $e ...))  -> the payload
;;   "uncaught-kept": throw_ref $g with no handler: leaves the call
;;   "null": throw_ref (ref.null exn): a trap, not an exception
;;   "loop" n: n throws of $f, each caught by catch_all (each one freed)
;;   "trap": unreachable inside (try_table (catch_all ...)): traps stay traps
(module $tt binary
  "\00\61\73\6d\01\00\00\00\01\16\05\60\01\7f\00\60\00\00\60\01\7f\01\7f\60\00\02\7f\69\60\00\01\7f\03\09\08\00\02\00\04\01\01\02\04\0d\05\02\00\00\00\01\06\06\01\69\01\d0\69\0b\07\48\08\05\63\61"
  "\74\63\68\00\01\04\6b\65\65\70\00\02\0c\72\65\74\68\72\6f\77\2d\6b\65\70\74\00\03\0d\75\6e\63\61\75\67\68\74\2d\6b\65\70\74\00\04\04\6e\75\6c\6c\00\05\04\6c\6f\6f\70\00\06\04\74\72\61\70\00\07"
  "\01\65\04\00\0a\83\01\08\06\00\20\00\08\00\0b\15\00\02\7f\1f\40\01\00\00\00\20\00\10\00\0b\41\7f\0b\41\01\6a\0b\14\00\02\03\1f\40\01\01\00\00\20\00\10\00\0b\00\0b\24\00\1a\0b\11\00\02\7f\1f\40"
  "\01\00\00\00\23\00\0a\0b\41\7f\0b\0b\05\00\23\00\0a\0b\05\00\d0\69\0a\0b\22\01\01\7f\03\40\02\40\1f\40\01\02\00\08\01\0b\0b\20\01\41\01\6a\21\01\20\01\20\00\49\0d\00\0b\20\01\0b\0e\00\02\40\1f"
  "\40\01\02\00\00\0b\0b\41\07\0b")

(assert_return (invoke "catch" (i32.const 41)) (i32.const 42))
(assert_return (invoke "keep" (i32.const 7)))
(assert_return (invoke "rethrow-kept") (i32.const 7))
(assert_return (invoke "rethrow-kept") (i32.const 7))
(assert_exception (invoke "uncaught-kept"))
(assert_trap (invoke "null") "null")
(assert_return (invoke "loop" (i32.const 100000)) (i32.const 100000))
(assert_trap (invoke "trap") "unreachable")
(register "exn" $tt)

;; Across modules: the imported tag is the same tag; an exception thrown
;; in one instance passes through another's frames (which have no
;; handler) to a catch in a third.
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
  (tag $other (param i32))
  (import "middle" "pass" (func $pass (param i32)))
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
