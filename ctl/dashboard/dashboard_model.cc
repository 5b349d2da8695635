#include "ctl/dashboard/dashboard_model.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/metric_names.h"
#include "ctl/prom/histogram_quantile.h"

namespace sloth::dashboard {
namespace {

using nlohmann::json;
using prom::Family;
using prom::HistogramSeries;
using prom::MetricSet;
using prom::Point;

// Keys of the derived series RecordDashboardHistory keeps.
constexpr const char* kTasksFinishedKey = "dashboard:sloth_tasks_total:sum";
constexpr const char* kErrorsKey = "dashboard:sloth_errors_total:sum";
constexpr const char* kCpuKey = "dashboard:process_cpu_seconds_total";
constexpr const char* kResidentKey = "dashboard:process_resident_memory_bytes";

std::string Label(const prom::Labels& labels, std::string_view name) {
  auto value = prom::LabelValue(labels, name);
  return value ? std::string(*value) : std::string();
}

// The sum of every sample named `name` (no other samples of its family).
std::optional<double> SumOf(const MetricSet& scrape, std::string_view family_name, std::string_view sample_name) {
  const Family* family = scrape.Find(family_name);
  if (!family) return std::nullopt;
  double sum = 0;
  bool any = false;
  for (const auto& sample : family->samples) {
    if (sample.name != sample_name || std::isnan(sample.value)) continue;
    sum += sample.value;
    any = true;
  }
  return any ? std::optional<double>(sum) : std::nullopt;
}

// The first sample's value of a single-series family.
std::optional<double> Scalar(const MetricSet& scrape, std::string_view name) {
  const Family* family = scrape.Find(name);
  if (!family) return std::nullopt;
  for (const auto& sample : family->samples) {
    if (sample.name == name) return sample.value;
  }
  return std::nullopt;
}

std::vector<Point> PointsOf(const prom::History* history, const char* key) {
  return history ? history->Points(key) : std::vector<Point>{};
}

// The rate of each interval between consecutive points (a drop is a reset: counts from 0).
std::vector<double> IntervalRates(const std::vector<Point>& points) {
  std::vector<double> rates;
  for (size_t i = 1; i < points.size(); ++i) {
    const double dt = points[i].time_s - points[i - 1].time_s;
    if (dt <= 0) continue;
    const double increase =
        points[i].value >= points[i - 1].value ? points[i].value - points[i - 1].value : points[i].value;
    rates.push_back(increase / dt);
  }
  return rates;
}

double CountOf(const HistogramSeries& series) {
  if (series.count) return *series.count;
  double count = 0;
  for (const auto& bucket : series.buckets) {
    if (std::isinf(bucket.upper_bound) && bucket.upper_bound > 0) count = bucket.count;
  }
  return count;
}

const HistogramSeries* FindSeries(const std::vector<HistogramSeries>& all, const prom::Labels& labels) {
  for (const auto& series : all) {
    if (series.labels == labels) return &series;
  }
  return nullptr;
}

std::vector<HistogramSeries> HistogramsOf(const MetricSet* scrape, std::string_view name) {
  if (!scrape) return {};
  const Family* family = scrape->Find(name);
  return family ? prom::Histograms(*family) : std::vector<HistogramSeries>{};
}

// NaN sorts after every number; larger first.
bool SlowerFirst(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a > b;
}

void BuildHeader(const ModelInput& input, Header& header) {
  const MetricSet& scrape = *input.scrape;
  header.agent = input.agent;
  if (const Family* info = scrape.Find(metric_names::kAgentInfo); info && !info->samples.empty()) {
    const auto& labels = info->samples.front().labels;
    header.version = Label(labels, "version");
    header.os = Label(labels, "os");
    header.arch = Label(labels, "arch");
  }
  header.uptime_s = Scalar(scrape, metric_names::kUptime);
  header.healthy = input.healthy;
  header.health_reason = input.health_reason;
  header.updated_unix_s = input.updated_unix_s;
}

void BuildSystem(const ModelInput& input, const Header& header, SystemStats& system) {
  const MetricSet& scrape = *input.scrape;
  system.resident_bytes = Scalar(scrape, metric_names::kProcessResident);
  system.allocated_bytes = Scalar(scrape, metric_names::kMemoryAllocated);
  system.threads = Scalar(scrape, metric_names::kProcessThreads);
  if (!system.threads) system.threads = Scalar(scrape, metric_names::kGoroutines);
  system.open_fds = Scalar(scrape, metric_names::kProcessOpenFds);
  system.max_fds = Scalar(scrape, metric_names::kProcessMaxFds);
  const auto cpu_points = PointsOf(input.history, kCpuKey);
  if (auto rate = prom::CounterRate(cpu_points)) {
    system.cpu_ratio = *rate;
  } else if (auto cpu = Scalar(scrape, metric_names::kProcessCpu); cpu && header.uptime_s && *header.uptime_s > 0) {
    system.cpu_ratio = *cpu / *header.uptime_s;
    system.cpu_is_average = true;
  }
}

void BuildTasks(const ModelInput& input, TaskTotals& tasks) {
  const MetricSet& scrape = *input.scrape;
  if (const Family* family = scrape.Find(metric_names::kTasksTotal)) {
    for (const auto& sample : family->samples) {
      if (std::isnan(sample.value)) continue;
      const std::string status = Label(sample.labels, "status");
      if (status == "success")
        tasks.success += sample.value;
      else if (status == "failed")
        tasks.failed += sample.value;
      else if (status == "skipped")
        tasks.skipped += sample.value;
      else
        tasks.other += sample.value;
      tasks.total += sample.value;
    }
  }
  tasks.running = Scalar(scrape, metric_names::kTasksRunning).value_or(0);
  if (tasks.success + tasks.failed > 0) tasks.success_rate = tasks.success / (tasks.success + tasks.failed);
  tasks.rate_per_s = prom::CounterRate(PointsOf(input.history, kTasksFinishedKey));
}

// The value of the sample of `family_name` whose labels are `labels`.
std::optional<double> ValueWithLabels(const MetricSet& scrape, std::string_view family_name,
                                      const prom::Labels& labels) {
  const Family* family = scrape.Find(family_name);
  if (!family) return std::nullopt;
  for (const auto& sample : family->samples) {
    if (sample.name == family_name && sample.labels == labels) return sample.value;
  }
  return std::nullopt;
}

void BuildPerformance(const ModelInput& input, std::vector<TaskPerformance>& rows) {
  const auto now = HistogramsOf(input.scrape, metric_names::kTaskDuration);
  const auto before = HistogramsOf(input.previous, metric_names::kTaskDuration);
  const auto memory = HistogramsOf(input.scrape, metric_names::kTaskMemoryPeak);
  for (const auto& series : now) {
    TaskPerformance row;
    row.group = Label(series.labels, "group");
    row.task = Label(series.labels, "task");
    row.count = CountOf(series);
    row.p50_s = prom::HistogramQuantile(0.5, series.buckets);
    row.p99_s = prom::HistogramQuantile(0.99, series.buckets);
    row.speed = SpeedOfP99(row.p99_s);
    if (const HistogramSeries* peaks = FindSeries(memory, series.labels)) {
      const double measured = CountOf(*peaks);
      if (measured > 0 && peaks->sum) row.memory_peak_bytes = *peaks->sum / measured;
      if (auto cpu = ValueWithLabels(*input.scrape, metric_names::kTaskCpu, series.labels); cpu && measured > 0) {
        row.cpu_s_per_run = *cpu / measured;
      }
    }
    if (input.previous) {
      const HistogramSeries* old = FindSeries(before, series.labels);
      const HistogramSeries delta = old ? prom::HistogramDelta(*old, series) : series;
      if (const double recent = CountOf(delta); recent > 0) {
        row.recent_count = recent;
        row.recent_p99_s = prom::HistogramQuantile(0.99, delta.buckets);
      }
    }
    if (input.recent_runs) {
      for (const TaskRun& run : *input.recent_runs) {
        if (run.group != row.group || run.task != row.task) continue;
        if (!row.slowest_run || run.seconds > row.slowest_run->seconds) row.slowest_run = run;
      }
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const TaskPerformance& a, const TaskPerformance& b) {
    if (a.p99_s != b.p99_s && !(std::isnan(a.p99_s) && std::isnan(b.p99_s))) {
      return SlowerFirst(a.p99_s, b.p99_s);
    }
    if (a.group != b.group) return a.group < b.group;
    return a.task < b.task;
  });
}

void BuildWorkflowGroups(const ModelInput& input, std::vector<GroupRuns>& rows) {
  std::map<std::string, GroupRuns> by_group;
  if (const Family* family = input.scrape->Find(metric_names::kGroupsTotal)) {
    for (const auto& sample : family->samples) {
      if (std::isnan(sample.value)) continue;
      GroupRuns& row = by_group[Label(sample.labels, "group")];
      const std::string status = Label(sample.labels, "status");
      row.runs += sample.value;
      if (status == "success") row.success += sample.value;
      if (status == "failed") row.failed += sample.value;
      if (status == "skipped") row.skipped += sample.value;
    }
  }
  for (auto& [group, row] : by_group) {
    row.group = group;
    row.p50_s = row.p99_s = std::nan("");
  }
  for (const auto& series : HistogramsOf(input.scrape, metric_names::kGroupDuration)) {
    auto it = by_group.find(Label(series.labels, "group"));
    if (it == by_group.end()) continue;
    it->second.p50_s = prom::HistogramQuantile(0.5, series.buckets);
    it->second.p99_s = prom::HistogramQuantile(0.99, series.buckets);
  }
  for (auto& [group, row] : by_group) rows.push_back(std::move(row));
  std::stable_sort(rows.begin(), rows.end(), [](const GroupRuns& a, const GroupRuns& b) { return a.runs > b.runs; });
}

void BuildGrpc(const ModelInput& input, std::vector<GrpcMethodStats>& methods) {
  std::map<std::string, GrpcMethodStats> by_method;
  if (const Family* family = input.scrape->Find(metric_names::kGrpcRequests)) {
    for (const auto& sample : family->samples) {
      if (std::isnan(sample.value)) continue;
      auto& stats = by_method[Label(sample.labels, "method")];
      stats.requests += sample.value;
      if (Label(sample.labels, "status") != "OK") stats.errors += sample.value;
    }
  }
  const auto histograms = prom::SumBy(HistogramsOf(input.scrape, metric_names::kGrpcDuration), {"method"});
  for (auto& [method, stats] : by_method) {
    stats.method = method;
    stats.p50_s = stats.p99_s = std::nan("");
  }
  for (const auto& series : histograms) {
    const std::string method = Label(series.labels, "method");
    auto& stats = by_method[method];
    stats.method = method;
    stats.p50_s = prom::HistogramQuantile(0.5, series.buckets);
    stats.p99_s = prom::HistogramQuantile(0.99, series.buckets);
  }
  for (auto& [method, stats] : by_method) {
    if (stats.requests > 0) stats.error_ratio = stats.errors / stats.requests;
    methods.push_back(stats);
  }
  std::stable_sort(methods.begin(), methods.end(),
                   [](const auto& a, const auto& b) { return a.requests > b.requests; });
}

void BuildErrors(const ModelInput& input, DashboardModel& model) {
  if (const Family* family = input.scrape->Find(metric_names::kErrors)) {
    for (const auto& sample : family->samples) {
      if (sample.name != metric_names::kErrors || std::isnan(sample.value)) continue;
      model.errors.push_back({Label(sample.labels, "type"), sample.value});
      model.errors_total += sample.value;
    }
  }
  std::sort(model.errors.begin(), model.errors.end(), [](const ErrorCount& a, const ErrorCount& b) {
    return a.count != b.count ? a.count > b.count : a.type < b.type;
  });
  model.error_rate_per_s = prom::CounterRate(PointsOf(input.history, kErrorsKey));
}

json NumberOrNull(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }
json NumberOrNull(const std::optional<double>& value) { return value ? NumberOrNull(*value) : json(nullptr); }

}  // namespace

const char* SpeedName(Speed speed) {
  switch (speed) {
    case Speed::kFast: return "fast";
    case Speed::kNormal: return "normal";
    case Speed::kSlow: return "slow";
    case Speed::kUnknown: break;
  }
  return "unknown";
}

Speed SpeedOfP99(double p99_seconds) {
  if (std::isnan(p99_seconds)) return Speed::kUnknown;
  if (p99_seconds > kSlowAboveSeconds) return Speed::kSlow;
  if (p99_seconds > kNormalAboveSeconds) return Speed::kNormal;
  return Speed::kFast;
}

std::string JournalctlCommand(const TaskRun& run) { return "journalctl SLOTH_TASK_ID=" + run.id; }

DashboardModel BuildDashboardModel(const ModelInput& input) {
  DashboardModel model;
  BuildHeader(input, model.header);
  BuildSystem(input, model.header, model.system);
  BuildTasks(input, model.tasks);
  BuildPerformance(input, model.performance);
  BuildWorkflowGroups(input, model.workflow_groups);
  model.workflow_runs.assign(
      input.workflow_runs.begin(),
      input.workflow_runs.begin() + static_cast<long>(std::min(input.workflow_runs.size(), kRecentRunsShown)));
  BuildGrpc(input, model.grpc);
  BuildErrors(input, model);
  const auto task_points = PointsOf(input.history, kTasksFinishedKey);
  model.history_scrapes = task_points.size();
  model.trends.task_rate_per_s = IntervalRates(task_points);
  model.trends.error_rate_per_s = IntervalRates(PointsOf(input.history, kErrorsKey));
  for (const auto& point : PointsOf(input.history, kResidentKey)) {
    model.trends.resident_bytes.push_back(point.value);
  }
  return model;
}

void RecordDashboardHistory(prom::History& history, double time_s, const MetricSet& scrape) {
  // Every series gets a point at every scrape (0 when absent) so the trends stay aligned.
  history.Add(kTasksFinishedKey,
              {time_s, SumOf(scrape, metric_names::kTasksTotal, metric_names::kTasksTotal).value_or(0)});
  history.Add(kErrorsKey, {time_s, SumOf(scrape, metric_names::kErrors, metric_names::kErrors).value_or(0)});
  if (auto cpu = Scalar(scrape, metric_names::kProcessCpu)) history.Add(kCpuKey, {time_s, *cpu});
  if (auto rss = Scalar(scrape, metric_names::kProcessResident)) history.Add(kResidentKey, {time_s, *rss});
}

nlohmann::json DashboardModelJson(const DashboardModel& model) {
  json header = {{"agent", model.header.agent},
                 {"version", model.header.version},
                 {"os", model.header.os},
                 {"arch", model.header.arch},
                 {"uptime_seconds", NumberOrNull(model.header.uptime_s)},
                 {"healthy", model.header.healthy ? json(*model.header.healthy) : json(nullptr)},
                 {"health_reason", model.header.health_reason},
                 {"updated_unix_seconds", model.header.updated_unix_s}};
  const auto& s = model.system;
  json system = {{"resident_memory_bytes", NumberOrNull(s.resident_bytes)},
                 {"memory_allocated_bytes", NumberOrNull(s.allocated_bytes)},
                 {"threads", NumberOrNull(s.threads)},
                 {"open_fds", NumberOrNull(s.open_fds)},
                 {"max_fds", NumberOrNull(s.max_fds)},
                 {"cpu_ratio", NumberOrNull(s.cpu_ratio)},
                 {"cpu_is_average_since_start", s.cpu_is_average}};
  const auto& t = model.tasks;
  json tasks = {{"success", t.success},
                {"failed", t.failed},
                {"skipped", t.skipped},
                {"other", t.other},
                {"total", t.total},
                {"running", t.running},
                {"success_rate", NumberOrNull(t.success_rate)},
                {"rate_per_second", NumberOrNull(t.rate_per_s)}};
  json performance = json::array();
  for (const auto& row : model.performance) {
    performance.push_back({{"group", row.group},
                           {"task", row.task},
                           {"count", row.count},
                           {"p50_seconds", NumberOrNull(row.p50_s)},
                           {"p99_seconds", NumberOrNull(row.p99_s)},
                           {"speed", SpeedName(row.speed)},
                           {"recent_count", NumberOrNull(row.recent_count)},
                           {"recent_p99_seconds", NumberOrNull(row.recent_p99_s)},
                           {"cpu_seconds_per_run", NumberOrNull(row.cpu_s_per_run)},
                           {"memory_peak_bytes", NumberOrNull(row.memory_peak_bytes)},
                           {"slowest_run", row.slowest_run ? json{{"id", row.slowest_run->id},
                                                                  {"seconds", row.slowest_run->seconds},
                                                                  {"journal", JournalctlCommand(*row.slowest_run)}}
                                                           : json(nullptr)}});
  }
  json groups = json::array();
  for (const auto& row : model.workflow_groups) {
    groups.push_back({{"group", row.group},
                      {"runs", row.runs},
                      {"success", row.success},
                      {"failed", row.failed},
                      {"skipped", row.skipped},
                      {"p50_seconds", NumberOrNull(row.p50_s)},
                      {"p99_seconds", NumberOrNull(row.p99_s)}});
  }
  json runs = json::array();
  for (const auto& run : model.workflow_runs) {
    runs.push_back({{"id", run.id},
                    {"workflow", run.workflow},
                    {"status", run.status},
                    {"cancelled", run.cancelled},
                    {"duration_seconds", run.duration_s},
                    {"succeeded", run.succeeded},
                    {"failed", run.failed},
                    {"skipped", run.skipped},
                    {"running", run.running},
                    {"queued", run.queued}});
  }
  json grpc = json::array();
  for (const auto& m : model.grpc) {
    grpc.push_back({{"method", m.method},
                    {"requests", m.requests},
                    {"errors", m.errors},
                    {"error_ratio", NumberOrNull(m.error_ratio)},
                    {"p50_seconds", NumberOrNull(m.p50_s)},
                    {"p99_seconds", NumberOrNull(m.p99_s)}});
  }
  json errors = json::array();
  for (const auto& e : model.errors) errors.push_back({{"type", e.type}, {"count", e.count}});
  return {{"header", header},
          {"system", system},
          {"tasks", tasks},
          {"task_performance", performance},
          {"workflow_groups", groups},
          {"workflow_runs", runs},
          {"grpc", grpc},
          {"errors", errors},
          {"errors_total", model.errors_total},
          {"error_rate_per_second", NumberOrNull(model.error_rate_per_s)},
          {"history_scrapes", model.history_scrapes},
          {"trends",
           {{"task_rate_per_second", model.trends.task_rate_per_s},
            {"error_rate_per_second", model.trends.error_rate_per_s},
            {"resident_memory_bytes", model.trends.resident_bytes}}}};
}

}  // namespace sloth::dashboard
