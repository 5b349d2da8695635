#!/usr/bin/env bash
# End-to-end: slothctl asks for the basic-auth password on a real terminal (tmux), without echo,
# and a slothd behind a web-config (basic auth only, plain HTTP) lets the scrape through.
# Usage: password_prompt_tmux_test.sh SLOTHD SLOTHCTL. Exit 0 pass, 1 fail, 77 skip.
# Every wait polls the real state with a deadline; no fixed sleeps.
set -euo pipefail
SLOTHD=$1
SLOTHCTL=$2
for tool in tmux htpasswd; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

WORK=$(mktemp -d)
TMUX_SERVER="slothpw-$$"
# shellcheck source=tmux_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.sh"
DAEMON_PID=
cleanup() {
  T kill-server 2>/dev/null || true
  if [[ -n $DAEMON_PID ]]; then kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- last pane capture:"; T capture-pane -p -t pw 2>/dev/null || true
  echo "--- slothd log:"; tail -20 "$WORK/slothd.log" || true
  exit 1
}
pane_has() { T capture-pane -p -t pw | grep -qF -- "$1"; }

PASSWORD=typed-at-the-prompt
printf 'basic_auth_users:\n  prometheus: %s\n' "$(htpasswd -nbBC 4 prometheus "$PASSWORD" | cut -d: -f2)" \
  >"$WORK/web.yml"
mkdir -p "$WORK/state"
"$SLOTHD" --name pwtest --config /dev/null --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$WORK/state" --control-socket "$WORK/c.sock" --web.config.file "$WORK/web.yml" \
  >"$WORK/slothd.log" 2>&1 &
DAEMON_PID=$!
wait_until "slothd ready" 20 grep -qs 'SLOTH_METRICS_URL=' "$WORK/slothd.log"
URL=$(grep -o 'SLOTH_METRICS_URL=[^ )]*' "$WORK/slothd.log" | head -1 | cut -d= -f2)

echo "== the password is asked on the terminal and not echoed"
T new-session -d -s pw -x 100 -y 20 \
  "env -u SLOTH_PASSWORD '$SLOTHCTL' --endpoint '$URL' --user prometheus metrics prom pwtest --snapshot \
     >'$WORK/out' 2>'$WORK/err'; echo \$? >'$WORK/rc'; exec sleep 600"
wait_until "the prompt" 10 pane_has "Password for prometheus:"
T send-keys -t pw "$PASSWORD" Enter
wait_until "slothctl to finish" 10 test -s "$WORK/rc"
[[ $(cat "$WORK/rc") == 0 ]] || fail "slothctl exited $(cat "$WORK/rc"): $(cat "$WORK/err")"
grep -q '^sloth_tasks_total{' "$WORK/out" || fail "no metrics in the output"
! pane_has "$PASSWORD" || fail "the password was echoed"
! grep -q -- "$PASSWORD" "$WORK/out" "$WORK/err" || fail "the password was printed"

echo "== a wrong password typed at the prompt is a 401"
rm -f "$WORK/rc"
T respawn-window -k -t pw \
  "env -u SLOTH_PASSWORD '$SLOTHCTL' --endpoint '$URL' --user prometheus metrics prom pwtest --snapshot \
     >'$WORK/out' 2>'$WORK/err'; echo \$? >'$WORK/rc'; exec sleep 600"
wait_until "the prompt again" 10 pane_has "Password for prometheus:"
T send-keys -t pw "not-it" Enter
wait_until "slothctl to finish" 10 test -s "$WORK/rc"
[[ $(cat "$WORK/rc") == 69 ]] || fail "expected exit 69, got $(cat "$WORK/rc")"
grep -q "HTTP 401" "$WORK/err" || fail "no HTTP 401 in: $(cat "$WORK/err")"
echo "ok: the password prompt works and never echoes"
