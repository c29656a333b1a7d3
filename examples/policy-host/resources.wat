;; resources.wat - admission policy: resource requests must be present
;; and within limits (cpu_millis <= 4000, memory_mb <= 8192).
;; ABI: see images.wat and policy_host.c.
(module
  (memory (export "memory") 1)
  (data (i32.const 256) "resource requests missing\00")
  (data (i32.const 320) "cpu_millis above the limit of 4000\00")
  (data (i32.const 384) "memory_mb above the limit of 8192\00")

  (func (export "request_buffer") (result i32) (i32.const 4096))

  (func (export "evaluate") (result i32)
    (local $cpu i32) (local $mem i32)
    (local.set $cpu (i32.load (i32.const 4104)))
    (local.set $mem (i32.load (i32.const 4108)))
    (if (i32.or (i32.eqz (local.get $cpu)) (i32.eqz (local.get $mem)))
      (then (return (i32.const 256))))
    (if (i32.gt_u (local.get $cpu) (i32.const 4000)) (then (return (i32.const 320))))
    (if (i32.gt_u (local.get $mem) (i32.const 8192)) (then (return (i32.const 384))))
    (i32.const 0)))
