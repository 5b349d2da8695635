#!/usr/bin/env bash
# The .deb packages under a real systemd: install, start, run a task, scrape /metrics, edit the
# configuration, upgrade, remove, purge, and check what each step leaves behind.
#
# How: an overlayfs with the host's / as the read-only lower layer and a tmpfs as the upper
# layer is booted with systemd-nspawn (PID 1 = systemd 252, private network). dpkg inside it
# sees the host's package database, so the packages' dependencies (the libraries the build
# linked against) are already there, the maintainer scripts run against the real systemd, and
# every write lands in the tmpfs: the host is untouched. Boot takes under a second; a
# debootstrapped root would take minutes. (nspawn refuses `-D / --volatile=overlay`, hence the
# explicit overlay mount.)
#
# The upgrade installs the same build repacked as version V+test1 (dpkg-deb -R, edit
# DEBIAN/control, dpkg-deb -b): a real dpkg upgrade (old prerm/postrm upgrade, new postinst
# configure OLDVERSION, conffile check) without a second compile.
#
# Usage: deb_install_test.sh [DIST_DIR]   (default: dist/ of the checkout)
# Exit 77 (skipped) without root, systemd-nspawn, overlayfs or the built .debs
# (packaging/build-packages.sh --deb-only builds them). Runs in about 15 s.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST=$(realpath "${1:-$ROOT/dist}" 2>/dev/null || echo "${1:-$ROOT/dist}")
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root (mount, systemd-nspawn)"; exit 77; fi
for tool in systemd-nspawn nsenter systemd-id128 dpkg-deb curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (packaging/install-deps.sh)"; exit 77; }
done
newest() { find "$DIST" -maxdepth 1 -name "$1_*.deb" -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-; }
DEB_D=$(newest slothd) DEB_C=$(newest slothctl)
if [[ -z $DEB_D || -z $DEB_C ]]; then
  echo "SKIP: no slothd_*.deb and slothctl_*.deb in $DIST (packaging/build-packages.sh --deb-only)"
  exit 77
fi

T0=$SECONDS
W=$(mktemp -d /tmp/slothd-debtest.XXXXXX)
MACHINE=${SLOTH_MACHINE:-slothd-deb-$$}  # SLOTH_MACHINE: a name of your own on a shared host
NSPAWN_PID= L= STEP=setup OK=0 MOUNTED=()

# shellcheck source=../system/container_lib.sh
. "$(dirname "$(readlink -f "$0")")/../system/container_lib.sh"
# Processes of user slothd or named slothd inside the container.
slothd_processes() { inside ps -e -o user=,comm= | awk '$1 == "slothd" || $2 ~ /^slothd/'; }
# What is left of the package on the system: files, directories, units, user.
leftovers() {
  local p
  for p in /usr/sbin/slothd /usr/bin/slothctl /lib/systemd/system/slothd.service /lib/systemd/system/slothd.socket \
           /lib/systemd/system/slothd-metrics.socket /lib/systemd/system/slothd-launcher.socket \
           /lib/systemd/system/slothd-launcher.service /lib/systemd/system/sloth.slice /usr/libexec/slothd \
           /usr/lib/sysusers.d/slothd.conf /usr/lib/tmpfiles.d/slothd.conf \
           /usr/share/dbus-1/system.d/org.slothrunner.Agent1.conf /etc/sloth /etc/sloth/slothd.toml \
           /var/lib/slothd /run/slothd /run/slothd/slothd.sock /usr/share/doc/slothd \
           /etc/systemd/system/sockets.target.wants/slothd.socket \
           /etc/systemd/system/sockets.target.wants/slothd-metrics.socket \
           /etc/systemd/system/sockets.target.wants/slothd-launcher.socket \
           /etc/systemd/system/multi-user.target.wants/slothd.service \
           /lib/systemd/system/slothd-master.service /etc/sloth-master /etc/sloth-master/master.toml \
           /var/lib/slothd-master /usr/share/slothd/make-fleet-certs; do
    [[ -e /proc/$L/root$p || -L /proc/$L/root$p ]] && echo "$p"
  done
  inside getent passwd slothd >/dev/null && echo "user slothd"
  inside getent group slothd >/dev/null && echo "group slothd"
  inside getent passwd slothd-master >/dev/null && echo "user slothd-master"
  inside getent group slothd-master >/dev/null && echo "group slothd-master"
  true
}

cleanup() {
  local rc=$?
  if [[ $rc -ne 0 && $OK -ne 1 && -n "$L" && -d /proc/$L ]]; then
    echo "---- journalctl -b of the container (last 150 lines; failed step: $STEP) ----" >&2
    inside journalctl -b --no-pager -n 150 >&2 || true
  fi
  if [[ -n "$NSPAWN_PID" ]] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    # shellcheck disable=SC2015
    [[ -n "$L" && -d /proc/$L ]] && inside systemctl poweroff --no-block >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 15))
    while kill -0 "$NSPAWN_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -0 "$NSPAWN_PID" 2>/dev/null && { echo "killing systemd-nspawn (pid $NSPAWN_PID)" >&2; kill -KILL "$NSPAWN_PID" 2>/dev/null || true; }
    wait "$NSPAWN_PID" 2>/dev/null || true
  fi
  [[ $rc -ne 0 && -s $W/nspawn.log ]] && { echo "---- systemd-nspawn output (last 30 lines) ----" >&2; tail -n 30 "$W/nspawn.log" >&2; }
  local m
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do m=${MOUNTED[i]}; umount "$m" 2>/dev/null || umount -l "$m" || true; done
  rm -rf "$W"
  ((rc == 0)) && echo "PASS: .deb install/upgrade/remove/purge test in $((SECONDS - T0))s"
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
step "packages: $(basename "$DEB_D"), $(basename "$DEB_C")"
VERSION=$(dpkg-deb -f "$DEB_D" Version)
NEXT=$VERSION+test1
mkdir -p "$W/debs" "$W/repack"
cp "$DEB_D" "$DEB_C" "$W/debs/"
for deb in "$DEB_D" "$DEB_C"; do
  pkg=$(dpkg-deb -f "$deb" Package)
  dpkg-deb -R "$deb" "$W/repack/$pkg"
  sed -i "s/^Version: .*/Version: $NEXT/" "$W/repack/$pkg/DEBIAN/control"
  dpkg-deb --root-owner-group -b "$W/repack/$pkg" "$W/debs/${pkg}_${NEXT}_next.deb" >/dev/null
done
pass "version $VERSION; upgrade candidate $NEXT repacked"

# ---------------------------------------------------------------------------------------------
step "boot systemd on an overlay of / (tmpfs upper layer)"
mkdir -p "$W/t" "$W/root"
mount -t tmpfs -o mode=0755 tmpfs "$W/t" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
MOUNTED+=("$W/t")
mkdir -p "$W/t/upper" "$W/t/work"
if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$W/t/upper,workdir=$W/t/work" "$W/root"; then
  echo "SKIP: overlayfs over / is not available"; exit 77
fi
MOUNTED+=("$W/root")
mkdir -p "$W/root/debs" && cp "$W/debs/"*.deb "$W/root/debs/"
systemd-id128 new >"$W/machine-id"
# Units the host has enabled that must not run here: prometheus would take port 9090.
systemd-nspawn -b -D "$W/root" --register=no --keep-unit -M "$MACHINE" --private-network \
  --bind-ro="$W/machine-id":/etc/machine-id --console=pipe \
  systemd.mask=systemd-firstboot.service systemd.mask=systemd-machine-id-commit.service \
  systemd.mask=systemd-networkd.service systemd.mask=prometheus.service systemd.mask=postgresql.service \
  systemd.mask=apt-daily.timer systemd.mask=apt-daily-upgrade.timer systemd.mask=man-db.timer \
  </dev/null >"$W/nspawn.log" 2>&1 &
NSPAWN_PID=$!
find_pid1() { L=$(pgrep -P "$NSPAWN_PID" -x systemd) && [[ -S /proc/$L/root/run/systemd/private ]]; }
wait_for 20 "the container's systemd" find_pid1
state=$(timeout 60 nsenter -t "$L" -a systemctl is-system-running --wait 2>&1 || true)
[[ $state == running || $state == degraded ]] || fail "system state '$state'"
[[ $state == running ]] || inside systemctl --no-pager --failed || true
inside dpkg-query -W slothd >/dev/null 2>&1 && fail "slothd is already installed on the host: this test needs a host without it"
[[ -z $(slothd_processes) ]] || fail "slothd runs in the container before installation"
# A container-image host may carry a policy-rc.d that forbids starting services (exit 101);
# a real system has none. Removed from the overlay only.
inside rm -f /usr/sbin/policy-rc.d
pass "systemd $state (host pid $L)"

# ---------------------------------------------------------------------------------------------
step "dpkg -i slothd slothctl"
out=$(inside env DEBIAN_FRONTEND=noninteractive dpkg -i "/debs/$(basename "$DEB_D")" "/debs/$(basename "$DEB_C")" 2>&1) ||
  { echo "$out"; fail "dpkg -i failed"; }
printf '%s\n' "$out" | sed 's/^/   | /'
inside getent passwd slothd >/dev/null || fail "no user slothd (systemd-sysusers in postinst)"
[[ $(inside stat -c '%a %U %G' /etc/sloth) == "750 root slothd" ]] || fail "/etc/sloth: $(inside stat -c '%a %U %G' /etc/sloth)"
[[ $(inside stat -c '%a %U %G' /run/slothd) == "750 slothd slothd" ]] || fail "/run/slothd: $(inside stat -c '%a %U %G' /run/slothd)"
inside dpkg-query -W -f='${Conffiles}\n' slothd | grep -q '^ /etc/sloth/slothd.toml ' || fail "slothd.toml is not a conffile"
for u in slothd.socket slothd-metrics.socket slothd-launcher.socket; do
  prop_is $u ActiveState active || fail "$u is $(prop $u ActiveState) after install"
  [[ $(inside systemctl is-enabled $u) == enabled ]] || fail "$u is not enabled"
done
# [Install] of slothd.service has only Also=: systemctl reports it "indirect" (via the sockets).
[[ $(inside systemctl is-enabled slothd.service) == indirect ]] || fail "slothd.service is $(inside systemctl is-enabled slothd.service)"
prop_is slothd.service ActiveState inactive || fail "the package started slothd.service (expected: socket activation only)"
inside man -w slothd.toml >/dev/null || fail "man slothd.toml not found"
inside man -w slothctl >/dev/null || fail "man slothctl not found"
[[ -f /proc/$L/root/usr/share/bash-completion/completions/slothctl ]] || fail "no bash completion"
prop_is slothd-launcher.service ActiveState inactive || fail "the package started slothd-launcher.service (expected: socket activation)"
# The master: a role one host takes, installed but neither enabled nor started; its directory
# is its own (the agent's tasks run as slothd and must not read it).
[[ $(inside systemctl is-enabled slothd-master.service) == disabled ]] ||
  fail "slothd-master.service is $(inside systemctl is-enabled slothd-master.service)"
prop_is slothd-master.service ActiveState inactive || fail "the package started slothd-master.service"
inside getent passwd slothd-master >/dev/null || fail "no user slothd-master"
[[ $(inside stat -c '%a %U %G' /etc/sloth-master) == "750 root slothd-master" ]] ||
  fail "/etc/sloth-master: $(inside stat -c '%a %U %G' /etc/sloth-master)"
inside dpkg-query -W -f='${Conffiles}\n' slothd | grep -q '^ /etc/sloth-master/master.toml ' || fail "master.toml is not a conffile"
[[ -x /proc/$L/root/usr/share/slothd/make-fleet-certs ]] || fail "no make-fleet-certs"
pass "user slothd; /etc/sloth 750 root:slothd; conffile; the three sockets enabled+active; services not started; man pages; completion; slothd-master.service installed, disabled; /etc/sloth-master 750 root:slothd-master"

# ---------------------------------------------------------------------------------------------
step "systemctl start slothd; a task with slothctl; scrape /metrics"
inside systemctl start slothd.service
prop_is slothd.service SubState running || fail "slothd.service is $(prop slothd.service SubState)"
PID=$(prop slothd.service MainPID)
out=$(inside slothctl --timeout 20s agent run --name pkgtest local 'echo hello from $(id -un) in $(grep ^0:: /proc/self/cgroup)') ||
  fail "agent run: $out"
[[ $out == "hello from root in 0::/sloth.slice/sloth-task-"*".service" ]] || fail "task said '$out'"
metrics=$(nsenter -t "$L" -n curl -sS --max-time 10 http://127.0.0.1:9090/metrics) || fail "GET :9090/metrics failed"
grep -q '^sloth_tasks_total{group="adhoc",status="success"} 1$' <<<"$metrics" || fail "/metrics lacks the task: $(grep sloth_tasks_total <<<"$metrics")"
prop_is slothd-launcher.service ActiveState active || fail "slothd-launcher.service did not start with slothd"
pass "slothd pid $PID as slothd; task output '$out' (its own unit, started by slothd-launcher); sloth_tasks_total{status=\"success\"} 1 on :9090"

# ---------------------------------------------------------------------------------------------
step "edit /etc/sloth/slothd.toml (master address) and reload"
# No master answers there; plaintext is written out, as the agent refuses a master without TLS
# files otherwise.
inside sed -i 's/^master = ""$/master = "master.pkgtest:50053"/; s/^master_insecure = false$/master_insecure = true/' \
  /etc/sloth/slothd.toml
inside grep -q '^master = "master.pkgtest:50053"$' /etc/sloth/slothd.toml || fail "the edit did not apply"
inside systemctl reload slothd.service
wait_for 10 "agent info showing the new name" sh -c "nsenter -t $L -a slothctl agent info local | grep -q master.pkgtest:50053"
pass "master = \"master.pkgtest:50053\" in effect after reload"

# ---------------------------------------------------------------------------------------------
step "upgrade to $NEXT (dpkg -i of the repacked packages)"
out=$(inside env DEBIAN_FRONTEND=noninteractive dpkg -i "/debs/slothd_${NEXT}_next.deb" "/debs/slothctl_${NEXT}_next.deb" </dev/null 2>&1) ||
  { echo "$out"; fail "upgrade failed"; }
printf '%s\n' "$out" | sed 's/^/   | /'
[[ $(inside dpkg-query -W -f='${Version}' slothd) == "$NEXT" ]] || fail "slothd is not at $NEXT"
inside grep -q '^master = "master.pkgtest:50053"$' /etc/sloth/slothd.toml || fail "the upgrade lost the edited configuration"
[[ ! -e /proc/$L/root/etc/sloth/slothd.toml.dpkg-new && ! -e /proc/$L/root/etc/sloth/slothd.toml.dpkg-dist ]] ||
  fail "the upgrade left a .dpkg-new/.dpkg-dist copy"
prop_is slothd.socket ActiveState active || fail "slothd.socket is down after the upgrade"
prop_is slothd-metrics.socket ActiveState active || fail "slothd-metrics.socket is down after the upgrade"
wait_for 20 "slothd.service running after the upgrade" prop_is slothd.service SubState running
NEWPID=$(prop slothd.service MainPID)
[[ $NEWPID != "$PID" ]] || fail "slothd was not restarted by the upgrade (pid $PID)"
grep -q master.pkgtest:50053 <<<"$(inside slothctl agent info local)" || fail "after the upgrade the agent does not run the edited configuration"
pass "edit kept, no .dpkg-* copies; sockets stayed up; slothd restarted (pid $PID -> $NEWPID) with the edited master"

# ---------------------------------------------------------------------------------------------
step "dpkg -r slothctl slothd (remove)"
out=$(inside dpkg -r slothctl slothd 2>&1) || { echo "$out"; fail "dpkg -r failed"; }
for u in slothd.service slothd.socket slothd-metrics.socket slothd-launcher.service slothd-launcher.socket; do
  st=$(prop $u ActiveState); [[ $st == inactive || $st == failed ]] || fail "$u is $st after remove"
done
sleep 0.3
[[ -z $(slothd_processes) ]] || fail "still running after remove: $(slothd_processes)"
left=$(leftovers)
printf '%s\n' "$left" | sed 's/^/   left: /'
for want in /etc/sloth/slothd.toml /var/lib/slothd "user slothd"; do
  grep -qx "$want" <<<"$left" || fail "$want should stay after remove (conffile / state / user)"
done
for gone in /usr/sbin/slothd /usr/bin/slothctl /lib/systemd/system/slothd.service /run/slothd/slothd.sock \
            /lib/systemd/system/slothd-launcher.service /usr/libexec/slothd; do
  grep -qx "$gone" <<<"$left" && fail "$gone is left after remove"
done
pass "nothing of slothd runs; binaries and units gone; conffile, /var/lib/slothd, the user and the enablement links (for a reinstall; purge removes them) stay"

# ---------------------------------------------------------------------------------------------
step "dpkg -P slothd (purge)"
out=$(inside dpkg -P slothd slothctl 2>&1) || { echo "$out"; fail "dpkg -P failed"; }
left=$(leftovers)
printf '%s\n' "$left" | sed 's/^/   left: /'
[[ $left == $'user slothd\ngroup slothd\nuser slothd-master\ngroup slothd-master' ]] ||
  fail "purge left more than the users and groups: $left"
inside systemctl list-unit-files 'slothd*' --no-legend | grep -q . && fail "unit files still listed: $(inside systemctl list-unit-files 'slothd*' --no-legend)"
[[ -z $(inside dpkg-query -W -f='${Status}' slothd 2>/dev/null | grep -v not-installed) ]] || fail "dpkg still knows slothd"
pass "only the users and groups slothd and slothd-master remain (Debian keeps system users)"

OK=1
