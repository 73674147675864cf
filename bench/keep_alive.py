#!/usr/bin/env python3
"""Time to first reply audio over TLS: with and without connection reuse, and with TTS
over HTTP (a request per sentence) or one WebSocket per reply.

Each run starts the provider simulator serving https:// and wss:// with a certificate from
a CA made here (openssl), and a node trusting that CA, then places calls with
switchboard-loadgen. The runs alternate three settings, so all see the same machine load:
  reuse      [llm|tts] keep_alive = 30s (the default): connections reused
  no-reuse   keep_alive = 0s: a new TCP + TLS handshake for every LLM reply and sentence
  websocket  [tts] transport = websocket: one ElevenLabs stream-input per reply Turn latency is the loadgen's: end of the caller's speech to the first
reply audio frame. The simulator reports the requests it served and the connections they
came on.

  bench/keep_alive.py --build build --runs 3 --calls 10 --turns 4

Results: one JSON line per run in OUT/keep-alive.jsonl and a summary on stdout.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from queued_callers import get_json, wait_port  # noqa: E402


def make_certs(d):
    def run(cmd):
        subprocess.run(cmd, shell=True, check=True, cwd=d, capture_output=True)
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.pem "
        "-subj '/CN=bench CA'")
    run("openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj '/CN=provider'")
    with open(f"{d}/server.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
        "-out server.pem -extfile server.ext")


VARIANTS = {
    "reuse": ["llm.keep_alive=30s", "tts.keep_alive=30s"],
    "no-reuse": ["llm.keep_alive=0s", "tts.keep_alive=0s"],
    "websocket": ["tts.transport=websocket"],
}


def one_run(build, args, work, variant):
    env = dict(os.environ, DEEPGRAM_API_KEY="bench", OPENAI_API_KEY="bench",
               ELEVENLABS_API_KEY="bench")
    sim = subprocess.Popen(
        [f"{build}/switchboard-provider-sim", "--listen", "127.0.0.1:0", "--port-file",
         f"{work}/sim.port", "--tls-cert", f"{args.certs}/server.pem", "--tls-key",
         f"{args.certs}/server.key", "--llm-first-token", str(args.llm_first_token),
         "--llm-token-interval", "15", "--tts-first-byte", str(args.tts_first_byte),
         "--stt-final-latency", "150"],
        stdout=open(f"{work}/sim.log", "w"), stderr=subprocess.STDOUT)
    sp = wait_port(f"{work}/sim.port")
    ca = f"{args.certs}/ca.pem"
    sets = ["node.listen=127.0.0.1:0", "node.cluster_listen=127.0.0.1:0",
            f"stt.url=wss://127.0.0.1:{sp}", f"llm.url=https://127.0.0.1:{sp}/v1",
            f"tts.url=https://127.0.0.1:{sp}", f"stt.ca_file={ca}", f"llm.ca_file={ca}",
            f"tts.ca_file={ca}"] + VARIANTS[variant]
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
             str(args.calls), "--turns", str(args.turns), "--ramp-ms", "100",
             "--no-progress"], capture_output=True, text=True, timeout=600)
        lg = json.loads(out.stdout)
        sim_stats = get_json(f"http://127.0.0.1:{sp}/sim/stats")
        node_stats = get_json(f"http://127.0.0.1:{np}/api/v1/stats")
    finally:
        node.terminate()
        sim.terminate()
        node.wait(30)
        sim.wait(30)
    return {"variant": variant, "calls": args.calls, "turns": args.turns,
            "answered": lg["turns"]["answered"], "turn_latency_ms": lg["latency_ms"],
            "http_requests": sim_stats["http"]["requests"],
            "http_connections": sim_stats["http"]["connections"],
            "node_reused": node_stats["provider_http"]["reused"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=f"{ROOT}/build")
    p.add_argument("--runs", type=int, default=3, help="runs of each setting")
    p.add_argument("--calls", type=int, default=10)
    p.add_argument("--turns", type=int, default=4)
    p.add_argument("--llm-first-token", type=int, default=350)
    p.add_argument("--tts-first-byte", type=int, default=120)
    p.add_argument("--out", default=f"{HERE}/results")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    results = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="sb-ka-certs-") as certs:
        make_certs(certs)
        args.certs = certs
        with open(f"{args.out}/keep-alive.jsonl", "a") as out:
            for i in range(args.runs):
                for ka in VARIANTS:
                    with tempfile.TemporaryDirectory(prefix="sb-ka-") as work:
                        r = one_run(args.build, args, work, ka)
                    r["run"] = i + 1
                    out.write(json.dumps(r) + "\n")
                    out.flush()
                    results[ka].append(r)
                    lat = r["turn_latency_ms"]
                    print(f"run {i + 1} {ka}: {r['answered']}/"
                          f"{r['calls'] * r['turns']} turns, p50 {lat['p50']:.0f} ms p90 "
                          f"{lat['p90']:.0f} ms, {r['http_requests']} requests on "
                          f"{r['http_connections']} connections", flush=True)
    for ka, rs in results.items():
        print(f"{ka}: median of run p50s "
              f"{statistics.median(r['turn_latency_ms']['p50'] for r in rs):.1f} ms, p90s "
              f"{statistics.median(r['turn_latency_ms']['p90'] for r in rs):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
