#pragma once
// The metric catalog (catalog.h) and its exposition. Every adapter records through this class
// and every reader (HTTP /metrics, gRPC GetMetrics) renders through it, so all see one truth.
// Thread-safe; owned by the daemon's main and shared by reference.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "daemon/core/telemetry/gzip.h"
#include "daemon/core/telemetry/label_limiter.h"
#include "daemon/core/telemetry/openmetrics_writer.h"
#include "daemon/core/telemetry/process_stats.h"

namespace sloth {

struct AgentIdentity {
  std::string name;
  std::string version;
  std::string commit;
  std::string compiler;
  std::string os;    // "linux"
  std::string arch;  // Go's spelling, as the original reported it: amd64, arm64, ...
};

// Fills version, commit, compiler, os and arch from the build and uname(2).
AgentIdentity CurrentBuildIdentity(std::string name);

// The exposition in two parts whose concatenation is the full text (or, gzip'd, one gzip
// member): `catalog` is reused between scrapes while no metric changed, `runtime` (uptime,
// memory, process_*) is computed for every scrape (gzip'd: it also carries the trailer).
// Text format 0.0.4 (everyone) or OpenMetrics 1.0 with exemplars (scrapers that ask for it).
enum class ExpositionFormat { kText004, kOpenMetrics };

struct MetricsBody {
  std::shared_ptr<const std::string> catalog;
  std::string runtime;
};

// Appends the standard process_* families (catalog.h) for `stats`, in `format`.
void WriteProcessFamilies(const ProcessStats& stats, std::string* out,
                          ExpositionFormat format = ExpositionFormat::kText004);

class Telemetry {
 public:
  struct Options {
    size_t max_label_values = 500;  // per user-controlled label (group, task)
    size_t max_task_series = 1000;  // (group, task) pairs of the per-task families, in total
  };

  Telemetry(AgentIdentity identity, Options options);
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // --- events
  void TaskStarted();
  // status: "success", "failed" or "skipped". `task_id` becomes the exemplar of the duration
  // bucket the task landed in (the last task per bucket is kept).
  void TaskFinished(std::string_view group, std::string_view task, std::string_view status, double seconds,
                    bool output_truncated, std::string_view task_id = {});
  // What a finished task consumed (TaskUsage): adds to sloth_task_cpu_seconds_total, observes
  // sloth_task_memory_peak_bytes.
  void TaskAccounted(std::string_view group, std::string_view task, double cpu_seconds, uint64_t memory_peak_bytes);
  // A task that failed with no duration to observe: cancelled while it was queued, or found
  // running by a slothd restarted after a crash. Counted as failed in sloth_tasks_total, with no
  // duration sample and no change to sloth_tasks_running. (A refused request is no task: it is an
  // ErrorOccurred("task_refused").)
  void TaskFailedWithoutDuration(std::string_view group);
  // A workflow group: status "success", "failed" or "skipped" (counted, no duration sample).
  void GroupFinished(std::string_view group, std::string_view status, double seconds);
  void GrpcRequestServed(std::string_view method, std::string_view status, double seconds);
  void ErrorOccurred(std::string_view type);

  // --- readers
  MetricsBody Scrape(bool gzip, ExpositionFormat format = ExpositionFormat::kText004);
  std::string ExpositionText();  // catalog + runtime, plain text
  double UptimeSeconds() const;
  std::chrono::system_clock::time_point start_time() const { return start_wall_; }
  const AgentIdentity& identity() const { return identity_; }
  prometheus::Registry& registry() { return *registry_; }

 private:
  struct CachedRender {
    uint64_t generation = 0;
    std::shared_ptr<const GzipHead> gzip;     // set in gzip_cache_
    std::shared_ptr<const std::string> body;  // the text, or gzip->bytes (aliased)
  };
  void Changed() { generation_.fetch_add(1, std::memory_order_release); }
  std::string RenderRuntime(ExpositionFormat format) const;
  CachedRender RenderCatalog(bool gzip, ExpositionFormat format);
  void RecordExemplar(const std::string& group, const std::string& task, double seconds, std::string_view task_id);
  const Exemplar* FindExemplar(const prometheus::ClientMetric& series, size_t bucket) const;

  const AgentIdentity identity_;
  const std::chrono::steady_clock::time_point start_steady_;
  const std::chrono::system_clock::time_point start_wall_;
  std::shared_ptr<prometheus::Registry> registry_;
  ProcessStatsReader process_reader_;
  LabelValueLimiter groups_;
  LabelValueLimiter tasks_;
  LabelPairLimiter task_series_;  // every per-task family (group, task) shares the one cap
  LabelValueLimiter methods_;

  prometheus::Family<prometheus::Counter>& tasks_total_;
  prometheus::Gauge& tasks_running_;
  prometheus::Family<prometheus::Histogram>& task_duration_;
  prometheus::Family<prometheus::Counter>& grpc_requests_total_;
  prometheus::Family<prometheus::Histogram>& grpc_duration_;
  prometheus::Family<prometheus::Counter>& errors_total_;
  prometheus::Family<prometheus::Counter>& task_groups_total_;
  prometheus::Family<prometheus::Histogram>& task_group_duration_;
  prometheus::Counter& output_truncated_total_;
  prometheus::Family<prometheus::Counter>& task_cpu_;
  prometheus::Family<prometheus::Histogram>& task_memory_peak_;

  // The last task per bucket of each sloth_task_duration_seconds series (group, task), the
  // +Inf bucket last.
  mutable std::mutex exemplars_mutex_;
  std::map<std::pair<std::string, std::string>, std::vector<Exemplar>> exemplars_;

  // Rendered catalog per format and encoding, tagged with the generation it was rendered at.
  std::atomic<uint64_t> generation_{1};
  std::mutex cache_mutex_;
  CachedRender caches_[2][2];  // [format][gzip]
};

}  // namespace sloth
