#!/usr/bin/env bash
# Runs the tests matching a CTest regex N times in a row under load, stopping at the first
# failure: the check a test passes before it is called stable (docs/testing.md).
#   scripts/stress.sh -R 'scale-in|SIGTERM' -n 20           # one busy loop per core beside
#   scripts/stress.sh -R 'frozen home' -n 10 --load 0 -j 1
# Each run is one `ctest -R REGEX -j J`; the load is plain busy loops at normal priority
# (--load of them, one per core by default), so the tests run on cores that are already
# taken, as on a shared CI machine. On a failure it prints the run number and that run's
# whole output (the failing test's, with --output-on-failure) and exits 1; 0 = every run
# passed. The output of every run is kept in $BUILD_DIR/stress/run-N.log.
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: $0 -R REGEX [-n N] [--load K] [-j J] [-E EXCLUDE]" >&2; exit 2; }
regex="" exclude="" n=20 load=$(nproc) jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    -R) regex="$2"; shift 2 ;;
    -E) exclude="$2"; shift 2 ;;
    -n) n="$2"; shift 2 ;;
    --load) load="$2"; shift 2 ;;
    -j) jobs="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$regex" ] || usage
build="${BUILD_DIR:-build}"
[ -d "$build" ] || { echo "stress: no build directory $build (scripts/build.sh first)" >&2; exit 2; }
cd "$build"
selection=(-R "$regex")
[ -z "$exclude" ] || selection+=(-E "$exclude")
count=$(ctest -N "${selection[@]}" | sed -n 's/^Total Tests: //p')
[ "${count:-0}" -gt 0 ] || { echo "stress: no test matches '$regex'" >&2; exit 2; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in $(seq 1 "$load"); do
  ( while :; do :; done ) &
  pids+=($!)
done
ulimit -n 65536 2>/dev/null || true
mkdir -p stress
rm -f stress/run-*.log
echo "stress: $count tests matching '$regex' x$n, -j$jobs, $load busy loops"
start=$(date +%s)
for i in $(seq 1 "$n"); do
  log="stress/run-$i.log"
  t0=$(date +%s)
  if ctest "${selection[@]}" -j "$jobs" --output-on-failure >"$log" 2>&1; then
    echo "stress: run $i/$n passed ($(( $(date +%s) - t0 )) s)"
  else
    echo "stress: run $i/$n FAILED ($(( $(date +%s) - t0 )) s); its output ($build/$log):"
    cat "$log"
    echo "stress: '$regex' failed on run $i of $n, $load busy loops, -j$jobs"
    exit 1
  fi
done
echo "stress: '$regex' passed $n runs of $count tests, $load busy loops, -j$jobs," \
     "in $(( $(date +%s) - start )) s"
