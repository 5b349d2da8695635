#!/usr/bin/env bash
# The long variants of the reliability scenarios, on the release build, and longer fuzzing:
#   tests/reliability/long.sh               every scenario (LONG=1), then every fuzzer for 10 min
#   tests/reliability/long.sh http_load     one scenario (http_load http_abuse control_flood tasks
#                                           faults clock permission) or `fuzz`
# Builds what it needs first (release: slothd, slothctl and the modules; debug: the load tools,
# the permission test and the fuzzers). Prints each scenario's figures (doc/RELIABILITY.md).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
want=("$@")
[[ ${#want[@]} == 0 ]] && want=(http_load http_abuse control_flood tasks faults clock permission fuzz)
cmake --preset release >/dev/null && cmake --build --preset release --target slothd slothd_grpc slothd_dbus slothctl
cmake --preset debug >/dev/null && cmake --build --preset debug --target http_load task_flood permission_test fuzzers
export LONG=1 SLOTHD=$PWD/build/release/daemon/slothd SLOTHCTL=$PWD/build/release/ctl/slothctl
export HTTP_LOAD=$PWD/build/debug/tests/reliability/http_load TASK_FLOOD=$PWD/build/debug/tests/reliability/task_flood
failed=()
for scenario in "${want[@]}"; do
  echo "=== $scenario"
  case $scenario in
    permission) build/debug/tests/reliability/permission_test || failed+=("$scenario") ;;
    fuzz)
      for fuzzer in config http_request control_service dbus prom_text_parser; do
        corpus=build/debug/tests/fuzz/corpus/$fuzzer
        mkdir -p "$corpus"
        extra=()
        [[ -f tests/fuzz/$fuzzer.dict ]] && extra+=("-dict=tests/fuzz/$fuzzer.dict")
        [[ $fuzzer == http_request ]] && extra+=(-dict=tests/fuzz/http.dict -max_len=8192)
        "build/debug/tests/fuzz/clang-build/${fuzzer}_fuzz" -max_total_time=600 -timeout=10 -rss_limit_mb=2048 \
          -print_final_stats=1 "-artifact_prefix=build/debug/tests/fuzz/$fuzzer-" "${extra[@]}" \
          "$corpus" "tests/fuzz/corpus/$fuzzer" 2>&1 | grep -E "^stat::|ERROR|SUMMARY|DONE" || failed+=("fuzz $fuzzer")
      done
      ;;
    *) "tests/reliability/${scenario}_test.sh" || failed+=("$scenario") ;;
  esac
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "long.sh: failed: ${failed[*]}"
  exit 1
fi
echo "long.sh: all passed"
