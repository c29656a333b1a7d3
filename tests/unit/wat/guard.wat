;; Guard-page mode, interrupts and instance limits (test_lower_memory.c).
(module
  (memory 1 4)
  (table 1 8 funcref)
  ;; a load whose value nothing uses: must still trap out of bounds
  (func (export "dead_load") (param i32) (drop (i32.load (local.get 0))))
  ;; its value only reaches a local that is never read
  (func (export "dead_local") (param i32) (local i32)
    (local.set 1 (i32.wrap_i64 (i64.load offset=8 (local.get 0)))))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load_max_off") (param i32) (result i32) (i32.load8_u offset=4294967295 (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "table_grow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load (i32.shl (local.get $n) (i32.const 2)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s))
  (func (export "spin") (loop $l (br $l)))
  ;; only lane 1 is used: LLVM would narrow the 16-byte load to 4 bytes
  (func (export "lane_load") (param i32) (result i32) (i32x4.extract_lane 1 (v128.load (local.get 0))))
  (func (export "wrap_load") (param i32) (result i32) (i32.wrap_i64 (i64.load (local.get 0))))
  ;; a byte load whose sign alone is used: it cannot be narrowed, so the
  ;; sign test keeps it and its sink goes (sink_trim.c, byte_anchored)
  (func (export "byte_sign") (param i32) (result i32) (i32.lt_s (i32.load8_s (local.get 0)) (i32.const 0)))
  ;; loads on and off the CFG's cycles, told apart by their types
  ;; (lower_memory.c, cyclic_blocks): before a loop (i8); in a loop before
  ;; its last branch back (i32) and after it (i64); in a loop nothing
  ;; branches back to (i16); in an inner loop after its last branch back,
  ;; but before the outer loop's (f32)
  (func (export "loop_shapes") (param $n i32) (result i32) (local $s i32)
    (local.set $s (i32.load8_u (local.get $n)))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))
      (local.set $s (i32.add (local.get $s) (i32.wrap_i64 (i64.load (local.get $n))))))
    (loop $once
      (local.set $s (i32.add (local.get $s) (i32.load16_u (local.get $n)))))
    (loop $outer
      (loop $inner
        (br_if $inner (local.tee $n (i32.sub (local.get $n) (i32.const 1))))
        (local.set $s (i32.add (local.get $s) (i32.trunc_f32_s (f32.load (local.get $n))))))
      (br_if $outer (local.get $n)))
    (local.get $s))
)
