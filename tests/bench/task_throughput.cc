// The daemon's task throughput: N concurrent gRPC clients, each running RunTask("true") in a
// loop on the agent's control socket for a fixed time. Prints "task_throughput N RATE FAILED
// CLIENT_CPU_US" (the last: this process's CPU time per call, in microseconds).
// With a 4th argument "health", GetHealth calls instead: the gRPC round trip alone (its floor).
// With "async", one thread keeps N RunTask streams in flight on one channel through a completion
// queue: N concurrent callers whose own CPU cost (a thread per caller, each woken per message)
// does not compete with the agent for the same cores as much.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "proto/grpc_tuning.h"
#include "sloth/v1/agent.grpc.pb.h"
#include "tests/bench/async_task_caller.h"
#include "tests/bench/measuring_window.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: task_throughput SOCKET [CLIENTS] [SECONDS] [threads|async|health]\n");
    return 2;
  }
  const std::string socket = argv[1];
  const int clients = argc > 2 ? std::atoi(argv[2]) : 4;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5;
  const bool health_only = argc > 4 && std::string(argv[4]) == "health";
  const bool async = argc > 4 && std::string(argv[4]) == "async";
  sloth::TurnOffMutexDebugging();  // as slothd and slothctl do
  std::atomic<long> ok{0}, failed{0};
  // Async: one thread keeps `clients` streams in flight on one channel.
  auto async_loop = [&](const std::atomic<bool>& stop) {
    auto stub = sloth::v1::Agent::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    sloth::bench::RunAsyncCallers(*stub, clients, ok, failed, [&] { return !stop.load(std::memory_order_relaxed); });
  };
  // Threads: each client thread has its own channel and a blocking stub.
  auto thread_loop = [&](const std::atomic<bool>& stop) {
    auto stub = sloth::v1::Agent::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
    sloth::v1::RunTaskRequest request;
    request.set_command("true");
    request.set_name("bench");
    while (!stop.load(std::memory_order_relaxed)) {
      grpc::ClientContext context;
      if (health_only) {
        sloth::v1::Health health;
        (stub->GetHealth(&context, {}, &health).ok() ? ok : failed).fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      auto reader = stub->RunTask(&context, request);
      sloth::v1::RunTaskEvent event;
      bool success = false;
      while (reader->Read(&event)) {
        if (event.has_result()) {
          success = event.result().status() == sloth::v1::TASK_STATUS_SUCCESS;
          break;  // the last event
        }
      }
      (reader->Finish().ok() && success ? ok : failed).fetch_add(1, std::memory_order_relaxed);
    }
  };
  const double cpu_before = sloth::bench::ProcessCpuSeconds();
  const double elapsed = async ? sloth::bench::RunForWindow(1, seconds, async_loop)
                               : sloth::bench::RunForWindow(clients, seconds, thread_loop);
  // The client's own CPU per call: it shares the cores with the agent and its tasks.
  const double calls = static_cast<double>(std::max(1L, ok.load() + failed.load()));
  std::printf("task_throughput %d %.1f %ld %.1f\n", clients, static_cast<double>(ok.load()) / elapsed, failed.load(),
              (sloth::bench::ProcessCpuSeconds() - cpu_before) / calls * 1e6);
  return 0;
}
