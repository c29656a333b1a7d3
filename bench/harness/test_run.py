#!/usr/bin/env python3
"""test_run.py - unit tests of the harness's parsing, checking and
arithmetic (bench/harness/run.py).  python3 -m unittest bench/harness/test_run.py"""
import os
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402


def result(out, rc=0, wall=1.0, rss=1024):
    return run.Result(rc, wall, wall, rss, out, "trap" if rc else "")


def process_running(pid):
    """True unless pid is gone or a zombie waiting for its (killed) parent."""
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class FakeKernel:
    def __init__(self, name, compile_cpu=None):
        self.name = name
        self.compile_cpu = compile_cpu or {}


class ChecksumParse(unittest.TestCase):
    def test_hosted_line(self):
        self.assertEqual(run.checksum_parse("checksum 0a1b2c3d\n"), "0a1b2c3d")

    def test_wasm_interp_result_is_normalised_to_unsigned_hex(self):
        self.assertEqual(run.checksum_parse("run() => i32:3442705671\n"), "cd338507")
        self.assertEqual(run.checksum_parse("run() => i32:-1\n"), "ffffffff")

    def test_anything_else_has_no_checksum(self):
        self.assertIsNone(run.checksum_parse("checksum 12\n"))
        self.assertIsNone(run.checksum_parse("run() => error: call stack exhausted\n"))


class RssParse(unittest.TestCase):
    def test_last_line_after_gnu_time_status_line(self):
        self.assertEqual(run.rss_parse("Command exited with non-zero status 2\n4567\n"), 4567)
        self.assertEqual(run.rss_parse("1234\n"), 1234)
        self.assertIsNone(run.rss_parse(""))


class ChecksumsVerify(unittest.TestCase):
    def test_agreeing_engines_pass_and_interp_is_its_own_group(self):
        samples = {("k", "native-clang"): [result("checksum 00000001")],
                   ("k", "node"): [result("checksum 00000001")],
                   ("k", "wasm-interp"): [result("run() => i32:2")],
                   ("k", run.INTERP_BASELINE): [result("checksum 00000002")]}
        self.assertEqual(run.checksums_verify([FakeKernel("k")], samples), [])

    def test_a_different_checksum_fails(self):
        samples = {("k", "native-clang"): [result("checksum 00000001")],
                   ("k", "wasm2c"): [result("checksum 00000009")]}
        failures = run.checksums_verify([FakeKernel("k")], samples)
        self.assertEqual(len(failures), 1)
        self.assertIn("mismatch", failures[0])

    def test_rounds_of_one_engine_must_agree(self):
        samples = {("k", "native-clang"): [result("checksum 00000001"), result("checksum 00000002")]}
        self.assertEqual(len(run.checksums_verify([FakeKernel("k")], samples)), 1)

    def test_a_crash_is_reported_once(self):
        samples = {("k", "native-clang"): [result("checksum 00000001")],
                   ("k", "kiln"): [result("", rc=134)]}
        failures = run.checksums_verify([FakeKernel("k")], samples)
        self.assertEqual(len(failures), 1)
        self.assertIn("exit 134", failures[0])


class TableCompute(unittest.TestCase):
    def test_ratios_use_medians_and_the_matching_baseline(self):
        samples = {("k", "native-clang"): [result("", wall=w) for w in (1.0, 9.0, 2.0)],
                   ("k", "node"): [result("", wall=w) for w in (4.0, 5.0, 6.0)],
                   ("k", run.INTERP_BASELINE): [result("", wall=0.5)],
                   ("k", "wasm-interp"): [result("", wall=5.0, rss=2048)]}
        rows = run.table_compute([FakeKernel("k", {"node": 0.25})], ["native-clang", "node", "wasm-interp"],
                                 samples)
        self.assertAlmostEqual(rows["k"]["node"]["ratio"], 2.5)
        self.assertAlmostEqual(rows["k"]["wasm-interp"]["ratio"], 10.0)
        self.assertAlmostEqual(rows["k"]["wasm-interp"]["rss_mib"], 2.0)
        self.assertEqual(rows["k"]["node"]["compile"], 0.25)

    def test_failed_runs_are_left_out(self):
        samples = {("k", "native-clang"): [result("", wall=1.0)],
                   ("k", "kiln"): [result("", rc=134, wall=0.1)]}
        rows = run.table_compute([FakeKernel("k")], ["native-clang", "kiln"], samples)
        self.assertNotIn("kiln", rows["k"])

    def test_geomean_skips_missing_ratios(self):
        self.assertAlmostEqual(run.geomean([2.0, 8.0, None]), 4.0)
        self.assertIsNone(run.geomean([None]))


class DocsUpdate(unittest.TestCase):
    def test_only_the_latest_results_section_is_replaced(self):
        with tempfile.TemporaryDirectory() as d:
            docs, res = Path(d) / "b.md", Path(d) / "r.md"
            docs.write_text("# B\n\nkeep me\n\n## Latest results\n\nold table\n")
            res.write_text("# kiln benchmark results\n\n## Time\n\nnew table\n")
            self.assertIsNone(run.docs_update(res, docs))
            text = docs.read_text()
        self.assertIn("keep me", text)
        self.assertIn("### Time\n\nnew table", text)
        self.assertNotIn("old table", text)


class DocsBlockReplace(unittest.TestCase):
    DOC = "# B\n\n## Latest results\n\nold\n\n## Where kiln loses to native\n\nothers' text\n"

    def test_later_sections_survive_repeated_updates(self):
        once = run.docs_block_replace(self.DOC, "results", "## Latest results", "first")
        twice = run.docs_block_replace(once, "results", "## Latest results", "second")
        self.assertIn("## Where kiln loses to native\n\nothers' text", twice)
        self.assertIn("second", twice)
        self.assertNotIn("first", twice)
        self.assertNotIn("old", twice)
        self.assertEqual(twice.count("<!-- bench:results:begin -->"), 1)

    def test_text_around_the_markers_is_kept(self):
        doc = "intro\n<!-- bench:x:begin -->\nold\n<!-- bench:x:end -->\noutro\n"
        self.assertEqual(run.docs_block_replace(doc, "x", "## X", "new"),
                         "intro\n<!-- bench:x:begin -->\nnew\n<!-- bench:x:end -->\noutro\n")

    def test_no_heading_and_no_markers_is_none(self):
        self.assertIsNone(run.docs_block_replace("# B\n", "results", "## Latest results", "x"))

    def test_the_chart_is_copied_and_embedded(self):
        with tempfile.TemporaryDirectory() as d:
            docs, res, png = Path(d) / "b.md", Path(d) / "r.md", Path(d) / "ratios.png"
            docs.write_text("## Latest results\n")
            res.write_text("# t\n\n%s\n" % run.CHART_LINE)
            png.write_bytes(b"png")
            self.assertIsNone(run.docs_update(res, docs, png))
            self.assertIn("](%s)" % run.DOCS_CHART, docs.read_text())
            self.assertEqual((Path(d) / run.DOCS_CHART).read_bytes(), b"png")


class KilnEngines(unittest.TestCase):
    def test_both_modes_once_build_has_bounds_checks(self):
        modes = run.kiln_engines("  --bounds-checks=explicit|guard\n", run.ENGINES)
        self.assertEqual(modes, {"kiln-guard": ["--bounds-checks=guard"],
                                 "kiln-explicit": ["--bounds-checks=explicit"]})

    def test_only_the_modes_asked_for(self):
        self.assertEqual(list(run.kiln_engines("--bounds-checks", ["kiln-explicit"])),
                         ["kiln-explicit"])

    def test_kiln_alone_is_the_default_build(self):
        self.assertEqual(run.kiln_engines("--bounds-checks", ["native-clang", "kiln"]), {"kiln": []})

    def test_without_the_option_one_default_build(self):
        self.assertEqual(run.kiln_engines("usage: kiln build", ["kiln-guard"]), {"kiln": []})
        self.assertEqual(run.kiln_engines("usage: kiln build", ["node"]), {})


class WasmBuild(unittest.TestCase):
    def test_hosted_and_interp_modules_get_the_same_features(self):
        cmds = []

        def fake_step(kernel, label, cmd, output, inputs):
            cmds.append(cmd)
            return run.Result(1, 0, 0, None, "", "")
        real, run.build_step = run.build_step, fake_step
        try:
            with tempfile.TemporaryDirectory() as d:
                k = run.Kernel("fib", Path(d))
                self.assertIsNone(run.build_wasm(k, "clang-19"))
        finally:
            run.build_step = real
        self.assertEqual(len(cmds), 2)
        for cmd in cmds:
            self.assertIn("-mbulk-memory", cmd)
            self.assertIn("-mnontrapping-fptoint", cmd)


def cell(ratio, compile_cpu=None, rss=None):
    return {"median": 1.0, "ratio": ratio, "rss_mib": rss, "compile": compile_cpu}


class Summary(unittest.TestCase):
    ROWS = {"a": {"kiln-guard": cell(1.0, 2.0, 3.0), "wasm2c": cell(1.0), "node": cell(3.0),
                  "kiln-explicit": cell(1.5)},
            "b": {"kiln-guard": cell(1.44, 8.0, 5.0), "wasm2c": cell(1.0), "node": cell(3.0),
                  "kiln-explicit": cell(1.0)}}

    def test_engine_summary_geomeans_and_median_rss(self):
        gm, n, comp, rss = run.engine_summary(self.ROWS, "kiln-guard")
        self.assertAlmostEqual(gm, 1.2)
        self.assertEqual(n, 2)
        self.assertAlmostEqual(comp, 4.0)
        self.assertAlmostEqual(rss, 4.0)

    def test_threshold_goals(self):
        self.assertEqual(run.goal_check(self.ROWS, "kiln-guard", 1.10)[0], False)
        self.assertEqual(run.goal_check(self.ROWS, "kiln-explicit", 1.25)[0], True)

    def test_rival_goal_needs_a_lower_geomean_than_each(self):
        self.assertEqual(run.goal_check(self.ROWS, "kiln-guard", ("wasm2c", "node"))[0], False)
        faster = {k: dict(v, wasm2c=cell(2.0)) for k, v in self.ROWS.items()}
        self.assertEqual(run.goal_check(faster, "kiln-guard", ("wasm2c", "node"))[0], True)

    def test_rival_goal_uses_the_kernels_all_engines_ran(self):
        # node failed on "b", where kiln-guard is slow: compared on "a" alone.
        partial = {"a": self.ROWS["a"],
                   "b": {e: c for e, c in self.ROWS["b"].items() if e != "node"}}
        met, text = run.goal_check(partial, "kiln-guard", ("wasm2c", "node"))
        self.assertEqual(met, False)  # kiln-guard 1.0x is not below wasm2c's 1.0x on "a"
        self.assertIn("1 common kernels", text)
        faster = {"a": dict(partial["a"], wasm2c=cell(1.5)), "b": partial["b"]}
        self.assertEqual(run.goal_check(faster, "kiln-guard", ("wasm2c", "node"))[0], True)


class ExitCrash(unittest.TestCase):
    def test_node_segv_after_its_checksum_counts_as_completed(self):
        self.assertTrue(run.run_completed("node", result("checksum 00000001", rc=139)))

    def test_other_crashes_do_not(self):
        self.assertFalse(run.run_completed("node", result("", rc=139)))
        self.assertFalse(run.run_completed("node", result("checksum 00000001", rc=134)))
        self.assertFalse(run.run_completed("kiln-guard", result("checksum 00000001", rc=139)))

    def test_the_crash_is_noted_and_its_checksum_still_checked(self):
        samples = {("k", "native-clang"): [result("checksum 00000001")],
                   ("k", "node"): [result("checksum 00000002", rc=139)]}
        self.assertIn("mismatch", run.checksums_verify([FakeKernel("k")], samples)[0])
        notes = run.exit_crash_notes(samples)
        self.assertEqual(len(notes), 1)
        self.assertIn("node exited with SIGSEGV after printing its checksum in: k", notes[0])

    def test_a_goal_whose_engine_did_not_run_is_left_out(self):
        self.assertIsNone(run.goal_check({"a": {"node": cell(1.0)}}, "kiln-guard", 1.10))
        self.assertEqual(run.goals_section({"a": {"node": cell(1.0)}}), [])


class RunMeasured(unittest.TestCase):
    def test_exit_code_and_output_are_the_childs(self):
        r = run.run_measured(["sh", "-c", "echo out; echo err >&2; exit 3"], 30)
        self.assertEqual((r.rc, r.out, r.err.splitlines()[0]), (3, "out\n", "err"))

    def test_a_run_past_its_timeout_is_killed(self):
        r = run.run_measured(["sh", "-c", "sleep 10 & echo $!; wait"], 0.5)
        self.assertEqual(r.rc, 124)
        self.assertLess(r.wall, 5)
        grandchild = int(r.out.split()[0])
        time.sleep(0.2)
        self.assertFalse(process_running(grandchild), "the program under GNU time survived")


if __name__ == "__main__":
    unittest.main()
