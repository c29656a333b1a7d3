;; Imports: host functions (through their import thunks) and globals.
;; $add3 and $mul3 have equal signatures under two type indices: they
;; share one thunk (descriptor.c), and each call must still reach its
;; own host function.  $wide17 and $sum17 take 17 parameters, which go
;; through memory, and $wide17's 5 results do too: the thunk hands the
;; caller's buffer to the host.
(module
  (type $a (func (param i32 i32 i32) (result i32)))
  (type $b (func (param i32 i32 i32) (result i32)))
  (import "env" "add3" (func $add3 (type $a)))
  (import "env" "mul3" (func $mul3 (type $b)))
  (import "env" "base" (global $base i32))
  (import "env" "wide17" (func $wide17 (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32 i32 i32 i32 i32)))
  (import "env" "sum17" (func $sum17 (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (global $counter (mut i64) (i64.const 40))
  (func (export "call_host") (param i32) (result i32)
    (call $add3 (local.get 0) (i32.const 10) (global.get $base)))
  (func (export "call_mul") (param i32) (result i32)
    (call $mul3 (local.get 0) (i32.const 10) (global.get $base)))
  (func (export "bump") (result i64)
    (global.set $counter (i64.add (global.get $counter) (i64.const 2)))
    (global.get $counter))
  ;; ((((r0 * 3 + r1) * 3 + r2) * 3 + r3) * 3 + r4) of $wide17(p, 2, ..., 17)
  (func (export "call_wide") (param i32) (result i32)
    (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $r4 i32)
    (call $wide17 (local.get 0) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 9) (i32.const 10) (i32.const 11) (i32.const 12) (i32.const 13) (i32.const 14) (i32.const 15) (i32.const 16) (i32.const 17))
    (local.set $r4) (local.set $r3) (local.set $r2) (local.set $r1)
    (i32.mul (i32.const 3)) (i32.add (local.get $r1))
    (i32.mul (i32.const 3)) (i32.add (local.get $r2))
    (i32.mul (i32.const 3)) (i32.add (local.get $r3))
    (i32.mul (i32.const 3)) (i32.add (local.get $r4)))
  (func (export "call_sum17") (param i32) (result i32)
    (call $sum17 (local.get 0) (i32.const 2) (i32.const 3) (i32.const 4) (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 8) (i32.const 9) (i32.const 10) (i32.const 11) (i32.const 12) (i32.const 13) (i32.const 14) (i32.const 15) (i32.const 16) (i32.const 17)))
  (export "reexport" (func $add3))
  (export "reexport_mul" (func $mul3))
)
