#include "daemon/core/fleet/service_discovery.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sloth {
namespace {

FleetRegistry::View Agent(std::string name, std::string url, AgentStatus status) {
  FleetRegistry::View view;
  view.record.name = std::move(name);
  view.record.version = "0.1.0";
  view.record.os = "linux";
  view.record.arch = "amd64";
  view.record.metrics_url = std::move(url);
  view.status = status;
  return view;
}

TEST(ServiceDiscoveryJson, OneTargetGroupPerAgentWithItsMetaLabels) {
  auto a = Agent("a1", "http://10.0.0.5:9090/metrics", AgentStatus::kUp);
  a.record.labels = {{"env", "prod"}};
  const auto json = nlohmann::json::parse(ServiceDiscoveryJson({a}));
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["targets"], nlohmann::json::array({"10.0.0.5:9090"}));
  EXPECT_EQ(json[0]["labels"], nlohmann::json({{"__meta_sloth_agent", "a1"},
                                               {"__meta_sloth_status", "up"},
                                               {"__meta_sloth_version", "0.1.0"},
                                               {"__meta_sloth_os", "linux"},
                                               {"__meta_sloth_arch", "amd64"},
                                               {"__meta_sloth_label_env", "prod"}}));
}

TEST(ServiceDiscoveryJson, DownAgentsStayGoneOnesAndThoseWithoutAnEndpointDoNot) {
  const auto json = nlohmann::json::parse(ServiceDiscoveryJson(
      {Agent("up", "http://h:1/metrics", AgentStatus::kUp), Agent("down", "http://h:2/metrics", AgentStatus::kDown),
       Agent("gone", "http://h:3/metrics", AgentStatus::kGone), Agent("off", "", AgentStatus::kUp)}));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["labels"]["__meta_sloth_status"], "down");
}

TEST(ServiceDiscoveryJson, SchemeAndPathOnlyWhereTheyDifferFromTheDefaults) {
  const auto json =
      nlohmann::json::parse(ServiceDiscoveryJson({Agent("a", "https://a.example/custom/metrics", AgentStatus::kUp)}));
  EXPECT_EQ(json[0]["targets"][0], "a.example:443");
  EXPECT_EQ(json[0]["labels"]["__scheme__"], "https");
  EXPECT_EQ(json[0]["labels"]["__metrics_path__"], "/custom/metrics");
  EXPECT_EQ(ServiceDiscoveryJson({}), "[]\n");
}

TEST(LabelNameSuffix, KeepsWhatPrometheusAllows) {
  EXPECT_EQ(LabelNameSuffix("rack_1"), "rack_1");
  EXPECT_EQ(LabelNameSuffix("team.name-x"), "team_name_x");
}

}  // namespace
}  // namespace sloth
