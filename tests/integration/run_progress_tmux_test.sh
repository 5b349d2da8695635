#!/usr/bin/env bash
# End-to-end: `slothctl run` in a real terminal (tmux) against a real slothd. On a terminal the
# progress is a line per task redrawn in place (the cursor hidden meanwhile), then the summary;
# with NO_COLOR it is plain lines, one per change. Usage: run_progress_tmux_test.sh SLOTHD SLOTHCTL.
# Exit 0 pass, 1 fail, 77 skip (no tmux). Every wait polls the real state with a deadline.
set -euo pipefail
SLOTHD=$1
SLOTHCTL=$2
command -v tmux >/dev/null || { echo "SKIP: tmux not installed"; exit 77; }

WORK=$(mktemp -d)
TMUX_SERVER="slothrun-$$"
T() { tmux -L "$TMUX_SERVER" -f /dev/null "$@"; }
DAEMON_PID=
cleanup() {
  T kill-server 2>/dev/null || true
  if [[ -n $DAEMON_PID ]]; then kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*"
  echo "--- last pane capture:"; T capture-pane -p -t "$PANE" 2>/dev/null || true
  echo "--- slothd log:"; tail -20 "$WORK/slothd.log" || true
  exit 1
}
wait_until() {  # DESCRIPTION SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out waiting for $what"
    sleep 0.05
  done
}
pane() { T capture-pane -p -t "$PANE"; }
pane_has() { pane | grep -qE -- "$1"; }
lines_matching() { pane | grep -cE -- "$1" || true; }

mkdir -p "$WORK/state"
SOCK="$WORK/c.sock"
"$SLOTHD" --name runtest --config /dev/null --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$WORK/state" --control-socket "$SOCK" >"$WORK/slothd.log" 2>&1 &
DAEMON_PID=$!
wait_until "slothd ready" 20 grep -q 'SLOTH_METRICS_URL=' "$WORK/slothd.log"

cat >"$WORK/flow.toml" <<TOML
[groups.g.tasks]
a.command = "until [ -e $WORK/release-a ]; do sleep 0.02; done"
b = { command = "until [ -e $WORK/release-b ]; do sleep 0.02; done", depends_on = ["a"] }
c = { command = "true", depends_on = ["b"] }
TOML

echo "== on a terminal: a line per task, redrawn in place"
PANE=live
T new-session -d -s live -x 100 -y 20 \
  "env LANG=C.UTF-8 TERM=xterm-256color '$SLOTHCTL' --socket '$SOCK' run -f '$WORK/flow.toml'; echo \$? > '$WORK/rc'; exec sleep 600"
wait_until "g.a running" 10 pane_has 'g\.a +running'
pane_has 'g\.c +queued' || fail "the queued task has no line"
pane_has 'workflow flow · run w-[0-9]+-[0-9a-f]+ · 0/3 succeeded, 1 running' || fail "no header line"
[[ $(T display -p -t live '#{cursor_flag}') == 0 ]] || fail "the cursor is not hidden while the run goes on"
touch "$WORK/release-a"
wait_until "g.b running" 10 pane_has 'g\.b +running'
pane_has 'g\.a +success' || fail "g.a is not shown done"
[[ $(lines_matching '^(✅ |⏳ |⏸️ )?g\.a ') == 1 ]] || fail "g.a's line was not redrawn in place"
[[ $(lines_matching 'workflow flow · run') == 1 ]] || fail "the header was not redrawn in place"
touch "$WORK/release-b"
wait_until "slothctl's exit" 10 test -s "$WORK/rc"
[[ $(cat "$WORK/rc") == 0 ]] || fail "exit code $(cat "$WORK/rc"), expected 0"
pane_has 'workflow flow run w-[0-9]+-[0-9a-f]+: success in .*: 3 succeeded, 0 failed, 0 skipped' || fail "no summary"
pane_has 'TASK +STATUS +ATTEMPTS' || fail "no summary table"
[[ $(T display -p -t live '#{cursor_flag}') == 1 ]] || fail "the cursor was not given back"

echo "== NO_COLOR: plain lines, one per change"
rm -f "$WORK/release-a" "$WORK/release-b" "$WORK/rc"
PANE=plain
T new-session -d -s plain -x 100 -y 30 \
  "env NO_COLOR=1 LANG=C.UTF-8 TERM=xterm-256color '$SLOTHCTL' --socket '$SOCK' run -f '$WORK/flow.toml'; echo \$? > '$WORK/rc'; exec sleep 600"
wait_until "g.a running" 10 pane_has '^g\.a: running \(t-'
touch "$WORK/release-a" "$WORK/release-b"
wait_until "slothctl's exit" 10 test -s "$WORK/rc"
pane_has '^g\.a: success in ' || fail "no plain line for g.a's end"
[[ $(lines_matching '^g\.a: ') == 2 ]] || fail "expected g.a's two changes as two lines"
pane_has '✅' && fail "emoji with NO_COLOR"
pane | grep -q $'\x1b' && fail "escape sequences with NO_COLOR"
echo "run progress: all checks passed"
