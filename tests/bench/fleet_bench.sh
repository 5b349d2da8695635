#!/usr/bin/env bash
# Fleet benchmark: one master (release build) with BENCH_AGENTS simulated agents (default 1000),
# each on its own mutual-TLS connection with its own certificate, registered and heartbeating
# (fleet_agents), plus one real agent. Prints:
#   - the master's resident memory before and after the agents connected, and per agent;
#   - its CPU at steady state (heartbeats only), over BENCH_STEADY seconds;
#   - ListAgents p50/p99: the call on a warm operator connection (BENCH_LIST_SAMPLES calls), and
#     the whole `slothctl agent list` command (cold CLI, new TLS connection) over BENCH_RUNS runs;
#   - `slothctl agent run real-1 true` relayed through the master next to the same command on the
#     agent's local socket, in BENCH_ROUNDS interleaved rounds of BENCH_RUNS runs: the median of
#     each round, the ratio per round, and the median ratio.
# Targets: <= 100 KiB of master RSS per connected agent; agent list p99 <= 50 ms; relayed round
# trip <= 2x the local one.
# Env: BENCH_AGENTS (1000), BENCH_STEADY (30), BENCH_LIST_SAMPLES (500), BENCH_RUNS (50),
#      BENCH_ROUNDS (3), BENCH_PKI=DIR to keep (and reuse) the certificates, BENCH_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
AGENTS=${BENCH_AGENTS:-1000}
STEADY=${BENCH_STEADY:-30}
SAMPLES=${BENCH_LIST_SAMPLES:-500}
RUNS=${BENCH_RUNS:-50}
ROUNDS=${BENCH_ROUNDS:-3}
B=build/release
CERTS=etc/tls/make-fleet-certs

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  packaging/install-deps.sh all
  cmake --preset release >/dev/null
  cmake --build --preset release --target slothd slothd_grpc slothd_master slothctl fleet_agents >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/slothd-fleetbench-XXXXXX")
pki=${BENCH_PKI:-$work/pki}
master_pid="" agent_pid="" sims_pid=""
cleanup() {
  # Under set -e a failing `wait` (a killed process's status) would end the trap early.
  for pid in $sims_pid $agent_pid $master_pid; do { kill "$pid" && wait "$pid"; } 2>/dev/null || true; done
  exec 9>&- 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"  # the master and the simulated agents hold one connection per agent

echo "== certificates: a CA, the master, an operator, real-1 and $AGENTS simulated agents ($pki)"
if [ ! -f "$pki/ca.crt" ]; then
  "$CERTS" "$pki" ca >/dev/null
  "$CERTS" "$pki" master master IP:127.0.0.1 >/dev/null
  "$CERTS" "$pki" operator alice >/dev/null
  "$CERTS" "$pki" agent real-1 >/dev/null
fi
seq -f 'sim-%04g' 0 $((AGENTS - 1)) | while read -r name; do [ -f "$pki/$name.crt" ] || echo "$name"; done |
  xargs -r -P "$(nproc)" -n 1 "$CERTS" "$pki" agent >/dev/null

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

cat >"$work/master.toml" <<EOF
[master]
address = "127.0.0.1"
port = 0
cert = "$pki/master.crt"
key = "$pki/master.key"
client_ca = "$pki/ca.crt"
operators = ["alice"]
state_dir = "$work/master-state"
[telemetry]
address = "127.0.0.1"
port = 0
[log]
level = "notice"
EOF
"$B/daemon/slothd" --role master --config "$work/master.toml" 2>"$work/master.log" &
master_pid=$!
for _ in $(seq 200); do grep -q 'master ready' "$work/master.log" 2>/dev/null && break; sleep 0.05; done
address=$(grep -o "SLOTH_MASTER_ADDRESS=[^ )]*" "$work/master.log" | cut -d= -f2 || true)
[ -n "$address" ] || { cat "$work/master.log"; echo "the master did not start" >&2; exit 1; }

cat >"$work/agent.toml" <<EOF
[agent]
master = "$address"
master_ca = "$pki/ca.crt"
master_cert = "$pki/real-1.crt"
master_key = "$pki/real-1.key"
EOF
"$B/daemon/slothd" --name real-1 --config "$work/agent.toml" --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$work/agent-state" --control-socket "$work/agent.sock" --log-level warning 2>"$work/agent.log" &
agent_pid=$!
CTL=("$B/ctl/slothctl" --master "$address" --master-cacert "$pki/ca.crt" --master-cert "$pki/alice.crt"
  --master-key "$pki/alice.key")
for _ in $(seq 200); do "${CTL[@]}" --socket "$work/none.sock" agent info real-1 >/dev/null 2>&1 && break; sleep 0.05; done
sleep 2  # the master's allocations after its first calls settle before the baseline
rss_before=$(rss_kib "$master_pid")

echo "== $AGENTS simulated agents connect"
exec 9> >(exec "$B/tests/bench/fleet_agents" --master "$address" --pki "$pki" --count "$AGENTS" >"$work/sims.out" 2>"$work/sims.err")
sims_pid=$!
for _ in $(seq 6000); do grep -q '^registered' "$work/sims.out" 2>/dev/null && break; sleep 0.05; done
registered=$(awk '/^registered/ { print $2 }' "$work/sims.out")
[ "${registered:-0}" -eq "$AGENTS" ] || { cat "$work/sims.err"; echo "only ${registered:-0} of $AGENTS registered" >&2; exit 1; }
sleep 10  # connections settle (TLS sessions, first heartbeats)
rss_after=$(rss_kib "$master_pid")
ticks_before=$(cpu_ticks "$master_pid")
t0=$(date +%s.%N)
sleep "$STEADY"
ticks_after=$(cpu_ticks "$master_pid")
t1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
up=$("${CTL[@]}" --socket "$work/none.sock" agent list | tail -1)

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs, shared by the master, the agents and the clients)"
echo
echo "== master memory ($up)"
printf '   RSS before %d KiB, with %d agents %d KiB: %.1f KiB per agent (target <= 100)\n' "$rss_before" "$AGENTS" \
  "$rss_after" "$(echo "($rss_after - $rss_before) / $AGENTS" | bc -l)"
echo "== master CPU at steady state (heartbeats every 5 s from $AGENTS agents), ${STEADY}s"
printf '   %.2f %% of one CPU\n' "$(echo "($ticks_after - $ticks_before) / $hz / ($t1 - $t0) * 100" | bc -l)"

echo "== agent list ($((AGENTS + 1)) agents)"
read -r _ p50 p99 listed < <("$B/tests/bench/fleet_agents" --master "$address" --pki "$pki" --list-samples "$SAMPLES")
printf '   ListAgents on a warm connection, %d calls: p50 %s ms  p99 %s ms  (%s agents; target p99 <= 50)\n' \
  "$SAMPLES" "$p50" "$p99" "$listed"
percentiles() {  # hyperfine JSON -> "median p99 mean" in ms
  python3 - "$1" <<'PY'
import json, sys
t = sorted(json.load(open(sys.argv[1]))["results"][0]["times"])
q = lambda p: t[min(len(t) - 1, int(round(p * (len(t) - 1))))]
print(f"{q(0.5)*1e3:.2f} {q(0.99)*1e3:.2f} {sum(t)/len(t)*1e3:.2f}")
PY
}
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/list.json" \
  "${CTL[*]} --socket $work/none.sock agent list" >/dev/null 2>&1
read -r median p99 mean < <(percentiles "$work/list.json")
printf '   slothctl agent list (whole command, new TLS connection), %d runs: p50 %s ms  p99 %s ms\n' "$RUNS" \
  "$median" "$p99"

echo "== agent run real-1 true: relayed through the master vs the agent's local socket"
ratios=()
for round in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/local.json" \
    "$B/ctl/slothctl --socket $work/agent.sock agent run real-1 true" >/dev/null 2>&1
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/relayed.json" \
    "${CTL[*]} --socket $work/none.sock agent run real-1 true" >/dev/null 2>&1
  read -r local_median local_p99 _ < <(percentiles "$work/local.json")
  read -r relayed_median relayed_p99 _ < <(percentiles "$work/relayed.json")
  ratio=$(echo "$relayed_median / $local_median" | bc -l)
  ratios+=("$ratio")
  printf '   round %d: local p50 %s ms (p99 %s)  relayed p50 %s ms (p99 %s)  ratio %.2f\n' "$round" "$local_median" \
    "$local_p99" "$relayed_median" "$relayed_p99" "$ratio"
done
printf '   median ratio %.2f (target <= 2)\n' "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
