;; capi_keeper.wat - tests/unit/test_capi.c: a table the host stores
;; another instance's function into (wasm_table_set, or an argument of
;; "keep"), and the call through it.
(module
  (type $v (func (result i32)))
  (table $t (export "t") 2 funcref)
  (func (export "call_at") (param i32) (result i32)
    (call_indirect (type $v) (local.get 0)))
  (func (export "keep") (param funcref)
    (table.set $t (i32.const 1) (local.get 0))))
