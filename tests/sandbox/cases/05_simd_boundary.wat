;; v128 loads/stores, splat, extend and lane accesses at the end of memory.
;; invoke: v_load i32:65520 => i32:0
;; invoke: v_load i32:65521 => trap out of bounds memory access
;; invoke: v_store i32:65521 => trap out of bounds memory access
;; invoke: v_store i32:65520 => 
;; invoke: lane8 i32:65535 => i32:255
;; invoke: lane8 i32:65536 => trap out of bounds memory access
;; invoke: lane64 i32:65529 => trap out of bounds memory access
;; invoke: store_lane32 i32:65533 => trap out of bounds memory access
;; invoke: splat64 i32:65529 => trap out of bounds memory access
;; invoke: ext8x8 i32:65529 => trap out of bounds memory access
;; invoke: ext8x8 i32:65528 => i32:255
;; invoke: zero32 i32:-1 => trap out of bounds memory access
;; invoke: v_off i32:0 => trap out of bounds memory access
(module
  (memory 1 1)
  (func (export "v_load") (param i32) (result i32) (i32x4.extract_lane 0 (v128.load (local.get 0))))
  (func (export "v_store") (param i32) (v128.store (local.get 0) (v128.const i32x4 -1 -1 -1 -1)))
  (func (export "lane8") (param i32) (result i32)
    (i8x16.extract_lane_u 15 (v128.load8_lane 15 (local.get 0) (v128.const i32x4 0 0 0 0))))
  (func (export "lane64") (param i32) (result i64)
    (i64x2.extract_lane 0 (v128.load64_lane 0 (local.get 0) (v128.const i32x4 0 0 0 0))))
  (func (export "store_lane32") (param i32) (v128.store32_lane 0 (local.get 0) (v128.const i32x4 1 1 1 1)))
  (func (export "splat64") (param i32) (result i64) (i64x2.extract_lane 1 (v128.load64_splat (local.get 0))))
  (func (export "ext8x8") (param i32) (result i32) (i16x8.extract_lane_u 7 (v128.load8x8_u (local.get 0))))
  (func (export "zero32") (param i32) (result i32) (i32x4.extract_lane 0 (v128.load32_zero (local.get 0))))
  (func (export "v_off") (param i32) (result i32) (i32x4.extract_lane 0 (v128.load offset=0xfffffff8 (local.get 0)))))
