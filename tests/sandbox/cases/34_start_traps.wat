;; A start function that traps: instantiation fails, but its data segments and
;; the store it made before trapping stay in the imported memory.
;; === module a
;; host-memory: 1 1
(module
  (import "host" "memory" (memory 1 1))
  (export "mem" (memory 0))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
;; === module b
;; expect-instantiate: trap out of bounds memory access
;; invoke: @a byte i32:10 => i32:0x5a
;; invoke: @a byte i32:20 => i32:0x77
;; invoke: @a byte i32:65535 => i32:0
(module
  (import "a" "mem" (memory 1))
  (data (i32.const 10) "\5a")
  (func $start
    (i32.store8 (i32.const 20) (i32.const 0x77))
    (i32.store (i32.const 65534) (i32.const -1)))
  (start $start))
