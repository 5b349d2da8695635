#pragma once
// The metric catalog (doc/ARCHITECTURE.md §7), in exposition order: the original Sloth Runner's families
// (names, types and labels unchanged, so its PromQL and dashboards keep working), then ours.
#include <span>
#include <string_view>

#include <prometheus/histogram.h>
#include <prometheus/metric_type.h>

#include "common/metric_names.h"

namespace sloth::catalog {

struct FamilySpec {
  std::string_view name;
  std::string_view help;
  prometheus::MetricType type;
  std::span<const std::string_view> labels;  // excluding histogram's `le`
  bool runtime = false;                      // computed at scrape time, not kept in the registry
};

inline constexpr std::string_view kStatusGroup[] = {"status", "group"};
inline constexpr std::string_view kGroupTask[] = {"group", "task"};
inline constexpr std::string_view kMethodStatus[] = {"method", "status"};
inline constexpr std::string_view kMethod[] = {"method"};
inline constexpr std::string_view kType[] = {"type"};
inline constexpr std::string_view kGroup[] = {"group"};
inline constexpr std::string_view kAgentInfoLabels[] = {"version", "os", "arch"};
inline constexpr std::string_view kBuildInfoLabels[] = {"version", "commit", "compiler"};

using prometheus::MetricType;
inline constexpr FamilySpec kTasksTotal{metric_names::kTasksTotal,
                                        "Tasks finished, by status (success, failed, skipped) and group.",
                                        MetricType::Counter, kStatusGroup};
inline constexpr FamilySpec kTasksRunning{metric_names::kTasksRunning, "Tasks running now.", MetricType::Gauge, {}};
inline constexpr FamilySpec kTaskDuration{metric_names::kTaskDuration, "Task wall time in seconds, by group and task.",
                                          MetricType::Histogram, kGroupTask};
inline constexpr FamilySpec kGrpcRequests{metric_names::kGrpcRequests,
                                          "gRPC requests served, by method and status code.", MetricType::Counter,
                                          kMethodStatus};
inline constexpr FamilySpec kGrpcDuration{metric_names::kGrpcDuration, "gRPC request latency in seconds, by method.",
                                          MetricType::Histogram, kMethod};
inline constexpr FamilySpec kErrors{
    metric_names::kErrors,
    "Errors by type (task_spawn, task_timeout, task_refused, grpc, config, master_unreachable, ...).",
    MetricType::Counter, kType};
inline constexpr FamilySpec kUptime{
    metric_names::kUptime, "Seconds since the agent started.", MetricType::Gauge, {}, true};
inline constexpr FamilySpec kAgentInfo{metric_names::kAgentInfo, "Agent build information (always 1).",
                                       MetricType::Gauge, kAgentInfoLabels};
inline constexpr FamilySpec kMemoryAllocated{
    metric_names::kMemoryAllocated, "Heap bytes in use (mallinfo2: arena + mmapped).", MetricType::Gauge, {}, true};
inline constexpr FamilySpec kGoroutines{
    metric_names::kGoroutines,
    "Kept for compatibility with the original: the daemon's OS threads (= process_threads).",
    MetricType::Gauge,
    {},
    true};
inline constexpr FamilySpec kBuildInfo{metric_names::kBuildInfo, "Build details beyond sloth_agent_info (always 1).",
                                       MetricType::Gauge, kBuildInfoLabels};
inline constexpr FamilySpec kGroupsTotal{metric_names::kGroupsTotal,
                                         "Workflow task groups finished, by status and group.", MetricType::Counter,
                                         kStatusGroup};
inline constexpr FamilySpec kGroupDuration{
    metric_names::kGroupDuration, "Workflow task group wall time in seconds, by group.", MetricType::Histogram, kGroup};
inline constexpr FamilySpec kOutputTruncated{
    metric_names::kOutputTruncated, "Tasks whose output passed the kept-output cap.", MetricType::Counter, {}};
inline constexpr FamilySpec kTaskCpu{metric_names::kTaskCpu,
                                     "CPU time (user + system) used by tasks in seconds, by group and task.",
                                     MetricType::Counter, kGroupTask};
inline constexpr FamilySpec kTaskMemoryPeak{
    metric_names::kTaskMemoryPeak,
    "Peak memory of each task in bytes, by group and task: the task's cgroup where it has a memory controller, "
    "else its largest process.",
    MetricType::Histogram, kGroupTask};
inline constexpr FamilySpec kProcessCpu{
    metric_names::kProcessCpu, "Total user and system CPU time spent in seconds.", MetricType::Counter, {}, true};
inline constexpr FamilySpec kProcessResident{
    metric_names::kProcessResident, "Resident memory size in bytes.", MetricType::Gauge, {}, true};
inline constexpr FamilySpec kProcessVirtual{
    metric_names::kProcessVirtual, "Virtual memory size in bytes.", MetricType::Gauge, {}, true};
inline constexpr FamilySpec kProcessOpenFds{
    metric_names::kProcessOpenFds, "Number of open file descriptors.", MetricType::Gauge, {}, true};
inline constexpr FamilySpec kProcessMaxFds{
    metric_names::kProcessMaxFds, "Maximum number of open file descriptors.", MetricType::Gauge, {}, true};
inline constexpr FamilySpec kProcessStart{
    metric_names::kProcessStart, "Start time of the process since unix epoch in seconds.", MetricType::Gauge, {}, true};
inline constexpr FamilySpec kProcessThreads{
    metric_names::kProcessThreads, "Number of OS threads in the process.", MetricType::Gauge, {}, true};

// Every family, in exposition order.
inline constexpr const FamilySpec* kAll[] = {
    &kTasksTotal,     &kTasksRunning,    &kTaskDuration,    &kGrpcRequests,   &kGrpcDuration,  &kErrors,
    &kUptime,         &kAgentInfo,       &kMemoryAllocated, &kGoroutines,     &kBuildInfo,     &kGroupsTotal,
    &kGroupDuration,  &kOutputTruncated, &kTaskCpu,         &kTaskMemoryPeak, &kProcessCpu,    &kProcessResident,
    &kProcessVirtual, &kProcessOpenFds,  &kProcessMaxFds,   &kProcessStart,   &kProcessThreads};

// Histogram buckets.
inline const prometheus::Histogram::BucketBoundaries kTaskDurationBuckets = {.005, .01, .025, .05, .1, .25,
                                                                             .5,   1,   2.5,  5,   10};
inline const prometheus::Histogram::BucketBoundaries kGrpcDurationBuckets = {.001, .005, .01, .025, .05, .1,
                                                                             .25,  .5,   1,   2.5,  5,   10};
// Task memory: from a small script (a few MiB) to a large build, by powers of four.
inline const prometheus::Histogram::BucketBoundaries kTaskMemoryBuckets = {
    1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20, 1 << 30, 4.0 * (1 << 30), 16.0 * (1 << 30)};
// Groups run for longer than single tasks: the default buckets, extended to an hour.
inline const prometheus::Histogram::BucketBoundaries kGroupDurationBuckets = {.005, .01, .025, .05, .1, .25, .5,  1,
                                                                              2.5,  5,   10,   30,  60, 300, 900, 3600};

}  // namespace sloth::catalog
