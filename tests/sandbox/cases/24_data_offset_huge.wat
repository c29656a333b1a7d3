;; Data segment at an offset near 4 GiB (offset + length wraps in 32 bits).
;; expect-instantiate: trap out of bounds memory access
(module
  (memory 1)
  (data (i32.const -1) "\01\02"))
