#!/usr/bin/env bash
# Task benchmarks (issue 3), printed side by side:
#   - round trip of a whole `slothctl agent run local true` (cold CLI process, warm agent):
#     median and p99 over BENCH_RUNS runs (hyperfine);
#   - the agent's task throughput with N concurrent gRPC clients running `true`, as a ratio to
#     the raw posix_spawn+waitpid rate of `/bin/sh -c true` from N threads in the same run
#     (measured just before and just after the agent's runs, averaged).
#     Two kinds of client: N threads with a blocking stub each ("threads"), and N streams kept in
#     flight by one thread on a completion queue ("async", cheaper on the shared cores). The
#     runner alone (no gRPC, same process) is shown between the two limits.
# Targets: CLI median <= 15 ms; throughput ratio >= 0.7.
# Env: BENCH_SECONDS (default 5), BENCH_RUNS (default 200), BENCH_CLIENTS (default "1 4 16"),
#      BENCH_NO_BUILD=1 to skip the build.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
SECONDS_PER=${BENCH_SECONDS:-5}
RUNS=${BENCH_RUNS:-200}
CLIENTS=${BENCH_CLIENTS:-"1 4 16"}
B=build/release

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  packaging/install-deps.sh all
  cmake --preset release >/dev/null
  cmake --build --preset release --target slothd slothd_grpc slothctl spawn_rate runner_rate task_throughput >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/slothd-taskbench-XXXXXX")
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

printf '[tasks]\nmax_concurrent = 64\nmax_queued = 1024\n' > "$work/bench.toml"
"$B/daemon/slothd" --name local --config "$work/bench.toml" --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$work/state" --control-socket "$work/c.sock" --log-level warning 2>"$work/slothd.log" &
pid=$!
for _ in $(seq 200); do [ -S "$work/c.sock" ] && break; sleep 0.05; done
[ -S "$work/c.sock" ] || { cat "$work/slothd.log"; echo "slothd did not start" >&2; exit 1; }
CTL=("$B/ctl/slothctl" --socket "$work/c.sock")
"${CTL[@]}" agent run local true >/dev/null   # loads the gRPC front end: measure the warm agent

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs shared by clients, agent and tasks)"
echo
echo "== slothctl agent run local true (whole process, cold CLI), $RUNS runs"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$work/cli.json" \
  "${CTL[*]} agent run local true" >/dev/null 2>&1
read -r median p99 mean < <(python3 - "$work/cli.json" <<'PY'
import json, sys
t = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
q = lambda p: t[min(len(t) - 1, int(round(p * (len(t) - 1))))]
print(f"{q(0.5)*1e3:.2f} {q(0.99)*1e3:.2f} {sum(t)/len(t)*1e3:.2f}")
PY
)
printf '   median %s ms   p99 %s ms   mean %s ms\n' "$median" "$p99" "$mean"
echo
echo "== task throughput: agent over gRPC vs raw posix_spawn+waitpid of /bin/sh -c true (${SECONDS_PER}s each)"
printf '   %-8s %21s %12s %12s %8s %12s %8s %7s\n' clients "raw spawn/s (bef/aft)" "runner/s" "threads/s" ratio "async/s" ratio failed
worst_threads=""
worst_async=""
for n in $CLIENTS; do
  # The raw rate is taken before and after the agent's runs and averaged: the machine's own
  # drift over the ~20 s of one row (other tenants, CPU frequency) then cancels out.
  read -r _ _ raw_before < <("$B/tests/bench/spawn_rate" "$n" "$SECONDS_PER")
  read -r _ _ runner _ < <("$B/tests/bench/runner_rate" "$n" "$SECONDS_PER")
  read -r _ _ threads failed1 < <("$B/tests/bench/task_throughput" "$work/c.sock" "$n" "$SECONDS_PER" threads)
  read -r _ _ async failed2 < <("$B/tests/bench/task_throughput" "$work/c.sock" "$n" "$SECONDS_PER" async)
  read -r _ _ raw_after < <("$B/tests/bench/spawn_rate" "$n" "$SECONDS_PER")
  raw=$(python3 -c "print(f'{($raw_before + $raw_after) / 2:.1f}')")
  r1=$(python3 -c "print(f'{$threads/$raw:.2f}')")
  r2=$(python3 -c "print(f'{$async/$raw:.2f}')")
  printf '   %-8s %21s %12s %12s %8s %12s %8s %7s\n' "$n" "$raw ($raw_before/$raw_after)" "$runner" "$threads" "$r1" "$async" "$r2" "$((failed1 + failed2))"
  worst_threads=$(python3 -c "w='$worst_threads'; print($r1 if not w else min(float(w), $r1))")
  worst_async=$(python3 -c "w='$worst_async'; print($r2 if not w else min(float(w), $r2))")
done
echo
echo "Targets:"
python3 - "$median" "$worst_threads" "$worst_async" <<'PY'
import sys
median, threads, asynch = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"  {'PASS' if median <= 15 else 'FAIL'} CLI round trip median <= 15 ms:                 {median:.2f} ms")
print(f"  {'PASS' if threads >= 0.7 else 'FAIL'} throughput ratio >= 0.7, worst N, thread clients: {threads:.2f}")
print(f"  {'PASS' if asynch >= 0.7 else 'FAIL'} throughput ratio >= 0.7, worst N, async client:   {asynch:.2f}")
PY
