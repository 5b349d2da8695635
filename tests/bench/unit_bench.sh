#!/usr/bin/env bash
# Unit mode against its peer, `systemd-run --wait --pipe -q true`, inside a container booted
# with a real systemd (doc/systemd-testing.md); the loops are run by the container's own shell:
#   - serial: a loop of `slothctl agent run local true` (unit mode: each task a transient unit
#     started by slothd-launcher, followed on the bus, its output streamed and accounted) against
#     a loop of systemd-run; target >= 1.0x;
#   - concurrent: BENCH_CLIENTS (16) such loops at once against as many parallel systemd-run
#     loops (systemd's manager is the floor of both); target >= 0.8x;
#   - process mode beside them: a second slothd started by hand in the container
#     ([tasks] isolation = "process"), with 1, 4 and BENCH_CLIENTS clients.
# Each figure is the median over BENCH_ROUNDS interleaved rounds of BENCH_SECONDS each, with the
# [min-max] beside it; each ratio is taken against the systemd-run rate of its own round.
# Env: BENCH_SECONDS (default 5), BENCH_ROUNDS (3), BENCH_CLIENTS (16), BENCH_BUILD_DIR
# (build/bench-units, a release build without tests), BENCH_NO_BUILD=1 to skip the build,
# SLOTH_MACHINE (the container's name, default slothd-bench-PID). Needs root and systemd-nspawn.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
SECONDS_PER=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=${BENCH_CLIENTS:-16}
BUILD=${BENCH_BUILD_DIR:-build/bench-units}
if [[ $(id -u) -ne 0 ]] || ! command -v systemd-nspawn >/dev/null; then
  echo "unit_bench.sh needs root and systemd-nspawn (packaging/install-deps.sh)" >&2
  exit 1
fi

if [[ -z ${BENCH_NO_BUILD:-} ]]; then
  packaging/install-deps.sh all
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLOTH_BUILD_TESTS=OFF -DSLOTH_BUILD_BENCH=OFF >/dev/null
  cmake --build "$BUILD" -j2 >/dev/null
fi

W=$(mktemp -d /tmp/slothd-unitbench.XXXXXX)
STAGE=$W/stage
MACHINE=${SLOTH_MACHINE:-slothd-bench-$$}
NSPAWN_PID= L= MEMCG= STEP=setup
# shellcheck source=../system/container_lib.sh
. tests/system/container_lib.sh
trap 'power_off; remove_memcg; rm -rf "$W"' EXIT

DESTDIR=$STAGE cmake --install "$BUILD" --prefix /usr/local >"$W/install.log" 2>&1 ||
  { cat "$W/install.log" >&2; exit 1; }
boot
inside mkdir -p /etc/sloth /tmp/process
printf '[tasks]\nmax_concurrent = 64\nmax_queued = 1024\n' >"/proc/$L/root/etc/sloth/slothd.toml"
printf '[tasks]\nisolation = "process"\nmax_concurrent = 64\nmax_queued = 1024\n' >"/proc/$L/root/tmp/process/slothd.toml"
inside systemctl start slothd.socket slothd-metrics.socket slothd-launcher.socket
# The process-mode agent, started by hand inside the container.
inside sh -c '/usr/local/sbin/slothd --name local --config /tmp/process/slothd.toml --control-socket /tmp/process/c.sock \
  --metrics-address 127.0.0.1 --metrics-port 0 --state-dir /tmp/process/state >/tmp/process/log 2>&1 &'
UNIT_RUN="/usr/local/bin/slothctl --socket /run/slothd/slothd.sock agent run local true"
PROCESS_RUN="/usr/local/bin/slothctl --socket /tmp/process/c.sock agent run local true"
PEER_RUN="systemd-run --wait --pipe -q true"
wait_for 20 "both agents" inside sh -c "$UNIT_RUN && $PROCESS_RUN"
grep -q 'tasks run as transient units' <<<"$(inside journalctl -q -u slothd.service -o cat)" ||
  { echo "slothd.service is not in unit mode:" >&2; inside journalctl -q -u slothd.service -o cat >&2; exit 1; }

# loop.sh SECONDS CLIENTS COMMAND...: CLIENTS shell loops run COMMAND back to back for SECONDS;
# prints "runs failures elapsed_seconds". bash's own clock, so the loop forks nothing else.
cat >"/proc/$L/root/tmp/loop.sh" <<'EOF'
#!/bin/bash
seconds=$1 clients=$2; shift 2
start=${EPOCHREALTIME/./}
end=$((start + seconds * 1000000))
for c in $(seq "$clients"); do
  (
    runs=0 failures=0
    while ((${EPOCHREALTIME/./} < end)); do
      "$@" >/dev/null 2>&1 || failures=$((failures + 1))
      runs=$((runs + 1))
    done
    echo "$runs $failures" >"/tmp/loop.$c"
  ) &
done
wait
stop=${EPOCHREALTIME/./}
runs=0 failures=0
for c in $(seq "$clients"); do
  read -r r f <"/tmp/loop.$c"
  runs=$((runs + r)) failures=$((failures + f))
done
echo "$runs $failures $(((stop - start) / 1000)).$(((stop - start) % 1000))"
EOF
chmod +x "/proc/$L/root/tmp/loop.sh"
# rate KIND CLIENTS COMMAND: one measurement, "KIND CLIENTS runs/s failures".
rate() {
  local kind=$1 clients=$2; shift 2
  read -r runs failures ms < <(inside /tmp/loop.sh "$SECONDS_PER" "$clients" "$@")
  echo "$kind $clients $(awk -v r="$runs" -v ms="$ms" 'BEGIN { printf "%.1f", r / (ms / 1000) }') $failures"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs; container $MACHINE)"
rows=$W/rows
: >"$rows"
for round in $(seq "$ROUNDS"); do
  for n in 1 "$CLIENTS"; do
    # shellcheck disable=SC2086  # the commands are word lists
    {
      echo "$round $(rate peer "$n" $PEER_RUN)"
      echo "$round $(rate unit "$n" $UNIT_RUN)"
    } >>"$rows"
  done
  for n in 1 4 "$CLIENTS"; do
    # shellcheck disable=SC2086
    echo "$round $(rate process "$n" $PROCESS_RUN)" >>"$rows"
  done
done
inside systemctl list-units --all --plain --no-legend 'sloth-task-*' | grep -q . && echo "WARNING: task units left loaded"

python3 - "$rows" "$CLIENTS" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
clients = sys.argv[2]
rates = {}
for rnd, kind, n, rate, failed in rows:
    rates.setdefault((kind, n), {})[rnd] = (float(rate), int(failed))
def row(kind, n, against=None):
    mine = rates.get((kind, n), {})
    values = [v for v, _ in mine.values()]
    failed = sum(f for _, f in mine.values())
    line = f"   {kind:<16} {n:>7} {statistics.median(values):9.1f}/s [{min(values):.1f}-{max(values):.1f}]"
    ratio = None
    if against and (against, n) in rates:
        ratios = [mine[r][0] / rates[(against, n)][r][0] for r in mine if r in rates[(against, n)]]
        ratio = statistics.median(ratios)
        line += f"   {ratio:5.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"
    line += f"   failed {failed}"
    print(line)
    return ratio
print(f"   {'what':<16} {'clients':>7} {'rate (median [min-max])':>25}   {'vs systemd-run':>16}")
serial = None
for n in ("1", clients):
    row("peer", n)
    r = row("unit", n, against="peer")
    if n == "1":
        serial = r
    else:
        concurrent = r
for n in ("1", "4", clients):
    row("process", n, against="peer" if n in ("1", clients) else None)
print()
print("Targets (median ratio over the rounds):")
print(f"  {'PASS' if serial >= 1.0 else 'FAIL'} serial unit mode vs systemd-run >= 1.0x: {serial:.2f}x")
print(f"  {'PASS' if concurrent >= 0.8 else 'FAIL'} {clients} clients vs {clients} systemd-run loops >= 0.8x: {concurrent:.2f}x")
PY
