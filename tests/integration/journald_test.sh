#!/usr/bin/env bash
# slothd's native journald records, checked in a real systemd-journald started standalone in a
# private mount namespace (the fast tier: no PID-1 systemd). Two ways in:
#   1. log.target = "journal" (forced);
#   2. auto-detection: stderr connected to the journal's stream socket with JOURNAL_STREAM set
#      to its device:inode, exactly as systemd does for a service.
# Then `journalctl SLOTH_TASK=...` must find the task's records with every SLOTH_* field, the
# MESSAGE_IDs and PRIORITY. Usage: journald_test.sh BUILD_DIR   (root; exit 77 = skipped)
set -euo pipefail
BUILD=$(readlink -f "${1:?usage: $0 BUILD_DIR}")
[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root (mount namespace)"; exit 77; }
[ -x /lib/systemd/systemd-journald ] || { echo "skipped: no systemd-journald"; exit 77; }

exec unshare --mount --propagation private bash -s "$BUILD" <<'INNER'
set -euo pipefail
BUILD=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
W=$(mktemp -d /tmp/slothd-journal-XXXXXX)
J=""; S=""
cleanup() {
  [ -n "$S" ] && kill "$S" 2>/dev/null; [ -n "$J" ] && kill "$J" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
# A private /run and journal directory: the host's are untouched.
mount -t tmpfs tmpfs /run
mkdir -p /var/log/journal && mount -t tmpfs tmpfs /var/log/journal
/lib/systemd/systemd-journald & J=$!
for _ in $(seq 200); do [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ] && break; sleep 0.05; done
[ -S /run/systemd/journal/socket ] || fail "journald did not start"
jctl() { journalctl -q -D /run/log/journal/* "$@"; }

CTL=("$BUILD/ctl/slothctl" --socket "$W/c.sock")
run_agent() {  # how (journal|stream) task-name
  local how=$1 task=$2
  rm -f "$W/c.sock"
  if [ "$how" = journal ]; then
    printf '[log]\ntarget = "journal"\n' > "$W/slothd.toml"
    "$BUILD/daemon/slothd" --name jagent --config "$W/slothd.toml" --metrics-port 0 --metrics-address 127.0.0.1 \
      --state-dir "$W/state" --control-socket "$W/c.sock" 2>"$W/stderr.log" & S=$!
  else
    printf '' > "$W/slothd.toml"
    # As systemd does for StandardError=journal: stderr is a journal stream, JOURNAL_STREAM names it.
    systemd-cat -t slothd-stream bash -c 'export JOURNAL_STREAM=$(stat -L -c "%d:%i" /proc/self/fd/2); exec "$@"' _ \
      "$BUILD/daemon/slothd" --name jagent --config "$W/slothd.toml" --metrics-port 0 --metrics-address 127.0.0.1 \
      --state-dir "$W/state" --control-socket "$W/c.sock" & S=$!
  fi
  for _ in $(seq 200); do [ -S "$W/c.sock" ] && break; sleep 0.05; done
  [ -S "$W/c.sock" ] || fail "slothd ($how) did not start"
  "${CTL[@]}" agent run jagent --name "$task" --group jgroup 'echo hi; exit 3' >/dev/null && fail "exit 3 expected" || true
  # A workflow run: its records carry SLOTH_WORKFLOW and SLOTH_RUN_ID (check_run_records).
  printf '[groups.jg.tasks]\nfirst.command = "exit 1"\nsecond = { command = "true", depends_on = ["first"] }\n' \
    > "$W/jflow.toml"
  "${CTL[@]}" --output json run -f "$W/jflow.toml" > "$W/run-$how.json" && fail "the run should fail" || true
  kill "$S"; wait "$S" || true; S=""
  jctl --sync 2>/dev/null || true
}

check_records() {  # task
  local task=$1 rec
  for _ in $(seq 100); do
    rec=$(jctl SLOTH_TASK="$task" SLOTH_STATUS=failed -o export 2>/dev/null || true)
    [ -n "$rec" ] && break
    sleep 0.05
  done
  [ -n "$rec" ] || fail "no finished record for SLOTH_TASK=$task"
  for field in "SLOTH_TASK=$task" SLOTH_GROUP=jgroup SLOTH_AGENT=jagent SLOTH_TASK_ID=t- SLOTH_EXIT_CODE=3 \
               SLOTH_STATUS=failed PRIORITY=6 SYSLOG_IDENTIFIER=slothd MESSAGE_ID=80620c2f77684e5a8d4be7af242ffe9b \
               "MESSAGE=task t-"; do
    grep -q "^$field" <<<"$rec" || fail "field $field missing for $task:"$'\n'"$rec"
  done
  ! grep -q '^CODE_FILE=' <<<"$rec" || fail "CODE_FILE should not be set"
  jctl SLOTH_TASK="$task" MESSAGE_ID=ddb13be93dbc49a59c1a15799ac7a50b -o cat | grep -q started ||
    fail "no task-started record (MESSAGE_ID) for $task"
  jctl SLOTH_CALLER_UID=0 MESSAGE_ID=2612421591c9435e813c304447bda4bc -o cat | grep -q "RunTask jgroup/$task" ||
    fail "no audit record with SLOTH_CALLER_UID for $task"
  jctl SLOTH_AGENT=jagent MESSAGE_ID=53ae875fcfe541cd91884e959984df42 -o cat | grep -q ready ||
    fail "no agent-ready record"
  echo "ok: $task: journalctl SLOTH_TASK=$task finds its records with every field"
}

check_run_records() {  # how: every record of the run carries the workflow and the run id
  local id rec
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$W/run-$1.json")
  for _ in $(seq 100); do
    rec=$(jctl SLOTH_RUN_ID="$id" MESSAGE_ID=a0699976d80a4712b9e08cf7b1e43278 -o export 2>/dev/null || true)
    [ -n "$rec" ] && break
    sleep 0.05
  done
  for field in SLOTH_WORKFLOW=jflow SLOTH_STATUS=failed "MESSAGE=workflow jflow run $id finished: failed"; do
    grep -q "^$field" <<<"$rec" || fail "run-finished record: field $field missing:"$'\n'"$rec"
  done
  # Run started, task started, task finished, task skipped, group finished, run finished.
  for message_id in 6be99da298d649f08db4802d5d316921 ddb13be93dbc49a59c1a15799ac7a50b 80620c2f77684e5a8d4be7af242ffe9b \
                    42de126b0f46475896fac9bcb0320129 e85736ba318748c990a1540bc952d52f; do
    jctl SLOTH_RUN_ID="$id" SLOTH_WORKFLOW=jflow MESSAGE_ID=$message_id -o cat | grep -q . ||
      fail "no record with MESSAGE_ID=$message_id for run $id"
  done
  jctl SLOTH_RUN_ID="$id" SLOTH_TASK=second SLOTH_STATUS=skipped -o cat | grep -q "skipped: dependency jg.first failed" ||
    fail "no skipped record for jg.second"
  echo "ok: journalctl SLOTH_RUN_ID=$id finds the run's records ($1)"
}

run_agent journal jtask-forced
check_records jtask-forced
check_run_records journal
[ ! -s "$W/stderr.log" ] || fail "with target=journal nothing goes to stderr, got: $(cat "$W/stderr.log")"
run_agent stream jtask-auto
check_records jtask-auto
check_run_records stream
# Auto-detected native logging: the records are structured, not stream lines.
jctl -t slothd-stream -o cat | grep -q "task .* finished" && fail "records went to the text stream, not native"
echo "journald: all checks passed"
INNER
