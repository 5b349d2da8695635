#pragma once
// A gRPC client stub for a test's slothd, on its control socket.
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "sloth/v1/agent.grpc.pb.h"

namespace sloth::test {

inline std::unique_ptr<sloth::v1::Agent::Stub> ConnectAgent(const std::string& socket) {
  return sloth::v1::Agent::NewStub(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials()));
}

}  // namespace sloth::test
