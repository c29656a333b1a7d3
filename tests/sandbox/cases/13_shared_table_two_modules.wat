;; Two modules share a table: signatures are checked by structure across modules.
;; === module a
(module
  (table (export "tab") 4 funcref)
  (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $g (result i64) (i64.const 7))
  (elem (i32.const 0) $f $g))
;; === module b
;; invoke: call i32:0 i32:41 => i32:42
;; invoke: call i32:1 i32:0 => trap indirect call type mismatch
;; invoke: call i32:2 i32:0 => i32:99
;; invoke: call i32:3 i32:0 => trap uninitialized element
;; invoke: call i32:4 i32:0 => trap undefined element
;; invoke: call64 i32:1 => i64:7
;; invoke: call64 i32:0 => trap indirect call type mismatch
(module
  (type $t (func (param i32) (result i32)))
  (type $u (func (result i64)))
  (import "a" "tab" (table 4 funcref))
  (func $h (param i32) (result i32) (i32.const 99))
  (elem (i32.const 2) $h)
  (func (export "call") (param i32 i32) (result i32)
    (call_indirect (type $t) (local.get 1) (local.get 0)))
  (func (export "call64") (param i32) (result i64) (call_indirect (type $u) (local.get 0))))
