;; A module whose imports `kiln run` cannot satisfy.
(module
  (import "env" "f" (func))
  (import "env" "mem" (memory 1))
  (func (export "nop"))
)
