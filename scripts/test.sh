#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh "$@"
ulimit -n 65536 2>/dev/null || true
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)"
