;; A data segment out of bounds at instantiation: earlier segments stay written
;; into the imported memory, nothing of the failing one is written.
;; === module a
;; host-memory: 1 1
(module
  (import "host" "memory" (memory 1 1))
  (export "mem" (memory 0))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
;; === module b
;; expect-instantiate: trap out of bounds memory access
;; invoke: @a byte i32:0 => i32:0xaa
;; invoke: @a byte i32:65535 => i32:0
;; invoke: @a byte i32:65534 => i32:0
(module
  (import "a" "mem" (memory 1))
  (data (i32.const 0) "\aa")
  (data (i32.const 65534) "\bb\bb\bb"))
