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
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  scdoc
)
test_pkgs=(
  curl prometheus procps iproute2 psmisc python3
  dbus systemd systemd-container tmux
  clang libclang-rt-14-dev clang-format clang-tidy
  man-db bash-completion zsh debhelper lintian rpm rpmlint
)
bench_pkgs=(wrk hyperfine)

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
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-deps: apt-get failed (see above)" >&2
  exit 1
fi
