;; Exception handling through kiln_call (test_lower.c): an exception that
;; leaves wasm, one caught inside, a trap that no catch_all sees, and an
;; exception thrown below a host function that called back into wasm.
(module
  (import "env" "reenter" (func $reenter (param i32) (result i32)))
  (tag $e (export "e") (param i32))
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func (export "throw") (param i32) (call $thrower (local.get 0)))
  (func (export "catch") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)) (i32.const -1))
      (catch $e (i32.add (i32.const 1)))))
  (func (export "trap") (param i32) (result i32)
    (try (result i32)
      (do (unreachable))
      (catch_all (i32.const -1))))
  ;; env.reenter calls "throw" through kiln_call: the exception ends that
  ;; inner call.  With x = 0 the host swallows it (and returns the inner
  ;; call's result code), with x = 1 it returns KILN_TRAP_EXCEPTION, which
  ;; ends this call too: neither may reach the catch_all.
  (func (export "through-host") (param i32) (result i32)
    (try (result i32)
      (do (call $reenter (local.get 0)))
      (catch_all (i32.const -1)))))
