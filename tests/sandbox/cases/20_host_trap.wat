;; A host import that traps: the trap unwinds through wasm frames to the caller.
;; invoke: via_host => trap host callback trapped
;; invoke: after => i32:3
;; invoke: nested i32:3 => trap host callback trapped
;; invoke: count => i32:0
(module
  (import "host" "trap" (func $trap))
  (global $g (mut i32) (i32.const 0))
  (func (export "via_host") (call $trap))
  (func $nested (export "nested") (param i32)
    (if (local.get 0) (then (call $nested (i32.sub (local.get 0) (i32.const 1)))) (else (call $trap)))
    (global.set $g (i32.add (global.get $g) (i32.const 1))))
  (func (export "count") (result i32) (global.get $g))
  (func (export "after") (result i32) (i32.const 3)))
