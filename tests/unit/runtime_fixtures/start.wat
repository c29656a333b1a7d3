;; A start function that increments a global; a global initialised from
;; an imported one.
(module
  (import "basic" "pi" (global $pi f64))
  (global $g (export "g") (mut i32) (i32.const 41))
  (global $h (export "h") f64 (global.get $pi))
  (func $bump (global.set $g (i32.add (global.get $g) (i32.const 1))))
  (start $bump)
)
