;; kiln_run_test.sh: a WASI program that sleeps 30 s in poll_oneoff, a host
;; call the interrupt signal cannot end (--timeout's grace period must).
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; One subscription at 0: userdata 0, tag 0 (clock), clock id 0
    ;; (realtime) at 16, relative timeout in ns at 24, flags 0.
    (i64.store (i32.const 24) (i64.const 30000000000))
    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))
