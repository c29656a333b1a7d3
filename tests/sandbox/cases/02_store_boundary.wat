;; Stores one past the end trap and write nothing (not even the in-bounds bytes).
;; invoke: store32 i32:65532 i32:0x11223344 => 
;; invoke: load32 i32:65532 => i32:0x11223344
;; invoke: store32 i32:65534 i32:-1 => trap out of bounds memory access
;; invoke: load16 i32:65534 => i32:0x1122
;; invoke: store64 i32:65530 i64:-1 => trap out of bounds memory access
;; invoke: load32 i32:65532 => i32:0x11223344
;; invoke: store8 i32:65536 i32:1 => trap out of bounds memory access
;; invoke: store16 i32:-1 i32:1 => trap out of bounds memory access
(module
  (memory 1 1)
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "store16") (param i32 i32) (i32.store16 (local.get 0) (local.get 1)))
  (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "store64") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "load16") (param i32) (result i32) (i32.load16_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0))))
