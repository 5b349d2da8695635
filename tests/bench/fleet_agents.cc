// Simulated agents for the fleet benchmark (fleet_bench.sh): one process opens COUNT streams to a
// master, each over its own mTLS connection with its own certificate (as real agents do: the
// master's memory per agent includes the connection's TLS and HTTP/2 state), registers, and
// heartbeats at the interval the master asks for, spread over the interval. A relayed call is
// answered at once with UNIMPLEMENTED. Prints "registered N" once every stream is registered,
// then runs until stdin closes or SIGTERM.
//
// With --list-samples N it also times N ListAgents calls over one warm operator connection and
// prints "list p50_ms p99_ms agents".
//
// Usage: fleet_agents --master HOST:PORT --pki DIR --count N [--prefix sim-]
//                     [--list-samples N --operator alice]
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proto/grpc_tuning.h"
#include "sloth/v1/master.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Read(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    std::fprintf(stderr, "fleet_agents: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::shared_ptr<grpc::Channel> Dial(const std::string& master, const std::string& pki, const std::string& name) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = Read(pki + "/ca.crt");
  options.pem_cert_chain = Read(pki + "/" + name + ".crt");
  options.pem_private_key = Read(pki + "/" + name + ".key");
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection per agent, as in a real fleet
  return grpc::CreateCustomChannel(master, grpc::SslCredentials(options), arguments);
}

class SimulatedAgent;
struct Op {
  SimulatedAgent* agent;
  int kind;
};

// One agent's stream, driven by the completion queue: register, then read (calls) and write
// (heartbeats, answers) with one write in flight.
class SimulatedAgent {
 public:
  enum { kStarted, kWritten, kRead, kAlarm };

  SimulatedAgent(std::string name, std::shared_ptr<grpc::Channel> channel, grpc::CompletionQueue* cq,
                 std::atomic<int>* registered, unsigned seed)
      : name_(std::move(name)), channel_(std::move(channel)), cq_(cq), registered_(registered), random_(seed) {
    stub_ = sloth::v1::Master::NewStub(channel_);
    stream_ = stub_->AsyncConnect(&context_, cq_, &started_);
  }

  void Proceed(int kind, bool ok) {
    switch (kind) {
      case kStarted: {
        if (!ok) return Fail("connect");
        sloth::v1::AgentMessage hello;
        auto* info = hello.mutable_register_()->mutable_info();
        info->set_name(name_);
        info->set_version("0.1.0");
        info->set_os("linux");
        info->set_arch("amd64");
        info->set_metrics_url("http://127.0.0.1:9/metrics");
        (*hello.mutable_register_()->mutable_labels())["role"] = "simulated";
        Write(std::move(hello));
        stream_->Read(&in_, &read_);
        return;
      }
      case kWritten:
        writing_ = false;
        if (!ok) return;
        if (!outbox_.empty()) {
          auto next = std::move(outbox_.front());
          outbox_.erase(outbox_.begin());
          Write(std::move(next));
        }
        return;
      case kRead:
        if (!ok) return Fail("stream ended");
        if (in_.has_registered()) {
          interval_ = std::chrono::milliseconds(in_.registered().heartbeat_interval_ms());
          registered_->fetch_add(1);
          // The first heartbeat anywhere in the interval: a fleet's beats are spread out.
          std::uniform_real_distribution<double> draw(0, 1);
          const auto first = std::chrono::duration_cast<std::chrono::system_clock::duration>(interval_ * draw(random_));
          alarm_.Set(cq_, std::chrono::system_clock::now() + first, &alarm_op_);
        } else if (in_.has_call()) {
          sloth::v1::AgentMessage end;
          end.mutable_end()->set_call_id(in_.call().call_id());
          end.mutable_end()->set_code(grpc::StatusCode::UNIMPLEMENTED);
          end.mutable_end()->set_message("a simulated agent serves no calls");
          Write(std::move(end));
        }
        stream_->Read(&in_, &read_);
        return;
      case kAlarm: {
        if (!ok) return;
        sloth::v1::AgentMessage beat;
        beat.mutable_heartbeat()->set_tasks_running(0);
        Write(std::move(beat));
        alarm_.Set(cq_, std::chrono::system_clock::now() + interval_, &alarm_op_);
        return;
      }
    }
  }

  void Cancel() {
    alarm_.Cancel();
    context_.TryCancel();
  }

 private:
  void Write(sloth::v1::AgentMessage message) {
    if (writing_) {
      outbox_.push_back(std::move(message));
      return;
    }
    writing_ = true;
    out_ = std::move(message);
    stream_->Write(out_, &written_);
  }
  void Fail(const char* what) { std::fprintf(stderr, "fleet_agents: %s: %s\n", name_.c_str(), what); }

  std::string name_;
  std::shared_ptr<grpc::Channel> channel_;
  grpc::CompletionQueue* cq_;
  std::atomic<int>* registered_;
  std::mt19937 random_;
  std::unique_ptr<sloth::v1::Master::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<sloth::v1::AgentMessage, sloth::v1::MasterMessage>> stream_;
  sloth::v1::MasterMessage in_;
  sloth::v1::AgentMessage out_;
  std::vector<sloth::v1::AgentMessage> outbox_;
  bool writing_ = false;
  std::chrono::milliseconds interval_{5000};
  grpc::Alarm alarm_;
  Op started_{this, kStarted};
  Op written_{this, kWritten};
  Op read_{this, kRead};
  Op alarm_op_{this, kAlarm};
};

// p50 and p99 of `samples` ListAgents calls on one warm connection, in milliseconds.
void TimeListAgents(const std::string& master, const std::string& pki, const std::string& op, int samples) {
  auto stub = sloth::v1::Master::NewStub(Dial(master, pki, op));
  std::vector<double> ms;
  size_t agents = 0;
  for (int i = 0; i < samples + 10; ++i) {
    grpc::ClientContext context;
    sloth::v1::ListAgentsResponse reply;
    const auto start = Clock::now();
    const grpc::Status status = stub->ListAgents(&context, {}, &reply);
    const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!status.ok()) {
      std::fprintf(stderr, "fleet_agents: ListAgents: %s\n", status.error_message().c_str());
      std::exit(1);
    }
    if (i >= 10) ms.push_back(elapsed);  // the first calls warm the connection
    agents = static_cast<size_t>(reply.agents_size());
  }
  std::sort(ms.begin(), ms.end());
  auto q = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * (ms.size() - 1) + 0.5))]; };
  std::printf("list %.2f %.2f %zu\n", q(0.5), q(0.99), agents);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string master, pki, prefix = "sim-", op = "alice";
  int count = 0, list_samples = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--master") master = value;
    if (flag == "--pki") pki = value;
    if (flag == "--count") count = std::stoi(value);
    if (flag == "--prefix") prefix = value;
    if (flag == "--list-samples") list_samples = std::stoi(value);
    if (flag == "--operator") op = value;
  }
  if (master.empty() || pki.empty()) {
    std::fprintf(stderr, "usage: fleet_agents --master HOST:PORT --pki DIR --count N [--list-samples N]\n");
    return 2;
  }
  sloth::TurnOffMutexDebugging();
  if (list_samples > 0) {
    TimeListAgents(master, pki, op, list_samples);
    return 0;
  }
  // Two queues, a thread each: the bench client must not be what limits the master.
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues;
  for (int q = 0; q < 2; ++q) queues.push_back(std::make_unique<grpc::CompletionQueue>());
  std::atomic<int> registered{0};
  std::vector<std::unique_ptr<SimulatedAgent>> agents;
  char name[32];
  for (int i = 0; i < count; ++i) {
    std::snprintf(name, sizeof name, "%s%04d", prefix.c_str(), i);
    agents.push_back(std::make_unique<SimulatedAgent>(name, Dial(master, pki, name),
                                                      queues[static_cast<size_t>(i) % queues.size()].get(), &registered,
                                                      static_cast<unsigned>(i)));
  }
  std::vector<std::thread> threads;
  for (auto& queue : queues) {
    threads.emplace_back([&queue] {
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) {
        const Op* done = static_cast<const Op*>(tag);
        done->agent->Proceed(done->kind, ok);
      }
    });
  }
  const auto deadline = Clock::now() + std::chrono::minutes(5);
  while (registered.load() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polls a counter the queues raise
  }
  std::printf("registered %d\n", registered.load());
  std::fflush(stdout);
  // Until stdin closes (the bench script holds it open while it measures).
  char c;
  while (::read(STDIN_FILENO, &c, 1) > 0) {
  }
  for (auto& agent : agents) agent->Cancel();
  for (auto& queue : queues) queue->Shutdown();
  for (auto& thread : threads) thread.join();
  return registered.load() == count ? 0 : 1;
}
