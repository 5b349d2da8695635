#pragma once
// An operator's call of a sloth.v1.Agent method, for the agent named in its `sloth-agent`
// metadata: authenticated, sent down that agent's stream, and answered with what the agent
// answers (replies written as they come, under the agent's flow-control window), or with
// NOT_FOUND / UNAVAILABLE naming the agent. The master never parses the messages: any method,
// unary or server-streaming, is relayed the same way.
// Threads: the master's completion-queue thread only.
#include <cstdint>
#include <deque>
#include <string>

#include <grpcpp/generic/async_generic_service.h>

#include "daemon/grpc/cq_tag.h"
#include "daemon/master/master_queue.h"

namespace sloth {

class RelayedCall final : public Call {
 public:
  // Waits for the next call of any method the master does not serve itself.
  static void Listen(MasterQueue& queue);

  void Proceed(int op, bool ok) override;

  // From the agent's session: a reply message, the call's end, or the agent's stream lost.
  void OnReply(std::string message);
  void OnEnd(grpc::Status status);
  void OnAgentLost(const std::string& why);

 private:
  enum { kArrived, kRead, kWritten, kFinished, kDone };
  explicit RelayedCall(MasterQueue& queue);

  void Admit();
  void Route();
  void StartWrite();
  void Finish(grpc::Status status);
  void StartFinish();
  bool Done() const { return finished_ && done_ && !reading_ && !writing_; }

  MasterQueue& queue_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_;
  grpc::ByteBuffer request_;
  std::deque<std::string> outbox_;
  grpc::ByteBuffer in_flight_;
  uint64_t in_flight_bytes_ = 0;
  Tag arrived_{this, kArrived};
  Tag read_{this, kRead};
  Tag written_{this, kWritten};
  Tag finished_tag_{this, kFinished};
  Tag done_tag_{this, kDone};

  std::string method_;  // "/sloth.v1.Agent/RunTask"
  std::string agent_;
  std::string caller_;
  class AgentSession* session_ = nullptr;  // while the agent is serving it
  uint64_t id_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool finish_wanted_ = false;  // once the queued replies are written
  bool finish_started_ = false;
  bool finished_ = false;
  bool done_ = false;
  grpc::Status final_status_;
};

}  // namespace sloth
