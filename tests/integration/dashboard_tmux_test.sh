#!/usr/bin/env bash
# End-to-end: `slothctl metrics grafana --watch` in a real terminal (tmux) against a real slothd.
# Usage: dashboard_tmux_test.sh SLOTHD SLOTHCTL. Exit 0 pass, 1 fail, 77 skip (no tmux).
# Every wait polls the real state with a deadline; no fixed sleeps.
set -euo pipefail
SLOTHD=$1
SLOTHCTL=$2
command -v tmux >/dev/null || { echo "SKIP: tmux not installed"; exit 77; }

WORK=$(mktemp -d)
TMUX_SERVER="slothtest-$$"
# shellcheck source=tmux_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.sh"
DAEMON_PID=
cleanup() {
  T kill-server 2>/dev/null || true
  if [[ -n $DAEMON_PID ]]; then
    kill -CONT "$DAEMON_PID" 2>/dev/null || true
    kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- last pane capture:"; T capture-pane -p -t dash 2>/dev/null || true
  echo "--- slothd log:"; tail -20 "$WORK/slothd.log" || true
  exit 1
}


pane() { T capture-pane -p -t dash; }
pane_has() { pane | grep -qF -- "$1"; }
pane_lacks() { ! pane | grep -qF -- "$1"; }
# After slothctl has exited ($1 says how): the normal screen is back and the cursor shows.
terminal_restored() {
  [[ $(T display -p -t dash '#{alternate_on}') == 0 ]] || fail "still in the alternate screen after $1"
  [[ $(T display -p -t dash '#{cursor_flag}') == 1 ]] || fail "cursor still hidden after $1"
}
# The widest captured line, in terminal columns (emoji count 2).
# Checked anew on every try of wait_until (a "$(pane_width)" argument would be measured once).
width_is() { [ "$(pane_width)" -eq "$1" ]; }
width_at_most() { [ "$(pane_width)" -le "$1" ]; }
pane_width() {
  pane | python3 -c '
import sys, unicodedata
def w(s): return sum(0 if unicodedata.combining(c) or c in "\u200d\ufe0f" else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
print(max((w(l.rstrip("\n")) for l in sys.stdin), default=0))'
}

mkdir -p "$WORK/state"
SOCK="$WORK/c.sock"
"$SLOTHD" --name dashtest --config /dev/null --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$WORK/state" --control-socket "$SOCK" >"$WORK/slothd.log" 2>&1 &
DAEMON_PID=$!
wait_until "slothd ready" 20 grep -qs 'SLOTH_METRICS_URL=' "$WORK/slothd.log"
METRICS_URL=$(grep -o 'SLOTH_METRICS_URL=[^ )]*' "$WORK/slothd.log" | head -1 | cut -d= -f2)
ctl() { "$SLOTHCTL" --socket "$SOCK" "$@"; }

echo "== watch in a 100x40 terminal"
T new-session -d -s dash -x 100 -y 40 \
  "env LANG=C.UTF-8 TERM=xterm-256color '$SLOTHCTL' --socket '$SOCK' metrics grafana dashtest --watch --interval 0.5; echo \$? > '$WORK/rc'; exec sleep 600"
wait_until "the dashboard" 10 pane_has "agent dashtest"
wait_until "the empty state" 5 pane_has "No tasks yet"
[[ $(T display -p -t dash '#{alternate_on}') == 1 ]] || fail "watch mode is not in the alternate screen"
[[ $(T display -p -t dash '#{cursor_flag}') == 0 ]] || fail "the cursor is not hidden while watching"

echo "== tasks run; the numbers change"
for _ in 1 2 3; do ctl agent run dashtest "sleep 0.1" >/dev/null; done
wait_until "Total 3" 10 pane_has "Total 3"
ctl agent run dashtest --group build --name compile "exit 3" >/dev/null || true
wait_until "failed 1" 10 pane_has "failed 1"
wait_until "the task performance row" 5 pane_has "build/compile"
pane_has "Fast" || fail "no speed word beside the indicator"
pane_has "P99 (last)" || fail "no last-interval column at 100 columns"
wait_until "a task-rate sparkline" 5 pane_has "Task rate"
[[ $(pane_width) -le 100 ]] || fail "a line is wider than 100 columns"
pane > "$WORK/frame100.txt"

echo "== resize to 70 columns; the frame adapts"
T resize-window -t dash -x 70
wait_until "P99 (last) to go at 70 columns" 10 pane_lacks "P99 (last)"
wait_until "frame to fit in 70 columns" 5 width_at_most 70
pane_has "GROUP/TASK" || fail "the task table is gone at 70 columns"
T resize-window -t dash -x 80
wait_until "frame redrawn at 80 columns" 10 width_is 80
pane > "$WORK/frame80.txt"

echo "== q quits, exit 0, terminal restored"
T send-keys -t dash q
wait_until "slothctl to exit" 10 test -s "$WORK/rc"
[[ $(cat "$WORK/rc") == 0 ]] || fail "exit code $(cat "$WORK/rc"), expected 0"
terminal_restored q

echo "== SIGTERM restores the terminal, then dies of it"
rm -f "$WORK/rc"
T respawn-pane -k -t dash \
  "env LANG=C.UTF-8 TERM=xterm-256color '$SLOTHCTL' --socket '$SOCK' metrics grafana dashtest --watch --interval 0.5 & echo \$! > '$WORK/pid'; wait \$!; echo \$? > '$WORK/rc'; exec sleep 600"
wait_until "the dashboard again" 10 pane_has "agent dashtest"
kill -TERM "$(cat "$WORK/pid")"
wait_until "slothctl to exit on SIGTERM" 10 test -s "$WORK/rc"
[[ $(cat "$WORK/rc") == 143 ]] || fail "exit code $(cat "$WORK/rc") on SIGTERM, expected 143"
terminal_restored SIGTERM

echo "== a lost endpoint shows a banner and keeps retrying"
rm -f "$WORK/rc"
T respawn-pane -k -t dash \
  "env LANG=C.UTF-8 '$SLOTHCTL' --endpoint '$METRICS_URL' metrics grafana dashtest --watch --interval 0.5; echo \$? > '$WORK/rc'; exec sleep 600"
wait_until "the HTTP dashboard" 10 pane_has "failed 1"
kill -STOP "$DAEMON_PID"   # the endpoint stops answering
wait_until "the lost-endpoint banner" 20 pane_has "retrying"
kill -CONT "$DAEMON_PID"
wait_until "the banner to clear" 20 pane_lacks "retrying"
T send-keys -t dash q
wait_until "slothctl to exit" 10 test -s "$WORK/rc"
[[ $(cat "$WORK/rc") == 0 ]] || fail "exit code $(cat "$WORK/rc") after the endpoint came back"

echo "== single view in a pipe: one frame, no escape codes"
LANG=C.UTF-8 ctl metrics grafana dashtest > "$WORK/pipe.txt"
grep -qF "Task Performance" "$WORK/pipe.txt" || fail "single view lacks the task performance section"
if grep -q $'\x1b' "$WORK/pipe.txt"; then fail "escape codes in a pipe"; fi
NO_COLOR=1 LANG=C.UTF-8 ctl metrics grafana dashtest --color=auto > "$WORK/pipe2.txt"
if grep -q $'\x1b' "$WORK/pipe2.txt"; then fail "escape codes with NO_COLOR"; fi
LANG=C.UTF-8 ctl metrics grafana dashtest --color=always > "$WORK/pipe3.txt"
grep -q $'\x1b\[' "$WORK/pipe3.txt" || fail "--color=always gave no colour"
LANG=C ctl metrics grafana dashtest > "$WORK/ascii.txt"
if LC_ALL=C grep -qP '[\x80-\xff]' "$WORK/ascii.txt"; then fail "non-ASCII output without a UTF-8 locale"; fi
ctl --output json metrics grafana dashtest | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert m["tasks"]["total"] == 4, m["tasks"]
assert m["tasks"]["failed"] == 1, m["tasks"]
rows = {r["group"] + "/" + r["task"]: r for r in m["task_performance"]}
assert rows["build/compile"]["count"] == 1 and rows["build/compile"]["p99_seconds"] > 0, rows
' || fail "--output json model is wrong"

echo "--- 100-column frame:"; cat "$WORK/frame100.txt"
echo "--- 80-column frame:"; cat "$WORK/frame80.txt"
echo PASS
