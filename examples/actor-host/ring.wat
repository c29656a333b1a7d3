;; ring.wat - the ring actor of examples/actor-host.  A message is three
;; little-endian u32s: to (this actor's id), n (actors in the ring), ttl.
;; The actor adds 1 to its "count" and ttl to its "hops" in its key-value
;; store, and while ttl > 0 forwards {to+1 mod n, n, ttl-1} to actor
;; to+1 mod n.  It talks to the host only through the "actor" imports.
(module
  (import "actor" "kv_get" (func $kv_get (param i32 i32 i32 i32) (result i32)))
  (import "actor" "kv_put" (func $kv_put (param i32 i32 i32 i32)))
  (import "actor" "send" (func $send (param i32 i32 i32)))
  (memory (export "memory") 1)
  ;; 0: "count", 8: "hops", 64: a value, 256: the outgoing message,
  ;; 1024: the incoming message (the host writes it there).
  (data (i32.const 0) "count")
  (data (i32.const 8) "hops")

  (func (export "message_buffer") (result i32) (i32.const 1024))

  ;; kv[key] += by, as a u32 (a missing key counts as 0).
  (func $bump (param $key i32) (param $klen i32) (param $by i32)
    (i32.store (i32.const 64) (i32.const 0))
    (drop (call $kv_get (local.get $key) (local.get $klen) (i32.const 64) (i32.const 4)))
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (local.get $by)))
    (call $kv_put (local.get $key) (local.get $klen) (i32.const 64) (i32.const 4)))

  (func (export "on_message") (param $p i32) (param $len i32)
    (local $to i32) (local $n i32) (local $ttl i32)
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
