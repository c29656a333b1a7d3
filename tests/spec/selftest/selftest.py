#!/usr/bin/env python3
"""selftest.py KILN_SPEC - checks kiln-spec itself on selftest.wast.

The script has 8 checks that pass, 2 that fail on purpose (lines 11 and
15) and 1 text-format module (skipped by design).  Run three times: with
no known failures (exit 1, both failures printed), with both listed
(exit 0), and with a passing line listed (reported as now passing).

Then the 3.0 suite's JSON form (json_main): selftest3.wast's module and
the commands of JSON_COMMANDS, laid out as the converted suite lays out
legacy/N/N.json, with known outcomes (PASS / FAIL / SKIP per line).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WAST = os.path.join(HERE, "selftest.wast")
WAST3 = os.path.join(HERE, "selftest3.wast")


def run(spec, known_lines):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for line in known_lines:
            f.write("selftest.wast:%d deliberate\n" % line)
    p = subprocess.run([spec, "-j", "1", "--known", f.name, WAST],
                       capture_output=True, text=True, timeout=300)
    os.unlink(f.name)
    return p.returncode, p.stdout


def expect(cond, what, out):
    if not cond:
        print("selftest FAILED: %s\n--- output:\n%s" % (what, out))
        sys.exit(1)


def main():
    spec = sys.argv[1]
    rc, out = run(spec, [])
    lines = out.strip().splitlines()
    expect(rc == 1, "unlisted failures must fail the run", out)
    expect(lines[-1] == "8 passed, 2 failed, 1 skipped", "total line", out)
    expect("selftest.wast: passed 8, failed 2, skipped 1" in lines, "file line", out)
    expect(any(l.startswith("  FAIL selftest.wast:11:") for l in lines), "line 11", out)
    expect(any(l.startswith("  FAIL selftest.wast:15:") for l in lines), "line 15", out)
    expect("text-format modules skipped by design (the text parser's business): 1" in lines,
           "text count", out)
    rc, out = run(spec, [11, 15])
    expect(rc == 0, "known failures must not fail the run", out)
    expect("known failures: 2, unexpected failures: 0" in out, "known count", out)
    rc, out = run(spec, [11, 15, 10])
    expect(rc == 0 and "now passing (remove from known failures): selftest.wast:10" in out,
           "a listed line that passes is reported", out)
    json_main(spec)
    print("selftest: kiln-spec OK")


def i32(v):
    return {"type": "i32", "value": str(v)}


def invoke(field, args=(), module=None):
    action = {"type": "invoke", "field": field, "args": list(args)}
    if module:
        action["module"] = module
    return action


def either(*alts):
    return {"type": "either", "values": list(alts)}


def ret(action, *expected):
    return {"type": "assert_return", "action": action, "expected": list(expected)}


M = "selftest3.0.wasm"
EXTERN7 = {"type": "externref", "value": "7"}
ADD = invoke("add", [i32(1), i32(2)])
# (line, expected outcome, command without line).
JSON_COMMANDS = [
    (10, "PASS", {"type": "module_definition", "name": "$D", "filename": M}),
    (11, "PASS", {"type": "module_instance", "instance": "$I1", "module": "$D"}),
    (12, "PASS", {"type": "module_instance", "instance": "$I2"}),  # the latest definition
    (13, "PASS", {"type": "action", "action": invoke("inc", module="$I1"), "expected": []}),
    # Instantiation is generative: $I2's global is its own.
    (14, "PASS", ret({"type": "get", "field": "g", "module": "$I1"}, i32(43))),
    (15, "PASS", ret({"type": "get", "field": "g"}, i32(42))),
    (16, "PASS", {"type": "register", "name": "$I1", "as": "M"}),
    (17, "PASS", ret(ADD, either(i32(4), i32(3)))),
    (18, "FAIL", ret(ADD, either(i32(5), i32(6)))),
    (19, "PASS", ret(invoke("nan"), either({"type": "f32", "value": "0"},
                                           {"type": "f32", "value": "nan:canonical"}))),
    (20, "PASS", ret(invoke("splat", [i32(4294967295)]),
                     either({"type": "v128", "lane_type": "i8", "value": ["255"] * 16}))),
    (21, "PASS", ret(invoke("null"), {"type": "refnull", "value": "null"})),
    (22, "PASS", ret(invoke("null"), {"type": "nullexternref", "value": "null"})),
    (23, "PASS", ret(invoke("id", [EXTERN7]), EXTERN7)),
    (24, "PASS", ret(invoke("id", [EXTERN7]), {"type": "externref"})),
    (25, "PASS", ret(invoke("func"), {"type": "funcref"})),
    # Patterns and commands kiln cannot check must fail, not pass.
    (26, "FAIL", ret(invoke("func"), {"type": "anyref"})),
    (27, "FAIL", {"type": "assert_exception", "action": ADD, "expected": [{"type": "i32"}]}),
    (28, "SKIP", {"type": "assert_malformed_custom", "filename": "selftest3.1.wat",
                  "text": "@custom annotation: missing section name", "module_type": "text"}),
    (29, "PASS", {"type": "assert_invalid_custom", "filename": M,
                  "text": "@metadata.code.branch_hint annotation: invalid target",
                  "module_type": "binary"}),
    (30, "FAIL", {"type": "assert_frobnicate"}),
    (31, "FAIL", {"type": "module_instance", "module": "$Nope"}),
    (32, "FAIL", ret(ADD, i32(3))),  # no current module after a failed instance
    (33, "FAIL", ret(invoke("id", [{"type": "hostref", "value": "1"}], module="$I1"),
                     {"type": "hostref", "value": "1"})),
    (34, "PASS", {"type": "module", "filename": M}),
    (35, "FAIL", {"type": "module", "filename": "bad.wasm"}),
    (36, "FAIL", ret(ADD, i32(3))),  # no current module after a rejected one
    # Rejected only as "not supported" (a GC struct type): skipped, not passed.
    (37, "SKIP", {"type": "assert_invalid", "filename": "gc.wasm", "text": "unknown type",
                  "module_type": "binary"}),
]
EXTRA_FILES = {
    "bad.wasm": b"\0asm\x01\0\0\0\xff",
    "gc.wasm": b"\0asm\x01\0\0\0\x01\x03\x01\x5f\x00",
}


def json_write(root):
    """root/legacy/selftest3/selftest3.json and its modules."""
    folder = os.path.join(root, "legacy", "selftest3")
    os.makedirs(folder)
    subprocess.run(["wast2json", WAST3, "-o", os.path.join(folder, "selftest3.json")],
                   check=True, capture_output=True)
    for name, data in EXTRA_FILES.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    commands = [dict(command, line=line) for line, _, command in JSON_COMMANDS]
    with open(os.path.join(folder, "selftest3.json"), "w") as f:
        json.dump({"source_filename": "selftest3.wast", "commands": commands}, f)


def json_run(spec, root, known):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(known)
    p = subprocess.run([spec, "-j", "1", "--by-feature", "--known", f.name, root],
                       capture_output=True, text=True, timeout=300)
    os.unlink(f.name)
    return p.returncode, p.stdout


def json_main(spec):
    outcomes = [outcome for _, outcome, _ in JSON_COMMANDS]
    passed, failed, skipped = (outcomes.count(o) for o in ("PASS", "FAIL", "SKIP"))
    root = tempfile.mkdtemp(prefix="kiln-spec-selftest3-")
    try:
        json_write(root)
        rc, out = json_run(spec, root, "")
        lines = out.strip().splitlines()
        expect(rc == 1, "json: unlisted failures must fail the run", out)
        expect(lines[-1] == "%d passed, %d failed, %d skipped" % (passed, failed, skipped),
               "json: total line", out)
        expect("legacy/selftest3.wast: passed %d, failed %d, skipped %d" % (passed, failed, skipped)
               in lines, "json: file line named after the testsuite path", out)
        for line, outcome, _ in JSON_COMMANDS:
            listed = any(l.startswith("  FAIL legacy/selftest3.wast:%d:" % line) for l in lines)
            expect(listed == (outcome == "FAIL"), "json: line %d should %s" % (line, outcome), out)
        row = "exceptions 0 of 1 scripts clean: passed %d, failed %d (known 0), skipped %d" % (
            passed, failed, skipped)
        expect(any(" ".join(l.split()) == row for l in lines),
               "json: --by-feature counts legacy/ as exceptions", out)
        expect(any("rejected as \"not supported\"" in l and l.endswith(": 1") for l in lines),
               "json: a \"not supported\" rejection is counted apart", out)
        rc, out = json_run(spec, root, "legacy/*:* deliberate\n")
        expect(rc == 0 and "known failures: %d, unexpected failures: 0" % failed in out,
               "json: a glob entry covers the file", out)
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
