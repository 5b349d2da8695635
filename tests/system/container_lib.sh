# Shared by the real-systemd test scripts (tests/system/nspawn_test.sh,
# tests/packaging/deb_install_test.sh, tests/bench/unit_bench.sh): step reporting, booting a
# container over / with a staged install, and commands run inside the booted container whose
# PID 1 is $L (host pid). Source it; it defines functions only. boot, power_off and remove_memcg
# use the caller's W (a work directory), STAGE (a DESTDIR install with --prefix /usr/local),
# MACHINE (the container's name) and set NSPAWN_PID, L and MEMCG.

step() { STEP=$*; printf '\n== %s\n' "$*"; }
pass() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAIL (%s): %s\n' "$STEP" "$*" >&2; exit 1; }
# Powers the container off (killing systemd-nspawn if it does not stop within 15 s).
power_off() {
  [[ -n "$NSPAWN_PID" ]] && kill -0 "$NSPAWN_PID" 2>/dev/null || { NSPAWN_PID=; return 0; }
  # shellcheck disable=SC2015  # best effort: poweroff may fail, the kill below follows
  [[ -n "$L" && -d /proc/$L ]] && inside systemctl poweroff --no-block >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 15))
  while kill -0 "$NSPAWN_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$NSPAWN_PID" 2>/dev/null; then
    echo "container did not power off within 15s: killing systemd-nspawn (pid $NSPAWN_PID)" >&2
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  wait "$NSPAWN_PID" 2>/dev/null || true
  NSPAWN_PID=
}

# The cgroups the container's systemd made in its memory cgroup go with it, deepest first.
remove_memcg() {
  [[ -n "$MEMCG" && -d "$MEMCG" ]] || return 0
  find "$MEMCG" -depth -type d -exec rmdir {} + 2>/dev/null || true
  [[ -d "$MEMCG" ]] && echo "WARNING: could not remove $MEMCG" >&2
  MEMCG=
}

# boot [v2]: systemd in a container over / with the stage's /usr overlaid; sets NSPAWN_PID and L.
# On a host with a v1 memory hierarchy the container starts in a memory cgroup of its own, so
# that another test's container never shares its cgroups.
boot() {
  local unified=${1:-}
  systemd-id128 new >"$W/machine-id"   # a known machine-id: no first boot, nothing auto-enabled
  local host_memcg
  host_memcg=/sys/fs/cgroup/memory$(sed -n 's/^[0-9]*:memory:\(.*\)$/\1/p' /proc/self/cgroup)
  if [[ -z $unified && -w $host_memcg/cgroup.procs ]]; then
    MEMCG=$host_memcg/$MACHINE
    mkdir -p "$MEMCG"
  fi
  (
    [[ -n $MEMCG ]] && echo "$BASHPID" >"$MEMCG/cgroup.procs"
    [[ -n $unified ]] && export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
    exec systemd-nspawn -b -D / --volatile=yes --register=no --keep-unit -M "$MACHINE" --private-network \
      --overlay-ro=/usr:"$STAGE/usr":/usr --bind-ro="$W/machine-id":/etc/machine-id --console=pipe \
      --bind-ro="$STAGE/usr/local/share/dbus-1/system.d/org.slothrunner.Agent1.conf":/etc/dbus-1/system.d/org.slothrunner.Agent1.conf \
      systemd.mask=systemd-firstboot.service systemd.mask=systemd-machine-id-commit.service \
      systemd.mask=systemd-networkd.service
  ) </dev/null >"$W/nspawn.log" 2>&1 &
  NSPAWN_PID=$!
  find_pid1() { L=$(pgrep -P "$NSPAWN_PID" -x systemd) && [[ -S /proc/$L/root/run/systemd/private ]]; }
  wait_for 20 "the container's systemd (PID 1) and its private bus" find_pid1
  local state
  state=$(timeout 30 nsenter -t "$L" -a systemctl is-system-running --wait 2>&1 || true)
  [[ $state == running ]] || { inside systemctl --no-pager --failed >&2 || true; fail "system state is '$state'"; }
}

# Run a command inside the container (all its namespaces, its root).
inside() { nsenter -t "$L" -a "$@"; }
# A unit property, e.g. prop slothd.service ActiveState.
prop() { inside systemctl show -P "$2" "$1"; }
prop_is() { [[ "$(prop "$1" "$2")" == "$3" ]]; }
# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "timed out after ${limit}s waiting for: $what"
    sleep 0.1
  done
}
# The loaded task units (sloth-task-*.service), one name per line; empty when none.
task_units() { inside systemctl list-units --all --plain --no-legend 'sloth-task-*' | awk '{print $1}'; }
no_task_units() { [[ -z $(task_units) ]]; }
# Asks slothd-launcher, as user $1, for each JSON request given (a start request gets three
# descriptors of a pipe); prints one reply per request, or "connect: ERROR" when refused at the door.
ask_launcher() {
  local user=$1; shift
  inside setpriv --reuid="$user" --regid="$(inside id -g "$user")" --clear-groups python3 - "$@" <<'PY'
import json, os, socket, sys
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("/run/slothd/launcher.sock")
except OSError as e:
    print(f"connect: {e.strerror}")
    sys.exit(0)
r, w = os.pipe()
for text in sys.argv[1:]:
    fds = [r, w, w] if json.loads(text).get("op") == "start" else []
    socket.send_fds(s, [text.encode()], fds)
    print(s.recv(4096).decode())
PY
}
