#!/usr/bin/env bash
# The .deb on this machine: installs it with apt-get (as an operator would), checks the
# user, files, config and systemd unit it installed, runs the unit's ExecStart as the
# service user with the packaged config until /health answers, stops it with the unit's
# KillSignal and expects a clean exit within TimeoutStopSec, then purges the package and
# checks it left nothing behind. Where systemd is PID 1 it also starts the unit itself.
#
# It changes the machine (a package, a system user), so it runs only with
# SB_PACKAGE_TEST=1 (.ci/run sets it), as root, and never where switchboard is installed.
#   scripts/package.sh && SB_PACKAGE_TEST=1 tests/package/test_package.sh [DEB]
# Exit 0: passed, 1: failed, 77: skipped (the reason on stdout).
set -euo pipefail
skip() { echo "SKIP: $*"; exit 77; }
[ "${SB_PACKAGE_TEST:-}" = 1 ] ||
  skip "set SB_PACKAGE_TEST=1 to run it (it installs a package and adds a system user)"
[ "$(id -u)" -eq 0 ] || skip "needs root (apt-get install, a system user)"
cd "$(dirname "$0")/../.."

DEB=${1:-}
if [ -z "$DEB" ]; then
  DEB=$(ls build/switchboard_*.deb 2>/dev/null | head -n 1 || true)
fi
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "no .deb (run scripts/package.sh first)" >&2; exit 1; }
DEB=$(realpath "$DEB")
if dpkg-query -W -f='${Status}' switchboard 2>/dev/null | grep -q "ok installed"; then
  echo "switchboard is installed on this machine: not touching it" >&2; exit 1
fi
if getent passwd switchboard >/dev/null; then
  echo "a user switchboard exists on this machine: not touching it" >&2; exit 1
fi

N=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
fail() { echo "not ok $((N + 1)) - $*" >&2; exit 1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

WORK=$(mktemp -d /tmp/sb-pkg-XXXXXX)
chmod 0755 "$WORK"  # the service user reaches its run directory inside
NODE_PID=""
cleanup() {
  if [ -n "$NODE_PID" ]; then kill -KILL "$NODE_PID" 2>/dev/null || true; fi
  if dpkg-query -W -f='${Status}' switchboard 2>/dev/null | grep -q "installed"; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q switchboard >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Seconds of a config duration (30s, 250ms, 2m).
seconds() {
  case "$1" in
    *ms) echo $(( ${1%ms} / 1000 )) ;;
    *min) echo $(( ${1%min} * 60 )) ;;
    *m) echo $(( ${1%m} * 60 )) ;;
    *s) echo "${1%s}" ;;
    *) echo "$1" ;;
  esac
}

# --- the package file -------------------------------------------------------------------
VERSION=$(sed -n 's/^project(switchboard VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
ARCH=$(dpkg --print-architecture)
check "file name is switchboard_${VERSION}_${ARCH}.deb" \
  test "$(basename "$DEB")" = "switchboard_${VERSION}_${ARCH}.deb"
check "control: package switchboard, version $VERSION, architecture $ARCH" test \
  "$(dpkg-deb -f "$DEB" Package Version Architecture | tr '\n' ' ')" = \
  "Package: switchboard Version: $VERSION Architecture: $ARCH "
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
echo "# Depends: $DEPENDS"
has_dep() { printf '%s\n' "$DEPENDS" | tr ',' '\n' | sed 's/^ *//; s/[ (].*//' | grep -qx "$1"; }
check "depends on the libwebsockets libev plugin (loaded at run time)" has_dep libwebsockets-evlib-ev
check "depends on adduser (postinst)" has_dep adduser
# Every library the binaries link directly comes from a package in Depends (shlibdeps).
mkdir "$WORK/x"
dpkg-deb -x "$DEB" "$WORK/x"
missing=""
for bin in "$WORK"/x/usr/bin/*; do
  for soname in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
    path=$(ldconfig -p | awk -v s="$soname" '$1 == s && !found { print $NF; found = 1 }')
    [ -n "$path" ] || { missing="$missing $soname(not found)"; continue; }
    pkg=$(dpkg -S "$(realpath "$path")" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    # The package itself, or a virtual name it provides (libspdlog1.10-fmt9), is in Depends.
    found=""
    for name in "$pkg" $(dpkg-query -W -f='${Provides}' "$pkg" 2>/dev/null | tr ',' '\n' | sed 's/[ (].*//; s/^ *//'); do
      if has_dep "$name"; then found=1; fi
    done
    [ -n "$found" ] || missing="$missing $soname($pkg)"
  done
done
check "every linked library's package is in Depends${missing:+ (missing:$missing)}" test -z "$missing"
# The config's relative paths are resolved against its directory: the extracted tree's
# config finds the dialog installed next to it (etc/switchboard/dialogs), from anywhere.
check "the packaged config finds its dialog next to it (check-config on the unpacked tree, from /)" \
  sh -c "cd / && '$WORK/x/usr/bin/switchboard' check-config --config '$WORK/x/etc/switchboard/cluster.ini' >/dev/null"

# --- install ----------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" \
  > "$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log" >&2; fail "apt-get install $DEB"; }
ok "apt-get install ./$(basename "$DEB")"

IFS=: read -r _ _ SB_UID SB_GID _ SB_HOME SB_SHELL < <(getent passwd switchboard) ||
  fail "postinst created the user switchboard"
check "switchboard is a system user ($SB_UID < 1000) with no login shell, home /var/lib/switchboard" \
  test "$SB_UID" -lt 1000 -a "$SB_SHELL" = /usr/sbin/nologin -a "$SB_HOME" = /var/lib/switchboard
check "its group switchboard" test "$(getent group switchboard | cut -d: -f3)" = "$SB_GID"
for p in switchboard switchboard-provider-sim switchboard-loadgen; do
  check "/usr/bin/$p is installed and runs" sh -c "/usr/bin/$p --help >/dev/null"
done
check "/var/lib/switchboard and /var/log/switchboard belong to switchboard" test \
  "$(stat -c %U:%a /var/lib/switchboard) $(stat -c %U:%a /var/log/switchboard)" = \
  "switchboard:750 switchboard:750"

CONF=/etc/switchboard/cluster.ini
check "$CONF is root:switchboard 0640" test "$(stat -c %U:%G:%a "$CONF")" = "root:switchboard:640"
check "$CONF is a conffile (kept on upgrade)" sh -c \
  "dpkg-query -W -f='\${Conffiles}\n' switchboard | grep -q ' $CONF '"
check "other users cannot read $CONF" sh -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups cat $CONF >/dev/null 2>&1"
check "the packaged config keeps transcripts in the state directory" \
  grep -qx 'transcripts = sqlite:/var/lib/switchboard/transcripts.db' "$CONF"
check "the service user validates the packaged config (switchboard check-config)" sh -c \
  "cd /var/lib/switchboard && setpriv --reuid=switchboard --regid=switchboard --init-groups \
     /usr/bin/switchboard check-config --config $CONF >/dev/null"
DIALOG=/etc/switchboard/dialogs/order-status.ini
check "$DIALOG (the config's dialog = dialogs/order-status.ini) is a conffile" sh -c \
  "dpkg-query -W -f='\${Conffiles}\n' switchboard | grep -q ' $DIALOG '"
check "the service user can read $DIALOG" sh -c \
  "setpriv --reuid=switchboard --regid=switchboard --init-groups cat $DIALOG >/dev/null"

# --- the unit ---------------------------------------------------------------------------
UNIT=/lib/systemd/system/switchboard.service
check "$UNIT is installed" test -f "$UNIT"
key() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
if command -v systemd-analyze >/dev/null; then
  if systemd-analyze verify "$UNIT" > "$WORK/verify.log" 2>&1; then
    ok "systemd-analyze verify $UNIT"
  else
    cat "$WORK/verify.log" >&2; fail "systemd-analyze verify $UNIT"
  fi
else
  echo "# systemd-analyze not installed: unit not verified"
fi
check "runs as User=switchboard Group=switchboard" test "$(key User):$(key Group)" = "switchboard:switchboard"
check "logs to the journal" test "$(key StandardOutput):$(key StandardError)" = "journal:journal"
DRAIN=$(sed -n '/^\[node\]/,/^\[/s/^drain_timeout = //p' "$CONF")
STOP=$(key TimeoutStopSec)
check "TimeoutStopSec ($STOP) is longer than the packaged node.drain_timeout ($DRAIN)" \
  test "$(seconds "$STOP")" -gt "$(seconds "$DRAIN")"
NOFILE=$(key LimitNOFILE)
check "LimitNOFILE ($NOFILE) allows thousands of calls" test "$NOFILE" -ge 16384
check "SIGTERM stops it (the node drains on SIGTERM)" test "$(key KillSignal)" = SIGTERM

# --- the unit's command, as the service user, with the packaged config ------------------
EXEC=$(key ExecStart)
WDIR=$(key WorkingDirectory)
ENVFILE=$(key EnvironmentFile); ENVFILE=${ENVFILE#-}
[ -n "$EXEC" ] && [ -d "$WDIR" ] || fail "ExecStart and WorkingDirectory in $UNIT"
echo "# ExecStart: $EXEC"
ENVV=(PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$SB_HOME")
if [ -f "$ENVFILE" ]; then mapfile -t -O 2 ENVV < <(grep -v '^#' "$ENVFILE" | grep '='); fi
install -d -o switchboard -g switchboard "$WORK/run"
# systemd would raise the limit to LimitNOFILE; a container may cap the hard limit below it.
LIMIT=$NOFILE
if ! (ulimit -n "$NOFILE") 2>/dev/null; then
  LIMIT=$(ulimit -Hn)
  echo "# this machine's hard limit on open files is $LIMIT: the node runs with it, not $NOFILE"
fi
# Any free ports, so the test never collides with a node running on this machine.
read -r -a CMD <<< "$EXEC"
CMD+=(--set node.listen=127.0.0.1:0 --set node.cluster_listen=127.0.0.1:0
      --port-file "$WORK/run/port")
(
  cd "$WDIR"
  ulimit -n "$LIMIT"
  exec setpriv --reuid=switchboard --regid=switchboard --init-groups \
    env -i "${ENVV[@]}" "${CMD[@]}" > "$WORK/node.log" 2>&1
) &
NODE_PID=$!
for _ in $(seq 1 300); do
  [ -s "$WORK/run/port" ] && break
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.log" >&2; fail "the node exited at start"; }
  sleep 0.1
done
[ -s "$WORK/run/port" ] || { cat "$WORK/node.log" >&2; fail "the node wrote no port file in 30 s"; }
PORT=$(cat "$WORK/run/port")
HEALTH=$(curl -s -w ' %{http_code}' --max-time 5 "http://127.0.0.1:$PORT/health" || true)
echo "# /health: $HEALTH"
health_ok() {
  [[ "$HEALTH" == *'"status":"ok"'* && "$HEALTH" == *'"node":"node-1"'* && "${HEALTH##* }" == 200 ]]
}
check "/health answers 200 ok from node-1" health_ok
check "the node runs as switchboard" test "$(stat -c %U "/proc/$NODE_PID")" = switchboard
check "with $LIMIT open files allowed" sh -c \
  "awk '/Max open files/ { exit !(\$4 == $LIMIT) }' /proc/$NODE_PID/limits"
START=$(date +%s)
kill -TERM "$NODE_PID"
( sleep "$(seconds "$STOP")"; kill -KILL "$NODE_PID" 2>/dev/null ) &
GUARD=$!
rc=0; wait "$NODE_PID" || rc=$?
kill "$GUARD" 2>/dev/null || true
NODE_PID=""
check "SIGTERM: the node drained and exited 0 within TimeoutStopSec (rc $rc, $(( $(date +%s) - START )) s)" \
  test "$rc" -eq 0
check "it logged its drain" grep -qi "drain" "$WORK/node.log"
check "its transcript store is /var/lib/switchboard/transcripts.db, owned by switchboard" \
  test "$(stat -c %U /var/lib/switchboard/transcripts.db 2>/dev/null)" = switchboard

# --- the unit itself, where systemd runs the machine ------------------------------------
if [ -d /run/systemd/system ]; then
  systemctl start switchboard
  LISTEN=$(sed -n '/^\[node\]/,/^\[/s/^listen = //p' "$CONF")
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "http://$LISTEN/health" && break
    sleep 0.1
  done
  check "systemctl start switchboard: /health on $LISTEN" curl -sf -o /dev/null "http://$LISTEN/health"
  check "journald has its log" sh -c "journalctl -u switchboard --no-pager | grep -q ."
  systemctl stop switchboard
  check "systemctl stop: inactive" sh -c "! systemctl is-active -q switchboard"
else
  echo "# systemd is not PID 1 here ($(cat /proc/1/comm)): the unit's command was run directly"
fi

# --- purge ------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q switchboard > "$WORK/apt.log" 2>&1 ||
  { cat "$WORK/apt.log" >&2; fail "apt-get purge switchboard"; }
ok "apt-get purge switchboard"
check "purge removed the binaries, unit, config, state, logs, the user and its group" sh -c \
  "! test -e /usr/bin/switchboard && ! test -e $UNIT && ! test -e /etc/switchboard &&
   ! test -e /var/lib/switchboard && ! test -e /var/log/switchboard &&
   ! getent passwd switchboard >/dev/null && ! getent group switchboard >/dev/null"
echo "1..$N"
