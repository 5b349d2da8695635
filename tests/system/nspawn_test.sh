#!/usr/bin/env bash
# The real-systemd tier: install slothd into a staging tree, boot a real systemd (PID 1) inside a
# systemd-nspawn container over the host's /usr with the stage's /usr/local overlaid, and check
# the units as users meet them: verify, socket activation, readiness and status, a task and its
# journal fields, reload (good and bad file), watchdog kill-and-restart, stop, exposure score.
# See doc/systemd-testing.md for why it is driven this way.
#
# Usage: nspawn_test.sh BUILD_DIR   (or SLOTH_BUILD_DIR=...). Needs root and systemd-nspawn
# (systemd-container, installed by packaging/install-deps.sh); exits 77 (skipped) without them.
# Every wait polls a condition against a deadline; the whole run takes about 15 s.
set -euo pipefail

BUILD=$(realpath "${1:-${SLOTH_BUILD_DIR:-}}" 2>/dev/null || true)
if [[ -z "$BUILD" || ! -x "$BUILD/daemon/slothd" || ! -x "$BUILD/ctl/slothctl" ]]; then
  echo "usage: $0 BUILD_DIR (with daemon/slothd and ctl/slothctl built)" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root (systemd-nspawn)"; exit 77; fi
for tool in systemd-nspawn nsenter systemd-id128 curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (packaging/install-deps.sh)"; exit 77; }
done

T0=$SECONDS
W=$(mktemp -d /tmp/slothd-nspawn.XXXXXX)
STAGE=$W/stage
MACHINE=slothd-test-$$
NSPAWN_PID=
L=
STEP="setup"
OK=0
WARNINGS=()

# shellcheck source=container_lib.sh
. "$(dirname "$(readlink -f "$0")")/container_lib.sh"
warn() { printf '   WARN: %s\n' "$*"; WARNINGS+=("$*"); }
# Number of journal records of slothd.service matching the given FIELD=VALUE terms.
journal_count() { inside journalctl -q -u slothd.service -o cat "$@" | wc -l; }
journal_count_above() { local n=$1; shift; (($(journal_count "$@") > n)); }

cleanup() {
  local rc=$?
  if [[ $rc -ne 0 && $OK -ne 1 && -n "$L" && -d /proc/$L ]]; then
    echo "---- journalctl -b of the container (last 300 lines; failed step: $STEP) ----" >&2
    inside journalctl -b --no-pager -n 300 >&2 || true
    echo "---- systemctl status slothd* ----" >&2
    inside systemctl --no-pager status 'slothd*' >&2 || true
  fi
  if [[ -n "$NSPAWN_PID" ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    # shellcheck disable=SC2015  # best effort: poweroff may fail, the kill below follows
    [[ -n "$L" && -d /proc/$L ]] && inside systemctl poweroff --no-block >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$NSPAWN_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
      echo "container did not power off within 15s: killing systemd-nspawn (pid $NSPAWN_PID)" >&2
      kill -KILL "$NSPAWN_PID" 2>/dev/null || true
    fi
    wait "$NSPAWN_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s $W/nspawn.log ]]; then
    echo "---- systemd-nspawn output (last 50 lines) ----" >&2
    tail -n 50 "$W/nspawn.log" >&2
  fi
  rm -rf "$W"
  if [[ $rc -eq 0 ]]; then
    for w in "${WARNINGS[@]}"; do echo "WARNING: $w"; done
    echo "PASS: nspawn system test in $((SECONDS - T0))s"
  fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
step "install into a staging tree (DESTDIR=$STAGE, --prefix /usr/local)"
DESTDIR=$STAGE cmake --install "$BUILD" --prefix /usr/local >"$W/install.log" 2>&1 ||
  { cat "$W/install.log" >&2; fail "cmake --install failed"; }
UNIT=$STAGE/usr/local/lib/systemd/system/slothd.service
for f in "$UNIT" "${UNIT%.service}.socket" "${UNIT%.service}-metrics.socket" \
         "$STAGE/usr/local/lib/sysusers.d/slothd.conf" "$STAGE/usr/local/lib/tmpfiles.d/slothd.conf" \
         "$STAGE/usr/local/lib/systemd/catalog/slothd.catalog" "$STAGE/usr/local/sbin/slothd"; do
  [[ -e $f ]] || fail "not installed: ${f#"$STAGE"}"
done
grep -qx 'ExecStart=/usr/local/sbin/slothd' "$UNIT" || fail "slothd.service does not name /usr/local/sbin/slothd"
pass "units, sysusers.d, tmpfiles.d, catalog at their paths; ExecStart=/usr/local/sbin/slothd"

# ---------------------------------------------------------------------------------------------
step "boot systemd in a container ($MACHINE)"
systemd-id128 new >"$W/machine-id"   # a known machine-id: no first boot, nothing auto-enabled
systemd-nspawn -b -D / --volatile=yes --register=no --keep-unit -M "$MACHINE" --private-network \
  --overlay-ro=/usr:"$STAGE/usr":/usr --bind-ro="$W/machine-id":/etc/machine-id --console=pipe \
  --bind-ro="$STAGE/usr/local/share/dbus-1/system.d/org.slothrunner.Agent1.conf":/etc/dbus-1/system.d/org.slothrunner.Agent1.conf \
  systemd.mask=systemd-firstboot.service systemd.mask=systemd-machine-id-commit.service \
  systemd.mask=systemd-networkd.service </dev/null >"$W/nspawn.log" 2>&1 &
NSPAWN_PID=$!
find_pid1() { L=$(pgrep -P "$NSPAWN_PID" -x systemd) && [[ -S /proc/$L/root/run/systemd/private ]]; }
wait_for 20 "the container's systemd (PID 1) and its private bus" find_pid1
state=$(timeout 30 nsenter -t "$L" -a systemctl is-system-running --wait 2>&1 || true)
[[ $state == running ]] || { inside systemctl --no-pager --failed >&2 || true; fail "system state is '$state'"; }
pass "systemd is running (host pid $L)"

# ---------------------------------------------------------------------------------------------
step "boot applied sysusers.d and tmpfiles.d from /usr/local/lib (systemd reads them there)"
inside getent passwd slothd >/dev/null || fail "user slothd was not created by systemd-sysusers at boot"
inside getent group slothd >/dev/null || fail "group slothd was not created"
[[ $(inside stat -c '%a %U %G' /run/slothd) == "750 slothd slothd" ]] || fail "/run/slothd: $(inside stat -c '%a %U %G' /run/slothd)"
[[ $(inside stat -c '%a %U %G' /etc/sloth) == "750 root slothd" ]] || fail "/etc/sloth: $(inside stat -c '%a %U %G' /etc/sloth)"
[[ ! -e /proc/$L/root/etc/sloth/slothd.toml ]] || fail "/etc/sloth/slothd.toml exists: the defaults test needs none"
pass "user/group slothd, /run/slothd 0750 slothd:slothd, /etc/sloth 0750 root:slothd, no slothd.toml"

# ---------------------------------------------------------------------------------------------
step "systemd-analyze verify prints nothing"
# --man=no: the man pages named in Documentation= are not part of the build yet.
out=$(inside systemd-analyze verify --man=no slothd.service slothd.socket slothd-metrics.socket 2>&1) ||
  fail "verify failed: $out"
[[ -z "$out" ]] || fail "verify printed: $out"
pass "no output"

# ---------------------------------------------------------------------------------------------
step "socket activation: sockets listen, the service stays inactive"
inside systemctl start slothd.socket slothd-metrics.socket
prop_is slothd.socket ActiveState active || fail "slothd.socket is $(prop slothd.socket ActiveState)"
prop_is slothd-metrics.socket ActiveState active || fail "slothd-metrics.socket is not active"
[[ $(inside stat -c '%F %a %U %G' /run/slothd/slothd.sock) == "socket 660 root slothd" ]] ||
  fail "slothd.sock: $(inside stat -c '%F %a %U %G' /run/slothd/slothd.sock)"
sleep 0.5   # the one deliberate pause: give a wrongly eager service the chance to show up
prop_is slothd.service ActiveState inactive || fail "slothd.service started before any connection"
pass "slothd.socket, slothd-metrics.socket active; slothd.sock 0660 root:slothd; slothd.service inactive"

# ---------------------------------------------------------------------------------------------
step "first connection (slothctl agent info over /run/slothd/slothd.sock) starts the service"
CTL=(/usr/local/bin/slothctl --socket /run/slothd/slothd.sock --no-color)
info=$(inside "${CTL[@]}" --timeout 20s agent info local 2>&1) || fail "slothctl agent info: $info"
printf '%s\n' "$info" | sed 's/^/   | /'
prop_is slothd.service ActiveState active || fail "slothd.service is $(prop slothd.service ActiveState)"
prop_is slothd.service SubState running || fail "SubState $(prop slothd.service SubState)"
status=$(prop slothd.service StatusText)
[[ $status =~ ^agent\ .+:\ 0\ tasks\ running$ ]] || fail "StatusText '$status'"
PID=$(prop slothd.service MainPID)
[[ $(inside stat -c %U "/proc/$PID") == slothd ]] || fail "slothd runs as $(inside stat -c %U "/proc/$PID")"
ready=$(inside journalctl -q -u slothd.service MESSAGE_ID=53ae875fcfe541cd91884e959984df42 -o verbose)
grep -q 'control socket /run/slothd/slothd.sock (passed by systemd)' <<<"$ready" || fail "the control socket was not adopted: $ready"
grep -q '^ *SLOTH_METRICS_URL=http://.*:9090/metrics' <<<"$ready" || fail "no metrics URL on :9090 in: $ready"
health=$(nsenter -t "$L" -n curl -sS --max-time 5 http://127.0.0.1:9090/health) || fail "GET /health failed"
[[ $health == OK* ]] || fail "/health said: $health"
pass "active/running as user slothd (pid $PID), StatusText '$status', both sockets adopted, /health OK"

# ---------------------------------------------------------------------------------------------
step "a task runs as slothd in the sandbox; journalctl -u slothd SLOTH_TASK=... finds it"
TASK=systest-$$
out=$(inside "${CTL[@]}" agent run --name "$TASK" --group systest local 'echo hi; id -un') || fail "agent run: $out"
[[ $out == $'hi\nslothd' ]] || fail "task output '$out'"
wait_for 10 "the finished record of $TASK in the journal" \
  journal_count_above 0 SLOTH_TASK="$TASK" SLOTH_STATUS=success
rec=$(inside journalctl -q -u slothd.service SLOTH_TASK="$TASK" SLOTH_STATUS=success -o verbose)
for field in "SLOTH_TASK=$TASK" SLOTH_GROUP=systest SLOTH_TASK_ID= SLOTH_EXIT_CODE=0 \
             _SYSTEMD_UNIT=slothd.service PRIORITY= SYSLOG_IDENTIFIER=slothd; do
  grep -q "^ *$field" <<<"$rec" || fail "field $field missing in: $rec"
done
grep -q '^ *SLOTH_AGENT=' <<<"$rec" || fail "the task records carry no SLOTH_AGENT field: $rec"
grep -q '^ *MESSAGE_ID=80620c2f77684e5a8d4be7af242ffe9b' <<<"$rec" ||
  fail "the task-finished record carries no MESSAGE_ID (kTaskFinished): $rec"
! grep -q '^ *CODE_FILE=journal_log_sink' <<<"$rec" || fail "records name the log sink as their code location"
grep -q '^ *SLOTH_CALLER_UID=0' <<<"$(inside journalctl -q -u slothd.service SLOTH_TASK="$TASK" SLOTH_CALLER_UID=0 -o verbose)" ||
  fail "no record with SLOTH_CALLER_UID=0 for $TASK"
if inside "${CTL[@]}" agent run local 'touch /etc/sloth/x' >/dev/null 2>&1; then fail "a task wrote to /etc"; fi
inside "${CTL[@]}" agent run local 'touch /var/lib/slothd/x && rm /var/lib/slothd/x' >/dev/null ||
  fail "a task cannot write its state directory"
pass "output 'hi' as slothd; fields SLOTH_TASK/GROUP/TASK_ID/STATUS/EXIT_CODE/CALLER_UID, _SYSTEMD_UNIT; /etc read-only, /var/lib/slothd writable"

# ---------------------------------------------------------------------------------------------
# dbus-daemon reads policies from /usr/share and /etc only, not /usr/local: the staged policy is
# bound into /etc/dbus-1/system.d (a package installs it under /usr/share).
step "D-Bus: slothd (user slothd) owns org.slothrunner.Agent1 on the system bus under the shipped policy"
BUS=(busctl --system --no-pager)
owner=$(inside "${BUS[@]}" status org.slothrunner.Agent1 2>&1 | sed -n 's/^UID=//p' | head -1) ||
  fail "busctl status: $owner"
[[ $owner == $(inside id -u slothd) ]] || fail "org.slothrunner.Agent1 is owned by uid '$owner', not slothd"
info=$(inside "${BUS[@]}" call org.slothrunner.Agent1 /org/slothrunner/Agent1 org.slothrunner.Agent1 GetInfo 2>&1) ||
  fail "GetInfo over D-Bus: $info"
grep -q "slothd-test" <<<"$info" || fail "GetInfo over D-Bus does not name the agent: $info"
id=$(inside "${BUS[@]}" call org.slothrunner.Agent1 /org/slothrunner/Agent1 org.slothrunner.Agent1 RunTask \
       "sssa{ss}t" "echo over-dbus" dbustask systest 0 0 2>&1) || fail "RunTask over D-Bus as root: $id"
id=$(sed -n 's/^s "\(.*\)"$/\1/p' <<<"$id")
[[ $id == t-* ]] || fail "RunTask over D-Bus returned '$id'"
wait_for 10 "the D-Bus task $id in the journal" journal_count_above 0 SLOTH_TASK_ID="$id" SLOTH_STATUS=success
denied=$(inside setpriv --reuid=65534 --regid=65534 --clear-groups "${BUS[@]}" call org.slothrunner.Agent1 \
           /org/slothrunner/Agent1 org.slothrunner.Agent1 RunTask "sssa{ss}t" "true" x x 0 0 2>&1) &&
  fail "an unprivileged uid could RunTask over D-Bus"
grep -qi "access denied\|AccessDenied" <<<"$denied" || fail "unprivileged RunTask: unexpected error '$denied'"
out=$(inside /usr/local/bin/slothctl --via dbus --no-color agent run local 'echo via-dbus-ctl' 2>&1) ||
  fail "slothctl --via dbus agent run: $out"
[[ $out == via-dbus-ctl ]] || fail "slothctl --via dbus agent run printed '$out'"
out=$(inside /usr/local/bin/slothctl --via dbus --no-color agent info local 2>&1) || fail "slothctl --via dbus agent info: $out"
grep -q "slothd-test" <<<"$out" || fail "slothctl --via dbus agent info: $out"
pass "name owned by uid $owner; GetInfo; RunTask as root ran $id; RunTask as nobody denied; slothctl --via dbus run and info"

# ---------------------------------------------------------------------------------------------
step "reload with a good configuration"
reloaded() { journal_count MESSAGE_ID=9232f2f1187f4aaea1efab087690bf63; }
failed_reloads() { journal_count MESSAGE_ID=24ed2568d30147e091c346fbaf71d718; }
n=$(reloaded)
printf '[agent]\nmaster = "master.systest:50053"\n' >"/proc/$L/root/etc/sloth/slothd.toml"
inside systemctl reload slothd.service
wait_for 10 "the reloaded MESSAGE_ID in the journal" journal_count_above "$n" MESSAGE_ID=9232f2f1187f4aaea1efab087690bf63
wait_for 10 "ActiveState=active after the reload" prop_is slothd.service ActiveState active
[[ $(prop slothd.service MainPID) == "$PID" ]] || fail "the reload restarted slothd"
inside "${CTL[@]}" agent info local | grep -q 'master.systest:50053' || fail "agent info does not show the new master"
pass "journal has 'configuration reloaded', still active, same pid, new master address in agent info"

step "reload with a bad configuration: logged, the running configuration stays"
n=$(failed_reloads)
printf '[agent]\nmaster = "other.systest:1"\nno_such_key = 1\n' >"/proc/$L/root/etc/sloth/slothd.toml"
inside systemctl reload slothd.service
wait_for 10 "the reload-failed MESSAGE_ID in the journal" journal_count_above "$n" MESSAGE_ID=24ed2568d30147e091c346fbaf71d718
msg=$(inside journalctl -q -u slothd.service MESSAGE_ID=24ed2568d30147e091c346fbaf71d718 -o cat -n 1)
grep -q 'no_such_key' <<<"$msg" || fail "the error does not name the key: $msg"
wait_for 10 "ActiveState=active after the failed reload" prop_is slothd.service ActiveState active
[[ $(prop slothd.service MainPID) == "$PID" ]] || fail "the failed reload restarted slothd"
info=$(inside "${CTL[@]}" agent info local)
grep -q 'master.systest:50053' <<<"$info" || fail "the old configuration was not kept: $info"
pass "journal: '$msg'; still active, same pid, old master kept"
rm -f "/proc/$L/root/etc/sloth/slothd.toml"

# ---------------------------------------------------------------------------------------------
step "watchdog: WatchdogSec=2s drop-in, kill -STOP the main pid, systemd kills and restarts it"
inside mkdir -p /run/systemd/system/slothd.service.d
printf '[Service]\nWatchdogSec=2s\n' >"/proc/$L/root/run/systemd/system/slothd.service.d/watchdog.conf"
inside systemctl daemon-reload
inside systemctl restart slothd.service
prop_is slothd.service ActiveState active || fail "not active after restart"
[[ $(prop slothd.service WatchdogUSec) == 2s ]] || fail "WatchdogUSec $(prop slothd.service WatchdogUSec)"
restarts=$(prop slothd.service NRestarts)
PID=$(prop slothd.service MainPID)
inside kill -STOP "$PID"
wait_for 20 "NRestarts=$((restarts + 1))" prop_is slothd.service NRestarts $((restarts + 1))
wait_for 10 "ActiveState=active after the watchdog restart" prop_is slothd.service ActiveState active
NEWPID=$(prop slothd.service MainPID)
[[ $NEWPID != "$PID" && $NEWPID != 0 ]] || fail "MainPID did not change ($NEWPID)"
inside journalctl -q -u slothd.service -o cat | grep -q 'Watchdog timeout' || fail "no 'Watchdog timeout' in the journal"
inside "${CTL[@]}" agent info local >/dev/null || fail "the restarted slothd does not answer"
pass "watchdog timeout logged, NRestarts=$((restarts + 1)), active again (pid $PID -> $NEWPID)"
rm -f "/proc/$L/root/run/systemd/system/slothd.service.d/watchdog.conf"
inside systemctl daemon-reload

# ---------------------------------------------------------------------------------------------
step "stop: Result=success, the sockets stay, a scrape of :9090 starts it again"
inside systemctl stop slothd.service
prop_is slothd.service ActiveState inactive || fail "ActiveState $(prop slothd.service ActiveState)"
[[ $(prop slothd.service Result) == success ]] || fail "Result=$(prop slothd.service Result)"
journal_count_above 0 MESSAGE_ID=0b298df522c840d095b5a2896f5958da || fail "no stopping MESSAGE_ID in the journal"
prop_is slothd.socket ActiveState active || fail "slothd.socket went down with the service"
[[ -S /proc/$L/root/run/slothd/slothd.sock ]] || fail "slothd.sock was removed with the service"
metrics=$(nsenter -t "$L" -n curl -sS --max-time 10 http://127.0.0.1:9090/metrics) || fail "GET /metrics failed"
grep -q '^sloth_agent_uptime_seconds' <<<"$metrics" || fail "no sloth_agent_uptime_seconds inside /metrics"
prop_is slothd.service ActiveState active || fail "the metrics connection did not start slothd"
inside systemctl stop slothd.service
[[ $(prop slothd.service Result) == success ]] || fail "Result=$(prop slothd.service Result) on the second stop"
pass "Result=success with the stopping MESSAGE_ID; socket kept; metrics socket activation works"

# ---------------------------------------------------------------------------------------------
step "the journal catalog is read from /usr/local/lib/systemd/catalog"
inside journalctl --update-catalog
for id in 53ae875fcfe541cd91884e959984df42 0b298df522c840d095b5a2896f5958da 9232f2f1187f4aaea1efab087690bf63 \
          24ed2568d30147e091c346fbaf71d718 ddb13be93dbc49a59c1a15799ac7a50b 80620c2f77684e5a8d4be7af242ffe9b \
          2612421591c9435e813c304447bda4bc; do
  inside journalctl --list-catalog "$id" | grep -q "^$id slothd: " || fail "catalog entry $id not found"
done
x=$(inside journalctl -q -x -u slothd.service MESSAGE_ID=24ed2568d30147e091c346fbaf71d718 -n 1 --no-pager)
grep -q 'Subject: Sloth Runner agent configuration reload failed' <<<"$x" || fail "journalctl -x shows no catalog text: $x"
pass "all 7 MESSAGE_IDs of common/message_ids.h listed; journalctl -x explains the failed reload"

# ---------------------------------------------------------------------------------------------
step "the shipped root-tasks drop-in example: verifies cleanly, tasks run as root"
inside mkdir -p /run/systemd/system/slothd.service.d
cp "$STAGE/usr/local/share/doc/slothd/root-tasks.conf.example" \
  "/proc/$L/root/run/systemd/system/slothd.service.d/root-tasks.conf"
inside systemctl daemon-reload
out=$(inside systemd-analyze verify --man=no slothd.service 2>&1) || fail "verify with the drop-in: $out"
[[ -z "$out" ]] || fail "verify with the drop-in printed: $out"
[[ $(prop slothd.service NoNewPrivileges) == no ]] || fail "NoNewPrivileges still on"
[[ $(prop slothd.service CapabilityBoundingSet) == *cap_sys_admin* ]] || fail "capabilities not restored"
who=$(inside "${CTL[@]}" --timeout 20s agent run local 'id -un; touch /etc/sloth/x && rm /etc/sloth/x && echo rw') ||
  fail "task under the root drop-in: $who"
[[ $who == $'root\nrw' ]] || fail "task under the root drop-in said: $who"
root_score=$(inside systemd-analyze security slothd.service 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
inside systemctl stop slothd.service
rm -f "/proc/$L/root/run/systemd/system/slothd.service.d/root-tasks.conf"
inside systemctl daemon-reload
pass "no verify output; tasks run as root and write /etc; exposure with the drop-in: $root_score"

# ---------------------------------------------------------------------------------------------
step "systemd-analyze security: exposure <= 2.5"
offline=$(inside systemd-analyze security --offline=true --threshold=25 /usr/local/lib/systemd/system/slothd.service 2>&1) ||
  fail "offline security check above the threshold: $(tail -n 1 <<<"$offline")"
online=$(inside systemd-analyze security --threshold=25 slothd.service 2>&1) ||
  fail "security check of the loaded unit above the threshold: $(tail -n 1 <<<"$online")"
score() { sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$1"; }
# --threshold is on the internal 0-100 scale (25 = 2.5); the printed score is checked as well.
for s in "$(score "$offline")" "$(score "$online")"; do
  # shellcheck disable=SC2015  # an empty score or one above 2.5 both fail
  [[ -n $s ]] && awk -v s="$s" 'BEGIN { exit !(s <= 2.5) }' || fail "exposure '$s' > 2.5"
done
pass "exposure $(score "$offline") (--offline=true), $(score "$online") (loaded unit)"

OK=1
step "power off"
inside systemctl poweroff --no-block >/dev/null 2>&1 || true
deadline=$((SECONDS + 20))
while kill -0 "$NSPAWN_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
kill -0 "$NSPAWN_PID" 2>/dev/null && fail "the container did not power off in 20s"
wait "$NSPAWN_PID" || true
NSPAWN_PID=
pass "container gone"
