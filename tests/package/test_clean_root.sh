#!/usr/bin/env bash
# The .deb on a Debian 12 with nothing else installed: debootstrap builds a minimal
# bookworm root (variant minbase) in a temporary directory, `apt-get install ./DEB` runs
# in it and must pull every dependency from Debian's repositories, then the node runs in
# that root as the service user with the packaged config until /health answers, and stops
# on SIGTERM. The build machine's libraries cannot hide a missing dependency here.
#
# It needs root, network access to a Debian mirror, and installs debootstrap on the
# machine if it is missing, so it runs only with SB_PACKAGE_TEST=1 (.ci/run sets it).
#   SB_PACKAGE_TEST=1 tests/package/test_clean_root.sh [DEB]
# Exit 0: passed, 1: failed, 77: skipped (the reason on stdout).
set -euo pipefail
skip() { echo "SKIP: $*"; exit 77; }
[ "${SB_PACKAGE_TEST:-}" = 1 ] ||
  skip "set SB_PACKAGE_TEST=1 to run it (debootstrap, a root filesystem in /tmp)"
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot)"
cd "$(dirname "$0")/../.."
DEB=${1:-$(ls build/switchboard_*.deb 2>/dev/null | head -n 1 || true)}
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "no .deb (run scripts/package.sh first)" >&2; exit 1; }
MIRROR=${SB_DEBIAN_MIRROR:-http://deb.debian.org/debian}

N=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
fail() { echo "not ok $((N + 1)) - $*" >&2; exit 1; }

if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
fi
ROOT=$(mktemp -d /tmp/sb-root-XXXXXX)
chmod 0755 "$ROOT"  # a root directory every user can enter
NODE_PID=""
cleanup() {
  if [ -n "$NODE_PID" ]; then kill -KILL "$NODE_PID" 2>/dev/null || true; fi
  umount "$ROOT/proc" 2>/dev/null || true
  # Only remove what this script created, and never across a mount that is still there.
  if ! grep -q " $ROOT/" /proc/mounts; then rm -rf --one-file-system "$ROOT"; fi
}
trap cleanup EXIT

START=$(date +%s)
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" > "$ROOT.debootstrap.log" 2>&1 ||
  { tail -20 "$ROOT.debootstrap.log" >&2; fail "debootstrap bookworm"; }
rm -f "$ROOT.debootstrap.log"
ok "a minimal Debian 12 root ($(( $(date +%s) - START )) s)"
mount -t proc proc "$ROOT/proc"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
cp "$DEB" "$ROOT/tmp/switchboard.deb"
in_root() { chroot "$ROOT" "$@"; }

in_root apt-get update -q > "$ROOT/tmp/apt.log" 2>&1 || { cat "$ROOT/tmp/apt.log" >&2; fail "apt-get update"; }
if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
     /tmp/switchboard.deb > "$ROOT/tmp/apt.log" 2>&1; then
  ok "apt-get install ./$(basename "$DEB"): $(grep -o '[0-9]* newly installed' "$ROOT/tmp/apt.log")"
else
  cat "$ROOT/tmp/apt.log" >&2; fail "apt-get install ./$(basename "$DEB") in a fresh Debian 12"
fi
in_root getent passwd switchboard >/dev/null && ok "the user switchboard" || fail "the user switchboard"
in_root setpriv --reuid=switchboard --regid=switchboard --init-groups \
  /usr/bin/switchboard check-config --config /etc/switchboard/cluster.ini >/dev/null &&
  ok "switchboard check-config on the packaged config" || fail "switchboard check-config"

# The unit's command, in the root, as the service user, on free ports.
EXEC=$(sed -n 's/^ExecStart=//p' "$ROOT/lib/systemd/system/switchboard.service")
WDIR=$(sed -n 's/^WorkingDirectory=//p' "$ROOT/lib/systemd/system/switchboard.service")
read -r -a CMD <<< "$EXEC"
install -d -m 0755 "$ROOT/run/sb-test"
in_root chown switchboard /run/sb-test
chroot "$ROOT" sh -c "cd $WDIR && exec setpriv --reuid=switchboard --regid=switchboard --init-groups \
  ${CMD[*]} --set node.listen=127.0.0.1:0 --set node.cluster_listen=127.0.0.1:0 \
  --port-file /run/sb-test/port" > "$ROOT/tmp/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 300); do
  [ -s "$ROOT/run/sb-test/port" ] && break
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$ROOT/tmp/node.log" >&2; fail "the node exited at start"; }
  sleep 0.1
done
[ -s "$ROOT/run/sb-test/port" ] || { cat "$ROOT/tmp/node.log" >&2; fail "no port file in 30 s"; }
HEALTH=$(curl -s -w ' %{http_code}' --max-time 5 "http://127.0.0.1:$(cat "$ROOT/run/sb-test/port")/health" || true)
if [[ "$HEALTH" == *'"status":"ok"'* && "${HEALTH##* }" == 200 ]]; then
  ok "/health answers 200 ok"
else
  echo "# /health: $HEALTH"; cat "$ROOT/tmp/node.log" >&2; fail "/health answers 200 ok"
fi
kill -TERM "$NODE_PID"
( sleep 120; kill -KILL "$NODE_PID" 2>/dev/null ) &
GUARD=$!
rc=0; wait "$NODE_PID" || rc=$?
kill "$GUARD" 2>/dev/null || true
NODE_PID=""
[ "$rc" -eq 0 ] && ok "SIGTERM: drained and exited 0" || { cat "$ROOT/tmp/node.log" >&2; fail "exit $rc on SIGTERM"; }
echo "1..$N"
