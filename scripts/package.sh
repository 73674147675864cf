#!/usr/bin/env bash
# Builds build/switchboard_<version>_<arch>.deb: the binaries, /etc/switchboard/cluster.ini,
# the systemd unit, and the maintainer scripts that create the switchboard user. Uses (and
# builds) ${BUILD_DIR:-build}; extra arguments go to CMake. Install with
#   apt-get install ./build/switchboard_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
scripts/setup.sh
# CPack's dependency computation runs dpkg-shlibdeps (dpkg-dev) and file.
if ! command -v dpkg-shlibdeps >/dev/null || ! command -v file >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends dpkg-dev file
fi
scripts/build.sh "$@"
rm -f "$BUILD_DIR"/switchboard_*.deb
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
ls "$BUILD_DIR"/switchboard_*.deb
