#!/usr/bin/env bash
# Where a call's memory goes: the node under heaptrack (Debian package heaptrack) with
# CALLS concurrent calls of the realistic profile, the same settings as bench/capacity.py,
# for 30 s; then the heap at its peak, by the switchboard function that allocated it, in
# KB per call (bench/heap_owners.py).
#   bench/heap_profile.sh [BUILD] [CALLS] [OUT]      # build 250 /tmp/sb-heap
# Compare two builds: bench/heap_owners.py --calls 250 OUT1/peak.stacks OUT2/peak.stacks
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
calls=${2:-250}
out=${3:-/tmp/sb-heap}
sim_port=9381 node_port=8081 big=5000
command -v heaptrack >/dev/null || { echo "heap_profile: apt-get install heaptrack" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/heap.*
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
"$build/switchboard-provider-sim" --listen "127.0.0.1:$sim_port" --stt-final-latency 150 \
  --llm-first-token 350 --llm-token-interval 15 --tts-first-byte 120 --tts-ms-per-char 20 \
  >"$out/sim.log" 2>&1 &
pids+=($!)
sets=(node.listen=127.0.0.1:$node_port node.max_calls=$big stt.url=ws://127.0.0.1:$sim_port
      llm.url=http://127.0.0.1:$sim_port/v1 tts.url=http://127.0.0.1:$sim_port
      stt.endpointing=10ms log.level=warn)
for p in stt llm tts; do sets+=(pool.$p.max_active=$big pool.$p.max_queue=$big); done
args=(node --config "$here/../sim.ini")
for s in "${sets[@]}"; do args+=(--set "$s"); done
DEEPGRAM_API_KEY=bench OPENAI_API_KEY=bench ELEVENLABS_API_KEY=bench \
  heaptrack -o "$out/heap" "$build/switchboard" "${args[@]}" >"$out/node.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do
  curl -sf "127.0.0.1:$node_port/health" >/dev/null && break
  sleep 0.1
done
node=$(pgrep -f "^$build/switchboard node" | head -1)
"$build/switchboard-loadgen" --target "127.0.0.1:$node_port" --calls "$calls" --ramp-ms 5 \
  --turns 1000 --speech-ms 1000 --pause-ms 1000 --max-duration-s 30 --no-progress \
  >"$out/loadgen.json" 2>"$out/loadgen.err" || true
kill -TERM "$node"
wait "${pids[1]}" || true
heaptrack_print -f "$out"/heap.*zst -p 0 -a 0 -T 0 -l 0 --flamegraph-cost-type peak \
  -F "$out/peak.stacks" | grep 'peak heap'
python3 "$here/heap_owners.py" --calls "$calls" "$out/peak.stacks"
