#!/usr/bin/env python3
"""selftest.py KILN_SPEC - checks kiln-spec itself on selftest.wast.

The script has 8 checks that pass, 2 that fail on purpose (lines 11 and
15) and 1 text-format module (skipped by design).  Run three times: with
no known failures (exit 1, both failures printed), with both listed
(exit 0), and with a passing line listed (reported as now passing).
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WAST = os.path.join(HERE, "selftest.wast")


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
    print("selftest: kiln-spec OK")


if __name__ == "__main__":
    main()
