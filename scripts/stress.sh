#!/usr/bin/env bash
# Runs the tests matching a CTest regex N times in a row under load, stopping at the first
# failure: the check a test passes before it is called stable (docs/testing.md).
#   scripts/stress.sh -R 'garbage|refused upgrades' -n 20          # 2 busy loops beside
#   scripts/stress.sh -R 'frozen home' -n 10 --load 0 -j 1
# The load is plain busy loops (one per --load), so the tests run on cores that are
# already taken, as on a shared CI machine. Exit code: CTest's (0 = every repeat passed).
set -euo pipefail
cd "$(dirname "$0")/.."
regex="" n=20 load=2 jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    -R) regex="$2"; shift 2 ;;
    -n) n="$2"; shift 2 ;;
    --load) load="$2"; shift 2 ;;
    -j) jobs="$2"; shift 2 ;;
    *) echo "usage: $0 -R REGEX [-n N] [--load K] [-j J]" >&2; exit 2 ;;
  esac
done
[ -n "$regex" ] || { echo "usage: $0 -R REGEX [-n N] [--load K] [-j J]" >&2; exit 2; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq 1 "$load"); do
  ( while :; do :; done ) &
  pids+=($!)
done
ulimit -n 65536 2>/dev/null || true
cd "${BUILD_DIR:-build}"
start=$(date +%s)
set +e
ctest -R "$regex" --repeat until-fail:"$n" -j "$jobs" --output-on-failure
code=$?
set -e
echo "stress: '$regex' x$n with $load busy loops, -j$jobs: exit $code in $(( $(date +%s) - start )) s"
exit $code
