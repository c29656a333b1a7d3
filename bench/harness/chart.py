#!/usr/bin/env python3
"""chart.py - grouped, log-scale bar chart of the time ratios in a
results.csv written by run.py.

    python3 bench/harness/chart.py results.csv ratios.png

Needs matplotlib (Debian: apt-get install python3-matplotlib).
"""
import csv
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import matplotlib.ticker  # noqa: E402

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


def geomean_add(ratios, kernels, engines):
    """A last "geomean" group: each engine's geometric mean over the
    kernels it has a ratio for (the figure the summary tables quote)."""
    for e in engines:
        vals = list(ratios[e].values())
        ratios[e]["geomean"] = statistics.geometric_mean(vals)
    kernels.append("geomean")


def chart_draw(ratios, kernels, engines, out):
    width = 0.8 / max(len(engines), 1)
    fig, ax = plt.subplots(figsize=(max(10, len(kernels) * 0.75), 5.5))
    for i, e in enumerate(engines):
        xs = [j + i * width for j, k in enumerate(kernels) if k in ratios[e]]
        ys = [ratios[e][k] for k in kernels if k in ratios[e]]
        ax.bar(xs, ys, width, label=e)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    # Labelled powers of two: a log axis of 0.5x-30x otherwise shows one label.
    lo, hi = ax.get_ylim()
    ticks = [2.0 ** i for i in range(-6, 12) if lo <= 2.0 ** i <= hi]
    ax.set_yticks(ticks)
    ax.set_yticklabels(["%gx" % t for t in ticks])
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
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
    geomean_add(ratios, kernels, engines)
    chart_draw(ratios, kernels, engines, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
