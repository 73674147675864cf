#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh "$@"
ulimit -n 65536 2>/dev/null || true
cd "${BUILD_DIR:-build}"
# A failing test is run once more before it counts as failed: the integration tests drive
# real processes over real sockets, and a rare lost close frame was seen once (see
# docs/operations.md, "Known issues"). A test that fails twice fails the run.
ctest --output-on-failure -j "$(nproc)" --repeat until-pass:2
