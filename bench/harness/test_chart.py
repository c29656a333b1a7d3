#!/usr/bin/env python3
"""test_chart.py - tests of bench/harness/chart.py (skipped without
matplotlib).  python3 -m unittest bench/harness/test_chart.py"""
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:
    import chart  # noqa: E402
except ImportError:  # matplotlib missing: run.py notes "no chart" too
    chart = None

CSV = """kernel,engine,median_s,ratio_to_native_clang,peak_rss_mib,compile_cpu_s
a,native-clang,1.0,1.0000,2.0,-
a,kiln-guard,2.0,2.0000,2.0,1.0
a,kiln-explicit,4.0,4.0000,2.0,1.0
b,native-clang,1.0,1.0000,2.0,-
b,kiln-guard,8.0,8.0000,2.0,1.0
b,kiln-explicit,-,-,-,-
"""


@unittest.skipIf(chart is None, "matplotlib not installed")
class Chart(unittest.TestCase):
    def read(self):
        with tempfile.NamedTemporaryFile("w", suffix=".csv") as f:
            f.write(CSV)
            f.flush()
            return chart.ratios_read(f.name)

    def test_baseline_and_missing_ratios_are_not_bars(self):
        ratios, kernels, engines = self.read()
        self.assertEqual(engines, ["kiln-guard", "kiln-explicit"])
        self.assertEqual(ratios["kiln-explicit"], {"a": 4.0})

    def test_geomean_group_over_each_engines_own_kernels(self):
        ratios, kernels, engines = self.read()
        chart.geomean_add(ratios, kernels, engines)
        self.assertEqual(kernels[-1], "geomean")
        self.assertAlmostEqual(ratios["kiln-guard"]["geomean"], 4.0)
        self.assertAlmostEqual(ratios["kiln-explicit"]["geomean"], 4.0)

    def test_png_is_written(self):
        ratios, kernels, engines = self.read()
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "r.png"
            chart.chart_draw(ratios, kernels, engines, out)
            self.assertEqual(out.read_bytes()[:4], b"\x89PNG")


if __name__ == "__main__":
    unittest.main()
