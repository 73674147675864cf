#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/, clang 14 + libFuzzer, ASan + UBSan) into
# ${BUILD_DIR:-build-fuzz} and runs each for a bounded time from its seed corpus
# (fuzz/corpus/TARGET). Fails on any crash, sanitizer report, leak, timeout (a hang) or
# out-of-memory; the input that did it is left in $BUILD_DIR/artifacts/.
#
#   scripts/fuzz.sh                      # every target, SB_FUZZ_SECONDS (8) each
#   SB_FUZZ_SECONDS=300 scripts/fuzz.sh twilio exotel   # longer, some targets
#   build-fuzz/fuzz/fuzz_twilio build-fuzz/artifacts/twilio-crash-...   # replay one
#
# New inputs the fuzzer finds go to $BUILD_DIR/corpus/TARGET (never into the seeds).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-fuzz}
SECONDS_EACH=${SB_FUZZ_SECONDS:-8}
TARGETS=(twilio exotel audio_codec deepgram_stt sse openai tts provider_errors rate_limit
         config http_request cluster_messages session_snapshot)
[ $# -gt 0 ] && TARGETS=("$@")

scripts/setup.sh  # clang-14 and libclang-rt-14-dev among the rest

CC=${CC:-clang-14} CXX=${CXX:-clang++-14} \
  cmake -S . -B "$BUILD_DIR" -G Ninja -DSB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" >/dev/null
cmake --build "$BUILD_DIR" -j "${SB_FUZZ_JOBS:-$(nproc)}"

mkdir -p "$BUILD_DIR/artifacts"
failed=()
printf '%-18s %10s %8s %6s %6s %6s\n' target runs exec/s seeds found result
for t in "${TARGETS[@]}"; do
  seeds=fuzz/corpus/$t
  work=$BUILD_DIR/corpus/$t
  log=$BUILD_DIR/fuzz-$t.log
  [ -d "$seeds" ] || { echo "no seed corpus $seeds" >&2; exit 2; }
  mkdir -p "$work"
  # -timeout: one input that takes longer is a hang; -rss_limit_mb: more memory (or
  # one allocation above it) is a failure; leaks are found after each input
  # (LeakSanitizer). Inputs grow up to 4 KB or the largest seed.
  rc=0
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$BUILD_DIR/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$BUILD_DIR/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  nseeds=$(find "$seeds" -type f | wc -l)
  found=$(find "$work" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ] || grep -q -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:" "$log"; then
    result=FAILED
    failed+=("$t")
  fi
  printf '%-18s %10s %8s %6s %6s %6s\n' "$t" "${runs:-?}" "${speed:-?}" "$nseeds" "$found" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo "== fuzz_$t failed ($BUILD_DIR/fuzz-$t.log):" >&2
    grep -m1 -A30 -E "ERROR:|runtime error:|property violated" "$BUILD_DIR/fuzz-$t.log" >&2 || \
      tail -30 "$BUILD_DIR/fuzz-$t.log" >&2
  done
  ls "$BUILD_DIR"/artifacts/ >&2
  echo "fuzz: $(( ${#TARGETS[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
  exit 1
fi
echo "each target ran ${SECONDS_EACH} s: no crash, sanitizer report, leak or hang"
echo "fuzz: ${#TARGETS[@]} passed, 0 failed"
