#!/usr/bin/env bash
# What packaging/install-deps.sh does on a fresh machine, played with stand-ins for dpkg-query, apt-get and
# the init tools, in a private mount namespace where /usr/sbin is an overlay (the policy file it
# writes never reaches the host):
#  - a test dependency whose install starts a service (Debian's prometheus, on slothd's port
#    9090) is installed with that start denied (policy-rc.d answers 101), then stopped and
#    disabled, and the policy file is gone afterwards;
#  - every "install-deps.sh MODE" the tree names is a mode the script accepts.
# Usage: install_deps_test.sh SOURCE_DIR. Needs root (unshare, mount); exits 77 without it.
set -euo pipefail
ROOT=$1
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root for a private mount namespace"; exit 77; }
W=$(mktemp -d /tmp/install-deps-test.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/bin"
events=$W/events
: >"$events"

# dpkg-query: everything is installed except what MISSING names.
cat >"$W/bin/dpkg-query" <<'STUB'
#!/bin/sh
for p; do :; done
case " $MISSING " in *" $p "*) exit 1 ;; esac
printf 'install ok installed'
STUB
# apt-get install: a package's postinst starts its service through invoke-rc.d, which asks
# /usr/sbin/policy-rc.d first (101: denied).
cat >"$W/bin/apt-get" <<'STUB'
#!/bin/sh
[ "$1" = install ] || exit 0
for p; do
  case $p in -*|install) continue ;; esac
  echo "installed $p" >>"$EVENTS"
  rc=0
  [ -x /usr/sbin/policy-rc.d ] && { /usr/sbin/policy-rc.d "$p" start; rc=$?; }
  if [ "$rc" = 101 ]; then echo "start denied $p" >>"$EVENTS"; else echo "started $p" >>"$EVENTS"; fi
done
STUB
for tool in invoke-rc.d update-rc.d systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"$EVENTS"\n' "$tool" >"$W/bin/$tool"
done
chmod +x "$W"/bin/*

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Runs "install-deps.sh test" on a machine missing prometheus and curl, with /usr/sbin/policy-rc.d as
# given ("" for none, as on a fresh Debian); what happened goes to $events.
install_on() {
  rm -rf "$W/upper" "$W/work" && mkdir -p "$W/upper" "$W/work"
  : >"$events"
  unshare --mount --propagation private bash -c '
    mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$1/upper,workdir=$1/work" /usr/sbin
    rm -f /usr/sbin/policy-rc.d
    if [ -n "$4" ]; then printf "%s" "$4" >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; fi
    PATH="$1/bin:$PATH" MISSING="prometheus curl" EVENTS="$2" "$3/packaging/install-deps.sh" test
    if [ -e /usr/sbin/policy-rc.d ]; then echo "policy after: $(tr "\n" " " </usr/sbin/policy-rc.d)" >>"$2"; fi
    true' _ "$W" "$events" "$ROOT" "$1"
  echo "--- what happened (policy before: ${1:-none}):"
  cat "$events"
}

install_on ""
grep -qx "installed prometheus" "$events" || fail "prometheus was not installed"
grep -qx "started prometheus" "$events" && fail "prometheus' service was started by its install"
grep -qx "start denied prometheus" "$events" || fail "policy-rc.d did not deny prometheus' start"
grep -qx "started curl" "$events" || fail "the policy must deny only the test services (curl was denied)"
grep -q "^policy after" "$events" && fail "/usr/sbin/policy-rc.d must be removed after the install"
stopped_and_disabled() {
  grep -qx "systemctl disable --now prometheus.service" "$events" ||
    { grep -qx "invoke-rc.d prometheus stop" "$events" && grep -qx "update-rc.d prometheus disable" "$events"; }
}
stopped_and_disabled || fail "prometheus' service must be stopped and disabled after the install"

# A host with its own policy (a container's "deny everything") keeps it as it was, and the
# service is still stopped and disabled.
host_policy=$'#!/bin/sh
exit 101
'
install_on "$host_policy"
grep -qx "policy after: #!/bin/sh exit 101 " "$events" || fail "the host's own policy-rc.d must be left as it was"
stopped_and_disabled || fail "prometheus' service must be stopped and disabled under the host's policy too"

# Every mode named in the tree is one the script accepts: a word after "install-deps.sh" that
# ends the line or comes before a comment, a parenthesis, a backquote or a wider gap, as commands
# are written ("install-deps.sh test", "install-deps.sh build  # ..."); prose is left alone.
modes=$({ git -C "$ROOT" grep -hoE 'install-deps\.sh [a-z]+( *[(#;)`]|  |$)' || true; } | awk '{print $2}' |
  tr -d '(#;)`' | sort -u)
for mode in $modes; do
  if ! PATH="$W/bin:$PATH" MISSING="" EVENTS="$events" "$ROOT/packaging/install-deps.sh" "$mode" >/dev/null 2>&1; then
    fail "the tree names 'install-deps.sh $mode', which is not a mode of packaging/install-deps.sh"
  fi
done
echo "modes named in the tree: $(echo $modes)"

[[ $fails == 0 ]] || { echo "$fails failure(s)"; exit 1; }
echo "OK"
