#!/usr/bin/env bash
# The bash and zsh completions of slothctl: commands, options, option values and the local
# agent's name (from a real slothd on a private control socket).
# Usage: completion_test.sh COMPLETIONS_DIR SLOTHD SLOTHCTL. Skips (77) without bash-completion.
set -euo pipefail
DIR=$1 SLOTHD=$2 SLOTHCTL=$3
[[ -r /usr/share/bash-completion/bash_completion ]] || { echo "SKIP: bash-completion is not installed"; exit 77; }
W=$(mktemp -d /tmp/slothctl-completion.XXXXXX)
PID=
trap '[[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
"$SLOTHD" --config /dev/null --name compl-agent --telemetry=false --state-dir "$W/state" \
  --control-socket "$W/c.sock" >"$W/log" 2>&1 &
PID=$!
for _ in $(seq 100); do [[ -S $W/c.sock ]] && break; sleep 0.1; done
mkdir -p "$W/bin" && ln -s "$(realpath "$SLOTHCTL")" "$W/bin/slothctl"

fails=0
check() {  # check "WORDS..." EXPECTED-WORD...: completing the last word offers every expected one
  local line=$1; shift
  local got
  got=$(PATH="$W/bin:$PATH" bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$1/slothctl.bash"
    read -ra COMP_WORDS <<<"$2"; [[ $2 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
    _slothctl; printf "%s\n" "${COMPREPLY[@]}"' _ "$DIR" "$line")
  for want in "$@"; do
    if ! grep -qx -- "$want" <<<"$got"; then
      echo "FAIL: '$line<TAB>' does not offer '$want' (got: $(tr '\n' ' ' <<<"$got"))"; fails=$((fails + 1))
    fi
  done
  echo "ok: '$line<TAB>' -> $(tr '\n' ' ' <<<"$got")"
}
check "slothctl " agent metrics run
check "slothctl run --" --file --values --set --agent --group --dry-run
check "slothctl run --agent " local .
check "slothctl agent " info health tasks cancel run metrics
check "slothctl metrics " prom grafana
check "slothctl metrics grafana --" --watch --interval --color --graph
check "slothctl metrics grafana --graph " braille block ascii
check "slothctl --output " text json
check "slothctl --socket $W/c.sock agent run " local . compl-agent
check "slothctl agent info --socket $W/c.sock " local . compl-agent
check "slothctl agent run --n" --name --no-color
check "slothctl metrics prom --sn" --snapshot
check "slothctl --" --socket --endpoint --output --timeout --no-color --help --version
check "slothctl --ca" --cacert
check "slothctl --password" --password-file
((fails == 0)) || exit 1

if command -v zsh >/dev/null; then
  zsh -n "$DIR/_slothctl" || { echo "FAIL: zsh syntax"; exit 1; }
  echo "ok: _slothctl parses (zsh -n)"
fi
