;; Imports: a host function (through its import thunk) and globals.
(module
  (import "env" "add3" (func $add3 (param i32 i32 i32) (result i32)))
  (import "env" "base" (global $base i32))
  (global $counter (mut i64) (i64.const 40))
  (func (export "call_host") (param i32) (result i32)
    (call $add3 (local.get 0) (i32.const 10) (global.get $base)))
  (func (export "bump") (result i64)
    (global.set $counter (i64.add (global.get $counter) (i64.const 2)))
    (global.get $counter))
  (export "reexport" (func $add3))
)
