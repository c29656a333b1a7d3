;; vectorize.wat - four adjacent adds of adjacent loads, stored to adjacent
;; words: what the SLP vectorizer turns into one <4 x i32> load, add and
;; store.  "straight" has them in straight-line code, "looped" in a loop
;; body (test_emit: the SLP vectorizer runs only on functions with a loop).
(module
  (memory 1)
  (func (export "straight") (param $d i32) (param $s i32) (local $v0 i32) (local $v1 i32) (local $v2 i32) (local $v3 i32)
      (local.set $v0 (i32.add (i32.load offset=0 (local.get $s)) (i32.const 1)))
      (local.set $v1 (i32.add (i32.load offset=4 (local.get $s)) (i32.const 2)))
      (local.set $v2 (i32.add (i32.load offset=8 (local.get $s)) (i32.const 3)))
      (local.set $v3 (i32.add (i32.load offset=12 (local.get $s)) (i32.const 4)))
      (i32.store offset=0 (local.get $d) (local.get $v0))
      (i32.store offset=4 (local.get $d) (local.get $v1))
      (i32.store offset=8 (local.get $d) (local.get $v2))
      (i32.store offset=12 (local.get $d) (local.get $v3)))
  (func (export "looped") (param $d i32) (param $s i32) (param $n i32) (local $v0 i32) (local $v1 i32) (local $v2 i32) (local $v3 i32)
    (loop $l
      (local.set $v0 (i32.add (i32.load offset=0 (local.get $s)) (i32.const 1)))
      (local.set $v1 (i32.add (i32.load offset=4 (local.get $s)) (i32.const 2)))
      (local.set $v2 (i32.add (i32.load offset=8 (local.get $s)) (i32.const 3)))
      (local.set $v3 (i32.add (i32.load offset=12 (local.get $s)) (i32.const 4)))
      (i32.store offset=0 (local.get $d) (local.get $v0))
      (i32.store offset=4 (local.get $d) (local.get $v1))
      (i32.store offset=8 (local.get $d) (local.get $v2))
      (i32.store offset=12 (local.get $d) (local.get $v3))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 16)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
