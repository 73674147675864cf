#!/usr/bin/env bash
# The softphone (GET /phone) in a real browser: Debian's chromium, headless, driven by
# puppeteer-core (exact pin in package-lock.json, installed here with npm ci into the
# build directory), its microphone a WAV of espeak-ng speech. See docs/softphone.md.
#   tests/browser/run.sh BUILD_DIR [TEST]   (CTest runs it: ctest -L browser)
# TEST: phone (default: phone.test.js, the provider simulator) or phone-dialog
# (phone-dialog.test.js, the offline agent of cluster.ini walking its example dialog).
# SB_PHONE_CONFIG: the node's config (default tests/browser/node-sim.ini for phone,
# cluster.ini for phone-dialog).
# SB_CHROMIUM: the browser binary (default: chromium on PATH).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../../build}" && pwd)
TEST=${2:-phone}
fail() { echo "FAIL: $*" >&2; exit 1; }
CHROMIUM=${SB_CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] ||
  fail "chromium not found: scripts/setup.sh installs Debian's chromium (or set SB_CHROMIUM)"
command -v espeak-ng >/dev/null || fail "espeak-ng not found: scripts/setup.sh installs it"
command -v npm >/dev/null || fail "npm not found (Node.js 18 or later with npm)"
[ -f "$HERE/$TEST.test.js" ] || fail "no test $TEST (tests/browser/$TEST.test.js)"
[ -x "$BUILD/switchboard" ] || fail "no $BUILD/switchboard: build first"
[ -x "$BUILD/switchboard-provider-sim" ] || fail "no $BUILD/switchboard-provider-sim"

# puppeteer-core from the lockfile, once per lockfile change (npm ci wipes and refills).
DEPS="$BUILD/browser-test"
mkdir -p "$DEPS"
want=$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$DEPS/.lock-sha256" 2>/dev/null)" != "$want" ]; then
  cp "$HERE/package.json" "$HERE/package-lock.json" "$DEPS/"
  (cd "$DEPS" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed"
  echo "$want" > "$DEPS/.lock-sha256"
fi

export NODE_PATH="$DEPS/node_modules"
export SB_CHROMIUM="$CHROMIUM" SB_BUILD_DIR="$BUILD" SB_SOURCE_DIR="$(cd "$HERE/../.." && pwd)"
exec node "$HERE/$TEST.test.js"
