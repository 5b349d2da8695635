#include "ctl/fleet_output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sloth::ctl {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000'000;

v1::ListAgentsResponse TwoAgents() {
  v1::ListAgentsResponse response;
  auto* a = response.add_agents();
  a->set_name("build-01");
  a->set_status(v1::AGENT_STATUS_UP);
  a->set_version("0.1.0");
  a->set_os("linux");
  a->set_arch("amd64");
  a->set_metrics_url("http://10.0.0.5:9090/metrics");
  (*a->mutable_labels())["rack"] = "r1";
  (*a->mutable_labels())["env"] = "prod";
  a->set_last_heartbeat_unix_ms(kNow - 3000);
  a->set_connected_since_unix_ms(kNow - 600000);
  auto* b = response.add_agents();
  b->set_name("web-2");
  b->set_status(v1::AGENT_STATUS_DOWN);
  b->set_version("0.1.0");
  b->set_os("linux");
  b->set_arch("arm64");
  b->set_last_heartbeat_unix_ms(kNow - 3 * 3600 * 1000);
  return response;
}

TEST(FormatAgo, SecondsMinutesHoursDays) {
  EXPECT_EQ(FormatAgo(kNow - 4000, kNow), "4s ago");
  EXPECT_EQ(FormatAgo(kNow - 180000, kNow), "3m ago");
  EXPECT_EQ(FormatAgo(kNow - 3 * 3600000, kNow), "3h ago");
  EXPECT_EQ(FormatAgo(kNow - 5 * 86400000LL, kNow), "5d ago");
  EXPECT_EQ(FormatAgo(0, kNow), "never");
}

TEST(RenderAgentsText, ATableAndTheCountsByStatus) {
  const std::string text = RenderAgentsText(TwoAgents(), kNow);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "NAME      STATUS  VERSION  OS/ARCH      LAST SEEN  CONNECTED            METRICS                       "
            "LABELS");
  EXPECT_THAT(text, HasSubstr("build-01  up      0.1.0    linux/amd64  3s ago"));
  EXPECT_THAT(text, HasSubstr("http://10.0.0.5:9090/metrics  env=prod,rack=r1\n"));
  EXPECT_THAT(text, HasSubstr("web-2     down    0.1.0    linux/arm64  3h ago     -                    -  "));
  EXPECT_THAT(text, HasSubstr("\n2 agents: 1 up, 1 down, 0 gone.\n"));
  EXPECT_EQ(RenderAgentsText({}, kNow), "no agents have registered with the master yet\n");
}

TEST(AgentsJson, EveryFieldForScripts) {
  const auto json = AgentsJson(TwoAgents());
  ASSERT_EQ(json["agents"].size(), 2u);
  EXPECT_EQ(json["agents"][0]["name"], "build-01");
  EXPECT_EQ(json["agents"][0]["status"], "up");
  EXPECT_EQ(json["agents"][0]["labels"]["env"], "prod");
  EXPECT_EQ(json["agents"][0]["last_heartbeat_unix_ms"], kNow - 3000);
  EXPECT_EQ(json["agents"][1]["status"], "down");
  EXPECT_EQ(json["agents"][1]["connected_since"], "");
}

}  // namespace
}  // namespace sloth::ctl
