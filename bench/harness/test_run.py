#!/usr/bin/env python3
"""test_run.py - unit tests of the harness's parsing, checking and
arithmetic (bench/harness/run.py).  python3 -m unittest bench/harness/test_run.py"""
import io
import os
import sys
import tarfile
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


def build_commands(build, rc):
    """The commands build() hands to build_step, which runs none of them
    and reports exit status rc for each."""
    cmds = []

    def fake_step(kernel, label, cmd, output, inputs):
        cmds.append(cmd)
        return run.Result(rc, 0, 0, None, "", "")
    real, run.build_step = run.build_step, fake_step
    try:
        build()
    finally:
        run.build_step = real
    return cmds


class WasmBuild(unittest.TestCase):
    def test_hosted_and_interp_modules_get_the_same_features(self):
        with tempfile.TemporaryDirectory() as d:
            k = run.Kernel("fib", Path(d))
            cmds = build_commands(lambda: self.assertIsNone(run.build_wasm(k, "clang-19")), 1)
        self.assertEqual(len(cmds), 2)
        for cmd in cmds:
            self.assertIn("-mbulk-memory", cmd)
            self.assertIn("-mnontrapping-fptoint", cmd)


def cell(ratio, compile_cpu=None, rss=None):
    return {"median": 1.0, "ratio": ratio, "rss_mib": rss, "compile": compile_cpu}


class LibraryBuild(unittest.TestCase):
    def test_a_library_builds_its_sources_with_its_flags_and_no_interp_variant(self):
        with tempfile.TemporaryDirectory() as d:
            k = run.Kernel("sqlite", Path(d), lib_dir=Path(d) / "src")
            cmds = build_commands(lambda: run.build_native(k), 0)
            cmds += build_commands(lambda: self.assertIsNotNone(run.build_wasm(k, "clang-19")), 0)
        self.assertEqual(k.group, "library")
        self.assertNotIn("wasm-interp", k.exe)
        self.assertEqual(len(cmds), 3)  # clang, gcc, wasm32-wasi
        for cmd in cmds:
            self.assertIn(str(Path(d) / "src" / "sqlite3.c"), cmd)
            self.assertIn("-DSQLITE_OS_OTHER=1", cmd)
        self.assertIn(Path(d) / "src" / "sqlite3.h", k.sources())

    def test_a_library_that_cannot_be_fetched_is_skipped_loudly(self):
        real = run.libfetch.library_fetch
        run.libfetch.library_fetch = lambda name, cache: (None, "npm not found")
        notes = []
        try:
            dirs = run.libraries_fetch(["fib", "sqlite"], Path("/nonexistent"), notes,
                                       lambda msg: None)
        finally:
            run.libfetch.library_fetch = real
        self.assertEqual(dirs, {})
        self.assertEqual(len(notes), 1)
        self.assertIn("LIBRARY WORKLOAD SKIPPED: sqlite", notes[0])


class LibraryFetch(unittest.TestCase):
    """fetch.py against a local tarball: no network."""

    def fake_fetch(self, package, dest):
        tgz = Path(dest) / "pkg.tgz"
        with tarfile.open(tgz, "w:gz") as tar:
            for member in run.libfetch.LIBRARIES["sqlite"]["members"]:
                data = ("/* %s */\n" % member).encode()
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        self.calls += 1
        return tgz, None

    def fetch(self, cache, sha):
        lib = run.libfetch.LIBRARIES["sqlite"]
        real = run.libfetch.tarball_fetch, lib["sha256"]
        run.libfetch.tarball_fetch, lib["sha256"] = self.fake_fetch, sha
        try:
            return run.libfetch.library_fetch("sqlite", cache)
        finally:
            run.libfetch.tarball_fetch, lib["sha256"] = real

    def test_extracts_the_members_once_then_reuses_them(self):
        self.calls = 0
        with tempfile.TemporaryDirectory() as d:
            sha = run.libfetch.sha256_file(self.fake_fetch(None, d)[0])
            path, why = self.fetch(d, sha)
            self.assertIsNone(why)
            self.assertEqual((path / "sqlite3.h").read_text(),
                             "/* package/deps/sqlite3/sqlite3.h */\n")
            self.assertEqual(self.fetch(d, sha)[0], path)
        self.assertEqual(self.calls, 2)  # the digest probe and the first fetch

    def test_a_tarball_with_another_digest_is_refused(self):
        self.calls = 0
        with tempfile.TemporaryDirectory() as d:
            path, why = self.fetch(d, "0" * 64)
            self.assertIsNone(path)
            self.assertIn("SHA-256", why)
            self.assertFalse(run.libfetch.library_dir("sqlite", d).exists())


class Groups(unittest.TestCase):
    ROWS = {"fib": {"kiln-guard": cell(1.0)}, "gemm": {"kiln-guard": cell(2.0)},
            "lu": {"kiln-guard": cell(1.6)}, "sqlite": {"kiln-guard": cell(1.2)}}
    GROUPS = {"fib": "core", "gemm": "loop-nests", "lu": "loop-nests", "sqlite": "library"}

    def test_the_source_names_the_group(self):
        self.assertEqual(run.kernel_group(run.KERNELS / "fib.c"), "core")
        self.assertEqual(run.kernel_group(run.KERNELS / "jacobi2d.c"), "loop-nests")

    def test_kernels_are_listed_group_by_group_and_libraries_last(self):
        names = run.kernels_list(None)
        ranks = [run.group_rank(run.kernel_group(
            run.libfetch.LIBRARIES[n]["driver"] if n in run.libfetch.LIBRARIES
            else run.KERNELS / (n + ".c"))) for n in names]
        self.assertEqual(ranks, sorted(ranks))
        self.assertEqual(names[-1], "sqlite")

    def test_each_group_has_its_geomean_and_all_has_every_kernel(self):
        lines = run.groups_section(self.ROWS, ["kiln-guard"], self.GROUPS)
        text = "\n".join(lines)
        self.assertIn("| core | 1.00x (1/1) |", text)
        self.assertIn("| loop-nests | 1.79x (2/2) |", text)
        self.assertIn("| library | 1.20x (1/1) |", text)
        self.assertIn("| **all** | 1.40x (4/4) |", text)

    def test_one_group_needs_no_section(self):
        self.assertEqual(run.groups_section({"fib": self.ROWS["fib"]}, ["kiln-guard"], {}), [])

    def test_group_goals_use_their_group_only(self):
        text = "\n".join(run.goals_section(self.ROWS, self.GROUPS))
        self.assertIn("| #12: loop nests, kiln-guard geomean <= 1.15x | 1.79x | **no** |", text)
        self.assertIn("| #12: loop nests, no kernel above 1.5x (kiln-guard) | 2.00x (gemm) | **no** |",
                      text)
        self.assertIn("| #12: library, kiln-guard <= 1.15x its native build | 1.20x | **no** |", text)


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
