;; SIMD loads and stores (lower_memory.c): widths, lanes and bounds.
(module
  (memory 1)
  (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\80\ff")

  ;; each returns one lane of the loaded vector as i32/i64
  (func (export "load_lane3") (param i32) (result i32)
    (i32x4.extract_lane 3 (v128.load (local.get 0))))
  (func (export "load8x8_s_lane7") (param i32) (result i32)
    (i16x8.extract_lane_s 7 (v128.load8x8_s (local.get 0))))
  (func (export "load8x8_u_lane7") (param i32) (result i32)
    (i16x8.extract_lane_u 7 (v128.load8x8_u (local.get 0))))
  (func (export "load16_splat_lane5") (param i32) (result i32)
    (i16x8.extract_lane_u 5 (v128.load16_splat (local.get 0))))
  (func (export "load32_zero_lane1") (param i32) (result i32)
    (i32x4.extract_lane 1 (v128.load32_zero (local.get 0))))
  (func (export "load64_lane1") (param i32) (result i64)
    (i64x2.extract_lane 1 (v128.load64_lane 1 (local.get 0) (v128.const i64x2 7 9))))
  ;; store lane 2 of (10 20 30 40) at the address, read it back
  (func (export "store32_lane2") (param i32) (result i32)
    (v128.store32_lane 2 (local.get 0) (v128.const i32x4 10 20 30 40))
    (i32.load (local.get 0)))
  ;; store a whole vector, read its last word
  (func (export "store_whole") (param i32) (result i32)
    (v128.store (local.get 0) (v128.const i32x4 1 2 3 4))
    (i32.load offset=12 (local.get 0)))
)
