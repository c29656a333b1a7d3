;; memory.copy with source or destination straddling the end writes nothing.
;; invoke: copy i32:65000 i32:0 i32:600 => trap out of bounds memory access
;; invoke: byte i32:65000 => i32:0
;; invoke: copy i32:0 i32:65000 i32:537 => trap out of bounds memory access
;; invoke: byte i32:0 => i32:1
;; invoke: copy i32:65535 i32:0 i32:1 => 
;; invoke: byte i32:65535 => i32:1
;; invoke: copy i32:-1 i32:0 i32:2 => trap out of bounds memory access
;; invoke: copy i32:0 i32:1 i32:-1 => trap out of bounds memory access
;; invoke: copy i32:65536 i32:65536 i32:0 => 
;; invoke: copy i32:65537 i32:0 i32:0 => trap out of bounds memory access
(module
  (memory 1 1)
  (data (i32.const 0) "\01\02\03\04")
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
