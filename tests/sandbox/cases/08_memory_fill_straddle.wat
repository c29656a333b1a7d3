;; memory.fill straddling the end traps before writing anything.
;; invoke: fill i32:65530 i32:0xAB i32:7 => trap out of bounds memory access
;; invoke: byte i32:65530 => i32:0
;; invoke: byte i32:65535 => i32:0
;; invoke: fill i32:65530 i32:0xAB i32:6 => 
;; invoke: byte i32:65535 => i32:0xAB
;; invoke: fill i32:65536 i32:1 i32:0 => 
;; invoke: fill i32:65537 i32:1 i32:0 => trap out of bounds memory access
;; invoke: fill i32:1 i32:1 i32:-1 => trap out of bounds memory access
;; invoke: byte i32:1 => i32:0
(module
  (memory 1 1)
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
