// The daemon's task throughput: N concurrent gRPC clients, each running RunTask("true") in a
// loop on the agent's control socket for a fixed time. Prints "task_throughput N RATE FAILED".
// With a 4th argument "health", GetHealth calls instead: the gRPC round trip alone (its floor).
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "sloth/v1/agent.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: task_throughput SOCKET [CLIENTS] [SECONDS]\n");
    return 2;
  }
  const std::string socket = argv[1];
  const int clients = argc > 2 ? std::atoi(argv[2]) : 4;
  const double seconds = argc > 3 ? std::atof(argv[3]) : 5;
  const bool health_only = argc > 4 && std::string(argv[4]) == "health";
  std::atomic<long> ok{0}, failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < clients; ++t) {
    workers.emplace_back([&] {
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
          if (event.has_result()) success = event.result().status() == sloth::v1::TASK_STATUS_SUCCESS;
        }
        (reader->Finish().ok() && success ? ok : failed).fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window itself
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("task_throughput %d %.1f %ld\n", clients, static_cast<double>(ok.load()) / elapsed, failed.load());
  return 0;
}
