#!/usr/bin/env bash
# Tasks that push the runner: 10,000 queued at once (RunTask streams on one connection), a task
# that forks 1,000 children and times out, and a task that floods stdout and stderr at once.
# Passes when every queued task ends with its result (none lost), the timed-out task leaves no
# child behind, the flooded output is counted while only the cap is kept, and slothd stays
# healthy; the figures are printed. LONG=1: 10,000 queued tasks twice, 10,000 children, 2 GiB.
source "$(dirname "$0")/lib.sh"
ctl() { "$SLOTHCTL" --socket "$SOCK" "$@"; }
queued=10000 children=1000 flood_mib=200
if [[ $LONG == 1 ]]; then children=10000 flood_mib=2048; fi
start_slothd tasks $'[tasks]\nmax_queued = 10000\nkill_grace = "1s"\n[log]\nlevel = "notice"'

# A task forking 1,000 children, cut by its timeout: none may survive it.
marker=$((RANDOM + 40000))
rc=0
ctl agent run local --timeout 3s -- "for i in \$(seq $children); do sleep $marker & done; wait" >/dev/null 2>&1 || rc=$?
[[ $rc == 124 ]] || fail "the forking task should have timed out (exit 124), got $rc"
left=$(pgrep -c -f "^sleep $marker\$" || true)
for _ in $(seq 50); do [[ $left == 0 ]] && break; sleep 0.1; left=$(pgrep -c -f "^sleep $marker\$" || true); done
[[ $left == 0 ]] || fail "$left children of the timed-out task are still running"
figure "a task forking $children children, timed out after 3 s: $left left running; slothd $(threads_of "$PID") threads, $(fds_of "$PID") descriptors"

# stdout and stderr flooded at once, streamed to slothctl.
truncated_before=$(metric sloth_task_output_truncated_total)
peak=0
( while kill -0 "$PID" 2>/dev/null; do r=$(awk '/^VmRSS:/ {print $2}' /proc/$PID/status); echo "$r"; sleep 0.1; done ) >"$W/rss.samples" &
sampler=$!
start=$(date +%s.%N)
ctl agent run local -- "head -c ${flood_mib}M /dev/zero | tr '\\0' o & head -c ${flood_mib}M /dev/zero | tr '\\0' e >&2; wait" \
  >"$W/flood.stdout" 2>"$W/flood.stderr" || fail "the flooding task failed"
took=$(echo "$(date +%s.%N) - $start" | bc)
kill "$sampler" 2>/dev/null || true
peak=$(sort -n "$W/rss.samples" | tail -1)
out_bytes=$(stat -c %s "$W/flood.stdout") err_bytes=$(stat -c %s "$W/flood.stderr")
[[ $out_bytes == $((flood_mib * 1048576)) ]] || fail "stdout streamed $out_bytes bytes of $((flood_mib * 1048576))"
[[ $(grep -c . "$W/flood.stderr" || true) -le 1 ]] && [[ $err_bytes -ge $((flood_mib * 1048576)) ]] ||
  fail "stderr streamed $err_bytes bytes"
[[ $(metric sloth_task_output_truncated_total) == $((truncated_before + 1)) ]] || fail "the flood's truncation was not counted"
figure "stdout and stderr flooded at once: 2 x ${flood_mib} MiB streamed in ${took%.*} s ($(echo "2 * $flood_mib / $took" | bc) MiB/s); slothd peak resident $((peak / 1024)) MiB"
[[ $(health) == "200 OK"* ]] || fail "/health after the floods: $(health)"
# 10,000 queued.
rounds=1
[[ $LONG == 1 ]] && rounds=2
for round in $(seq $rounds); do
  "$TASK_FLOOD" --socket "$SOCK" --pid "$PID" --tasks $queued --seconds 280 | tee "$W/flood.out" ||
    fail "queued tasks were lost (a stream ended without its result)"
  grep -q "^ *$queued TASK_STATUS_SUCCESS" "$W/flood.out" || fail "not every queued task succeeded"
  figure "10,000 queued tasks (round $round): $(head -1 "$W/flood.out" | sed 's/^tasks: //'); $(tail -1 "$W/flood.out" | sed 's/^agent: //'); after: $(threads_of "$PID") threads, $(rss_mib "$PID") MiB"
done
[[ $(health) == "200 OK"* ]] || fail "/health after the queue: $(health)"

stop_slothd
finish
