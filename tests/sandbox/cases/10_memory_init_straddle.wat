;; memory.init straddling the memory's end or the segment's end; dropped segments.
;; invoke: init i32:65534 i32:0 i32:4 => trap out of bounds memory access
;; invoke: byte i32:65534 => i32:0
;; invoke: init i32:0 i32:2 i32:3 => trap out of bounds memory access
;; invoke: byte i32:0 => i32:0
;; invoke: init i32:65532 i32:0 i32:4 => 
;; invoke: byte i32:65535 => i32:0x44
;; invoke: drop => 
;; invoke: init i32:0 i32:0 i32:1 => trap out of bounds memory access
;; invoke: init i32:0 i32:0 i32:0 => 
(module
  (memory 1 1)
  (data $d "\11\22\33\44")
  (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $d))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
