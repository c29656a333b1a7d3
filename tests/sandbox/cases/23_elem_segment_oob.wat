;; An element segment out of bounds at instantiation into a shared table.
;; === module a
(module
  (table (export "tab") 3 funcref)
  (type $t (func (result i32)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))
;; === module b
;; expect-instantiate: trap out of bounds table access
;; invoke: @a call i32:0 => i32:1
;; invoke: @a call i32:1 => trap uninitialized element
;; invoke: @a call i32:2 => trap uninitialized element
(module
  (import "a" "tab" (table 3 funcref))
  (func $one (result i32) (i32.const 1))
  (elem (i32.const 0) $one)
  (elem (i32.const 2) $one $one))
