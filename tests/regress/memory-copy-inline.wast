;; memory.copy within one unshared memory is lowered in line (a bounds
;; test, then a memmove; lower_memory.c, memory_copy_inline) instead of a
;; call of the runtime.  The test must see n > size, starts above
;; size - n, and sums that would wrap in 32 bits, and must trap before any
;; byte moves.  Run by make test-regress in both bounds modes at -O0/-O2.
(module
  (memory 1)
  (data (i32.const 0) "abcdefgh")
  (func (export "copy") (param i32 i32 i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  ;; Constant lengths LLVM expands into loads and stores.
  (func (export "copy4") (param i32 i32)
    (memory.copy (local.get 0) (local.get 1) (i32.const 4)))
  (func (export "copy4_const_end")
    (memory.copy (i32.const 65533) (i32.const 0) (i32.const 4)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))

;; Overlapping copies move as memmove does.
(invoke "copy" (i32.const 1) (i32.const 0) (i32.const 4))
(assert_return (invoke "load8" (i32.const 1)) (i32.const 97))
(assert_return (invoke "load8" (i32.const 4)) (i32.const 100))
(invoke "copy" (i32.const 0) (i32.const 1) (i32.const 4))
(assert_return (invoke "load8" (i32.const 0)) (i32.const 97))
(assert_return (invoke "load8" (i32.const 3)) (i32.const 100))

;; Up to the last byte, and zero bytes at the very end: no trap.
(invoke "copy" (i32.const 65528) (i32.const 0) (i32.const 8))
(assert_return (invoke "load8" (i32.const 65535)) (i32.const 104))
(invoke "copy" (i32.const 65536) (i32.const 65536) (i32.const 0))
(invoke "copy4" (i32.const 65532) (i32.const 0))

;; One byte past the end, at either side: trap, and nothing written.
(assert_trap (invoke "copy" (i32.const 65529) (i32.const 100) (i32.const 8))
             "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 65529)) (i32.const 98))
(assert_trap (invoke "copy" (i32.const 100) (i32.const 65529) (i32.const 8))
             "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 100)) (i32.const 0))
(assert_trap (invoke "copy" (i32.const 65537) (i32.const 0) (i32.const 0))
             "out of bounds memory access")
(assert_trap (invoke "copy4" (i32.const 65533) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy4_const_end") "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 65533)) (i32.const 98))

;; Sums that wrap in 32 bits, and n beyond the memory.
(assert_trap (invoke "copy" (i32.const 0xffffff00) (i32.const 0) (i32.const 0x200))
             "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0xffffffff) (i32.const 1))
             "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0) (i32.const 0x10001))
             "out of bounds memory access")
(assert_trap (invoke "copy" (i32.const 0) (i32.const 0) (i32.const -1))
             "out of bounds memory access")
(assert_return (invoke "load8" (i32.const 0)) (i32.const 97))

;; The size is read at the copy: after memory.grow the new page is in range.
(assert_return (invoke "grow" (i32.const 1)) (i32.const 1))
(invoke "copy" (i32.const 131064) (i32.const 0) (i32.const 8))
(assert_return (invoke "load8" (i32.const 131071)) (i32.const 104))
(assert_trap (invoke "copy" (i32.const 131065) (i32.const 0) (i32.const 8))
             "out of bounds memory access")
