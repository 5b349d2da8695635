#!/usr/bin/env bash
# Installs every build and test dependency of slothd from Debian 12's archive when missing.
# Idempotent and quiet: it installs only what `dpkg-query` does not report as installed.
# Usage: packaging/install-deps.sh [build|test|all]   (default: all)
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libmicrohttpd-dev prometheus-cpp-dev libtomlplusplus-dev zlib1g-dev
  libsystemd-dev libsdbus-c++-dev libsdbus-c++-bin
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libfmt-dev libsqlite3-dev libssl-dev
  libyaml-cpp-dev libgnutls28-dev libcrypt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  scdoc
)
test_pkgs=(
  curl prometheus procps iproute2 psmisc python3 openssl apache2-utils
  dbus systemd systemd-container tmux faketime
  clang libclang-rt-14-dev clang-format clang-tidy
  man-db bash-completion zsh debhelper lintian rpm rpmlint cpio
)
bench_pkgs=(wrk hyperfine)
# Packages the tests need whose Debian install starts a service: Debian's prometheus would listen
# on 0.0.0.0:9090, slothd's default port, and stay there after the tests. Installed without
# starting their service, which is also kept from starting at boot.
no_service_pkgs=(prometheus)

case "${1:-all}" in
  build) want=("${build_pkgs[@]}") ;;
  test)  want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  all)   want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
policy=""
trap 'rm -f "$log" ${policy:+"$policy"}' EXIT

quiet_services=()
for p in "${missing[@]}"; do
  for q in "${no_service_pkgs[@]}"; do [[ $p == "$q" ]] && quiet_services+=("$p"); done
done
# invoke-rc.d and deb-systemd-invoke ask /usr/sbin/policy-rc.d before starting a service; 101
# denies. Only while we install, only for those services, and never over an existing policy.
if [ ${#quiet_services[@]} -gt 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  {
    echo '#!/bin/sh'
    echo '# Written by install-deps.sh (slothd) for the time it installs test dependencies.'
    echo "case \"\$1\" in $(IFS='|'; echo "${quiet_services[*]}")) case \"\$2\" in *start*|*reload*) exit 101 ;; esac ;; esac"
    echo 'exit 0'
  } >"$policy"
  chmod 755 "$policy"
fi
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed (see above)" >&2
  exit 1
fi
# Whatever started anyway (a policy of the host's own allowed it) is stopped, and none of them
# starts at boot: the tests run their own instances.
for service in "${quiet_services[@]}"; do
  if [ -d /run/systemd/system ]; then
    systemctl disable --now "$service.service" >>"$log" 2>&1 || true
  else
    invoke-rc.d "$service" stop >>"$log" 2>&1 || true
    update-rc.d "$service" disable >>"$log" 2>&1 || true
  fi
  echo "install-deps: $service installed for the tests; its service is stopped and disabled" >&2
done
