// Rendering cost of one /metrics body, per exposition line, for the default catalog (0 task
// series) and for 100 task series (about 1,600 lines):
//   BM_TextSerializer  prometheus::TextSerializer().Serialize(registry.Collect()) (what the
//                      civetweb Exposer does on every request)
//   BM_WriteExposition sloth::WriteExposition(registry.Collect(), &out) (our writer, uncached)
//   BM_ScrapeCached    telemetry.Scrape(false) (what slothd does per request: cached catalog,
//                      runtime part rendered each time)
// Counter "ns_per_line" is the time per iteration divided by the line count of that body.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <sstream>
#include <string>

#include <prometheus/text_serializer.h>

#include "daemon/core/telemetry/exposition_writer.h"
#include "daemon/core/telemetry/telemetry.h"
#include "tests/bench/task_series.h"

namespace {

double CountLines(const std::string& text) { return static_cast<double>(std::count(text.begin(), text.end(), '\n')); }

void SetCounters(benchmark::State& state, double lines, double bytes) {
  state.counters["lines"] = lines;
  // (value x iterations / seconds) inverted, with value = lines x 1e-9: nanoseconds per line.
  state.counters["ns_per_line"] =
      benchmark::Counter(lines * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_TextSerializer(benchmark::State& state) {
  sloth::Telemetry telemetry(sloth::CurrentBuildIdentity("bench"), {});
  sloth::bench::FillTaskSeries(telemetry, static_cast<int>(state.range(0)));
  const prometheus::TextSerializer serializer;
  std::string last;
  for (auto _ : state) {
    std::ostringstream out;
    serializer.Serialize(out, telemetry.registry().Collect());
    last = out.str();
    benchmark::DoNotOptimize(last.data());
  }
  SetCounters(state, CountLines(last), static_cast<double>(last.size()));
}

void BM_WriteExposition(benchmark::State& state) {
  sloth::Telemetry telemetry(sloth::CurrentBuildIdentity("bench"), {});
  sloth::bench::FillTaskSeries(telemetry, static_cast<int>(state.range(0)));
  std::string out;
  for (auto _ : state) {
    out.clear();
    sloth::WriteExposition(telemetry.registry().Collect(), &out);
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, CountLines(out), static_cast<double>(out.size()));
}

void BM_ScrapeCached(benchmark::State& state) {
  sloth::Telemetry telemetry(sloth::CurrentBuildIdentity("bench"), {});
  sloth::bench::FillTaskSeries(telemetry, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    sloth::MetricsBody body = telemetry.Scrape(false);
    benchmark::DoNotOptimize(body.runtime.data());
  }
  const std::string text = telemetry.ExpositionText();
  SetCounters(state, CountLines(text), static_cast<double>(text.size()));
}

BENCHMARK(BM_TextSerializer)->Arg(0)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_WriteExposition)->Arg(0)->Arg(100)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ScrapeCached)->Arg(0)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
