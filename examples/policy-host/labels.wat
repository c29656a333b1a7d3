;; labels.wat - admission policy: the labels "team" and "env" must be set
;; (non-empty), and env must be one of prod, staging, dev.
;; ABI: see images.wat and policy_host.c.
(module
  (memory (export "memory") 1)
  (data (i32.const 256) "team")
  (data (i32.const 264) "env")
  (data (i32.const 272) "prod")
  (data (i32.const 280) "staging")
  (data (i32.const 288) "dev")
  (data (i32.const 512) "missing required label: team\00")
  (data (i32.const 576) "missing required label: env\00")
  (data (i32.const 640) "label env must be prod, staging or dev\00")

  (func (export "request_buffer") (result i32) (i32.const 4096))

  ;; Are [a, a+alen) and [b, b+blen) the same bytes?
  (func $equal (param $a i32) (param $alen i32) (param $b i32) (param $blen i32) (result i32)
    (local $i i32)
    (if (i32.ne (local.get $alen) (local.get $blen)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $alen)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $b) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; The address of the label entry {key, key_len, value, value_len} whose
  ;; key is [k, k+klen), or 0.
  (func $find (param $k i32) (param $klen i32) (result i32)
    (local $e i32) (local $end i32)
    (local.set $e (i32.load (i32.const 4116)))
    (local.set $end (i32.add (local.get $e) (i32.shl (i32.load (i32.const 4112)) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $e) (local.get $end)))
        (if (call $equal (i32.load (local.get $e)) (i32.load offset=4 (local.get $e))
                         (local.get $k) (local.get $klen))
          (then (return (local.get $e))))
        (local.set $e (i32.add (local.get $e) (i32.const 16)))
        (br $next)))
    (i32.const 0))

  (func (export "evaluate") (result i32)
    (local $team i32) (local $env i32) (local $v i32) (local $vlen i32)
    (local.set $team (call $find (i32.const 256) (i32.const 4)))
    (if (i32.or (i32.eqz (local.get $team)) (i32.eqz (i32.load offset=12 (local.get $team))))
      (then (return (i32.const 512))))
    (local.set $env (call $find (i32.const 264) (i32.const 3)))
    (if (i32.or (i32.eqz (local.get $env)) (i32.eqz (i32.load offset=12 (local.get $env))))
      (then (return (i32.const 576))))
    (local.set $v (i32.load offset=8 (local.get $env)))
    (local.set $vlen (i32.load offset=12 (local.get $env)))
    (if (call $equal (local.get $v) (local.get $vlen) (i32.const 272) (i32.const 4))
      (then (return (i32.const 0))))
    (if (call $equal (local.get $v) (local.get $vlen) (i32.const 280) (i32.const 7))
      (then (return (i32.const 0))))
    (if (call $equal (local.get $v) (local.get $vlen) (i32.const 288) (i32.const 3))
      (then (return (i32.const 0))))
    (i32.const 640)))
