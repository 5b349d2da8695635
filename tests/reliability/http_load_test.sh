#!/usr/bin/env bash
# 1,000 concurrent scrapers (keep-alive, back to back, from 100 addresses) and 500 trickling
# connections (a header line every 200 ms, reconnecting when cut, from 32 addresses) against one
# slothd, while a prober times GET /health on a fresh connection every 20 ms. Passes when every
# probe after the first seconds is answered 200 (within 5 s: a behaviour, not a speed) and the
# tricklers are cut at the request deadline; the latency figures are printed. LONG=1: 120 s on
# the release build if there is one, and p99 must be <= 100 ms.
source "$(dirname "$0")/lib.sh"
seconds=15 extra=()
if [[ $LONG == 1 ]]; then seconds=120 extra=(--max-p99-ms 100); fi
# 1,500 clients need more than the 1,024 connections of the defaults; the rest stays default
# (16 per address, a 5 s request deadline).
start_slothd load $'[telemetry]\nmax_connections = 2048'
rss_before=$(rss_mib "$PID")
rc=0
"$HTTP_LOAD" --port "$PORT" --seconds "$seconds" --warmup 3 --probe-timeout-ms 5000 "${extra[@]}" | tee "$W/load.out" || rc=$?
[[ $rc == 0 ]] || fail "/health was not answered every time (see the health line)"
grep -q "answered 0 times" "$W/load.out" || fail "a trickled request was answered: it must be cut, never served"
cut_max=$(sed -n 's/.*cut [0-9]* times by the server after [0-9.]* s (median; max \([0-9.]*\) s).*/\1/p' "$W/load.out")
awk -v m="$cut_max" 'BEGIN { exit !(m > 0 && m < 10) }' || fail "tricklers lived ${cut_max}s: the request deadline is 5 s"
[[ $(health) == "200 OK"* ]] || fail "/health after the load: $(health)"
figure "http load: $(grep -E '^(scrapes|health)' "$W/load.out" | tr '\n' ' ')"
figure "http load: slothd resident memory ${rss_before} MiB before, $(rss_mib "$PID") MiB after, $(threads_of "$PID") threads, $(cpu_seconds "$PID") s CPU"
stop_slothd
finish
