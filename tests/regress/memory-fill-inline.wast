;; memory.fill of an unshared memory is lowered in line (a bounds test,
;; then a memset; lower_memory.c, memory_fill_inline) instead of a call
;; of the runtime.  The test must see n > size, a start above size - n
;; and sums that would wrap in 32 bits, and must trap before any byte is
;; written; only the low byte of the value is stored.  Run by make
;; test-regress in both bounds modes at -O0/-O2.
(module
  (memory 1)
  (data (i32.const 0) "abcdefgh")
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  ;; A constant length LLVM expands into stores.
  (func (export "fill4") (param i32)
    (memory.fill (local.get 0) (i32.const 0x7a) (i32.const 4)))
  (func (export "fill4_const_end")
    (memory.fill (i32.const 65533) (i32.const 0x7a) (i32.const 4)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))

;; Only the value's low byte.
(invoke "fill" (i32.const 1) (i32.const 0x12345678) (i32.const 3))
(assert_return (invoke "load8" (i32.const 0)) (i32.const 97))
(assert_return (invoke "load8" (i32.const 1)) (i32.const 0x78))
(assert_return (invoke "load8" (i32.const 3)) (i32.const 0x78))
(assert_return (invoke "load8" (i32.const 4)) (i32.const 101))

;; Up to the last byte, and zero bytes at the very end: no trap.
(invoke "fill4" (i32.const 65532))
(assert_return (invoke "load8" (i32.const 65535)) (i32.const 0x7a))
(invoke "fill" (i32.const 65528) (i32.const 0x41) (i32.const 8))
(assert_return (invoke "load8" (i32.const 65528)) (i32.const 0x41))
(assert_return (invoke "load8" (i32.const 65535)) (i32.const 0x41))
(invoke "fill" (i32.const 65536) (i32.const 0) (i32.const 0))

;; One byte past the end: trap, and nothing written.
(assert_trap (invoke "fill" (i32.const 65529) (i32.const 0) (i32.const 8))
             "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 65529)) (i32.const 0x41))
(assert_trap (invoke "fill" (i32.const 65537) (i32.const 0) (i32.const 0))
             "out of bounds memory access")
(assert_trap (invoke "fill4" (i32.const 65533)) "out of bounds memory access")
(assert_trap (invoke "fill4_const_end") "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 65533)) (i32.const 0x41))

;; Sums that wrap in 32 bits, and n beyond the memory.
(assert_trap (invoke "fill" (i32.const 0xffffff00) (i32.const 0) (i32.const 0x200))
             "out of bounds memory access")
(assert_trap (invoke "fill" (i32.const 0) (i32.const 0) (i32.const 0x10001))
             "out of bounds memory access")
(assert_trap (invoke "fill" (i32.const 0) (i32.const 0) (i32.const -1))
             "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 0)) (i32.const 97))

;; The size is read at the fill: after memory.grow the new page is in range.
(assert_return (invoke "grow" (i32.const 1)) (i32.const 1))
(invoke "fill" (i32.const 131064) (i32.const 0x42) (i32.const 8))
(assert_return (invoke "load8" (i32.const 131071)) (i32.const 0x42))
(assert_trap (invoke "fill" (i32.const 131065) (i32.const 0) (i32.const 8))
             "out of bounds memory access")
