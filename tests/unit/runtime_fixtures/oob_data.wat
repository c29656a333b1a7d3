;; The first data segment fits, the second ends one byte past the memory.
(module
  (import "basic" "mem" (memory 1))
  (data (i32.const 100) "ok")
  (data (i32.const 65535) "ab")
)
