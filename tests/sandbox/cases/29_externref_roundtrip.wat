;; externrefs from the host through globals, tables and back, unchanged.
;; invoke: roundtrip ref.extern:0x1234 => ref.extern:0x1234
;; invoke: via_host i32:0xdead => i32:0xdead
;; invoke: store i32:1 ref.extern:0xbeef => 
;; invoke: load i32:1 => ref.extern:0xbeef
;; invoke: load i32:0 => ref.null
;; invoke: load i32:2 => trap out of bounds table access
;; invoke: store i32:2 ref.null => trap out of bounds table access
;; invoke: is_null ref.null => i32:1
;; invoke: is_null ref.extern:1 => i32:0
;; invoke: glob ref.extern:0x77 => ref.extern:0x77
;; invoke: grow_ext ref.extern:9 => i32:2
;; invoke: load i32:3 => ref.extern:9
(module
  (import "host" "ext" (func $ext (param i32) (result externref)))
  (import "host" "ext_id" (func $ext_id (param externref) (result i32)))
  (table $t 2 externref)
  (global $g (mut externref) (ref.null extern))
  (func (export "roundtrip") (param externref) (result externref) (local.get 0))
  (func (export "via_host") (param i32) (result i32) (call $ext_id (call $ext (local.get 0))))
  (func (export "store") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result externref) (table.get $t (local.get 0)))
  (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0)))
  (func (export "glob") (param externref) (result externref) (global.set $g (local.get 0)) (global.get $g))
  (func (export "grow_ext") (param externref) (result i32) (table.grow $t (local.get 0) (i32.const 2))))
