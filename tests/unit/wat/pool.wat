;; The pooling allocator (test_pool.c): what an instance may leave behind
;; in its slots, traps, growth.
(module
  (memory (export "memory") 2 4)
  (table (export "table") 2 8 funcref)
  (global $g (export "g") (mut i32) (i32.const 5))
  (func $one (result i32) (i32.const 1))
  (elem (i32.const 0) $one)
  ;; fills every byte of memory with `v` and puts `v` in the global and
  ;; $one in table slot 1
  (func (export "write_secret") (param $v i32) (local $a i32)
    (memory.fill (i32.const 0) (local.get $v) (i32.mul (memory.size) (i32.const 65536)))
    (global.set $g (local.get $v))
    (table.set 0 (i32.const 1) (ref.func $one)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "table_grow") (param i32) (result i32) (table.grow 0 (ref.func $one) (local.get 0)))
  (func (export "trap") (unreachable))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "init_passive") (param i32) (memory.init $passive (local.get 0) (i32.const 0) (i32.const 8)))
  (data (i32.const 100) "initial image")
  (data (i32.const 70000) "second page")
  (data $passive "passive!")
)
