// libFuzzer target: a workflow file (the bytes before the first NUL) and a values file (the bytes
// after it) through LoadWorkflow; a workflow that resolves is planned and run through the
// scheduler to its end, each attempt's outcome taken from the input. Besides the sanitizers, it
// checks what the executor relies on: errors have a source, a run always finishes, and every
// task ends with a final status.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/core/workflows/workflow.h"
#include "daemon/core/workflows/workflow_plan.h"
#include "daemon/core/workflows/workflow_scheduler.h"

namespace {

using namespace sloth;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

bool IsFinal(TaskStatus s) {
  return s == TaskStatus::kSuccess || s == TaskStatus::kFailed || s == TaskStatus::kSkipped;
}

void Run(const Workflow& workflow, std::string_view outcomes) {
  WorkflowScheduler scheduler(workflow, 1 + static_cast<uint32_t>(outcomes.size() % 5));
  std::vector<size_t> running, retrying;
  auto take = [&](const WorkflowScheduler::Decisions& d) {
    running.insert(running.end(), d.start.begin(), d.start.end());
    retrying.insert(retrying.end(), d.retry.begin(), d.retry.end());
  };
  take(scheduler.Start());
  size_t i = 0;
  // Each step ends an attempt or a retry wait: the loop is bounded by the attempts there can be.
  while (!running.empty() || !retrying.empty()) {
    const unsigned char byte = i < outcomes.size() ? static_cast<unsigned char>(outcomes[i]) : 0;
    ++i;
    if (byte == 0xFF) take(scheduler.Cancel("fuzz"));
    if (!retrying.empty() && (byte & 1)) {
      const size_t task = retrying.back();
      retrying.pop_back();
      take(scheduler.RetryDue(task));
      continue;
    }
    if (running.empty()) {
      const size_t task = retrying.back();
      retrying.pop_back();
      take(scheduler.RetryDue(task));
      continue;
    }
    const size_t pick = byte % running.size();
    const size_t task = running[pick];
    running.erase(running.begin() + static_cast<long>(pick));
    const auto outcome = (byte & 6) == 0 ? WorkflowScheduler::Attempt::kFailed : WorkflowScheduler::Attempt::kSucceeded;
    take(scheduler.AttemptFinished(task, outcome));
  }
  Check(scheduler.finished());
  for (size_t t = 0; t < workflow.tasks.size(); ++t) Check(IsFinal(scheduler.status(t)));
  for (size_t g = 0; g < workflow.groups.size(); ++g) Check(IsFinal(scheduler.group_status(g)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  WorkflowSource source;
  source.file = {"fuzz.toml", std::string(input.substr(0, nul))};
  if (nul != std::string_view::npos) source.values_files.push_back({"values.toml", std::string(input.substr(nul + 1))});
  auto workflow = LoadWorkflow(source);
  if (!workflow) {
    Check(!workflow.error().source.empty() && !workflow.error().message.empty());
    return 0;
  }
  Check(!workflow->tasks.empty());
  const WorkflowPlan plan = PlanWorkflow(*workflow);
  size_t planned = plan.skipped.size();
  for (const auto& stage : plan.stages) planned += stage.size();
  Check(planned == workflow->tasks.size());
  Run(*workflow, input);
  return 0;
}
