;; kiln_run_test.sh: a start function that never returns (--timeout must
;; stop it before the instance exists).
(module
  (func $spin (loop $l (br $l)))
  (func (export "_start"))
  (start $spin))
