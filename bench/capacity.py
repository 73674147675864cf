#!/usr/bin/env python3
"""Capacity benchmark: how many concurrent calls one node carries.

For each concurrency step it starts the provider simulator, one node and the load
generator on this machine, holds every call up at once for a plateau, and records:
node CPU per active call, RSS per active call, turn latency (caller side, and its
overhead above what the simulator was told to take), gaps in reply audio, audio the
node dropped, refused or failed calls, and the load generator's own timer lag.

  bench/capacity.py --build build --steps 100,250,500,1000 --profile zero
  bench/capacity.py --build build --profile realistic --out bench/results

Results: one JSON line per step in OUT/capacity-PROFILE.jsonl, a Markdown table on
stdout, and (with gnuplot installed) OUT/capacity-PROFILE.png.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# What the simulator is told to take (ms). The caller-side floor of a turn is one 20 ms
# frame (the silence frame after the last speech frame lets the simulator's VAD see the
# end of speech, with stt.endpointing=10ms), the final-result delay, the first token, the
# tokens of the first sentence ("You said: caller utterance N." then the next token shows
# the sentence has ended: 5 intervals) and the first TTS byte.
PROFILES = {
    "zero": {"stt_final": 0, "llm_first": 0, "llm_interval": 0, "tts_first": 0},
    "realistic": {"stt_final": 150, "llm_first": 350, "llm_interval": 15, "tts_first": 120},
}
FRAME_MS = 20


def latency_floor(profile):
    lat = PROFILES[profile]
    return (FRAME_MS + lat["stt_final"] + lat["llm_first"] + 5 * lat["llm_interval"] +
            lat["tts_first"])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def cpu_split(pid):
    """(user, kernel) CPU seconds of a process, all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def context_switches(pid):
    """Voluntary and involuntary context switches of every thread of a process so far:
    each voluntary one is a thread that slept and was woken."""
    vol = invol = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        invol += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that has just ended
    return vol, invol


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def get_json(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def metric(text, name, labels=""):
    """Sum of a Prometheus sample's values whose name and labels match."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and labels in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_http(url, proc, seconds=20):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            return get_json(url)
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url}: no answer within {seconds} s")


def stop(proc, sig=signal.SIGTERM, wait=15):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def run_step(args, calls, profile, logdir):
    lat = PROFILES[profile]
    sim_port, node_port = args.sim_port, args.node_port
    sim = subprocess.Popen(
        [os.path.join(args.build, "switchboard-provider-sim"),
         "--listen", f"127.0.0.1:{sim_port}",
         "--stt-final-latency", str(lat["stt_final"]),
         "--llm-first-token", str(lat["llm_first"]),
         "--llm-token-interval", str(lat["llm_interval"]),
         "--tts-first-byte", str(lat["tts_first"]),
         "--tts-ms-per-char", str(args.tts_ms_per_char)],
        stdout=open(os.path.join(logdir, f"sim-{calls}.log"), "w"), stderr=subprocess.STDOUT)
    env = dict(os.environ, DEEPGRAM_API_KEY="bench", OPENAI_API_KEY="bench",
               ELEVENLABS_API_KEY="bench")
    big = str(max(5000, calls * 2))
    node = subprocess.Popen(
        [os.path.join(args.build, "switchboard"), "node", "--config",
         args.config,
         "--set", f"node.listen=127.0.0.1:{node_port}",
         "--set", f"node.max_calls={big}",
         "--set", f"stt.url=ws://127.0.0.1:{sim_port}",
         "--set", f"llm.url=http://127.0.0.1:{sim_port}/v1",
         "--set", f"tts.url=http://127.0.0.1:{sim_port}",
         "--set", "stt.endpointing=10ms",
         "--set", f"pool.stt.max_active={big}", "--set", f"pool.stt.max_queue={big}",
         "--set", f"pool.llm.max_active={big}", "--set", f"pool.llm.max_queue={big}",
         "--set", f"pool.tts.max_active={big}", "--set", f"pool.tts.max_queue={big}",
         "--set", "log.level=warn"] +
        [a for kv in args.node_set for a in ("--set", kv)],
        env=env, stdout=open(os.path.join(logdir, f"node-{calls}.log"), "w"),
        stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{sim_port}/sim/stats", sim)
        wait_http(f"http://127.0.0.1:{node_port}/health", node)
        time.sleep(0.5)
        idle_rss = rss_bytes(node.pid)
        ramp_s = calls * args.ramp_ms / 1000.0
        duration = int(ramp_s + args.plateau_s + 2)
        lg_out = os.path.join(logdir, f"loadgen-{calls}.json")
        lg = subprocess.Popen(
            [os.path.join(args.build, "switchboard-loadgen"),
             "--target", f"127.0.0.1:{node_port}", "--dialect", args.dialect,
             "--calls", str(calls), "--ramp-ms", str(args.ramp_ms), "--turns", "1000",
             "--speech-ms", str(args.speech_ms), "--pause-ms", str(args.pause_ms),
             "--max-duration-s", str(duration), "--no-progress"] +
            (["--barge-in"] if args.barge_in else []),
            stdout=open(lg_out, "w"), stderr=open(os.path.join(logdir, f"loadgen-{calls}.err"), "w"))
        samples = []  # (t, active, node_cpu, node_rss, sim_cpu, lg_cpu, node (user, kernel),
        #               node (voluntary, involuntary) context switches)
        while lg.poll() is None:
            time.sleep(1.0)
            try:
                active = get_json(f"http://127.0.0.1:{node_port}/api/v1/stats")["active_calls"]
                samples.append((time.monotonic(), active, cpu_seconds(node.pid),
                                rss_bytes(node.pid), cpu_seconds(sim.pid), cpu_seconds(lg.pid),
                                cpu_split(node.pid), context_switches(node.pid)))
            except (OSError, ValueError, KeyError, FileNotFoundError, ProcessLookupError):
                pass
            if args.progress and samples:
                print(f"\r  {calls} calls: active {samples[-1][1]}   ", end="", file=sys.stderr)
        if args.progress:
            print(file=sys.stderr)
        stats = get_json(f"http://127.0.0.1:{node_port}/api/v1/stats")
        with urllib.request.urlopen(f"http://127.0.0.1:{node_port}/metrics", timeout=2) as r:
            prom = r.read().decode()
        if lg.returncode not in (0, 1):  # 1 = some calls did not finish in time
            with open(os.path.join(logdir, f"loadgen-{calls}.err")) as f:
                raise RuntimeError(f"loadgen exited {lg.returncode}: {f.read()[-500:]}")
        with open(lg_out) as f:
            summary = json.load(f)
    finally:
        stop(node)
        stop(sim)
    # The plateau: consecutive samples with every call up.
    full = [s for s in samples if s[1] >= calls]
    if len(full) < 3:
        raise RuntimeError(f"{calls} calls: never all up at once ({max((s[1] for s in samples), default=0)} max)")
    a, b = full[0], full[-1]
    secs = b[0] - a[0]
    node_core = (b[2] - a[2]) / secs
    user_s, kernel_s = b[6][0] - a[6][0], b[6][1] - a[6][1]
    call_s = secs * calls
    floor = latency_floor(profile)
    latency = summary["latency_ms"]
    dropped = int(metric(prom, "switchboard_stt_audio_dropped_bytes_total") +
                  metric(prom, "switchboard_stt_backlog_dropped_bytes_total"))
    return {
        "profile": profile, "calls": calls, "dialect": args.dialect,
        "plateau_s": round(secs, 1),
        "node_core_fraction": round(node_core, 4),
        "node_cpu_pct_per_call": round(100.0 * node_core / calls, 4),
        "node_cpu_s_per_call_minute": round(60.0 * node_core / calls, 4),
        "node_cpu_ms_per_call_second": round(1000.0 * node_core / calls, 4),
        "node_kernel_share": round(kernel_s / max(user_s + kernel_s, 1e-9), 3),
        "node_wakeups_per_call_second": round((b[7][0] - a[7][0]) / call_s, 2),
        "node_preemptions_per_call_second": round((b[7][1] - a[7][1]) / call_s, 2),
        "sim_core_fraction": round((b[4] - a[4]) / secs, 3),
        "loadgen_core_fraction": round((b[5] - a[5]) / secs, 3),
        "node_rss_idle_mb": round(idle_rss / 2**20, 1),
        "node_rss_peak_mb": round(max(s[3] for s in full) / 2**20, 1),
        "rss_per_call_kb": round((max(s[3] for s in full) - idle_rss) / 1024.0 / calls, 1),
        "turns_spoken": summary["turns"]["spoken"],
        "turns_answered": summary["turns"]["answered"],
        "turns_failed": summary["turns"]["failed"],
        "latency_p50_ms": round(latency["p50"], 1),
        "latency_p99_ms": round(latency["p99"], 1),
        "latency_floor_ms": floor,
        "overhead_p50_ms": round(latency["p50"] - floor, 1),
        "overhead_p99_ms": round(latency["p99"] - floor, 1),
        "node_turn_p50_ms": stats.get("turn_latency_ms", {}).get("p50"),
        "node_turn_p99_ms": stats.get("turn_latency_ms", {}).get("p99"),
        "reply_frames": summary["reply_frames"],
        "gaps": summary["gaps"],
        "max_reply_buffered_ms": summary.get("max_reply_buffered_ms"),
        "marks_out_of_order": summary.get("marks_out_of_order"),
        "barge_ins": summary["barge_in_ms"]["count"],
        "barge_in_p50_ms": round(summary["barge_in_ms"]["p50"], 1),
        "barge_in_p90_ms": round(summary["barge_in_ms"]["p90"], 1),
        "barge_in_max_ms": round(summary["barge_in_ms"]["max"], 1),
        "stale_frames_after_clear": summary["stale_frames_after_clear"],
        "stt_audio_dropped_bytes": dropped,
        "refused": summary["refused"],
        "closed_by_node": summary["closed_by_node"],
        "loadgen_max_lag_ms": summary["max_tick_lag_ms"],
        "loadgen_p99_lag_ms": summary.get("tick_lag_ms", {}).get("p99"),
    }


def table(rows):
    head = ("| calls | node CPU ms per call-second | kernel share | wake-ups per call-second | "
            "RSS per call | overhead p50 / p99 | node turn p50 / p99 | turns answered (failed) | "
            "gaps | dropped | loadgen lag p99 / max |")
    out = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for r in rows:
        ms = r.get("node_cpu_ms_per_call_second", 10.0 * r["node_cpu_pct_per_call"])
        kernel = r.get("node_kernel_share")
        wake = r.get("node_wakeups_per_call_second")
        out.append(
            f"| {r['calls']} | {ms:.3f} ms "
            f"| {'-' if kernel is None else f'{100 * kernel:.0f} %'} "
            f"| {'-' if wake is None else f'{wake:.1f}'} "
            f"| {r['rss_per_call_kb']:.0f} KB | {r['overhead_p50_ms']:.1f} / {r['overhead_p99_ms']:.1f} ms "
            f"| {r['node_turn_p50_ms'] or 0:.1f} / {r['node_turn_p99_ms'] or 0:.1f} ms "
            f"| {r['turns_answered']} ({r['turns_failed']}) | {r['gaps']} | {r['stt_audio_dropped_bytes']} B "
            f"| {r['loadgen_p99_lag_ms']} / {r['loadgen_max_lag_ms']} ms |")
    return "\n".join(out)


def plot(rows, path_png, profile):
    if not shutil.which("gnuplot"):
        print("gnuplot not found: no plot (apt-get install gnuplot-nox)", file=sys.stderr)
        return
    data = path_png[:-4] + ".dat"
    with open(data, "w") as f:
        for r in rows:
            f.write(f"{r['calls']} {r['overhead_p50_ms']} {r['overhead_p99_ms']} "
                    f"{r['node_cpu_pct_per_call']} {r['rss_per_call_kb']}\n")
    script = f"""
set terminal pngcairo size 900,520 font ",10"
set output '{path_png}'
set title 'switchboard capacity ({profile} provider latency), one node, 2 cores shared with simulator and load generator'
set xlabel 'concurrent calls'
set ylabel 'turn-latency overhead above the simulator (ms, log scale)'
set logscale y
set y2range [0:*]
set y2label 'node CPU (% of a core per call)'
set ytics nomirror
set y2tics
set grid
set key center right box opaque
plot '{data}' using 1:2 with linespoints title 'overhead p50' axes x1y1, \\
     '{data}' using 1:3 with linespoints title 'overhead p99' axes x1y1, \\
     '{data}' using 1:4 with linespoints title 'CPU per call' axes x1y2
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--config", default=os.path.join(ROOT, "sim.ini"),
                   help="node config (the benchmark overrides ports, pools and log level)")
    p.add_argument("--steps", default="100,250,500,1000")
    p.add_argument("--profile", choices=sorted(PROFILES), default="zero")
    p.add_argument("--dialect", choices=["twilio", "exotel"], default="twilio")
    p.add_argument("--ramp-ms", type=int, default=5, help="between call starts")
    p.add_argument("--plateau-s", type=int, default=30, help="seconds with every call up")
    p.add_argument("--speech-ms", type=int, default=1000)
    p.add_argument("--pause-ms", type=int, default=1000)
    p.add_argument("--tts-ms-per-char", type=int, default=20)
    p.add_argument("--sim-port", type=int, default=9391)
    p.add_argument("--node-port", type=int, default=8091)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--node-set", action="append", default=[], metavar="KEY=VALUE",
                   help="one more node setting (repeatable), e.g. stt.send_interval=0ms")
    p.add_argument("--barge-in", action="store_true",
                   help="every caller speaks again 200 ms into every reply (barge-in latency)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--report-only", action="store_true",
                   help="rebuild the table and plot from OUT/capacity-PROFILE.jsonl")
    args = p.parse_args()
    jsonl = os.path.join(args.out, f"capacity-{args.profile}.jsonl")
    if args.report_only:
        rows = [json.loads(line) for line in open(jsonl)]
        for r in rows:  # the floor may have been refined since the run
            r["latency_floor_ms"] = latency_floor(r["profile"])
            r["overhead_p50_ms"] = round(r["latency_p50_ms"] - r["latency_floor_ms"], 1)
            r["overhead_p99_ms"] = round(r["latency_p99_ms"] - r["latency_floor_ms"], 1)
        print(table(rows))
        plot(rows, os.path.join(args.out, f"capacity-{args.profile}.png"), args.profile)
        return
    os.makedirs(args.out, exist_ok=True)
    logdir = os.path.join(args.out, "logs")
    os.makedirs(logdir, exist_ok=True)
    rows = []
    with open(jsonl, "w") as f:
        for calls in [int(x) for x in args.steps.split(",")]:
            try:
                row = run_step(args, calls, args.profile, logdir)
            except RuntimeError as e:
                print(f"step {calls}: {e}", file=sys.stderr)
                break
            rows.append(row)
            f.write(json.dumps(row) + "\n")
            f.flush()
            print(json.dumps(row), file=sys.stderr)
    print(table(rows))
    if rows:
        plot(rows, os.path.join(args.out, f"capacity-{args.profile}.png"), args.profile)


if __name__ == "__main__":
    main()
