;; Exception handling through kiln_call (test_lower.c): an exception that
;; leaves wasm, one caught inside, and a trap that no catch_all sees.
(module
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
      (catch_all (i32.const -1)))))
