#pragma once
// The metric catalog (catalog.h) and its exposition. Every adapter records through this class
// and every reader (HTTP /metrics, gRPC GetMetrics) renders through it, so all see one truth.
// Thread-safe; owned by the daemon's main and shared by reference.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "daemon/core/telemetry/gzip.h"
#include "daemon/core/telemetry/label_limiter.h"
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
struct MetricsBody {
  std::shared_ptr<const std::string> catalog;
  std::string runtime;
};

class Telemetry {
 public:
  struct Options {
    size_t max_label_values = 500;  // per user-controlled label (group, task)
  };

  Telemetry(AgentIdentity identity, Options options);
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // --- events
  void TaskStarted();
  // status: "success", "failed" or "skipped".
  void TaskFinished(std::string_view group, std::string_view task, std::string_view status, double seconds,
                    bool output_truncated);
  // What a finished task consumed (TaskUsage): adds to sloth_task_cpu_seconds_total, observes
  // sloth_task_memory_peak_bytes.
  void TaskAccounted(std::string_view group, std::string_view task, double cpu_seconds, uint64_t memory_peak_bytes);
  // A task that never ran (refused at admission, cancelled while queued): counted as failed in
  // sloth_tasks_total, with no duration sample and no change to sloth_tasks_running.
  void TaskRefused(std::string_view group);
  void GroupFinished(std::string_view group, std::string_view status, double seconds);
  void GrpcRequestServed(std::string_view method, std::string_view status, double seconds);
  void ErrorOccurred(std::string_view type);

  // --- readers
  MetricsBody Scrape(bool gzip);
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
  std::string RenderRuntime() const;
  CachedRender RenderCatalog(bool gzip);

  const AgentIdentity identity_;
  const std::chrono::steady_clock::time_point start_steady_;
  const std::chrono::system_clock::time_point start_wall_;
  std::shared_ptr<prometheus::Registry> registry_;
  ProcessStatsReader process_reader_;
  LabelValueLimiter groups_;
  LabelValueLimiter tasks_;
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

  // Rendered catalog per encoding, tagged with the generation it was rendered at.
  std::atomic<uint64_t> generation_{1};
  std::mutex cache_mutex_;
  CachedRender plain_cache_;
  CachedRender gzip_cache_;
};

}  // namespace sloth
