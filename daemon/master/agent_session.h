#pragma once
// One agent's stream (sloth.v1.Master/Connect): its registration (the certificate must name it),
// its heartbeats, and the relayed calls travelling down it and their answers back. When the
// stream ends, every call relayed through it ends with UNAVAILABLE naming the agent, so no
// operator waits on an agent that is gone.
// Threads: the master's completion-queue thread only.
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "daemon/grpc/cq_tag.h"
#include "daemon/master/master_queue.h"

namespace sloth {

class RelayedCall;

class AgentSession final : public Call {
 public:
  // Waits for the next agent to connect; each session waits for the one after it.
  static void Listen(MasterQueue& queue);

  void Proceed(int op, bool ok) override;

  const std::string& name() const { return name_; }
  uint64_t session() const { return session_; }

  // Sends `call`'s request down the stream; its replies are routed back to it until it ends or
  // detaches. Returns the call's id.
  uint64_t StartRelay(RelayedCall* call, const std::string& method, std::string request, const std::string& caller,
                      uint64_t timeout_ms);
  // The operator went away: the agent cancels the call; no more replies are routed to it.
  void Detach(uint64_t call_id, bool cancel_on_agent);
  // The operator has read `bytes` more of the call's replies (flow control).
  void Credit(uint64_t call_id, uint64_t bytes);
  // Ends the stream from the master's side (replaced by a newer connection, removed).
  void Close(grpc::Status status);

 private:
  enum { kArrived, kRead, kWritten, kFinished };
  explicit AgentSession(MasterQueue& queue);

  void OnMessage();
  void OnRegister(const v1::Register& hello);
  void Send(v1::MasterMessage message);
  void StartWrite();
  void StartRead();
  void Finish(grpc::Status status);
  void StartFinish();
  void Ended();  // the stream is over: registry, operators' calls
  bool Done() const { return finished_ && !reading_ && !writing_; }

  MasterQueue& queue_;
  grpc::ServerContext context_;
  grpc::ServerAsyncReaderWriter<v1::MasterMessage, v1::AgentMessage> stream_;
  v1::AgentMessage in_;
  std::deque<v1::MasterMessage> outbox_;
  v1::MasterMessage in_flight_;  // kept alive until its write completes
  Tag arrived_{this, kArrived};
  Tag read_{this, kRead};
  Tag written_{this, kWritten};
  Tag finished_tag_{this, kFinished};

  bool reading_ = false;
  bool writing_ = false;
  bool finish_wanted_ = false;  // finish once the write in flight completes
  bool finish_started_ = false;
  bool finished_ = false;
  bool ended_ = false;
  grpc::Status final_status_;

  std::string name_;
  std::string address_;
  uint64_t session_ = 0;  // 0: not registered yet
  bool unregistered_ = false;
  std::map<uint64_t, RelayedCall*> relays_;
};

}  // namespace sloth
