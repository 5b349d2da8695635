#include "ctl/clients/agent_client.h"

#include <gtest/gtest.h>

#include "tests/unit/ctl/clients/temp_path.h"

namespace sloth::ctl {
namespace {

TEST(CallErrorFromGrpc, UnreachableAndSilentAgentsAreTheirOwnCodes) {
  EXPECT_EQ(CallErrorFromGrpc({grpc::StatusCode::UNAVAILABLE, "connection refused"}).code, CallCode::kUnavailable);
  const CallError deadline = CallErrorFromGrpc({grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"});
  EXPECT_EQ(deadline.code, CallCode::kDeadline);
  EXPECT_EQ(deadline.message, "no answer before the deadline (--timeout)");
}

TEST(CallErrorFromGrpc, AFullQueueIsItsOwnCode) {
  const CallError full = CallErrorFromGrpc({grpc::StatusCode::RESOURCE_EXHAUSTED, "queue full"});
  EXPECT_EQ(full.code, CallCode::kResourceExhausted);
  EXPECT_EQ(full.message, "queue full");
}

TEST(CallErrorFromGrpc, KeepsTheAgentsWordsAndNamesOldAgents) {
  const CallError invalid = CallErrorFromGrpc({grpc::StatusCode::INVALID_ARGUMENT, "command is empty"});
  EXPECT_EQ(invalid.code, CallCode::kInvalidArgument);
  EXPECT_EQ(invalid.message, "command is empty");
  EXPECT_EQ(CallErrorFromGrpc({grpc::StatusCode::PERMISSION_DENIED, "no"}).code, CallCode::kPermissionDenied);
  EXPECT_EQ(CallErrorFromGrpc({grpc::StatusCode::CANCELLED, "stop"}).code, CallCode::kCancelled);
  const CallError old = CallErrorFromGrpc({grpc::StatusCode::UNIMPLEMENTED, ""});
  EXPECT_EQ(old.code, CallCode::kUnimplemented);
  EXPECT_EQ(old.message, "the agent does not implement this call (older slothd?)");
  const CallError other = CallErrorFromGrpc({grpc::StatusCode::INTERNAL, ""});
  EXPECT_EQ(other.code, CallCode::kFailed);
  EXPECT_EQ(other.message, "gRPC status 13");
}

TEST(AgentClient, ConnectSaysWhyTheSocketRefused) {
  AgentClient client(TempPath("no-such.sock"), std::chrono::seconds(1));
  EXPECT_EQ(client.target(), "unix:" + TempPath("no-such.sock"));
  const auto connected = client.Connect(std::chrono::milliseconds(200));
  ASSERT_FALSE(connected);
  EXPECT_EQ(connected.error().code, CallCode::kUnavailable);
  EXPECT_EQ(connected.error().message, "No such file or directory");
}

}  // namespace
}  // namespace sloth::ctl
