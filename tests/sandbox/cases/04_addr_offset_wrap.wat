;; address + offset that would wrap to a small in-bounds address in 32 bits.
;; invoke: wrap32 i32:-4 => trap out of bounds memory access
;; invoke: wrap32 i32:-1 => trap out of bounds memory access
;; invoke: wrap64 i32:-8 => trap out of bounds memory access
;; invoke: wrapstore i32:-2 => trap out of bounds memory access
;; invoke: peek => i32:0
(module
  (memory 1)
  (func (export "wrap32") (param i32) (result i32) (i32.load offset=8 (local.get 0)))
  (func (export "wrap64") (param i32) (result i64) (i64.load offset=16 (local.get 0)))
  (func (export "wrapstore") (param i32) (i32.store offset=4 (local.get 0) (i32.const -1)))
  (func (export "peek") (result i32) (i32.load (i32.const 0))))
