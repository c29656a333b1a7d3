;; images.wat - admission policy: the image must come from an allowed
;; registry (a prefix match against the list below).
;;
;; The policy ABI (see policy_host.c): the host writes the request at
;; request_buffer() (layout there), calls evaluate(), which returns 0 to
;; allow or the address of a NUL-terminated reason to deny.
(module
  (memory (export "memory") 1)
  (data (i32.const 256) "registry.k8s.io/")   ;; 16 bytes
  (data (i32.const 288) "ghcr.io/acme/")      ;; 13
  (data (i32.const 320) "docker.io/library/") ;; 18
  (data (i32.const 352) "quay.io/acme/")      ;; 13
  (data (i32.const 512) "image not from an allowed registry\00")

  (func (export "request_buffer") (result i32) (i32.const 4096))

  ;; Does the string [s, s+len) start with [p, p+plen)?
  (func $has_prefix (param $s i32) (param $len i32) (param $p i32) (param $plen i32) (result i32)
    (local $i i32)
    (if (i32.lt_u (local.get $len) (local.get $plen)) (then (return (i32.const 0))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $plen)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $s) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $p) (local.get $i))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  (func (export "evaluate") (result i32)
    (local $img i32) (local $len i32)
    (local.set $img (i32.load (i32.const 4096)))
    (local.set $len (i32.load (i32.const 4100)))
    (if (call $has_prefix (local.get $img) (local.get $len) (i32.const 256) (i32.const 16))
      (then (return (i32.const 0))))
    (if (call $has_prefix (local.get $img) (local.get $len) (i32.const 288) (i32.const 13))
      (then (return (i32.const 0))))
    (if (call $has_prefix (local.get $img) (local.get $len) (i32.const 320) (i32.const 18))
      (then (return (i32.const 0))))
    (if (call $has_prefix (local.get $img) (local.get $len) (i32.const 352) (i32.const 13))
      (then (return (i32.const 0))))
    (i32.const 512)))
