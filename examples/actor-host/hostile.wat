;; hostile.wat - the ring actor (ring.wat) that traps on the 5th message
;; each of its instances receives, in one of four ways chosen by its
;; "count" (messages handled so far, from its key-value store; a multiple
;; of 4, since each instance handles 4) divided by 4, mod 4:
;;   0  an out-of-bounds load          (trap "out of bounds memory access")
;;   1  unreachable                    (trap "unreachable")
;;   2  send() of a message that lies past the end of its memory
;;   3  kv_put() of a value whose address + length wraps around 2^32
;; (2 and 3: the host's bounds checks trap, "host trap").  Before trapping
;; it has already written its store and sent a message: the host must
;; drop both, restart only this actor and deliver the message again.
(module
  (import "actor" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "actor" "kv_put" (func $kv_put (param i32 i32 i32 i32)))
  (import "actor" "send" (func $send (param i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "count")
  (data (i32.const 8) "hops")
  (global $handled (mut i32) (i32.const 0)) ;; messages this instance received

  (func (export "message_buffer") (result i32) (i32.const 1024))

  (func $bump (param $key i32) (param $klen i32) (param $by i32)
    (i32.store (i32.const 64) (i32.const 0))
    (drop (call $kv_get (local.get $key) (local.get $klen) (i32.const 64) (i32.const 4)))
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (local.get $by)))
    (call $kv_put (local.get $key) (local.get $klen) (i32.const 64) (i32.const 4)))

  (func $misbehave
    (local $count i32)
    ;; Effects the host must roll back: a store write and a message.
    (i32.store (i32.const 64) (i32.const 0))
    (drop (call $kv_get (i32.const 0) (i32.const 5) (i32.const 64) (i32.const 4)))
    (local.set $count (i32.load (i32.const 64)))
    (call $bump (i32.const 0) (i32.const 5) (i32.const 1000))
    (i32.store (i32.const 256) (i32.const 0))
    (i32.store offset=4 (i32.const 256) (i32.const 1))
    (i32.store offset=8 (i32.const 256) (i32.const 0))
    (call $send (i32.const 0) (i32.const 256) (i32.const 12))
    (block $b3 (block $b2 (block $b1 (block $b0
      (br_table $b0 $b1 $b2 $b3
        (i32.and (i32.shr_u (local.get $count) (i32.const 2)) (i32.const 3))))
      (drop (i32.load (i32.const 0xfffffff0)))
      (return))
      (unreachable))
      (call $send (i32.const 0) (i32.const 65530) (i32.const 12))
      (return))
    (call $kv_put (i32.const 0) (i32.const 5) (i32.const 0xffffffff) (i32.const 2)))

  (func (export "on_message") (param $p i32) (param $len i32)
    (local $to i32) (local $n i32) (local $ttl i32)
    (global.set $handled (i32.add (global.get $handled) (i32.const 1)))
    (if (i32.eq (global.get $handled) (i32.const 5)) (then (call $misbehave)))
    (if (i32.lt_u (local.get $len) (i32.const 12)) (then (return)))
    (local.set $to (i32.load (local.get $p)))
    (local.set $n (i32.load offset=4 (local.get $p)))
    (local.set $ttl (i32.load offset=8 (local.get $p)))
    (call $bump (i32.const 0) (i32.const 5) (i32.const 1))
    (call $bump (i32.const 8) (i32.const 4) (local.get $ttl))
    (if (local.get $ttl) (then
      (local.set $to (i32.rem_u (i32.add (local.get $to) (i32.const 1)) (local.get $n)))
      (i32.store (i32.const 256) (local.get $to))
      (i32.store offset=4 (i32.const 256) (local.get $n))
      (i32.store offset=8 (i32.const 256) (i32.sub (local.get $ttl) (i32.const 1)))
      (call $send (local.get $to) (i32.const 256) (i32.const 12))))))
