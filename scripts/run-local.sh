#!/usr/bin/env bash
# Sets up, builds, and runs a node on cluster.ini together with the provider simulator
# (cluster.ini points every provider at it on 127.0.0.1:9300). Ctrl-C stops both.
# Real provider keys in DEEPGRAM_API_KEY / OPENAI_API_KEY / ELEVENLABS_API_KEY are only
# used when cluster.ini points the providers at the real services.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ulimit -n 65536 2>/dev/null || true
export DEEPGRAM_API_KEY=${DEEPGRAM_API_KEY:-sim-key}
export OPENAI_API_KEY=${OPENAI_API_KEY:-sim-key}
export ELEVENLABS_API_KEY=${ELEVENLABS_API_KEY:-sim-key}
build/switchboard-provider-sim --listen 127.0.0.1:9300 --llm-first-token 150 \
  --llm-token-interval 20 --tts-first-byte 100 &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
build/switchboard node --config cluster.ini "$@"
