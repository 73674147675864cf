#!/usr/bin/env bash
# Sets up, builds, and runs a node on cluster.ini: the offline agent (pocketsphinx, the
# scripted dialog dialogs/order-status.ini, espeak-ng), no keys and no network needed.
#   scripts/run-local.sh --sim [ARGS...]   the cloud providers' clients against the provider
#                                          simulator on 127.0.0.1:9300 (sim.ini) instead
# Other arguments go to `switchboard node` (e.g. --set node.listen=0.0.0.0:8080).
# Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
SIM=0
if [ "${1:-}" = "--sim" ]; then SIM=1; shift; fi
scripts/setup.sh
scripts/build.sh
ulimit -n 65536 2>/dev/null || true
if [ "$SIM" = 0 ]; then
  exec build/switchboard node --config cluster.ini "$@"
fi
# Real provider keys in DEEPGRAM_API_KEY / OPENAI_API_KEY / ELEVENLABS_API_KEY are only
# used when the config points the providers at the real services.
export DEEPGRAM_API_KEY=${DEEPGRAM_API_KEY:-sim-key}
export OPENAI_API_KEY=${OPENAI_API_KEY:-sim-key}
export ELEVENLABS_API_KEY=${ELEVENLABS_API_KEY:-sim-key}
build/switchboard-provider-sim --listen 127.0.0.1:9300 --llm-first-token 150 \
  --llm-token-interval 20 --tts-first-byte 100 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT
build/switchboard node --config sim.ini "$@"
