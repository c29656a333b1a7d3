;; Imports: host functions (through their import thunks) and globals.
;; $add3 and $mul3 have equal signatures under two type indices: they
;; share one thunk (descriptor.c), and each call must still reach its
;; own host function.
(module
  (type $a (func (param i32 i32 i32) (result i32)))
  (type $b (func (param i32 i32 i32) (result i32)))
  (import "env" "add3" (func $add3 (type $a)))
  (import "env" "mul3" (func $mul3 (type $b)))
  (import "env" "base" (global $base i32))
  (global $counter (mut i64) (i64.const 40))
  (func (export "call_host") (param i32) (result i32)
    (call $add3 (local.get 0) (i32.const 10) (global.get $base)))
  (func (export "call_mul") (param i32) (result i32)
    (call $mul3 (local.get 0) (i32.const 10) (global.get $base)))
  (func (export "bump") (result i64)
    (global.set $counter (i64.add (global.get $counter) (i64.const 2)))
    (global.get $counter))
  (export "reexport" (func $add3))
  (export "reexport_mul" (func $mul3))
)
