# Shared by the reliability scenarios (sourced): a work directory, slothd started and awaited on
# its "ready" line, the figures printed as "figure: ..." lines, failures counted.
# Needs SLOTHD (and SLOTHCTL, HTTP_LOAD, TASK_FLOOD as a scenario uses them) in the environment;
# ctest sets them (tests/reliability/CMakeLists.txt), long.sh too. LONG=1: the long variant.
set -euo pipefail
[[ $(id -u) == 0 ]] || { echo "SKIP: the reliability scenarios need root (source addresses, namespaces, setpriv)"; exit 77; }
LONG=${LONG:-0}
W=$(mktemp -d /tmp/slothd-reliability.XXXXXX)
chmod 755 "$W"  # uid 65534 reaches the sockets in it where a scenario opens them up
FAILS=0
STARTED_PIDS=()
cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

figure() { echo "figure: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
finish() {
  if [[ $FAILS == 0 ]]; then echo "OK"; exit 0; fi
  echo "$FAILS failure(s)"
  exit 1
}

# start_slothd NAME CONFIG_TEXT [WRAPPER...]: slothd under $W/NAME.*, on a free loopback port,
# started through WRAPPER (prlimit, unshare, ...) if given; sets PID, PORT, SOCK, LOG, STATE.
start_slothd() {
  local name=$1 config=$2
  shift 2
  printf '%s\n' "$config" >"$W/$name.toml"
  LOG=$W/$name.log SOCK=$W/$name.sock STATE=$W/$name-state
  "$@" "$SLOTHD" --config "$W/$name.toml" --metrics-address 127.0.0.1 --metrics-port 0 \
    --state-dir "$STATE" --control-socket "$SOCK" >"$LOG" 2>&1 &
  PID=$!
  STARTED_PIDS+=("$PID")
  local i
  for i in $(seq 200); do
    grep -q ' ready ' "$LOG" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { cat "$LOG"; echo "FAIL: slothd $name exited at start"; exit 1; }
    sleep 0.1  # polling the log for the readiness line against a deadline
  done
  PORT=$(grep -o 'SLOTH_METRICS_URL=http://127.0.0.1:[0-9]*' "$LOG" | head -1 | sed 's/.*://' || true)
  [[ -n $PORT ]] || { cat "$LOG"; echo "FAIL: slothd $name did not become ready"; exit 1; }
}

stop_slothd() {  # SIGTERM, and its exit code must be 0
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  [[ $rc == 0 ]] || fail "slothd exited $rc after SIGTERM"
}

# health: "CODE BODY" of GET /health (CODE 000 when it did not answer within 5 s).
health() {
  local out
  out=$(curl -s --max-time 5 -w '\n%{http_code}' "http://127.0.0.1:$PORT/health" 2>/dev/null || true)
  echo "${out##*$'\n'} $(echo ${out%$'\n'*})"
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
threads_of() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
fds_of() { ls "/proc/$1/fd" | wc -l; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
