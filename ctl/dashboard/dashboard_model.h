#pragma once
// What the dashboard shows, computed from one scrape, the scrape before it and the history of
// earlier scrapes. Pure: time, health and the agent's name are passed in. `--output json`
// prints this model.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/prom/metric_set.h"
#include "ctl/prom/rates.h"

namespace sloth::dashboard {

// P99 thresholds of the task performance indicator (seconds, strictly greater than).
inline constexpr double kNormalAboveSeconds = 1.0;
inline constexpr double kSlowAboveSeconds = 5.0;

enum class Speed { kUnknown, kFast, kNormal, kSlow };

// "fast", "normal", "slow", "unknown".
const char* SpeedName(Speed speed);
// Fast up to 1 s of P99, Normal above 1 s, Slow above 5 s; Unknown for NaN (no observations).
Speed SpeedOfP99(double p99_seconds);

struct Header {
  std::string agent;
  std::string version;  // from sloth_agent_info; "" when absent
  std::string os;
  std::string arch;
  std::optional<double> uptime_s;
  std::optional<bool> healthy;  // nullopt: not known (the source has no health check)
  std::string health_reason;    // why not healthy
  double updated_unix_s = 0;    // when this scrape was taken
};

struct SystemStats {
  std::optional<double> resident_bytes;   // process_resident_memory_bytes
  std::optional<double> allocated_bytes;  // sloth_memory_allocated_bytes (heap in use)
  std::optional<double> threads;          // process_threads, else sloth_goroutines
  std::optional<double> open_fds;
  std::optional<double> max_fds;
  // CPU use as a fraction of one core: the rate of process_cpu_seconds_total over the history;
  // with no history yet, the average since the agent started (cpu_is_average).
  std::optional<double> cpu_ratio;
  bool cpu_is_average = false;
};

struct TaskTotals {
  double success = 0;
  double failed = 0;
  double skipped = 0;
  double other = 0;  // any other status label
  double total = 0;  // all statuses
  double running = 0;
  // success / (success + failed): skipped tasks count as neither. nullopt before any.
  std::optional<double> success_rate;
  // Tasks finished per second over the kept history; nullopt with fewer than 2 scrapes.
  std::optional<double> rate_per_s;
};

// One row of the task performance table. Quantiles are over the whole histogram (every
// observation since the agent started), as the original showed them; `recent_*` are over the
// observations made since the previous scrape only (watch mode), absent when there were none.
// One finished run of a task, as the agent's task list (or a duration exemplar) tells it.
struct TaskRun {
  std::string group;
  std::string task;
  std::string id;  // "t-000042-ab12": its journal records carry SLOTH_TASK_ID=id
  double seconds = 0;
};

struct TaskPerformance {
  std::string group;
  std::string task;
  double count = 0;
  double p50_s = 0;  // NaN when no observations
  double p99_s = 0;
  Speed speed = Speed::kUnknown;
  std::optional<double> recent_count;
  std::optional<double> recent_p99_s;
  // What one run of the task consumed on average: CPU seconds (sloth_task_cpu_seconds_total over
  // its runs) and peak memory (sloth_task_memory_peak_bytes' mean). nullopt before any measure.
  std::optional<double> cpu_s_per_run;
  std::optional<double> memory_peak_bytes;
  std::optional<TaskRun> slowest_run;  // the slowest of the recent runs known, if any
};

// One row of the workflow groups table (sloth_task_groups_total, sloth_task_group_duration_seconds):
// how often a group of a workflow ran to its end, how it ended, and how long it took.
struct GroupRuns {
  std::string group;
  double runs = 0;  // finished, any status
  double success = 0;
  double failed = 0;
  double skipped = 0;
  double p50_s = 0;  // NaN when no duration was observed (skipped groups have none)
  double p99_s = 0;
};

// A recent workflow run, as the local agent lists them (not in the metrics: none over --endpoint).
struct WorkflowRunRow {
  std::string id;
  std::string workflow;
  std::string status;  // running, success, failed
  bool cancelled = false;
  double duration_s = 0;
  double succeeded = 0, failed = 0, skipped = 0, running = 0, queued = 0;
};

struct GrpcMethodStats {
  std::string method;  // "sloth.v1.Agent/RunTask"
  double requests = 0;
  double errors = 0;                  // status other than OK
  std::optional<double> error_ratio;  // errors / requests; nullopt with no requests
  double p50_s = 0;                   // NaN when no observations
  double p99_s = 0;
};

struct ErrorCount {
  std::string type;
  double count = 0;
};

// Per-scrape-interval series for sparklines, oldest first.
struct Trends {
  std::vector<double> task_rate_per_s;
  std::vector<double> error_rate_per_s;
  std::vector<double> resident_bytes;
};

struct DashboardModel {
  Header header;
  SystemStats system;
  TaskTotals tasks;
  std::vector<TaskPerformance> performance;   // slowest P99 first; no observations last
  std::vector<GroupRuns> workflow_groups;     // most runs first; empty before the first workflow
  std::vector<WorkflowRunRow> workflow_runs;  // newest first, at most kRecentRunsShown
  std::vector<GrpcMethodStats> grpc;          // most requests first
  std::vector<ErrorCount> errors;             // most first, then by type
  double errors_total = 0;
  std::optional<double> error_rate_per_s;  // sloth_errors_total per second over the history
  Trends trends;
  size_t history_scrapes = 0;  // how many scrapes the rates and trends are drawn from
};

struct ModelInput {
  std::string agent;
  const prom::MetricSet* scrape = nullptr;    // required
  const prom::MetricSet* previous = nullptr;  // the scrape before, for recent quantiles
  const prom::History* history = nullptr;     // RecordDashboardHistory'd scrapes, incl. this one
  double updated_unix_s = 0;
  std::optional<bool> healthy;
  std::string health_reason;
  std::vector<WorkflowRunRow> workflow_runs;          // running first, then newest; empty when not known
  const std::vector<TaskRun>* recent_runs = nullptr;  // optional: for each row's slowest run
};

// The recent workflow runs the dashboard lists.
inline constexpr size_t kRecentRunsShown = 5;

// "journalctl SLOTH_TASK_ID=<id>": the command that shows a run's log.
std::string JournalctlCommand(const TaskRun& run);

DashboardModel BuildDashboardModel(const ModelInput& input);

// Keeps in `history` the few series the dashboard draws rates and trends from (sums of the
// task and error counters, CPU seconds, resident memory), not all of the scrape's series.
void RecordDashboardHistory(prom::History& history, double time_s, const prom::MetricSet& scrape);

// The model for scripts; NaN quantiles and unknown values are null.
nlohmann::json DashboardModelJson(const DashboardModel& model);

}  // namespace sloth::dashboard
