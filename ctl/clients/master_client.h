#pragma once
// The master's own operator calls (sloth.v1.Master ListAgents, RemoveAgent), with a deadline per
// call; failures are CallErrors, as for the agents' calls.
#include <chrono>
#include <memory>
#include <string>

#include "ctl/clients/agent_connection.h"
#include "ctl/clients/master_endpoint.h"
#include "sloth/v1/master.grpc.pb.h"

namespace sloth::ctl {

// Used from the thread that made it.
class MasterClient {
 public:
  MasterClient(MasterEndpoint master, std::chrono::milliseconds call_timeout);

  // "master 10.0.0.5:50053".
  const std::string& target() const { return target_; }
  CallResult<v1::ListAgentsResponse> ListAgents();
  CallResult<v1::RemoveAgentResponse> RemoveAgent(const std::string& name);

 private:
  void Prepare(grpc::ClientContext& context) const;

  MasterEndpoint master_;
  std::string target_;
  std::chrono::milliseconds call_timeout_;
  std::unique_ptr<v1::Master::Stub> stub_;
};

}  // namespace sloth::ctl
