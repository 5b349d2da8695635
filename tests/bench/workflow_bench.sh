#!/usr/bin/env bash
# Workflow benchmark (issue 15): the scheduling overhead of a workflow's task against the same
# task run ad hoc, in the same run. A batch is BENCH_TASKS (default 1,000) tasks of `true`:
#   wide:  no dependencies. The workflow runs up to [workflows] max_parallel (16) at once; ad hoc,
#          16 RunTask streams are kept in flight by one client thread (the cheapest client).
#   chain: each task after the one before. The workflow's depends_on; ad hoc, one RunTask after
#          the other from one client.
# Per task: the batch's wall time / tasks, and the agent's CPU (user+system) / tasks. Rounds are
# interleaved (workflow and ad hoc alternate which goes first); the median over BENCH_ROUNDS
# (default 5) is the figure, and the ratio workflow / ad hoc of the medians is checked against
# the target: a workflow task costs <= 1.2x an ad-hoc task.
# Env: BENCH_TASKS, BENCH_ROUNDS, BENCH_NO_BUILD=1 to skip the build.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
TASKS=${BENCH_TASKS:-1000}
ROUNDS=${BENCH_ROUNDS:-5}
B=build/release

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  packaging/install-deps.sh all
  cmake --preset release >/dev/null
  cmake --build --preset release --target slothd slothd_grpc workflow_throughput >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/slothd-flowbench-XXXXXX")
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The defaults, written out: 16 tasks of a run at once, 16 runner slots; history kept small.
printf '[tasks]\nmax_concurrent = 16\nmax_queued = 1024\nhistory = 100\n[workflows]\nmax_parallel = 16\n' \
  > "$work/bench.toml"
"$B/daemon/slothd" --name local --config "$work/bench.toml" --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$work/state" --control-socket "$work/c.sock" --log-level warning 2>"$work/slothd.log" &
pid=$!
for _ in $(seq 200); do [ -S "$work/c.sock" ] && break; sleep 0.05; done
[ -S "$work/c.sock" ] || { cat "$work/slothd.log"; echo "slothd did not start" >&2; exit 1; }
agent_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # the agent's user+system CPU, in clock ticks
bench() { "$B/tests/bench/workflow_throughput" "$work/c.sock" "$@"; }
bench wide adhoc 50 >/dev/null && bench wide workflow 50 >/dev/null  # warm: modules loaded, threads made

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs shared by client, agent and tasks)"
echo "== $TASKS tasks of 'true' per batch, $ROUNDS interleaved rounds"
rows="$work/rows"
: > "$rows"
for round in $(seq "$ROUNDS"); do
  for shape in wide chain; do
    order="workflow adhoc"
    [ $((round % 2)) -eq 0 ] && order="adhoc workflow"
    for mode in $order; do
      ticks0=$(agent_ticks)
      read -r _ _ _ _ seconds failed client_cpu < <(bench "$shape" "$mode" "$TASKS")
      ticks1=$(agent_ticks)
      echo "$shape $mode $round $seconds $failed $client_cpu $((ticks1 - ticks0))" >> "$rows"
    done
  done
done
python3 - "$rows" "$TASKS" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
tasks, hz = int(sys.argv[2]), float(sys.argv[3])
def of(shape, mode, col, scale):
    return [float(r[col]) * scale for r in rows if r[0] == shape and r[1] == mode]
print(f"   {'shape':<6} {'mode':<9} {'wall/task':>10} {'[min-max]':>17} {'agent CPU/task':>15} {'client CPU/task':>16} {'failed':>7}")
verdicts = []
for shape in ("wide", "chain"):
    med = {}
    for mode in ("workflow", "adhoc"):
        wall = of(shape, mode, 3, 1e6 / tasks)
        agent = of(shape, mode, 6, 1e6 / hz / tasks)
        client = of(shape, mode, 5, 1)
        failed = sum(int(r[4]) for r in rows if r[0] == shape and r[1] == mode)
        med[mode] = (statistics.median(wall), statistics.median(agent))
        print(f"   {shape:<6} {mode:<9} {med[mode][0]:8.0f}us [{min(wall):6.0f}-{max(wall):6.0f}] "
              f"{med[mode][1]:13.0f}us {statistics.median(client):14.0f}us {failed:7d}")
    for i, what in ((0, "wall time"), (1, "agent CPU")):
        ratio = med["workflow"][i] / med["adhoc"][i]
        verdicts.append((f"{shape:<5} {what:<9}", ratio))
print()
print("Target: a workflow task costs <= 1.2x an ad-hoc task (ratio workflow / ad hoc of the medians):")
for label, ratio in verdicts:
    print(f"  {'PASS' if ratio <= 1.2 else 'FAIL'} {label} {ratio:5.2f}")
PY
