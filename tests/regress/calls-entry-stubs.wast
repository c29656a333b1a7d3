;; Entry stubs only for functions a function reference can name
;; (compiler/lower.c, "the stack check"; docs/sandbox.md): exports,
;; element segments of every mode, ref.func in constant expressions, the
;; start function.  Every other function is reached by direct calls only,
;; each checked at the call site.  Each function below is reached one way
;; only; deep recursion through each must end in "call stack exhausted"
;; and the instance stay usable, and call_indirect reaches each that a
;; reference can name.  Run by make test-regress in both bounds modes at
;; -O0 and -O2 (and with kiln-spec --compile-jobs 3 across partitions).
(module $m
  (type $t (func (param i32) (result i32)))
  (table $tab 4 funcref)
  (global $g funcref (ref.func $via_global))
  (elem declare func $via_declare)
  (global $started (mut i32) (i32.const 0))
  (start $start)

  ;; Direct calls only: no stub, no descriptor entry.
  (func $direct (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $direct (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "direct") (param i32) (result i32) (call $direct (local.get 0)))

  ;; Named only by ref.func in a global initializer; recursion through the table.
  (func $via_global (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
        (call_indirect $tab (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))

  ;; Named only by a declarative element segment and ref.func in code.
  (func $via_declare (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
        (call_indirect $tab (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))))))

  ;; Exported only; the second module puts it into its table.
  (func $exported (export "exported") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $exported (i32.sub (local.get 0) (i32.const 1)))))))

  ;; The start function only, and a direct call of it.
  (func $start (global.set $started (i32.add (global.get $started) (i32.const 1))))
  (func (export "started") (result i32) (call $start) (global.get $started))

  (func (export "fill")
    (table.set $tab (i32.const 0) (global.get $g))
    (table.set $tab (i32.const 1) (ref.func $via_declare)))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect $tab (type $t) (local.get 0) (local.get 1)))
)
(register "m" $m)

(assert_return (invoke "started") (i32.const 2))
(assert_return (invoke "direct" (i32.const 1000)) (i32.const 1000))
(assert_exhaustion (invoke "direct" (i32.const -1)) "call stack exhausted")
(assert_return (invoke "fill"))
(assert_return (invoke "indirect" (i32.const 1000) (i32.const 0)) (i32.const 1000))
(assert_return (invoke "indirect" (i32.const 1000) (i32.const 1)) (i32.const 1000))
(assert_exhaustion (invoke "indirect" (i32.const -1) (i32.const 0)) "call stack exhausted")
(assert_exhaustion (invoke "indirect" (i32.const -1) (i32.const 1)) "call stack exhausted")
(assert_trap (invoke "indirect" (i32.const 1) (i32.const 2)) "uninitialized element")
(assert_return (invoke "exported" (i32.const 1000)) (i32.const 1000))
(assert_exhaustion (invoke "exported" (i32.const -1)) "call stack exhausted")
(assert_return (invoke "direct" (i32.const 3)) (i32.const 3))

;; The export, called through another module's table, and a function of
;; that module reached only by return_call (tailcc bodies there).
(module
  (type $t (func (param i32) (result i32)))
  (import "m" "exported" (func $exported (type $t)))
  (table $tab 1 funcref)
  (elem (i32.const 0) $exported)
  (func (export "indirect") (param i32) (result i32)
    (call_indirect $tab (type $t) (local.get 0) (i32.const 0)))
  (func $count (param i32 i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (local.get 1))
      (else (return_call $count (i32.sub (local.get 0) (i32.const 1))
                                (i32.add (local.get 1) (i32.const 1))))))
  (func $deep (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "count") (param i32) (result i32) (return_call $count (local.get 0) (i32.const 0)))
  (func (export "deep") (param i32) (result i32) (return_call $deep (local.get 0)))
)
(assert_return (invoke "indirect" (i32.const 1000)) (i32.const 1000))
(assert_exhaustion (invoke "indirect" (i32.const -1)) "call stack exhausted")
(assert_return (invoke "count" (i32.const 1000000)) (i32.const 1000000))
(assert_return (invoke "deep" (i32.const 1000)) (i32.const 1000))
(assert_exhaustion (invoke "deep" (i32.const -1)) "call stack exhausted")
