;; Three memories of one page and two tables of two elements: what an
;; instance's limits on all its memories and all its tables together
;; (kiln_instance_limits.max_total_*) are checked against.
(module
  (memory $a 1 10)
  (memory $b 1 10)
  (memory $c 1 10)
  (table $t 2 20 funcref)
  (table $u 2 20 funcref)
  (func (export "grow_a") (param i32) (result i32) (memory.grow $a (local.get 0)))
  (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
  (func (export "grow_t") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "grow_u") (param i32) (result i32) (table.grow $u (ref.null func) (local.get 0)))
  (func (export "store_c") (param i32) (i32.store8 $c (local.get 0) (i32.const 1))))
