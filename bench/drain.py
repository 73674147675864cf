#!/usr/bin/env python3
"""The drain, timed: 50 callers in long conversations on one node (realistic simulator
latencies), then SIGTERM. Measures the time from the signal to the node's exit, split at
the log lines the node writes (the drain time, the goodbyes, the last writes), and checks
in the SQLite store that every call is closed (`shutdown`) with its goodbye stored.

  bench/drain.py --build build --runs 3
  bench/drain.py --runs 3 --set call.goodbye=        # no goodbye: closed at once

Results: one JSON line per run in OUT/drain.jsonl and a summary on stdout; the exit code
is 1 when a run left a call open or the node did not exit 0.
"""
import argparse
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_util import get_json, wait_port  # noqa: E402



def log_time(line):
    return datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def phases(log_path):
    marks = {}
    with open(log_path) as f:
        for line in f:
            for key, text in (("drain", "draining:"), ("ending", "calls still active"),
                              ("written", "transcripts: everything written"),
                              ("stopped", " stopped")):
                if text in line and key not in marks:
                    marks[key] = log_time(line)
    return marks


def one_run(build, args, work):
    env = dict(os.environ, DEEPGRAM_API_KEY="bench", OPENAI_API_KEY="bench",
               ELEVENLABS_API_KEY="bench")
    sim = subprocess.Popen(
        [f"{build}/switchboard-provider-sim", "--listen", "127.0.0.1:0", "--port-file",
         f"{work}/sim.port", "--llm-first-token", "350", "--llm-token-interval", "15",
         "--tts-first-byte", "120", "--stt-final-latency", "150"],
        stdout=open(f"{work}/sim.log", "w"), stderr=subprocess.STDOUT)
    sp = wait_port(f"{work}/sim.port")
    db = f"{work}/transcripts.db"
    sets = ["node.listen=127.0.0.1:0", "node.cluster_listen=127.0.0.1:0",
            f"stt.url=ws://127.0.0.1:{sp}", f"llm.url=http://127.0.0.1:{sp}/v1",
            f"tts.url=http://127.0.0.1:{sp}", f"store.transcripts=sqlite:{db}",
            f"node.drain_timeout={args.drain_timeout}", "pool.stt.max_active=100",
            "pool.tts.max_active=100", "pool.llm.max_active=100"] + args.set
    cmd = [f"{build}/switchboard", "node", "--config", f"{ROOT}/sim.ini",
           "--port-file", f"{work}/node.port"]
    for s in sets:
        cmd += ["--set", s]
    node = subprocess.Popen(cmd, env=env, stdout=open(f"{work}/node.log", "w"),
                            stderr=subprocess.STDOUT)
    loadgen = None
    try:
        np = wait_port(f"{work}/node.port")
        loadgen = subprocess.Popen(
            [f"{build}/switchboard-loadgen", "--target", f"127.0.0.1:{np}", "--calls",
             str(args.calls), "--turns", "1000", "--ramp-ms", "20", "--max-duration-s", "600",
             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        end = time.time() + 60
        while time.time() < end:
            st = get_json(f"http://127.0.0.1:{np}/api/v1/stats")
            if st["active_calls"] == args.calls and st["turn_latency_ms"]["count"] >= 2 * args.calls:
                break
            time.sleep(0.1)
        t0 = time.time()
        node.send_signal(signal.SIGTERM)
        code = node.wait(120)
        exit_s = time.time() - t0
        lg = json.loads(loadgen.communicate(timeout=60)[0])
    finally:
        for p in (node, loadgen, sim):
            if p and p.poll() is None:
                p.kill()
                p.wait(10)
    m = phases(f"{work}/node.log")
    with open(f"{work}/node.log") as f:
        untranscribed = sum("ended before speech-to-text opened" in line for line in f)
    c = sqlite3.connect(db)
    calls = c.execute("SELECT count(*), sum(status = 'ended'), sum(end_reason = 'shutdown') "
                      "FROM calls").fetchone()
    goodbyes = c.execute("SELECT count(DISTINCT call_id) FROM transcript_entries WHERE "
                         "speaker = 'agent' AND text LIKE 'I am sorry, this line%'").fetchone()[0]
    entries = c.execute("SELECT count(*) FROM transcript_entries").fetchone()[0]
    return {"calls": args.calls, "drain_timeout": args.drain_timeout, "sets": args.set,
            "exit_code": code, "signal_to_exit_s": round(exit_s, 3),
            "drain_s": round(m.get("ending", m.get("written", 0)) - m.get("drain", 0), 3),
            "goodbyes_s": round(m.get("written", 0) - m.get("ending", m.get("written", 0)), 3),
            "stored_calls": calls[0], "ended": calls[1], "shutdown": calls[2],
            "goodbyes_stored": goodbyes, "entries": entries,
            "calls_ended_before_stt": untranscribed,
            "caller_failures": lg.get("failures")}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=f"{ROOT}/build")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--calls", type=int, default=50)
    p.add_argument("--drain-timeout", default="5s")
    p.add_argument("--set", action="append", default=[], help="node --set SECTION.KEY=VALUE")
    p.add_argument("--out", default=f"{HERE}/results")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bad = 0
    with open(f"{args.out}/drain.jsonl", "a") as out:
        for i in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="sb-drain-") as work:
                r = one_run(args.build, args, work)
            r["run"] = i + 1
            out.write(json.dumps(r) + "\n")
            out.flush()
            ok = r["exit_code"] == 0 and r["ended"] == r["calls"] == r["stored_calls"]
            bad += not ok
            print(f"run {i + 1}: exit {r['exit_code']} {r['signal_to_exit_s']:.2f} s after "
                  f"SIGTERM (drain {r['drain_s']:.2f} s, goodbyes and writes "
                  f"{r['goodbyes_s']:.2f} s); {r['ended']}/{r['calls']} calls closed, "
                  f"{r['goodbyes_stored']} goodbyes, {r['entries']} entries, "
                  f"{r['calls_ended_before_stt']} ended before their STT stream opened "
                  f"{'ok' if ok else 'BAD'}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
