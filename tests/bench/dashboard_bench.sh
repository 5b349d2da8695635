#!/usr/bin/env bash
# Dashboard benchmark: (1) wall time of a single-view render (`slothctl metrics grafana`) against
# an HTTP endpoint serving 10,000 series, target <= 50 ms (median of 11 runs); (2) CPU% of
# `--watch --interval 1` in a real terminal (tmux) over 30 s against a real slothd, target <= 1 %
# (also reported, for information, against the 10,000-series endpoint).
# Usage: dashboard_bench.sh [SLOTHD SLOTHCTL] (default: build/release, else build/debug).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=build/release; [[ -x $BUILD/ctl/slothctl ]] || BUILD=build/debug
SLOTHD=${1:-$BUILD/daemon/slothd}
SLOTHCTL=${2:-$BUILD/ctl/slothctl}
SECONDS_CPU=${SLOTH_BENCH_CPU_SECONDS:-30}
WORK=$(mktemp -d)
TMUX_SERVER="slothbench-$$"
T() { tmux -L "$TMUX_SERVER" -f /dev/null "$@"; }
PIDS=()
cleanup() {
  T kill-server 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_until() {  # DESCRIPTION SECONDS COMMAND...
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "timed out waiting for $what"; exit 1; }
    sleep 0.05
  done
}
status=0
verdict() { if awk "BEGIN{exit !($1 <= $2)}"; then echo PASS; else echo FAIL; status=1; fi; }

echo "binary: $SLOTHCTL ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"

# --- 10,000 series from slothd's families, served by python's HTTP server.
mkdir -p "$WORK/www"
python3 - "$WORK/www/metrics" <<'PY'
import sys
out, n = [], 0
bounds = ["0.005", "0.01", "0.05", "0.1", "0.5", "1", "2.5", "5", "10", "30", "+Inf"]
out.append("# HELP sloth_task_duration_seconds Task wall time in seconds, by group and task.")
out.append("# TYPE sloth_task_duration_seconds histogram")
for t in range(600):
    labels = f'group="g{t % 40}",task="task-{t}"'
    for i, le in enumerate(bounds):
        out.append(f'sloth_task_duration_seconds_bucket{{{labels},le="{le}"}} {min(i * 7 + t % 5, 70)}'); n += 1
    out.append(f"sloth_task_duration_seconds_sum{{{labels}}} {t * 0.37}"); n += 1
    out.append(f"sloth_task_duration_seconds_count{{{labels}}} 70"); n += 1
out.append("# TYPE sloth_tasks_total counter")
for g in range(200):
    for s in ("success", "failed", "skipped"):
        out.append(f'sloth_tasks_total{{group="g{g}",status="{s}"}} {g * 3 + len(s)}'); n += 1
out.append("# TYPE sloth_grpc_requests_total counter")
for m in range(50):
    for s in ("OK", "CANCELLED", "UNAVAILABLE", "DEADLINE_EXCEEDED"):
        out.append(f'sloth_grpc_requests_total{{method="sloth.v1.Agent/M{m}",status="{s}"}} {m + 1}'); n += 1
out.append("# TYPE sloth_grpc_request_duration_seconds histogram")
for m in range(50):
    for i, le in enumerate(bounds):
        out.append(f'sloth_grpc_request_duration_seconds_bucket{{method="sloth.v1.Agent/M{m}",le="{le}"}} {i * 3}'); n += 1
    out.append(f'sloth_grpc_request_duration_seconds_sum{{method="sloth.v1.Agent/M{m}"}} 1.5'); n += 1
    out.append(f'sloth_grpc_request_duration_seconds_count{{method="sloth.v1.Agent/M{m}"}} 30'); n += 1
out += ["# TYPE sloth_agent_info gauge", 'sloth_agent_info{arch="amd64",os="linux",version="0.1.0"} 1',
        "# TYPE sloth_agent_uptime_seconds gauge", "sloth_agent_uptime_seconds 3600",
        "# TYPE process_resident_memory_bytes gauge", "process_resident_memory_bytes 52428800",
        "# TYPE process_cpu_seconds_total counter", "process_cpu_seconds_total 12.5"]
n += 4
out.append("# TYPE sloth_errors_total counter")
while n < 10000:
    out.append(f'sloth_errors_total{{type="kind_{n}"}} {n % 3}'); n += 1
open(sys.argv[1], "w").write("\n".join(out) + "\n")
print(f"generated {n} series, {sum(len(l) + 1 for l in out)} bytes")
PY
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$PORT" >/dev/null 2>&1 &
PIDS+=($!)
BIG_URL="http://127.0.0.1:$PORT/metrics"
wait_until "the HTTP server" 10 curl -sf -o /dev/null "$BIG_URL"

times=()
for _ in $(seq 11); do
  start=$(date +%s%N)
  LANG=C.UTF-8 "$SLOTHCTL" --endpoint "$BIG_URL" metrics grafana big > "$WORK/frame.txt"
  times+=($(( ($(date +%s%N) - start) / 1000 )))
done
median_us=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 6p)
median_ms=$(awk "BEGIN{printf \"%.1f\", $median_us / 1000}")
echo "single view, 10000 series over HTTP: median ${median_ms} ms (min $(printf '%s\n' "${times[@]}" | sort -n | head -1) us) target <= 50 ms: $(verdict "$median_ms" 50)"

# --- CPU of --watch --interval 1 in a terminal.
cpu_of_watch() {  # URL-or-socket-args... ; prints the CPU% over SECONDS_CPU
  rm -f "$WORK/pid"
  T kill-server 2>/dev/null || true
  T new-session -d -s w -x 120 -y 50 "echo \$\$ > '$WORK/pid'; exec env LANG=C.UTF-8 TERM=xterm-256color $* metrics grafana bench --watch --interval 1"
  wait_until "slothctl" 10 test -s "$WORK/pid"
  local pid; pid=$(cat "$WORK/pid")
  wait_until "the first frame" 10 sh -c "tmux -L '$TMUX_SERVER' capture-pane -p -t w | grep -q \"q quit\""
  local hz; hz=$(getconf CLK_TCK)
  local before after t0 t1
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t0=$(date +%s%N)
  sleep "$SECONDS_CPU"
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat"); t1=$(date +%s%N)
  T send-keys -t w q
  awk "BEGIN{printf \"%.2f\", ($after - $before) / $hz / (($t1 - $t0) / 1e9) * 100}"
}

mkdir -p "$WORK/state"
"$SLOTHD" --name bench --config /dev/null --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$WORK/state" --control-socket "$WORK/c.sock" >"$WORK/slothd.log" 2>&1 &
PIDS+=($!)
wait_until "slothd" 20 grep -q 'SLOTH_METRICS_URL=' "$WORK/slothd.log"
for _ in 1 2 3; do "$SLOTHCTL" --socket "$WORK/c.sock" agent run bench "true" >/dev/null; done

cpu=$(cpu_of_watch "'$SLOTHCTL' --socket '$WORK/c.sock'")
echo "watch --interval 1 over ${SECONDS_CPU}s, local slothd over the socket: ${cpu}% CPU target <= 1 %: $(verdict "$cpu" 1)"
cpu_big=$(cpu_of_watch "'$SLOTHCTL' --endpoint '$BIG_URL'")
echo "watch --interval 1 over ${SECONDS_CPU}s, 10000-series endpoint (information): ${cpu_big}% CPU"
exit $status
