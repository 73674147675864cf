#!/usr/bin/env python3
"""Plots capacity runs side by side: node CPU per call-second and the turn-latency
overhead p99 (or, with --right rss, the RSS per call) against concurrent calls, one line
per run.

  bench/compare.py --out docs/img/send-ahead.png \\
      "send_ahead 0=bench/results/send-ahead/0ms/capacity-realistic.jsonl" \\
      "send_ahead 400 ms=bench/results/send-ahead/400ms/capacity-realistic.jsonl"

Each argument is LABEL=FILE, FILE a capacity.py result (one JSON line per step).
Needs gnuplot (apt-get install gnuplot-nox).
"""
import argparse
import json
import os
import subprocess
import tempfile


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--title", default="capacity runs compared")
    p.add_argument("--right", choices=["overhead", "rss"], default="overhead",
                   help="the right-hand plot: overhead p99 or RSS per call")
    p.add_argument("runs", nargs="+", metavar="LABEL=FILE")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cpu, lat = [], []
        for i, run in enumerate(args.runs):
            label, path = run.split("=", 1)
            data = os.path.join(tmp, f"{i}.dat")
            with open(path) as f, open(data, "w") as out:
                for line in f:
                    r = json.loads(line)
                    ms = r.get("node_cpu_ms_per_call_second", 10.0 * r["node_cpu_pct_per_call"])
                    right = (r["rss_per_call_kb"] if args.right == "rss"
                             else max(r["overhead_p99_ms"], 0.1))
                    out.write(f"{r['calls']} {ms} {right}\n")
            cpu.append(f"'{data}' using 1:2 with linespoints title '{label}'")
            lat.append(f"'{data}' using 1:3 with linespoints title '{label}'")
        right_axes = ("set ylabel 'RSS per call above the idle node (KB)'\nset yrange [0:*]"
                      if args.right == "rss" else
                      "set ylabel 'turn-latency overhead p99 (ms, log scale)'\n"
                      "set logscale y\nset yrange [*:*]")
        script = f"""
set terminal pngcairo noenhanced size 1000,420 font ",10"
set output '{args.out}'
set multiplot layout 1,2 title '{args.title}'
set grid
set key {"bottom right" if args.right == "rss" else "top left"} box opaque
set xlabel 'concurrent calls'
set ylabel 'node CPU, ms per call-second'
set yrange [0:*]
plot {", ".join(cpu)}
{right_axes}
plot {", ".join(lat)}
unset multiplot
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)


if __name__ == "__main__":
    main()
