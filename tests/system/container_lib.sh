# Shared by the real-systemd test scripts (tests/system/nspawn_test.sh,
# tests/packaging/deb_install_test.sh): step reporting, and commands run inside the booted
# container whose PID 1 is $L (host pid). Source it; it defines functions only.

step() { STEP=$*; printf '\n== %s\n' "$*"; }
pass() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAIL (%s): %s\n' "$STEP" "$*" >&2; exit 1; }
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
