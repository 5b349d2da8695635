// One batch of TASKS tasks of `true` on the agent, two ways: as one workflow (RunWorkflow), or
// ad hoc (RunTask per task). Shapes: "wide" (no dependencies: the workflow runs up to the agent's
// [workflows] max_parallel at once; ad hoc, CLIENTS streams in flight on one completion queue)
// and "chain" (each task after the one before: the workflow's dependencies; ad hoc, one call
// after the other). Prints "workflow_throughput SHAPE MODE TASKS SECONDS FAILED CLIENT_CPU_US":
// the batch's wall time, tasks that did not succeed, this process's CPU per task.
// Usage: workflow_throughput SOCKET wide|chain workflow|adhoc TASKS [CLIENTS]
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "proto/grpc_tuning.h"
#include "sloth/v1/agent.grpc.pb.h"
#include "tests/bench/async_task_caller.h"
#include "tests/bench/measuring_window.h"

namespace {

std::string WorkflowText(bool chain, int tasks) {
  std::string text = "name = \"bench\"\n[groups.bench.tasks]\n";
  for (int i = 0; i < tasks; ++i) {
    text += "t" + std::to_string(i) + " = { command = \"true\"";
    if (chain && i > 0) text += ", depends_on = [\"t" + std::to_string(i - 1) + "\"]";
    text += " }\n";
  }
  return text;
}

// The run's tasks that did not succeed, or -1 if the call failed.
long RunWorkflow(sloth::v1::Agent::Stub& stub, bool chain, int tasks) {
  sloth::v1::RunWorkflowRequest request;
  request.mutable_file()->set_name("bench.toml");
  request.mutable_file()->set_text(WorkflowText(chain, tasks));
  grpc::ClientContext context;
  auto reader = stub.RunWorkflow(&context, request);
  sloth::v1::WorkflowEvent event;
  long not_succeeded = -1;
  while (reader->Read(&event)) {
    if (event.has_result()) {
      not_succeeded = static_cast<long>(tasks) - static_cast<long>(event.result().tasks_succeeded());
      break;
    }
  }
  if (!reader->Finish().ok()) return -1;
  return not_succeeded;
}

long RunChainAdHoc(sloth::v1::Agent::Stub& stub, int tasks) {
  sloth::v1::RunTaskRequest request;
  request.set_command("true");
  request.set_name("bench");
  long failed = 0;
  for (int i = 0; i < tasks; ++i) {
    grpc::ClientContext context;
    auto reader = stub.RunTask(&context, request);
    sloth::v1::RunTaskEvent event;
    bool success = false;
    while (reader->Read(&event)) {
      if (event.has_result()) {
        success = event.result().status() == sloth::v1::TASK_STATUS_SUCCESS;
        break;
      }
    }
    failed += reader->Finish().ok() && success ? 0 : 1;
  }
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: workflow_throughput SOCKET wide|chain workflow|adhoc TASKS [CLIENTS]\n");
    return 2;
  }
  const std::string socket = argv[1];
  const std::string shape = argv[2];
  const std::string mode = argv[3];
  const int tasks = std::atoi(argv[4]);
  const int clients = argc > 5 ? std::atoi(argv[5]) : 16;
  const bool chain = shape == "chain";
  sloth::TurnOffMutexDebugging();  // as slothd and slothctl do
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);  // a big run's result
  auto stub = sloth::v1::Agent::NewStub(
      grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), arguments));
  const double cpu_before = sloth::bench::ProcessCpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  long failed = 0;
  if (mode == "workflow") {
    failed = RunWorkflow(*stub, chain, tasks);
  } else if (chain) {
    failed = RunChainAdHoc(*stub, tasks);
  } else {
    std::atomic<long> ok{0}, bad{0};
    std::atomic<int> to_start{tasks - clients};  // the callers start one each at once
    sloth::bench::RunAsyncCallers(*stub, clients, ok, bad, [&] { return to_start.fetch_sub(1) > 0; });
    failed = bad.load();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("workflow_throughput %s %s %d %.4f %ld %.1f\n", shape.c_str(), mode.c_str(), tasks, seconds, failed,
              (sloth::bench::ProcessCpuSeconds() - cpu_before) / tasks * 1e6);
  return failed == 0 ? 0 : 1;
}
