#pragma once
// The names of slothd's metric families, defined once: the daemon's catalog
// (daemon/core/telemetry/catalog.h) exposes them and slothctl's dashboard looks them up.
#include <string_view>

namespace sloth::metric_names {

inline constexpr std::string_view kTasksTotal = "sloth_tasks_total";
inline constexpr std::string_view kTasksRunning = "sloth_tasks_running";
inline constexpr std::string_view kTaskDuration = "sloth_task_duration_seconds";
inline constexpr std::string_view kGrpcRequests = "sloth_grpc_requests_total";
inline constexpr std::string_view kGrpcDuration = "sloth_grpc_request_duration_seconds";
inline constexpr std::string_view kErrors = "sloth_errors_total";
inline constexpr std::string_view kUptime = "sloth_agent_uptime_seconds";
inline constexpr std::string_view kAgentInfo = "sloth_agent_info";
inline constexpr std::string_view kMemoryAllocated = "sloth_memory_allocated_bytes";
inline constexpr std::string_view kGoroutines = "sloth_goroutines";
inline constexpr std::string_view kBuildInfo = "sloth_build_info";
inline constexpr std::string_view kGroupsTotal = "sloth_task_groups_total";
inline constexpr std::string_view kGroupDuration = "sloth_task_group_duration_seconds";
inline constexpr std::string_view kOutputTruncated = "sloth_task_output_truncated_total";
inline constexpr std::string_view kTaskCpu = "sloth_task_cpu_seconds_total";
inline constexpr std::string_view kTaskMemoryPeak = "sloth_task_memory_peak_bytes";
inline constexpr std::string_view kProcessCpu = "process_cpu_seconds_total";
inline constexpr std::string_view kProcessResident = "process_resident_memory_bytes";
inline constexpr std::string_view kProcessVirtual = "process_virtual_memory_bytes";
inline constexpr std::string_view kProcessOpenFds = "process_open_fds";
inline constexpr std::string_view kProcessMaxFds = "process_max_fds";
inline constexpr std::string_view kProcessStart = "process_start_time_seconds";
inline constexpr std::string_view kProcessThreads = "process_threads";

// The master's own (slothd --role master).
inline constexpr std::string_view kMasterAgents = "sloth_master_agents";
inline constexpr std::string_view kMasterRegistrations = "sloth_master_registrations_total";
inline constexpr std::string_view kMasterHeartbeats = "sloth_master_heartbeats_total";
inline constexpr std::string_view kMasterRelayedCalls = "sloth_master_relayed_calls_total";
inline constexpr std::string_view kMasterCalls = "sloth_master_calls_total";
inline constexpr std::string_view kMasterAuthFailures = "sloth_master_auth_failures_total";

}  // namespace sloth::metric_names
