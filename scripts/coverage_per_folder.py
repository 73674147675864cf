#!/usr/bin/env python3
"""Sums an lcov tracefile per source folder: a Markdown table of line and branch coverage.

usage: coverage_per_folder.py TRACEFILE SOURCE_ROOT

Folders are the file's directory relative to SOURCE_ROOT (net/io, actors/cluster, ...);
a header or source file counts where it lives. Branch counts are gcc's (each outcome of
each condition, the exception edges it emits included).
"""
import os
import sys
from collections import defaultdict


def read(path, root):
    totals = defaultdict(lambda: [0, 0, 0, 0])  # lines found, hit, branches found, hit
    name = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("SF:"):
                name = os.path.relpath(line[3:], root)
            elif name and line[:3] in ("LF:", "LH:", "BRF", "BRH"):
                key, value = line.split(":", 1)
                i = {"LF": 0, "LH": 1, "BRF": 2, "BRH": 3}[key]
                totals[os.path.dirname(name) or "."][i] += int(value)
    return totals


def pct(hit, found):
    return f"{100.0 * hit / found:.1f} %" if found else "-"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    totals = read(sys.argv[1], sys.argv[2])
    print("| folder | lines | line coverage | branches | branch coverage |")
    print("|---|---|---|---|---|")
    all_ = [0, 0, 0, 0]
    for folder in sorted(totals):
        lf, lh, bf, bh = totals[folder]
        all_ = [a + b for a, b in zip(all_, totals[folder])]
        print(f"| `{folder}/` | {lf} | {pct(lh, lf)} | {bf} | {pct(bh, bf)} |")
    lf, lh, bf, bh = all_
    print(f"| **all** | {lf} | {pct(lh, lf)} | {bf} | {pct(bh, bf)} |")


if __name__ == "__main__":
    main()
