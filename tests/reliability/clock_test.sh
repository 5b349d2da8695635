#!/usr/bin/env bash
# A wall-clock jump under a running slothd, forward an hour and then two hours back. The real
# clock is the whole machine's (a time namespace shifts only the monotonic and boot clocks), so
# slothd runs under Debian's libfaketime with only CLOCK_REALTIME faked, moved through a file while
# it runs. Passes when a task's timeout fires on time, a task that spans the jump keeps its true
# duration, /health and /metrics answer, and the next task runs: nothing waits on the wall clock.
source "$(dirname "$0")/lib.sh"
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[[ -r $FAKETIME_LIB ]] || { echo "FAIL: $FAKETIME_LIB is missing: install faketime (packaging/install-deps.sh test)"; exit 1; }
ctl() { "$SLOTHCTL" --socket "$SOCK" "$@"; }
now() { date +%s.%N; }  # this script's clock is the real one
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", b - a}'; }

# A sanitizer's runtime must be the first library loaded, and when it is preloaded ahead of
# libfaketime the two deadlock at start (even `/bin/true` hangs): plain builds only.
if ldd "$SLOTHD" | grep -Eq '^\s*lib[at]san\.so'; then
  echo "SKIP: $SLOTHD is built with a sanitizer, whose runtime and libfaketime deadlock when both are preloaded"
  exit 77
fi
clock=$W/clock
echo "+0" >"$clock"
start_slothd clock "" env LD_PRELOAD="$FAKETIME_LIB" FAKETIME_TIMESTAMP_FILE="$clock" FAKETIME_NO_CACHE=1 \
  FAKETIME_DONT_FAKE_MONOTONIC=1

# slothd's own idea of the time: the Date header of its answers (libmicrohttpd reads the wall clock).
slothd_epoch() { date -d "$(curl -sI --max-time 5 "http://127.0.0.1:$PORT/health" | tr -d '\r' | sed -n 's/^Date: //p')" +%s; }
# jump OFFSET SECONDS: sets the fake clock and waits until slothd's answers show it.
jump() {
  echo "$1" >"$clock"
  local i
  for i in $(seq 100); do
    (($(slothd_epoch) - $(date +%s) > $2 - 60 && $(slothd_epoch) - $(date +%s) < $2 + 60)) && return 0
    sleep 0.1  # polling slothd's Date header for the new clock against a deadline
  done
  fail "slothd's clock did not move by $2 s"
}

# across: OFFSET SECONDS NAME, with a 3 s timeout task and a 2 s task running through the jump.
across() {
  local offset=$1 seconds=$2 name=$3 start timeout_rc=0 timeout_took ok_out ok_rc=0 ok_took
  start=$(now)
  ctl agent run local --timeout 3s --name "timeout-$name" 'sleep 60' >/dev/null 2>&1 &
  local timeout_pid=$!
  ( ctl agent run local --name "sleep-$name" 'sleep 2; echo done' >"$W/ok-$name.out" 2>&1; echo $? >"$W/ok-$name.rc" ) &
  local ok_pid=$!
  jump "$offset" "$seconds"
  wait "$timeout_pid" || timeout_rc=$?
  timeout_took=$(elapsed "$start" "$(now)")
  wait "$ok_pid" || true
  ok_took=$(elapsed "$start" "$(now)")
  ok_rc=$(cat "$W/ok-$name.rc")
  ok_out=$(cat "$W/ok-$name.out")
  [[ $timeout_rc == 124 ]] || fail "$name: the 3 s timeout task exited $timeout_rc, expected 124"
  awk -v t="$timeout_took" 'BEGIN {exit !(t >= 2.5 && t < 20)}' ||
    fail "$name: the 3 s timeout fired after ${timeout_took} s"
  [[ $ok_rc == 0 && $ok_out == *done* ]] || fail "$name: the 2 s task: exit $ok_rc: $ok_out"
  # Its duration as slothd recorded it, from the task list.
  local recorded
  recorded=$(ctl --output json agent tasks local | /usr/bin/python3 -c "
import json, sys
tasks = json.load(sys.stdin)
tasks = tasks.get('tasks', tasks) if isinstance(tasks, dict) else tasks
print(next(t.get('duration_seconds', t.get('duration', -1)) for t in tasks if t.get('name') == 'sleep-$name'))")
  awk -v d="$recorded" 'BEGIN {exit !(d >= 1.9 && d < 10)}' || fail "$name: the 2 s task's recorded duration is $recorded"
  local got
  got=$(health)
  [[ $got == "200 OK"* ]] || fail "$name: /health said '$got'"
  ctl agent run local 'echo after' | grep -q after || fail "$name: a task after the jump"
  figure "wall clock $name ($offset): the 3 s timeout fired after ${timeout_took} s (exit 124); a 2 s task across" \
    "the jump took ${ok_took} s and is recorded as ${recorded} s; /health '$got'; the next task ran"
}

across "+1h" 3600 forward
across "-1h" -3600 back
sum=$(metric 'sloth_task_duration_seconds_sum{group="adhoc",task="sleep-back"}')
[[ -n $sum ]] && awk -v s="$sum" 'BEGIN {exit !(s >= 1.9 && s < 10)}' ||
  fail "sloth_task_duration_seconds_sum of the task across the backward jump: '$sum'"
figure "sloth_task_duration_seconds_sum of the 2 s task across the backward jump: $sum s"
stop_slothd
finish
