#include "daemon/core/fleet/master_telemetry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sloth {
namespace {

using ::testing::HasSubstr;

TEST(MasterTelemetry, CountsWhatTheMasterDoesAndAgentsByStatusAtTheScrape) {
  MasterTelemetry telemetry(AgentIdentity{"m", "0.1.0", "abc", "GNU 12", "linux", "amd64"});
  telemetry.AgentRegistered();
  telemetry.HeartbeatReceived();
  telemetry.HeartbeatReceived();
  telemetry.CallRelayed("RunTask", "OK");
  telemetry.OperatorCalled("cert:alice", "ListAgents");
  telemetry.AuthFailed("bad_token");
  const std::string text =
      telemetry.ExpositionText({{AgentStatus::kUp, 3}, {AgentStatus::kDown, 1}, {AgentStatus::kGone, 0}});
  EXPECT_THAT(text, HasSubstr("sloth_master_agents{status=\"up\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("sloth_master_agents{status=\"down\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sloth_master_registrations_total 1\n"));
  EXPECT_THAT(text, HasSubstr("sloth_master_heartbeats_total 2\n"));
  EXPECT_THAT(text, HasSubstr("sloth_master_relayed_calls_total{code=\"OK\",method=\"RunTask\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sloth_master_calls_total{caller=\"cert:alice\",method=\"ListAgents\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("sloth_master_auth_failures_total{reason=\"bad_token\"} 1\n"));
  // Every refusal reason from the start, so rate() and alerts work before the first one.
  EXPECT_THAT(text, HasSubstr("sloth_master_auth_failures_total{reason=\"tls_handshake\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("sloth_build_info{commit=\"abc\",compiler=\"GNU 12\",version=\"0.1.0\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
}

}  // namespace
}  // namespace sloth
