#!/usr/bin/env python3
"""The queued-callers scenario, repeated: 60 callers who each speak as soon as they are
connected and then wait as long as it takes, against an STT account of 20 streams and a
TTS account of 10, with the node's default [call] settings.

Each run starts the provider simulator and one node on this machine, places the calls
with switchboard-loadgen, and records how many callers were answered and how many
streams the simulated provider refused (its /sim/stats). The simulator can be told to
count a closed stream a little longer (--release-lag), as a real provider's count lags
behind its sockets.

  bench/queued_callers.py --build build --runs 10
  bench/queued_callers.py --runs 10 --release-lag 100 --set pool.stt.queue_timeout=90s

Results: one JSON line per run in OUT/queued-callers.jsonl and a summary on stdout;
the exit code is 1 when any run missed a caller or met a refusal.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_util import get_json, wait_port  # noqa: E402



def one_run(build, args, work):
    env = dict(os.environ, DEEPGRAM_API_KEY="bench", OPENAI_API_KEY="bench",
               ELEVENLABS_API_KEY="bench")
    sim = subprocess.Popen(
        [f"{build}/switchboard-provider-sim", "--listen", "127.0.0.1:0", "--port-file",
         f"{work}/sim.port", "--stt-limit", "20", "--tts-limit", "10",
         "--release-lag", str(args.release_lag), "--llm-first-token", "350",
         "--llm-token-interval", "15", "--tts-first-byte", "120",
         "--stt-final-latency", "150"],
        stdout=open(f"{work}/sim.log", "w"), stderr=subprocess.STDOUT)
    sp = wait_port(f"{work}/sim.port")
    sets = [f"node.listen=127.0.0.1:0", "node.cluster_listen=127.0.0.1:0",
            f"stt.url=ws://127.0.0.1:{sp}", f"llm.url=http://127.0.0.1:{sp}/v1",
            f"tts.url=http://127.0.0.1:{sp}", "pool.stt.max_active=20",
            "pool.tts.max_active=10"] + args.set
    cmd = [f"{build}/switchboard", "node", "--config", f"{ROOT}/sim.ini",
           "--port-file", f"{work}/node.port"]
    for s in sets:
        cmd += ["--set", s]
    node = subprocess.Popen(cmd, env=env, stdout=open(f"{work}/node.log", "w"),
                            stderr=subprocess.STDOUT)
    try:
        np = wait_port(f"{work}/node.port")
        out = subprocess.run(
            [f"{build}/switchboard-loadgen", "--target", f"127.0.0.1:{np}", "--calls",
             str(args.calls), "--turns", "1", "--ramp-ms", "10", "--reply-timeout-ms",
             "300000", "--max-duration-s", "400", "--no-progress"],
            capture_output=True, text=True, timeout=500)
        lg = json.loads(out.stdout)
        stats = get_json(f"http://127.0.0.1:{sp}/sim/stats")
    finally:
        node.terminate()
        sim.terminate()
        node.wait(30)
        sim.wait(30)
    stt = stats["stt"].get("bench", {})
    tts = stats["tts_elevenlabs"].get("bench", {})
    return {"calls": args.calls, "answered": lg["turns"]["answered"],
            "failures": lg["failures"], "stt_peak": stt.get("peak", 0),
            "stt_refused": stt.get("refused", 0), "tts_peak": tts.get("peak", 0),
            "tts_refused": tts.get("refused", 0), "release_lag_ms": args.release_lag,
            "sets": args.set, "turn_latency_ms": lg["latency_ms"], "seconds": lg["seconds"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=f"{ROOT}/build")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("--release-lag", type=int, default=0, help="simulator --release-lag (ms)")
    p.add_argument("--set", action="append", default=[], help="node --set SECTION.KEY=VALUE")
    p.add_argument("--out", default=f"{HERE}/results")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bad = 0
    with open(f"{args.out}/queued-callers.jsonl", "a") as out:
        for i in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="sb-queued-") as work:
                r = one_run(args.build, args, work)
            r["run"] = i + 1
            out.write(json.dumps(r) + "\n")
            out.flush()
            ok = r["answered"] == r["calls"] and r["stt_refused"] == 0 and r["tts_refused"] == 0
            bad += not ok
            print(f"run {i + 1}: {r['answered']}/{r['calls']} answered, refused stt "
                  f"{r['stt_refused']} tts {r['tts_refused']}, peaks {r['stt_peak']}/"
                  f"{r['tts_peak']}, turn p50 {r['turn_latency_ms']['p50']:.0f} ms "
                  f"max {r['turn_latency_ms']['max']:.0f} ms {'ok' if ok else 'MISSED'}",
                  flush=True)
    print(f"{args.runs - bad} of {args.runs} runs: every caller answered, no refusal")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
