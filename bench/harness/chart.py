#!/usr/bin/env python3
"""chart.py - grouped, log-scale bar chart of the time ratios in a
results.csv written by run.py.

    python3 bench/harness/chart.py results.csv ratios.png

Needs matplotlib (Debian: apt-get install python3-matplotlib).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

BASELINE = "native-clang"


def ratios_read(path):
    """ratios[engine][kernel] = ratio, plus kernels and engines in file order."""
    ratios, kernels, engines = {}, [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            k, e, r = row["kernel"], row["engine"], row["ratio_to_native_clang"]
            if e == BASELINE or r in ("", "-"):
                continue
            if k not in kernels:
                kernels.append(k)
            if e not in engines:
                engines.append(e)
            ratios.setdefault(e, {})[k] = float(r)
    return ratios, kernels, engines


def chart_draw(ratios, kernels, engines, out):
    width = 0.8 / max(len(engines), 1)
    fig, ax = plt.subplots(figsize=(max(10, len(kernels) * 0.75), 5.5))
    for i, e in enumerate(engines):
        xs = [j + i * width for j, k in enumerate(kernels) if k in ratios[e]]
        ys = [ratios[e][k] for k in kernels if k in ratios[e]]
        ax.bar(xs, ys, width, label=e)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("time / native clang -O2 (log scale)")
    ax.set_xticks([j + width * (len(engines) - 1) / 2 for j in range(len(kernels))])
    ax.set_xticklabels(kernels, rotation=45, ha="right")
    ax.legend(fontsize="small")
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: chart.py results.csv ratios.png")
    ratios, kernels, engines = ratios_read(argv[0])
    if not kernels:
        sys.exit("chart.py: no ratios in " + argv[0])
    chart_draw(ratios, kernels, engines, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
