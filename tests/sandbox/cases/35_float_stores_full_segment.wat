;; f32/f64 and narrow stores at the end and sign-extending loads straddling it,
;; after data segments at both ends of the page (the last f64 store wins).
;; invoke: f64_store i32:65528 => 
;; invoke: f64_store i32:65529 => trap out of bounds memory access
;; invoke: f32_store i32:65533 => trap out of bounds memory access
;; invoke: i64_store32 i32:65533 => trap out of bounds memory access
;; invoke: i64_store16 i32:65535 => trap out of bounds memory access
;; invoke: load32_s i32:65533 => trap out of bounds memory access
;; invoke: load16_s i32:65534 => i64:16376
;; invoke: load16_s i32:65535 => trap out of bounds memory access
;; invoke: first => i32:0x01010101
(module
  (memory 1 1)
  (data (i32.const 0) "\01\01\01\01")
  (data (i32.const 4) "\00\00\00\00\00\00\00\00\00\00\00\00")
  (data (i32.const 65520) "\00\00\00\00\00\00\00\00\00\00\00\00\00\00\ef\be")
  (func (export "f64_store") (param i32) (f64.store (local.get 0) (f64.const 1.5)))
  (func (export "f32_store") (param i32) (f32.store (local.get 0) (f32.const 1.5)))
  (func (export "i64_store32") (param i32) (i64.store32 (local.get 0) (i64.const -1)))
  (func (export "i64_store16") (param i32) (i64.store16 (local.get 0) (i64.const -1)))
  (func (export "load32_s") (param i32) (result i64) (i64.load32_s (local.get 0)))
  (func (export "load16_s") (param i32) (result i64) (i64.load16_s (local.get 0)))
  (func (export "first") (result i32) (i32.load (i32.const 0))))
