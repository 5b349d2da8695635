#pragma once
// Hand-made scrapes shaped like slothd's, for the dashboard tests.
#include <string>
#include <variant>

#include "ctl/prom/text_parser.h"

namespace sloth::dashboard::testing {

inline prom::MetricSet Parse(const std::string& text) {
  auto result = prom::PromTextParser::Parse(text);
  if (auto* error = std::get_if<prom::ParseError>(&result)) throw std::runtime_error(error->message);
  return std::get<prom::MetricSet>(result);
}

// A freshly started agent: no tasks, one gRPC call, no errors.
inline const char* kIdleScrape = R"(# TYPE sloth_tasks_total counter
sloth_tasks_total{group="adhoc",status="success"} 0
# TYPE sloth_tasks_running gauge
sloth_tasks_running 0
# TYPE sloth_task_duration_seconds histogram
# TYPE sloth_grpc_requests_total counter
sloth_grpc_requests_total{method="sloth.v1.Agent/GetInfo",status="OK"} 1
# TYPE sloth_grpc_request_duration_seconds histogram
sloth_grpc_request_duration_seconds_bucket{method="sloth.v1.Agent/GetInfo",le="0.001"} 1
sloth_grpc_request_duration_seconds_bucket{method="sloth.v1.Agent/GetInfo",le="+Inf"} 1
sloth_grpc_request_duration_seconds_sum{method="sloth.v1.Agent/GetInfo"} 0.0004
sloth_grpc_request_duration_seconds_count{method="sloth.v1.Agent/GetInfo"} 1
# TYPE sloth_errors_total counter
sloth_errors_total{type="task_spawn"} 0
sloth_errors_total{type="task_timeout"} 0
# TYPE sloth_agent_uptime_seconds gauge
sloth_agent_uptime_seconds 12.5
# TYPE sloth_agent_info gauge
sloth_agent_info{arch="amd64",os="linux",version="0.1.0"} 1
# TYPE sloth_memory_allocated_bytes gauge
sloth_memory_allocated_bytes 538496
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 0.25
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 23732224
# TYPE process_open_fds gauge
process_open_fds 18
# TYPE process_max_fds gauge
process_max_fds 1024
# TYPE process_threads gauge
process_threads 14
)";

// A busy agent: fast, normal and slow tasks, failures, gRPC errors, errors by type. `tasks`
// scales the task counters so two scrapes differ.
inline std::string BusyScrape(double success = 40, double cpu = 12.5, double rss = 50331648, double timeouts = 2,
                              double slow_count = 4) {
  return "# TYPE sloth_tasks_total counter\n"
         "sloth_tasks_total{group=\"build\",status=\"success\"} " +
         std::to_string(success) +
         "\n"
         "sloth_tasks_total{group=\"build\",status=\"failed\"} 5\n"
         "sloth_tasks_total{group=\"deploy\",status=\"success\"} 8\n"
         "sloth_tasks_total{group=\"deploy\",status=\"skipped\"} 3\n"
         "# TYPE sloth_tasks_running gauge\nsloth_tasks_running 2\n"
         "# TYPE sloth_task_duration_seconds histogram\n"
         // build/compile: fast (all under 0.5 s)
         "sloth_task_duration_seconds_bucket{group=\"build\",task=\"compile\",le=\"0.1\"} 20\n"
         "sloth_task_duration_seconds_bucket{group=\"build\",task=\"compile\",le=\"0.5\"} 45\n"
         "sloth_task_duration_seconds_bucket{group=\"build\",task=\"compile\",le=\"1\"} 45\n"
         "sloth_task_duration_seconds_bucket{group=\"build\",task=\"compile\",le=\"5\"} 45\n"
         "sloth_task_duration_seconds_bucket{group=\"build\",task=\"compile\",le=\"10\"} 45\n"
         "sloth_task_duration_seconds_bucket{group=\"build\",task=\"compile\",le=\"+Inf\"} 45\n"
         "sloth_task_duration_seconds_sum{group=\"build\",task=\"compile\"} 9\n"
         "sloth_task_duration_seconds_count{group=\"build\",task=\"compile\"} 45\n"
         // deploy/rollout: normal (P99 between 1 and 5 s)
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"rollout\",le=\"0.1\"} 0\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"rollout\",le=\"0.5\"} 1\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"rollout\",le=\"1\"} 4\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"rollout\",le=\"5\"} 8\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"rollout\",le=\"10\"} 8\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"rollout\",le=\"+Inf\"} 8\n"
         "sloth_task_duration_seconds_sum{group=\"deploy\",task=\"rollout\"} 14\n"
         "sloth_task_duration_seconds_count{group=\"deploy\",task=\"rollout\"} 8\n"
         // deploy/migrate-a-very-long-database-name: slow (P99 above 5 s)
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"migrate-a-very-long-database-name\",le=\"1\"} 0\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"migrate-a-very-long-database-name\",le=\"5\"} 1\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"migrate-a-very-long-database-name\",le=\"10\"} " +
         std::to_string(slow_count) +
         "\n"
         "sloth_task_duration_seconds_bucket{group=\"deploy\",task=\"migrate-a-very-long-database-name\",le=\"+Inf\"}"
         " " +
         std::to_string(slow_count) +
         "\n"
         "sloth_task_duration_seconds_sum{group=\"deploy\",task=\"migrate-a-very-long-database-name\"} 30\n"
         "sloth_task_duration_seconds_count{group=\"deploy\",task=\"migrate-a-very-long-database-name\"} " +
         std::to_string(slow_count) +
         "\n"
         // never observed: no quantiles
         "sloth_task_duration_seconds_bucket{group=\"ops\",task=\"idle\",le=\"1\"} 0\n"
         "sloth_task_duration_seconds_bucket{group=\"ops\",task=\"idle\",le=\"+Inf\"} 0\n"
         "sloth_task_duration_seconds_sum{group=\"ops\",task=\"idle\"} 0\n"
         "sloth_task_duration_seconds_count{group=\"ops\",task=\"idle\"} 0\n"
         // what the runs consumed: compile 0.5 s and 64 MiB a run, rollout 1.5 s and 256 MiB;
         // the migration's runs were never measured
         "# TYPE sloth_task_cpu_seconds_total counter\n"
         "sloth_task_cpu_seconds_total{group=\"build\",task=\"compile\"} 22.5\n"
         "sloth_task_cpu_seconds_total{group=\"deploy\",task=\"rollout\"} 12\n"
         "# TYPE sloth_task_memory_peak_bytes histogram\n"
         "sloth_task_memory_peak_bytes_bucket{group=\"build\",task=\"compile\",le=\"67108864\"} 45\n"
         "sloth_task_memory_peak_bytes_bucket{group=\"build\",task=\"compile\",le=\"+Inf\"} 45\n"
         "sloth_task_memory_peak_bytes_sum{group=\"build\",task=\"compile\"} 3019898880\n"
         "sloth_task_memory_peak_bytes_count{group=\"build\",task=\"compile\"} 45\n"
         "sloth_task_memory_peak_bytes_bucket{group=\"deploy\",task=\"rollout\",le=\"268435456\"} 8\n"
         "sloth_task_memory_peak_bytes_bucket{group=\"deploy\",task=\"rollout\",le=\"+Inf\"} 8\n"
         "sloth_task_memory_peak_bytes_sum{group=\"deploy\",task=\"rollout\"} 2147483648\n"
         "sloth_task_memory_peak_bytes_count{group=\"deploy\",task=\"rollout\"} 8\n"
         "# TYPE sloth_grpc_requests_total counter\n"
         "sloth_grpc_requests_total{method=\"sloth.v1.Agent/RunTask\",status=\"OK\"} 90\n"
         "sloth_grpc_requests_total{method=\"sloth.v1.Agent/RunTask\",status=\"DEADLINE_EXCEEDED\"} 10\n"
         "sloth_grpc_requests_total{method=\"sloth.v1.Agent/GetInfo\",status=\"OK\"} 250\n"
         "# TYPE sloth_grpc_request_duration_seconds histogram\n"
         "sloth_grpc_request_duration_seconds_bucket{method=\"sloth.v1.Agent/RunTask\",le=\"0.1\"} 50\n"
         "sloth_grpc_request_duration_seconds_bucket{method=\"sloth.v1.Agent/RunTask\",le=\"1\"} 90\n"
         "sloth_grpc_request_duration_seconds_bucket{method=\"sloth.v1.Agent/RunTask\",le=\"+Inf\"} 100\n"
         "sloth_grpc_request_duration_seconds_sum{method=\"sloth.v1.Agent/RunTask\"} 60\n"
         "sloth_grpc_request_duration_seconds_count{method=\"sloth.v1.Agent/RunTask\"} 100\n"
         "sloth_grpc_request_duration_seconds_bucket{method=\"sloth.v1.Agent/GetInfo\",le=\"0.001\"} 250\n"
         "sloth_grpc_request_duration_seconds_bucket{method=\"sloth.v1.Agent/GetInfo\",le=\"+Inf\"} 250\n"
         "sloth_grpc_request_duration_seconds_sum{method=\"sloth.v1.Agent/GetInfo\"} 0.1\n"
         "sloth_grpc_request_duration_seconds_count{method=\"sloth.v1.Agent/GetInfo\"} 250\n"
         "# TYPE sloth_errors_total counter\n"
         "sloth_errors_total{type=\"task_spawn\"} 0\n"
         "sloth_errors_total{type=\"task_timeout\"} " +
         std::to_string(timeouts) +
         "\n"
         "sloth_errors_total{type=\"grpc\"} 10\n"
         "# TYPE sloth_agent_uptime_seconds gauge\nsloth_agent_uptime_seconds 93784\n"
         "# TYPE sloth_agent_info gauge\nsloth_agent_info{arch=\"arm64\",os=\"linux\",version=\"1.2.3\"} 1\n"
         "# TYPE sloth_memory_allocated_bytes gauge\nsloth_memory_allocated_bytes 12582912\n"
         "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total " +
         std::to_string(cpu) +
         "\n"
         "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes " +
         std::to_string(rss) +
         "\n"
         "# TYPE process_open_fds gauge\nprocess_open_fds 900\n"
         "# TYPE process_max_fds gauge\nprocess_max_fds 1024\n"
         "# TYPE process_threads gauge\nprocess_threads 23\n";
}

}  // namespace sloth::dashboard::testing
