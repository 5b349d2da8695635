#!/usr/bin/env bash
# /metrics throughput, latency and idle memory of slothd, side by side with prometheus-cpp's
# civetweb Exposer serving an identical registry and with libmicrohttpd serving the same bytes
# pre-rendered (the HTTP floor). Prints one table, the ratios and the targets (PASS/FAIL), then
# the serializer microbenchmark. All traffic goes to 127.0.0.1.
#
# Then TLS with basic auth next to plain HTTP: one process, one Telemetry (100 task series),
# two listeners, wrk with keep-alive in interleaved rounds (targets: >= 0.5x the plain req/s,
# p99 <= 2x the plain p99).
#
# Usage: tests/bench/http_bench.sh [all|tls]     (tls: only the TLS comparison)
# Env:   BENCH_SECONDS=5   wrk duration of each measured run (a 1 s warm-up precedes them)
#        BENCH_WARMUP=1    warm-up seconds
#        BENCH_NO_BUILD=1  use the binaries in build/release as they are
#        BENCH_SERIALIZER=0  skip the serializer microbenchmark
#        BENCH_TLS_ROUNDS=4  interleaved rounds of the TLS comparison
# Measurement time is about 6 x (warm-up + 2 x BENCH_SECONDS + ~1) s + ~10 s (< 3 minutes at
# the defaults); building, when sources changed, comes before and is not counted.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
secs=${BENCH_SECONDS:-5}
warmup=${BENCH_WARMUP:-1}
build=$root/build/release
slothd_bin=$build/daemon/slothd
server_bin=$build/tests/bench/metrics_bench_server
serializer_bin=$build/tests/bench/serializer_bench
what=${1:-all}
case "$what" in all | tls) ;; *) echo "usage: $0 [all|tls]" >&2; exit 2 ;; esac

# --- dependencies and build
packaging/install-deps.sh all || { echo "http_bench: missing dependencies (see above)" >&2; exit 1; }
for tool in wrk curl openssl htpasswd base64; do
  command -v "$tool" >/dev/null || { echo "http_bench: $tool not found" >&2; exit 1; }
done
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  echo "http_bench: building release (incremental)..." >&2
  if ! { cmake --preset release && cmake --build --preset release -j2; } >/tmp/http_bench_build.$$ 2>&1; then
    tail -n 40 /tmp/http_bench_build.$$ >&2
    rm -f /tmp/http_bench_build.$$
    echo "http_bench: release build failed" >&2
    exit 1
  fi
  rm -f /tmp/http_bench_build.$$
fi
needed=("$server_bin")
[ "$what" = all ] && needed+=("$slothd_bin" "$serializer_bin")
for b in "${needed[@]}"; do
  [ -x "$b" ] || { echo "http_bench: $b missing (build with SLOTH_BUILD_BENCH=ON)" >&2; exit 1; }
done

# --- process bookkeeping: everything started here is stopped on exit
work=$(mktemp -d /tmp/http_bench.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
}
trap 'cleanup; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

stop() {  # stop one started process
  local p=$1 kept=() q
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  for q in "${pids[@]}"; do [ "$q" = "$p" ] || kept+=("$q"); done
  pids=("${kept[@]+"${kept[@]}"}")
}

# wait_for_url FILE PID [SCHEME]: prints the first SCHEME (http) URL once FILE has it (10 s at most).
wait_for_url() {
  local file=$1 pid=$2 scheme=${3:-http} url=""
  for _ in $(seq 1 200); do
    url=$(grep -o "$scheme://127\.0\.0\.1:[0-9]*/metrics" "$file" 2>/dev/null | head -n 1 || true)
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "http_bench: server did not become ready; its output:" >&2
  cat "$file" >&2
  return 1
}

rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# wrk's "1.23ms" / "456.00us" / "1.20s" -> milliseconds
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.3f", n }'
}

# run_wrk URL CONNECTIONS [HEADER...] -> "req/s p50_ms p99_ms errors"
run_wrk() {
  local url=$1 c=$2 header=() out h
  shift 2
  for h in "$@"; do header+=(-H "$h"); done
  wrk -t2 -c"$c" -d"${warmup}s" "${header[@]+"${header[@]}"}" "$url" >/dev/null 2>&1 || true
  out=$(wrk -t2 -c"$c" -d"${secs}s" --latency "${header[@]+"${header[@]}"}" "$url" 2>&1) || true
  echo "$out" >>"$work/wrk.log"
  local rps p50 p99 errs
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errs=$(awk '/Socket errors:/ {gsub(",", ""); e = $4 + $6 + $8 + $10} /Non-2xx/ {e += $NF} END {print e + 0}' <<<"$out")
  echo "${rps:-0} $(to_ms "${p50:-0}") $(to_ms "${p99:-0}") $errs"
}

rows=()
# measure LABEL KEY PID URL: idle RSS (after one scrape), lines, then c10 and c100.
measure() {
  local label=$1 key=$2 pid=$3 url=$4 lines rss c10 c100 rss_after
  lines=$(curl -sf --max-time 5 "$url" | wc -l)
  sleep 0.2
  rss=$(rss_mib "$pid")
  echo "http_bench: $label: $lines lines, idle RSS $rss MiB; wrk c10, c100 (${secs}s each)..." >&2
  c10=$(run_wrk "$url" 10)
  c100=$(run_wrk "$url" 100)
  rss_after=$(rss_mib "$pid")
  rows+=("$label|$lines|$rss|$c10|$c100|$rss_after")
  eval "res_${key}=\"$lines $rss $c10 $c100\""
}

tls_comparison() {
  # A self-signed certificate for 127.0.0.1 and a bcrypt (cost 10) user: wrk verifies no
  # certificate and cannot present one, so no client certificates here.
  mkdir -p "$work/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" >/dev/null 2>&1
  local hash
  hash=$(htpasswd -nbBC 10 bench bench-password | cut -d: -f2)
  printf 'tls_server_config:\n  cert_file: tls/cert.pem\n  key_file: tls/key.pem\nbasic_auth_users:\n  bench: %s\n' \
    "'$hash'" >"$work/web.yml"
  "$server_bin" --mode slothd --task-series 100 --port 0 --tls-web-config "$work/web.yml" >"$work/tls.log" 2>&1 &
  local p=$! plain_url tls_url auth
  pids+=("$p")
  plain_url=$(wait_for_url "$work/tls.log" "$p")
  tls_url=$(wait_for_url "$work/tls.log" "$p" https)
  auth="Authorization: Basic $(printf bench:bench-password | base64)"
  # A wrong password costs what a right one costs: each runs bcrypt once, then is a cache hit
  # (timed on /health, whose answer is as small as the 401).
  t() { curl -sk -o /dev/null -w '%{time_total}' -u "$1" "${tls_url%/metrics}/health"; }
  local right_first wrong_first wrong_again right_again
  right_first=$(t bench:bench-password)
  wrong_first=$(t bench:wrong-password)
  wrong_again=$(t bench:wrong-password)
  right_again=$(t bench:bench-password)
  curl -skf -H "$auth" -o /dev/null "$tls_url" || { echo "http_bench: the TLS server refused the bench user" >&2; return 1; }
  local rounds=${BENCH_TLS_ROUNDS:-4} r first mode
  # Each case: connections and whether the request asks for gzip, as Prometheus' scrapes do.
  local cases=("10 gzip" "100 gzip" "10 identity")
  echo "http_bench: TLS + basic auth vs plain HTTP, same Telemetry (100 task series), $rounds interleaved rounds" \
    "of wrk -t2 -d${secs}s with keep-alive: ${cases[*]}..." >&2
  declare -gA tls_res=()
  for r in $(seq 1 "$rounds"); do
    for case_ in "${cases[@]}"; do
      read -r c enc <<<"$case_"
      local gz=()
      [ "$enc" = gzip ] && gz=("Accept-Encoding: gzip")
      # Alternate which goes first, so a drift of the machine's load hits both alike.
      if [ $((r % 2)) = 1 ]; then first=plain; else first=tls; fi
      for mode in "$first" $([ "$first" = plain ] && echo tls || echo plain); do
        if [ "$mode" = plain ]; then
          tls_res[$mode,$case_]+="$(run_wrk "$plain_url" "$c" "${gz[@]+"${gz[@]}"}")|"
        else
          tls_res[$mode,$case_]+="$(run_wrk "$tls_url" "$c" "$auth" "${gz[@]+"${gz[@]}"}")|"
        fi
      done
    done
  done
  local body gzipped
  body=$(curl -s "$plain_url" | wc -c)
  gzipped=$(curl -s -H 'Accept-Encoding: gzip' "$plain_url" | wc -c)
  stop "$p"
  echo
  echo "TLS 1.3 (ECDSA P-256, GnuTLS via libmicrohttpd) + basic auth (bcrypt cost 10, cached) vs plain HTTP;"
  echo "same process and Telemetry, wrk -t2 -d${secs}s --latency, keep-alive, ${rounds} interleaved rounds;"
  echo "body: $body bytes, $gzipped gzip'd:"
  for case_ in "${cases[@]}"; do
    for mode in plain tls; do
      printf '%-12s %-6s %s\n' "c${case_/ /, }" "$mode" \
        "$(tr '|' '\n' <<<"${tls_res[$mode,$case_]}" | awk 'NF {printf "%s req/s p50 %s p99 %s ms err %s; ", $1, $2, $3, $4}')"
    done
  done
  # Means over the rounds: req/s, and the p99s.
  mean() { tr '|' '\n' <<<"$1" | awk -v f="$2" 'NF {s += $f; n++} END {if (n) printf "%.3f", s / n; else print 0}'; }
  echo
  echo "One GET /health each with curl (new TLS connection), seconds: right password first $right_first, wrong"
  echo "password first $wrong_first (both run bcrypt); the same again: wrong $wrong_again, right $right_again (cached)"
  echo
  echo "Targets (means over the rounds; gzip'd as Prometheus asks; identity shown for reference):"
  for case_ in "${cases[@]}"; do
    local pr tr_ pp tp rx px tag=""
    [[ $case_ == *identity ]] && tag=" (reference)"
    pr=$(mean "${tls_res[plain,$case_]}" 1); tr_=$(mean "${tls_res[tls,$case_]}" 1)
    pp=$(mean "${tls_res[plain,$case_]}" 3); tp=$(mean "${tls_res[tls,$case_]}" 3)
    rx=$(ratio "$tr_" "$pr"); px=$(ratio "$tp" "$pp")
    printf '  %-4s c%-14s TLS+auth req/s >= 0.5x plain:   %s / %s = %sx%s\n' "$(verdict "$rx" ">=" 0.5)" "${case_/ /, }" "$tr_" "$pr" "$rx" "$tag"
    printf '  %-4s c%-14s TLS+auth p99 <= 2x plain p99:    %s / %s ms = %sx%s\n' "$(verdict "$px" "<=" 2)" "${case_/ /, }" "$tp" "$pp" "$px" "$tag"
  done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
verdict() { if awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { exit !((op == "<=") ? a <= b : a >= b) }'; then echo PASS; else echo FAIL; fi; }

if [ "$what" = tls ]; then
  tls_comparison
  exit 0
fi

load_start=$(cut -d' ' -f1 /proc/loadavg)
# The real slothd: default catalog.
cat >"$work/slothd.toml" <<'EOF'
[telemetry]
max_connections_per_ip = 256
EOF
"$slothd_bin" --config "$work/slothd.toml" --metrics-address 127.0.0.1 --metrics-port 0 \
  --state-dir "$work/state" --control-socket "$work/ctl.sock" --name bench >"$work/slothd.log" 2>&1 &
pid=$!
pids+=("$pid")
url=$(wait_for_url "$work/slothd.log" "$pid")
measure "slothd (binary), default catalog" slothd_default "$pid" "$url"
stop "$pid"

# bench_server MODE SERIES LABEL KEY
bench_server() {
  local mode=$1 series=$2 label=$3 key=$4 log="$work/$1-$2.log" p u
  "$server_bin" --mode "$mode" --task-series "$series" --port 0 >"$log" 2>&1 &
  p=$!
  pids+=("$p")
  u=$(wait_for_url "$log" "$p")
  measure "$label" "$key" "$p" "$u"
  stop "$p"
}
bench_server slothd 100 "slothd, 100 task series" slothd_100
bench_server exposer 100 "Exposer, 100 task series" exposer_100
bench_server floor 100 "MHD floor, 100 task series" floor_100
bench_server exposer 0 "Exposer, default catalog" exposer_default
bench_server floor 0 "MHD floor, default catalog" floor_default

# --- the table
echo
echo "/metrics on 127.0.0.1, wrk -t2 -d${secs}s --latency (after ${warmup}s warm-up), $(nproc) CPU(s) shared by wrk and server;" \
  "1-min load average before the run ${load_start}"
if awk -v l="$load_start" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "WARNING: the machine was busy before the run; throughput and tail latency are understated"
fi
fmt='%-34s %6s %7s | %9s %8s %8s | %9s %8s %8s | %6s %8s\n'
# shellcheck disable=SC2059
printf "$fmt" "server / registry" "lines" "RSS MiB" "c10 req/s" "p50 ms" "p99 ms" "c100 r/s" "p50 ms" "p99 ms" "errors" "RSS load"
printf '%s\n' "$(printf '%.0s-' $(seq 1 130))"
for r in "${rows[@]}"; do
  IFS='|' read -r label lines rss c10 c100 rss_after <<<"$r"
  read -r r10 a10 b10 e10 <<<"$c10"
  read -r r100 a100 b100 e100 <<<"$c100"
  # shellcheck disable=SC2059
  printf "$fmt" "$label" "$lines" "$rss" "$r10" "$a10" "$b10" "$r100" "$a100" "$b100" "$((e10 + e100))" "$rss_after"
done
echo "(RSS MiB: VmRSS once ready and after one scrape; RSS load: after both wrk runs; errors: wrk socket errors +"
echo " non-2xx. The Exposer's are wrk read errors, one per request: civetweb closes the connection after each"
echo " response (keep-alive off by default), so every request also pays a TCP connect; requests still complete)"

# field N of a result: 1 lines, 2 rss, 3 c10 rps, 4 p50, 5 p99, 6 err, 7 c100 rps, 8 p50, 9 p99, 10 err
field() { local v="res_$1"; awk -v n="$2" '{print $n}' <<<"${!v}"; }
echo
echo "Ratios (requests/s):"
printf '  slothd / Exposer, 100 task series:   c10 %sx   c100 %sx\n' \
  "$(ratio "$(field slothd_100 3)" "$(field exposer_100 3)")" "$(ratio "$(field slothd_100 7)" "$(field exposer_100 7)")"
printf '  slothd / MHD floor, 100 task series: c10 %sx   c100 %sx\n' \
  "$(ratio "$(field slothd_100 3)" "$(field floor_100 3)")" "$(ratio "$(field slothd_100 7)" "$(field floor_100 7)")"
printf '  slothd / MHD floor, default catalog: c10 %sx   c100 %sx\n' \
  "$(ratio "$(field slothd_default 3)" "$(field floor_default 3)")" "$(ratio "$(field slothd_default 7)" "$(field floor_default 7)")"

echo
echo "Targets:"
rss=$(field slothd_default 2)
p99=$(field slothd_default 5)
x10=$(ratio "$(field slothd_100 3)" "$(field exposer_100 3)")
x100=$(ratio "$(field slothd_100 7)" "$(field exposer_100 7)")
printf '  %-4s idle RSS of slothd <= 8 MiB:                       %s MiB\n' "$(verdict "$rss" "<=" 8)" "$rss"
printf '  %-4s p99 <= 1 ms at -c10, default catalog:              %s ms\n' "$(verdict "$p99" "<=" 1)" "$p99"
printf '  %-4s >= 3x Exposer req/s, 100 task series, -c10:        %sx\n' "$(verdict "$x10" ">=" 3)" "$x10"
printf '  %-4s >= 3x Exposer req/s, 100 task series, -c100:       %sx\n' "$(verdict "$x100" ">=" 3)" "$x100"

if [ "${BENCH_SERIALIZER:-1}" != 0 ]; then
  echo
  echo "Serializer microbenchmark (one body per iteration; ns_per_line = time / exposition lines):"
  # CSV columns: name,iterations,real_time,cpu_time,time_unit,bytes_per_second,items_per_second,label,
  # error_occurred,error_message,"lines","ns_per_line"
  printf '  %-24s %12s %8s %12s\n' benchmark "time/body" lines "ns/line"
  "$serializer_bin" --benchmark_min_time=0.3 --benchmark_format=csv 2>/dev/null |
    awk -F, '/^"BM_/ { gsub(/"/, "", $1); printf "  %-24s %9.1f %s %8d %12.1f\n", $1, $3, $5, $11, $12 }'
fi

echo
tls_comparison
