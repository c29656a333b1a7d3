;; owner.wat - the exporting side of tests/unit/test_instance.c: a table
;; and a global that hold this instance's own function references, the
;; only things it exports (so no exported function keeps it alive).
;; $f reads the instance's memory and global: called after the instance
;; was freed, it would read freed memory.
(module
  (type $v (func (result i32)))
  (memory 1)
  (global $base (mut i32) (i32.const 1234))
  (table (export "t") 2 funcref)
  (global (export "g") funcref (ref.func $f))
  (elem (i32.const 0) $f)
  (elem declare func $f)
  (func $f (type $v)
    (i32.store (i32.const 0) (i32.const 77))
    (i32.add (global.get $base) (i32.load (i32.const 0)))))
