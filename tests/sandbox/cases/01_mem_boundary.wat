;; Accesses at the last byte of a one-page memory and one past it, every width.
;; invoke: load8 i32:65535 => i32:0
;; invoke: load8 i32:65536 => trap out of bounds memory access
;; invoke: load16 i32:65534 => i32:0
;; invoke: load16 i32:65535 => trap out of bounds memory access
;; invoke: load32 i32:65532 => i32:0
;; invoke: load32 i32:65533 => trap out of bounds memory access
;; invoke: load64 i32:65528 => i64:0
;; invoke: load64 i32:65529 => trap out of bounds memory access
;; invoke: load32 i32:-1 => trap out of bounds memory access
;; invoke: load64 i32:-8 => trap out of bounds memory access
(module
  (memory 1 1)
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load16") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.load (local.get 0))))
