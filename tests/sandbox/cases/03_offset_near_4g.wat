;; Offset immediates near 4 GiB: address + offset is computed in 33+ bits, never wraps.
;; invoke: off_max i32:0 => trap out of bounds memory access
;; invoke: off_max i32:1 => trap out of bounds memory access
;; invoke: off_max_store i32:0 => trap out of bounds memory access
;; invoke: off_wrap i32:0x10 => trap out of bounds memory access
;; invoke: off_wrap i32:0x20 => trap out of bounds memory access
;; invoke: off_small i32:65532 => trap out of bounds memory access
;; invoke: off_small i32:65531 => i32:0
(module
  (memory 1)
  (func (export "off_max") (param i32) (result i32) (i32.load offset=0xffffffff (local.get 0)))
  (func (export "off_max_store") (param i32) (i64.store offset=0xfffffff8 (local.get 0) (i64.const -1)))
  (func (export "off_wrap") (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0)))
  (func (export "off_small") (param i32) (result i32) (i32.load8_u offset=4 (local.get 0))))
