;; A host callback calls back into wasm, which traps: the trap crosses the host frame.
;; invoke: go i32:5 => i32:6
;; invoke: go i32:0 => trap integer divide by zero
;; invoke: go i32:-1 => trap out of bounds memory access
;; invoke: go i32:-2 => trap call stack exhausted
;; invoke: go i32:7 => i32:8
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  (memory 1 1)
  (func $deep (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))
  (func (export "cb") (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const -1)) (then (drop (i32.load (i32.const 65536)))))
    (if (i32.eq (local.get 0) (i32.const -2)) (then (drop (call $deep (i32.const 0)))))
    (i32.add (i32.div_u (local.get 0) (local.get 0)) (local.get 0)))
  (func (export "go") (param i32) (result i32) (call $reenter (local.get 0))))
