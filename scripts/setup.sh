#!/usr/bin/env bash
# Installs what switchboard needs to build, test and run on Debian 12.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache curl
  libcaf-dev libwebsockets-dev libwebsockets-evlib-ev libev-dev nlohmann-json3-dev
  libspdlog-dev catch2 prometheus-cpp-dev libinih-dev libcli11-dev libssl-dev libreadline-dev
  openssl ca-certificates prometheus libhiredis-dev redis-server libsqlite3-dev
  libpq-dev postgresql  # the PostgreSQL store and the server its tests start
  libcurl4-openssl-dev libxml2-dev  # net/aws: IMDSv2 and the AWS APIs
  python3  # tests/support/aws_fake.py: the tests' IMDS, Auto Scaling and EC2
  clang-14 libclang-rt-14-dev  # the fuzz targets (scripts/fuzz.sh): clang and libFuzzer
  chromium  # the softphone's browser test (tests/browser/run.sh; Node.js as for deploy/aws)
  # The offline providers (net/speech): recogniser, its English model, synthesiser,
  # resampler; the espeak-ng command makes the end-to-end test's caller audio.
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us libespeak-ng-dev espeak-ng libsoxr-dev
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
