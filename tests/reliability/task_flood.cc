// Many tasks at once through the control socket, with the figures: N RunTask streams opened
// together on one gRPC connection (so up to N tasks wait in the agent's queue), each read to its
// result. Prints how many ended in each status, how long the whole took and the tasks per
// second, and samples the agent's threads and resident memory meanwhile.
//
//   task_flood --socket PATH --pid PID [--tasks 10000] [--command true] [--seconds 300]
//
// Exits 1 if a stream ended without its result (a lost task) or the time ran out; 0 otherwise.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sloth/v1/agent.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Stream {
  grpc::ClientContext context;
  sloth::v1::RunTaskEvent event;
  std::unique_ptr<grpc::ClientAsyncReader<sloth::v1::RunTaskEvent>> reader;
  grpc::Status status;
  std::string result_status;  // TASK_STATUS_* name of the result, "" until it came
  std::string reason;
  bool finishing = false;
};

// "Threads:" and "VmRSS:" of /proc/PID/status.
std::pair<long, long> ThreadsAndRssKib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  long threads = -1, rss = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) threads = std::atol(line.c_str() + 8);
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atol(line.c_str() + 6);
  }
  return {threads, rss};
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket, command = "true";
  int tasks = 10000, pid = 0, seconds = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--socket")
      socket = argv[i + 1];
    else if (flag == "--pid")
      pid = std::atoi(argv[i + 1]);
    else if (flag == "--tasks")
      tasks = std::atoi(argv[i + 1]);
    else if (flag == "--command")
      command = argv[i + 1];
    else if (flag == "--seconds")
      seconds = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "task_flood: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  auto channel = grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
  auto stub = sloth::v1::Agent::NewStub(channel);
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<Stream>> streams;
  const auto start = Clock::now();
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(seconds);
  for (int i = 0; i < tasks; ++i) {
    auto s = std::make_unique<Stream>();
    s->context.set_deadline(deadline);
    sloth::v1::RunTaskRequest request;
    request.set_command(command);
    request.set_name("flood");
    s->reader = stub->PrepareAsyncRunTask(&s->context, request, &cq);
    s->reader->StartCall(s.get());
    streams.push_back(std::move(s));
  }
  // Samples the agent while the streams run.
  std::atomic<bool> done{false};
  long peak_threads = 0, peak_rss = 0;
  std::thread sampler([&] {
    while (!done) {
      auto [threads, rss] = ThreadsAndRssKib(pid);
      peak_threads = std::max(peak_threads, threads);
      peak_rss = std::max(peak_rss, rss);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the sampling rate
    }
  });
  int open = tasks;
  void* tag = nullptr;
  bool ok = false;
  while (open > 0 && cq.Next(&tag, &ok)) {
    auto* s = static_cast<Stream*>(tag);
    if (s->finishing) {
      --open;
      continue;
    }
    if (ok) {
      if (s->event.has_result()) {
        s->result_status = sloth::v1::TaskStatus_Name(s->event.result().status());
        s->reason = s->event.result().reason();
      }
      s->reader->Read(&s->event, s);
    } else {
      s->finishing = true;
      s->reader->Finish(&s->status, s);
    }
  }
  done = true;
  sampler.join();
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  std::map<std::string, int> outcomes;
  std::map<std::string, int> reasons;
  int lost = 0;
  for (const auto& s : streams) {
    if (s->result_status.empty()) {
      ++lost;
      ++outcomes["no result: " + std::to_string(static_cast<int>(s->status.error_code())) + " " +
                 s->status.error_message()];
    } else {
      ++outcomes[s->result_status];
      if (!s->reason.empty()) ++reasons[s->reason.substr(0, 60)];
    }
  }
  std::printf("tasks: %d RunTask streams at once ('%s'), all ended in %.1f s (%.0f tasks/s)\n", tasks, command.c_str(),
              took, tasks / took);
  for (const auto& [what, n] : outcomes) std::printf("  %6d %s\n", n, what.c_str());
  for (const auto& [what, n] : reasons) std::printf("  %6d reason: %s\n", n, what.c_str());
  std::printf("agent: peak %ld threads, peak resident %.1f MiB\n", peak_threads, peak_rss / 1024.0);
  return lost == 0 ? 0 : 1;
}
