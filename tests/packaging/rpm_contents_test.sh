#!/usr/bin/env bash
# The .rpm ships what the .deb ships for the master (deb_install_test.sh checks that one under a
# real systemd): slothd-master.service, its user in sysusers.d, /etc/sloth-master with
# master.toml as a noreplace config file of group slothd-master, make-fleet-certs and fleet.md,
# and the unit in the systemd scriptlets. Usage: rpm_contents_test.sh [DIST_DIR]
# Exit 77 (skipped) without rpm or a built slothd .rpm (packaging/build-packages.sh builds it).
set -euo pipefail
DIST=${1:-$(dirname "$(readlink -f "$0")")/../../dist}
command -v rpm >/dev/null || { echo "SKIP: rpm is missing"; exit 77; }
rpm=$(find "$DIST" -maxdepth 1 -name 'slothd-[0-9]*.rpm' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n 1 | cut -d' ' -f2-)
[[ -n $rpm ]] || { echo "SKIP: no slothd .rpm in $DIST (packaging/build-packages.sh)"; exit 77; }
fail() { echo "FAIL ($rpm): $*"; exit 1; }

files=$(rpm -qlp "$rpm" 2>/dev/null)
for f in /usr/lib/systemd/system/slothd-master.service /etc/sloth-master /etc/sloth-master/master.toml \
         /usr/share/slothd/make-fleet-certs /usr/lib/sysusers.d/slothd.conf; do
  grep -qx -- "$f" <<<"$files" || fail "$f is not in the package"
done
grep -q '/fleet.md$' <<<"$files" || fail "fleet.md is not in the package"
perms=$(rpm -qp --queryformat '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" 2>/dev/null)
grep -q '^drwxr-x--- root slothd-master .* /etc/sloth-master$' <<<"$perms" || fail "/etc/sloth-master: $(grep ' /etc/sloth-master$' <<<"$perms")"
grep -q '^-rw-r----- root slothd-master cn /etc/sloth-master/master.toml$' <<<"$perms" ||
  fail "master.toml: $(grep 'master.toml$' <<<"$perms")"
sysusers=$(rpm2cpio "$rpm" | cpio -i --quiet --to-stdout ./usr/lib/sysusers.d/slothd.conf)
grep -q '^u slothd-master ' <<<"$sysusers" || fail "no user slothd-master in sysusers.d: $sysusers"
scripts=$(rpm -qp --scripts "$rpm" 2>/dev/null)
grep -q 'slothd-master.service' <<<"$scripts" || fail "slothd-master.service is not in the systemd scriptlets"
echo "ok: $(basename "$rpm") ships slothd-master.service, user slothd-master, /etc/sloth-master/master.toml (0640 root:slothd-master, noreplace), make-fleet-certs, fleet.md"
