#!/usr/bin/env python3
"""Offline agent capacity: calls per node at real time on cluster.ini (pocketsphinx,
the scripted dialog, espeak-ng), before turn latency degrades.

For each step N it starts one node on cluster.ini and N callers at once (the load
generator, Twilio dialect) that listen to the greeting and walk dialogs/order-status.ini
with espeak-ng's voice through a phone line (22,050 Hz -> 8 kHz mu-law): "check an order",
"nine one two three", "yes", "no thank you". It records the node's CPU time (user + system,
from /proc, so other work on the machine slows it less than it would wall time), its peak
RSS above the idle node, and the callers' turn latency (last speech frame sent -> first
reply audio; the recogniser's end-of-turn wait of about 0.45 s is part of it).

  bench/offline_capacity.py --build build --steps 5,10,20,40 --runs 3

One JSON line per run in OUT/offline-capacity.jsonl and a Markdown table on stdout.
"""
import argparse
import warnings
warnings.filterwarnings("ignore", category=DeprecationWarning)
import audioop  # noqa: E402 (Python 3.11: deprecated, still there)
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
WORDS = ["check an order", "nine one two three", "yes", "no thank you"]


def phone_line(text, path):
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "--stdout", text],
                         check=True, capture_output=True).stdout
    at = wav.find(b"data")
    pcm = wav[at + 8:]
    line, _ = audioop.ratecv(pcm, 2, 1, 22050, 8000, None)
    with open(path, "wb") as f:
        f.write(audioop.lin2ulaw(line, 2))


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def run_step(args, n, says, work):
    port = args.node_port
    log = open(os.path.join(work, f"node-{n}.log"), "w")
    node = subprocess.Popen(
        [os.path.join(args.build, "switchboard"), "node", "--config",
         os.path.join(ROOT, "cluster.ini"), "--set", f"node.listen=127.0.0.1:{port}",
         "--set", "node.cluster_listen=127.0.0.1:0", "--set", "log.level=warn",
         "--set", f"store.transcripts=sqlite:{work}/t-{n}.db",
         "--set", f"llm.dialog={ROOT}/dialogs/order-status.ini",
         "--set", f"pool.stt.max_active={max(n, 1)}"] +
        [x for kv in args.set for x in ("--set", kv)],
        stdout=log, stderr=subprocess.STDOUT, cwd=work)
    try:
        deadline = time.time() + 30
        while not healthy(port):
            if node.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"node did not start (see {work}/node-{n}.log)")
            time.sleep(0.1)
        rss0 = rss_bytes(node.pid)
        cpu0 = cpu_seconds(node.pid)
        peak = [rss0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_bytes(node.pid))
                time.sleep(0.2)
        t = threading.Thread(target=sample)
        t.start()
        t0 = time.time()
        cmd = [os.path.join(args.build, "switchboard-loadgen"), "--target",
               f"127.0.0.1:{port}", "--calls", str(n), "--ramp-ms", str(args.ramp_ms),
               "--listen-first", "--pause-ms", "500", "--reply-timeout-ms", "20000",
               "--no-progress", "--max-duration-s", "120"]
        for s in says:
            cmd += ["--say", s]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.time() - t0
        stop.set()
        t.join()
        cpu = cpu_seconds(node.pid) - cpu0
        summary = json.loads(out.stdout)
        return {"calls": n, "wall_s": round(wall, 1), "node_cpu_s": round(cpu, 2),
                "rss_idle_mb": round(rss0 / 2**20, 1),
                "rss_peak_mb": round(peak[0] / 2**20, 1), "summary": summary}
    finally:
        node.terminate()
        try:
            node.wait(timeout=40)
        except subprocess.TimeoutExpired:
            node.kill()
        log.close()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--steps", default="5,10,20,40")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--ramp-ms", type=int, default=100, help="between call starts")
    p.add_argument("--node-port", type=int, default=8093)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--set", action="append", default=[],
                   help="a further node override SECTION.KEY=VALUE (repeatable)")
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="sb-offline-bench-")
    says = []
    for i, w in enumerate(WORDS):
        path = os.path.join(work, f"say-{i}.ulaw")
        phone_line(w, path)
        says.append(path)
    rows = []
    with open(os.path.join(args.out, "offline-capacity.jsonl"), "a") as out:
        for n in [int(x) for x in args.steps.split(",")]:
            for r in range(args.runs):
                row = run_step(args, n, says, work)
                row["run"] = r + 1
                row["load_before"] = os.getloadavg()[0]
                out.write(json.dumps(row) + "\n")
                out.flush()
                rows.append(row)
                s = row["summary"]
                print(f"# {n} calls run {r + 1}: {json.dumps(s.get('latency_ms', {}))} "
                      f"failed {s.get('failed_calls')}", file=sys.stderr)
    print("| calls | runs | turn latency p50 / p90 (ms) | failed calls | node CPU per call "
          "(ms CPU per s of call) | RSS per call (MB) |")
    print("|---|---|---|---|---|---|")
    for n in sorted({r["calls"] for r in rows}):
        rs = [r for r in rows if r["calls"] == n]
        p50 = [r["summary"]["latency_ms"]["p50"] for r in rs]
        p95 = [r["summary"]["latency_ms"]["p90"] for r in rs]
        failed = [r["summary"].get("failed_calls", 0) for r in rs]
        cpu = [1000 * r["node_cpu_s"] / (n * r["wall_s"]) for r in rs]
        rss = [(r["rss_peak_mb"] - r["rss_idle_mb"]) / n for r in rs]
        fmt = lambda xs, d=0: "-".join(sorted({f"{x:.{d}f}" for x in (min(xs), max(xs))}))
        print(f"| {n} | {len(rs)} | {fmt(p50)} / {fmt(p95)} | {fmt(failed)} | {fmt(cpu, 1)} | "
              f"{fmt(rss, 1)} |")


if __name__ == "__main__":
    main()
