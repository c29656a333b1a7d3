;; 64-bit memories (memory64): accesses at the top of the address space,
;; address + offset sums that wrap around 2^64, bulk operations across the
;; end, memory.grow by huge deltas.  Every one must trap (or fail to grow)
;; without touching memory: the checks are explicit in both bounds modes
;; (docs/sandbox.md), computed without wrapping (lower_memory.c,
;; mem64_out_of_bounds; runtime/memory.c, range_ok).  Run by make
;; test-regress in both modes at -O0 and -O2; kiln-spec turns memory64 and
;; multi-memory on for scripts named memory64-*.wast.
(module
  (memory i64 1 4)
  (data (i64.const 0) "abcd")
  (data $p "xyz")
  (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load_off8") (param i64) (result i64) (i64.load offset=8 (local.get 0)))
  (func (export "load_off_max32") (param i64) (result i64)
    (i64.load offset=0xffffffff (local.get 0)))
  (func (export "store8") (param i64 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "store_v128_off16") (param i64)
    (v128.store offset=16 (local.get 0) (v128.const i64x2 -1 -1)))
  (func (export "fill") (param i64 i64) (memory.fill (local.get 0) (i32.const 0x55) (local.get 1)))
  (func (export "copy") (param i64 i64 i64)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i64 i32 i32)
    (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
  (func (export "size") (result i64) (memory.size)))

(assert_return (invoke "load8" (i64.const 0)) (i32.const 97))
(assert_return (invoke "load8" (i64.const 0xffff)) (i32.const 0))
(assert_trap (invoke "load8" (i64.const 0x10000)) "out of bounds memory access")
(assert_trap (invoke "load8" (i64.const -1)) "out of bounds memory access")
(assert_trap (invoke "load8" (i64.const 0x8000000000000000)) "out of bounds memory access")
(assert_trap (invoke "load8" (i64.const 0x100000000)) "out of bounds memory access")
;; -8 + 8 wraps to 0, which is in bounds: the sum must not wrap.
(assert_trap (invoke "load_off8" (i64.const -8)) "out of bounds memory access")
(assert_trap (invoke "load_off8" (i64.const -16)) "out of bounds memory access")
(assert_return (invoke "load_off8" (i64.const 0xfff0)) (i64.const 0))
(assert_trap (invoke "load_off8" (i64.const 0xfff1)) "out of bounds memory access")
(assert_trap (invoke "load_off_max32" (i64.const 0xffffffff00000001)) "out of bounds memory access")
(assert_trap (invoke "load_off_max32" (i64.const 0)) "out of bounds memory access")

;; Stores that would wrap onto the data at 0 write nothing.
(assert_trap (invoke "store8" (i64.const -1) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "store_v128_off16" (i64.const -16)) "out of bounds memory access")
(assert_trap (invoke "store_v128_off16" (i64.const -32)) "out of bounds memory access")
(assert_trap (invoke "store_v128_off16" (i64.const 0xfff0)) "out of bounds memory access")
(assert_return (invoke "load8" (i64.const 0)) (i32.const 97))
(assert_return (invoke "load8" (i64.const 16)) (i32.const 0))
(assert_return (invoke "load8" (i64.const 0xffff)) (i32.const 0))

;; Bulk operations whose ranges wrap or cross the end write nothing.
(assert_trap (invoke "fill" (i64.const 0xfffffffffffffff0) (i64.const 0x20)) "out of bounds memory access")
(assert_trap (invoke "fill" (i64.const 0xffff) (i64.const 2)) "out of bounds memory access")
(assert_trap (invoke "fill" (i64.const 1) (i64.const -1)) "out of bounds memory access")
(assert_return (invoke "fill" (i64.const 0x10000) (i64.const 0)))
(assert_trap (invoke "fill" (i64.const 0x10001) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "copy" (i64.const 0) (i64.const -1) (i64.const 2)) "out of bounds memory access")
(assert_trap (invoke "copy" (i64.const -1) (i64.const 0) (i64.const 2)) "out of bounds memory access")
(assert_trap (invoke "copy" (i64.const 0xfffe) (i64.const 0) (i64.const 3)) "out of bounds memory access")
(assert_trap (invoke "copy" (i64.const 0) (i64.const 1) (i64.const 0xffffffffffffffff)) "out of bounds memory access")
(assert_trap (invoke "init" (i64.const -1) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "init" (i64.const 0xfffe) (i32.const 0) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke "load8" (i64.const 0)) (i32.const 97))
(assert_return (invoke "load8" (i64.const 1)) (i32.const 98))
(assert_return (invoke "load8" (i64.const 0xfffe)) (i32.const 0))
(assert_return (invoke "load8" (i64.const 0xffff)) (i32.const 0))
(assert_return (invoke "init" (i64.const 0xfffd) (i32.const 0) (i32.const 3)))
(assert_return (invoke "load8" (i64.const 0xffff)) (i32.const 122))

;; memory.grow in pages of the 64-bit address type: huge deltas fail.
(assert_return (invoke "grow" (i64.const -1)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x1000000000000)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 0x100000001)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 4)) (i64.const -1))
(assert_return (invoke "grow" (i64.const 3)) (i64.const 1))
(assert_return (invoke "size") (i64.const 4))
(assert_return (invoke "load8" (i64.const 0x3ffff)) (i32.const 0))
(assert_trap (invoke "load8" (i64.const 0x40000)) "out of bounds memory access")
(assert_return (invoke "load_off8" (i64.const 0x3fff0)) (i64.const 0))
(assert_trap (invoke "load_off8" (i64.const 0x3fff1)) "out of bounds memory access")
(assert_return (invoke "grow" (i64.const 0)) (i64.const 4))

;; A 32-bit and a 64-bit memory in one module: the 32-bit one keeps guard
;; pages in guard mode, the 64-bit one is checked; memory.copy between
;; them takes an i32 length.
(module
  (memory $a 1)
  (memory $b i64 1)
  (func (export "store_b") (param i64 i32) (i32.store $b (local.get 0) (local.get 1)))
  (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
  (func (export "load_b") (param i64) (result i32) (i32.load $b (local.get 0)))
  (func (export "copy_b_to_a") (param i32 i64 i32)
    (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy_a_to_b") (param i64 i32 i32)
    (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2))))

(assert_return (invoke "store_b" (i64.const 0xfffc) (i32.const 0x01020304)))
(assert_trap (invoke "store_b" (i64.const 0xfffd) (i32.const 7)) "out of bounds memory access")
(assert_trap (invoke "load_b" (i64.const 0xfffffffffffffffe)) "out of bounds memory access")
(assert_trap (invoke "load_a" (i32.const 0xfffd)) "out of bounds memory access")
(assert_return (invoke "copy_b_to_a" (i32.const 0) (i64.const 0xfffc) (i32.const 4)))
(assert_return (invoke "load_a" (i32.const 0)) (i32.const 0x01020304))
(assert_trap (invoke "copy_b_to_a" (i32.const 0) (i64.const 0xfffffffffffffffc) (i32.const 8)) "out of bounds memory access")
(assert_trap (invoke "copy_a_to_b" (i64.const 0xfffffffffffffffc) (i32.const 0) (i32.const 8)) "out of bounds memory access")
(assert_return (invoke "copy_a_to_b" (i64.const 8) (i32.const 0) (i32.const 4)))
(assert_return (invoke "load_b" (i64.const 8)) (i32.const 0x01020304))

;; Offsets of 2^32 and more (binary: wabt 1.0.32 cannot write them):
;;   (memory i64 1)
;;   (func (export "load_wrap") (param i64) (result i64)
;;     (i64.load offset=0xfffffffffffffff0 (local.get 0)))
;;   (func (export "load_2p63") (param i64) (result i64)
;;     (i64.load offset=0x8000000000000000 (local.get 0)))
(module binary
  "\00\61\73\6d\01\00\00\00\01\06\01\60\01\7e\01\7e\03\03\02\00\00\05\03\01\04\01"
  "\07\19\02\09\6c\6f\61\64\5f\77\72\61\70\00\00\09\6c\6f\61\64\5f\32\70\36\33\00\01"
  "\0a\23\02\10\00\20\00\29\03\f0\ff\ff\ff\ff\ff\ff\ff\ff\01\0b"
  "\10\00\20\00\29\03\80\80\80\80\80\80\80\80\80\01\0b")
;; 0x20 + (2^64 - 16) wraps to 0x10: in bounds if the sum wrapped.
(assert_trap (invoke "load_wrap" (i64.const 0x20)) "out of bounds memory access")
(assert_trap (invoke "load_wrap" (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "load_wrap" (i64.const 0x10)) "out of bounds memory access")
(assert_trap (invoke "load_2p63" (i64.const 0x8000000000000000)) "out of bounds memory access")
(assert_trap (invoke "load_2p63" (i64.const 0)) "out of bounds memory access")
