#pragma once
// The agent's side of the fleet (doc/fleet.md): one stream to the master (sloth.v1.Master/Connect)
// over mutual TLS, kept open: dialled again after a loss with ReconnectDelay's backoff and
// jitter, registering each time (so a restarted master, or one that removed the agent, learns it
// again). The master's relayed calls are made on the control front end's own server over its
// in-process channel, so they take exactly the path of the control socket's calls (ControlApi,
// the metrics interceptor), in the name of the operator the master authenticated.
// Threads: `slothd-master` dials and reads the stream, `slothd-beat` sends the heartbeats, pool
// workers (`slothd-relay`) serve relayed calls; writes to the stream are serialised.
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "common/worker_pool.h"
#include "daemon/core/telemetry/telemetry.h"
#include "daemon/grpc/grpc_front_end.h"
#include "sloth/v1/master.grpc.pb.h"

namespace sloth {

class MasterLinkClient final : public MasterLink {
 public:
  // `local`: the in-process channel of the control front end's server; `relay_key`: what marks a
  // call on it as relayed (ControlService::relay_key).
  MasterLinkClient(MasterLinkSettings settings, std::shared_ptr<grpc::Channel> local, std::string relay_key,
                   Telemetry& telemetry, Logger& log);
  ~MasterLinkClient() override;

  void Start() override;
  void Shutdown() override;

 private:
  struct Relay {
    grpc::ClientContext* context;
    uint64_t sent = 0;       // reply bytes sent
    uint64_t credited = 0;   // of which the master has passed on
    bool cancelled = false;  // the master said the operator went away
  };
  using RelayKey = std::pair<uint64_t, uint64_t>;  // (generation, call id): ids restart with each master
  using Stream = grpc::ClientReaderWriter<v1::AgentMessage, v1::MasterMessage>;

  void Run();
  // One connection: dial, register, serve until the stream ends. True if it registered.
  bool Session(std::string* ended_because);
  void Beat();
  void ServeRelay(v1::RelayedCall call, uint64_t generation);
  // Writes on the stream of `generation`, if it is still the current one.
  bool Send(uint64_t generation, const v1::AgentMessage& message);
  // Waits until the master has passed on enough of the call's replies to send `bytes` more;
  // false if the call or its stream ended meanwhile.
  bool WaitForCredit(uint64_t call_id, uint64_t generation, uint64_t bytes);
  std::shared_ptr<grpc::Channel> Dial() const;

  const MasterLinkSettings settings_;
  std::shared_ptr<grpc::Channel> local_;
  grpc::GenericStub local_stub_;
  const std::string relay_key_;
  Telemetry& telemetry_;
  Logger& log_;
  std::mt19937_64 random_;  // the run thread's: backoff jitter

  std::mutex write_mutex_;  // one writer on the stream at a time; taken before mutex_
  std::mutex mutex_;        // guards what follows
  std::condition_variable changed_;
  bool stopping_ = false;
  uint64_t generation_ = 0;  // counts connections; relays and heartbeats belong to one
  bool registered_ = false;
  Duration heartbeat_interval_ = std::chrono::seconds(5);
  grpc::ClientContext* context_ = nullptr;  // the current stream's, to cancel it
  Stream* stream_ = nullptr;
  std::map<RelayKey, Relay> relays_;

  WorkerPool relay_workers_{"slothd-relay", 2};
  std::thread run_thread_;
  std::thread beat_thread_;
};

}  // namespace sloth
