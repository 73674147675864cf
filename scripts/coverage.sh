#!/usr/bin/env bash
# Line and branch coverage of the whole suite (docs/testing.md, "Coverage"): a gcov build
# in build-cov (-DSB_COVERAGE=ON, -O0), the suite run once (the nodes, simulators and
# callers the tests start write their counters too when they exit), then lcov's
# totals per source folder, and the per-file report in build-cov/coverage/.
#   scripts/coverage.sh            # build, run, report
#   SB_COVERAGE_RUN=0 scripts/coverage.sh   # report the counters of an earlier run
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR="${BUILD_DIR:-build-cov}"
scripts/setup.sh
if ! command -v lcov >/dev/null; then
  sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  sudo_ apt-get install -y -q --no-install-recommends lcov
fi
if [ "${SB_COVERAGE_RUN:-1}" != 0 ]; then
  scripts/build.sh -DSB_COVERAGE=ON
  find "$BUILD_DIR" -name '*.gcda' -delete
  ulimit -n 65536 2>/dev/null || true
  # A failing test is reported, and its counters still count.
  (cd "$BUILD_DIR" && ctest -j "$(nproc)" --output-on-failure) || echo "(some tests failed; coverage is of this run)"
fi
out="$BUILD_DIR/coverage"
mkdir -p "$out"
lcov -q --rc lcov_branch_coverage=1 --capture --directory "$BUILD_DIR" \
     --base-directory "$PWD/$BUILD_DIR" -o "$out/all.info" 2>"$out/lcov.err" || {
  cat "$out/lcov.err" >&2; exit 1; }
# Only switchboard's own sources: not the tests, their support code or generated files.
lcov -q --rc lcov_branch_coverage=1 --extract "$out/all.info" "$PWD/*" -o "$out/ours.info" \
     2>>"$out/lcov.err"
lcov -q --rc lcov_branch_coverage=1 --remove "$out/ours.info" "$PWD/tests/*" "$PWD/build*" \
     "$PWD/fuzz/*" "$PWD/bench/*" -o "$out/src.info" 2>>"$out/lcov.err"
lcov -q --rc lcov_branch_coverage=1 --list "$out/src.info" > "$out/files.txt" 2>>"$out/lcov.err" || true
python3 scripts/coverage_per_folder.py "$out/src.info" "$PWD" | tee "$out/folders.md"
