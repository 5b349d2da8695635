#include "ctl/clients/dbus_values.h"

#include <vector>

namespace sloth::ctl {

v1::TaskStatus TaskStatusFromDbus(const std::string& s) {
  if (s == "queued") return v1::TASK_STATUS_QUEUED;
  if (s == "running") return v1::TASK_STATUS_RUNNING;
  if (s == "success") return v1::TASK_STATUS_SUCCESS;
  if (s == "failed") return v1::TASK_STATUS_FAILED;
  if (s == "skipped") return v1::TASK_STATUS_SKIPPED;
  return v1::TASK_STATUS_UNSPECIFIED;
}

void FillTask(const DbusDict& d, v1::TaskResult* t) {
  t->set_id(DbusGet<std::string>(d, "id"));
  t->set_name(DbusGet<std::string>(d, "name"));
  t->set_group(DbusGet<std::string>(d, "group"));
  t->set_command(DbusGet<std::string>(d, "command"));
  t->set_status(TaskStatusFromDbus(DbusGet<std::string>(d, "status")));
  t->set_exit_code(DbusGet<int32_t>(d, "exit_code", -1));
  t->set_signal(DbusGet<int32_t>(d, "signal"));
  t->set_timed_out(DbusGet<bool>(d, "timed_out"));
  t->set_cancelled(DbusGet<bool>(d, "cancelled"));
  t->set_reason(DbusGet<std::string>(d, "reason"));
  t->set_duration_seconds(DbusGet<double>(d, "duration_seconds"));
  t->set_start_time_unix_ms(DbusGet<int64_t>(d, "start_time_unix_ms"));
  t->set_end_time_unix_ms(DbusGet<int64_t>(d, "end_time_unix_ms"));
  t->set_output_truncated(DbusGet<bool>(d, "output_truncated"));
  t->set_output_bytes(DbusGet<uint64_t>(d, "output_bytes"));
  t->set_user(DbusGet<std::string>(d, "user"));
  t->set_unit(DbusGet<std::string>(d, "unit"));
  v1::TaskUsage* usage = t->mutable_usage();
  usage->set_measured(DbusGet<bool>(d, "usage_measured"));
  usage->set_cpu_seconds(DbusGet<double>(d, "cpu_seconds"));
  usage->set_memory_peak_bytes(DbusGet<uint64_t>(d, "memory_peak_bytes"));
  usage->set_memory_peak_whole_task(DbusGet<bool>(d, "memory_peak_whole_task"));
  t->set_limits_not_enforced(DbusGet<std::string>(d, "limits_not_enforced"));
  t->set_workflow(DbusGet<std::string>(d, "workflow"));
  t->set_run_id(DbusGet<std::string>(d, "run_id"));
}

void FillWorkflowRun(const DbusDict& d, v1::WorkflowRun* run) {
  run->set_id(DbusGet<std::string>(d, "id"));
  run->set_workflow(DbusGet<std::string>(d, "workflow"));
  run->set_source(DbusGet<std::string>(d, "source"));
  run->set_status(TaskStatusFromDbus(DbusGet<std::string>(d, "status")));
  run->set_cancelled(DbusGet<bool>(d, "cancelled"));
  run->set_reason(DbusGet<std::string>(d, "reason"));
  run->set_start_time_unix_ms(DbusGet<int64_t>(d, "start_time_unix_ms"));
  run->set_end_time_unix_ms(DbusGet<int64_t>(d, "end_time_unix_ms"));
  run->set_duration_seconds(DbusGet<double>(d, "duration_seconds"));
  run->set_tasks_queued(DbusGet<uint32_t>(d, "tasks_queued"));
  run->set_tasks_running(DbusGet<uint32_t>(d, "tasks_running"));
  run->set_tasks_succeeded(DbusGet<uint32_t>(d, "tasks_succeeded"));
  run->set_tasks_failed(DbusGet<uint32_t>(d, "tasks_failed"));
  run->set_tasks_skipped(DbusGet<uint32_t>(d, "tasks_skipped"));
  uint32_t index = 0;
  for (const DbusDict& g : DbusGet<std::vector<DbusDict>>(d, "groups")) {
    v1::WorkflowGroup* group = run->add_groups();
    group->set_index(index++);
    group->set_name(DbusGet<std::string>(g, "name"));
    group->set_status(TaskStatusFromDbus(DbusGet<std::string>(g, "status")));
    group->set_duration_seconds(DbusGet<double>(g, "duration_seconds"));
  }
  index = 0;
  for (const DbusDict& t : DbusGet<std::vector<DbusDict>>(d, "tasks")) {
    v1::WorkflowTask* task = run->add_tasks();
    task->set_index(index++);
    task->set_group(DbusGet<std::string>(t, "group"));
    task->set_name(DbusGet<std::string>(t, "name"));
    for (const std::string& dep : DbusGet<std::vector<std::string>>(t, "depends_on")) task->add_depends_on(dep);
    task->set_status(TaskStatusFromDbus(DbusGet<std::string>(t, "status")));
    task->set_attempts(DbusGet<uint32_t>(t, "attempts"));
    task->set_reason(DbusGet<std::string>(t, "reason"));
    if (t.count("task") > 0) {
      const auto last = DbusGet<DbusDict>(t, "task");
      FillTask(last, task->mutable_last());
      const auto output = DbusGet<std::vector<uint8_t>>(last, "output");  // a failure's
      task->mutable_last()->set_kept_output(std::string(output.begin(), output.end()));
    }
  }
}

}  // namespace sloth::ctl
