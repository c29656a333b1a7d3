;; tests/unit/test_header.sh: an instance to bind header_types.h against:
;; "inc" and "nothing" match, "roundtrip" is missing, "inc_ref" has
;; another signature.
(module
  (func $inc (export "inc") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "inc_ref") (param i32) (result funcref) (ref.func $inc))
  (func (export "nothing"))
  (elem declare func $inc))
