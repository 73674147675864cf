#!/usr/bin/env python3
"""The heap at its peak by owner: for each stack of a heaptrack peak flame-graph file
(heaptrack_print --flamegraph-cost-type peak -F FILE), the innermost switchboard
function (sb::...) on it; KB per call = bytes / --calls. With two files, before -> after.

  bench/heap_owners.py --calls 250 before/peak.stacks after/peak.stacks
"""
import argparse
import collections


def owners(path):
    total = collections.Counter()
    with open(path) as f:
        for line in f:
            stack, _, n = line.rstrip().rpartition(" ")
            frames = stack.split(";")
            owner = next((fr.split("(")[0][:80] for fr in reversed(frames)
                          if "sb::" in fr[:40]), "(no switchboard frame: CAF, lws, libc)")
            total[owner] += int(n)
    return total


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, required=True)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("files", nargs="+")
    a = p.parse_args()
    runs = [owners(f) for f in a.files]
    keys = sorted(set().union(*runs), key=lambda k: -max(r[k] for r in runs))
    kb = lambda v: f"{v / a.calls / 1024:7.2f}"
    print(" -> ".join(f"total {sum(r.values()) / 2**20:.2f} MB" for r in runs))
    for k in keys[:a.top]:
        print(" -> ".join(kb(r[k]) for r in runs), "KB/call ", k)


if __name__ == "__main__":
    main()
