;; capi_giver.wat - tests/unit/test_capi.c: $f reads this instance's
;; memory and global, so a call after the instance was freed would read
;; freed memory.
(module
  (memory 1)
  (global $base (mut i32) (i32.const 1234))
  (func (export "f") (result i32)
    (i32.store (i32.const 0) (i32.const 77))
    (i32.add (global.get $base) (i32.load (i32.const 0)))))
