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
