;; hostile.wat - an untrusted "policy" that attacks its host, to test the
;; per-request limits.  What it does depends on cpu_millis % 5:
;;   0  loops forever                  (the time limit interrupts it)
;;   1  reads outside its memory       (out of bounds memory access)
;;   2  writes a marker, then grows its memory a page at a time until
;;      memory.grow fails, and denies with "memory.grow refused at page N"
;;      (N is the pool's per-slot limit, not the module's 65536)
;;   3  recurses without end           (call stack exhausted)
;;   4  allows, unless it sees a byte an earlier instance wrote
;; ABI: see images.wat and policy_host.c.
(module
  (memory (export "memory") 1)
  (data (i32.const 12288) "memory.grow refused at page ")  ;; 28 bytes, digits follow
  (data (i32.const 512) "saw a previous instance's bytes\00")

  (func (export "request_buffer") (result i32) (i32.const 4096))

  (func $spin
    (loop $forever (br $forever)))

  (func $down (param $d i32)
    (call $down (i32.add (local.get $d) (i32.const 1)))
    ;; work after the call, so that the recursion is not a loop
    (i32.store (i32.and (local.get $d) (i32.const 4092)) (local.get $d)))

  ;; Writes the decimal digits of n at p, then a NUL.
  (func $utoa (param $p i32) (param $n i32)
    (local $digits i32) (local $t i32)
    (local.set $t (local.get $n))
    (loop $count
      (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (br_if $count (local.get $t)))
    (i32.store8 (i32.add (local.get $p) (local.get $digits)) (i32.const 0))
    (loop $write
      (local.set $digits (i32.sub (local.get $digits) (i32.const 1)))
      (i32.store8 (i32.add (local.get $p) (local.get $digits))
                  (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $write (local.get $digits))))

  (func $hog (result i32)
    (i32.store (i32.const 8192) (i32.const 0x5ec2e7))
    (block $refused
      (loop $more
        (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        ;; touch the new page
        (i32.store (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4))
                   (i32.const 0x5ec2e7))
        (br $more)))
    (call $utoa (i32.const 12316) (memory.size))
    (i32.const 12288))

  (func (export "evaluate") (result i32)
    (local $mode i32)
    (local.set $mode (i32.rem_u (i32.load (i32.const 4104)) (i32.const 5)))
    (if (i32.eq (local.get $mode) (i32.const 0)) (then (call $spin)))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then (return (i32.load (i32.const -16)))))
    (if (i32.eq (local.get $mode) (i32.const 2)) (then (return (call $hog))))
    (if (i32.eq (local.get $mode) (i32.const 3)) (then (call $down (i32.const 0))))
    (if (i32.or (i32.load (i32.const 8192)) (i32.load8_u (i32.const 12316)))
      (then (return (i32.const 512))))
    (i32.const 0)))
