#include "ctl/clients/master_client.h"

#include "ctl/clients/agent_client.h"

namespace sloth::ctl {

MasterClient::MasterClient(MasterEndpoint master, std::chrono::milliseconds call_timeout)
    : master_(std::move(master)), target_(MasterTarget(master_)), call_timeout_(call_timeout) {
  stub_ = v1::Master::NewStub(DialMaster(master_));
}

void MasterClient::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() + call_timeout_);
  AuthorizeCall(context, master_);
}

CallResult<v1::ListAgentsResponse> MasterClient::ListAgents() {
  grpc::ClientContext context;
  Prepare(context);
  v1::ListAgentsResponse reply;
  if (const grpc::Status status = stub_->ListAgents(&context, {}, &reply); !status.ok()) {
    return CallErrorFromGrpc(status);
  }
  return reply;
}

CallResult<v1::RemoveAgentResponse> MasterClient::RemoveAgent(const std::string& name) {
  grpc::ClientContext context;
  Prepare(context);
  v1::RemoveAgentRequest request;
  request.set_name(name);
  v1::RemoveAgentResponse reply;
  if (const grpc::Status status = stub_->RemoveAgent(&context, request, &reply); !status.ok()) {
    return CallErrorFromGrpc(status);
  }
  return reply;
}

}  // namespace sloth::ctl
