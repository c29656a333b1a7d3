;; wasm -> host -> wasm, 10,000 times over: every level is a host callback
;; (kiln_call from inside an import) re-entering wasm.  The stack runs out
;; long before the bottom, and that must be the "call stack exhausted"
;; trap, raised in the deepest level and passed up through every host
;; frame, never a fault below the stack; each kiln_call on the way
;; restores the outer call's trap state, so the instance stays usable.
;; A few hundred levels fit.
;; invoke: go i32:200 => i32:200
;; invoke: go i32:10000 => trap call stack exhausted
;; invoke: go i32:100000 => trap call stack exhausted
;; invoke: go i32:3 => i32:3
(module
  (import "host" "reenter" (func $reenter (param i32) (result i32)))
  ;; cb(n) = n == 0 ? 0 : reenter(n - 1) + 1, and reenter calls cb again.
  (func (export "cb") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $reenter (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "go") (param i32) (result i32) (call $reenter (local.get 0))))
