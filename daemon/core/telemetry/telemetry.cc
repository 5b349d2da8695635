#include "daemon/core/telemetry/telemetry.h"

#include <malloc.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>

#include "build_info.h"
#include "daemon/core/telemetry/catalog.h"
#include "daemon/core/telemetry/exposition_writer.h"
#include "daemon/core/telemetry/gzip.h"

namespace sloth {
namespace {

std::string GoArch(std::string_view machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i386" || machine == "i686") return "386";
  if (machine.starts_with("armv")) return "arm";
  return std::string(machine);
}

// Error types recorded from the start at 0, so rate() and alerts work before the first error.
constexpr std::string_view kKnownErrorTypes[] = {"task_spawn", "task_timeout",       "task_refused",   "grpc",
                                                 "config",     "master_unreachable", "control_refused"};
constexpr std::string_view kTaskStatuses[] = {"success", "failed", "skipped"};

template <typename Metric>
prometheus::Family<Metric>& Register(const catalog::FamilySpec& spec, prometheus::Registry& registry) {
  return prometheus::detail::Builder<Metric>()
      .Name(std::string(spec.name))
      .Help(std::string(spec.help))
      .Register(registry);
}

}  // namespace

AgentIdentity CurrentBuildIdentity(std::string name) {
  utsname u{};
  ::uname(&u);
  return AgentIdentity{std::move(name), build::kVersion, build::kCommit, build::kCompiler, "linux", GoArch(u.machine)};
}

Telemetry::Telemetry(AgentIdentity identity, Options options)
    : identity_(std::move(identity)),
      start_steady_(std::chrono::steady_clock::now()),
      start_wall_(std::chrono::system_clock::now()),
      registry_(std::make_shared<prometheus::Registry>()),
      groups_(options.max_label_values),
      tasks_(options.max_label_values),
      task_series_(options.max_task_series),
      methods_(options.max_label_values),
      tasks_total_(Register<prometheus::Counter>(catalog::kTasksTotal, *registry_)),
      tasks_running_(Register<prometheus::Gauge>(catalog::kTasksRunning, *registry_).Add({})),
      task_duration_(Register<prometheus::Histogram>(catalog::kTaskDuration, *registry_)),
      grpc_requests_total_(Register<prometheus::Counter>(catalog::kGrpcRequests, *registry_)),
      grpc_duration_(Register<prometheus::Histogram>(catalog::kGrpcDuration, *registry_)),
      errors_total_(Register<prometheus::Counter>(catalog::kErrors, *registry_)),
      task_groups_total_(Register<prometheus::Counter>(catalog::kGroupsTotal, *registry_)),
      task_group_duration_(Register<prometheus::Histogram>(catalog::kGroupDuration, *registry_)),
      output_truncated_total_(Register<prometheus::Counter>(catalog::kOutputTruncated, *registry_).Add({})),
      task_cpu_(Register<prometheus::Counter>(catalog::kTaskCpu, *registry_)),
      task_memory_peak_(Register<prometheus::Histogram>(catalog::kTaskMemoryPeak, *registry_)) {
  Register<prometheus::Gauge>(catalog::kAgentInfo, *registry_)
      .Add({{"version", identity_.version}, {"os", identity_.os}, {"arch", identity_.arch}})
      .Set(1);
  Register<prometheus::Gauge>(catalog::kBuildInfo, *registry_)
      .Add({{"version", identity_.version}, {"commit", identity_.commit}, {"compiler", identity_.compiler}})
      .Set(1);
  for (auto type : kKnownErrorTypes) errors_total_.Add({{"type", std::string(type)}});
  const std::string adhoc = groups_.Admit("adhoc");
  for (auto status : kTaskStatuses) tasks_total_.Add({{"status", std::string(status)}, {"group", adhoc}});
}

void Telemetry::TaskStarted() {
  tasks_running_.Increment();
  Changed();
}

void Telemetry::TaskFinished(std::string_view group, std::string_view task, std::string_view status, double seconds,
                             bool output_truncated, std::string_view task_id) {
  const std::string g = groups_.Admit(group);
  const std::string t = tasks_.Admit(task);
  tasks_total_.Add({{"status", std::string(status)}, {"group", g}}).Increment();
  // Skipped tasks never ran: they count, but have no duration and were never "running".
  if (status != "skipped") {
    // The capped pair names the series and its exemplars alike: both stay within max_task_series.
    const auto [series_group, series_task] = task_series_.Admit(g, t);
    task_duration_.Add({{"group", series_group}, {"task", series_task}}, catalog::kTaskDurationBuckets)
        .Observe(seconds);
    if (!task_id.empty()) RecordExemplar(series_group, series_task, seconds, task_id);
    tasks_running_.Decrement();
  }
  if (output_truncated) output_truncated_total_.Increment();
  Changed();
}

void Telemetry::TaskAccounted(std::string_view group, std::string_view task, double cpu_seconds,
                              uint64_t memory_peak_bytes) {
  // Per-task families share the cap on (group, task) pairs (telemetry.max_task_series).
  const auto [g, t] = task_series_.Admit(groups_.Admit(group), tasks_.Admit(task));
  task_cpu_.Add({{"group", g}, {"task", t}}).Increment(cpu_seconds);
  task_memory_peak_.Add({{"group", g}, {"task", t}}, catalog::kTaskMemoryBuckets)
      .Observe(static_cast<double>(memory_peak_bytes));
  Changed();
}

void Telemetry::RecordExemplar(const std::string& group, const std::string& task, double seconds,
                               std::string_view task_id) {
  const auto& bounds = catalog::kTaskDurationBuckets;
  const size_t bucket = static_cast<size_t>(
      std::find_if(bounds.begin(), bounds.end(), [seconds](double le) { return seconds <= le; }) - bounds.begin());
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::lock_guard lock(exemplars_mutex_);
  std::vector<Exemplar>& buckets = exemplars_[{group, task}];
  buckets.resize(bounds.size() + 1);
  buckets[bucket] = Exemplar{std::string(task_id), seconds, now};
}

const Exemplar* Telemetry::FindExemplar(const prometheus::ClientMetric& series, size_t bucket) const {
  std::pair<std::string, std::string> key;
  for (const auto& label : series.label) {
    if (label.name == "group") key.first = label.value;
    if (label.name == "task") key.second = label.value;
  }
  // Called while rendering, under exemplars_mutex_ (see RenderCatalog).
  auto it = exemplars_.find(key);
  if (it == exemplars_.end() || bucket >= it->second.size() || it->second[bucket].task_id.empty()) return nullptr;
  return &it->second[bucket];
}

void Telemetry::TaskFailedWithoutDuration(std::string_view group) {
  tasks_total_.Add({{"status", "failed"}, {"group", groups_.Admit(group)}}).Increment();
  Changed();
}

void Telemetry::GroupFinished(std::string_view group, std::string_view status, double seconds) {
  const std::string g = groups_.Admit(group);
  task_groups_total_.Add({{"status", std::string(status)}, {"group", g}}).Increment();
  // A skipped group never ran: it counts, with no duration (as skipped tasks).
  if (status != "skipped") task_group_duration_.Add({{"group", g}}, catalog::kGroupDurationBuckets).Observe(seconds);
  Changed();
}

void Telemetry::GrpcRequestServed(std::string_view method, std::string_view status, double seconds) {
  const std::string m = methods_.Admit(method);
  grpc_requests_total_.Add({{"method", m}, {"status", std::string(status)}}).Increment();
  grpc_duration_.Add({{"method", m}}, catalog::kGrpcDurationBuckets).Observe(seconds);
  Changed();
}

void Telemetry::ErrorOccurred(std::string_view type) {
  errors_total_.Add({{"type", std::string(type)}}).Increment();
  Changed();
}

double Telemetry::UptimeSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_steady_).count();
}

std::string Telemetry::RenderRuntime(ExpositionFormat format) const {
  std::string out;
  out.reserve(2048);
  auto write = [&out, format](const catalog::FamilySpec& spec, double value) {
    if (format == ExpositionFormat::kOpenMetrics) {
      WriteOpenMetricsSingleSample(spec.name, spec.help, spec.type, value, &out);
    } else {
      WriteSingleSampleFamily(spec.name, spec.help, spec.type, value, &out);
    }
  };
  write(catalog::kUptime, UptimeSeconds());
  const struct mallinfo2 heap = ::mallinfo2();
  write(catalog::kMemoryAllocated, static_cast<double>(heap.uordblks + heap.hblkhd));
  // Without /proc the process_* families are left out rather than reported as zeros.
  const auto stats = process_reader_.Read();
  const bool openmetrics = format == ExpositionFormat::kOpenMetrics;
  if (!stats) {
    if (openmetrics) AppendOpenMetricsEnd(&out);
    return out;
  }
  write(catalog::kGoroutines, static_cast<double>(stats->threads));
  WriteProcessFamilies(*stats, &out, format);
  if (openmetrics) AppendOpenMetricsEnd(&out);
  return out;
}

void WriteProcessFamilies(const ProcessStats& stats, std::string* out, ExpositionFormat format) {
  auto write = [out, format](const catalog::FamilySpec& spec, double value) {
    if (format == ExpositionFormat::kOpenMetrics) {
      WriteOpenMetricsSingleSample(spec.name, spec.help, spec.type, value, out);
    } else {
      WriteSingleSampleFamily(spec.name, spec.help, spec.type, value, out);
    }
  };
  write(catalog::kProcessCpu, stats.cpu_seconds_total);
  write(catalog::kProcessResident, static_cast<double>(stats.resident_memory_bytes));
  write(catalog::kProcessVirtual, static_cast<double>(stats.virtual_memory_bytes));
  write(catalog::kProcessOpenFds, static_cast<double>(stats.open_fds));
  write(catalog::kProcessMaxFds, static_cast<double>(stats.max_fds));
  write(catalog::kProcessStart, stats.start_time_seconds);
  write(catalog::kProcessThreads, static_cast<double>(stats.threads));
}

Telemetry::CachedRender Telemetry::RenderCatalog(bool gzip, ExpositionFormat format) {
  // Read the generation before collecting: a change that races the render makes the next
  // scrape render again, never serve stale data as current.
  const uint64_t generation = generation_.load(std::memory_order_acquire);
  {
    std::lock_guard lock(cache_mutex_);
    const CachedRender& cached = caches_[static_cast<int>(format)][gzip];
    if (cached.generation == generation && cached.body) return cached;
  }
  std::string text;
  text.reserve(8192);
  // Families in catalog order; one without series yet still shows its HELP and TYPE.
  const std::vector<prometheus::MetricFamily> collected = registry_->Collect();
  const bool openmetrics = format == ExpositionFormat::kOpenMetrics;
  const ExemplarFinder exemplars = [this](const prometheus::ClientMetric& series, size_t bucket) {
    return FindExemplar(series, bucket);
  };
  for (const catalog::FamilySpec* spec : catalog::kAll) {
    if (spec->runtime) continue;
    auto it = std::find_if(collected.begin(), collected.end(),
                           [spec](const prometheus::MetricFamily& f) { return f.name == spec->name; });
    if (it != collected.end() && openmetrics) {
      std::lock_guard lock(exemplars_mutex_);
      WriteOpenMetricsFamily(*it, spec == &catalog::kTaskDuration ? &exemplars : nullptr, &text);
    } else if (it != collected.end()) {
      WriteFamily(*it, &text);
    } else if (openmetrics) {
      WriteOpenMetricsFamilyHeader(spec->name, spec->help, spec->type, &text);
    } else {
      WriteFamilyHeader(spec->name, spec->help, spec->type, &text);
    }
  }
  CachedRender render{generation, nullptr, nullptr};
  if (gzip) {
    render.gzip = std::make_shared<const GzipHead>(GzipStart(text));
    render.body = std::shared_ptr<const std::string>(render.gzip, &render.gzip->bytes);
  } else {
    render.body = std::make_shared<const std::string>(std::move(text));
  }
  std::lock_guard lock(cache_mutex_);
  CachedRender& cached = caches_[static_cast<int>(format)][gzip];
  if (generation >= cached.generation) cached = render;
  return render;
}

MetricsBody Telemetry::Scrape(bool gzip, ExpositionFormat format) {
  const CachedRender catalog = RenderCatalog(gzip, format);
  MetricsBody body;
  body.catalog = catalog.body;
  body.runtime = RenderRuntime(format);
  if (gzip) body.runtime = GzipFinish(*catalog.gzip, body.runtime);
  return body;
}

std::string Telemetry::ExpositionText() {
  MetricsBody body = Scrape(false);
  return *body.catalog + body.runtime;
}

}  // namespace sloth
