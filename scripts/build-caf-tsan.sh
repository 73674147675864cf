#!/usr/bin/env bash
# Builds CAF 0.17.6 (core, io, openssl) with ThreadSanitizer into a prefix, from the
# upstream tree that Debian's source package of libcaf-dev carries (the same version and
# headers as the installed one), so that a TSan build of switchboard sees CAF's own
# synchronisation (docs/testing.md, "ThreadSanitizer"). Needs a deb-src entry for
# deb.debian.org bookworm main (added here when missing). Usage:
#   scripts/build-caf-tsan.sh [PREFIX]        # default /opt/caf-tsan
#   BUILD_DIR=build-tsan scripts/build.sh -DSB_SANITIZE=thread -DCMAKE_PREFIX_PATH=/opt/caf-tsan
set -euo pipefail
prefix="${1:-/opt/caf-tsan}"
if [ -f "$prefix/lib/libcaf_core.so" ]; then
  echo "CAF with TSan is already in $prefix"
  exit 0
fi
sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
src_list=/etc/apt/sources.list.d/debian-src.sources
if ! grep -rqs "^Types: deb-src" /etc/apt/sources.list.d/ && ! grep -qs "^deb-src" /etc/apt/sources.list; then
  sudo_ tee "$src_list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  sudo_ apt-get update -qq
fi
work="$(mktemp -d /tmp/caf-tsan.XXXXXX)"
cd "$work"
# The Debian patch tarball may be missing from the mirror: the upstream tree is enough, with
# <limits> included everywhere (GCC 12 no longer pulls it in; receive_buffer.hpp needs it).
apt-get source --download-only actor-framework >/dev/null 2>&1 || true
tar xzf actor-framework_0.17.6.orig.tar.gz
cmake -S actor-framework-0.17.6 -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer -O1 -g -include limits" \
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_TOOLS=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_PYTHON=yes \
  -DCAF_NO_OPENCL=yes -DCAF_NO_SUMMARY=yes >/dev/null
cmake --build build -j "$(nproc)"
sudo_ cmake --install build >/dev/null
rm -rf "$work"
echo "CAF 0.17.6 with TSan installed in $prefix"
