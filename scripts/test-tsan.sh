#!/usr/bin/env bash
# The ThreadSanitizer phase (docs/testing.md): CAF 0.17.6 built with TSan into a prefix
# (once; scripts/build-caf-tsan.sh), switchboard's TSan tree against it, the whole suite,
# then every test's output and the logs of the nodes and simulators the tests start are
# read: any `WARNING: ThreadSanitizer` fails the phase, even in a test that passed. The
# canary test that must see a race (tsan_reports_a_real_race) is the one exception.
#   scripts/test-tsan.sh                  # prefix /opt/caf-tsan, tree build-tsan
#   SB_CAF_TSAN=/path scripts/test-tsan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${SB_CAF_TSAN:-/opt/caf-tsan}"
export BUILD_DIR="${BUILD_DIR:-build-tsan}"
scripts/setup.sh
t0=$(date +%s)
scripts/build-caf-tsan.sh "$prefix"
t1=$(date +%s)
scripts/build.sh -DSB_SANITIZE=thread -DCMAKE_PREFIX_PATH="$prefix"
t2=$(date +%s)
# Every report is collected (not only the first), and each process that had one exits 66.
export TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
rm -rf /tmp/sb-*
ulimit -n 65536 2>/dev/null || true
rc=0
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$(nproc)") || rc=$?
t3=$(date +%s)
echo "TSan phase: CAF $((t1 - t0)) s, build $((t2 - t1)) s, suite $((t3 - t2)) s"
[ "$rc" -eq 0 ] || exit "$rc"
# LastTest.log holds the whole output of every test, passed or not. Its sections start
# with "<n>/<m> Test: <name>"; the canary's expected report is left out.
reports=$(awk '/^[0-9]+\/[0-9]+ Test: /{name=substr($0, index($0, "Test: ") + 6)} /WARNING: ThreadSanitizer/ && name != "tsan_reports_a_real_race" {print name}' \
            "$BUILD_DIR/Testing/Temporary/LastTest.log" | sort | uniq -c)
logs=$(grep -l "WARNING: ThreadSanitizer" /tmp/sb-*/*.log 2>/dev/null || true)
if [ -n "$reports" ] || [ -n "$logs" ]; then
  echo "ThreadSanitizer reports:" >&2
  [ -z "$reports" ] || echo "$reports" >&2
  for f in $logs; do
    echo "== $f" >&2
    grep -A 24 "WARNING: ThreadSanitizer" "$f" | head -60 >&2
  done
  exit 1
fi
echo "no ThreadSanitizer report in the tests or in the processes they started"
