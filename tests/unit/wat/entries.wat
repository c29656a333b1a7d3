;; Which functions get an entry stub (compiler/lower.c, "the stack check"):
;; only those a function reference can name.  Indices (test_lower.c):
;;  0 $direct       direct calls only             no stub
;;  1 "direct"      export
;;  2 $via_global   ref.func in a global initializer
;;  3 $via_declare  declarative element segment (and ref.func in code)
;;  4 $exported     export only
;;  5 $start        the start function
;;  6 "started", 7 "fill", 8 "indirect"   exports
;;  9 $leaf         direct calls only (a small leaf)  no stub
;; 10 $in_table     active element segment
;; 11 $passive      passive element segment
(module
  (type $t (func (param i32) (result i32)))
  (table $tab 4 funcref)
  (global $g funcref (ref.func $via_global))
  (elem declare func $via_declare)
  (elem (i32.const 2) $in_table)
  (elem funcref (ref.func $passive))
  (global $started (mut i32) (i32.const 0))
  (start $start)
  (func $direct (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $leaf (i32.const 0))
                     (call $direct (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "direct") (param i32) (result i32) (call $direct (local.get 0)))
  (func $via_global (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
        (call_indirect $tab (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))
  (func $via_declare (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1)
        (call_indirect $tab (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 1))))))
  (func $exported (export "exported") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $exported (i32.sub (local.get 0) (i32.const 1)))))))
  (func $start (global.set $started (i32.add (global.get $started) (i32.const 1))))
  (func (export "started") (param i32) (result i32) (call $start) (global.get $started))
  (func (export "fill") (param i32) (result i32)
    (table.set $tab (i32.const 0) (global.get $g))
    (table.set $tab (i32.const 1) (ref.func $via_declare))
    (i32.const 0))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect $tab (type $t) (local.get 0) (local.get 1)))
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $in_table (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (func $passive (param i32) (result i32) (local.get 0))
)
