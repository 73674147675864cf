#!/usr/bin/env bash
# The AWS CDK app's checks (deploy/aws): a clean install from package-lock.json, the type
# check, the tests (node:test with aws-cdk-lib/assertions) and a synthesis, all without AWS
# credentials. Needs Node.js 20 or later with npm. With a built node in
# ${BUILD_DIR:-build}, the tests also run `switchboard check-config` on the config the
# nodes' user data writes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT/deploy/aws"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ] || ! command -v npm >/dev/null; then
  echo "deploy/aws needs Node.js 20 or later and npm (found: $(node -v 2>/dev/null || echo none))" >&2
  exit 1
fi
BIN="$ROOT/${BUILD_DIR:-build}/switchboard"
[ -x "$BIN" ] && export SB_SWITCHBOARD_BIN="$BIN"
export CDK_DISABLE_CLI_TELEMETRY=true
npm ci --no-audit --no-fund
npx tsc --noEmit
npm test
npx cdk synth -q
