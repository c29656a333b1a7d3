;; Atomic accesses (the threads proposal): results of the narrow and wide
;; read-modify-writes and of cmpxchg (whose expected value is wrapped to
;; the access width before comparing, WebAssembly/threads#195), and the
;; two traps every atomic access checks in both bounds modes: out of
;; bounds first (also in guard-page mode, where atomics compare explicitly
;; instead of faulting), then "unaligned atomic".  Wait on an unshared
;; memory traps; notify there wakes nobody.
(module
  (memory 1 1 shared)
  (func (export "init") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
  (func (export "cmpxchg32") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cmpxchg8") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "cmpxchg64_32") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw32.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "add16") (param i32 i32) (result i32)
    (i32.atomic.rmw16.add_u (local.get 0) (local.get 1)))
  (func (export "sub64") (param i32 i64) (result i64)
    (i64.atomic.rmw.sub (local.get 0) (local.get 1)))
  (func (export "xchg_off") (param i32 i32) (result i32)
    (i32.atomic.rmw.xchg offset=8 (local.get 0) (local.get 1)))
  (func (export "store16") (param i32 i32) (i32.atomic.store16 (local.get 0) (local.get 1)))
  (func (export "load8") (param i32) (result i32) (i32.atomic.load8_u (local.get 0)))
  (func (export "fence") (result i32) (atomic.fence) (i32.const 7))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  ;; An unused atomic load past the end must still trap.
  (func (export "dead_load") (drop (i64.atomic.load (i32.const 65536)))))

(invoke "init" (i32.const 0) (i64.const 0x1122334455667788))
;; cmpxchg: a failed compare returns the old value and stores nothing.
(assert_return (invoke "cmpxchg32" (i32.const 0) (i32.const 0) (i32.const 0xaaaaaaaa)) (i32.const 0x55667788))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x1122334455667788))
(assert_return (invoke "cmpxchg32" (i32.const 0) (i32.const 0x55667788) (i32.const 0xaaaaaaaa)) (i32.const 0x55667788))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x11223344aaaaaaaa))
;; narrow: expected 0x1aa wraps to 0xaa and matches; the replacement wraps to 0x01.
(assert_return (invoke "cmpxchg8" (i32.const 0) (i32.const 0x1aa) (i32.const 0x301)) (i32.const 0xaa))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x11223344aaaaaa01))
(assert_return (invoke "cmpxchg64_32" (i32.const 4) (i64.const 0xffffffff11223344) (i64.const 0x99)) (i64.const 0x11223344))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x00000099aaaaaa01))
;; rmw results are the old value, zero-extended; the add wraps at 16 bits.
(assert_return (invoke "add16" (i32.const 0) (i32.const 0x5600ffff)) (i32.const 0xaa01))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x00000099aaaaaa00))
(assert_return (invoke "sub64" (i32.const 0) (i64.const 1)) (i64.const 0x00000099aaaaaa00))
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x00000099aaaaa9ff))
(assert_return (invoke "xchg_off" (i32.const 0) (i32.const 5)) (i32.const 0))
(assert_return (invoke "xchg_off" (i32.const 0) (i32.const 6)) (i32.const 5))
(invoke "store16" (i32.const 2) (i32.const 0x12345))
(assert_return (invoke "load8" (i32.const 2)) (i32.const 0x45))
(assert_return (invoke "load8" (i32.const 3)) (i32.const 0x23))
(assert_return (invoke "fence") (i32.const 7))
;; wait: a different value returns 1, a timeout 2; notify with no waiter 0.
(assert_return (invoke "wait32" (i32.const 0) (i32.const 1) (i64.const -1)) (i32.const 1))
(assert_return (invoke "wait32" (i32.const 16) (i32.const 0) (i64.const 1000000)) (i32.const 2))
(assert_return (invoke "wait64" (i32.const 16) (i64.const 0) (i64.const 0)) (i32.const 2))
(assert_return (invoke "notify" (i32.const 16) (i32.const 10)) (i32.const 0))
;; Traps: out of bounds (also when misaligned: bounds come first), unaligned.
(assert_trap (invoke "load64" (i32.const 65536)) "out of bounds memory access")
(assert_trap (invoke "load64" (i32.const 65533)) "out of bounds memory access")
(assert_trap (invoke "load64" (i32.const -8)) "out of bounds memory access")
(assert_trap (invoke "cmpxchg32" (i32.const 65535) (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "xchg_off" (i32.const 65528) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "store16" (i32.const 65536) (i32.const 0)) "out of bounds memory access")
(assert_trap (invoke "wait32" (i32.const 65536) (i32.const 0) (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "notify" (i32.const 65536) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke "dead_load") "out of bounds memory access")
(assert_trap (invoke "load64" (i32.const 4)) "unaligned atomic")
(assert_trap (invoke "cmpxchg32" (i32.const 2) (i32.const 0) (i32.const 0)) "unaligned atomic")
(assert_trap (invoke "add16" (i32.const 1) (i32.const 0)) "unaligned atomic")
(assert_trap (invoke "xchg_off" (i32.const 1) (i32.const 0)) "unaligned atomic")
(assert_trap (invoke "wait64" (i32.const 4) (i64.const 0) (i64.const 0)) "unaligned atomic")
(assert_trap (invoke "notify" (i32.const 2) (i32.const 1)) "unaligned atomic")
;; The failed accesses changed nothing (bytes 2-3 are the store16 above).
(assert_return (invoke "load64" (i32.const 0)) (i64.const 0x000000992345a9ff))

(module
  (memory 1)
  (func (export "wait32") (param i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const 0)))
  (func (export "notify") (result i32) (memory.atomic.notify (i32.const 0) (i32.const 1)))
  (func (export "rmw") (result i32)
    (drop (i32.atomic.rmw.or (i32.const 0) (i32.const 6)))
    (i32.atomic.load (i32.const 0))))
(assert_trap (invoke "wait32" (i32.const 0)) "expected shared memory")
(assert_trap (invoke "wait32" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke "notify") (i32.const 0))
(assert_return (invoke "rmw") (i32.const 6))
